"""Policy runs over a calibration's posterior: load it, draw particles, map them to scenarios.

A posterior directory is the ``--out`` of ``collabsim calibrate``: ``posterior.parquet``
(one row per accepted particle: the parameters named as in the spec's priors,
``weight``, ``distance``, ``seed``) and ``calibration.json`` (the spec, whose priors
say which key paths — ``keys`` — each parameter sets, and in which scenarios —
``scenarios``). :func:`load_posterior` reads and checks both; every problem is one
line naming the file and the key (a :class:`PosteriorError`: exit status 2 on the
command line, no traceback).

:meth:`Posterior.draw` draws particles by weight (multinomial, with replacement),
reproducibly from a seed. :meth:`Posterior.overrides` maps a drawn particle to the
key-path overrides of one scenario. A parameter applies to a scenario when its
prior has no ``scenarios`` list, or the list names the scenario or any scenario in
its ``extends`` chain (:func:`scenario_chain`: ``pbg_repaired`` extends ``pbg``, so a
parameter calibrated on ``pbg`` applies to it). The overrides go through the one
validated override path (:func:`collabsim.scenario.resolve`, via ``load_scenario``
or the model's ``overrides``), never around it.

:func:`make_plan` checks the mapping for a set of scenarios before anything runs:

* a parameter that applies to **none** of the scenarios is a **warning** (a joint
  calibration of several presets has parameters of presets not being compared: that
  is normal), recorded in the plan's ``notes`` and the manifest; if **no** parameter
  applies to any scenario it is an **error** (the posterior would change nothing);
* a parameter whose key a value set explicitly also sets (``--set``, a variant, an
  experiment's ``[set]`` or varied parameter) is left out of that scenario, with a
  warning: the explicit value is the design, the posterior's would be overwritten;
* every drawn particle's overrides are validated against every scenario (a key the
  scenario lacks, a value it rejects), each problem one line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.errors import CollabsimError
from collabsim.experiments.records import PosteriorDraw, PosteriorPlan

__all__ = [
    "MANIFEST_FILE",
    "POSTERIOR_FILE",
    "Posterior",
    "PosteriorError",
    "PosteriorParameter",
    "keys_overlap",
    "load_posterior",
    "make_plan",
    "plan_for_experiment",
    "scenario_chain",
]

POSTERIOR_FILE = "posterior.parquet"
MANIFEST_FILE = "calibration.json"

#: Mixed into the draw seed, so particle draws and replicate seeds never share a stream.
_DRAW_STREAM = 0x706F7374


class PosteriorError(CollabsimError):
    """A posterior directory that cannot be used; one line per problem (file, key)."""


@dataclass(frozen=True)
class PosteriorParameter:
    """A calibrated parameter: the key paths it sets and the scenarios it applies to.

    Attributes:
        name: Its name in the spec's priors (a column of ``posterior.parquet``).
        keys: The key paths its value is written to.
        scenarios: The scenarios its prior names, or None (every scenario).
        kind: ``float`` or ``int`` (the schema type of its keys; an integer is floored).
        low: The prior's lower bound (``-inf`` if not recorded).
        high: The prior's upper bound (``inf`` if not recorded).
    """

    name: str
    keys: tuple[str, ...]
    scenarios: tuple[str, ...] | None
    kind: str = "float"
    low: float = -math.inf
    high: float = math.inf

    def value(self, x: float) -> float | int:
        """The scenario value of a particle's ``x`` (as the calibration wrote it)."""
        x = float(x)
        return int(min(math.floor(x), self.high)) if self.kind == "int" else x

    def applies_to(self, chain: Sequence[str]) -> bool:
        """Whether it applies to a scenario whose ``extends`` chain (itself first) is ``chain``."""
        return self.scenarios is None or any(s in chain for s in self.scenarios)


@dataclass
class Posterior:
    """A loaded, checked posterior.

    Attributes:
        path: The directory.
        name: The calibration's name.
        particles: ``posterior.parquet`` as read (one row per particle).
        parameters: The calibrated parameters, in the spec's order.
        spec_hash: The calibration's spec hash (``calibration.json``), or None.
        file_hash: SHA-256 of ``posterior.parquet``.
        scenarios: The scenarios the calibration ran.
    """

    path: Path
    name: str
    particles: pd.DataFrame
    parameters: list[PosteriorParameter]
    spec_hash: str | None
    file_hash: str
    scenarios: tuple[str, ...] = ()
    _weights: np.ndarray | None = field(default=None, repr=False)

    @property
    def names(self) -> list[str]:
        """The parameter names."""
        return [p.name for p in self.parameters]

    @property
    def weights(self) -> np.ndarray:
        """The particles' weights, normalised to sum to 1."""
        if self._weights is None:
            w = self.particles["weight"].to_numpy(dtype=float)
            self._weights = w / w.sum()
        return self._weights

    @property
    def hash(self) -> str:
        """The posterior's identity: SHA-256 of its particles file and its spec hash."""
        return hashlib.sha256(f"{self.file_hash}:{self.spec_hash}".encode()).hexdigest()

    def identity(self) -> dict[str, Any]:
        """What a manifest records of the posterior."""
        gen = self.particles.get("generation")
        return {"dir": str(self.path.resolve()), "name": self.name, "hash": self.hash,
                "posterior_sha256": self.file_hash, "spec_hash": self.spec_hash,
                "particles": len(self.particles),
                "generation": int(gen.max()) if gen is not None and len(gen) else None,
                "parameters": [{"name": p.name, "keys": list(p.keys),
                                "scenarios": list(p.scenarios) if p.scenarios else None}
                               for p in self.parameters]}

    def draw(self, n: int, seed: int) -> list[PosteriorDraw]:
        """Draw ``n`` particles by weight (with replacement), reproducibly from ``seed``.

        Args:
            n: Draws.
            seed: The seed (the same seed gives the same particles).

        Returns:
            The draws, ``draw`` 0 … n − 1.
        """
        rng = np.random.default_rng([int(seed), _DRAW_STREAM])
        idx = rng.choice(len(self.particles), size=int(n), replace=True, p=self.weights)
        seeds = self.particles.get("seed")
        return [PosteriorDraw(d, int(i), {k: float(self.particles[k].iloc[i])
                                          for k in self.names},
                              float(self.weights[i]),
                              int(seeds.iloc[i]) if seeds is not None else None)
                for d, i in enumerate(idx)]

    def applying(self, chain: Sequence[str]) -> list[PosteriorParameter]:
        """The parameters that apply to a scenario with this ``extends`` chain."""
        return [p for p in self.parameters if p.applies_to(chain)]

    def overrides(self, draw: PosteriorDraw, chain: Sequence[str],
                  skip: Iterable[str] = ()) -> dict[str, Any]:
        """The key-path overrides a drawn particle gives a scenario.

        Args:
            draw: The drawn particle.
            chain: The scenario's name and those it extends (:func:`scenario_chain`).
            skip: Parameter names to leave out (their keys are set explicitly).

        Returns:
            Key path to value, for the parameters that apply.
        """
        left_out = set(skip)
        out: dict[str, Any] = {}
        for p in self.applying(chain):
            if p.name not in left_out:
                out.update(dict.fromkeys(p.keys, p.value(draw.values[p.name])))
        return out


# ------------------------------------------------------------------ loading
def _read_manifest(path: Path) -> dict[str, Any]:
    file = path / MANIFEST_FILE
    if not file.is_file():
        raise PosteriorError(f"{file}: missing; a posterior directory holds the "
                             f"{MANIFEST_FILE} that 'collabsim calibrate' writes beside "
                             f"{POSTERIOR_FILE}")
    try:
        data = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise PosteriorError(f"{file}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PosteriorError(f"{file}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PosteriorError(f"{file}: expected a JSON object (the calibration's manifest)")
    return data


def _schema_kind(key: str) -> tuple[str | None, str | None]:
    from collabsim.experiments.spec import schema_leaf

    try:
        leaf = schema_leaf(key)
    except ValueError as exc:
        return None, str(exc)
    if leaf.kind not in ("float", "int"):
        return None, f"{key} is {leaf.kind}; a calibrated parameter needs a numeric key"
    return leaf.kind, None


def _parameters(data: dict[str, Any], file: Path) -> tuple[list[PosteriorParameter], list[str]]:
    spec = data.get("spec")
    if not isinstance(spec, dict):
        raise PosteriorError(f"{file}: spec: missing (expected the calibration spec with its "
                             "priors)")
    priors = spec.get("priors")
    if not isinstance(priors, dict) or not priors:
        raise PosteriorError(f"{file}: spec.priors: missing or empty (expected a table of "
                             "priors, each with keys and optionally scenarios)")
    problems: list[str] = []
    out = []
    for name, prior in priors.items():
        where = f"{file}: spec.priors.{name}"
        if not isinstance(prior, dict):
            problems.append(f"{where}: expected a table (keys, scenarios, bounds)")
            continue
        keys = prior.get("keys") if prior.get("keys") is not None else [name]
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            problems.append(f"{where}.keys: expected a list of key paths (got {keys!r})")
            continue
        scen = prior.get("scenarios")
        if scen is not None and (not isinstance(scen, list)
                                 or not all(isinstance(s, str) for s in scen)):
            problems.append(f"{where}.scenarios: expected a list of scenario names "
                            f"(got {scen!r})")
            continue
        kinds = set()
        for k in keys:
            kind, why = _schema_kind(k)
            if why:
                problems.append(f"{where}.keys: {why}")
            else:
                kinds.add(kind)
        bounds = prior.get("bounds")
        lo, hi = -math.inf, math.inf
        if isinstance(bounds, list) and len(bounds) == 2 and all(
                isinstance(b, int | float) and not isinstance(b, bool) for b in bounds):
            lo, hi = float(bounds[0]), float(bounds[1])
        if len(kinds) == 1:
            out.append(PosteriorParameter(str(name), tuple(keys),
                                          tuple(scen) if scen else None, kinds.pop(), lo, hi))
        elif len(kinds) > 1:
            problems.append(f"{where}.keys: keys have different types "
                            f"({', '.join(sorted(kinds))})")
    return out, problems


def _read_particles(path: Path, names: list[str], manifest: Path) -> pd.DataFrame:
    file = path / POSTERIOR_FILE
    if not file.is_file():
        raise PosteriorError(f"{file}: missing; a posterior directory holds the "
                             f"{POSTERIOR_FILE} that 'collabsim calibrate' writes")
    try:
        df = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises many kinds for a damaged file
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise PosteriorError(f"{file}: cannot read as Parquet: {first}") from None
    missing = [c for c in [*names, "weight"] if c not in df.columns]
    if missing:
        raise PosteriorError(f"{file}: missing column(s) {', '.join(missing)} (a column per "
                             f"parameter of {manifest} spec.priors, and weight)")
    if df.empty:
        raise PosteriorError(f"{file}: no particles (0 rows)")
    problems = []
    for c in [*names, "weight"]:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            problems.append(f"{file}: column {c}: not numeric ({df[c].dtype})")
            continue
        bad = ~np.isfinite(df[c].to_numpy(dtype=float))
        if bad.any():
            problems.append(f"{file}: column {c}: row {int(np.argmax(bad))} is not a finite "
                            "number")
    if not problems:
        w = df["weight"].to_numpy(dtype=float)
        if (w < 0).any():
            problems.append(f"{file}: column weight: row {int(np.argmax(w < 0))} is negative")
        elif w.sum() <= 0:
            problems.append(f"{file}: column weight: the weights sum to {w.sum():g}; they must "
                            "sum to more than 0")
    if problems:
        raise PosteriorError(problems)
    return df.reset_index(drop=True)


def load_posterior(path: str | Path) -> Posterior:
    """Read and check a posterior directory (the ``--out`` of ``collabsim calibrate``).

    Args:
        path: The directory holding ``posterior.parquet`` and ``calibration.json``.

    Returns:
        The :class:`Posterior`.

    Raises:
        PosteriorError: one line per problem, naming the file and the key or column.
    """
    path = Path(path)
    if not path.is_dir():
        raise PosteriorError(f"{path}: no such posterior directory (expected the --out of "
                             f"'collabsim calibrate', holding {POSTERIOR_FILE} and "
                             f"{MANIFEST_FILE})")
    data = _read_manifest(path)
    params, problems = _parameters(data, path / MANIFEST_FILE)
    if problems:
        raise PosteriorError(problems)
    particles = _read_particles(path, [p.name for p in params], path / MANIFEST_FILE)
    file_hash = hashlib.sha256((path / POSTERIOR_FILE).read_bytes()).hexdigest()
    spec = data["spec"]
    name = str(data.get("name") or spec.get("name") or path.name)
    scenarios = tuple(str(s) for s in spec.get("scenarios") or [] if isinstance(s, str))
    spec_hash = data.get("spec_hash")
    return Posterior(path, name, particles, params,
                     str(spec_hash) if spec_hash is not None else None, file_hash, scenarios)


# ----------------------------------------------------------- scenario mapping
def scenario_chain(source: Any, base_dir: str | Path | None = None) -> tuple[str, ...]:
    """A scenario's name and the names of the scenarios it extends, nearest first.

    Each file in the chain contributes its ``name`` and its file stem
    (``pbg_repaired.toml`` extends ``pbg.toml``: ``("pbg_repaired", "pbg")``).

    Args:
        source: A preset name or TOML path (as given to ``load_scenario``), or a
            loaded Scenario or a dict (then its name alone: no file to follow).
        base_dir: Where a relative path is looked up first (an experiment spec's folder).

    Raises:
        ScenarioError: for a source that is no file or preset.
    """
    from collabsim.scenario import Scenario
    from collabsim.scenario.io import _locate  # the loader's own file and preset lookup

    if isinstance(source, Scenario):
        return (source.name,)
    if isinstance(source, Mapping):
        return (str(source["name"]),) if isinstance(source.get("name"), str) else ()
    path: Path | None = _locate(source, Path(base_dir) if base_dir is not None else None)
    chain: list[str] = []
    seen: set[Path] = set()
    while path is not None and path not in seen:
        seen.add(path)
        try:
            with path.open("rb") as fh:
                tree = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError):
            break  # loading the scenario names the problem
        for n in (tree.get("name"), path.stem):
            if isinstance(n, str) and n not in chain:
                chain.append(n)
        parent = tree.get("extends")
        path = _locate(parent, path.parent) if isinstance(parent, str) else None
    return tuple(chain)


def keys_overlap(a: str, b: str) -> bool:
    """Whether two key paths set the same value ('*' matches any part; a table its keys)."""
    pa, pb = a.split("."), b.split(".")
    return all(x == y or "*" in (x, y) for x, y in zip(pa, pb, strict=False))


def make_plan(posterior: Posterior, draws: Sequence[PosteriorDraw],
              chains: Mapping[str, Sequence[str]],
              explicit: Mapping[str, Sequence[tuple[str, str]]] | None = None,
              bases: Mapping[str, Any] | None = None) -> PosteriorPlan:
    """The overrides of every draw for every scenario, checked; warnings in ``notes``.

    Args:
        posterior: The posterior.
        draws: The drawn particles.
        chains: Per scenario name, its ``extends`` chain (itself first).
        explicit: Per scenario name, ``(key path, where it is set)`` of the values set
            explicitly (``--set``, a variant, a spec's ``[set]``, a varied parameter):
            a parameter whose key overlaps one is left out of that scenario.
        bases: Per scenario name, the scenario the overrides go onto; each draw's
            overrides are validated on it (default: not validated here).

    Returns:
        The :class:`~collabsim.experiments.records.PosteriorPlan`.

    Raises:
        PosteriorError: when no parameter applies to any scenario, or a drawn
            particle's values are invalid for a scenario (one line per problem).
    """
    from collabsim.scenario import ScenarioError, resolve

    explicit = explicit or {}
    where = posterior.path / POSTERIOR_FILE
    notes: list[str] = []
    used: set[str] = set()
    skips: dict[str, set[str]] = {}
    for name, chain in chains.items():
        skips[name] = set()
        for p in posterior.applying(chain):
            hit = [(k, w) for k in p.keys for (e, w) in explicit.get(name, ())
                   if keys_overlap(k, e)]
            if hit:
                skips[name].add(p.name)
                notes.append(f"posterior {posterior.path}: parameter {p.name} "
                             f"({', '.join(p.keys)}) is set by {hit[0][1]} in {name}; the "
                             "posterior's value is not used there")
            else:
                used.add(p.name)
    applying = {p.name for chain in chains.values() for p in posterior.applying(chain)}
    if not applying:
        raise PosteriorError(
            f"{posterior.path}: none of the posterior's parameters "
            f"({', '.join(posterior.names)}) applies to the scenarios "
            f"{', '.join(chains)}; their priors name the scenarios "
            f"{', '.join(sorted({s for p in posterior.parameters for s in p.scenarios or ()}))}"
            " (a scenario counts with every scenario it extends)")
    for p in posterior.parameters:
        if p.name not in applying:
            notes.insert(0, f"posterior {posterior.path}: parameter {p.name} applies to none of "
                         f"the scenarios {', '.join(chains)} (its prior names "
                         f"{', '.join(p.scenarios or ())}); it is not used")
    overrides = {name: tuple(posterior.overrides(d, chain, skips[name]) for d in draws)
                 for name, chain in chains.items()}
    problems: list[str] = []
    for name, sc in (bases or {}).items():
        tree = sc.model_dump(exclude_none=True)
        for d, ov in zip(draws, overrides[name], strict=True):
            origin = f"{where}: particle {d.particle} (draw {d.draw}) in scenario {name}"
            try:
                resolve(tree, ov, origin)
            except ScenarioError as exc:
                problems.extend(exc.problems)
                break  # one draw tells the problem
    if problems:
        raise PosteriorError(list(dict.fromkeys(problems)))
    identity = {**posterior.identity(), "used": sorted(used)}
    return PosteriorPlan(identity, tuple(draws), overrides, tuple(posterior.names),
                         tuple(notes))


def plan_for_experiment(posterior: Posterior, experiment: Any, draws: int) -> PosteriorPlan:
    """The posterior draws a sweep runs every design point over, checked against its spec.

    The particles are drawn from the spec's ``root_seed``. A parameter whose key the
    spec's ``[set]`` or one of its varied parameters sets is left out (a warning in
    the plan's ``notes``): the design's values are the experiment.

    Args:
        posterior: The posterior.
        experiment: The loaded :class:`~collabsim.experiments.Experiment`.
        draws: Draws per design point (at least 2).

    Returns:
        The plan (give it to ``Experiment.with_posterior``).

    Raises:
        PosteriorError: as :func:`make_plan`, and for fewer than 2 draws.
    """
    if draws < 2:
        raise PosteriorError(f"--draws: at least 2 draws tell parameter uncertainty from "
                             f"noise (got {draws})")
    origin = Path(experiment.origin)
    base_dir = origin.parent if origin.is_file() else None
    fixed = [(k, "the spec's [set]") for k in experiment.spec.fixed]
    varied = [(k, f"the varied parameter {p.name}") for p in experiment.parameters
              for k in p.keys]
    chains, explicit, bases = {}, {}, {}
    for src, sc in zip(experiment.spec.scenarios, experiment.scenarios, strict=True):
        chains[sc.name] = tuple(dict.fromkeys((sc.name, *scenario_chain(src, base_dir))))
        explicit[sc.name] = fixed + varied
        bases[sc.name] = sc
    drawn = posterior.draw(draws, experiment.spec.root_seed)
    plan = make_plan(posterior, drawn, chains, explicit, bases)
    if experiment.spec.replications < 2:
        note = (f"{experiment.origin}: replications = 1: with one run per draw the noise cannot "
                "be told from the parameters (the split of uncertainty will be n/a); give "
                "--replications 2 or more")
        plan = dataclasses.replace(plan, notes=(*plan.notes, note))
    return plan

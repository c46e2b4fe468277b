"""Calibration specs: priors on scenario key paths, the patterns fitted, the ABC settings.

A spec (``calibration/jambi.toml``)::

    name = "jambi"
    patterns = "patterns.toml"          # relative to the spec
    scenarios = ["pbg", "spp_irt"]      # every pattern of these scenarios is used
    replications = 2                    # runs per particle and scenario (their mean is fitted)
    root_seed = 2026
    n_citizens = 1000

    [abc]
    population_size = 40
    max_generations = 6
    budget = 2000                       # maximum model runs (all sessions; --budget)

    [priors.pbg_value_of_time]
    keys = ["licensing.value_of_time"]  # default: the prior's name is the key path
    scenarios = ["pbg"]                 # default: every scenario of the spec
    distribution = "loguniform"         # uniform | loguniform
    bounds = [5, 80]

Everything is checked when the spec loads, each problem one line naming the file,
the key path and what is allowed: unknown keys, key paths the schema lacks or a
scenario does not have, bounds outside the schema's ``ge``/``le`` range (through
:func:`collabsim.scenario.schema.walk_schema`, like experiment ranges), bounds a
scenario rejects, unknown patterns, metrics and series.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from collabsim.calibration._schema import Closed, format_errors, read_toml
from collabsim.calibration.patterns import Pattern, PatternError, load_patterns
from collabsim.errors import CollabsimError
from collabsim.rng import MAX_SEED

__all__ = [
    "CALIBRATION_DIR",
    "ABCSettings",
    "Calibration",
    "CalibrationError",
    "CalibrationSpec",
    "Prior",
    "PriorSpec",
    "load_calibration",
]

#: Where the shipped calibration specs and patterns live.
CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "calibration"


class CalibrationError(CollabsimError):
    """An invalid calibration spec; one line per problem (file, key path, what is allowed)."""


class PriorSpec(Closed):
    """A prior on one parameter (one value written to one or more key paths)."""

    keys: list[str] | None = Field(None, min_length=1, description="Key paths set to the "
                                   "value (default: the prior's name)")
    scenarios: list[str] | None = Field(None, min_length=1, description="Scenarios it applies "
                                        "to (default: every scenario of the spec)")
    distribution: Literal["uniform", "loguniform"] = "uniform"
    bounds: list[float] = Field(..., min_length=2, max_length=2, description="[low, high]")

    @model_validator(mode="after")
    def _bounds(self) -> PriorSpec:
        lo, hi = self.bounds
        if not lo < hi:
            raise ValueError(f"bounds must be [low, high] with low < high (got {self.bounds})")
        if self.distribution == "loguniform" and lo <= 0:
            raise ValueError(f"a loguniform prior needs low > 0 (got {self.bounds})")
        return self


class ABCSettings(Closed):
    """ABC-SMC settings."""

    population_size: int = Field(40, ge=2, le=100_000, description="Particles per generation")
    max_generations: int = Field(6, ge=1, le=1000, description="Generations at most")
    min_epsilon: float = Field(0.0, ge=0, description="Stop once the threshold is below this")
    budget: int = Field(2000, ge=1, description="Maximum model runs, all sessions together")
    nan_penalty: float = Field(5.0, gt=0, description="Deviation (tolerances) of a pattern a "
                               "run leaves undefined")
    predictive_draws: int = Field(30, ge=2, le=100_000, description="Posterior draws run for "
                                  "the validation table")
    unconstrained_ratio: float = Field(0.8, gt=0, le=1, description="A parameter whose 90 % "
                                       "posterior interval keeps more than this share of its "
                                       "prior's is reported as not constrained")


class CalibrationSpec(Closed):
    """A calibration spec as written in the file."""

    name: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    patterns: str = Field("patterns.toml", description="Patterns file (relative to the spec)")
    scenarios: list[str] = Field(..., min_length=1)
    fit: list[str] | None = Field(None, description="Patterns fitted (default: every pattern "
                                  "of the scenarios not held out)")
    replications: int = Field(1, ge=1, le=1000, description="Runs per particle and scenario")
    root_seed: int = Field(0, ge=0, le=MAX_SEED)
    n_citizens: int | None = Field(None, ge=10)
    steps: int | None = Field(None, ge=1)
    abc: ABCSettings = Field(default_factory=ABCSettings)
    priors: dict[str, PriorSpec] = Field(..., min_length=1)


@dataclass(frozen=True)
class Prior:
    """A checked prior.

    Attributes:
        name: Its name in the spec, also its column in ``posterior.parquet``.
        keys: The key paths its value is written to.
        scenarios: The scenarios it applies to.
        kind: ``float`` or ``int`` (an integer is drawn as a float and floored).
        distribution: ``uniform`` or ``loguniform``.
        low: The lower bound.
        high: The upper bound.
    """

    name: str
    keys: tuple[str, ...]
    scenarios: tuple[str, ...]
    kind: str
    distribution: str
    low: float
    high: float

    def value(self, x: float) -> float | int:
        """The scenario value for a drawn ``x``."""
        x = float(x)
        return int(min(math.floor(x), self.high)) if self.kind == "int" else x

    def quantile(self, q: float) -> float:
        """The prior's ``q`` quantile."""
        if self.distribution == "loguniform":
            return math.exp(math.log(self.low) + q * (math.log(self.high) - math.log(self.low)))
        return self.low + q * (self.high - self.low)


@dataclass
class Calibration:
    """A loaded, checked calibration.

    Attributes:
        spec: The parsed spec.
        origin: The file it came from.
        scenarios: The base scenarios by name.
        patterns: Every pattern of those scenarios.
        fitted: The names of the patterns fitted.
        priors: The priors, in spec order.
    """

    spec: CalibrationSpec
    origin: str
    scenarios: dict[str, Any]
    patterns: list[Pattern]
    fitted: list[str]
    priors: list[Prior]
    raw_patterns: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """The spec's name."""
        return self.spec.name

    @property
    def fitted_patterns(self) -> list[Pattern]:
        """The patterns fitted, in file order."""
        return [p for p in self.patterns if p.name in self.fitted]

    @property
    def fit_scenarios(self) -> list[str]:
        """The scenarios a particle runs (those of the fitted patterns), in spec order."""
        used = {p.scenario for p in self.fitted_patterns}
        return [s for s in self.scenarios if s in used]

    @property
    def runs_per_particle(self) -> int:
        """Model runs per particle: replications × fitted scenarios."""
        return self.spec.replications * len(self.fit_scenarios)

    def spec_dict(self) -> dict[str, Any]:
        """The spec as loaded (for the manifest)."""
        return self.spec.model_dump(mode="json")

    def spec_hash(self) -> str:
        """A hash of the spec and its patterns: a resumed calibration must have the same."""
        text = json.dumps({"spec": self.spec_dict(), "patterns": self.raw_patterns},
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def overrides(self, params: Mapping[str, float], scenario: str) -> dict[str, Any]:
        """The key-path overrides a particle's parameters give one scenario."""
        out: dict[str, Any] = {}
        for p in self.priors:
            if scenario in p.scenarios and p.name in params:
                out.update(dict.fromkeys(p.keys, p.value(params[p.name])))
        return out


# ---------------------------------------------------------------------- checks
def _path_problem(tree: Any, path: str) -> str | None:
    """Why a key path is absent from a scenario tree ('*' matches every item), or None."""
    node, done = tree, []
    parts = path.split(".")
    for i, part in enumerate(parts):
        if part == "*":
            items = node.values() if isinstance(node, dict) else node if isinstance(
                node, list) else None
            if not items:
                return f"{'.'.join(done) or 'the scenario'} has nothing for '*' to match"
            rest = ".".join(parts[i + 1:])
            for sub in items:
                miss = _path_problem(sub, rest) if rest else None
                if miss:
                    return miss
            return None
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return f"{'.'.join(done)} has {len(node)} item(s), no item {part}"
            node = node[int(part)]
        elif isinstance(node, dict) and part in node and node[part] is not None:
            node = node[part]
        else:
            return f"{'.'.join([*done, part])} is not set in this scenario"
        done.append(part)
    return None


def _resolve_prior(name: str, ps: PriorSpec, scenarios: dict[str, Any], where: str
                   ) -> tuple[Prior | None, list[str]]:
    from collabsim.experiments.spec import schema_leaf
    from collabsim.scenario import ScenarioError, resolve

    keys = tuple(ps.keys or [name])
    names = tuple(ps.scenarios or scenarios)
    problems = [f"{where}: scenarios: {s!r} is not a scenario of the spec; allowed: "
                f"{', '.join(scenarios)}" for s in names if s not in scenarios]
    kinds: set[str] = set()
    for key in keys:
        try:
            leaf = schema_leaf(key)
        except ValueError as exc:
            problems.append(f"{where}: {key}: {exc}")
            continue
        kinds.add(leaf.kind)
        if leaf.kind not in ("float", "int"):
            problems.append(f"{where}: {key} is {leaf.kind}; a prior needs a numeric key")
        lo, hi = leaf.low, leaf.high
        if (lo is not None and ps.bounds[0] < lo) or (hi is not None and ps.bounds[1] > hi):
            problems.append(f"{where}: bounds {ps.bounds} outside the schema's range "
                            f"{leaf.range_text()} of {key}")
        for s in names:
            if s in scenarios:
                miss = _path_problem(scenarios[s].model_dump(), key)
                if miss:
                    problems.append(f"{where}: {key}: not in scenario {s}: {miss}")
    if len(kinds) > 1:
        problems.append(f"{where}: keys have different types ({', '.join(sorted(kinds))})")
    if problems:
        return None, problems
    kind = kinds.pop()
    if kind == "int" and any(b != int(b) for b in ps.bounds):
        return None, [f"{where}: bounds of an integer key must be whole numbers "
                      f"(got {ps.bounds})"]
    prior = Prior(name, keys, names, kind, ps.distribution, *map(float, ps.bounds))
    for s in names:
        tree = scenarios[s].model_dump(exclude_none=True)
        for x in (prior.low, prior.high):
            try:
                resolve(tree, dict.fromkeys(keys, prior.value(x)), where)
            except ScenarioError as exc:
                detail = exc.problems[0].removeprefix(f"{where}: ")
                problems.append(f"{where}: bound {x:g} is invalid for scenario {s}: {detail}")
                break
    return (None if problems else prior), problems


def _known_columns(scenario: Any) -> tuple[set[str], set[str]]:
    """The time-series columns and summary outcomes a scenario's runs report."""
    import numpy as np
    import pandas as pd

    from collabsim.metrics import summarise
    from collabsim.model import CollabModel

    model = CollabModel(scenario, seed=0,
                        n_citizens=max(10, scenario.citizens.social_network.degree + 2))
    series = {k for k in model.reporters() if k != "day"}
    df = pd.DataFrame({k: np.ones(2) for k in series})
    return series, set(summarise(df, 1, 0))


def _check_patterns(patterns: list[Pattern], scenarios: dict[str, Any], origin: str
                    ) -> list[str]:
    from collabsim.experiments.spec import schema_leaf

    problems, known = [], {}
    for p in patterns:
        sc = scenarios[p.scenario]
        if p.scenario not in known:
            known[p.scenario] = _known_columns(sc)
        series, summary = known[p.scenario]
        for part, m in zip(("measure", "relative_to"), p.measures(), strict=False):
            where = f"{origin}: patterns.{p.name}.{part}"
            if m.metric is not None and m.metric not in summary:
                problems.append(f"{where}.metric: unknown summary outcome {m.metric!r} of "
                                f"{p.scenario}; allowed: {', '.join(sorted(summary))}")
            if m.series is not None and m.series not in series:
                problems.append(f"{where}.series: unknown series {m.series!r} of "
                                f"{p.scenario}; allowed: {', '.join(sorted(series))}")
            if m.scale_by is not None:
                try:
                    schema_leaf(m.scale_by)
                    miss = _path_problem(sc.model_dump(), m.scale_by)
                except ValueError as exc:
                    miss = str(exc)
                if miss:
                    problems.append(f"{where}.scale_by: {m.scale_by}: {miss}")
    return problems


def _read_spec(source: str | Path) -> tuple[dict[str, Any], Path]:
    path = Path(source)
    if not path.is_file() and not str(source).endswith(".toml"):
        shipped = CALIBRATION_DIR / f"{source}.toml"
        if shipped.is_file():
            path = shipped
    if not path.is_file():
        names = sorted(p.stem for p in CALIBRATION_DIR.glob("*.toml") if p.stem != "patterns")
        raise CalibrationError(f"{source}: no such calibration spec; shipped: "
                               f"{', '.join(names) or 'none'}")
    return read_toml(path, "calibration spec", CalibrationError), path


def load_calibration(source: str | Path | Mapping[str, Any], *,
                     base_dir: str | Path | None = None,
                     changes: Mapping[str, Any] | None = None) -> Calibration:
    """Load and check a calibration spec and its patterns, reporting every problem at once.

    Args:
        source: A TOML path, the name of a shipped spec (``"jambi"``), or the spec as a dict.
        base_dir: Where the patterns file and scenario paths are looked up (default:
            the spec file's directory; the shipped folder for a dict).
        changes: Top-level keys replaced before the spec is checked (the command
            line's cut: ``replications``, ``n_citizens``); they are part of the
            spec's hash, so a calibration continues only with the same cut.

    Returns:
        The checked :class:`Calibration`.

    Raises:
        CalibrationError: one line per problem (file, key path, what is allowed).
    """
    from collabsim.scenario import ScenarioError, load_scenario

    if isinstance(source, Mapping):
        raw, origin = dict(source), "<calibration>"
        where = Path(base_dir) if base_dir is not None else CALIBRATION_DIR
    else:
        raw, path = _read_spec(source)
        origin = str(path)
        where = Path(base_dir) if base_dir is not None else path.parent
    if changes:
        raw = {**raw, **changes}
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        raise CalibrationError(format_errors(exc, origin, CalibrationSpec)) from None
    problems: list[str] = []
    scenarios: dict[str, Any] = {}
    for i, name in enumerate(spec.scenarios):
        src: str | Path = where / name if (where / name).is_file() else name
        try:
            sc = load_scenario(src)
        except ScenarioError as exc:
            problems.append(f"{origin}: scenarios.{i}: " + "; ".join(exc.problems))
            continue
        scenarios[sc.name] = sc
        if sc.name != name and Path(name).stem != sc.name:
            problems.append(f"{origin}: scenarios.{i}: {name} is named {sc.name!r}")
    pfile = where / spec.patterns
    try:
        all_patterns = load_patterns(pfile)
        raw_patterns = read_toml(pfile, "patterns file", PatternError)
    except PatternError as exc:
        raise CalibrationError(problems + exc.problems) from None
    patterns = [p for p in all_patterns if p.scenario in scenarios]
    names = {p.name for p in patterns}
    if spec.fit is None:
        fitted = [p.name for p in patterns if not p.held_out]
    else:
        fitted = list(dict.fromkeys(spec.fit))
        by_name = {p.name: p for p in all_patterns}
        for f in fitted:
            if f not in by_name:
                problems.append(f"{origin}: fit: unknown pattern {f!r}; allowed: "
                                f"{', '.join(p.name for p in patterns if not p.held_out)}")
            elif by_name[f].held_out:
                problems.append(f"{origin}: fit: pattern {f!r} is held out (held_out = true "
                                f"in {pfile}); held-out patterns are never fitted")
            elif f not in names:
                problems.append(f"{origin}: fit: pattern {f!r} is of scenario "
                                f"{by_name[f].scenario!r}, not one of the spec's scenarios")
    if not fitted and not problems:
        problems.append(f"{origin}: no pattern to fit: the scenarios {', '.join(scenarios)} "
                        f"have no pattern with held_out = false in {pfile}")
    if len(scenarios) == len(spec.scenarios):
        problems += _check_patterns(patterns, scenarios, str(pfile))
    priors = []
    fit_scen = {p.scenario for p in patterns if p.name in fitted}
    for name, ps in spec.priors.items():
        shown = f'"{name}"' if "." in name else name
        label = f"{origin}: priors.{shown}"
        if len(scenarios) != len(spec.scenarios):
            continue
        prior, probs = _resolve_prior(name, ps, scenarios, label)
        problems += probs
        if prior is not None:
            if not set(prior.scenarios) & fit_scen:
                problems.append(f"{label}: applies to no fitted scenario "
                                f"({', '.join(prior.scenarios)}); fitted: "
                                f"{', '.join(sorted(fit_scen)) or 'none'}")
            priors.append(prior)
    if problems:
        raise CalibrationError(list(dict.fromkeys(problems)))
    return Calibration(spec, origin, scenarios, patterns, fitted, priors, raw_patterns)

"""Experiment specs: TOML files read into a closed schema and checked against the scenario's.

A spec names base scenario(s), fixed overrides (``[set]``), the parameters an
experiment varies (key paths into the scenario, with ``levels`` or ``bounds``),
a sampler, replications, a root seed, the run length and the metrics to keep::

    name = "demo"
    scenarios = ["pbg"]
    replications = 10
    root_seed = 2026
    steps = 730
    metrics = ["applications_submitted", "levy_target_share"]

    [sampler]
    method = "grid"                 # grid | lhs | sobol | morris

    [parameters."agencies.*.leader_commitment"]
    levels = [0.3, 0.8]

Everything is checked when the spec loads, so a sweep never dies at run 4,000
for a typo: unknown keys, key paths the schema does not have (or a base scenario
lacks), ranges outside the schema's ``ge``/``le`` bounds, values a base scenario
rejects, unknown samplers and unknown metrics. Each problem is one line naming
the file, the key path and what is allowed (a :class:`SpecError`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from collabsim.errors import CollabsimError
from collabsim.experiments.records import (
    DRAW_COLUMN,
    PARTICLE_COLUMN,
    POSTERIOR_PREFIX,
    Parameter,
    PosteriorPlan,
    format_errors,
    loc_text,
)
from collabsim.experiments.samplers import salib_problem, sample_points
from collabsim.rng import MAX_SEED, replicate_seeds
from collabsim.scenario import Scenario, ScenarioError, load_scenario, resolve
from collabsim.scenario.schema import walk_schema

__all__ = [
    "EXPERIMENT_DIR",
    "Experiment",
    "ExperimentSpec",
    "Parameter",
    "SpecError",
    "load_experiment",
    "schema_leaf",
]

#: Where the shipped experiment specs live (``load_experiment("pbg_preparedness_grid")``).
EXPERIMENT_DIR = Path(__file__).resolve().parents[2] / "experiments"

SAMPLERS = ("grid", "lhs", "sobol", "morris")


class SpecError(CollabsimError):
    """An invalid experiment spec; one line per problem (file, key path, what is allowed)."""


# ----------------------------------------------------------------- the spec schema
class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ParameterSpec(_Closed):
    """One varied parameter: the key path(s) it sets and its levels or bounds."""

    keys: list[str] | None = Field(
        None, min_length=1, description="Key paths set to the parameter's value (default: the "
        "parameter's own name, which is then a key path)")
    levels: list[Any] | None = Field(None, min_length=1, description="Values (grid sampler)")
    bounds: list[float] | None = Field(None, min_length=2, max_length=2,
                                       description="[low, high] of a range")
    points: int | None = Field(None, ge=2, le=1000,
                               description="Grid points over bounds (grid sampler only)")

    @model_validator(mode="after")
    def _levels_or_bounds(self) -> ParameterSpec:
        if (self.levels is None) == (self.bounds is None):
            raise ValueError("give exactly one of levels = [...] or bounds = [low, high]")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise ValueError(f"bounds must be [low, high] with low < high (got {self.bounds})")
        if self.points is not None and self.bounds is None:
            raise ValueError("points goes with bounds (a grid over a range)")
        return self


class GridSampler(_Closed):
    """Full factorial over every parameter's levels (the last parameter varies fastest)."""

    method: Literal["grid"]


class LatinSampler(_Closed):
    """Latin hypercube (SALib ``latin.sample``)."""

    method: Literal["lhs"]
    n: int = Field(..., ge=1, le=10_000_000, description="Number of samples")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Default: from root_seed")


class SobolSampler(_Closed):
    """Saltelli's extension of the Sobol' sequence (SALib ``sobol.sample``)."""

    method: Literal["sobol"]
    n: int = Field(..., ge=2, le=1_048_576, description="Base sample size N (a power of two)")
    calc_second_order: bool = Field(False, description="Rows for second-order indices too")
    scramble: bool = True
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Default: from root_seed")

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            lo = 1 << (n.bit_length() - 1)
            raise ValueError(f"must be a power of two for Sobol sampling (try {lo} or {lo * 2})")
        return n


class MorrisSampler(_Closed):
    """Morris trajectories (SALib ``morris.sample``)."""

    method: Literal["morris"]
    trajectories: int = Field(..., ge=2, le=100_000, description="Number of trajectories N")
    num_levels: int = Field(4, ge=2, le=100, description="Grid levels (even)")
    optimal_trajectories: int | None = Field(None, ge=2, le=1000)
    local_optimization: bool = True
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Default: from root_seed")

    @field_validator("num_levels")
    @classmethod
    def _even(cls, n: int) -> int:
        if n % 2:
            raise ValueError("must be even")
        return n

    @model_validator(mode="after")
    def _fewer_optimal(self) -> MorrisSampler:
        if self.optimal_trajectories is not None and \
                self.optimal_trajectories >= self.trajectories:
            raise ValueError("optimal_trajectories must be below trajectories")
        return self


SamplerSpec = Annotated[GridSampler | LatinSampler | SobolSampler | MorrisSampler,
                        Field(discriminator="method")]


class ExperimentSpec(_Closed):
    """A whole experiment, as written in ``experiments/*.toml``."""

    name: str = Field(..., min_length=1, description="Short name (default output directory)")
    description: str = ""
    scenarios: list[str] = Field(..., min_length=1,
                                 description="Base scenarios: preset names or TOML paths")
    replications: int = Field(1, ge=1, le=100_000, description="Runs per parameter point")
    root_seed: int = Field(0, ge=0, le=MAX_SEED, description="Root of every run seed "
                           "(default 0; the value used is written into the manifest)")
    seeds: Literal["common", "independent"] = Field(
        "common", description="common: replicate r has the same seed at every point and "
        "scenario (common random numbers); independent: every run its own seed")
    steps: int | None = Field(None, ge=1, le=36_500, description="Days (default: scenario's)")
    parameters_from: Literal["beginning", "start"] = Field(
        "beginning", description="beginning: the parameters hold for the whole run, burn-in "
        "included; start: they are changed on each scenario's collaboration start (an "
        "intervention), from the steady state the runs on one seed share, so that history "
        "is simulated once per worker and copied")
    n_citizens: int | None = Field(None, ge=10, le=5_000_000,
                                   description="Citizens (default: scenario's)")
    metrics: list[str] | None = Field(None, description="Time-series metrics kept (default all)")
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set",
                                  description="Overrides applied to every run")
    sampler: SamplerSpec
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _sampler_alias(cls, data: Any) -> Any:
        sampler = data.get("sampler") if isinstance(data, dict) else None
        if isinstance(sampler, dict) and sampler.get("method") == "latin":
            data = {**data, "sampler": {**sampler, "method": "lhs"}}
        return data

    @model_validator(mode="after")
    def _needs_parameters(self) -> ExperimentSpec:
        if self.sampler.method != "grid" and not self.parameters:
            raise ValueError(f"the {self.sampler.method} sampler needs at least one parameter")
        return self


_SAMPLER_MODELS = {"grid": GridSampler, "lhs": LatinSampler, "sobol": SobolSampler,
                   "morris": MorrisSampler}


# ---------------------------------------------------------- key paths in the scenario
@dataclass(frozen=True)
class Leaf:
    """Where a key path ends in the scenario schema.

    Attributes:
        path: The key path.
        kind: ``"float"``, ``"int"``, ``"bool"``, ``"str"`` or ``"value"`` (anything else).
        low: The schema's lower bound, or None.
        high: The schema's upper bound, or None.
        choices: The allowed values of a ``Literal`` field, or None.
    """

    path: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None

    def range_text(self) -> str:
        """The schema's range as text, e.g. ``0–1``."""
        lo = "−∞" if self.low is None else f"{self.low:g}"
        hi = "∞" if self.high is None else f"{self.high:g}"
        return f"{lo}–{hi}"


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _bounds(info: FieldInfo | None) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata if info is not None else ():
        if isinstance(m, annotated_types.Ge | annotated_types.Gt):
            lo = float(getattr(m, "ge", getattr(m, "gt", None)))
        elif isinstance(m, annotated_types.Le | annotated_types.Lt):
            hi = float(getattr(m, "le", getattr(m, "lt", None)))
    return lo, hi


def _kind(tp: Any) -> tuple[str, tuple[Any, ...] | None]:
    if tp is bool:
        return "bool", None
    if tp is int:
        return "int", None
    if tp is float:
        return "float", None
    if tp is str:
        return "str", None
    if typing.get_origin(tp) is Literal:
        return "str", typing.get_args(tp)
    return "value", None


def schema_leaf(path: str) -> Leaf:
    """Follow a dotted key path through the :class:`Scenario` schema.

    ``*`` matches every key of a keyed table (``agencies.*.resources``) or every
    item of a list; one list item is named by its index
    (``licensing.stages.1.service_days``).

    Args:
        path: The key path.

    Returns:
        The :class:`Leaf` the path ends at, with the schema's bounds.

    Raises:
        ValueError: with a one-line reason (unknown key, a table where a value
            is needed, ``*`` on a list).
    """
    try:
        tp, info = walk_schema(path)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if _is_model(tp) or typing.get_origin(tp) is dict:
        raise ValueError(f"{path} is a table, not a value")
    kind, choices = _kind(tp)
    lo, hi = _bounds(info)
    return Leaf(path, kind, lo, hi, choices)


def _missing_in(tree: Any, parts: list[str], done: tuple[str, ...] = ()) -> str | None:
    """The first prefix of a key path absent from a scenario tree, or None."""
    if not parts:
        return None
    head, rest = parts[0], parts[1:]
    here = ".".join(done) or "the scenario"
    if isinstance(tree, list):
        if head == "*":
            tree = dict(enumerate(tree))
        elif not head.isdigit() or int(head) >= len(tree):
            return f"{here} has {len(tree)} item(s), no item {head}"
        else:
            return _missing_in(tree[int(head)], rest, (*done, head))
    if not isinstance(tree, dict):
        return f"{here} is not set in this scenario"
    if head == "*":
        if not tree:
            return f"{here} is empty: '*' matches nothing"
        for k, sub in tree.items():
            miss = _missing_in(sub, rest, (*done, str(k)))
            if miss:
                return miss
        return None
    if head not in tree:
        keys = ", ".join(map(str, tree)) or "none"
        return f"{'.'.join((*done, head))} does not exist (keys here: {keys})"
    return _missing_in(tree[head], rest, (*done, head))


# --------------------------------------------------------------------- the experiment
@dataclass
class Experiment:
    """A loaded, checked experiment: what :func:`~collabsim.experiments.run_experiment` runs.

    Attributes:
        spec: The parsed spec.
        origin: The file it came from (for messages).
        scenarios: The base scenarios with the ``[set]`` overrides applied.
        parameters: The varied parameters, in spec order.
        metrics: The time-series metrics kept.
        posterior: Posterior draws every design point runs over (``--posterior``),
            or None; see :meth:`with_posterior`.
    """

    spec: ExperimentSpec
    origin: str
    scenarios: list[Scenario]
    parameters: list[Parameter]
    metrics: list[str]
    posterior: PosteriorPlan | None = None
    _design: pd.DataFrame | None = field(default=None, repr=False)

    def with_posterior(self, plan: PosteriorPlan | None) -> Experiment:
        """The experiment run over a posterior's draws: each point × each draw × replications.

        Args:
            plan: The draws and their overrides per base scenario
                (:func:`collabsim.calibration.posterior.plan_for_experiment`), or None.

        Returns:
            A copy whose design has the draws (``posterior_draw``, ``posterior_particle``
            and the particle's ``posterior:NAME`` columns).
        """
        import dataclasses

        return dataclasses.replace(self, posterior=plan, _design=None)

    def posterior_hash(self) -> str | None:
        """SHA-256 of the posterior draws (None without): a resumed sweep must have the same."""
        return self.posterior.hash() if self.posterior is not None else None

    @property
    def n_draws(self) -> int:
        """Posterior draws per design point (1 without a posterior)."""
        return len(self.posterior.draws) if self.posterior is not None else 1

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.spec.name

    @property
    def sampler(self) -> str:
        """The sampler's method: ``grid``, ``lhs``, ``sobol`` or ``morris``."""
        return self.spec.sampler.method

    def spec_dict(self) -> dict[str, Any]:
        """The full parsed spec, JSON-ready (as written in the manifest)."""
        return self.spec.model_dump(mode="json", by_alias=True)

    def spec_hash(self) -> str:
        """SHA-256 of everything in the spec that changes results (not name or description)."""
        d = self.spec_dict()
        d.pop("name")
        d.pop("description")
        return _hash(d)

    def scenario_hashes(self) -> dict[str, str]:
        """SHA-256 of each fully resolved base scenario (a changed preset changes results)."""
        return {sc.name: _hash(sc.model_dump(mode="json")) for sc in self.scenarios}

    def problem(self) -> dict[str, Any] | None:
        """The SALib problem (``num_vars``, ``names``, ``bounds``); None for a grid."""
        return None if self.sampler == "grid" else salib_problem(self.parameters)

    def points(self) -> pd.DataFrame:
        """The parameter points: one row per sample (SALib's row order), one column each."""
        return sample_points(self.spec.sampler, self.parameters, self.spec.root_seed)

    def design(self) -> pd.DataFrame:
        """Every run: ``run_id``, ``scenario``, ``sample``, ``replicate``, ``seed``, parameters.

        Runs are ordered scenario, then sample, then (over a posterior) draw, then
        replicate; ``run_id`` is the row number. With ``seeds = "common"`` replicate
        ``r`` has the same seed at every point, in every scenario and every draw.
        Over a posterior the draw's columns follow ``seed``: ``posterior_draw``,
        ``posterior_particle`` and the particle's values (``posterior:NAME``).
        """
        if self._design is None:
            self._design = _build_design(self)
        return self._design

    def design_hash(self) -> str:
        """SHA-256 of the design table (detects a sampler that changed between sessions)."""
        d = self.design()
        h = hashlib.sha256(pd.util.hash_pandas_object(d, index=False).to_numpy().tobytes())
        h.update(",".join(map(str, d.columns)).encode())
        return h.hexdigest()

    @property
    def n_runs(self) -> int:
        """Number of runs in the design."""
        return len(self.design())


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _build_design(exp: Experiment) -> pd.DataFrame:
    points = exp.points()
    n_s, n_p, n_d, reps = len(exp.scenarios), len(points), exp.n_draws, exp.spec.replications
    n = n_s * n_p * n_d * reps
    idx = pd.RangeIndex(n)
    scen = idx // (n_p * n_d * reps)
    sample = (idx // (n_d * reps)) % n_p
    draw = (idx // reps) % n_d
    rep = idx % reps
    if exp.spec.seeds == "common":
        seeds = pd.Series(replicate_seeds(exp.spec.root_seed, reps), dtype="int64").to_numpy()[rep]
    else:
        seeds = pd.Series(replicate_seeds(exp.spec.root_seed, n), dtype="int64").to_numpy()
    design = pd.DataFrame({
        "run_id": pd.Series(idx, dtype="int64"),
        "scenario": pd.Series([exp.scenarios[i].name for i in scen], dtype=str),
        "sample": pd.Series(sample, dtype="int64"),
        "replicate": pd.Series(rep, dtype="int64"),
        "seed": pd.Series(seeds, dtype="int64"),
    })
    if exp.posterior is not None:
        draws = exp.posterior.draws
        d = draw.to_numpy()
        design[DRAW_COLUMN] = pd.Series(d, dtype="int64")
        design[PARTICLE_COLUMN] = pd.Series([draws[i].particle for i in d], dtype="int64")
        for name in exp.posterior.parameters:
            values = [dr.values[name] for dr in draws]
            design[f"{POSTERIOR_PREFIX}{name}"] = pd.Series(values, dtype="float64").to_numpy()[d]
    for col in points.columns:
        design[col] = points[col].to_numpy()[design["sample"].to_numpy()]
    return design


# ---------------------------------------------------------------------- loading
_loc_text = loc_text


def _allowed(loc: tuple[Any, ...]) -> list[str]:
    if not loc:
        return [f.alias or n for n, f in ExperimentSpec.model_fields.items()]
    if loc[0] == "sampler":
        model = _SAMPLER_MODELS.get(str(loc[1])) if len(loc) > 1 else None
        return list(model.model_fields) if model else []
    if loc[0] == "parameters" and len(loc) == 2:
        return list(ParameterSpec.model_fields)
    return []


def _shown_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    if loc[:1] == ("sampler",) and len(loc) > 1 and loc[1] in _SAMPLER_MODELS:
        return ("sampler", *loc[2:])  # drop the discriminator pydantic adds
    return loc


def _sampler_error(err: dict[str, Any]) -> str | None:
    if err["type"] not in ("union_tag_invalid", "union_tag_not_found"):
        return None
    got = err.get("input", {})
    got = got.get("method") if isinstance(got, dict) else got
    return (f"sampler.method: unknown sampler {got!r}; allowed: {', '.join(SAMPLERS)} "
            "(latin = lhs)")


def _format_errors(exc: ValidationError, origin: str) -> list[str]:
    return format_errors(exc, origin, ExperimentSpec, allowed=_allowed, shown=_shown_loc,
                         special=_sampler_error)


def _read_spec_file(source: str | Path) -> tuple[dict[str, Any], Path]:
    path = Path(source)
    if not path.is_file() and not str(source).endswith(".toml"):
        shipped = EXPERIMENT_DIR / f"{source}.toml"
        if shipped.is_file():
            path = shipped
    if not path.is_file():
        shipped = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.toml"))
        raise SpecError(f"{source}: no such experiment spec; shipped: "
                        f"{', '.join(shipped) or 'none'}")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh), path
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None


def _load_bases(scenarios: list[str], origin: str, base_dir: Path | None
                ) -> tuple[list[Scenario], list[str]]:
    bases, problems = [], []
    for i, name in enumerate(scenarios):
        source: str | Path = name
        if base_dir is not None and (base_dir / name).is_file():
            source = base_dir / name
        try:
            bases.append(load_scenario(source))
        except ScenarioError as exc:
            problems.append(f"{origin}: scenarios.{i}: " + "; ".join(exc.problems))
    names = [b.name for b in bases]
    if len(set(names)) != len(names):
        problems.append(f"{origin}: scenarios: scenario names must differ "
                        f"(got {', '.join(names)})")
    return bases, problems


def _check_paths(paths: list[str], bases: list[Scenario], where: str) -> list[str]:
    problems = []
    for path in paths:
        try:
            schema_leaf(path)
        except ValueError as exc:
            problems.append(f"{where}: {path}: {exc}")
            continue
        for sc in bases:
            miss = _missing_in(sc.model_dump(), path.split("."))
            if miss:
                problems.append(f"{where}: {path}: not in scenario {sc.name}: {miss}")
    return problems


def _resolve_parameter(name: str, ps: ParameterSpec, sampler: str | None, where: str
                       ) -> tuple[Parameter | None, list[str]]:
    """The parameter checked against the schema (``sampler`` None: the spec's is invalid)."""
    keys = tuple(ps.keys or [name])
    leaves = [schema_leaf(k) for k in keys]
    kinds = {lf.kind for lf in leaves}
    if len(kinds) > 1:
        return None, [f"{where}: keys have different types ({', '.join(sorted(kinds))})"]
    kind = kinds.pop()
    lows = [lf.low for lf in leaves if lf.low is not None]
    highs = [lf.high for lf in leaves if lf.high is not None]
    lo, hi = (max(lows) if lows else None), (min(highs) if highs else None)
    problems = []
    continuous = sampler is not None and sampler != "grid"
    if continuous and ps.levels is not None:
        problems.append(f"{where}: levels work with the grid sampler only; the {sampler} "
                        "sampler needs bounds = [low, high]")
    if continuous and ps.points is not None:
        problems.append(f"{where}: points works with the grid sampler only")
    if ps.bounds is not None and kind not in ("float", "int"):
        problems.append(f"{where}: bounds need a numeric key ({keys[0]} is {kind}); "
                        "use levels with the grid sampler")
    if sampler == "grid" and ps.bounds is not None and ps.points is None:
        problems.append(f"{where}: a grid over bounds needs points = N (or give levels)")
    if problems:
        return None, problems
    levels = None
    if ps.levels is not None:
        levels, problems = _coerce_levels(ps.levels, kind, leaves[0], where)
        if problems:
            return None, problems
    values = list(levels) if levels is not None else list(ps.bounds)
    numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if kind in ("float", "int") and numeric and (
            (lo is not None and min(numeric) < lo) or (hi is not None and max(numeric) > hi)):
        what = "bounds" if ps.bounds is not None else "levels"
        rng = leaves[0].range_text() if len(leaves) == 1 else f"{lo:g}–{hi:g}"
        problems.append(f"{where}: {what} {values} outside the schema's range {rng} "
                        f"of {keys[0]}")
    if kind == "int" and ps.bounds is not None and any(b != int(b) for b in ps.bounds):
        problems.append(f"{where}: bounds of an integer key must be whole numbers "
                        f"(got {ps.bounds})")
    if problems:
        return None, problems
    bounds = tuple(ps.bounds) if ps.bounds is not None else None
    return Parameter(name, keys, kind, levels, bounds, ps.points, lo, hi), []


def _level_value(v: Any, kind: str, leaf: Leaf) -> tuple[bool, Any]:
    """Whether a level fits a key of ``kind``, and the level as that type."""
    number = isinstance(v, int | float) and not isinstance(v, bool)
    if kind == "float":
        return number, float(v) if number else v
    if kind == "int":
        return isinstance(v, int) and not isinstance(v, bool), v
    if kind == "bool":
        return isinstance(v, bool), v
    if kind == "str":
        return isinstance(v, str) and (leaf.choices is None or v in leaf.choices), v
    return True, v


def _coerce_levels(levels: list[Any], kind: str, leaf: Leaf, where: str
                   ) -> tuple[tuple[Any, ...] | None, list[str]]:
    out = []
    for v in levels:
        fits, value = _level_value(v, kind, leaf)
        if not fits:
            allowed = (f"one of {', '.join(map(repr, leaf.choices))}" if leaf.choices
                       else f"a {kind}")
            return None, [f"{where}: level {v!r} is not {allowed} ({leaf.path})"]
        out.append(value)
    if len(set(map(repr, out))) != len(out):
        return None, [f"{where}: levels repeat a value ({levels})"]
    return tuple(out), []


def _try_values(params: list[Parameter], bases: list[Scenario], n_citizens: int | None,
                origin: str) -> list[str]:
    """Each parameter's extremes (or levels) must give a valid scenario from every base."""
    problems = []
    extra = {"citizens.n": n_citizens} if n_citizens is not None else {}
    for p in params:
        for sc in bases:
            tree = sc.model_dump(exclude_none=True)
            for v in p.candidates():
                try:
                    resolve(tree, {**extra, **p.overrides(v)}, origin)
                except ScenarioError as exc:
                    detail = exc.problems[0].removeprefix(f"{origin}: ")
                    problems.append(f"{origin}: parameters.{_loc_text((p.name,))}: value "
                                    f"{v!r} is invalid for scenario {sc.name}: {detail}")
                    break
    return problems


#: Keys that shape the whole run, so no change on the collaboration start can set them.
_WHOLE_RUN_KEYS = ("steps", "collaboration_start", "burn_in_days", "citizens.n", "interventions")


def _check_from_start(params: list[Parameter], bases: list[Scenario], origin: str
                      ) -> list[str]:
    """With ``parameters_from = "start"`` every parameter must be a valid change on the start.

    The start must fall inside the run (``collaboration_start < steps``), and each
    parameter's values must pass as an intervention on that day (the same validated
    path a scenario's ``[[interventions]]`` take).
    """
    from collabsim.interventions import changed_on_start

    problems = []
    where = f"{origin}: parameters_from"
    for sc in bases:
        if sc.collaboration_start >= sc.steps:
            problems.append(f"{where}: 'start' needs the collaboration start inside the run, "
                            f"but scenario {sc.name} starts it on day {sc.collaboration_start} "
                            f"of {sc.steps} (set steps above it, or use 'beginning')")
    if problems:
        return problems
    for p in params:
        label = f"{origin}: parameters.{_loc_text((p.name,))}"
        keys = list(p.overrides(p.candidates()[0]))
        fixed = [k for k in keys if any(k == w or k.startswith(f"{w}.") for w in _WHOLE_RUN_KEYS)]
        if fixed:
            problems.append(f"{label}: {fixed[0]} shapes the whole run and cannot change on "
                            "the collaboration start (parameters_from = 'start'); allowed: "
                            "agency, officer and service values (or parameters_from = "
                            "'beginning')")
            continue
        for sc in bases:
            for v in p.candidates():
                try:
                    changed_on_start(sc, p.overrides(v), p.name)
                except ScenarioError as exc:
                    problems.append(f"{label}: value {v!r} is invalid as a change on the "
                                    f"collaboration start of {sc.name}: {exc.problems[0]}")
                    break
    return problems


def _known_metrics(bases: list[Scenario]) -> list[str]:
    """The time-series columns the base scenarios report (from the services' declarations)."""
    from collabsim import metrics
    from collabsim.services import SERVICES

    names: dict[str, None] = {}
    for sc in bases:
        present = [n for n, spec in SERVICES.items()
                   if (getattr(sc, n, None) if spec.builtin else sc.services.get(n)) is not None]
        names.update(dict.fromkeys(m.name for m in metrics.declared_metrics(present)))
    return list(names)


@dataclass
class _Parts:
    """The parts of a spec that parsed, for checking on even when others did not."""

    scenarios: list[str]
    fixed: dict[str, Any]
    parameters: dict[str, ParameterSpec]
    sampler: str | None
    n_citizens: int | None
    metrics: list[str] | None
    parameters_from: str = "beginning"

    @classmethod
    def of(cls, spec: ExperimentSpec) -> _Parts:
        # the spec's run length is the scenarios' too, so intervention days are checked
        # against the days the runs will have
        fixed = {**({"steps": spec.steps} if spec.steps is not None else {}), **spec.fixed}
        return cls(list(spec.scenarios), fixed, dict(spec.parameters),
                   spec.sampler.method, spec.n_citizens, spec.metrics, spec.parameters_from)

    @classmethod
    def salvage(cls, raw: Mapping[str, Any], exc: ValidationError) -> _Parts:
        """What can still be checked of a spec that failed validation."""
        locs = [tuple(e["loc"]) for e in exc.errors()]
        bad = {loc[0] for loc in locs if loc}
        bad_params = {loc[1] for loc in locs if len(loc) > 1 and loc[0] == "parameters"}

        def part(key: str, kind: type, default: Any) -> Any:
            value = raw.get(key, default)
            return value if key not in bad and isinstance(value, kind) else default

        params = {}
        for name, ps in part("parameters", dict, {}).items():
            if name not in bad_params:
                with contextlib.suppress(ValidationError):  # reported by the whole spec
                    params[name] = ParameterSpec.model_validate(ps)
        sampler = part("sampler", dict, {}).get("method")
        sampler = "lhs" if sampler == "latin" else sampler
        return cls(part("scenarios", list, []), part("set", dict, {}), params,
                   sampler if sampler in SAMPLERS else None,
                   part("n_citizens", int, None), part("metrics", list, None),
                   part("parameters_from", str, "beginning"))


def _check_parts(parts: _Parts, origin: str, where: Path | None
                 ) -> tuple[list[Scenario] | None, list[Parameter], list[str], list[str]]:
    """Every check of a spec's parts against the scenarios; each problem is collected.

    Returns:
        The base scenarios with ``[set]`` applied (None if they did not load),
        the parameters that resolved, the metrics known, and the problems.
    """
    bases0, problems = _load_bases(parts.scenarios, origin, where)
    set_problems = _check_paths(list(parts.fixed), bases0, f"{origin}: set")
    problems += set_problems
    bases: list[Scenario] | None = None
    if bases0 and not set_problems and len(bases0) == len(parts.scenarios):
        try:
            bases = [resolve(b.model_dump(exclude_none=True), parts.fixed, f"{origin}: set")
                     for b in bases0]
        except ScenarioError as exc:
            problems += exc.problems
    params: list[Parameter] = []
    for name, ps in parts.parameters.items():
        label = f"{origin}: parameters.{_loc_text((name,))}"
        # paths are checked against the bases with [set] applied (it may add list items,
        # e.g. an intervention whose day a parameter varies)
        path_problems = _check_paths(list(ps.keys or [name]), bases or bases0, label)
        problems += path_problems
        if not path_problems:
            p, probs = _resolve_parameter(name, ps, parts.sampler, label)
            problems += probs
            if p is not None:
                params.append(p)
    if bases is not None:
        problems += _try_values(params, bases, parts.n_citizens, origin)
        if parts.parameters_from == "start":
            problems += _check_from_start(params, bases, origin)
    known = _known_metrics(bases or bases0) if bases0 else []
    for m in parts.metrics or []:
        if known and m not in known:
            problems.append(f"{origin}: metrics: unknown metric {m!r}; allowed: "
                            f"{', '.join(known)}")
    return bases, params, known, problems


def load_experiment(source: str | Path | Mapping[str, Any], *,
                    base_dir: str | Path | None = None) -> Experiment:
    """Load and check an experiment spec, reporting every problem at once.

    Parts that parse are checked even when others do not (a missing key does
    not hide a misspelt agency in ``[set]``), so one load lists every problem.

    Args:
        source: A TOML path, the name of a shipped spec (``"pbg_preparedness_grid"``),
            or the spec as a dict.
        base_dir: Where relative scenario paths are looked up first (default:
            the spec file's directory).

    Returns:
        The checked :class:`Experiment`.

    Raises:
        SpecError: one line per problem, naming the file, the key path and
            what is allowed.
    """
    if isinstance(source, Mapping):
        raw, origin = dict(source), "<spec>"
        where = Path(base_dir) if base_dir is not None else None
    else:
        raw, path = _read_spec_file(source)
        origin = str(path)
        where = Path(base_dir) if base_dir is not None else path.parent
    spec: ExperimentSpec | None = None
    try:
        spec = ExperimentSpec.model_validate(raw)
        parts, problems = _Parts.of(spec), []
    except ValidationError as exc:
        parts, problems = _Parts.salvage(raw, exc), _format_errors(exc, origin)
    bases, params, known, more = _check_parts(parts, origin, where)
    problems = list(dict.fromkeys(problems + more))
    if problems or spec is None or bases is None:
        raise SpecError(problems or [f"{origin}: the spec could not be checked"])
    metrics = list(dict.fromkeys(spec.metrics)) if spec.metrics is not None else known
    return Experiment(spec, origin, bases, params, metrics)

"""A collabsim scenario as an EMA Workbench model, for analysts' own EMA workflows.

:func:`ema_model` wraps :func:`collabsim.runner.run` in an
``ema_workbench.Model`` (or ``ReplicatorModel``): its uncertainties are the
parameters an experiment declares (the same ranges ``collabsim sweep``
samples, declared once), its outcomes are run summary keys. Then the whole
EMA toolbox applies::

    from ema_workbench import SequentialEvaluator, perform_experiments
    from collabsim.ema import ema_model

    model = ema_model("success_factors_sobol", replications=2)
    experiments, outcomes = perform_experiments(model, scenarios=200)

Numeric grid levels become the range they span (EMA samples within it); boolean
and text levels stay categorical. Parameter names become valid Python identifiers
(EMA 3 requires them: ``agencies.*.leader_commitment`` →
``agencies_all_leader_commitment``); each uncertainty's ``variable_name`` keeps
the experiment's name, and the model function's ``key_paths`` map it to the
scenario keys it sets. The function never raises: a run that fails
returns NaN outcomes and logs the error, because EMA's multiprocessing
evaluator hangs when a run raises (PITFALLS). Seeds are derived from
``root_seed`` (one per replication, written down in ``model.replications``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from collabsim.errors import CollabsimError
from collabsim.rng import replicate_seeds
from collabsim.scenario import Scenario, load_scenario

__all__ = ["CollabsimFunction", "Uncertainty", "ema_model", "identifier", "uncertainties_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain input: the scenario keys it sets and its range or levels.

    Attributes:
        name: Its name in the experiment (often a key path).
        keys: The key paths its value is written to.
        kind: ``float``, ``int``, ``bool`` or ``str``.
        bounds: ``(low, high)``, or None.
        levels: The allowed values, or None.
    """

    name: str
    keys: tuple[str, ...]
    kind: str = "float"
    bounds: tuple[float, float] | None = None
    levels: tuple[Any, ...] | None = None


def identifier(name: str) -> str:
    """An EMA-valid (Python identifier) name for a key path: ``*`` → ``all``, ``.`` → ``_``."""
    text = re.sub(r"\W+", "_", name.replace("*", "all")).strip("_")
    return text if text.isidentifier() else f"p_{text}"


class CollabsimFunction:
    """The picklable model function EMA calls with one keyword per uncertainty.

    Keyword ``seed`` (from the replications or a constant) seeds the run;
    keyword ``base_scenario`` picks one of several base scenarios by name.
    Every other keyword is an uncertainty's variable name (its experiment name)
    and is written to that uncertainty's key paths.
    """

    def __init__(self, scenarios: Mapping[str, Scenario], key_paths: Mapping[str, Sequence[str]],
                 kinds: Mapping[str, str], outcomes: Sequence[str], steps: int | None = None,
                 n_citizens: int | None = None, at_start: bool = False):
        self.scenarios = dict(scenarios)
        self.key_paths = {k: list(v) for k, v in key_paths.items()}
        self.kinds = dict(kinds)
        self.outcomes = list(outcomes)
        self.steps = steps
        self.n_citizens = n_citizens
        #: The experiment's ``parameters_from = "start"``: the values are an intervention on
        #: the collaboration start (as the sweep makes them), not overrides of the whole run.
        self.at_start = at_start

    def overrides(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Scenario overrides for a dict of uncertainty values."""
        out: dict[str, Any] = {}
        for var, value in values.items():
            if hasattr(value, "item"):
                value = value.item()
            if self.kinds.get(var) == "int":
                value = math.floor(value)
            elif self.kinds.get(var) == "bool":
                value = bool(value)
            for key in self.key_paths.get(var, [var]):
                out[key] = value
        return out

    def __call__(self, **kwargs: Any) -> dict[str, float]:
        """Run once and return the outcomes (NaN for each if the run fails)."""
        from collabsim.runner import run

        seed = int(kwargs.pop("seed", 0))
        name = kwargs.pop("base_scenario", None)
        scenario = self.scenarios[name] if name is not None else next(iter(self.scenarios.values()))
        overrides = self.overrides(kwargs)
        try:
            if self.at_start and overrides:
                from collabsim.interventions import changed_on_start

                res = run(changed_on_start(scenario, overrides), seed, self.steps,
                          self.n_citizens)
            else:
                res = run(scenario, seed, self.steps, self.n_citizens, overrides)
        except Exception as exc:  # failures are data: EMA hangs on a raising run
            log.warning("collabsim run failed (seed %s, %s): %s: %s", seed, overrides,
                        type(exc).__name__, exc)
            return {o: float("nan") for o in self.outcomes}
        return {o: float(res.summary.get(o, float("nan"))) for o in self.outcomes}


def uncertainties_of(source: Any) -> tuple[list[Uncertainty], dict[str, Any]]:
    """Uncertainties declared by an experiment, and its run settings.

    Args:
        source: A loaded ``collabsim.experiments.Experiment``, a spec path or
            shipped spec name, or a sweep results directory (its manifest).

    Returns:
        ``(uncertainties, settings)`` with settings ``scenarios`` (list of
        Scenario), ``steps``, ``n_citizens``, ``root_seed``, ``name`` and
        ``parameters_from``.
    """
    if isinstance(source, str | Path) and (Path(source) / "manifest.json").is_file():
        return _from_manifest(Path(source))
    from collabsim.experiments import Experiment, load_experiment

    exp = source if isinstance(source, Experiment) else load_experiment(source)
    unc = [Uncertainty(p.name, tuple(p.keys), p.kind, p.bounds, p.levels)
           for p in exp.parameters]
    settings = {"scenarios": list(exp.scenarios), "steps": exp.spec.steps,
                "n_citizens": exp.spec.n_citizens, "root_seed": exp.spec.root_seed,
                "name": exp.name, "parameters_from": exp.spec.parameters_from}
    return unc, settings


def _from_manifest(path: Path) -> tuple[list[Uncertainty], dict[str, Any]]:
    from collabsim.analysis.results import load_results
    from collabsim.scenario import resolve

    res = load_results(path)
    unc = [Uncertainty(p.name, p.keys or (p.column,), p.kind, p.bounds, p.levels)
           for p in res.parameters]
    spec = res.spec
    fixed = spec.get("set") or spec.get("fixed") or {}
    scenarios = []
    for name in spec.get("scenarios") or res.scenarios:
        sc = load_scenario(name)
        scenarios.append(resolve(sc.model_dump(exclude_none=True), fixed, str(path)))
    settings = {"scenarios": scenarios, "steps": spec.get("steps"),
                "n_citizens": spec.get("n_citizens"), "root_seed": spec.get("root_seed", 0),
                "name": spec.get("name") or path.name,
                "parameters_from": spec.get("parameters_from") or "beginning"}
    return unc, settings


def _ema() -> Any:
    """The ``ema_workbench`` module, imported without its 'ipyparallel not installed' warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench
    return ema_workbench


def _ema_parameter(u: Uncertainty) -> Any:
    ema = _ema()
    BooleanParameter, CategoricalParameter = ema.BooleanParameter, ema.CategoricalParameter
    IntegerParameter, RealParameter = ema.IntegerParameter, ema.RealParameter

    name = identifier(u.name)
    numeric = u.kind in ("float", "int") and u.levels is not None and len(u.levels) > 1
    if u.levels is not None and not numeric:
        if u.kind == "bool" and set(u.levels) == {True, False}:
            return BooleanParameter(name, variable_name=u.name)
        return CategoricalParameter(name, list(u.levels), variable_name=u.name)
    if u.bounds is None and not numeric:
        raise CollabsimError(f"{u.name}: an uncertainty needs bounds or levels")
    # a grid's numeric levels declare the range of interest: EMA samples within it
    lo, hi = (min(u.levels), max(u.levels)) if numeric else u.bounds
    if u.kind == "int":
        return IntegerParameter(name, int(lo), int(hi), variable_name=u.name)
    return RealParameter(name, float(lo), float(hi), variable_name=u.name)


def _default_outcomes(scenario: Scenario) -> list[str]:
    """Every summary key a run of this scenario reports (from a one-day probe run)."""
    from collabsim.runner import run

    probe = run(scenario, 0, steps=1, n_citizens=max(10, scenario.citizens.social_network.degree
                                                     + 2))
    return [k for k in probe.summary if k != "days"]


def ema_model(source: Any = None, *, scenario: Scenario | str | Path | None = None,
              uncertainties: Sequence[Uncertainty] | Mapping[str, Any] | None = None,
              outcomes: Sequence[str] | None = None, replications: int = 1,
              root_seed: int | None = None, steps: int | None = None,
              n_citizens: int | None = None, name: str | None = None,
              aggregate: Callable[[Sequence[float]], float] | None = np.nanmean) -> Any:
    """Build an EMA Workbench model of a collabsim scenario.

    Args:
        source: An experiment (loaded, a spec path, a shipped spec name) or a
            sweep results directory, whose declared parameters become the
            uncertainties and whose base scenario(s) and run settings are used.
        scenario: Without ``source``: the scenario (preset name, path, Scenario).
        uncertainties: Without ``source``: ``{key_path: (low, high)}`` or
            ``{key_path: [levels]}``, or :class:`Uncertainty` objects.
        outcomes: Summary keys to report (default: every key a run reports).
        replications: Runs per experiment; more than one gives a
            ``ReplicatorModel`` with one derived seed per replication.
        root_seed: Root of the seeds (default: the experiment's, else 0).
        steps: Days per run (default: the experiment's, else the scenario's).
        n_citizens: Citizens per run (default: the experiment's, else the scenario's).
        name: EMA model name (default: from the experiment or scenario).
        aggregate: With replications, how each outcome's replicate values are
            combined (default ``numpy.nanmean``; None keeps them all as an
            ``ArrayOutcome``).

    Returns:
        An ``ema_workbench.Model`` or ``ReplicatorModel``.

    Raises:
        CollabsimError: for missing or contradictory inputs.
    """
    ema = _ema()
    if source is not None:
        unc, settings = uncertainties_of(source)
    elif scenario is not None and uncertainties is not None:
        sc = load_scenario(scenario)
        unc = _as_uncertainties(uncertainties)
        settings = {"scenarios": [sc], "steps": None, "n_citizens": None, "root_seed": 0,
                    "name": sc.name}
    else:
        raise CollabsimError("ema_model: give an experiment (spec or results directory), or a "
                             "scenario and its uncertainties")
    if replications < 1:
        raise CollabsimError(f"ema_model: replications must be at least 1 (got {replications})")
    scenarios = {sc.name: sc for sc in settings["scenarios"]}
    outcomes = list(outcomes or _default_outcomes(next(iter(scenarios.values()))))
    fn = CollabsimFunction(scenarios, {u.name: u.keys for u in unc},
                           {u.name: u.kind for u in unc}, outcomes,
                           steps if steps is not None else settings["steps"],
                           n_citizens if n_citizens is not None else settings["n_citizens"],
                           settings.get("parameters_from") == "start")
    model_name = identifier(name or settings["name"])
    seed_root = root_seed if root_seed is not None else int(settings["root_seed"] or 0)
    seeds = replicate_seeds(seed_root, replications)
    if replications > 1:
        model = ema.ReplicatorModel(model_name, function=fn)
        model.replications = [{"seed": s} for s in seeds]
        model.outcomes = [ema.ScalarOutcome(o, function=aggregate) if aggregate is not None
                          else ema.ArrayOutcome(o) for o in outcomes]
    else:
        model = ema.Model(model_name, function=fn)
        model.constants = [ema.Constant("seed", seeds[0])]
        model.outcomes = [ema.ScalarOutcome(o) for o in outcomes]
    params = [_ema_parameter(u) for u in unc]
    if len(scenarios) > 1:
        params.append(ema.CategoricalParameter("base_scenario", list(scenarios)))
    model.uncertainties = params
    return model


def _as_uncertainties(spec: Sequence[Uncertainty] | Mapping[str, Any]) -> list[Uncertainty]:
    if not isinstance(spec, Mapping):
        return list(spec)
    from collabsim.analysis.labels import _field_info  # the schema's type of a key path

    out = []
    for key, rng in spec.items():
        info = _field_info(key)
        kind = {"bool": "bool", "int": "int", "str": "str"}.get(info[1] if info else "", "float")
        if isinstance(rng, tuple) and len(rng) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in rng):
            out.append(Uncertainty(key, (key,), kind, (float(rng[0]), float(rng[1]))))
        else:
            levels = tuple(rng)
            if all(isinstance(v, bool) for v in levels):
                kind = "bool"
            elif any(isinstance(v, str) for v in levels):
                kind = "str"
            out.append(Uncertainty(key, (key,), kind, None, levels))
    return out

"""Re-running one recorded run to look inside it (the network at its end).

A results row records the scenario, the seed and the sampled parameters; with
the experiment's run settings from the manifest that is enough to rebuild the
run exactly. The re-run's summary is compared with the recorded one, so a
figure drawn from a re-run says whether it reproduced the recorded run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from collabsim.analysis.results import Results
from collabsim.errors import CollabsimError

__all__ = ["NetworkSnapshot", "RunSettings", "network_snapshot", "run_settings",
           "scenario_candidates"]

_SCENARIO_KEYS = ("scenario", "scenarios", "base", "base_scenario", "base_scenarios")
_STEPS_KEYS = ("steps", "days")
_CITIZEN_KEYS = ("citizens", "n_citizens")
_OVERRIDE_KEYS = ("overrides", "set", "fixed")
_CHECK = ("permits_issued_per_month_after", "levy_target_share_final", "mean_trust_final",
          "mobility_index_enforcement", "y")


@dataclass
class RunSettings:
    """Everything needed to repeat one recorded run."""

    run_id: int
    scenario: Any
    seed: int
    steps: int | None
    n_citizens: int | None
    overrides: dict[str, Any] = field(default_factory=dict)
    #: Values changed on the collaboration start (a sweep with ``parameters_from = "start"``).
    at_start: dict[str, Any] = field(default_factory=dict)


@dataclass
class NetworkSnapshot:
    """The collaboration network at the end of a re-run."""

    run_id: int
    graph: nx.Graph
    commitment: dict[str, float]
    labels: dict[str, str]
    title: str
    reproduced: bool | None
    note: str = ""

    def as_plot_input(self) -> dict[str, Any]:
        """The mapping :func:`collabsim.analysis.plots.plot_network` draws."""
        return {"graph": self.graph, "commitment": self.commitment, "labels": self.labels,
                "title": self.title}


def _spec_value(spec: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        if spec.get(k) is not None:
            return spec[k]
    run = spec.get("run")
    if isinstance(run, Mapping):
        return _spec_value(run, keys)
    return None


def scenario_candidates(res: Results, name: str) -> list[Any]:
    """Where the scenario named ``name`` may be read from, most specific first.

    The manifest's record comes first: a comparison's ``sources`` (as given on
    the command line, paired with its ``scenarios``), a sweep's spec
    ``scenarios``; each path is tried as recorded (absolute, or relative to the
    spec file, the results directory and the working directory). The name
    itself (a shipped preset) comes last.
    """
    declared = _spec_value(res.spec, _SCENARIO_KEYS)
    entries = declared if isinstance(declared, list) else [declared] if declared else []
    names = res.manifest.get("scenarios")
    recorded: list[Any] = []
    for key in ("sources", "given"):  # the resolved copies first, then the files as given
        sources = res.manifest.get(key)
        if isinstance(names, list) and isinstance(sources, list) and len(names) == len(sources):
            recorded += [src for n, src in zip(names, sources, strict=True) if n == name]
    for key in ("sources", "given"):
        sources = res.manifest.get(key)
        if isinstance(sources, list):
            recorded += [src for src in sources if src not in recorded]
    entries = recorded + entries
    spec_file = res.manifest.get("spec_file")
    bases = [Path(str(spec_file)).parent] if spec_file else []
    bases += [res.path, res.path.parent, Path.cwd()]
    out: list[Any] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            entry = entry.get("path") or entry.get("file") or entry.get("name")
        if not isinstance(entry, str):
            continue
        p = Path(entry)
        tries = [p] if p.is_absolute() else [b / p for b in bases]
        out += [t for t in tries if t.is_file() and t not in out]
        if not p.suffix and entry not in out:
            out.append(entry)  # a preset name
    return [*out, name] if name not in out else out


def _scenario_source(res: Results, name: str) -> Any:
    """The recorded scenario source whose loaded name is ``name`` (else the name itself).

    Raises:
        CollabsimError: naming the scenario and every source tried, when
            none of them loads as ``name``.
    """
    from collabsim.scenario import load_scenario

    tried = []
    for candidate in scenario_candidates(res, name):
        try:
            if load_scenario(candidate).name == name:
                return candidate
            tried.append(f"{candidate} (is not named {name})")
        except CollabsimError as exc:
            if candidate != name:
                tried.append(f"{candidate} ({exc.problems[0] if exc.problems else exc})")
    where = "; tried " + "; ".join(tried) if tried else ""
    raise CollabsimError(f"{res.path}: scenario {name}: not a shipped preset and no file the "
                         f"manifest records loads as it{where}")


def _python(v: Any) -> Any:
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        f = float(v)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    return v


def _posterior_overrides(res: Results, row: pd.Series) -> dict[str, Any]:
    """The overrides a run over a posterior got from its draw (the manifest records them)."""
    post = res.posterior
    if post is None or pd.isna(row.get("posterior_draw")):
        return {}
    draw = int(row["posterior_draw"])
    for entry in post.get("drawn") or []:
        if isinstance(entry, Mapping) and entry.get("draw") == draw:
            return dict((entry.get("overrides") or {}).get(str(row["scenario"])) or {})
    raise CollabsimError(f"{res.path}: manifest.json: posterior.drawn has no draw {draw} "
                         f"(run {int(row['run_id'])}); the run cannot be repeated")


def run_settings(res: Results, run_id: int, n_citizens: int | None = None) -> RunSettings:
    """The settings of a recorded run, from its row and the manifest.

    Args:
        res: The results.
        run_id: The run.
        n_citizens: Number of citizens when the manifest does not record it (a
            comparison directory does not).

    Raises:
        CollabsimError: if the run is not in the results.
    """
    rows = res.runs[res.runs["run_id"] == run_id]
    if rows.empty:
        raise CollabsimError(f"--network-run {run_id}: no such run_id in {res.path}")
    row = rows.iloc[0]
    spec = res.spec
    overrides = _posterior_overrides(res, row)  # the draw's values first, as the run had them
    overrides.update(spec.get(next((k for k in _OVERRIDE_KEYS if isinstance(spec.get(k), dict)),
                                   "_none"), {}))
    overrides.update(res.manifest.get("overrides") or {})  # a comparison's --set
    at_start: dict[str, Any] = {}
    varied = at_start if spec.get("parameters_from") == "start" else overrides
    for p in res.parameters:
        value = row[p.column]
        if isinstance(value, float) and math.isnan(value):
            continue
        v = _python(p.scenario_value(value))
        varied.update({k: v for k in (p.keys or (p.column,))})
    steps = _spec_value(spec, _STEPS_KEYS) or res.manifest.get("steps")
    if steps is None and "days" in row and not pd.isna(row["days"]):
        steps = int(row["days"])
    if steps is not None and res.kind == "sweep" and _spec_value(spec, _STEPS_KEYS):
        # the spec's run length is the scenario's too (intervention days are checked against it)
        overrides.setdefault("steps", int(steps))
    citizens = _spec_value(spec, _CITIZEN_KEYS) or res.manifest.get("n_citizens")
    citizens = citizens if citizens is not None else n_citizens
    return RunSettings(int(run_id), _scenario_source(res, str(row["scenario"])), int(row["seed"]),
                       int(steps) if steps is not None else None,
                       int(citizens) if citizens is not None else None, overrides, at_start)


def network_snapshot(res: Results, run_id: int, n_citizens: int | None = None
                     ) -> NetworkSnapshot:
    """Re-run a recorded run and capture its collaboration network at the end."""
    from collabsim.interventions import changed_on_start
    from collabsim.metrics import summarise
    from collabsim.model import CollabModel
    from collabsim.scenario import load_scenario

    s = run_settings(res, run_id, n_citizens)
    scenario, overrides = s.scenario, s.overrides or None
    if s.at_start:  # the parameters were an intervention on the collaboration start
        scenario = changed_on_start(load_scenario(scenario, overrides), s.at_start)
        overrides = None
    model = CollabModel(scenario, seed=s.seed, n_citizens=s.n_citizens, overrides=overrides)
    df = model.run(s.steps).reset_index(drop=True)
    summary = summarise(df, model.config.collaboration_start, model.config.warmup_days)
    row = res.runs[res.runs["run_id"] == run_id].iloc[0]
    reproduced, note = _compare(summary, row)
    g = model.collaboration_graph.copy()
    commitment = {a.key: float(a.commitment) for a in model.agency_list}
    labels = {a.key: a.label for a in model.agency_list}
    title = (f"{model.config.name}, run {run_id}, day {model.day}\nseed {s.seed}"
             + ("" if reproduced is not False else "\n(re-run differs from the recorded run)"))
    return NetworkSnapshot(int(run_id), g, commitment, labels, title, reproduced, note)


def _compare(summary: Mapping[str, float], row: pd.Series) -> tuple[bool | None, str]:
    keys = [k for k in _CHECK if k in summary and k in row and not pd.isna(row[k])]
    if not keys:
        return None, "no recorded outcome to check the re-run against"
    bad = [k for k in keys if not math.isclose(summary[k], float(row[k]), rel_tol=1e-6,
                                               abs_tol=1e-9)]
    if bad:
        return False, ("re-run differs from the recorded run in " + ", ".join(
            f"{k} ({summary[k]:.4g} vs {float(row[k]):.4g})" for k in bad)
            + "; the run settings (e.g. --citizens of a comparison) are not recorded, or the "
            "model changed since the run")
    return True, "re-run reproduces the recorded outcomes"

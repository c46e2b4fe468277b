"""``collabsim analyze``: every table and figure of a results directory, written to disk.

Tables go out as CSV and Parquet (``tables/NAME.csv|.parquet``), figures as PNG
and SVG (``figures/NAME.png|.svg``), and ``analysis.json`` lists them with the
notes an analyst needs (skipped outcomes, failed runs, re-runs that did not
reproduce). :func:`analyze` returns the same in an :class:`Analysis` that
:mod:`collabsim.analysis.report` renders.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from collabsim.analysis import compare as cmp
from collabsim.analysis.discovery import Discovery, default_rules, discover, parse_rule, prim_table
from collabsim.analysis.facts import FactCheck, check_facts, facts_table
from collabsim.analysis.levers import lever_cost_effectiveness
from collabsim.analysis.posterior import (
    posterior_draws_table,
    posterior_overview,
    posterior_uncertainty,
)
from collabsim.analysis.results import Results, load_results
from collabsim.analysis.sensitivity import Sensitivity, sensitivity
from collabsim.errors import CollabsimError

__all__ = ["TS_METRICS", "Analysis", "Figure", "analyze"]

#: Time-series metrics drawn with uncertainty bands, when present.
TS_METRICS = ("applications_submitted", "permits_issued", "backlog", "mean_processing_days",
              "levy_share_30d", "informal_share", "mean_trust", "mean_commitment",
              "mean_officer_effort", "mobility_index", "compliance_rate", "awareness_rate")

BEFORE_AFTER = ("applications_submitted_per_month", "permits_issued_per_month",
                "mean_processing_days", "mean_trust", "mean_commitment", "mean_officer_effort")

MAX_NETWORK_PANELS = 4

#: Names in the analysis of the tables a comparison directory holds (effects.csv ...).
COMPARE_TABLE_NAMES = {"effects": "collaboration_effects", "differences": "differences",
                       "cost_effectiveness": "cost_effectiveness"}


@dataclass
class Figure:
    """A written figure: its files and a caption saying what it shows and how."""

    name: str
    title: str
    caption: str
    paths: list[Path]

    @property
    def png(self) -> Path | None:
        """The PNG file, if one was written."""
        return next((p for p in self.paths if p.suffix == ".png"), None)


@dataclass
class Analysis:
    """Everything :func:`analyze` computed and wrote."""

    results: Results
    out: Path
    key_outcomes: list[str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    sensitivity: Sensitivity | None = None
    discoveries: list[Discovery] = field(default_factory=list)
    facts: list[FactCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    posterior: dict[str, Any] | None = None


def analyze(path: str | Path, out: str | Path | None = None,
            outcomes: Sequence[str] | None = None, failures: Sequence[str] | None = None,
            network_runs: Sequence[int] | None = None, n_citizens: int | None = None,
            formats: Sequence[str] = ("png", "svg"), network: bool = True,
            log: Callable[[str], None] | None = None) -> Analysis:
    """Analyse a results directory and write tables and figures.

    Args:
        path: A directory written by ``collabsim sweep`` or ``collabsim compare``.
        out: Output directory (default ``PATH/analysis``).
        outcomes: Outcomes to feature in figures and key findings (default: the
            experiment's declared outcomes, else the headline ones present).
        failures: PRIM failure rules, e.g. ``levy_target_share_final<0.5`` or
            ``failed`` (default: the standard rules whose outcome is present).
        network_runs: ``run_id`` s whose collaboration network to draw (default:
            the first replicate of each scenario, or a sweep's worst and best run).
        n_citizens: Citizens of the recorded runs, for re-running them when the
            directory does not record it (a comparison's).
        formats: Figure formats.
        network: Whether to re-run runs to draw their network.
        log: Where to report progress (default: nowhere).

    Returns:
        The :class:`Analysis`.
    """
    say = log or (lambda _msg: None)
    res = load_results(path)
    if res.ok.empty:
        raise CollabsimError(f"{res.path}: no finished run to analyse "
                             f"({len(res.failed)} failed)")
    unknown = [o for o in outcomes or [] if o not in res.outcomes]
    if unknown:
        raise CollabsimError(f"--outcome {', '.join(unknown)}: not in {res.path}; outcomes: "
                             f"{', '.join(res.outcomes)}")
    rules = ([parse_rule(f, [*res.outcomes, "failed"]) for f in failures] if failures
             else default_rules(res))
    missing = [r for r in network_runs or [] if r not in set(res.runs["run_id"])]
    if missing:
        raise CollabsimError(f"--network-run {', '.join(map(str, missing))}: no such run_id in "
                             f"{res.path} (run_id 0–{int(res.runs['run_id'].max())})")
    out = Path(out) if out else res.path / "analysis"
    an = Analysis(res, out, cmp.key_outcomes(res, outcomes))
    if len(res.failed):
        an.notes.append(f"{len(res.failed)} of {len(res.runs)} runs failed; they are listed in "
                        "failed_runs and left out of every statistic except the 'failed' rule.")
    say(f"{res.kind} of {len(res.runs)} runs ({res.sampler or 'scenarios'}); tables")
    _tables(an)
    if res.posterior is not None:
        an.posterior = posterior_overview(res, an.tables["posterior_uncertainty"])
        an.notes.extend(an.posterior["notes"])
    say("sensitivity, scenario discovery, stylized facts")
    an.sensitivity = sensitivity(res)
    if an.sensitivity is not None:
        an.notes.extend(an.sensitivity.notes)
        an.tables["sensitivity"] = an.sensitivity.indices
        if an.sensitivity.second_order is not None:
            an.tables["sobol_second_order"] = an.sensitivity.second_order
    an.discoveries = [discover(res, r) for r in rules]
    an.notes.extend(f"PRIM, {d.rule.text}: {d.note}" for d in an.discoveries if d.note)
    an.tables["prim_boxes"], an.tables["prim_limits"] = prim_table(an.discoveries)
    an.facts = check_facts(res, an.sensitivity)
    an.tables["stylized_facts"] = facts_table(an.facts)
    an.tables["stylized_fact_tests"] = pd.DataFrame([vars(c) for c in an.facts])
    _write_tables(an)
    say("figures")
    _figures(an, formats)
    if network:
        say("re-running chosen runs for the network figure")
        _network_figure(an, network_runs, n_citizens, formats)
    _write_index(an)
    return an


# ------------------------------------------------------------------ tables
def _tables(an: Analysis) -> None:
    res = an.results
    t = an.tables
    t["scenario_summary"] = cmp.scenario_table(res)
    if len(res.scenarios) > 1:
        t["scenario_effects"] = cmp.scenario_effects(res)
    t["before_after"] = cmp.before_after_table(res)
    if res.parameter_columns:
        t["point_summary"] = cmp.point_table(res)
        t["factor_levels"] = cmp.factor_level_table(res)
        t["factor_effects"] = cmp.factor_effects(res)
        levers = lever_cost_effectiveness(res)
        if len(levers):
            t["lever_cost_effectiveness"] = levers
    for name, table in res.tables.items():  # what `collabsim compare` computed
        t[COMPARE_TABLE_NAMES.get(name, name)] = table
    if res.posterior is not None:  # runs over a calibration's posterior: the split
        t["posterior_uncertainty"] = posterior_uncertainty(res)
        t["posterior_draws"] = posterior_draws_table(res)
    t["failed_runs"] = res.failed[["run_id", "scenario", "sample", "replicate", "seed", "error"]]


def _write_tables(an: Analysis) -> None:
    d = an.out / "tables"
    d.mkdir(parents=True, exist_ok=True)
    for name, table in an.tables.items():
        table.to_csv(d / f"{name}.csv", index=False)
        clean = table.copy()
        for c in clean.columns:  # Parquet wants one type per column
            if clean[c].dtype == object:
                clean[c] = clean[c].astype(str)
        clean.to_parquet(d / f"{name}.parquet", index=False)


# ----------------------------------------------------------------- figures
def _figures(an: Analysis, formats: Sequence[str]) -> None:
    for make in (_timeseries_figure, _before_after_figure, _sensitivity_figure,
                 _heatmap_figure, _main_effects_figure, _prim_figure):
        fig = make(an, formats)
        if fig is not None:
            an.figures.append(fig)


def _fig_path(an: Analysis, name: str) -> Path:
    return an.out / "figures" / f"{name}.png"


def base_scenarios(res: Results) -> list:
    """The scenarios the runs started from, fully resolved, as the results record them.

    A comparison's are its ``scenarios/NAME.toml`` copies (variants and
    interventions included, with its ``--set``); a sweep's are its spec's bases
    with the spec's ``[set]`` (and run length) applied. Scenarios that cannot be
    read are left out.
    """
    from collabsim.analysis.rerun import _scenario_source
    from collabsim.scenario import load_scenario

    spec = res.spec
    fixed = dict(spec.get("set") or {})
    fixed.update(res.manifest.get("overrides") or {})
    if res.kind == "sweep" and spec.get("steps"):
        fixed.setdefault("steps", spec["steps"])
    out = []
    for name in res.scenarios:
        try:
            out.append(load_scenario(_scenario_source(res, name), fixed or None))
        except CollabsimError:
            continue
    return out


def intervention_marks(res: Results) -> list[tuple[int, str]]:
    """``(day, label)`` of the interventions of the runs, for the time-series figures.

    An intervention whose day a sweep varies (``interventions.N.day``) is marked
    at each of the days the design gave it.
    """
    from collabsim.analysis.plots import intervention_markers

    scenarios = base_scenarios(res)
    marks = intervention_markers(scenarios, prefix=len(scenarios) > 1)
    varied = {}
    for p in res.parameters:
        for key in p.keys:
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "interventions" and parts[2] == "day":
                varied[parts[1]] = p.column
    if not varied:
        return marks
    out = []
    for sc in scenarios:
        for i, iv in enumerate(getattr(sc, "interventions", [])):
            label = iv.label or ", ".join(iv.set)
            col = varied.get(str(i), varied.get("*"))
            if col is None:
                continue
            drop = f"{sc.name}: {label}" if len(scenarios) > 1 else label
            marks = [m for m in marks if m != (iv.day, drop)]
            for day in sorted(pd.unique(res.ok[col].dropna())):
                out.append((int(day), f"day {int(day)}: {drop}"))
    return sorted(set(marks + out))


def _start_day(res: Results) -> int | None:
    if "collaboration_start" in res.parameter_columns:
        return None
    for name in res.scenarios:
        try:
            from collabsim.scenario import load_scenario

            return load_scenario(name).collaboration_start
        except CollabsimError:
            continue
    return None


def _run_groups(res: Results) -> tuple[pd.Series, str, bool]:
    """Group label per run_id for the bands; a caption fragment; whether to shade spread."""
    ok = res.ok.set_index("run_id")
    if len(res.scenarios) > 1:
        return ok["scenario"].astype(str), "one line per scenario", bool(res.parameter_columns)
    if res.sampler == "grid" and len(res.parameter_columns) == 1:
        col = res.parameter_columns[0]
        if ok[col].nunique() <= 6:
            from collabsim.analysis.labels import short_parameter

            name = short_parameter(col)
            return (ok[col].map(lambda v: f"{name} = {v:g}" if isinstance(v, float)
                                else f"{name} = {v}"), f"one line per level of {name}", False)
    if res.parameter_columns:
        return (pd.Series("all runs", index=ok.index), "all runs of the design together",
                True)
    return ok["scenario"].astype(str), "", False


def _timeseries_figure(an: Analysis, formats: Sequence[str]) -> Figure | None:
    from collabsim.analysis.plots import plot_bands

    res = an.results
    if res.timeseries is None:
        return None
    metrics = [m for m in TS_METRICS if m in res.timeseries and
               res.timeseries[m].nunique(dropna=True) > 1][:9]
    if not metrics:
        metrics = [c for c in res.timeseries.columns if c not in ("run_id", "day")][:6]
    if not metrics:
        return None
    groups, how, spread = _run_groups(res)
    ts = res.timeseries[res.timeseries["run_id"].isin(groups.index)]
    start = _start_day(res)
    marks = intervention_marks(res)
    paths = plot_bands(ts, _fig_path(an, "timeseries_bands"), metrics, groups, start=start,
                       spread=spread, formats=formats, markers=marks)
    return Figure("timeseries_bands", "Time series with uncertainty bands", (
        f"Daily metrics ({how}); daily flows as 30-day moving means. Line: mean over runs; "
        "dark band: 95 % confidence interval of that mean (Student t over runs)"
        + ("; light band: 5–95 % of runs, the spread the design's parameters cause" if spread
           else "") + ("; dashed line: collaboration start" if start is not None else "")
        + ("; dotted lines: interventions (" + "; ".join(f"day {d}: {lab}" for d, lab in marks)
           + ")" if marks else "") + "."
    ), paths)


def _before_after_figure(an: Analysis, formats: Sequence[str]) -> Figure | None:
    from collabsim.analysis.plots import plot_before_after

    table = an.tables["scenario_summary"]
    present = set(table.metric)
    metrics = [m for m in BEFORE_AFTER if f"{m}_before" in present and f"{m}_after" in present]
    if not metrics:
        return None
    paths = plot_before_after(table, _fig_path(an, "before_after"), metrics[:6],
                              formats=formats)
    return Figure("before_after", "Before vs after the collaboration start", (
        "Mean of each run's before-window and after-window values per scenario, with 95 % "
        "confidence intervals over runs; the paired effects (after − before within runs, "
        "Cohen's d_z, paired t) are in the before/after table."), paths)


def _sensitivity_figure(an: Analysis, formats: Sequence[str]) -> Figure | None:
    from collabsim.analysis.plots import plot_sensitivity

    s = an.sensitivity
    if s is None or s.indices.empty:
        return None
    outcomes = [o for o in an.key_outcomes if o in set(s.indices.outcome)]
    outcomes = outcomes or list(dict.fromkeys(s.indices.outcome))[:4]
    paths = plot_sensitivity(s.indices, _fig_path(an, "sensitivity"), outcomes, s.method,
                             formats=formats)
    if s.method == "sobol":
        caption = ("Sobol indices from SALib, parameters ranked by total-order index ST (dark) "
                   "with first-order S1 (light); whiskers: 95 % bootstrap confidence intervals. "
                   "ST is the share of the outcome's variance that involves the parameter; "
                   "ST − S1 is its share through interactions.")
    else:
        caption = ("Morris elementary effects from SALib, parameters ranked by μ* (mean "
                   "absolute effect of moving the parameter across its range, 95 % bootstrap "
                   "CI); dots: σ, large when the effect depends on the other parameters.")
    return Figure("sensitivity", "Sensitivity indices, ranked", caption, paths)


def _grid_factors(res: Results) -> list[str]:
    ok = res.ok
    return [c for c in res.parameter_columns if 1 < ok[c].nunique() <= 12]


def _heatmap_figure(an: Analysis, formats: Sequence[str]) -> Figure | None:
    from collabsim.analysis.labels import short_parameter
    from collabsim.analysis.plots import plot_heatmap

    res = an.results
    factors = _grid_factors(res)
    if res.sampler != "grid" or len(factors) < 2:
        return None
    x, y = factors[0], factors[1]
    rest = [short_parameter(f) for f in factors[2:]]
    paths = plot_heatmap(res.ok, _fig_path(an, "heatmap"), x, y, an.key_outcomes[:4],
                         formats=formats, labels=res.axis_labels(), averaged_over=rest)
    return Figure("heatmap", "Two-factor grid", (
        f"Mean outcome over runs in each cell of the {short_parameter(x)} × "
        f"{short_parameter(y)} grid" + (f", averaged over {', '.join(rest)}" if rest else "")
        + "; the factor-level table gives each cell's confidence interval."), paths)


def _main_effects_figure(an: Analysis, formats: Sequence[str]) -> Figure | None:
    from collabsim.analysis.plots import plot_main_effects

    levels = an.tables.get("factor_levels")
    if levels is None or levels.empty or not an.key_outcomes:
        return None
    outcome = an.key_outcomes[0]
    paths = plot_main_effects(levels, _fig_path(an, "main_effects"), outcome, formats=formats,
                              labels=an.results.axis_labels())
    return Figure("main_effects", f"Main effects on {outcome}", (
        "Mean outcome at each level of each factor (continuous ranges cut into quartile bins, "
        "drawn at the bin's midpoint), averaged over the other factors, with 95 % confidence "
        "intervals over runs; effect sizes against the lowest level are in factor_effects."),
        paths)


def _prim_figure(an: Analysis, formats: Sequence[str]) -> Figure | None:
    from collabsim.analysis.plots import plot_prim

    if not any(d.boxes for d in an.discoveries):
        return None
    paths = plot_prim(an.discoveries, _fig_path(an, "prim"), formats=formats)
    return Figure("prim", "Scenario discovery (PRIM)", (
        "Boxes found by the EMA Workbench's PRIM for each failure rule. Left: each restricted "
        "parameter's range inside the box (coloured) within the range the experiment sampled "
        "(grey), with the box's coverage (share of all failures inside it) and density (share "
        "of its runs that fail). Right: PRIM's peeling trajectory, the box reported circled "
        "(highest density that still covers half the failures)."), paths)


def _default_network_runs(an: Analysis) -> list[int]:
    res = an.results
    ok = res.ok
    if res.kind == "compare" or not res.parameter_columns:
        firsts = ok.sort_values("replicate").groupby("scenario", sort=False)["run_id"].first()
        return [int(firsts[s]) for s in res.scenarios if s in firsts][:MAX_NETWORK_PANELS]
    if an.key_outcomes:
        key = an.key_outcomes[0]
        valid = ok.dropna(subset=[key])
        if len(valid):
            lo = int(valid.loc[valid[key].idxmin(), "run_id"])
            hi = int(valid.loc[valid[key].idxmax(), "run_id"])
            return list(dict.fromkeys([lo, hi]))
    return [int(ok["run_id"].iloc[0])]


def _network_figure(an: Analysis, runs: Sequence[int] | None, n_citizens: int | None,
                    formats: Sequence[str]) -> None:
    from collabsim.analysis.plots import plot_network
    from collabsim.analysis.rerun import network_snapshot

    chosen = list(runs) if runs else _default_network_runs(an)
    snaps = []
    for run_id in chosen[:MAX_NETWORK_PANELS]:
        try:
            snaps.append(network_snapshot(an.results, int(run_id), n_citizens))
        except CollabsimError as exc:
            if runs:
                raise
            an.notes.append(f"network figure: run {run_id} could not be re-run: "
                            f"{exc.problems[0]}")
    if not snaps:
        return
    for s in snaps:
        if s.reproduced is False:
            an.notes.append(f"network figure, run {s.run_id}: {s.note}")
    paths = plot_network([s.as_plot_input() for s in snaps], _fig_path(an, "network"),
                         formats=formats)
    picked = ("the first replicate of each scenario" if not runs and an.results.kind ==
              "compare" else "the runs with the lowest and highest "
              f"{an.key_outcomes[0]}" if not runs and an.key_outcomes else "the chosen runs")
    an.figures.append(Figure("network", "The agency network at the end of a run", (
        f"Collaboration network at the last day of {picked}, re-run from the recorded seed and "
        "parameters. Node colour: the agency's commitment to the joint arrangement; edge "
        "colour, width and label: trust on the tie (both 0–1). Seeded layout."), paths))


def _write_index(an: Analysis) -> None:
    index = {
        "results": str(an.results.path), "kind": an.results.kind,
        "sampler": an.results.sampler, "runs": len(an.results.runs),
        "failed": len(an.results.failed), "key_outcomes": an.key_outcomes,
        "tables": {n: [f"tables/{n}.csv", f"tables/{n}.parquet"] for n in an.tables},
        "figures": {f.name: {"title": f.title, "caption": f.caption,
                             "files": [str(p.relative_to(an.out)) for p in f.paths]}
                    for f in an.figures},
        "stylized_facts": an.tables["stylized_facts"][["fact", "status"]].to_dict("records"),
        "posterior": an.posterior,
        "notes": an.notes,
    }
    (an.out / "analysis.json").write_text(json.dumps(index, indent=2, default=str))

"""The command line: ``collabsim run | compare | validate | sweep | analyze | report | viz``.

Every command given bad input prints one line per problem (file, key path,
what is allowed) to stderr and exits with status 2, without a traceback.
Commands of other subsystems register themselves through a ``register``
function in their own ``cli`` module (see ``_PLUGINS``).

Commands load only what they use: this module and the plugins' ``cli`` modules
import no model, pandas or SciPy at the top, so ``validate`` and ``--help``
answer quickly. Commands that need an optional stack (``EXTRAS``) check for it
first and name the extra to install.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from collabsim.errors import CollabsimError

if TYPE_CHECKING:
    import pandas as pd

    from collabsim.calibration.posterior import Posterior
    from collabsim.experiments.records import PosteriorDraw, PosteriorPlan
    from collabsim.scenario import Scenario

__all__ = ["EXTRAS", "add_scenario_options", "main", "missing_extra", "overrides_from"]

_PLUGINS = ("collabsim.experiments.cli", "collabsim.analysis.cli", "collabsim.viz.cli",
            "collabsim.calibration.cli")

#: The optional stacks (``pip install 'collabsim[NAME]'``) and the modules each provides.
EXTRAS: dict[str, tuple[str, ...]] = {
    "viz": ("solara",),
    "dask": ("dask", "distributed"),
    "ema": ("ema_workbench",),
    "calibrate": ("pyabc",),
}

def _headline() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Headline rows (summary key, label) derived from the declared metrics.

    Flows marked ``headline`` give per-month rows before and after the start,
    levels their before/after means, mobility's phase metrics their
    enforcement-phase mean; the licensing service's window shares follow.
    """
    from collabsim.metrics import declared_metrics

    lic, mob = [], []
    for m in declared_metrics(["licensing"]):
        if not m.headline:
            continue
        for w in ("before", "after"):
            if m.kind == "flow":
                lic.append((f"{m.name}_per_month_{w}", f"{m.label} / month, {w}"))
            elif m.kind == "level":
                lic.append((f"{m.name}_{w}", f"{m.label}, {w}"))
    for key, label in (("levy_target_share", "levy ÷ target"), ("informal_share",
                                                                 "informal share")):
        lic += [(f"{key}_{w}", f"{label}, {w}") for w in ("before", "after")]
    for m in declared_metrics(["mobility"]):
        if m.headline and m.phases:
            mob.append((f"{m.name}_enforcement", f"{m.label}, enforcement"))
    mob += [("checkpoint_gaps_enforcement", "checkpoint gaps, enforcement"),
            ("checkpoint_overlaps_enforcement", "checkpoint overlaps, enforcement")]
    return lic, mob


PLOT_METRICS = ["applications_submitted", "permits_issued", "backlog", "mean_processing_days",
                "levy_share_30d", "informal_share", "mean_trust", "mean_commitment",
                "mean_officer_effort"]


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that run scenarios."""
    p.add_argument("--steps", type=int, default=None, help="days to simulate (default: scenario's)")
    p.add_argument("--citizens", type=int, default=None,
                   help="number of citizens (capacities scale with it)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value by key path, e.g. "
                        "agencies.pupr.leader_commitment=0.9 (repeatable; '*' matches every key)")
    p.add_argument("--intervene", dest="interventions", action="append", default=[],
                   metavar="DAY:KEY=VALUE[,KEY=VALUE]",
                   help="add an intervention on DAY, e.g. "
                        "545:agencies.pupr.regulation_ready=true (repeatable)")


def overrides_from(args: argparse.Namespace) -> dict:
    """Parse a command's ``--set`` options (and ``--steps``, which bounds intervention days)."""
    from collabsim.scenario import parse_assignment

    out = dict(parse_assignment(a) for a in args.overrides)
    if getattr(args, "steps", None) is not None:
        out.setdefault("steps", args.steps)
    return out


def scenario_from(source, args: argparse.Namespace, overrides: dict):
    """Load a scenario with the command's overrides and its ``--intervene`` interventions."""
    from collabsim.interventions import parse_intervention, with_interventions
    from collabsim.scenario import load_scenario

    extra = [parse_intervention(t) for t in getattr(args, "interventions", [])]
    return with_interventions(load_scenario(source, overrides), extra)


def _check_count(name: str, value: int | None, lo: int = 1) -> None:
    if value is not None and value < lo:
        raise CollabsimError(f"--{name}: must be at least {lo} (got {value})")


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write its results."""
    from collabsim.analysis.plots import intervention_markers, plot_timeseries
    from collabsim.runner import run
    from collabsim.scenario import dump_scenario

    _check_count("steps", args.steps)
    _check_count("citizens", args.citizens, 10)
    overrides = overrides_from(args)
    if args.citizens is not None:
        overrides["citizens.n"] = args.citizens
    scenario = scenario_from(args.scenario, args, overrides)
    res = run(scenario, args.seed, args.steps)
    out = Path(args.out or f"runs/{scenario.name}")
    out.mkdir(parents=True, exist_ok=True)
    res.timeseries.to_parquet(out / "timeseries.parquet", index=False)
    (out / "summary.json").write_text(json.dumps(
        {"scenario": scenario.name, "seed": res.seed, **res.summary}, indent=2))
    (out / "scenario.toml").write_text(dump_scenario(scenario))
    metrics = [m for m in PLOT_METRICS if m in res.timeseries]
    if "mobility_index" in res.timeseries:
        metrics += ["mobility_index", "compliance_rate", "awareness_rate"]
    plot_timeseries(res.timeseries, out / "timeseries.png", metrics,
                    start=scenario.collaboration_start, title=f"{scenario.name}, seed {res.seed}",
                    markers=intervention_markers([scenario]))
    print(f"{scenario.name}: {len(res.timeseries)} days, seed {res.seed} -> {out}/")
    for key, label in [*_headline()[0], *_headline()[1]]:
        if key in res.summary:
            print(f"  {label:<46} {res.summary[key]:>10.2f}")
    return 0


def _share(row) -> str:
    """`` · 62 % param``: the share of a posterior-aware row's variance from the parameters."""
    share = row.get("param_share") if hasattr(row, "get") else None
    if share is None or share != share:
        return ""
    return f" · {share:.0%} param"


def _interval(value: float, low: float, high: float, spec: str) -> str:
    """``value [low, high]`` in format ``spec``; the value alone when the interval is NaN."""
    if value != value:  # NaN: the metric does not apply
        return "n/a"
    if low != low or high != high:
        return format(value, spec)
    return f"{value:{spec}} [{low:{spec}}, {high:{spec}}]"


def _fmt(row) -> str:
    if row["mean"] != row["mean"]:  # NaN: the metric does not apply to this scenario
        return "n/a"
    return _interval(row["mean"], row["ci_low"], row["ci_high"], ".2f") + _share(row)


def headline_table(table, keys=None):
    """Wide table: one row per headline metric, one column per scenario (mean [95 % CI]).

    Over a posterior each cell also gives the share of the variance from the parameters.
    """
    import pandas as pd

    rows = {}
    for key, label in keys if keys is not None else [*_headline()[0], *_headline()[1]]:
        part = table[table.metric == key]
        if len(part):
            rows[label] = {r["scenario"]: _fmt(r) for _, r in part.iterrows()}
    return pd.DataFrame.from_dict(rows, orient="index").fillna("n/a")


def _compare_progress():
    """The sweep's progress display (bar on a terminal, log lines otherwise) for compare."""
    from collabsim.experiments.cli import SweepProgress
    from collabsim.experiments.runners import Status

    show, start = SweepProgress("compare"), time.monotonic()

    def progress(done: int, total: int) -> None:
        show(Status(done, total, 0, done, total, time.monotonic() - start))

    return progress


class PosteriorRuns:
    """A comparison over a calibration's posterior: the draws and each scenario's overrides.

    Attributes:
        posterior: The loaded :class:`~collabsim.calibration.posterior.Posterior`.
        plan: The draws and, per scenario, one override dict per draw.
    """

    def __init__(self, posterior: Posterior, plan: PosteriorPlan):
        self.posterior = posterior
        self.plan = plan

    @property
    def draws(self) -> list[PosteriorDraw]:
        """The drawn particles."""
        return list(self.plan.draws)

    def scenarios(self, scenarios: Sequence[Scenario], draw: PosteriorDraw) -> list[Scenario]:
        """The scenarios of one draw: each with its posterior overrides (validated)."""
        from collabsim.scenario import load_scenario

        return [load_scenario(sc, self.plan.overrides[sc.name][draw.draw]) if
                self.plan.overrides[sc.name][draw.draw] else sc for sc in scenarios]

    def header(self, replications: int) -> str:
        """What the printed tables are over."""
        ident = self.plan.identity
        return (f"posterior {ident['dir']} ({ident['name']}, {ident['particles']} particles, "
                f"{ident['hash'][:12]}): {len(self.plan.draws)} draws by weight × "
                f"{replications} replications, the same seeds in every draw and scenario; "
                "[95 % CI] combines parameter uncertainty (between draws) and stochastic "
                "noise (within draws), '· P % param' is the parameters' share of its variance")


def posterior_runs(args: argparse.Namespace, scenarios: Sequence[Scenario],
                   overrides: dict) -> PosteriorRuns:
    """Load ``--posterior``, draw ``--draws`` particles and map them onto the scenarios.

    A variant takes its base's (the first scenario's) draw; values set by ``--set``
    or by a variant are not replaced by the posterior's (a warning says so).

    Raises:
        CollabsimError: one line per problem (the posterior, the draws, a value a
            scenario rejects).
    """
    from collabsim.calibration.posterior import load_posterior, make_plan, scenario_chain
    from collabsim.experiments.cli import DEFAULT_DRAWS
    from collabsim.interventions import parse_variant

    draws = args.draws if args.draws is not None else DEFAULT_DRAWS
    _check_count("draws", draws, 2)
    if args.replications < 2:
        raise CollabsimError(f"--replications: --posterior needs at least 2 per draw to tell "
                             f"noise from parameter uncertainty (got {args.replications})")
    post = load_posterior(args.posterior)
    drawn = post.draw(draws, args.seed)
    n_base = len(args.scenarios)
    fixed = [(k, "--set") for k in overrides if k != "steps"]
    chains, explicit = {}, {}
    for src, sc in zip(args.scenarios, scenarios[:n_base], strict=True):
        chains[sc.name] = tuple(dict.fromkeys((sc.name, *scenario_chain(src))))
        explicit[sc.name] = fixed
    first = scenarios[0].name
    for text, sc in zip(args.variants, scenarios[n_base:], strict=True):
        _, values, _ = parse_variant(text)
        chains[sc.name] = tuple(dict.fromkeys((sc.name, *chains[first])))
        explicit[sc.name] = fixed + [(k, f"--variant {sc.name}") for k in values]
    plan = make_plan(post, drawn, chains, explicit, {sc.name: sc for sc in scenarios})
    for note in plan.notes:
        print(f"warning: {note}", file=sys.stderr)
    return PosteriorRuns(post, plan)


def compare_over_posterior(scenarios: Sequence[Scenario], runs: PosteriorRuns,
                           args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every scenario over every posterior draw × the replications (the same seeds in each).

    Returns:
        ``(summaries, timeseries)`` as :func:`collabsim.runner.compare`'s, with the
        draw's columns (``posterior_draw``, ``posterior_particle``, ``posterior:NAME``).
    """
    import pandas as pd

    from collabsim.runner import compare

    progress = _compare_progress()
    per = len(scenarios) * args.replications
    total = per * len(runs.draws)
    frames, series = [], []
    for d in runs.draws:
        def step(done: int, _total: int, base: int = d.draw * per) -> None:
            progress(base + done, total)

        s, ts = compare(runs.scenarios(scenarios, d), args.replications, args.seed,
                        args.steps, args.citizens, progress=step)
        at = list(s.columns).index("seed") + 1
        for i, (col, value) in enumerate(d.columns().items()):
            s.insert(at + i, col, value)
        ts["posterior_draw"] = d.draw
        frames.append(s)
        series.append(ts)
    return pd.concat(frames, ignore_index=True), pd.concat(series, ignore_index=True)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios over replications (and posterior draws): CI table, CSV and plots."""
    from collabsim.analysis.plots import (
        intervention_markers,
        plot_before_after,
        plot_compare_bands,
    )
    from collabsim.effects import posterior_confidence_table
    from collabsim.runner import compare, confidence_table

    _check_count("replications", args.replications)
    _check_count("steps", args.steps)
    _check_count("citizens", args.citizens, 10)
    if args.draws is not None and not args.posterior:
        raise CollabsimError("--draws: goes with --posterior DIR (the draws are the "
                             "posterior's)")
    overrides = overrides_from(args)
    scenarios = [scenario_from(s, args, overrides) for s in args.scenarios]
    scenarios += variants_of(scenarios[0], args.variants)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise CollabsimError(f"compare: scenario names must differ (got {', '.join(names)})")
    post = posterior_runs(args, scenarios, overrides) if args.posterior else None
    if post is None:
        summaries, ts = compare(scenarios, args.replications, args.seed, args.steps,
                                args.citizens, progress=_compare_progress())
        table = confidence_table(summaries)
    else:
        summaries, ts = compare_over_posterior(scenarios, post, args)
        table = posterior_confidence_table(summaries)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "compare.csv", index=False)
    summaries.to_csv(out / "runs.csv", index=False)
    ts.to_parquet(out / "timeseries.parquet", index=False)
    wide = headline_table(table, [*_headline()[0], *_headline()[1]])
    wide.to_csv(out / "headline.csv")
    written = "compare.csv, headline.csv, runs.csv, timeseries.parquet, manifest.json"
    if post is not None:
        post_table(post).to_csv(out / "posterior_draws.csv", index=False)
        written += ", posterior_draws.csv"
    (out / "manifest.json").write_text(json.dumps(_compare_manifest(
        args, scenarios, overrides, out, post), indent=2, default=str))
    start = scenarios[0].collaboration_start
    metrics = [m for m in PLOT_METRICS if m in ts]
    if "mobility_index" in ts:
        metrics += ["mobility_index", "compliance_rate", "awareness_rate"]
    plot_compare_bands(ts, out / "timeseries_bands.png", metrics, start=start,
                       markers=intervention_markers(scenarios, prefix=len(scenarios) > 1))
    plot_before_after(table, out / "before_after.png",
                      ["applications_submitted_per_month", "permits_issued_per_month",
                       "mean_processing_days"])
    if post is None:
        print(f"{args.replications} replications per scenario, root seed {args.seed}; "
              "mean [95 % CI]:")
    else:
        print(post.header(args.replications) + f"; root seed {args.seed}; mean [95 % CI]:")
    if len(wide):
        print(wide.to_string())
    if len(scenarios) > 1:
        diffs, cost = difference_tables(summaries, names[0], posterior=post is not None)
        diffs.to_csv(out / "differences.csv", index=False)
        cost.to_csv(out / "cost_effectiveness.csv", index=False)
        paired = "common seeds" if post is None else "draw and common seeds"
        print(f"\ndifference from {names[0]} (paired on {paired}), mean [95 % CI]:")
        print(difference_headline(diffs).to_string())
        if len(cost):
            how = "95 % bootstrap CI" if post is None else "95 % CI over the draws"
            print(f"\ncost-effectiveness against {names[0]}, mean ratio [{how}]:")
            print(cost_headline(cost).to_string())
        written += ", differences.csv, cost_effectiveness.csv"
    if not args.no_counterfactual:
        effects = collaboration_effect_table(scenarios, summaries, args, post)
        effects.to_csv(out / "effects.csv", index=False)
        wide_fx = effect_headline(effects)
        if len(wide_fx):
            print("\neffect of the joint arrangement: factual − never-joint on the same seeds, "
                  "after the start, mean [95 % CI]:")
            print(wide_fx.to_string())
        written += ", effects.csv"
    print(f"-> {out}/{written}, timeseries_bands.png, before_after.png")
    return 0


def post_table(runs: PosteriorRuns) -> pd.DataFrame:
    """The drawn particles: draw, particle, weight, the particle's seed and its values."""
    import pandas as pd

    return pd.DataFrame([{"posterior_draw": d.draw, "posterior_particle": d.particle,
                          "weight": d.weight, "particle_seed": d.seed, **d.values}
                         for d in runs.draws])


def collaboration_effect_table(scenarios: Sequence[Scenario], summaries: pd.DataFrame,
                               args: argparse.Namespace, post: PosteriorRuns | None = None
                               ) -> pd.DataFrame:
    """Run each scenario's never-joint counterfactual on the same seeds; the paired effects.

    Over a posterior each draw's scenarios (with the draw's values) get their own
    counterfactuals, and the effects are pooled over the draws
    (:func:`collabsim.effects.posterior_effect_table`).

    Returns:
        Long table: scenario, metric, factual, counterfactual, effect, ci_low,
        ci_high, p_value, n, relative (see :func:`collabsim.effects.paired_difference`),
        and over a posterior the uncertainty split (``draws``, ``df``, ``noise_var``,
        ``param_var``, ``total_var``, ``param_share``).
    """
    import pandas as pd

    from collabsim.effects import (
        DRAW,
        EFFECT_METRICS,
        effect_table,
        never_joint,
        posterior_effect_table,
    )
    from collabsim.runner import run

    progress, parts = _compare_progress(), []
    draws = post.draws if post is not None else [None]
    total, done = len(scenarios) * args.replications * len(draws), 0
    pairs: dict[str, list] = {sc.name: [] for sc in scenarios}
    for d in draws:
        mine_all = summaries if d is None else summaries[summaries[DRAW] == d.draw]
        runnable = scenarios if d is None else post.scenarios(scenarios, d)
        for sc in runnable:
            mine = mine_all[mine_all.scenario == sc.name]
            rows = [{"arm": "factual", **r} for r in mine.to_dict("records")]
            cf = never_joint(sc)
            for r in mine.to_dict("records"):
                res = run(cf, int(r["seed"]), args.steps, args.citizens,
                          window_start=sc.collaboration_start)
                extra = {} if d is None else {DRAW: d.draw}
                rows.append({"arm": "counterfactual", "replicate": r["replicate"],
                             "seed": r["seed"], **extra, **res.summary})
                done += 1
                progress(done, total)
            pairs[sc.name] += rows
    for name, rows in pairs.items():
        frame = pd.DataFrame(rows)
        table = (effect_table(frame, EFFECT_METRICS) if post is None
                 else posterior_effect_table(frame, EFFECT_METRICS))
        parts.append(table.assign(scenario=name))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out[["scenario", *[c for c in out.columns if c != "scenario"]]] if len(out) else out


def difference_tables(summaries: pd.DataFrame, baseline: str, posterior: bool = False
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Differences from the baseline and cost-effectiveness (see :mod:`collabsim.effects`).

    Args:
        summaries: One row per run.
        baseline: The scenario the others are compared with.
        posterior: Whether the runs are over posterior draws (``posterior_draw``):
            then paired by draw and replicate and pooled over the draws.
    """
    from collabsim.effects import (
        cost_effectiveness,
        posterior_cost_effectiveness,
        posterior_differences,
        scenario_differences,
    )

    if posterior:
        return (posterior_differences(summaries, baseline),
                posterior_cost_effectiveness(summaries, baseline))
    return scenario_differences(summaries, baseline), cost_effectiveness(summaries, baseline)


def difference_headline(diffs):
    """Wide table of differences: one row per metric, one column per scenario."""
    import pandas as pd

    labels = {**dict([*_headline()[0], *_headline()[1]]),
              "informal_per_month_after": "informal needs / month, after",
              "cost_total": "cost of the run (kRp)",
              "cost_total_after": "cost after the start (kRp)"}
    rows: dict = {}
    for _, r in diffs.iterrows():
        cell = "n/a" if r["difference"] != r["difference"] else (
            _interval(r["difference"], r["ci_low"], r["ci_high"], "+.4g") + _share(r))
        rows.setdefault(labels.get(r["metric"], r["metric"]), {})[r["scenario"]] = cell
    return pd.DataFrame.from_dict(rows, orient="index").fillna("n/a")


def cost_headline(cost):
    """Wide table of cost-effectiveness ratios: one row per measure, one column per scenario."""
    import pandas as pd

    rows: dict = {}
    for _, r in cost.iterrows():
        if r["ratio"] != r["ratio"]:
            cell = "n/a (no extra cost)" if r["extra_cost"] <= 0 else "n/a"
        else:
            cell = _interval(r["ratio"], r["ci_low"], r["ci_high"], ".4g") + _share(r)
        rows.setdefault(r["measure"], {})[r["scenario"]] = cell
    return pd.DataFrame.from_dict(rows, orient="index").fillna("n/a")


def effect_headline(effects):
    """Wide table of the collaboration's effects: one row per headline metric, one column each."""
    import pandas as pd

    labels = {**dict([*_headline()[0], *_headline()[1]]),
              "informal_per_month_after": "informal needs / month, after"}
    rows: dict = {}
    for _, r in effects.iterrows():
        label = labels.get(r["metric"], r["metric"])
        cell = "n/a" if r["effect"] != r["effect"] else (
            _interval(r["effect"], r["ci_low"], r["ci_high"], "+.2f") + _share(r))
        rows.setdefault(label, {})[r["scenario"]] = cell
    return pd.DataFrame.from_dict(rows, orient="index").fillna("n/a")


def variants_of(base, texts: list[str]) -> list:
    """Named variants of the base scenario from ``--variant`` (values or an intervention)."""
    from collabsim.interventions import parse_variant, with_interventions
    from collabsim.scenario import load_scenario

    out = []
    for text in texts:
        name, overrides, extra = parse_variant(text)
        sc = with_interventions(load_scenario(base, {**overrides, "name": name}), extra)
        out.append(sc)
    return out


def _compare_manifest(args: argparse.Namespace, scenarios, overrides: dict, out: Path,
                      post: PosteriorRuns | None = None) -> dict:
    """What a comparison ran, so its runs can be repeated (and re-run by `analyze`).

    Each scenario is written fully resolved (variants and interventions included)
    to ``scenarios/NAME.toml`` beside the results; ``sources`` names those files.
    Over a posterior, ``posterior`` records the directory, its hashes, the seed of
    the draws and each draw's particle, values and overrides per scenario (applied
    on top of those files).
    """
    from collabsim import __version__
    from collabsim.rng import replicate_seeds
    from collabsim.scenario import dump_scenario

    folder = out / "scenarios"
    folder.mkdir(exist_ok=True)
    sources = []
    for s in scenarios:
        path = folder / f"{s.name}.toml"
        path.write_text(dump_scenario(s))
        sources.append(str(path.resolve()))
    return {"kind": "compare", "collabsim": __version__,
            "scenarios": [s.name for s in scenarios], "sources": sources,
            "given": list(args.scenarios), "variants": list(args.variants),
            "interventions": list(args.interventions),
            "replications": args.replications, "root_seed": args.seed,
            "seeds": replicate_seeds(args.seed, args.replications),
            "steps": args.steps, "n_citizens": args.citizens, "overrides": overrides,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **({} if post is None else {"posterior": {
                **post.plan.describe(), "draw_seed": args.seed,
                "replications_per_draw": args.replications,
                "seeds_across_draws": "common: every draw runs the same replicate seeds"}})}


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate scenario files: exit 0, or 2 with one line per problem."""
    from collabsim.scenario import ScenarioError, load_scenario

    problems = []
    for f in args.files:
        try:
            sc = load_scenario(f, overrides_from(args))
            print(f"{f}: ok ({sc.name})")
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CollabsimError(problems)
    return 0


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported (found without importing it)."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing_extra(extra: str) -> bool:
    """Whether a module of the optional stack ``extra`` is not installed."""
    return not all(_installed(m) for m in EXTRAS[extra])


def _extra_error(what: str, extra: str) -> CollabsimError:
    return CollabsimError(f"{what} needs the {extra} extra: pip install 'collabsim[{extra}]'")


def _needed_extras(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(what, extra) for each optional stack the parsed command will use."""
    if args.command == "viz":
        return [("collabsim viz", "viz")]
    if args.command in ("analyze", "report"):  # scenario discovery is EMA Workbench's PRIM
        return [(f"collabsim {args.command}", "ema")]
    if args.command == "calibrate":  # ABC-SMC is pyabc's; a dry run only checks the spec
        needed = [] if args.dry_run else [("collabsim calibrate", "calibrate")]
        if getattr(args, "dask_local", None) is not None:
            needed.append(("collabsim calibrate --dask-local", "dask"))
        if getattr(args, "scheduler", None) is not None:
            needed.append(("collabsim calibrate --scheduler", "dask"))
        return needed
    if args.command == "sweep":
        if getattr(args, "dask_local", None) is not None:
            return [("collabsim sweep --dask-local", "dask")]
        if getattr(args, "scheduler", None) is not None:
            return [("collabsim sweep --scheduler", "dask")]
    return []


def _check_extras(args: argparse.Namespace) -> None:
    for what, extra in _needed_extras(args):
        if missing_extra(extra):
            raise _extra_error(what, extra)


def _extra_of(exc: ModuleNotFoundError) -> str | None:
    top = (exc.name or "").split(".")[0]
    return next((e for e, mods in EXTRAS.items() if top in mods), None)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command (plugins included)."""
    parser = argparse.ArgumentParser(
        prog="collabsim", allow_abbrev=False,
        description="Agent-based simulation of inter-agency collaboration in local government.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario; write time series, summary, plot")
    p.add_argument("scenario", help="scenario file or preset name (e.g. pbg)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--out", default=None, help="output directory (default runs/NAME)")
    add_scenario_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare scenarios over replications (95 %% CIs)")
    p.add_argument("scenarios", nargs="+", help="scenario files or preset names")
    p.add_argument("--replications", type=int, default=20, help="runs per scenario (default 20)")
    p.add_argument("--seed", type=int, default=0, help="root seed of the replicate seeds")
    p.add_argument("--out", default="cmp", help="output directory (default cmp/)")
    p.add_argument("--variant", dest="variants", action="append", default=[],
                   metavar="NAME:[DAY:]KEY=VALUE[,KEY=VALUE]",
                   help="a named variant of the first scenario: values from the start "
                        "(reg_first:agencies.*.regulation_ready=true) or an intervention on a "
                        "day (reg_late:545:agencies.*.regulation_ready=true); repeatable")
    p.add_argument("--no-counterfactual", action="store_true",
                   help="skip the never-joint counterfactual runs (no effects.csv)")
    from collabsim.experiments.cli import add_posterior_options

    add_posterior_options(p, "every scenario (and variant) runs")
    add_scenario_options(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("validate", help="check scenario files against the schema")
    p.add_argument("files", nargs="+", help="scenario files or preset names")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="also validate these overrides")
    p.set_defaults(func=cmd_validate)

    for mod in _PLUGINS:
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and mod.startswith(exc.name):
                continue
            raise
        module.register(sub)
    for command in sub.choices.values():
        command.allow_abbrev = False  # `--out` must never be read as `--outcome`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_extras(args)
        return int(args.func(args) or 0)
    except CollabsimError as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # an optional stack the checks above did not foresee
        extra = _extra_of(exc)
        if extra is None:
            raise
        print(f"error: {_extra_error(f'collabsim {args.command}', extra).problems[0]}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

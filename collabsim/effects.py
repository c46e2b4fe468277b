"""Effects against a counterfactual: the same world, on the same random numbers, without the change.

The effect of the collaboration is *not* the before/after difference within a
run (that mixes it with trends and chance), but the difference between a run
and its **never-joint counterfactual**: the same scenario and seed — the same
citizens, needs and draws up to the start — in which the joint arrangement
never starts. Both are summarised over the same windows (the factual run's
before and after), so the counterfactual's "after" is what the siloed
arrangement would have done over that year. Pairs share their seed (common
random numbers), so the paired difference carries far less noise than two
independent runs (DESIGN §2 "Effects").

The before windows of the pair are identical by construction (the same seed,
nothing differs before the start); a test pins this.

Over a calibration's posterior (``collabsim compare --posterior DIR``) every table
has a posterior-aware version (``posterior_*``): each draw's estimate is pooled over
the draws by :func:`combine_draws` (Rubin's rules), and the variance of the result is
split into parameter uncertainty (between draws) and stochastic noise (within draws).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from collabsim.rng import replicate_seeds
from collabsim.scenario import Scenario, load_scenario

__all__ = [
    "COST_MEASURES",
    "DIFFERENCE_METRICS",
    "DRAW",
    "EFFECT_METRICS",
    "POSTERIOR_COLUMNS",
    "EffectResult",
    "collaboration_effects",
    "combine_draws",
    "cost_effectiveness",
    "never_joint",
    "paired_difference",
    "pool_draws",
    "posterior_confidence_table",
    "posterior_cost_effectiveness",
    "posterior_differences",
    "posterior_effect_table",
    "run_pair",
    "scenario_differences",
]

#: The collaboration start of a counterfactual that never joins (past any run).
NEVER = 36_500

#: Summary outcomes whose collaboration effect is reported by default (after window).
EFFECT_METRICS = (
    "applications_submitted_per_month_after",
    "permits_issued_per_month_after",
    "mean_processing_days_after",
    "informal_per_month_after",
    "levy_target_share_after",
    "mobility_index_enforcement",
    "compliance_rate_enforcement",
    "awareness_rate_enforcement",
)


def never_joint(scenario: Scenario) -> Scenario:
    """The counterfactual of ``scenario``: identical, but the joint arrangement never starts."""
    data = scenario.model_dump()
    data["collaboration_start"] = NEVER
    return Scenario.model_validate(data)


def paired_difference(x: Sequence[float], y: Sequence[float], level: float = 0.95) -> dict:
    """Mean of the paired differences ``x − y`` with its Student-t interval and two-sided p.

    Pairs with a NaN on either side are dropped (a metric undefined in one run).

    Returns:
        ``mean_x``, ``mean_y``, ``effect``, ``ci_low``, ``ci_high``, ``p_value``
        (one-sample t on the differences), ``relative`` (effect ÷ mean_y) and ``n``.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = ~(np.isnan(x) | np.isnan(y))
    d = x[keep] - y[keep]
    out = {"mean_x": float(x[keep].mean()) if d.size else np.nan,
           "mean_y": float(y[keep].mean()) if d.size else np.nan,
           "effect": float(d.mean()) if d.size else np.nan,
           "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "n": int(d.size)}
    if d.size >= 2:
        if np.ptp(d) == 0:
            out.update(ci_low=float(d[0]), ci_high=float(d[0]),
                       p_value=1.0 if d[0] == 0 else 0.0)
        else:
            res = stats.ttest_1samp(d, 0.0)
            ci = res.confidence_interval(level)
            out.update(ci_low=float(ci.low), ci_high=float(ci.high), p_value=float(res.pvalue))
    out["relative"] = (out["effect"] / out["mean_y"]
                       if out["mean_y"] not in (0.0,) and np.isfinite(out["mean_y"]) else np.nan)
    return out


@dataclass
class EffectResult:
    """Paired factual and counterfactual runs of one scenario.

    Attributes:
        scenario: The resolved scenario (factual arm).
        pairs: One row per (arm, replicate): ``arm`` (``factual`` or
            ``counterfactual``), ``replicate``, ``seed`` and the summary outcomes.
        table: One row per metric: factual mean, counterfactual mean, effect
            with 95 % CI, p and relative effect (see :func:`paired_difference`).
    """

    scenario: Scenario
    pairs: pd.DataFrame
    table: pd.DataFrame

    def effect(self, metric: str) -> dict:
        """The row of :attr:`table` for one metric, as a dict."""
        row = self.table.loc[self.table["metric"] == metric]
        if row.empty:
            raise KeyError(f"no effect for metric '{metric}'; have: "
                           f"{', '.join(self.table['metric'])}")
        return row.iloc[0].to_dict()

    def differences(self, metric: str) -> np.ndarray:
        """Per-seed paired differences factual − counterfactual of one summary outcome."""
        f = self.pairs[self.pairs.arm == "factual"].set_index("replicate")[metric]
        c = self.pairs[self.pairs.arm == "counterfactual"].set_index("replicate")[metric]
        return (f - c.reindex(f.index)).to_numpy(dtype=float)


def effect_table(pairs: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Paired effect factual − counterfactual of each metric present in ``pairs``."""
    f = pairs[pairs.arm == "factual"].set_index("replicate")
    c = pairs[pairs.arm == "counterfactual"].set_index("replicate").reindex(f.index)
    rows = []
    for m in metrics:
        if m not in f or not np.isfinite(f[m].to_numpy(dtype=float)).any():
            continue
        eff = paired_difference(f[m], c[m])
        rows.append({"metric": m, "factual": eff.pop("mean_x"),
                     "counterfactual": eff.pop("mean_y"), **eff})
    return pd.DataFrame(rows, columns=["metric", "factual", "counterfactual", "effect",
                                       "ci_low", "ci_high", "p_value", "n", "relative"])


def shared_history(scenario: Scenario, seed: int, day: int | None = None,
                   steps: int | None = None, n_citizens: int | None = None
                   ) -> tuple[Any, int]:
    """The model run to the morning of ``day`` (default: the collaboration start).

    Returns:
        ``(model, days_left)``: the model on ``day`` and the days its run has left
        (``steps`` or the scenario's, minus ``day``; the fork is capped at the run's end).
    """
    from collabsim.model import CollabModel  # the model layer; imported late

    model = CollabModel(scenario, seed=seed, n_citizens=n_citizens)
    total = int(steps if steps is not None else model.config.steps)
    fork = min(scenario.collaboration_start if day is None else int(day), total)
    model.run(fork)
    return model, total - fork


def run_arm(model: Any, edit: Callable[[Any], None] | None, days: int, window_start: int,
            copy_first: bool = True) -> Any:
    """One arm of a fork: (a copy of) ``model`` with ``edit`` made that morning, run on.

    Returns:
        Its :class:`~collabsim.runner.RunResult`, summarised on the windows split on
        ``window_start`` (the scenario's collaboration start, whatever the edit changed).
    """
    import copy

    from collabsim.runner import result_of

    arm = copy.deepcopy(model) if copy_first else model
    if edit is not None:
        edit(arm)
    arm.run(days)
    return result_of(arm, window_start)


def intervention_edit(changes: Mapping[str, Any], label: str) -> Callable[[Any], None]:
    """An edit that makes ``changes`` (dotted key paths) an intervention on the model's day."""
    from collabsim.interventions import with_interventions

    def edit(model: Any) -> None:
        model.config = with_interventions(
            model.config, [{"day": model.day, "label": label, "set": dict(changes)}])
        model.timeline.interventions.append(model.config.interventions[-1])
    return edit


def _forks(scenario: Scenario, seed: int, edits: Mapping[Any, Callable[[Any], None] | None],
           day: int | None, steps: int | None, n_citizens: int | None) -> dict[Any, Any]:
    """One run to ``day``, then one arm per edit: a copy of it with the edit made that morning.

    The last arm goes on with the run itself (no copy needed); an edit of ``None``
    changes nothing. Returns name to :class:`~collabsim.runner.RunResult`, each
    summarised on the scenario's windows.
    """
    model, days = shared_history(scenario, seed, day, steps, n_citizens)
    arms = list(edits.items())
    return {name: run_arm(model, edit, days, scenario.collaboration_start,
                          copy_first=k < len(arms) - 1)
            for k, (name, edit) in enumerate(arms)}


def run_pair(scenario: Scenario, seed: int, steps: int | None = None,
             n_citizens: int | None = None) -> tuple[Any, Any]:
    """A run and its never-joint counterfactual, forked at the collaboration start.

    Both share everything up to the start (burn-in, before window, every draw),
    so the counterfactual is a copy of the run taken on the start day with the
    joint arrangement switched off: bit-identical to a separate never-joint run
    on the same seed (a test pins this), at about half the cost.

    Returns:
        ``(factual, counterfactual)`` :class:`~collabsim.runner.RunResult`, both
        summarised on the factual run's windows.
    """
    def switch_off(model: Any) -> None:
        model.config = never_joint(model.config)

    out = _forks(scenario, seed, {"counterfactual": switch_off, "factual": None}, None, steps,
                 n_citizens)
    return out["factual"], out["counterfactual"]


def run_forked(scenario: Scenario | str | Path, seed: int,
               variants: Mapping[Any, Mapping[str, Any]], day: int | None = None,
               steps: int | None = None, n_citizens: int | None = None,
               label: str | None = None) -> dict[Any, Any]:
    """Runs that share one history up to ``day``, then each makes its own changes.

    The model runs once to ``day`` (burn-in and every draw shared); each variant
    is a copy of it taken that morning, whose changes (dotted key paths to
    values, as ``--set`` takes them; empty: none) are an intervention on ``day``
    through the model's one door (:meth:`CollabModel.reconfigure
    <collabsim.model.CollabModel.reconfigure>`). Each result is bit-identical to
    a separate run of ``scenario`` with that intervention on the same seed (a
    test pins this) at a fraction of the cost: the paired differences are
    effects from the one steady state, on common random numbers.

    Args:
        scenario: A Scenario, preset name or TOML path.
        seed: The seed every variant shares.
        variants: Name to changes made on ``day``.
        day: The day the variants part (default: the collaboration start).
        steps: Days per run (default: the scenario's).
        n_citizens: Number of citizens (default: the scenario's).
        label: The intervention's label in the event log (default: the variant's name).

    Returns:
        Name to :class:`~collabsim.runner.RunResult`, summarised on the
        scenario's windows.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return _forks(sc, seed, {
        name: intervention_edit(changes, str(name) if label is None else label)
        if changes else None for name, changes in variants.items()}, day, steps, n_citizens)


def collaboration_effects(scenario: Scenario | str | Path, replications: int = 20,
                          root_seed: int = 0, overrides: Mapping[str, Any] | None = None,
                          n_citizens: int | None = None, steps: int | None = None,
                          metrics: Sequence[str] = EFFECT_METRICS) -> EffectResult:
    """The collaboration's effect: factual vs never-joint, paired on common seeds.

    Args:
        scenario: A Scenario, preset name or TOML path.
        replications: Pairs of runs.
        root_seed: Root of the replicate seeds (:func:`collabsim.rng.replicate_seeds`).
        overrides: Dotted key paths to values (both arms).
        n_citizens: Number of citizens (default: the scenario's).
        steps: Days per run (default: the scenario's).
        metrics: Summary outcomes to tabulate.

    Returns:
        The :class:`EffectResult`.
    """
    sc = load_scenario(scenario, overrides) if not isinstance(scenario, Scenario) else (
        load_scenario(scenario, overrides) if overrides else scenario)
    rows = []
    for r, seed in enumerate(replicate_seeds(root_seed, replications)):
        for arm, res in zip(("factual", "counterfactual"), run_pair(sc, seed, steps, n_citizens),
                            strict=True):
            rows.append({"arm": arm, "replicate": r, "seed": seed, **res.summary})
    pairs = pd.DataFrame(rows)
    return EffectResult(sc, pairs, effect_table(pairs, metrics))


#: Outcomes in the difference-from-baseline table (when present in the summaries).
DIFFERENCE_METRICS = (*EFFECT_METRICS, "informal_share_after", "cost_total", "cost_total_after")

#: Cost-effectiveness measures: name, effect column, cost column, sign, cost unit divisor.
COST_MEASURES = (
    ("extra permits per bn Rp", "permits_issued_total_after", "cost_total_after", 1.0, 1e6),
    ("levy gained per Rp spent", "levy_collected_total_after", "cost_total_after", 1.0, 1.0),
    ("trips cut per officer-day", "trips_total_after", "officer_days_after", -1.0, 1.0),
)


def _paired(summaries: pd.DataFrame, baseline: str, name: str, col: str) -> tuple:
    base = summaries[summaries.scenario == baseline].set_index("replicate")[col]
    other = summaries[summaries.scenario == name].set_index("replicate")[col]
    base = base.reindex(other.index)
    return other.to_numpy(dtype=float), base.to_numpy(dtype=float)


def scenario_differences(summaries: pd.DataFrame, baseline: str,
                         metrics: Sequence[str] = DIFFERENCE_METRICS) -> pd.DataFrame:
    """Every scenario minus the baseline, per metric, paired by replicate (common seeds).

    Returns:
        Long table: scenario, baseline, metric, value, baseline_value, difference,
        ci_low, ci_high, p_value, n, relative.
    """
    rows = []
    for name in summaries.scenario.unique():
        if name == baseline:
            continue
        for m in metrics:
            if m not in summaries:
                continue
            x, y = _paired(summaries, baseline, name, m)
            if not np.isfinite(x).any():
                continue
            d = paired_difference(x, y)
            rows.append({"scenario": name, "baseline": baseline, "metric": m,
                         "value": d.pop("mean_x"), "baseline_value": d.pop("mean_y"),
                         "difference": d.pop("effect"), **d})
    return pd.DataFrame(rows)


def _ratio_ci(dx: np.ndarray, dc: np.ndarray) -> tuple[float, float]:
    """95 % paired bootstrap interval of mean(dx)/mean(dc) (NaN when undefined)."""
    if dx.size < 3 or (np.ptp(dc) == 0 and np.ptp(dx) == 0):
        return float("nan"), float("nan")
    res = stats.bootstrap((dx, dc), lambda a, b, axis=-1: a.mean(axis) / b.mean(axis),
                          paired=True, vectorized=True, n_resamples=2000,
                          rng=np.random.default_rng(0), method="percentile")
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def cost_effectiveness(summaries: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """What each scenario gains per unit of extra cost against the baseline (paired seeds).

    Measures (:data:`COST_MEASURES`): extra permits per bn Rp, levy gained per
    Rp spent, trips cut per officer-day; the ratio of the mean paired
    differences with a 95 % paired bootstrap interval. NaN where the scenario
    costs no more than the baseline (a saving is reported as such: negative
    extra cost in ``extra_cost``).

    Returns:
        Long table: scenario, baseline, measure, extra_effect, extra_cost, ratio,
        ci_low, ci_high, n.
    """
    rows = []
    for name in summaries.scenario.unique():
        if name == baseline:
            continue
        for measure, eff, cost, sign, unit in COST_MEASURES:
            if eff not in summaries or cost not in summaries:
                continue
            x, y = _paired(summaries, baseline, name, eff)
            cx, cy = _paired(summaries, baseline, name, cost)
            keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(cx) & np.isfinite(cy)
            dx, dc = sign * (x - y)[keep], (cx - cy)[keep] / unit
            extra = float(dc.mean()) if dc.size else float("nan")
            ratio = float(dx.mean() / extra) if dc.size and extra > 0 else float("nan")
            lo, hi = _ratio_ci(dx, dc) if np.isfinite(ratio) else (float("nan"),) * 2
            rows.append({"scenario": name, "baseline": baseline, "measure": measure,
                         "extra_effect": float(dx.mean()) if dx.size else float("nan"),
                         "extra_cost": extra, "ratio": ratio, "ci_low": lo, "ci_high": hi,
                         "n": int(dx.size)})
    return pd.DataFrame(rows)


# ----------------------------------------------------- over a posterior's draws
#: The runs-table column naming a run's posterior draw (as the sweep store writes it).
DRAW = "posterior_draw"

#: Columns a posterior-aware table adds to the ordinary one.
POSTERIOR_COLUMNS = ("draws", "df", "noise_var", "param_var", "total_var", "param_share")


def _rubin(mean: Any, ubar: Any, between: Any, draws: Any, nbar: Any,
           level: float = 0.95) -> dict[str, np.ndarray]:
    """Rubin's pooling from per-group summaries (arrays): the one formula of this module.

    Args:
        mean: Mean of the per-draw estimates.
        ubar: Mean of their sampling variances (NaN: undefined).
        between: Variance of the per-draw estimates between draws (ddof 1).
        draws: Number of draws (at least 2 for anything but ``estimate``).
        nbar: Mean runs per draw.
        level: Confidence level.
    """
    mean, ubar, between, draws, nbar = (np.asarray(x, dtype=float)
                                        for x in (mean, ubar, between, draws, nbar))
    with np.errstate(divide="ignore", invalid="ignore"):
        pv = (1.0 + 1.0 / draws) * between
        total = ubar + pv
        nu_within = np.maximum(nbar - 1.0, 1.0)
        df = total**2 / (ubar**2 / nu_within + pv**2 / (draws - 1.0))
        se = np.sqrt(total)
        half = stats.t.ppf(0.5 + level / 2, df) * se
        p = 2 * stats.t.sf(np.abs(mean) / se, df)
        share = pv / total
    ok = (draws >= 2) & np.isfinite(ubar) & np.isfinite(pv)
    none = ok & (total <= 0)  # every run of every draw agrees: no uncertainty at all
    nan = np.full(mean.shape, np.nan)
    return {
        "estimate": mean,
        "ci_low": np.where(none, mean, np.where(ok, mean - half, nan)),
        "ci_high": np.where(none, mean, np.where(ok, mean + half, nan)),
        "p_value": np.where(none, (mean == 0).astype(float), np.where(ok, p, nan)),
        "df": np.where(ok & ~none, df, nan),
        "noise_var": np.where(ok, ubar, nan),
        "param_var": np.where(ok, pv, nan),
        "total_var": np.where(ok, total, nan),
        "param_share": np.where(ok & ~none, share, nan),
    }


def combine_draws(estimates: Sequence[float], variances: Sequence[float],
                  counts: Sequence[float], level: float = 0.95) -> dict:
    """Pool one estimate per posterior draw: Rubin's rules, Satterthwaite's degrees of freedom.

    Each draw ``d`` (a particle drawn from the posterior, run over the same replicate
    seeds as every other draw) gives an estimate ``q_d`` (a mean, or a mean paired
    difference, over its runs) and that estimate's sampling variance ``u_d``
    (``s_d² / n_d``). As with multiple imputation (Rubin 1987), with ``D`` draws:

    * ``noise_var`` = Ū = mean of ``u_d`` — the stochastic noise of an estimate
      (within draws);
    * ``param_var`` = (1 + 1/D)·B, B = the variance of the ``q_d`` between draws —
      the parameter uncertainty (with Rubin's allowance for a finite number of draws);
    * ``total_var`` = Ū + (1 + 1/D)·B, ``param_share`` = ``param_var / total_var``.

    The interval is ``mean ± t·√total_var`` with Satterthwaite's degrees of freedom
    ``total_var² / (Ū²/(n̄ − 1) + ((1+1/D)B)²/(D − 1))`` (Rubin's, with the within-draw
    degrees of freedom finite: it is n̄ − 1 when the draws agree, D − 1 when the runs
    are noiseless). Draws whose estimate is undefined (NaN) are left out; a draw with
    a single run (a metric undefined in its other runs) counts in B but not in Ū.

    Args:
        estimates: ``q_d`` per draw.
        variances: ``u_d`` per draw (NaN where a draw has fewer than two runs).
        counts: ``n_d``, the runs (or pairs) behind each ``q_d``.
        level: Confidence level.

    Returns:
        ``estimate``, ``ci_low``, ``ci_high``, ``p_value`` (two-sided t of the estimate
        against 0), ``df``, ``draws``, ``noise_var``, ``param_var``, ``total_var``,
        ``param_share``; NaN where fewer than two draws, or no draw with two runs,
        leave a part undefined.
    """
    q = np.asarray(estimates, float)
    u = np.asarray(variances, float)
    n = np.asarray(counts, float)
    keep = np.isfinite(q)
    q, u, n = q[keep], u[keep], n[keep]
    d = int(q.size)
    ubar = float(u[np.isfinite(u)].mean()) if np.isfinite(u).any() else np.nan
    between = float(q.var(ddof=1)) if d >= 2 else np.nan
    pooled = _rubin(q.mean() if d else np.nan, ubar, between, d, n.mean() if d else np.nan,
                    level)
    return {**{k: float(v) for k, v in pooled.items()}, "draws": d}


def pool_draws(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[str],
               draw: str = DRAW, level: float = 0.95) -> pd.DataFrame:
    """:func:`combine_draws` of every column's mean per group, for many groups at once.

    Args:
        frame: One row per run: the ``keys``, the ``draw`` column and the ``columns``.
        keys: The grouping columns (e.g. scenario and design point).
        columns: The outcomes pooled (each run's value; NaN values are left out).
        draw: The column naming each run's posterior draw.
        level: Confidence level.

    Returns:
        Long table: the keys, metric, mean, ci_low, ci_high, n (runs), p_value, then
        :data:`POSTERIOR_COLUMNS`.
    """
    keys = list(keys)
    out_cols = [*keys, "metric", "mean", "ci_low", "ci_high", "n", "p_value",
                *POSTERIOR_COLUMNS]
    long = frame.melt(id_vars=[*keys, draw], value_vars=list(columns), var_name="metric")
    long = long[np.isfinite(pd.to_numeric(long["value"], errors="coerce").to_numpy(float))]
    if long.empty:
        return pd.DataFrame(columns=out_cols)
    long = long.assign(value=long["value"].astype(float))
    per = long.groupby([*keys, "metric", draw], sort=False)["value"].agg(
        ["mean", "var", "count"]).reset_index()
    per["u"] = per["var"] / per["count"]
    agg = per.groupby([*keys, "metric"], sort=False).agg(
        mean=("mean", "mean"), between=("mean", "var"), draws=("mean", "size"),
        ubar=("u", "mean"), nbar=("count", "mean"), n=("count", "sum")).reset_index()
    pooled = _rubin(agg["mean"], agg["ubar"], agg["between"], agg["draws"], agg["nbar"], level)
    for k, v in pooled.items():
        if k != "estimate":
            agg[k] = v
    return agg[out_cols].reset_index(drop=True)


def _pooled(values: np.ndarray, draws: np.ndarray, level: float = 0.95) -> dict:
    q, u, n = _draw_stats(values, draws)
    out = combine_draws(q, u, n, level)
    out["n"] = int(np.isfinite(values).sum())
    return out


def _draw_stats(values: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per draw (sorted): mean, variance of the mean (s²/n) and n of the finite values."""
    qs, us, ns = [], [], []
    for g in np.unique(draws):
        x = values[(draws == g) & np.isfinite(values)]
        qs.append(x.mean() if x.size else np.nan)
        us.append(x.var(ddof=1) / x.size if x.size >= 2 else np.nan)
        ns.append(x.size)
    return np.asarray(qs, float), np.asarray(us, float), np.asarray(ns, float)


def posterior_confidence_table(summaries: pd.DataFrame, by: str = "scenario",
                               draw: str = DRAW) -> pd.DataFrame:
    """Means per metric and group over posterior draws × replications, uncertainty split.

    Args:
        summaries: One row per run, with ``by``, the ``draw`` column and outcomes.
        by: The grouping column.
        draw: The column naming each run's posterior draw.

    Returns:
        Long table: ``by``, metric, mean, ci_low, ci_high, n, then
        :data:`POSTERIOR_COLUMNS` (see :func:`combine_draws`).
    """
    skip = {by, draw, "seed", "replicate", "posterior_particle",
            *[c for c in summaries.columns if str(c).startswith("posterior:")]}
    numeric = [c for c in summaries.columns
               if c not in skip and pd.api.types.is_numeric_dtype(summaries[c])]
    table = pool_draws(summaries, [by], numeric, draw)
    return table.drop(columns="p_value")


def _posterior_pairs(f: pd.Series, c: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aligned (x, y, draw) of two series indexed by (draw, replicate), NaN pairs dropped."""
    c = c.reindex(f.index)
    x, y = f.to_numpy(dtype=float), c.to_numpy(dtype=float)
    g = np.asarray(f.index.get_level_values(0))
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep], g[keep]


def _paired_row(x: np.ndarray, y: np.ndarray, g: np.ndarray) -> dict:
    p = _pooled(x - y, g)
    mean_y = float(y.mean()) if y.size else np.nan
    return {"mean_x": float(x.mean()) if x.size else np.nan, "mean_y": mean_y,
            "effect": p["estimate"], "ci_low": p["ci_low"], "ci_high": p["ci_high"],
            "p_value": p["p_value"], "n": p["n"],
            "relative": (p["estimate"] / mean_y if np.isfinite(mean_y) and mean_y != 0
                         else np.nan),
            **{k: p[k] for k in POSTERIOR_COLUMNS}}


def posterior_effect_table(pairs: pd.DataFrame, metrics: Sequence[str] = EFFECT_METRICS,
                           draw: str = DRAW) -> pd.DataFrame:
    """Paired effect factual − counterfactual over posterior draws, uncertainty split.

    Pairs share their draw and replicate (hence seed). The per-draw mean of the paired
    differences is pooled over the draws by :func:`combine_draws`.

    Args:
        pairs: One row per (arm, draw, replicate): ``arm``, ``draw``, ``replicate``
            and the summary outcomes.
        metrics: Summary outcomes to tabulate (those present).
        draw: The column naming each run's posterior draw.

    Returns:
        The columns of :func:`effect_table`, then :data:`POSTERIOR_COLUMNS`.
    """
    keys = [draw, "replicate"]
    f = pairs[pairs.arm == "factual"].set_index(keys)
    c = pairs[pairs.arm == "counterfactual"].set_index(keys)
    rows = []
    for m in metrics:
        if m not in f or not np.isfinite(f[m].to_numpy(dtype=float)).any():
            continue
        r = _paired_row(*_posterior_pairs(f[m], c[m]))
        rows.append({"metric": m, "factual": r.pop("mean_x"),
                     "counterfactual": r.pop("mean_y"), **r})
    return pd.DataFrame(rows, columns=["metric", "factual", "counterfactual", "effect",
                                       "ci_low", "ci_high", "p_value", "n", "relative",
                                       *POSTERIOR_COLUMNS])


def _against_baseline(summaries: pd.DataFrame, baseline: str, draw: str):
    """``(name, its runs, the baseline's runs)`` per other scenario, indexed by draw, replicate."""
    keys = [draw, "replicate"]
    base = summaries[summaries.scenario == baseline].set_index(keys)
    for name in summaries.scenario.unique():
        if name != baseline:
            yield name, summaries[summaries.scenario == name].set_index(keys), base


def posterior_differences(summaries: pd.DataFrame, baseline: str,
                          metrics: Sequence[str] = DIFFERENCE_METRICS,
                          draw: str = DRAW) -> pd.DataFrame:
    """Every scenario minus the baseline over posterior draws, paired by draw and replicate.

    Returns:
        The columns of :func:`scenario_differences`, then :data:`POSTERIOR_COLUMNS`.
    """
    rows = []
    for name, other, base in _against_baseline(summaries, baseline, draw):
        for m in metrics:
            if m not in summaries or not np.isfinite(other[m].to_numpy(dtype=float)).any():
                continue
            r = _paired_row(*_posterior_pairs(other[m], base[m]))
            rows.append({"scenario": name, "baseline": baseline, "metric": m,
                         "value": r.pop("mean_x"), "baseline_value": r.pop("mean_y"),
                         "difference": r.pop("effect"), **r})
    return pd.DataFrame(rows)


def _ratio_draw(dx: np.ndarray, dc: np.ndarray) -> tuple[float, float]:
    """One draw's ratio mean(dx)/mean(dc) and its delta-method variance (NaN if undefined)."""
    n = dx.size
    if n == 0 or dc.mean() <= 0:
        return np.nan, np.nan
    r = float(dx.mean() / dc.mean())
    if n < 2:
        return r, np.nan
    cov = np.cov(dx, dc, ddof=1) / n
    var = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / dc.mean() ** 2
    return r, float(max(var, 0.0))


def posterior_cost_effectiveness(summaries: pd.DataFrame, baseline: str,
                                 draw: str = DRAW) -> pd.DataFrame:
    """Cost-effectiveness against the baseline over posterior draws, uncertainty split.

    Per draw, the ratio of the mean paired differences (effect ÷ extra cost, as in
    :func:`cost_effectiveness`) and its delta-method variance; pooled over the draws
    by :func:`combine_draws`. A draw in which the scenario costs no more than the
    baseline has no ratio and is left out (``draws`` says how many had one).

    Returns:
        Long table: scenario, baseline, measure, extra_effect, extra_cost, ratio,
        ci_low, ci_high, n, then :data:`POSTERIOR_COLUMNS`.
    """
    rows = []
    for name, other, base in _against_baseline(summaries, baseline, draw):
        for measure, eff, cost, sign, unit in COST_MEASURES:
            if eff not in summaries or cost not in summaries:
                continue
            b = base.reindex(other.index)
            x, y = other[eff].to_numpy(float), b[eff].to_numpy(float)
            cx, cy = other[cost].to_numpy(float), b[cost].to_numpy(float)
            g = np.asarray(other.index.get_level_values(0))
            keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(cx) & np.isfinite(cy)
            dx, dc, g = sign * (x - y)[keep], (cx - cy)[keep] / unit, g[keep]
            per = [_ratio_draw(dx[g == k], dc[g == k]) for k in np.unique(g)]
            counts = [int((g == k).sum()) for k in np.unique(g)]
            extra = float(dc.mean()) if dc.size else np.nan
            pooled = combine_draws([r for r, _ in per], [v for _, v in per], counts)
            ratio = pooled["estimate"] if dc.size and extra > 0 else np.nan
            rows.append({"scenario": name, "baseline": baseline, "measure": measure,
                         "extra_effect": float(dx.mean()) if dx.size else np.nan,
                         "extra_cost": extra, "ratio": ratio,
                         "ci_low": pooled["ci_low"] if np.isfinite(ratio) else np.nan,
                         "ci_high": pooled["ci_high"] if np.isfinite(ratio) else np.nan,
                         "n": int(dx.size), **{k: pooled[k] for k in POSTERIOR_COLUMNS}})
    return pd.DataFrame(rows)

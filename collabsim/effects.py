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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    "EFFECT_METRICS",
    "EffectResult",
    "collaboration_effects",
    "cost_effectiveness",
    "never_joint",
    "paired_difference",
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
    import copy

    from collabsim.model import CollabModel  # the model layer; imported late
    from collabsim.runner import result_of

    model = CollabModel(scenario, seed=seed, n_citizens=n_citizens)
    total = int(steps if steps is not None else model.config.steps)
    start = min(scenario.collaboration_start, total)
    model.run(start)
    twin = copy.deepcopy(model)
    twin.config = never_joint(twin.config)
    model.run(total - start)
    twin.run(total - start)
    return (result_of(model, scenario.collaboration_start),
            result_of(twin, scenario.collaboration_start))


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

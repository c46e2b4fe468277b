"""Comparisons over replications: means with 95 % CIs, and effect sizes between levels.

Groups are scenarios, parameter points (a sweep's ``sample``) or the levels of
one factor (grid levels, or quantile bins of a sampled range). Means and
confidence intervals are :func:`collabsim.runner.mean_ci`'s Student-t
intervals over runs (vectorised once, in :func:`t_halfwidth`); effect sizes are
the difference of means with scipy's Welch interval, Hedges' g and Welch's
two-sided p; before/after effects are paired within runs
(:func:`collabsim.effects.paired_difference`, Cohen's d_z).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from collabsim.analysis.results import Results
from collabsim.effects import paired_difference
from collabsim.runner import confidence_table, t_halfwidth

__all__ = [
    "KEY_OUTCOMES",
    "before_after_table",
    "factor_effects",
    "factor_level_table",
    "factor_levels",
    "key_outcomes",
    "paired_effect",
    "point_table",
    "scenario_effects",
    "scenario_table",
    "t_halfwidth",
    "welch_effect",
    "welch_effects",
]

#: Outcomes shown first in plots and key findings, in this order, when present.
KEY_OUTCOMES = (
    "permits_issued_per_month_after",
    "applications_submitted_per_month_after",
    "levy_target_share_after",
    "mean_processing_days_after",
    "informal_share_final",
    "mean_trust_final",
    "mobility_index_enforcement",
    "compliance_rate_enforcement",
    "awareness_rate_enforcement",
)

#: Up to this many distinct values a factor's values are its levels; more are binned.
MAX_LEVELS = 8


def key_outcomes(res: Results, wanted: Sequence[str] | None = None, limit: int = 4) -> list[str]:
    """The outcomes to plot: ``wanted``, else the spec's, else :data:`KEY_OUTCOMES` present.

    Outcomes that never vary (or are all missing) are left out.
    """
    varying = [c for c in res.outcomes if res.ok[c].nunique(dropna=True) > 1]
    declared = res.spec.get("outcomes") if isinstance(res.spec.get("outcomes"), list) else []
    for source in (wanted or [], declared, KEY_OUTCOMES):
        picked = [c for c in source if c in varying]
        if picked:
            extra = [c for c in KEY_OUTCOMES if c in varying and c not in picked]
            return (picked + extra)[:limit] if not wanted else picked
    return varying[:limit]


def welch_effect(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> dict:
    """Effect of going from group ``a`` to group ``b``.

    The interval and p are scipy's Welch t-test (``ttest_ind(..., equal_var=False)``).

    Returns:
        ``mean_a``, ``mean_b``, ``diff`` (b − a) with a Welch ``diff_ci_low`` /
        ``diff_ci_high``, ``hedges_g`` (pooled SD, small-sample corrected),
        ``p_value`` (Welch, two-sided), ``n_a``, ``n_b``.
    """
    x = np.asarray(a, float)
    y = np.asarray(b, float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    out = {"mean_a": np.nan, "mean_b": np.nan, "diff": np.nan, "diff_ci_low": np.nan,
           "diff_ci_high": np.nan, "hedges_g": np.nan, "p_value": np.nan,
           "n_a": int(x.size), "n_b": int(y.size)}
    if x.size == 0 or y.size == 0:
        return out
    out.update(mean_a=float(x.mean()), mean_b=float(y.mean()), diff=float(y.mean() - x.mean()))
    if x.size < 2 or y.size < 2:
        return out
    if x.var(ddof=1) + y.var(ddof=1) == 0:  # no spread: the difference is exact
        out.update(diff_ci_low=out["diff"], diff_ci_high=out["diff"],
                   p_value=1.0 if out["diff"] == 0 else 0.0)
        return out
    with warnings.catch_warnings():
        # groups that differ only in the last bits (an outcome shared by every point of a
        # seed, as the before window is when parameters change on the start): scipy warns
        # of precision loss, and the test is right to find no difference
        warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        res = stats.ttest_ind(y, x, equal_var=False)
    ci = res.confidence_interval(level)
    pooled = np.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1))
                     / (x.size + y.size - 2))
    correction = 1 - 3 / (4 * (x.size + y.size) - 9)
    out.update(diff_ci_low=float(ci.low), diff_ci_high=float(ci.high),
               hedges_g=float(out["diff"] / pooled * correction) if pooled > 0 else np.nan,
               p_value=float(res.pvalue))
    return out


def welch_effects(a: pd.DataFrame, b: pd.DataFrame, level: float = 0.95) -> list[dict]:
    """:func:`welch_effect` of every column of ``a`` against the same column of ``b``.

    Columns without missing values and with spread go through one scipy
    ``ttest_ind(..., axis=0)`` call (a sweep's analysis compares dozens of outcomes at
    dozens of factor levels); the rest through :func:`welch_effect`. The numbers are
    :func:`welch_effect`'s.

    Returns:
        One dict per column, in ``a``'s column order.
    """
    x, y = a.to_numpy(float), b.to_numpy(float)
    if x.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError("welch_effects: a and b need the same columns")
    out: list[dict | None] = [None] * x.shape[1]
    fast = []
    if x.shape[0] >= 2 and y.shape[0] >= 2:
        clean = ~np.isnan(x).any(axis=0) & ~np.isnan(y).any(axis=0)
        spread = x.var(axis=0, ddof=1) + y.var(axis=0, ddof=1) > 0
        fast = np.flatnonzero(clean & spread)
    if len(fast):
        xs, ys = x[:, fast], y[:, fast]
        with warnings.catch_warnings():  # see welch_effect
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            res = stats.ttest_ind(ys, xs, equal_var=False, axis=0)
        ci = res.confidence_interval(level)
        na, nb = xs.shape[0], ys.shape[0]
        ma, mb = xs.mean(axis=0), ys.mean(axis=0)
        pooled = np.sqrt(((na - 1) * xs.var(axis=0, ddof=1) + (nb - 1) * ys.var(axis=0, ddof=1))
                         / (na + nb - 2))
        correction = 1 - 3 / (4 * (na + nb) - 9)
        for k, col in enumerate(fast):
            diff = float(mb[k] - ma[k])
            out[col] = {"mean_a": float(ma[k]), "mean_b": float(mb[k]), "diff": diff,
                        "diff_ci_low": float(ci.low[k]), "diff_ci_high": float(ci.high[k]),
                        "hedges_g": float(diff / pooled[k] * correction) if pooled[k] > 0
                        else np.nan,
                        "p_value": float(res.pvalue[k]), "n_a": na, "n_b": nb}
    return [e if e is not None else welch_effect(x[:, k], y[:, k], level)
            for k, e in enumerate(out)]


def paired_effect(before: Sequence[float], after: Sequence[float], level: float = 0.95) -> dict:
    """Paired effect of after − before within runs.

    The interval and p are :func:`collabsim.effects.paired_difference`'s (scipy's
    one-sample t on the differences).

    Returns:
        ``mean_before``, ``mean_after``, ``diff`` with its t interval
        (``diff_ci_low``/``diff_ci_high``), ``cohen_dz`` and the two-sided
        paired-t ``p_value`` and ``n``.
    """
    d = paired_difference(after, before, level)
    out = {"mean_before": d["mean_y"], "mean_after": d["mean_x"], "diff": d["effect"],
           "diff_ci_low": d["ci_low"], "diff_ci_high": d["ci_high"], "cohen_dz": np.nan,
           "p_value": d["p_value"], "n": d["n"]}
    if d["n"] == 1:  # one pair: the interval collapses to it
        out.update(diff_ci_low=d["effect"], diff_ci_high=d["effect"])
    if d["n"] >= 2:
        a, b = np.asarray(after, float), np.asarray(before, float)
        keep = ~(np.isnan(a) | np.isnan(b))
        sd = (a[keep] - b[keep]).std(ddof=1)
        if sd > 0:
            out["cohen_dz"] = float(d["effect"] / sd)
    return out


def scenario_table(res: Results, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and 95 % CI of each outcome per scenario, over the finished runs."""
    cols = list(outcomes or res.outcomes)
    return confidence_table(res.ok[["scenario", *cols]], by="scenario")


def scenario_effects(res: Results, outcomes: Sequence[str] | None = None,
                     reference: str | None = None) -> pd.DataFrame:
    """Effect sizes of every scenario against a reference scenario (default: the first)."""
    names = res.scenarios
    if len(names) < 2:
        return pd.DataFrame()
    ref = reference or names[0]
    ok = res.ok
    cols = list(outcomes or res.outcomes)
    rows = []
    for name in names:
        if name == ref:
            continue
        effs = welch_effects(ok.loc[ok.scenario == ref, cols], ok.loc[ok.scenario == name, cols])
        rows += [{"reference": ref, "scenario": name, "metric": col, **eff}
                 for col, eff in zip(cols, effs, strict=True)]
    return pd.DataFrame(rows)


def before_after_table(res: Results, by: str = "scenario") -> pd.DataFrame:
    """Paired before → after effects of every ``X_before``/``X_after`` outcome pair per group."""
    ok = res.ok
    bases = [c.removesuffix("_before") for c in res.outcomes
             if c.endswith("_before") and c.removesuffix("_before") + "_after" in ok]
    rows = []
    for key, grp in ok.groupby(by, sort=False):
        for base in bases:
            eff = paired_effect(grp[f"{base}_before"], grp[f"{base}_after"])
            rows.append({by: key, "metric": base, **eff})
    return pd.DataFrame(rows)


def point_table(res: Results, outcomes: Sequence[str] | None = None,
                level: float = 0.95) -> pd.DataFrame:
    """Mean and CI over replicates of each outcome at each parameter point (``sample``).

    The Student-t interval of :func:`collabsim.runner.mean_ci`, vectorised
    (:func:`t_halfwidth`), collapsing to the mean for a single replicate.

    Returns:
        Long table: scenario, sample, the parameter values, metric, mean,
        ci_low, ci_high, n.
    """
    cols = list(outcomes or res.outcomes)
    keys = ["scenario", "sample"]
    ok = res.ok
    params = ok.groupby(keys, sort=True)[res.parameter_columns].first() \
        if res.parameter_columns else ok.groupby(keys, sort=True).size().to_frame().iloc[:, :0]
    long = ok.melt(id_vars=keys, value_vars=cols, var_name="metric").dropna(subset=["value"])
    g = long.groupby([*keys, "metric"], sort=False)["value"]
    agg = g.agg(["mean", "std", "count"]).reset_index()
    half = t_halfwidth(agg["std"], agg["count"], level)
    agg["ci_low"] = agg["mean"] - half
    agg["ci_high"] = agg["mean"] + half
    agg = agg.rename(columns={"count": "n"}).drop(columns="std")
    out = agg.merge(params.reset_index(), on=keys, how="left")
    order = [*keys, *res.parameter_columns, "metric", "mean", "ci_low", "ci_high", "n"]
    return out[order].sort_values(["metric", *keys], kind="stable").reset_index(drop=True)


def factor_levels(values: pd.Series, bins: int = 4) -> tuple[pd.Series, pd.Series]:
    """The level of each run for one factor, and each level's representative value.

    Up to :data:`MAX_LEVELS` distinct values are the levels themselves (a
    grid's, or Morris's); more are cut into ``bins`` quantile bins labelled by
    their interval and represented by their midpoint.

    Returns:
        ``(labels, level_value)`` aligned with ``values``.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.map(str), values.astype(float)
    v = values
    distinct = pd.unique(v.dropna())
    if len(distinct) <= MAX_LEVELS:
        return v.map(_fmt_level), v.astype(float)
    x = v.astype(float)
    codes = pd.qcut(x, bins, labels=False, duplicates="drop")
    lo, hi = x.groupby(codes).transform("min"), x.groupby(codes).transform("max")
    labels = lo.map(_fmt_level) + "–" + hi.map(_fmt_level)
    return labels.astype(str), (lo + hi) / 2


def _fmt_level(x: object) -> str:
    if isinstance(x, float | np.floating):
        return f"{x:.3g}"
    return str(x)


def factor_level_table(res: Results, outcomes: Sequence[str] | None = None,
                       bins: int = 4) -> pd.DataFrame:
    """Mean and 95 % CI of each outcome at each level of each factor (marginal over the rest).

    Returns:
        Long table: factor, level, level_value, metric, mean, ci_low, ci_high, n.
    """
    ok = res.ok
    cols = list(outcomes or res.outcomes)
    parts = []
    for factor in res.parameter_columns:
        labels, values = factor_levels(ok[factor], bins)
        frame = ok[cols].assign(level=labels.to_numpy(), level_value=values.to_numpy())
        table = confidence_table(frame.drop(columns="level_value"), by="level")
        order = frame.groupby("level", sort=False)["level_value"].first()
        table.insert(0, "factor", factor)
        table.insert(2, "level_value", table["level"].map(order).astype(float))
        parts.append(table)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["factor", "metric", "level_value"], kind="stable").reset_index(
        drop=True)


def factor_effects(res: Results, outcomes: Sequence[str] | None = None,
                   bins: int = 4) -> pd.DataFrame:
    """Effect sizes of each factor level against the factor's lowest level."""
    ok = res.ok
    rows = []
    for factor in res.parameter_columns:
        labels, values = factor_levels(ok[factor], bins)
        order = (pd.DataFrame({"l": labels.to_numpy(), "v": values.to_numpy()})
                 .groupby("l")["v"].first().sort_values())
        if len(order) < 2:
            continue
        base = order.index[0]
        cols = list(outcomes or res.outcomes)
        ref = ok.loc[(labels == base).to_numpy(), cols]
        for level in order.index[1:]:
            effs = welch_effects(ref, ok.loc[(labels == level).to_numpy(), cols])
            rows += [{"factor": factor, "reference_level": base, "level": level,
                      "metric": col, **eff} for col, eff in zip(cols, effs, strict=True)]
    return pd.DataFrame(rows)

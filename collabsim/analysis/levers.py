"""Which lever buys the most per rupiah? Each varied parameter's effect per extra cost.

For every varied parameter of a sweep whose runs record costs (``cost_total_after``,
``officer_days_after``), and every cost-effectiveness measure of
:data:`collabsim.effects.COST_MEASURES` (extra permits per bn Rp, levy gained per
Rp spent, trips cut per officer-day):

* **grid designs** — the move from the parameter's lowest to its highest level,
  *paired*: each run at the lowest level is matched with the run at the highest
  level that has the same scenario, replicate (hence seed: common random numbers)
  and values of every other parameter. The effect and the extra cost are the
  means of the paired differences, the effect with a paired-t interval
  (:func:`collabsim.effects.paired_difference`), the ratio with the paired
  bootstrap interval of :func:`collabsim.effects.cost_effectiveness`. A move that
  *saves* money is read the other way round (highest → lowest: what the extra
  spending of the costlier level buys), so every ratio is "per unit of extra
  cost"; ``direction`` says which way each row reads.
* **sampled designs** (LHS, Sobol, Morris) — per unit: the slopes of the effect
  and of the cost on the parameter in a linear regression on every parameter,
  scaled to the parameter's sampled range, their ratio, and 95 % bootstrap
  intervals over runs.

Levers are ranked per measure: dominant moves (they save money and gain) first,
then by effect per extra cost, highest first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from collabsim.analysis.results import Results
from collabsim.effects import COST_MEASURES, cost_effectiveness, paired_difference

__all__ = ["COLUMNS", "MEASURE_UNITS", "lever_cost_effectiveness"]

#: Units of each measure's effect, cost and ratio (the names of COST_MEASURES).
MEASURE_UNITS = {
    "extra permits per bn Rp": ("permits after the start", "bn Rp", "permits / bn Rp"),
    "levy gained per Rp spent": ("kRp of levy after the start", "kRp", "Rp levy / Rp spent"),
    "trips cut per officer-day": ("trips cut after the start", "officer-days",
                                  "trips cut / officer-day"),
}

COLUMNS = ["measure", "rank", "parameter", "direction", "from_level", "to_level", "effect",
           "effect_ci_low", "effect_ci_high", "extra_cost", "ratio", "ci_low", "ci_high",
           "reading", "effect_unit", "cost_unit", "ratio_unit", "design", "n"]


def lever_cost_effectiveness(res: Results, measures: Sequence[tuple] = COST_MEASURES
                             ) -> pd.DataFrame:
    """Effect per extra cost of each varied parameter, ranked per measure.

    Args:
        res: A sweep's results (needs varied parameters and cost columns).
        measures: ``(name, effect column, cost column, sign, cost divisor)``
            tuples (default :data:`collabsim.effects.COST_MEASURES`).

    Returns:
        One row per measure and parameter (columns :data:`COLUMNS`); empty when
        the runs record no costs or the sweep varies nothing.
    """
    ok = res.ok
    rows = []
    for name, eff, cost, sign, unit in measures:
        if eff not in ok or cost not in ok or not ok[eff].notna().any():
            continue
        for p in res.parameters:
            col = p.column
            if col not in ok or ok[col].nunique(dropna=True) < 2:
                continue
            if res.sampler in (None, "grid"):
                row = _paired_move(ok, res.parameter_columns, col, eff, cost, sign, unit)
            else:
                row = _per_unit(ok, res.parameter_columns, col, eff, cost, sign, unit)
            if row is not None:
                e_unit, c_unit, r_unit = MEASURE_UNITS.get(name, (eff, cost, "per unit cost"))
                rows.append({"measure": name, "parameter": col, **row, "effect_unit": e_unit,
                             "cost_unit": c_unit, "ratio_unit": r_unit})
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame(rows)
    dominant = out["reading"].str.startswith("dominant")
    finite = np.isfinite(out["ratio"].astype(float))
    out["_m"] = out["measure"].map({m[0]: i for i, m in enumerate(measures)})
    out["_tier"] = np.where(dominant, 0, np.where(finite, 1, 2))
    out["_score"] = np.where(dominant, -out["effect"], np.where(finite, -out["ratio"],
                                                               -out["effect"].abs()))
    out = out.sort_values(["_m", "_tier", "_score"], kind="stable")
    out["rank"] = out.groupby("measure", sort=False).cumcount() + 1
    return out[COLUMNS].reset_index(drop=True)


def _sort_levels(values: pd.Series) -> list:
    levels = list(pd.unique(values.dropna()))
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=str)


def _reading(effect: float, extra_cost: float) -> str:
    if not (np.isfinite(effect) and np.isfinite(extra_cost)):
        return "n/a"
    if extra_cost <= 0:
        return ("dominant: no extra cost, gains" if effect > 0 else
                "no extra cost, no gain" if effect == 0 else "no extra cost, loses")
    if effect > 0:
        return "gains at a cost"
    return "dominated: costs more, gains nothing" if effect == 0 else \
        "dominated: costs more and loses"


def _paired_move(ok: pd.DataFrame, params: list[str], col: str, eff: str, cost: str,
                 sign: float, unit: float) -> dict | None:
    """Lowest → highest level of ``col``, paired on scenario, replicate and the other factors."""
    levels = _sort_levels(ok[col])
    lo, hi = levels[0], levels[-1]
    others = [c for c in params if c != col]
    draw = ["posterior_draw"] if "posterior_draw" in ok else []  # pairs share their draw too
    keys = ["scenario", *draw, "replicate", *others]
    a = ok[ok[col] == lo].drop_duplicates(keys).set_index(keys)
    b = ok[ok[col] == hi].drop_duplicates(keys).set_index(keys)
    both = a.index.intersection(b.index)
    if len(both) == 0:
        return None
    a, b = a.loc[both], b.loc[both]
    dx = sign * (b[eff].to_numpy(float) - a[eff].to_numpy(float))
    dc = (b[cost].to_numpy(float) - a[cost].to_numpy(float)) / unit
    keep = np.isfinite(dx) & np.isfinite(dc)
    direction, frm, to = "lowest → highest", lo, hi
    if keep.any() and dc[keep].mean() < 0:  # read a saving the other way: what spending buys
        dx, dc = -dx, -dc
        direction, frm, to = "highest → lowest (the costlier way)", hi, lo
    fx = paired_difference(dx[keep], np.zeros(int(keep.sum())))
    pairs = pd.DataFrame({"scenario": ["from"] * int(keep.sum()) + ["to"] * int(keep.sum()),
                          "replicate": [*range(int(keep.sum()))] * 2,
                          "effect": np.r_[np.zeros(int(keep.sum())), dx[keep]],
                          "cost": np.r_[np.zeros(int(keep.sum())), dc[keep]]})
    ce = _ratio_row(pairs)
    r = ce.iloc[0] if len(ce) else None
    extra = float(dc[keep].mean()) if keep.any() else float("nan")
    return {"direction": direction, "from_level": frm, "to_level": to,
            "effect": fx["effect"], "effect_ci_low": fx["ci_low"], "effect_ci_high": fx["ci_high"],
            "extra_cost": extra,
            "ratio": float(r["ratio"]) if r is not None else float("nan"),
            "ci_low": float(r["ci_low"]) if r is not None else float("nan"),
            "ci_high": float(r["ci_high"]) if r is not None else float("nan"),
            "reading": _reading(fx["effect"], extra), "design": "paired levels",
            "n": int(keep.sum())}


def _ratio_row(pairs: pd.DataFrame) -> pd.DataFrame:
    """:func:`collabsim.effects.cost_effectiveness` on one (effect, cost) pair of columns.

    The effects module's measures are fixed; its table is computed here on a
    frame whose columns carry its first measure's names (the effect already
    signed, the cost already in the measure's unit, so they are undone here).
    """
    name, eff, cost, sign, unit = COST_MEASURES[0]
    frame = pairs.assign(effect=pairs["effect"] * sign, cost=pairs["cost"] * unit)
    frame = frame.rename(columns={"effect": eff, "cost": cost})
    out = cost_effectiveness(frame, "from")
    return out[out.measure == name]


def _per_unit(ok: pd.DataFrame, params: list[str], col: str, eff: str, cost: str,
              sign: float, unit: float, n_boot: int = 999) -> dict | None:
    """Regression slopes of effect and cost on ``col`` (other parameters held), over its range."""
    data = ok[[*params, eff, cost]].dropna()
    if len(data) < len(params) + 3:
        return None
    x = np.column_stack([np.ones(len(data)), data[params].astype(float).to_numpy()])
    y = np.column_stack([sign * data[eff].to_numpy(float), data[cost].to_numpy(float) / unit])
    j = params.index(col) + 1
    span = float(data[col].max() - data[col].min())

    def slopes(idx: np.ndarray) -> np.ndarray:
        beta = np.linalg.lstsq(x[idx], y[idx], rcond=None)[0]
        return beta[j] * span

    point = slopes(np.arange(len(data)))
    rng = np.random.default_rng(0)
    boot = np.array([slopes(rng.integers(0, len(data), len(data))) for _ in range(n_boot)])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = boot[:, 0] / boot[:, 1]
    lo_e, hi_e = np.percentile(boot[:, 0], [2.5, 97.5])
    ratio = float(point[0] / point[1]) if point[1] > 0 else float("nan")
    valid = ratios[np.isfinite(ratios) & (boot[:, 1] > 0)]
    lo_r, hi_r = (np.percentile(valid, [2.5, 97.5]) if np.isfinite(ratio) and valid.size > 10
                  else (float("nan"), float("nan")))
    return {"direction": "per sampled range (regression)", "from_level": data[col].min(),
            "to_level": data[col].max(), "effect": float(point[0]),
            "effect_ci_low": float(lo_e), "effect_ci_high": float(hi_e),
            "extra_cost": float(point[1]), "ratio": ratio, "ci_low": float(lo_r),
            "ci_high": float(hi_r), "reading": _reading(float(point[0]), float(point[1])),
            "design": "regression over runs", "n": len(data)}

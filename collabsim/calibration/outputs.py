"""What a calibration writes: the posterior, its summary and correlations, the validation table.

* ``posterior.parquet`` — one row per accepted particle of the last generation:
  ``generation``, one column per parameter (named as in the spec), ``weight``
  (normalised), ``distance`` and ``seed`` (the particle's seed; its runs used
  :func:`collabsim.rng.replicate_seeds` of it), then the particle's fitted pattern
  values (``pattern:NAME``, means over its replications).
* ``posterior_summary.csv`` — per parameter: the prior, the weighted posterior median
  and 90 % interval, the interval's share of the prior's, and whether the patterns
  constrain it.
* ``posterior_correlations.csv`` — weighted correlations of the parameters.
* ``validation.csv`` — per pattern (held-out ones apart): observed, the posterior-predictive
  median and 90 % interval, the median's deviation (tolerances) and met/missed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from collabsim.calibration.abc import SEED_KEY, CollabSimulator, particle_seed
from collabsim.calibration.patterns import pattern_deviation
from collabsim.calibration.spec import Calibration

__all__ = [
    "posterior_correlations",
    "posterior_frame",
    "posterior_summary",
    "predictive_draws",
    "validation_table",
    "weighted_quantile",
]


def weighted_quantile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    """The ``q`` quantile of weighted values (linear in the weights' cumulative midpoints)."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = ~np.isnan(v)
    v, w = v[keep], w[keep]
    if not v.size:
        return math.nan
    order = np.argsort(v)
    v, w = v[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, v))


def posterior_frame(history: Any, cal: Calibration) -> pd.DataFrame:
    """The last generation's accepted particles, one row each."""
    t = int(history.max_t)
    pop = history.get_population(t=t)
    rows = []
    for p in pop.particles:
        row: dict[str, Any] = {"generation": t}
        row.update({k: float(v) for k, v in dict(p.parameter).items()})
        row["weight"] = float(p.weight)
        row["distance"] = float(p.distance)
        row["seed"] = int(p.sum_stat.get(SEED_KEY, particle_seed(cal.spec.root_seed,
                                                                 dict(p.parameter))))
        for name in cal.fitted:
            row[f"pattern:{name}"] = float(p.sum_stat.get(name, math.nan))
        rows.append(row)
    df = pd.DataFrame(rows)
    df["weight"] = df["weight"] / df["weight"].sum()
    cols = ["generation", *[pr.name for pr in cal.priors], "weight", "distance", "seed"]
    return df[cols + [c for c in df.columns if c not in cols]]


def posterior_summary(post: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """Weighted posterior median and 90 % interval per parameter, against its prior."""
    rows = []
    ratio = cal.spec.abc.unconstrained_ratio
    for pr in cal.priors:
        x, w = post[pr.name], post["weight"]
        lo, med, hi = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        plo, phi = pr.quantile(0.05), pr.quantile(0.95)
        if pr.distribution == "loguniform":  # compare widths on the prior's own scale
            share = (math.log(hi) - math.log(lo)) / (math.log(phi) - math.log(plo))
        else:
            share = (hi - lo) / (phi - plo)
        constrained = share <= ratio
        rows.append({
            "parameter": pr.name, "keys": ", ".join(pr.keys),
            "scenarios": ", ".join(pr.scenarios), "prior": pr.distribution,
            "prior_low": pr.low, "prior_high": pr.high,
            "median": med, "q05": lo, "q95": hi, "interval_share_of_prior": share,
            "constrained": constrained,
            "note": "" if constrained else (
                f"not constrained by the patterns: the 90 % posterior interval keeps "
                f"{share:.0%} of the prior's"),
        })
    return pd.DataFrame(rows)


def posterior_correlations(post: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Weighted Pearson correlations of the parameters."""
    x = post[list(names)].to_numpy(dtype=float)
    w = post["weight"].to_numpy(dtype=float)
    w = w / w.sum()
    mean = w @ x
    dev = x - mean
    cov = (dev * w[:, None]).T @ dev
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return pd.DataFrame(corr, index=list(names), columns=list(names))


def predictive_draws(post: pd.DataFrame, cal: Calibration, n: int,
                     mapper: Callable[[Callable[..., Any], list], list] | None = None
                     ) -> pd.DataFrame:
    """Run ``n`` posterior draws (by weight) over every pattern's scenario, new seeds.

    Each draw is a particle's parameters run with a fresh seed (the same statistic as
    fitted: the mean over the spec's replications), so the spread holds parameter
    uncertainty and stochastic noise together.

    Args:
        post: :func:`posterior_frame`.
        cal: The calibration.
        n: Draws.
        mapper: ``mapper(fn, items) -> results`` (default: in this process).

    Returns:
        One row per draw: ``draw``, the parameters, ``seed``, one column per pattern.
    """
    rng = np.random.default_rng(cal.spec.root_seed + 1)
    idx = rng.choice(len(post), size=n, replace=True, p=post["weight"].to_numpy())
    names = [pr.name for pr in cal.priors]
    jobs = []
    for d, i in enumerate(idx):
        params = {k: float(post.iloc[i][k]) for k in names}
        seed = particle_seed(cal.spec.root_seed + 1 + d, params)
        jobs.append((params, seed))
    sim = CollabSimulator(cal, patterns=cal.patterns)
    results = (mapper or _serial_map)(_Predict(sim), jobs)
    rows = []
    for d, ((params, seed), out) in enumerate(zip(jobs, results, strict=True)):
        rows.append({"draw": d, **params, "seed": seed,
                     **{p.name: out.get(p.name, math.nan) for p in cal.patterns}})
    return pd.DataFrame(rows)


class _Predict:
    def __init__(self, sim: CollabSimulator):
        self.sim = sim

    def __call__(self, job: tuple[dict[str, float], int]) -> dict[str, float]:
        params, seed = job
        return self.sim(params, seed=seed)


def _serial_map(fn: Callable[..., Any], items: list) -> list:
    return [fn(x) for x in items]


def validation_table(draws: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """Every pattern against the posterior predictive: fitted first, held out apart.

    A pattern is **met** when the predictive median misses the observation by at most
    one tolerance (deviation ≤ 1); ``interval_reaches`` says whether the 90 % interval
    overlaps the observed band widened by one tolerance.
    """
    rows = []
    nan_penalty = cal.spec.abc.nan_penalty
    for p in cal.patterns:
        x = draws[p.name].to_numpy(dtype=float)
        finite = x[~np.isnan(x)]
        med, lo, hi = (float(np.quantile(finite, q)) if finite.size else math.nan
                       for q in (0.5, 0.05, 0.95))
        tol = p.spec.tolerance
        dev = pattern_deviation(med, p.low, p.high, tol, nan_penalty)
        role = "fitted" if p.name in cal.fitted else (
            "held out" if p.held_out else "not fitted")
        rows.append({
            "pattern": p.name, "scenario": p.scenario, "role": role,
            "observed": p.spec.observed if p.spec.observed is not None else math.nan,
            "observed_low": p.low, "observed_high": p.high, "tolerance": tol,
            "unit": p.spec.unit, "predictive_median": med, "predictive_q05": lo,
            "predictive_q95": hi, "undefined_draws": int(np.isnan(x).sum()),
            "deviation": dev, "met": bool(dev <= 1.0),
            "interval_reaches": bool(finite.size and lo <= p.high + tol and hi >= p.low - tol),
            "description": p.spec.description, "source": p.spec.source,
        })
    df = pd.DataFrame(rows)
    order = {"fitted": 0, "not fitted": 1, "held out": 2}
    return df.sort_values("role", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True)

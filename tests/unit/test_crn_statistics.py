"""The statistics of benchmarks/crn.py on planted arms with known answers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

_spec = importlib.util.spec_from_file_location(
    "crn_bench", Path(__file__).resolve().parents[2] / "benchmarks" / "crn.py")
crn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crn)


def _planted(n: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two unit-variance arms with correlation ``rho`` and an effect of +1."""
    g = np.random.default_rng(seed)
    z = g.standard_normal((2, n))
    return z[0], 1.0 + rho * z[0] + np.sqrt(1 - rho ** 2) * z[1]


def test_ratio_ci_is_the_f_interval_and_covers_the_ratio():
    lo, hi = crn.ratio_ci(4.0, 1.0, 30, 30)
    f = stats.f(29, 29)
    assert lo == pytest.approx(4.0 / f.ppf(0.975)) and hi == pytest.approx(4.0 / f.ppf(0.025))
    assert lo < 4.0 < hi
    # coverage on planted normal samples whose true variance ratio is 4
    g = np.random.default_rng(1)
    hits = 0
    for _ in range(400):
        a, b = 2.0 * g.standard_normal(30), g.standard_normal(30)
        lo, hi = crn.ratio_ci(a.var(ddof=1), b.var(ddof=1), 30, 30)
        hits += lo <= 4.0 <= hi
    assert 0.92 <= hits / 400 <= 0.98  # nominal 0.95; binomial sd 0.011


@pytest.mark.parametrize("rho", [0.0, 0.8, 0.95])
def test_within_pair_reduction_estimates_one_over_one_minus_rho(rho):
    """With equal arm variances, (var a + var b)/var(b − a) = 1/(1 − ρ)."""
    a, b = _planted(4000, rho, seed=int(rho * 100))
    est, (lo, hi) = crn.within_pair_reduction(a, b, resamples=300)
    truth = 1 / (1 - rho)
    assert lo <= truth <= hi
    assert est == pytest.approx(truth, rel=0.15)


def test_summary_of_planted_ways_ranks_them_and_bounds_the_count_noise():
    arms = {"independent": (_planted(60, 0.0, 1)[0], _planted(60, 0.0, 2)[1]),
            "common seeds": _planted(60, 0.5, 3),
            "per-agent CRN": _planted(60, 0.9, 4)}
    arms = {k: (10 + a, 10 + b) for k, (a, b) in arms.items()}
    out = crn.summarise_pair(arms, "permits")
    agent, common = out["per-agent CRN"], out["common seeds"]
    assert agent["reduction_vs_independent"] > common["reduction_vs_independent"] > 1
    assert agent["reduction_ci"][0] > 1  # clearly better than independent seeds
    assert agent["reduction_vs_common"] > 1
    assert agent["correlation"] == pytest.approx(0.9, abs=0.1)
    # independent Poisson counts over the window: (mean a + mean b) · 30 / window days
    want = (agent["mean_a"] + agent["mean_b"]) * 30 / crn.WINDOW_DAYS
    assert agent["poisson_reference"] == pytest.approx(want)
    assert "poisson_reference" not in crn.summarise_pair(arms, "mobility")["per-agent CRN"]

"""Variance of paired policy differences: independent seeds, common seeds, per-agent CRN.

For each policy pair (a preset against the same preset with one policy changed)
``--pairs`` replications are run three ways:

* **independent** — the two arms on different seeds (what an unpaired
  comparison sees);
* **common seeds** — the same seed, the random numbers drawn per subsystem
  stream (``random_numbers = "stream"``): a changed decision shifts that
  stream's later draws;
* **per-agent CRN** — the same seed with ``random_numbers = "agent"`` (the
  default): every citizen, officer and file owns its uniform in every decision.

The outcome is permits issued per month in the second half of the after-year
(licensing) or the mean mobility index over the after-window (jcoc). Reported
per pair and way: the variance of the paired difference, the reduction against
independent seeds with its 95 % interval (a percentile bootstrap over the
pairs: the differences are heavy-tailed, so the F test's interval would be far
too narrow; on 60 pairs of the pbg pair the interval spans a factor of about 4), the
within-pair reduction ``(var a + var b)/var(b − a)`` of the same runs (a
bootstrap interval), the arms' correlation, the replications a 95 % CI of
half-width ``w`` needs (``n = (1.96·sd/w)²``, ``w`` = 10 % of the mean absolute
effect) and, for permits, the variance the difference would have if the arms
issued independent permits (a count's variance is its mean).

Run: ``python benchmarks/crn.py [--pairs 60] [--citizens 5000] [--workers 2]``
(``make bench`` runs it and records it in results.json).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WINDOW_DAYS = 183  # the after-year's second half: days start + 182 … start + 364


def at_start(preset: str, change: dict) -> dict:
    """Overrides that make ``change`` on the preset's collaboration start (an intervention)."""
    from collabsim.scenario import load_scenario

    day = load_scenario(preset).collaboration_start
    return {"interventions": [{"day": day, "label": "policy", "set": change}]}


# name: (preset, the second arm (overrides, or another preset), outcome). The policy is
# made on the collaboration start (both arms share the burn-in and the before-year: the
# project's effect design, from a steady state); the last pair changes the whole history
# (burn-in included), where three years of feedback between beliefs and queues decorrelate
# the arms whatever the random numbers.
PAIRS = {
    "pbg vs pbg with the regulation": (
        "pbg", ("at_start", {"agencies.*.regulation_ready": True}), "permits"),
    "spp_irt vs low openness": (
        "spp_irt", ("at_start", {"agencies.*.communication_openness": 0.3}), "permits"),
    "jcoc vs jcoc_siloed": ("jcoc", "jcoc_siloed", "mobility"),
    "spp_irt vs low openness (whole history)": (
        "spp_irt", {"agencies.*.communication_openness": 0.3}, "permits"),
}
WAYS = ("independent", "common seeds", "per-agent CRN")


def outcome(preset: str, overrides: dict, seed: int, citizens: int, kind: str) -> float:
    """One run's outcome (permits/month in the after-year's second half, or mobility)."""
    from collabsim.runner import run

    r = run(preset, seed, n_citizens=citizens, overrides=overrides)
    return outcome_of(r.timeseries, r.scenario.collaboration_start, kind)


def outcome_of(ts, start: int, kind: str) -> float:
    """A run's outcome from its time series: permits/month in the window, or mobility."""
    if kind == "permits":
        half = ts[(ts["day"] >= start + 365 - WINDOW_DAYS) & (ts["day"] < start + 365)]
        return float(half["permits_issued"].mean() * 30.0)
    return float(ts[ts["day"] >= start]["mobility_index"].mean())


def _task(args: tuple) -> float:
    return outcome(*args)


def map_runs(fn, jobs: list, workers: int) -> list:
    """``[fn(j) for j in jobs]``, on ``workers`` local processes (1: in this process, no pool)."""
    if workers <= 1:
        return [fn(j) for j in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(fn, jobs, chunksize=1))


def plan(pairs: int, citizens: int, only: list[str] | None = None
         ) -> list[tuple[str, str, int, tuple]]:
    """Every run: (pair, way, replication, outcome arguments) for both arms."""
    from collabsim.rng import replicate_seeds

    seeds = replicate_seeds(2026, 2 * pairs)
    tasks = []
    for name, (preset, change, kind) in PAIRS.items():
        if only and name not in only:
            continue
        policy = at_start(preset, change[1]) if isinstance(change, tuple) else None
        for way in WAYS:
            mode = "stream" if way != "per-agent CRN" else "agent"
            for i in range(pairs):
                s_a = seeds[i]
                s_b = seeds[pairs + i] if way == "independent" else s_a
                base = {"random_numbers": mode}
                if isinstance(change, str):
                    arm_b = (change, base, s_b, citizens, kind)
                elif isinstance(change, tuple):
                    arm_b = (preset, {**base, **policy}, s_b, citizens, kind)
                else:
                    arm_b = (preset, {**base, **change}, s_b, citizens, kind)
                tasks.append((name, way, i, (preset, base, s_a, citizens, kind)))
                tasks.append((name, way, i, arm_b))
    return tasks


def measure(pairs: int = 12, citizens: int = 5000, workers: int = 2,
            only: list[str] | None = None) -> dict:
    """Run the plan and summarise the variance of paired differences per pair and way.

    Args:
        pairs: Replications per pair and way.
        citizens: Citizens per run.
        workers: Local worker processes (1: in this process, no pool to start).
        only: Names of :data:`PAIRS` to run (default all).
    """
    tasks = plan(pairs, citizens, only)
    t0 = time.perf_counter()
    values = map_runs(_task, [t[3] for t in tasks], workers)
    wall = time.perf_counter() - t0
    out: dict = {"pairs": pairs, "citizens": citizens, "workers": workers,
                 "wall_s": round(wall, 1), "results": {}}
    for name in dict.fromkeys(t[0] for t in tasks):
        arms = {}
        for way in WAYS:
            v = [val for t, val in zip(tasks, values, strict=True)
                 if t[0] == name and t[1] == way]
            arms[way] = (np.array(v[0::2]), np.array(v[1::2]))
        out["results"][name] = summarise_pair(arms, PAIRS[name][2])
    return out


def _ratio(num: float, den: float) -> float:
    """``num / den``, infinite for a zero denominator (a way with no paired variance)."""
    return num / den if den > 0 else float("inf")


def _bootstrap(samples: tuple[np.ndarray, ...], statistic, resamples: int = 1999
               ) -> list[float]:
    """Percentile bootstrap 95 % interval of ``statistic`` over the pairs (resampled jointly).

    ``statistic(*samples, axis)`` must be vectorised (scipy's convention). The
    pairs are resampled together across the samples (``paired=True``): each
    sample's ``i``-th value comes from replication ``i``. A fixed generator, so
    a result repeats.
    """
    from scipy import stats

    res = stats.bootstrap(samples, statistic, paired=True, vectorized=True,
                          n_resamples=resamples, method="percentile",
                          rng=np.random.default_rng(0))
    ci = res.confidence_interval
    return [float(ci.low), float(ci.high)]


def _var_ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    vy = np.var(y, axis=axis, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(vy > 0, np.var(x, axis=axis, ddof=1) / vy, np.inf)


def ratio_ci(d_num: np.ndarray, d_den: np.ndarray, resamples: int = 1999) -> list[float]:
    """95 % interval of ``var(d_num) / var(d_den)``: a percentile bootstrap over the pairs.

    Not the F test's interval: that one assumes normal values, and the paired
    differences here are heavy-tailed (a few seeds where one arm's queues
    collapse), where it covers far less than it says (54 % for a nominal 95 %
    on contaminated normals, ``tests/unit/test_crn_statistics.py``); the
    bootstrap covers about 90 % there and 93 % on normal values. The two
    samples are resampled as pairs (the same replications), so ways that share
    seeds keep their dependence.

    Args:
        d_num: Paired differences of the numerator way, one per replication.
        d_den: Those of the denominator way, aligned by replication.
    """
    if np.var(d_den, ddof=1) == 0:
        return [float("inf"), float("inf")]
    return _bootstrap((np.asarray(d_num, float), np.asarray(d_den, float)), _var_ratio,
                      resamples)


def within_pair_reduction(a: np.ndarray, b: np.ndarray, resamples: int = 1999
                          ) -> tuple[float, list[float]]:
    """``(var a + var b) / var(b − a)`` of one paired way, with a bootstrap 95 % interval.

    What unpairing the very same runs would cost: the variance of a difference
    of independent arms is ``var a + var b``, so this estimates the reduction
    against independent seeds without the noise of a second set of runs
    (percentile bootstrap over the pairs, as :func:`ratio_ci`).
    """
    def est(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        vd = np.var(y - x, axis=axis, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(vd > 0, (np.var(x, axis=axis, ddof=1)
                                     + np.var(y, axis=axis, ddof=1)) / vd, np.inf)

    a, b = np.asarray(a, float), np.asarray(b, float)
    point = float(est(a, b))
    if not np.isfinite(point):
        return point, [float("nan"), float("nan")]
    return point, _bootstrap((a, b), est, resamples)


def summarise_pair(arms: dict[str, tuple[np.ndarray, np.ndarray]], kind: str) -> dict:
    """Variance of the paired difference per way, its reduction, and what bounds it.

    Args:
        arms: Per way of :data:`WAYS`, the outcomes of arm a and arm b (aligned by pair).
        kind: ``"permits"`` (a count per month) or ``"mobility"``.

    Returns:
        Per way: the mean and variance of the difference, each arm's mean and variance, the
        arms' correlation, the reduction against independent seeds with its bootstrap 95 %
        interval (:func:`ratio_ci`), the within-pair reduction with its bootstrap interval,
        and the replications a 95 % CI of half-width ``w`` needs. For counts,
        ``poisson_reference``: the variance the difference would have if each arm's permits
        were independent events (a count's variance is its mean), the level below which only
        issuing the same files in both arms can take it.
    """
    rows: dict = {}
    diffs = {way: b - a for way, (a, b) in arms.items()}
    for way, (a, b) in arms.items():
        d = diffs[way]
        var_a, var_b = float(a.var(ddof=1)), float(b.var(ddof=1))
        row = {"n": int(d.size), "mean_difference": float(d.mean()),
               "var_difference": float(d.var(ddof=1)),
               "mean_a": float(a.mean()), "mean_b": float(b.mean()),
               "var_a": var_a, "var_b": var_b,
               "correlation": (float(np.corrcoef(a, b)[0, 1]) if var_a > 0 and var_b > 0
                               else float("nan")),
               "values_a": a.tolist(), "values_b": b.tolist()}
        if way != "independent":
            row["within_pair_reduction"], row["within_pair_ci"] = within_pair_reduction(a, b)
        if kind == "permits":
            # permits/month = 30 × (count over WINDOW_DAYS) / WINDOW_DAYS
            row["poisson_reference"] = (row["mean_a"] + row["mean_b"]) * 30.0 / WINDOW_DAYS
        rows[way] = row
    ind = rows["independent"]
    effect = abs(np.mean([r["mean_difference"] for r in rows.values()]))
    width = 0.1 * effect if effect > 0 else float("nan")
    for way, r in rows.items():
        r["reduction_vs_independent"] = _ratio(ind["var_difference"], r["var_difference"])
        r["reduction_ci"] = ratio_ci(diffs["independent"], diffs[way])
        r["replications_for_ci"] = (int(np.ceil((1.96 ** 2) * r["var_difference"]
                                                / width ** 2)) if width == width else None)
    agent, common = rows["per-agent CRN"], rows["common seeds"]
    agent["reduction_vs_common"] = _ratio(common["var_difference"], agent["var_difference"])
    agent["reduction_vs_common_ci"] = ratio_ci(diffs["common seeds"], diffs["per-agent CRN"])
    return {"ci_half_width": width, **rows}


def table(res: dict) -> str:
    """A plain-text table of a :func:`measure` result."""
    lines = [f"{'pair':42} {'way':15} {'mean diff':>9} {'var diff':>9} {'corr':>5} "
             f"{'× vs ind [95% CI]':>19} {'× within':>8} {'reps':>5}"]
    for name, rows in res["results"].items():
        for way in WAYS:
            r = rows[way]
            lo, hi = r["reduction_ci"]
            ci = "" if way == "independent" else f" [{lo:.1f}, {hi:.1f}]"
            within = f"{r['within_pair_reduction']:.1f}" if "within_pair_reduction" in r else "-"
            lines.append(f"{name:42} {way:15} {r['mean_difference']:9.3g} "
                         f"{r['var_difference']:9.3g} {r['correlation']:5.2f} "
                         f"{r['reduction_vs_independent']:>6.1f}×{ci:>12} {within:>8} "
                         f"{r['replications_for_ci'] or '-':>5}")
        if "poisson_reference" in rows["per-agent CRN"]:
            lines.append(f"{'':42} {'Poisson ref.':15} {'':9} "
                         f"{rows['per-agent CRN']['poisson_reference']:9.3g}   (independent "
                         "permits of the arms' means)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=60)
    ap.add_argument("--citizens", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, help="write the result as JSON here")
    ap.add_argument("--only", action="append", help="run only this pair (repeatable)")
    args = ap.parse_args(argv)
    res = measure(args.pairs, args.citizens, args.workers, args.only)
    print(table(res))
    print(f"wall {res['wall_s']} s")
    if args.out:
        args.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

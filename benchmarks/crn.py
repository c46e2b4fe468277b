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
independent seeds, and the replications a 95 % CI of half-width ``w`` needs
(``n = (1.96·sd/w)²``, ``w`` = 10 % of the mean absolute effect).

Run: ``python benchmarks/crn.py [--pairs 30] [--citizens 5000] [--workers 2]``
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
    ts, start = r.timeseries, r.scenario.collaboration_start
    if kind == "permits":
        half = ts[ts["day"] >= start + 182]
        return float(half["permits_issued"].mean() * 30.0)
    return float(ts[ts["day"] >= start]["mobility_index"].mean())


def _task(args: tuple) -> float:
    return outcome(*args)


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
        workers: Local worker processes.
        only: Names of :data:`PAIRS` to run (default all).
    """
    tasks = plan(pairs, citizens, only)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        values = list(pool.map(_task, [t[3] for t in tasks], chunksize=1))
    wall = time.perf_counter() - t0
    out: dict = {"pairs": pairs, "citizens": citizens, "workers": workers,
                 "wall_s": round(wall, 1), "results": {}}
    for name in dict.fromkeys(t[0] for t in tasks):
        rows = {}
        for way in WAYS:
            v = [val for t, val in zip(tasks, values, strict=True)
                 if t[0] == name and t[1] == way]
            a, b = np.array(v[0::2]), np.array(v[1::2])
            d = b - a
            rows[way] = {"mean_difference": float(d.mean()), "var_difference": float(d.var(ddof=1)),
                         "mean_a": float(a.mean())}
        ind = rows["independent"]["var_difference"]
        effect = abs(np.mean([r["mean_difference"] for r in rows.values()]))
        width = 0.1 * effect if effect > 0 else float("nan")
        for r in rows.values():
            r["reduction_vs_independent"] = (ind / r["var_difference"]
                                             if r["var_difference"] > 0 else float("inf"))
            r["replications_for_ci"] = (int(np.ceil((1.96 ** 2) * r["var_difference"]
                                                    / width ** 2)) if width == width else None)
        r_common = rows["common seeds"]["var_difference"]
        rows["per-agent CRN"]["reduction_vs_common"] = (
            r_common / rows["per-agent CRN"]["var_difference"]
            if rows["per-agent CRN"]["var_difference"] > 0 else float("inf"))
        out["results"][name] = {"ci_half_width": width, **rows}
    return out


def table(res: dict) -> str:
    """A plain-text table of a :func:`measure` result."""
    lines = [f"{'pair':42} {'way':15} {'mean diff':>10} {'var diff':>10} {'× vs ind':>9} "
             f"{'reps for CI':>11}"]
    for name, rows in res["results"].items():
        for way in WAYS:
            r = rows[way]
            lines.append(f"{name:42} {way:15} {r['mean_difference']:10.4g} "
                         f"{r['var_difference']:10.4g} {r['reduction_vs_independent']:9.1f} "
                         f"{r['replications_for_ci'] or '-':>11}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=30)
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

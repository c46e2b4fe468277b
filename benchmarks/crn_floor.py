"""How far common random numbers can go: the paired difference's floor for a policy pair.

A paired difference ``d = Y_b − Y_a`` of two arms that share their history up to the
policy's day ``h`` splits as ``Var d = Var(E[d | h]) + E[Var(d | h)]``. The first part is
how much the effect itself differs between the states the history left (a seed whose
queues settled low gains more from the regulation); no way of pairing the random numbers
*after* the policy can remove it, since both arms already share everything before. The
second part is what the draws after the policy add, the only part common random numbers
act on.

For each of ``--histories`` seeds the model runs once to the collaboration start
(:func:`collabsim.effects.shared_history`); ``--continuations`` copies of that state are
each reseeded (:meth:`collabsim.model.CollabModel.reseed`) and run on in both arms with
the same new seed (per-agent CRN within the continuation). The one-way ANOVA of the
``histories × continuations`` differences estimates both parts; the best reduction any
pairing after the start could reach is ``(var a + var b) / Var(E[d | h])`` against
independent arms.

Run: ``python benchmarks/crn_floor.py [--histories 60] [--continuations 3]`` (``make bench``
runs it for the pbg pair and records it in results.json).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import crn  # noqa: E402  (the pairs and the outcome window)


def _continuations(args: tuple) -> list[list[float]]:
    """One history's continuations: ``[[arm a, arm b], …]`` outcomes."""
    from collabsim.effects import intervention_edit, run_arm, shared_history
    from collabsim.rng import replicate_seeds
    from collabsim.scenario import load_scenario

    name, seed, continuations, citizens = args
    preset, change, kind = crn.PAIRS[name]
    sc = load_scenario(preset, {"citizens.n": citizens})
    model, days = shared_history(sc, seed)
    start = sc.collaboration_start
    out = []
    for cseed in replicate_seeds(seed % 2**31 + 1, continuations):
        row = []
        for edit in (None, intervention_edit(change[1], "policy")):
            arm = copy.deepcopy(model)
            arm.reseed(cseed)
            ts = run_arm(arm, edit, days, start, copy_first=False).timeseries
            row.append(crn.outcome_of(ts, start, kind))
        out.append(row)
    return out


def decompose(values: np.ndarray) -> dict:
    """One-way random-effects ANOVA of ``values[h, r, arm]`` (arm 0 = a, 1 = b).

    Returns:
        ``var_difference`` (all differences), ``within`` (``E[Var(d | h)]``, what
        the draws after the start add), ``floor`` (``Var(E[d | h])``: the
        between-history mean square less ``within / R``, at least 0),
        ``independent`` (``var a + var b`` over every run) and ``best_reduction``
        (``independent / floor``).
    """
    d = values[:, :, 1] - values[:, :, 0]
    reps = d.shape[1]
    within = float(d.var(axis=1, ddof=1).mean())
    floor = max(float(d.mean(axis=1).var(ddof=1)) - within / reps, 0.0)
    independent = float(values[:, :, 0].var(ddof=1) + values[:, :, 1].var(ddof=1))
    return {"var_difference": float(d.reshape(-1).var(ddof=1)), "within": within,
            "floor": floor, "independent": independent,
            "best_reduction": independent / floor if floor > 0 else float("inf")}


def measure(name: str = "pbg vs pbg with the regulation", histories: int = 60,
            continuations: int = 3, citizens: int = 5000, workers: int = 2) -> dict:
    """Run the histories and continuations (``workers`` 1: in process); :func:`decompose` them."""
    from collabsim.rng import replicate_seeds

    if not isinstance(crn.PAIRS[name][1], tuple):
        raise SystemExit(f"{name}: its policy is not made on the start; no shared history")
    seeds = replicate_seeds(2026, 2 * histories)[:histories]  # crn.py's common seeds
    t0 = time.perf_counter()
    values = np.array(crn.map_runs(
        _continuations, [(name, s, continuations, citizens) for s in seeds], workers))
    return {"pair": name, "histories": histories, "continuations": continuations,
            "citizens": citizens, "wall_s": round(time.perf_counter() - t0, 1),
            **decompose(values)}


def text(res: dict) -> str:
    """The result in words."""
    return (f"{res['pair']}: {res['histories']} histories × {res['continuations']} "
            f"continuations at {res['citizens']:,} citizens\n"
            f"  Var(d) {res['var_difference']:.3g} = history floor Var(E[d|h]) "
            f"{res['floor']:.3g} + draws after the start {res['within']:.3g}\n"
            f"  independent arms {res['independent']:.3g}: no pairing after the start can "
            f"reduce the paired variance more than {res['best_reduction']:.1f}×")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pair", default="pbg vs pbg with the regulation",
                    choices=[k for k, v in crn.PAIRS.items() if isinstance(v[1], tuple)])
    ap.add_argument("--histories", type=int, default=60)
    ap.add_argument("--continuations", type=int, default=3)
    ap.add_argument("--citizens", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    res = measure(args.pair, args.histories, args.continuations, args.citizens, args.workers)
    print(text(res))
    print(f"wall {res['wall_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Performance benchmarks: `make bench` runs this and writes benchmarks/results.json.

Measures (each in a fresh subprocess, so peak memory is the run's own):

1. citizen-steps per second for the licensing presets and the jcoc preset at
   10,000, 100,000 and 1,000,000 citizens (model construction included);
2. the same figure for Mesa's own Epstein civil-violence example, in this run;
3. peak resident memory (RSS) per citizen at 1,000,000 citizens;
4. a 40-run sweep with 1 and 2 local worker processes and through a Dask
   LocalCluster of 2 workers: runs per minute and the scaling ratios.

Targets are printed as PASS or FAIL; they are never assertions in the test
suite because these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"

# (preset, citizens, days): days shrink with size to keep the whole run to minutes.
MODEL_CASES = [
    ("pbg", 10_000, 730), ("spp_irt", 10_000, 730), ("jcoc", 10_000, 365),
    ("pbg", 100_000, 365), ("spp_irt", 100_000, 365), ("jcoc", 100_000, 365),
    ("pbg", 1_000_000, 60), ("spp_irt", 1_000_000, 60), ("jcoc", 1_000_000, 60),
]


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_model(preset: str, citizens: int, days: int) -> dict:
    """Build and run one model; report time and peak memory."""
    from collabsim import CollabModel

    t0 = time.perf_counter()
    model = CollabModel(preset, seed=1, n_citizens=citizens)
    t1 = time.perf_counter()
    model.run(days)
    t2 = time.perf_counter()
    return {"preset": preset, "citizens": citizens, "days": days,
            "build_s": t1 - t0, "run_s": t2 - t1, "total_s": t2 - t0,
            "citizen_steps_per_s": citizens * days / (t2 - t0),
            "peak_rss_bytes": peak_rss_bytes()}


def child_epstein(steps: int) -> dict:
    """Mesa's Epstein civil-violence example, as shipped in the installed Mesa."""
    import mesa
    from mesa.examples import EpsteinCivilViolence
    from mesa.examples.advanced.epstein_civil_violence.agents import Citizen

    try:
        from mesa.examples.advanced.epstein_civil_violence.model import EpsteinScenario

        t0 = time.perf_counter()
        model = EpsteinCivilViolence(scenario=EpsteinScenario(rng=1))
    except ImportError:  # Mesa 3.3: keyword parameters and seed
        t0 = time.perf_counter()
        model = EpsteinCivilViolence(seed=1)
    n = len(model.agents_by_type[Citizen])
    for _ in range(steps):
        model.step()
    dt = time.perf_counter() - t0
    return {"mesa": mesa.__version__, "citizens": n, "steps": steps, "total_s": dt,
            "citizen_steps_per_s": n * steps / dt}


def child_sweep(runner: str, workers: int, runs: int) -> dict:
    """A 40-run sweep through one runner, started beforehand: runs per minute.

    The runner (process pool or Dask LocalCluster) is started and timed on its
    own, so the rate compares how fast each runner works, not how fast it boots.
    """
    import tempfile

    from collabsim.experiments import load_experiment, run_experiment
    from collabsim.experiments.runners import DaskRunner, ProcessRunner

    spec = load_experiment(HERE / "sweep_bench.toml")
    t0 = time.perf_counter()
    pool = DaskRunner(n_workers=workers) if runner == "dask" else ProcessRunner(workers)
    pool.start()
    started = time.perf_counter() - t0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t1 = time.perf_counter()
            res = run_experiment(spec, Path(tmp) / "sweep", runner=pool)
            dt = time.perf_counter() - t1
    finally:
        pool.close()
    n = len(res.runs)
    return {"runner": runner, "workers": workers, "runs": n, "startup_s": started,
            "total_s": dt, "runs_per_min": 60 * n / dt}


def spawn(*args: str) -> dict:
    """Run one measurement in a fresh interpreter and parse its JSON line."""
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-citizen cases")
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "model":
            res = child_model(rest[0], int(rest[1]), int(rest[2]))
        elif kind == "epstein":
            res = child_epstein(int(rest[0]))
        else:
            res = child_sweep(rest[0], int(rest[1]), int(rest[2]))
        print(json.dumps(res))
        return 0

    results: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                 "platform": platform.platform()},
                     "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    print("Model throughput (construction included)")
    print(f"{'preset':<10}{'citizens':>11}{'days':>6}{'seconds':>9}{'citizen-steps/s':>17}"
          f"{'peak RSS':>11}")
    models = []
    for preset, n, days in MODEL_CASES:
        if args.quick and n >= 1_000_000:
            continue
        r = spawn("model", preset, str(n), str(days))
        models.append(r)
        if "error" in r:
            print(f"{preset:<10}{n:>11,}{days:>6}  error: {r['error']}")
            continue
        print(f"{preset:<10}{n:>11,}{days:>6}{r['total_s']:>9.2f}"
              f"{r['citizen_steps_per_s']:>17,.0f}{r['peak_rss_bytes'] / 2**30:>9.2f} GB")
    results["models"] = models

    ep = spawn("epstein", "100")
    results["epstein"] = ep
    print(f"\nMesa {ep.get('mesa', '?')} Epstein civil violence: {ep.get('citizens', 0)} citizens, "
          f"{ep.get('citizen_steps_per_s', 0):,.0f} citizen-steps/s")

    sweeps = [spawn("sweep", "processes", "1", "40"), spawn("sweep", "processes", "2", "40"),
              spawn("sweep", "dask", "2", "40")]
    results["sweeps"] = sweeps
    print("\n40-run sweep (jcoc, 50,000 citizens, 120 days; runner started beforehand)")
    for s in sweeps:
        if "error" in s:
            print(f"  error: {s['error']}")
        else:
            print(f"  {s['runner']:<10} {s['workers']} worker(s): "
                  f"{s['runs_per_min']:6.1f} runs/min  (start-up {s['startup_s']:.1f} s)")

    targets = []

    def by(preset: str, n: int) -> dict:
        return next((m for m in models if m.get("preset") == preset
                     and m.get("citizens") == n and "error" not in m), {})

    jc = by("jcoc", 100_000)
    ratio = jc.get("citizen_steps_per_s", 0) / max(ep.get("citizen_steps_per_s", 1), 1)
    targets.append(("jcoc 100k citizen-steps/s ≥ 300× Epstein", f"{ratio:,.0f}×", ratio >= 300))
    targets.append(("jcoc 100,000 citizens × 365 days ≤ 4 s", f"{jc.get('total_s', 0):.2f} s",
                    0 < jc.get("total_s", 1e9) <= 4.0))
    big = [m for m in models if m.get("citizens") == 1_000_000 and "error" not in m]
    if big:
        peak = max(m["peak_rss_bytes"] for m in big)
        targets.append(("1,000,000 citizens ≤ 4 GB peak RSS",
                        f"{peak / 2**30:.2f} GB ({peak / 1e6:,.0f} B/citizen)", peak <= 4 * 2**30))
        results["bytes_per_citizen_1M"] = peak / 1e6
    ok = [s for s in sweeps if "error" not in s]
    if len(ok) == 3:
        one, two, dask = (s["runs_per_min"] for s in ok)
        targets.append(("2 workers ≥ 1.8× runs/min of 1", f"{two / one:.2f}×", two / one >= 1.8))
        targets.append(("Dask ≤ 10 % slower than local processes", f"{dask / two:.2f}×",
                        dask >= 0.9 * two))
    results["targets"] = [{"target": t, "measured": m, "pass": p} for t, m, p in targets]
    print("\nTargets")
    for t, m, p in targets:
        print(f"  {verdict(p)}  {t:<45} {m}")
    RESULTS.write_text(json.dumps(results, indent=2))
    print(f"\n-> {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

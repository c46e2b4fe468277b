"""Performance benchmarks: `make bench` runs this and writes benchmarks/results.json.

Measures (each in a fresh subprocess, so peak memory is the run's own):

1. citizen-steps per second for the licensing presets and the jcoc preset at
   10,000, 100,000 and 1,000,000 citizens (model construction and the
   licensing presets' burn-in included; burn-in days count as steps);
2. the same figure for Mesa's own Epstein civil-violence example, in this run;
3. Jambi City at its real size, 633,650 citizens: jcoc's whole scenario and
   pbg's 730 days, with and without the 730-day burn-in before day 0 (wall
   time and peak resident memory), and ``collabsim run PRESET --citizens
   633650`` on every preset;
4. building the model at 1,000,000 citizens (the burn-in excluded: that is
   simulation, not construction);
5. sweeps: the whole ``experiments/success_factors_sobol.toml`` (1,024 runs)
   as ``collabsim sweep --workers 2`` runs it (pool start-up and the results
   store included); and a fixed subset (the first 64 runs in the sweep's own
   order) on 1 and 2 local worker processes and on a real multi-process Dask
   cluster (``dask scheduler`` and two ``dask worker`` processes started here
   on 127.0.0.1), to compare the runners;
6. benchmarks/crn.py and benchmarks/crn_floor.py: the variance of paired policy
   differences three ways, and for the pbg pair how much of it any pairing of
   the draws after the policy could remove;
7. benchmarks/scaling.py: time and memory against citizens, agencies and
   workflow stages (scaling.csv, scaling.png).

The machine's own speed is probed at the start, between the sections and at
the end (:func:`machine_speed`: a fixed pure-Python loop, a fixed NumPy sort
and 20 steps of Mesa's Epstein example) and recorded with the results, because
the shared machine runs the same code at speeds up to 2.4× apart from one day
or hour to the next: a time in one results file is read against the probe
beside it (the Epstein probe: the loop and the sort missed a slow phase).

Targets are printed as PASS or FAIL; they are never assertions in the test
suite because these machines are shared and noisy. ``--quick`` runs small
versions of each (the suite smoke-tests it) and writes where ``--out`` says.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
HISTORY = HERE / "history"  # earlier results files, kept when a run replaces results.json
CITY = 633_650  # Jambi City's population (CASE_FACTS)
PRESETS = ["pbg", "pbg_repaired", "spp_irt", "jcoc", "jcoc_siloed", "jcoc_no_socialisation"]
SOBOL = HERE.parent / "experiments" / "success_factors_sobol.toml"

# (preset, citizens, days): days shrink with size to keep the whole run to minutes.
MODEL_CASES = [
    ("pbg", 10_000, 730), ("spp_irt", 10_000, 730), ("jcoc", 10_000, 365),
    ("pbg", 100_000, 365), ("spp_irt", 100_000, 365), ("jcoc", 100_000, 365),
    ("pbg", 1_000_000, 60), ("spp_irt", 1_000_000, 60), ("jcoc", 1_000_000, 60),
]
QUICK_CASES = [("pbg", 2_000, 60), ("jcoc", 2_000, 30)]


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_model(preset: str, citizens: int, days: int | None, burn_in: int | None = None
                ) -> dict:
    """Build and run one model; report time (burn-in apart) and peak memory."""
    from collabsim import CollabModel

    timing = {"burn_in_s": 0.0}
    original = CollabModel.burn_in

    def timed_burn_in(self, n):
        t = time.perf_counter()
        original(self, n)
        timing["burn_in_s"] = time.perf_counter() - t

    CollabModel.burn_in = timed_burn_in
    overrides = {} if burn_in is None else {"burn_in_days": int(burn_in)}
    t0 = time.perf_counter()
    model = CollabModel(preset, seed=1, n_citizens=citizens, overrides=overrides)
    t1 = time.perf_counter()
    model.run(days)
    t2 = time.perf_counter()
    burn = model.config.burn_in_days
    steps = burn + model.day
    return {"preset": preset, "citizens": citizens, "days": model.day, "burn_in_days": burn,
            "build_s": t1 - t0 - timing["burn_in_s"], "burn_in_s": timing["burn_in_s"],
            "run_s": t2 - t1, "total_s": t2 - t0,
            "citizen_steps_per_s": citizens * steps / (t2 - t0),
            "peak_rss_bytes": peak_rss_bytes()}


def child_build(preset: str, citizens: int) -> dict:
    """Construct the model only (burn-in off): the build-time target."""
    from collabsim import CollabModel

    t0 = time.perf_counter()
    model = CollabModel(preset, seed=1, n_citizens=citizens, overrides={"burn_in_days": 0})
    dt = time.perf_counter() - t0
    t1 = time.perf_counter()
    n = len(model.agents_by_type[type(model.citizens[0])])  # every Mesa view, on demand
    views = time.perf_counter() - t1
    return {"preset": preset, "citizens": citizens, "build_s": dt,
            "all_agent_views_s": views, "agent_views": n, "peak_rss_bytes": peak_rss_bytes()}


def epstein_model() -> tuple[object, int]:
    """Mesa's Epstein civil-violence example (as shipped in the installed Mesa), seed 1.

    Returns:
        ``(model, citizens)``.
    """
    from mesa.examples import EpsteinCivilViolence
    from mesa.examples.advanced.epstein_civil_violence.agents import Citizen

    try:
        from mesa.examples.advanced.epstein_civil_violence.model import EpsteinScenario

        model = EpsteinCivilViolence(scenario=EpsteinScenario(rng=1))
    except ImportError:  # Mesa 3.3: keyword parameters and seed
        model = EpsteinCivilViolence(seed=1)
    return model, len(model.agents_by_type[Citizen])


def child_epstein(steps: int) -> dict:
    """Mesa's Epstein civil-violence example: citizen-steps per second, construction included."""
    import mesa

    t0 = time.perf_counter()
    model, n = epstein_model()
    for _ in range(steps):
        model.step()
    dt = time.perf_counter() - t0
    return {"mesa": mesa.__version__, "citizens": n, "steps": steps, "total_s": dt,
            "citizen_steps_per_s": n * steps / dt}


class DaskProcesses:
    """A real multi-process Dask cluster: ``dask scheduler`` and ``dask worker``s on 127.0.0.1."""

    def __init__(self, workers: int):
        self.workers = workers
        self.procs: list[subprocess.Popen] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="collabsim-bench-dask-"))
        self.address = ""

    def __enter__(self) -> DaskProcesses:
        from distributed import Client

        sched = self.tmp / "scheduler.json"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(sched)], **quiet))
        deadline = time.monotonic() + 60
        while not sched.is_file():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = json.loads(sched.read_text())["address"]
        from collabsim.experiments.runners import dask_worker_environment

        # the worker settings docs/experiments.md recommends (profiler off, slower ticks)
        env = {**os.environ, **dask_worker_environment()}
        for _ in range(self.workers):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", self.address,
                 "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--preload", "collabsim.runner", "--death-timeout", "60"], env=env, **quiet))
        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(self.workers, timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        # the scheduler closes its workers and itself (a SIGTERM to each process took the
        # nannies some 8 s to wind down); whatever is still up after that is terminated
        if self.address and self.procs[0].poll() is None:
            from distributed import Client

            with contextlib.suppress(Exception), Client(self.address, timeout="10s") as client:
                client.shutdown()  # on any error, the loop below stops them
            for p in self.procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=5)
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def child_sweep(runner: str, workers: int, runs: int, quick: bool = False) -> dict:
    """The first ``runs`` runs of the Sobol sweep through one runner, started beforehand.

    The runner (process pool, or a dask scheduler with worker processes) is
    started and timed on its own, so the rate compares how fast each runner
    works, not how fast it boots. Batches as many per worker as
    ``run_experiment`` packs for the full sweep (smaller ones, for the subset).
    """
    from collabsim.experiments import load_experiment
    from collabsim.experiments.runners import (
        DaskRunner,
        ProcessRunner,
        _batch_size,
        _job,
        _tasks,
    )

    exp = load_experiment(SOBOL)
    job = _job(exp)
    if quick:  # a smoke test: tiny runs
        from dataclasses import replace

        job = replace(job, steps=30, n_citizens=500, scenarios=tuple(
            sc.model_copy(update={"burn_in_days": 0}) for sc in job.scenarios))
    # the sweep's own order: runs sharing a history (parameters_from = "start") together
    tasks = _tasks(exp, list(range(exp.n_runs)))[:runs]
    # The full sweep gives each worker some 32 batches (`_batch_size`), so the last
    # one's tail is a few per cent of the run. The subset keeps the same balance
    # (16 batches a worker): with 2 batches a worker, as before, which runs fell
    # together moved the 2-worker rate by ±10 %.
    size = min(_batch_size(exp.n_runs, workers), max(1, runs // (16 * workers)))
    batches = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    t0 = time.perf_counter()
    cluster = DaskProcesses(workers).__enter__() if runner == "dask" else None
    pool = DaskRunner(scheduler=cluster.address) if cluster else ProcessRunner(workers)
    pool.start()
    started = time.perf_counter() - t0
    got: list[dict] = []
    try:
        t1 = time.perf_counter()
        pool.run(job, batches, lambda res: got.extend(res.runs))
        dt = time.perf_counter() - t1
    finally:
        pool.close()
        if cluster:
            cluster.__exit__(None, None, None)
    ids = sorted(r["run_id"] for r in got)
    return {"runner": runner, "workers": workers, "runs": len(got), "batch_size": size,
            "every_run_once": ids == sorted(t.run_id for t in tasks),
            "ok": sum(r["status"] == "ok" for r in got), "startup_s": started,
            "total_s": dt, "runs_per_min": 60 * len(got) / dt,
            "full_sweep_s": dt * exp.n_runs / max(1, len(got)), "full_sweep_runs": exp.n_runs}


def child_sobol(workers: int, quick: bool = False) -> dict:
    """The whole Sobol sweep as ``collabsim sweep SPEC --workers N`` runs it, timed end to end.

    Pool start-up, the forked histories, the results store (Parquet parts and
    the manifest) included: what a user waits for.
    """
    import tomllib

    from collabsim.experiments import load_experiment, run_experiment

    raw = tomllib.loads(SOBOL.read_text())
    if quick:  # a smoke test: tiny runs, a tiny design
        raw.update(steps=60, n_citizens=500, replications=1)
        raw["sampler"]["n"] = 2
        raw["set"] = {"collaboration_start": 20, "warmup_days": 5, "burn_in_days": 10}
    exp = load_experiment(raw, base_dir=SOBOL.parent)
    out = Path(tempfile.mkdtemp(prefix="collabsim-bench-sobol-"))
    try:
        t0 = time.perf_counter()
        res = run_experiment(exp, out / "sweep", workers=workers)
        dt = time.perf_counter() - t0
        runs = res.runs
        return {"workers": workers, "runs": len(runs), "ok": int((runs["status"] == "ok").sum()),
                "parameters_from": exp.spec.parameters_from, "total_s": dt,
                "runs_per_min": 60 * len(runs) / dt}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def cli_city(preset: str, citizens: int, steps: int) -> dict:
    """``collabsim run PRESET --citizens N`` (its burn-in included), timed with /usr/bin/time."""
    exe = Path(sys.executable).with_name("collabsim")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(exe), "run", preset, "--citizens", str(citizens), "--steps", str(steps),
               "--out", str(Path(tmp) / preset)]
        timer = ["/usr/bin/time", "-f", "%e %M"] if Path("/usr/bin/time").exists() else []
        res = subprocess.run(timer + cmd, capture_output=True, text=True, check=False)
    out = {"preset": preset, "citizens": citizens, "steps": steps, "ok": res.returncode == 0}
    if timer and res.stderr.strip():
        try:
            wall, kb = res.stderr.strip().splitlines()[-1].split()
            out.update(wall_s=float(wall), peak_rss_bytes=int(kb) * 1024)
        except ValueError:
            pass
    if res.returncode != 0:
        out["error"] = (res.stderr.strip().splitlines() or ["failed"])[-1]
    return out


#: The probe's fixed work: additions in a pure-Python loop, float64 values sorted by NumPy,
#: and steps of Mesa's Epstein example (seed 1, construction not timed).
PROBE_LOOP = 3_000_000
PROBE_SORT = 2_000_000
PROBE_EPSTEIN_STEPS = 20


def machine_speed(repeats: int = 3, epstein_steps: int = PROBE_EPSTEIN_STEPS) -> dict:
    """How fast this machine is right now: seconds for a fixed amount of work (best of ``repeats``).

    ``python_loop_s`` times :data:`PROBE_LOOP` additions in a pure-Python loop
    (the interpreter in a tight loop), ``numpy_sort_s`` a NumPy sort of
    :data:`PROBE_SORT` float64 values (memory and vector work), and
    ``epstein_s`` the first ``epstein_steps`` steps of Mesa's Epstein example
    (Python objects, dicts and a grid: an agent model's kind of work; it is
    Mesa's code, so it stays the same work while Mesa's version, recorded
    beside it, does). The shared machine has phases that slowed the models and
    Epstein some 2× while the tight loop and the sort kept their speed
    (benchmarks of 2026-12-06): the Epstein probe does the models' kind of
    work, so it is the one to compare such phases by. The best of a few
    repeats is the machine's speed in that minute; a larger value is a slower
    phase. A record, not a correction factor.
    """
    import numpy as np

    values = np.random.default_rng(0).random(PROBE_SORT)
    loop, sort, epstein = [], [], []
    for _ in range(repeats):
        t = time.perf_counter()
        total = 0
        for i in range(PROBE_LOOP):
            total += i
        loop.append(time.perf_counter() - t)
        t = time.perf_counter()
        np.sort(values)
        sort.append(time.perf_counter() - t)
        model, _ = epstein_model()
        t = time.perf_counter()
        for _ in range(epstein_steps):
            model.step()
        epstein.append(time.perf_counter() - t)
    return {"when": time.strftime("%H:%M:%S"), "python_loop_s": round(min(loop), 4),
            "numpy_sort_s": round(min(sort), 4), "epstein_s": round(min(epstein), 4),
            "epstein_steps": epstein_steps}


def probe(results: dict, where: str) -> None:
    """Probe the machine's speed (:func:`machine_speed`) and record it under ``where``."""
    p = {"where": where, **(machine_speed(1, 2) if IN_PROCESS else machine_speed())}  # --quick
    results["machine"].setdefault("speed", []).append(p)
    print(f"[machine speed, {where}: pure-Python loop {p['python_loop_s']:.3f} s, "
          f"NumPy sort {p['numpy_sort_s']:.3f} s, Epstein {p['epstein_steps']} steps "
          f"{p['epstein_s']:.3f} s]")


IN_PROCESS = False  # --quick: measure in this process (no fresh interpreter per case)


def spawn(*args: str) -> dict:
    """Run one measurement in a fresh interpreter and parse its JSON line."""
    if IN_PROCESS:
        try:
            return run_child(args[0], list(args[1:]))
        except Exception as exc:  # a smoke test reports, as a child would
            return {"error": f"{type(exc).__name__}: {exc}"}
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def gb(b: float) -> str:
    return f"{b / 2**30:.2f} GB"


def run_child(kind: str, rest: list[str]) -> dict:
    if kind == "model":
        burn = None if len(rest) < 4 or rest[3] == "-" else int(rest[3])
        days = None if rest[2] == "-" else int(rest[2])
        return child_model(rest[0], int(rest[1]), days, burn)
    if kind == "build":
        return child_build(rest[0], int(rest[1]))
    if kind == "epstein":
        return child_epstein(int(rest[0]))
    if kind == "sobol":
        return child_sobol(int(rest[0]), quick=len(rest) > 1)
    return child_sweep(rest[0], int(rest[1]), int(rest[2]), quick=len(rest) > 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true",
                    help="small versions of every measurement (a smoke test, figures meaningless)")
    ap.add_argument("--out", type=Path, default=None,
                    help="results file (default benchmarks/results.json; with --quick a "
                         "temporary one unless given)")
    ap.add_argument("--sweep-runs", type=int, default=64,
                    help="runs of the Sobol sweep to time (default 64 of its 1,024)")
    ap.add_argument("--no-scaling", action="store_true", help="skip benchmarks/scaling.py")
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        print(json.dumps(run_child(kind, rest)))
        return 0
    quick = args.quick
    global IN_PROCESS
    IN_PROCESS = quick
    out_path = args.out or (Path(tempfile.gettempdir()) / "collabsim-bench-quick.json"
                            if quick else RESULTS)

    results: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                 "platform": platform.platform(),
                                 "processor": platform.processor() or platform.machine()},
                     "when": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": quick}
    try:
        import mesa
        import numpy

        results["machine"].update(mesa=mesa.__version__, numpy=numpy.__version__)
    except ImportError:
        pass

    probe(results, "start")
    print("Model throughput (construction and burn-in included; burn-in days count as steps)")
    print(f"{'preset':<10}{'citizens':>11}{'days':>6}{'burn-in':>8}{'seconds':>9}"
          f"{'citizen-steps/s':>17}{'peak RSS':>11}")
    models = []
    for preset, n, days in (QUICK_CASES if quick else MODEL_CASES):
        r = spawn("model", preset, str(n), str(days))
        models.append(r)
        if "error" in r:
            print(f"{preset:<10}{n:>11,}{days:>6}  error: {r['error']}")
            continue
        print(f"{preset:<10}{n:>11,}{days:>6}{r['burn_in_days']:>8}{r['total_s']:>9.2f}"
              f"{r['citizen_steps_per_s']:>17,.0f}{gb(r['peak_rss_bytes']):>11}")
    results["models"] = models
    probe(results, "after the models")

    ep = spawn("epstein", "10" if quick else "100")
    results["epstein"] = ep
    print(f"\nMesa {ep.get('mesa', '?')} Epstein civil violence: {ep.get('citizens', 0)} citizens, "
          f"{ep.get('citizen_steps_per_s', 0):,.0f} citizen-steps/s")

    city_n = 5_000 if quick else CITY
    print(f"\nJambi City at {city_n:,} citizens")
    city = {
        "jcoc": spawn("model", "jcoc", str(city_n), "30" if quick else "-"),
        "pbg_with_burn_in": spawn("model", "pbg", str(city_n), "30" if quick else "730"),
        "pbg_without_burn_in": spawn("model", "pbg", str(city_n), "30" if quick else "730", "0"),
    }
    for k, r in city.items():
        if "error" in r:
            print(f"  {k:<22} error: {r['error']}")
            continue
        print(f"  {k:<22} {r['days']:>4} days (+{r['burn_in_days']} burn-in): "
              f"{r['total_s']:6.2f} s (build {r['build_s']:.2f}, burn-in {r['burn_in_s']:.2f}, "
              f"run {r['run_s']:.2f})  peak {gb(r['peak_rss_bytes'])}")
    cli = [cli_city(p, city_n, 1) for p in (["jcoc"] if quick else PRESETS)]
    for c in cli:
        extra = (f"{c.get('wall_s', 0):6.1f} s, peak {gb(c.get('peak_rss_bytes', 0))}"
                 if c["ok"] else c.get("error", ""))
        print(f"  collabsim run {c['preset']:<22} --citizens {city_n} --steps 1: "
              f"{'ok' if c['ok'] else 'FAILED'} {extra}")
    city["cli"] = cli
    results["city"] = city
    probe(results, "after the city")

    build_n = 20_000 if quick else 1_000_000
    builds = [spawn("build", p, str(build_n)) for p in ("pbg", "spp_irt", "jcoc")]
    results["builds"] = builds
    print(f"\nBuilding the model at {build_n:,} citizens (burn-in off)")
    for b in builds:
        if "error" in b:
            print(f"  error: {b['error']}")
            continue
        print(f"  {b['preset']:<8} {b['build_s']:5.2f} s   (every citizen's Mesa view on "
              f"demand afterwards: {b['all_agent_views_s']:.2f} s)  peak {gb(b['peak_rss_bytes'])}")

    runs = 4 if quick else args.sweep_runs
    q = ["quick"] if quick else []
    sweeps = [spawn("sweep", "processes", "1", str(runs), *q),
              spawn("sweep", "processes", "2", str(runs), *q),
              spawn("sweep", "dask", "2", str(runs), *q)]
    results["sweeps"] = sweeps
    sobol = spawn("sobol", "2", *q)
    results["sobol"] = sobol
    if "error" in sobol:
        print(f"\nSobol sweep, whole: error: {sobol['error']}")
    else:
        print(f"\nSobol sweep, whole (collabsim sweep --workers 2, parameters_from = "
              f"{sobol['parameters_from']!r}): {sobol['runs']} runs ({sobol['ok']} ok) in "
              f"{sobol['total_s']:.0f} s, {sobol['runs_per_min']:.1f} runs/min")
    print(f"\nSobol sweep subset: its first {runs} runs (runner started beforehand)")
    for s in sweeps:
        if "error" in s:
            print(f"  error: {s['error']}")
        else:
            print(f"  {s['runner']:<10} {s['workers']} worker(s): {s['runs_per_min']:6.1f} runs/min"
                  f"  -> {s['full_sweep_runs']} runs in {s['full_sweep_s']:.0f} s "
                  f"(batches of {s['batch_size']}; start-up {s['startup_s']:.1f} s; "
                  f"every run once: {s['every_run_once']})")

    probe(results, "after the sweeps")
    print("\nCommon random numbers (benchmarks/crn.py): variance of paired policy differences")
    import crn

    crn_res = (crn.measure(pairs=2, citizens=1000, workers=1, only=["jcoc vs jcoc_siloed"])
               if quick else crn.measure(pairs=60, citizens=5000, workers=2))
    print(crn.table(crn_res))
    results["crn"] = crn_res
    import crn_floor

    floor = (crn_floor.measure(histories=2, continuations=2, citizens=500, workers=1)
             if quick else crn_floor.measure(histories=60, continuations=3))
    print(crn_floor.text(floor))
    results["crn_floor"] = floor

    if not args.no_scaling:
        print("\nScaling (benchmarks/scaling.py)")
        scaling_args = ["--quick", "--no-plot", "--in-process"] if quick else []
        res = subprocess.run([sys.executable, str(HERE / "scaling.py"), *scaling_args],
                             capture_output=True, text=True, check=False)
        print(res.stdout.rstrip() or res.stderr.strip()[-500:])
        results["scaling"] = {"ok": res.returncode == 0,
                              "summary": [ln.strip() for ln in res.stdout.splitlines()
                                          if "size^" in ln]}

    targets = []

    def by(preset: str, n: int) -> dict:
        return next((m for m in models if m.get("preset") == preset
                     and m.get("citizens") == n and "error" not in m), {})

    jc = by("jcoc", 100_000)
    if jc:
        ratio = jc.get("citizen_steps_per_s", 0) / max(ep.get("citizen_steps_per_s", 1), 1)
        targets.append(("jcoc 100k citizen-steps/s ≥ 300× Epstein", f"{ratio:,.0f}×",
                        ratio >= 300))
        targets.append(("jcoc 100,000 citizens × 365 days ≤ 4 s", f"{jc['total_s']:.2f} s",
                        jc["total_s"] <= 4.0))
    big = [m for m in models if m.get("citizens") == 1_000_000 and "error" not in m]
    if big:
        peak = max(m["peak_rss_bytes"] for m in big)
        targets.append(("1,000,000 citizens ≤ 4 GB peak RSS",
                        f"{gb(peak)} ({peak / 1e6:,.0f} B/citizen)", peak <= 4 * 2**30))
        results["bytes_per_citizen_1M"] = peak / 1e6
    for k, label in (("jcoc", "jcoc whole scenario"), ("pbg_with_burn_in",
                     "pbg 730 days + 730 burn-in"), ("pbg_without_burn_in",
                     "pbg 730 days, no burn-in")):
        r = city[k]
        if "error" not in r:
            targets.append((f"{label} at {city_n:,} ≤ 15 s", f"{r['total_s']:.1f} s",
                            r["total_s"] <= 15))
            targets.append((f"{label} at {city_n:,} ≤ 2 GB", gb(r["peak_rss_bytes"]),
                            r["peak_rss_bytes"] <= 2 * 2**30))
    targets.append((f"--citizens {city_n} works on every preset",
                    f"{sum(c['ok'] for c in cli)}/{len(cli)}", all(c["ok"] for c in cli)))
    ok_b = [b for b in builds if "error" not in b]
    if ok_b:
        worst = max(b["build_s"] for b in ok_b)
        targets.append((f"build at {build_n:,} citizens ≤ 2 s", f"{worst:.2f} s (slowest preset)",
                        worst <= 2.0))
    for name, rows in crn_res["results"].items():
        agent, common = rows["per-agent CRN"], rows["common seeds"]
        lo, hi = agent["reduction_ci"]
        c_lo, c_hi = agent["reduction_vs_common_ci"]
        targets.append((f"per-agent CRN ≥ 5× less paired variance: {name}",
                        f"{agent['reduction_vs_independent']:.1f}× [{lo:.1f}, {hi:.1f}] "
                        f"(common seeds {common['reduction_vs_independent']:.1f}×; "
                        f"CRN ÷ common {agent['reduction_vs_common']:.2f}× "
                        f"[{c_lo:.2f}, {c_hi:.2f}])",
                        agent["reduction_vs_independent"] >= 5
                        and agent["var_difference"] <= common["var_difference"]))
    if "error" not in sobol:
        targets.append((f"Sobol {sobol['runs']:,} runs ≤ 300 s on 2 workers",
                        f"{sobol['total_s']:.0f} s (whole sweep, end to end)",
                        sobol["total_s"] <= 300))
    ok = [s for s in sweeps if "error" not in s]
    if len(ok) == 3:
        one, two, dask = ok
        r2 = two["runs_per_min"] / one["runs_per_min"]
        targets.append(("2 local processes ≥ 1.9× 1", f"{r2:.2f}×", r2 >= 1.9))
        rd = dask["runs_per_min"] / two["runs_per_min"]
        targets.append(("dask scheduler + 2 workers within 10 % of local processes",
                        f"{rd:.2f}×", rd >= 0.9))
        targets.append(("every run returned exactly once (all runners)",
                        str(all(s["every_run_once"] for s in ok)),
                        all(s["every_run_once"] for s in ok)))
    probe(results, "end")
    results["targets"] = [{"target": t, "measured": m, "pass": p} for t, m, p in targets]
    print("\nTargets" + (" (--quick: sizes cut, figures meaningless)" if quick else ""))
    for t, m, p in targets:
        print(f"  {verdict(p)}  {t:<58} {m}")
    speed = results["machine"]["speed"]
    loops, ep = [p["python_loop_s"] for p in speed], [p["epstein_s"] for p in speed]
    print(f"  (machine speed over this run: the probe's pure-Python loop took "
          f"{min(loops):.3f}–{max(loops):.3f} s, its {speed[0]['epstein_steps']} Epstein steps "
          f"{min(ep):.3f}–{max(ep):.3f} s; compare results files by the Epstein probe)")
    if out_path == RESULTS and RESULTS.is_file():  # keep the run this one replaces
        try:
            when = json.loads(RESULTS.read_text()).get("when", "unknown")
        except ValueError:
            when = "unknown"
        HISTORY.mkdir(exist_ok=True)
        kept = HISTORY / f"results-{when.replace(' ', 'T').replace(':', '-')}.json"
        shutil.copyfile(RESULTS, kept)
        print(f"(the results it replaces -> {kept})")
    out_path.write_text(json.dumps(results, indent=2))
    print(f"\n-> {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

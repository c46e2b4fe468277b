"""``collabsim calibrate``: ABC-SMC of a calibration spec, resumable, with a validation table."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from collabsim.errors import CollabsimError

__all__ = ["cmd_calibrate", "register", "write_outputs"]

DB_NAME = "abc.db"
MANIFEST = "calibration.json"


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {n})")
    return n


def _check_resume(out: Path, spec_hash: str, origin: str) -> bool:
    """Whether ``out`` holds this calibration to continue; error if it holds another."""
    from collabsim.calibration.abc import _holds_run

    db, manifest = out / DB_NAME, out / MANIFEST
    if not _holds_run(db):
        return False
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text()).get("spec_hash")
        except (OSError, ValueError):
            old = None
        if old is not None and old != spec_hash:
            raise CollabsimError(f"--out {out}: holds a calibration of another spec (or other "
                                 f"patterns) than {origin}; give a new --out to start afresh")
    return True


def _mapper(kind: str, workers: int | None, client: Any):
    """``map(fn, items)`` on the chosen runner, for the posterior-predictive runs."""
    if kind == "dask":
        return lambda fn, items: client.gather(client.map(fn, items, pure=False))
    if kind == "processes" and (workers or 2) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        def run(fn, items):
            with ProcessPoolExecutor(max_workers=workers,
                                     mp_context=mp.get_context("fork")) as ex:
                return list(ex.map(fn, items))
        return run
    return None


def _fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.3g}"


def write_outputs(cal: Any, db: str, out: Path, kind: str = "sequential",
                  workers: int | None = None, client: Any = None,
                  draws: int | None = None) -> dict[str, Any]:
    """Write the posterior, its summary, correlations, plots and the validation table.

    Args:
        cal: The :class:`~collabsim.calibration.spec.Calibration`.
        db: The history's SQLAlchemy address.
        out: The output directory.
        kind: Runner of the predictive runs (``sequential``, ``processes``, ``dask``).
        workers: Local processes.
        client: A Dask client (``dask``).
        draws: Posterior-predictive draws (default: the spec's ``predictive_draws``).

    Returns:
        What was written and the predictive runs made (``predictive_runs``).
    """
    from pyabc import History

    from collabsim.calibration import outputs, plots

    history = History(db, _id=1)
    post = outputs.posterior_frame(history, cal)
    post.to_parquet(out / "posterior.parquet", index=False)
    summary = outputs.posterior_summary(post, cal)
    summary.to_csv(out / "posterior_summary.csv", index=False)
    names = [p.name for p in cal.priors]
    outputs.posterior_correlations(post, names).to_csv(out / "posterior_correlations.csv")
    plots.plot_marginals(post, cal.priors, out / "posterior_marginals.png")
    if len(names) > 1:
        plots.plot_pairs(post, cal.priors, out / "posterior_pairs.png")
    n = draws or cal.spec.abc.predictive_draws
    pred = outputs.predictive_draws(post, cal, n, _mapper(kind, workers, client))
    pred.to_parquet(out / "predictive.parquet", index=False)
    table = outputs.validation_table(pred, cal)
    table.to_csv(out / "validation.csv", index=False)
    n_scen = len({p.scenario for p in cal.patterns})
    return {"posterior": post, "summary": summary, "validation": table,
            "predictive_runs": n * cal.spec.replications * n_scen}


def _print_tables(summary: Any, table: Any) -> None:
    print("posterior: median [90 % interval] (prior range)")
    for _, r in summary.iterrows():
        note = "" if r["constrained"] else "  — not constrained by the patterns"
        print(f"  {r['parameter']:<40} {_fmt(r['median']):>8} [{_fmt(r['q05'])}, "
              f"{_fmt(r['q95'])}]  ({r['prior_low']:g}–{r['prior_high']:g}){note}")
    print("validation: observed | posterior-predictive median [90 % interval] | met")
    for role in ("fitted", "not fitted", "held out"):
        part = table[table.role == role]
        if not len(part):
            continue
        print(f" {role}:")
        for _, r in part.iterrows():
            obs = (_fmt(r["observed_low"]) if r["observed_low"] == r["observed_high"]
                   else f"{_fmt(r['observed_low'])}–{_fmt(r['observed_high'])}")
            print(f"  {r['pattern']:<44} {obs:>11} | {_fmt(r['predictive_median']):>7} "
                  f"[{_fmt(r['predictive_q05'])}, {_fmt(r['predictive_q95'])}] | "
                  f"{'met' if r['met'] else 'missed'}")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run or resume a calibration; write the posterior and the validation table."""
    from collabsim.calibration.spec import load_calibration

    cut = {k: v for k, v in (("replications", args.replications),
                             ("n_citizens", args.citizens)) if v is not None}
    cal = load_calibration(args.spec, changes=cut)
    settings = cal.spec.abc
    budget = args.budget or settings.budget
    generations = args.max_generations or settings.max_generations
    pop = args.population_size or settings.population_size
    out = Path(args.out or f"results/calibration/{cal.name}")
    if args.dry_run:
        print(f"{cal.name}: {len(cal.priors)} parameters, {len(cal.fitted)} fitted and "
              f"{len(cal.patterns) - len(cal.fitted)} other patterns; "
              f"{cal.runs_per_particle} runs per particle; population {pop}; at most "
              f"{generations} generations and {budget} runs; would write {out}/")
        return 0
    if args.scheduler is not None and not args.scheduler.strip():
        raise CollabsimError("--scheduler: give an address such as tcp://HOST:8786")
    if budget < cal.runs_per_particle * pop * 2:
        raise CollabsimError(f"--budget: {budget} runs cannot pay for the prior sample and one "
                             f"generation ({2 * pop} particles × {cal.runs_per_particle} runs "
                             f"= {2 * pop * cal.runs_per_particle})")
    out.mkdir(parents=True, exist_ok=True)
    resumed = _check_resume(out, cal.spec_hash(), cal.origin)
    return _calibrate(args, cal, out, budget, generations, pop, resumed)


def _calibrate(args: argparse.Namespace, cal: Any, out: Path, budget: int, generations: int,
               pop: int, resumed: bool) -> int:
    from collabsim import __version__
    from collabsim.calibration.abc import (
        CollabSimulator,
        make_sampler,
        run_abc,
        targets_of,
    )

    kind = "sequential" if args.sequential else "processes"
    client = cluster = None
    if args.scheduler or args.dask_local:
        from distributed import Client, LocalCluster

        kind = "dask"
        if args.scheduler:
            client = Client(args.scheduler)
        else:
            cluster = LocalCluster(n_workers=args.dask_local, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
    manifest_path = out / MANIFEST
    old = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    sessions = old.get("sessions", [])
    t0 = time.monotonic()
    tty = sys.stderr.isatty()

    def progress(info: Any) -> None:
        if not args.quiet:
            print(f"{cal.name}: generation {info.t}: ε {info.epsilon:.3g}, accepted "
                  f"{info.accepted} of {info.evaluated}, runs {info.runs_used}/{budget}, "
                  f"{info.elapsed:.0f} s", file=sys.stderr, flush=True)

    if resumed and not args.quiet:
        print(f"{cal.name}: continuing the calibration in {out}/", file=sys.stderr)
    manifest = {"kind": "calibration", "collabsim": __version__, "name": cal.name,
                "spec_file": cal.origin, "spec_hash": cal.spec_hash(), "spec": cal.spec_dict(),
                "fitted": cal.fitted, "runs_per_particle": cal.runs_per_particle,
                "sessions": sessions}
    manifest_path.write_text(json.dumps(manifest, indent=2))
    try:
        outcome = run_abc(
            CollabSimulator(cal), cal.priors, targets_of(cal.fitted_patterns), out / DB_NAME,
            population_size=pop, max_generations=generations, budget=budget,
            runs_per_particle=cal.runs_per_particle, min_epsilon=cal.spec.abc.min_epsilon,
            nan_penalty=cal.spec.abc.nan_penalty,
            sampler_factory=lambda: make_sampler(kind, args.workers, client),
            seed=cal.spec.root_seed, progress=progress, show_bar=tty and not args.quiet)
        abc_wall = time.monotonic() - t0
        if outcome.generations == 0:
            raise CollabsimError(f"{cal.origin}: no generation finished within --budget "
                                 f"{budget}; raise it")
        written = write_outputs(cal, outcome.db, out, kind, args.workers, client,
                                args.predictive_draws)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    wall = time.monotonic() - t0
    sessions.append({"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "runner": kind,
                     "workers": args.workers, "budget": budget, "max_generations": generations,
                     "population_size": pop, "new_generations": len(outcome.new_generations),
                     "abc_wall_seconds": round(abc_wall, 2), "wall_seconds": round(wall, 2),
                     "predictive_runs": written["predictive_runs"]})
    manifest.update({"generations": outcome.generations, "abc_runs": outcome.runs_used,
                     "stopped": outcome.stopped,
                     "epsilons": [float(g.epsilon) for g in outcome.new_generations],
                     "sessions": sessions})
    manifest_path.write_text(json.dumps(manifest, indent=2))
    if not args.quiet:
        _print_tables(written["summary"], written["validation"])
    total = sum(s["abc_wall_seconds"] for s in sessions)
    print(f"{cal.name}: {outcome.generations} generation(s), {outcome.runs_used} model runs "
          f"for ABC (+{written['predictive_runs']} posterior-predictive), stopped by "
          f"{outcome.stopped}; {wall:.1f} s this session ({total:.1f} s of ABC in all) -> "
          f"{out}/ (posterior.parquet, posterior_summary.csv, posterior_correlations.csv, "
          "validation.csv, posterior_marginals.png, abc.db)")
    return 0


def register(sub: Any) -> None:
    """Add the ``calibrate`` command to the ``collabsim`` parser."""
    p = sub.add_parser(
        "calibrate", help="ABC-SMC of a calibration spec against the observed patterns",
        description="Fit the spec's priors to its observed patterns by ABC-SMC (pyabc), or "
                    "continue the calibration the output directory holds; write the posterior "
                    "and the validation table (needs the calibrate extra).")
    p.add_argument("spec", help="calibration spec (TOML) or the name of a shipped one")
    p.add_argument("--out", default=None, help="output directory "
                   "(default results/calibration/NAME)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, default=None, metavar="N",
                       help="local worker processes (default: CPUs; 1 = single-core sampler)")
    where.add_argument("--sequential", action="store_true",
                       help="run in this process (pyabc's single-core sampler)")
    where.add_argument("--scheduler", default=None, metavar="ADDR",
                       help="run on an existing Dask cluster, e.g. tcp://HOST:8786")
    where.add_argument("--dask-local", type=_positive, default=None, metavar="N",
                       help="start a Dask LocalCluster of N worker processes")
    p.add_argument("--budget", type=_positive, default=None, metavar="RUNS",
                   help="maximum model runs, all sessions together (default: the spec's)")
    p.add_argument("--max-generations", type=_positive, default=None, metavar="N",
                   help="generations in all (default: the spec's)")
    p.add_argument("--population-size", type=_positive, default=None, metavar="N",
                   help="particles per generation (default: the spec's)")
    p.add_argument("--predictive-draws", type=_positive, default=None, metavar="N",
                   help="posterior draws run for the validation table (default: the spec's)")
    p.add_argument("--replications", type=_positive, default=None, metavar="N",
                   help="runs per particle and scenario (default: the spec's; the cut is "
                        "recorded, and continuing needs the same)")
    p.add_argument("--citizens", type=_positive, default=None, metavar="N",
                   help="citizens per run (default: the spec's n_citizens; recorded likewise)")
    p.add_argument("--dry-run", action="store_true", help="check the spec; run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_calibrate)

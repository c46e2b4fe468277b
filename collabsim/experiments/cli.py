"""``collabsim sweep``: run or resume an experiment from the command line."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from collabsim.errors import CollabsimError

__all__ = ["DEFAULT_DRAWS", "SweepProgress", "add_posterior_options", "cmd_sweep", "cut_spec",
           "register"]

#: Posterior draws when ``--posterior`` is given without ``--draws``.
DEFAULT_DRAWS = 10


class SweepProgress:
    """Sweep progress: a tqdm bar on a terminal, a short log line every few seconds otherwise.

    The bar shows runs done/total, the rate and the ETA; so do the log lines.

    Args:
        desc: Label.
        stream: Where to write (default stderr).
        every: Seconds between log lines when not on a terminal.
    """

    def __init__(self, desc: str, stream: TextIO | None = None, every: float = 5.0):
        self.desc = desc
        self.stream = stream or sys.stderr
        self.every = every
        self.bar: Any = None
        self._last = -1e9
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, status: Any) -> None:
        """Show a :class:`~collabsim.experiments.Status`."""
        if self._tty:
            self._bar(status)
            return
        now = time.monotonic()
        finished = status.session_done >= status.session_total
        if not finished and now - self._last < self.every and status.session_done:
            return
        self._last = now
        rate = status.session_done / status.elapsed if status.elapsed > 0 else 0.0
        left = status.session_total - status.session_done
        eta = f"ETA {left / rate:.0f} s" if rate > 0 else "ETA -"
        fails = f", {status.failed} failed" if status.failed else ""
        print(f"{self.desc}: {status.done}/{status.total} runs{fails}, "
              f"{rate * 60:.1f} runs/min, {eta}", file=self.stream, flush=True)

    def _bar(self, status: Any) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=status.total, initial=status.done, desc=self.desc,
                            unit="run", file=self.stream, dynamic_ncols=True)
        self.bar.update(status.done - self.bar.n)
        if status.failed:
            self.bar.set_postfix(failed=status.failed, refresh=False)
        if status.session_done >= status.session_total:
            self.close()

    def close(self) -> None:
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def add_posterior_options(p: argparse.ArgumentParser, what: str) -> None:
    """``--posterior DIR`` and ``--draws D``: run over draws from a calibration's posterior."""
    p.add_argument("--posterior", default=None, metavar="DIR",
                   help=f"a calibration's output directory (posterior.parquet, "
                        f"calibration.json): {what} over --draws particles drawn by weight, "
                        "so results carry parameter uncertainty as well as noise")
    p.add_argument("--draws", type=int, default=None, metavar="D",
                   help=f"posterior draws (default {DEFAULT_DRAWS}; at least 2)")


def _log_warnings() -> None:
    """Show collabsim's own warnings (a lost worker, a resume) as short lines."""
    logger = logging.getLogger("collabsim")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {n})")
    return n


def _at_least_10(text: str) -> int:
    n = _positive(text)
    if n < 10:
        raise argparse.ArgumentTypeError(f"must be at least 10 (got {n})")
    return n


#: Sampler fields that ``--sample-size`` sets, by method (the grid has none).
_SIZE_FIELD = {"lhs": "n", "sobol": "n", "morris": "trajectories"}


def cut_spec(exp: Any, *, replications: int | None = None, steps: int | None = None,
             citizens: int | None = None, sample_size: int | None = None,
             overrides: dict[str, Any] | None = None) -> Any:
    """The experiment with some of its settings replaced (a smaller trial of a spec).

    Args:
        exp: The loaded :class:`~collabsim.experiments.Experiment`.
        replications: Runs per parameter point.
        steps: Days per run.
        citizens: Citizens per run (capacities scale with it).
        sample_size: The sampler's size: ``n`` of ``lhs`` and ``sobol`` (a power
            of two), ``trajectories`` of ``morris``; not for a ``grid``.
        overrides: Scenario values set in every run, added to the spec's ``[set]``.

    Returns:
        The experiment as cut, checked like a spec file (the manifest records it).

    Raises:
        CollabsimError: one line per problem, naming the spec file and the option.
    """
    from collabsim.experiments import load_experiment
    from collabsim.experiments.spec import SpecError

    if replications is steps is citizens is sample_size is None and not overrides:
        return exp
    raw = exp.spec_dict()
    for key, value in (("replications", replications), ("steps", steps),
                       ("n_citizens", citizens)):
        if value is not None:
            raw[key] = value
    if sample_size is not None:
        method = raw["sampler"]["method"]
        if method not in _SIZE_FIELD:
            raise CollabsimError(f"{exp.origin}: --sample-size: the {method} sampler has no "
                                 "sample size; allowed with lhs, sobol and morris")
        raw["sampler"][_SIZE_FIELD[method]] = sample_size
    if overrides:
        raw["set"] = {**(raw.get("set") or {}), **overrides}
    origin = Path(exp.origin)
    try:
        cut = load_experiment(raw, base_dir=origin.parent if origin.is_file() else None)
    except SpecError as exc:
        names = {"replications": "--replications", "steps": "--steps",
                 "n_citizens": "--citizens", "sampler": "--sample-size", "set": "--set"}
        lines = []
        for line in exc.problems:
            line = line.replace("<spec>", f"{exp.origin} (as cut by the command line)", 1)
            given = [opt for key, opt in names.items() if f": {key}" in line]
            lines.append(line + (f" (from {given[0]})" if given else ""))
        raise CollabsimError(lines) from None
    cut.origin = exp.origin  # messages and the manifest's spec_file name the file
    return cut


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume a sweep; print where the results are."""
    from collabsim.experiments import load_experiment, run_experiment
    from collabsim.scenario import parse_assignment

    exp = cut_spec(load_experiment(args.spec), replications=args.replications,
                   steps=args.steps, citizens=args.citizens, sample_size=args.sample_size,
                   overrides=dict(parse_assignment(a) for a in args.overrides))
    exp = _with_posterior(exp, args)
    out = Path(args.out or f"results/{exp.name}")
    if args.dry_run:
        d = exp.design()
        draws = (f"{exp.n_draws} posterior draw(s) × " if exp.posterior is not None else "")
        print(f"{exp.name}: {len(d)} runs = {len(exp.scenarios)} scenario(s) × "
              f"{d['sample'].nunique()} point(s) ({exp.sampler}) × {draws}"
              f"{exp.spec.replications} replication(s); would write {out}/")
        if exp.spec.parameters_from == "start":
            shared = d.groupby(["scenario", "seed"] + (["posterior_draw"] if exp.posterior
                                                        is not None else [])).ngroups
            print(f"  parameters change on the collaboration start: the runs share {shared} "
                  "histories up to it, each simulated once per worker")
        return 0
    if args.scheduler and not args.scheduler.strip():
        raise CollabsimError("--scheduler: give an address such as tcp://HOST:8786")
    runner = "sequential" if args.sequential else "processes"
    _log_warnings()
    progress = None if args.quiet else SweepProgress(exp.name)
    t0 = time.monotonic()
    try:
        res = run_experiment(exp, out, runner=runner, workers=args.workers,
                             scheduler=args.scheduler, dask_local=args.dask_local,
                             progress=progress, batch_size=args.batch_size,
                             checkpoint_seconds=args.checkpoint_every)
    finally:
        if progress is not None:
            progress.close()
    m = res.manifest
    over = ""
    if exp.posterior is not None:
        ident = exp.posterior.identity
        over = (f" over {exp.n_draws} draws of the posterior {ident['dir']} "
                f"({ident['hash'][:12]})")
    print(f"{exp.name}: {m['n_runs']} runs{over} ({m['n_ok']} ok, {m['n_failed']} failed) in "
          f"{time.monotonic() - t0:.1f} s -> {out}/ (runs.parquet, timeseries.parquet, "
          "manifest.json)")
    if m["n_failed"]:
        first = res.failed.iloc[0]
        print(f"warning: {m['n_failed']} run(s) failed, e.g. run {first['run_id']} (seed "
              f"{first['seed']}): {first['error']}; run the same command again to retry them",
              file=sys.stderr)
    return 0


def _with_posterior(exp: Any, args: argparse.Namespace) -> Any:
    """The experiment over ``--posterior``'s draws (warnings printed), or as it is."""
    if args.posterior is None:
        if args.draws is not None:
            raise CollabsimError("--draws: goes with --posterior DIR (the draws are the "
                                 "posterior's)")
        return exp
    from collabsim.calibration.posterior import load_posterior, plan_for_experiment

    draws = args.draws if args.draws is not None else DEFAULT_DRAWS
    plan = plan_for_experiment(load_posterior(args.posterior), exp, draws)
    for note in plan.notes:
        print(f"warning: {note}", file=sys.stderr)
    return exp.with_posterior(plan)


def register(sub: Any) -> None:
    """Add the ``sweep`` command to the ``collabsim`` parser."""
    p = sub.add_parser(
        "sweep", help="run an experiment spec (grid, LHS, Sobol, Morris) with replications",
        description="Run an experiment spec into a results directory, or resume the "
                    "interrupted sweep that directory holds (finished runs are kept; failed "
                    "and missing runs are run).")
    p.add_argument("spec", help="experiment spec (TOML) or the name of a shipped one")
    p.add_argument("--out", default=None, help="results directory (default results/NAME)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, default=None, metavar="N",
                       help="local worker processes (the default runner; default: CPUs)")
    where.add_argument("--sequential", action="store_true",
                       help="run in this process, one run after another")
    where.add_argument("--scheduler", default=None, metavar="ADDR",
                       help="run on an existing Dask cluster, e.g. tcp://HOST:8786")
    where.add_argument("--dask-local", type=_positive, default=None, metavar="N",
                       help="start a Dask LocalCluster of N worker processes")
    p.add_argument("--batch-size", type=_positive, default=None, metavar="K",
                   help="runs per task (default: chosen from runs and workers)")
    p.add_argument("--checkpoint-every", type=float, default=10.0, metavar="SECONDS",
                   help="write finished runs at least this often (default 10)")
    cut = p.add_argument_group(
        "a smaller trial of the spec (the manifest records the spec as cut, so resuming "
        "needs the same options)")
    cut.add_argument("--replications", type=_positive, default=None, metavar="N",
                     help="runs per parameter point (default: the spec's)")
    cut.add_argument("--steps", type=_positive, default=None, metavar="DAYS",
                     help="days per run (default: the spec's, else the scenario's)")
    cut.add_argument("--citizens", type=_at_least_10, default=None, metavar="N",
                     help="citizens per run; capacities scale with it (default: the spec's, "
                          "else the scenario's)")
    cut.add_argument("--sample-size", type=_positive, default=None, metavar="N",
                     help="the sampler's size: n of lhs and sobol (a power of two), "
                          "trajectories of morris; not for a grid")
    cut.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE",
                     help="scenario value for every run, added to the spec's [set] (repeatable; "
                          "e.g. collaboration_start=120)")
    add_posterior_options(p, "each design point runs")
    p.add_argument("--dry-run", action="store_true",
                   help="check the spec and print the design size; run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_sweep)

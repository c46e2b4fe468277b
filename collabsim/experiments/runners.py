"""Running an experiment: one interface, three executors, the same results from each.

* :class:`SequentialRunner` — in this process (easy to debug, used by tests).
* :class:`ProcessRunner` — a local process pool (the default; ``--workers N``).
* :class:`DaskRunner` — a Dask distributed cluster: an existing one
  (``--scheduler tcp://HOST:8786``) or a LocalCluster it starts (``--dask-local N``).

Every run is one call of :func:`collabsim.runner.run`, and its result depends
only on the scenario, the overrides and the seed the design gives it, so the
runner and the number of workers cannot change the results. Runs travel in
batches (Dask's per-task overhead is ~1.8 ms) and come back to this process,
which alone writes the store: a task that runs twice (Dask may re-run the
tasks of a lost worker) changes nothing on disk.

Failures are data (DESIGN §4): a run that raises is recorded with its error
and seed, and the sweep goes on. A worker that dies is handled too: Dask
re-runs its tasks; for the local pool, which does not retry, the lost batches
are resubmitted on a fresh pool, one run at a time, and a run that kills its
worker every time is recorded as failed.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import logging
import multiprocessing as mp
import os
import shutil
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from collabsim.errors import CollabsimError
from collabsim.experiments.records import DRAW_COLUMN, BatchResult
from collabsim.experiments.spec import Experiment, load_experiment
from collabsim.experiments.store import MANIFEST, RUNS, TIMESERIES, ResultStore, _read_manifest
from collabsim.scenario import Scenario

__all__ = [
    "DASK_WORKER_CONFIG",
    "BatchResult",
    "DaskRunner",
    "Job",
    "ProcessRunner",
    "RunTask",
    "Runner",
    "SequentialRunner",
    "Status",
    "SweepResults",
    "dask_worker_environment",
    "make_runner",
    "run_batch",
    "run_experiment",
]

#: Dask settings for the workers of a sweep: CPU-bound runs, one thread per worker process.
#: By default every Dask server samples its threads for the profiler every 10 ms, ticks its
#: event loop every 20 ms and polls the system every 0.5 s; each wake-up takes the GIL from
#: the run. With them off or slowed, 2 ``dask worker`` processes on 2 cores went from 0.83x to
#: 0.94-1.03x the runs per minute of a local process pool (``make bench``). The LocalCluster of
#: ``--dask-local`` uses them; ``dask worker`` processes get them from the environment
#: (:func:`dask_worker_environment`, docs/experiments.md).
DASK_WORKER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


def dask_worker_environment() -> dict[str, str]:
    """:data:`DASK_WORKER_CONFIG` as the environment variables Dask reads at start.

    ``distributed.admin.tick.interval`` becomes ``DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL``
    (Dask's own spelling: ``__`` between levels, ``_`` for ``-``), for ``dask worker``
    processes started by a script, a batch job or dask-jobqueue.

    Returns:
        Variable name to value, as Dask parses it back (``"False"``, ``"1s"``).
    """
    env = {}
    for key, value in DASK_WORKER_CONFIG.items():
        name = "DASK_" + "__".join(part.upper().replace("-", "_") for part in key.split("."))
        env[name] = str(value)
    return env

log = logging.getLogger(__name__)

#: How often a run may be lost with its worker before it is recorded as failed.
MAX_LOSSES = 3


# ------------------------------------------------------------------ the unit of work
@dataclass(frozen=True)
class Job:
    """What every run of a sweep shares (sent with each batch; a few kB)."""

    scenarios: tuple[Scenario, ...]
    steps: int | None
    n_citizens: int | None
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class RunTask:
    """One run: its id, base scenario (index into ``Job.scenarios``), seed and overrides.

    ``overrides`` hold for the whole run; ``at_start`` (``parameters_from = "start"``)
    are changed on the scenario's collaboration start, so the runs of a batch with the
    same scenario, seed and ``overrides`` share their history up to it.
    """

    run_id: int
    scenario: int
    seed: int
    overrides: dict[str, Any]
    at_start: dict[str, Any] | None = None

    def history(self) -> tuple[int, int, str]:
        """What the run's history before the start depends on (runs alike share it)."""
        return self.scenario, self.seed, repr(sorted(self.overrides.items()))


def describe_error(exc: BaseException) -> str:
    """One line: the exception and where it was raised."""
    text = " | ".join(str(exc).splitlines()) or "(no message)"
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" [at {Path(tb[-1].filename).name}:{tb[-1].lineno} in {tb[-1].name}]" if tb else ""
    return f"{type(exc).__name__}: {text}{where}"


def _tidy_series(df: pd.DataFrame, run_id: int, metrics: Sequence[str]) -> pd.DataFrame:
    out = df.reindex(columns=["day", *metrics])
    out = out.astype({"day": "int32", **{m: "float32" for m in metrics}})
    out.insert(0, "run_id", pd.Series(run_id, index=out.index, dtype="int64"))
    return out


def run_batch(job: Job, tasks: Sequence[RunTask]) -> BatchResult:
    """Run a batch of runs, each one call of :func:`collabsim.runner.run`.

    Runs whose parameters change on the collaboration start (``at_start``) and
    that share a history (:meth:`RunTask.history`) are copies of one model run
    to the start (:func:`collabsim.effects.shared_history` and
    :func:`~collabsim.effects.run_arm`): each result is bit-identical to a
    separate run with that intervention, so how the runs are batched cannot
    change them. A run that raises is recorded as failed (its error and seed
    kept); the batch goes on. Module-level, and its only state is the last
    history it simulated (kept to be copied, never run on), so it pickles to
    any worker and may safely run twice.
    """
    import platform

    results: dict[int, Any] = {}
    groups: dict[tuple[int, int, str], list[RunTask]] = {}
    for t in tasks:
        if t.at_start is None:
            results[t.run_id] = _one_run(job, t)
        else:
            groups.setdefault(t.history(), []).append(t)
    for group in groups.values():
        results.update(_forked_runs(job, group))
    runs, series = [], []
    for t in tasks:
        row: dict[str, Any] = {"run_id": t.run_id, "seed": t.seed}
        res = results[t.run_id]
        if isinstance(res, BaseException):  # failures are data (DESIGN §4)
            row.update(status="failed", error=describe_error(res))
        else:
            row.update(status="ok", error="")
            row.update({k: float(v) for k, v in res.summary.items()})
            series.append(_tidy_series(res.timeseries, t.run_id, job.metrics))
        runs.append(row)
    ts = pd.concat(series, ignore_index=True) if series else None
    return BatchResult(runs, ts, f"{platform.node()}:{os.getpid()}")


def _one_run(job: Job, t: RunTask) -> Any:
    """One run's :class:`~collabsim.runner.RunResult`, or the exception it raised."""
    from collabsim.interventions import changed_on_start
    from collabsim.runner import run
    from collabsim.scenario import load_scenario

    try:
        sc, overrides = job.scenarios[t.scenario], t.overrides
        if t.at_start:  # the same run as a fork gives it, made on its own
            sc, overrides = changed_on_start(load_scenario(sc, overrides or None), t.at_start), {}
        return run(sc, t.seed, job.steps, job.n_citizens, overrides=overrides)
    except Exception as exc:
        return exc


#: The shared history a worker process simulated last: key to ``(model, days left, start)``.
#: One is enough (a sweep's runs come sorted by history, so a worker meets each history in
#: one stretch of batches) and bounds the memory to one model; the model is never run itself,
#: only copied, so a result does not depend on which batch simulated the history.
_HISTORY: dict[str, tuple[Any, int, int]] = {}


def _history_key(job: Job, t: RunTask) -> str:
    import hashlib

    sc = job.scenarios[t.scenario]
    text = repr((sc.model_dump_json(), job.steps, job.n_citizens, t.history()))
    return hashlib.sha256(text.encode()).hexdigest()


def _forked_runs(job: Job, group: Sequence[RunTask]) -> dict[int, Any]:
    """Runs sharing one history: one copy each of it, with its parameters changed that morning.

    The history is simulated once to the start, or kept from this process's last batch.
    """
    from collabsim.effects import intervention_edit, run_arm, shared_history
    from collabsim.interventions import START_LABEL
    from collabsim.scenario import load_scenario

    t0 = group[0]
    key = _history_key(job, t0)
    kept = _HISTORY.get(key)
    if kept is None:
        try:
            sc = load_scenario(job.scenarios[t0.scenario], t0.overrides or None)
            model, days = shared_history(sc, t0.seed, None, job.steps, job.n_citizens)
        except Exception:  # the history itself fails: each run on its own says how
            return {t.run_id: _one_run(job, t) for t in group}
        _HISTORY.clear()
        _HISTORY[key] = kept = (model, days, sc.collaboration_start)
    model, days, start = kept
    out: dict[int, Any] = {}
    for t in group:
        try:
            edit = intervention_edit(t.at_start, START_LABEL) if t.at_start else None
            out[t.run_id] = run_arm(model, edit, days, start)
        except Exception as exc:
            out[t.run_id] = exc
    return out


def lost_result(tasks: Sequence[RunTask], reason: str) -> BatchResult:
    """A batch whose worker died every time it ran: each run recorded as failed."""
    return BatchResult([{"run_id": t.run_id, "seed": t.seed, "status": "failed",
                         "error": reason} for t in tasks], None, "")


# ---------------------------------------------------------------------- runners
class Runner:
    """Runs batches and hands each result to a callback, in completion order.

    Use as a context manager (``with runner: runner.run(...)``); :meth:`start`
    and :meth:`close` do the same by hand.
    """

    name = "runner"

    def __init__(self) -> None:
        self.workers = 1

    def start(self) -> None:
        """Acquire the executor (no-op here)."""

    def close(self) -> None:
        """Release the executor (no-op here)."""

    def __enter__(self) -> Runner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        """What the manifest records about this runner."""
        return {"runner": self.name, "workers": self.workers}

    def run(self, job: Job, batches: Sequence[Sequence[RunTask]],
            on_result: Callable[[BatchResult], None]) -> None:
        """Run every batch; call ``on_result`` once per batch."""
        raise NotImplementedError


class SequentialRunner(Runner):
    """Every run in this process, one after another."""

    name = "sequential"

    def run(self, job: Job, batches: Sequence[Sequence[RunTask]],
            on_result: Callable[[BatchResult], None]) -> None:
        """Run the batches in order."""
        for batch in batches:
            on_result(run_batch(job, batch))


@dataclass
class _Flight:
    tasks: list[RunTask]
    losses: int = 0
    generation: int = 0
    solo: bool = False


@dataclass
class _Queue:
    normal: deque = field(default_factory=deque)
    suspects: deque = field(default_factory=deque)


class _ExecutorRunner(Runner):
    """Supervises a ``concurrent.futures`` executor.

    Submission is windowed, lost batches are resubmitted, and a run that keeps
    killing its worker is recorded as failed.
    """

    window_per_worker = 2

    def __init__(self) -> None:
        super().__init__()
        self.executor: cf.Executor | None = None
        self.generation = 0

    def _submit(self, job: Job, tasks: list[RunTask]) -> cf.Future:
        return self.executor.submit(run_batch, job, tasks)

    def _restart(self) -> None:
        """Replace a broken executor (process pools only)."""

    def _breaks_pool(self, exc: BaseException) -> bool:
        return False

    def _is_final(self, exc: BaseException) -> bool:
        """Whether a lost single run should be recorded as failed at once."""
        return False

    def _check_alive(self) -> None:
        """Raise if the executor is gone for good (a Dask scheduler that went away)."""

    def run(self, job: Job, batches: Sequence[Sequence[RunTask]],
            on_result: Callable[[BatchResult], None]) -> None:
        """Run every batch on the executor, surviving lost workers."""
        queue = _Queue(deque(_Flight(list(b)) for b in batches))
        inflight: dict[cf.Future, _Flight] = {}
        window = max(1, self.workers * self.window_per_worker)
        while queue.normal or queue.suspects or inflight:
            self._fill(job, queue, inflight, window)
            done, _ = cf.wait(list(inflight), timeout=5.0, return_when=cf.FIRST_COMPLETED)
            if not done:
                self._check_alive()
            for fut in done:
                flight = inflight.pop(fut)
                try:
                    result = fut.result()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # the worker died or the task was lost
                    self._lost(flight, exc, queue, on_result)
                    continue
                on_result(result)

    def _fill(self, job: Job, queue: _Queue, inflight: dict[cf.Future, _Flight],
              window: int) -> None:
        # A run that was in flight when a worker died runs alone, so a run that
        # kills its worker is told apart from its innocent neighbours.
        if queue.suspects:
            if not inflight:
                flight = queue.suspects.popleft()
                flight.solo, flight.generation = True, self.generation
                inflight[self._submit(job, flight.tasks)] = flight
            return
        while queue.normal and len(inflight) < window:
            flight = queue.normal.popleft()
            flight.generation = self.generation
            inflight[self._submit(job, flight.tasks)] = flight

    def _lost(self, flight: _Flight, exc: BaseException, queue: _Queue,
              on_result: Callable[[BatchResult], None]) -> None:
        if self._breaks_pool(exc) and flight.generation == self.generation:
            self._restart()
        reason = describe_error(exc)
        if len(flight.tasks) > 1:
            log.warning("lost %d runs with their worker (%s); running them again one by one",
                        len(flight.tasks), reason)
            for t in reversed(flight.tasks):
                queue.suspects.appendleft(_Flight([t], flight.losses))
            return
        run_id = flight.tasks[0].run_id
        losses = flight.losses + (1 if flight.solo or self._is_final(exc) else 0)
        if self._is_final(exc) or losses >= MAX_LOSSES:
            log.warning("run %d lost its worker %d time(s) (%s); recorded as failed", run_id,
                        losses, reason)
            on_result(lost_result(flight.tasks, f"worker lost {losses} time(s) running this "
                                                f"run: {reason}"))
        else:
            log.warning("run %d lost with its worker (%s); running it again", run_id, reason)
            queue.suspects.append(_Flight(flight.tasks, losses))


def _probe() -> int:
    return os.getpid()


class ProcessRunner(_ExecutorRunner):
    """A pool of local worker processes (forkserver, collabsim preloaded).

    Args:
        workers: Number of processes (default: the number of CPUs).
    """

    name = "processes"

    def __init__(self, workers: int | None = None):
        super().__init__()
        self.workers = workers or os.cpu_count() or 1
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(["collabsim.runner"])

    def start(self) -> None:
        """Start the pool and check that a worker process can run."""
        if self.executor is None:
            self.executor = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        from concurrent.futures.process import BrokenProcessPool

        pool = cf.ProcessPoolExecutor(self.workers, mp_context=self._ctx)
        try:
            pool.submit(_probe).result()
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            raise CollabsimError(
                "worker processes die as they start; from a script, call run_experiment under "
                "`if __name__ == \"__main__\":` (workers re-import the main module), or use "
                "runner=\"sequential\"") from None
        return pool

    def close(self) -> None:
        """Stop the pool (pending work is cancelled)."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def worker_pids(self) -> list[int]:
        """Process ids of the pool's live workers (for diagnostics and tests)."""
        procs = getattr(self.executor, "_processes", None) or {}
        return [pid for pid, p in list(procs.items()) if p.is_alive()]

    def _breaks_pool(self, exc: BaseException) -> bool:
        from concurrent.futures.process import BrokenProcessPool

        return isinstance(exc, BrokenProcessPool)

    def _restart(self) -> None:
        log.warning("a worker process died; starting a fresh pool")
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new_pool()
        self.generation += 1


class DaskRunner(_ExecutorRunner):
    """A Dask distributed cluster: an existing scheduler, or a LocalCluster started here.

    Args:
        scheduler: Address of a running scheduler (``tcp://HOST:8786``).
        n_workers: Start a LocalCluster of this many single-threaded worker
            processes instead (dashboard off, logs quiet).
        client: An existing ``distributed.Client`` to use as is.
    """

    name = "dask"
    window_per_worker = 3

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None,
                 client: Any = None):
        super().__init__()
        if sum(x is not None for x in (scheduler, n_workers, client)) != 1:
            raise ValueError("give exactly one of scheduler, n_workers or client")
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.client = client
        self._own_client = client is None
        self.cluster = None

    def start(self) -> None:
        """Connect (or start the LocalCluster) and check the workers run this collabsim."""
        if self.executor is not None:
            return
        import dask
        from distributed import Client, LocalCluster

        if self.client is None and self.n_workers is not None:
            _quiet_dask(logging.ERROR)
            # No dashboard; the scheduler's small HTTP server on a free local port so
            # that concurrent sweeps never compete for 8787. Each worker's nanny hands it
            # the configuration in force when it is made: the sweep's worker settings.
            with dask.config.set(DASK_WORKER_CONFIG):
                self.cluster = LocalCluster(
                    n_workers=self.n_workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR,
                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster)
        elif self.client is None:
            _quiet_dask(logging.WARNING)
            try:
                self.client = Client(self.scheduler, timeout="15s")
            except (OSError, TimeoutError) as exc:
                raise CollabsimError(f"--scheduler {self.scheduler}: cannot connect "
                                     f"({exc}); is `dask scheduler` running there?") from None
        self._check_workers()
        # import the model on every worker now (as `dask worker --preload collabsim.runner`
        # does), not inside the first task: spawned workers start without it
        self.client.run(importlib.import_module, "collabsim.runner")
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
        self.executor = self.client.get_executor(pure=False)

    def _check_workers(self) -> None:
        from importlib.metadata import version

        mine = version("collabsim")
        found = self.client.run(version, "collabsim", on_error="return")
        if not found:
            self.client.wait_for_workers(1, timeout=60)
            found = self.client.run(version, "collabsim", on_error="return")
        bad = {w: v for w, v in found.items() if v != mine}
        if bad:
            w, v = next(iter(bad.items()))
            got = "no collabsim" if isinstance(v, BaseException) else f"collabsim {v}"
            raise CollabsimError(f"Dask worker {w} has {got}, this machine collabsim {mine}: "
                                 "install the same collabsim on every worker")

    def describe(self) -> dict[str, Any]:
        """Runner, worker threads and scheduler address."""
        addr = self.scheduler or (self.cluster.scheduler_address if self.cluster else None)
        return {"runner": self.name, "workers": self.workers, "scheduler": addr}

    def worker_pids(self) -> dict[str, int]:
        """Worker address -> process id (for diagnostics and tests)."""
        return self.client.run(os.getpid)

    def _is_final(self, exc: BaseException) -> bool:
        # Dask already re-ran the task on other workers before giving up on it.
        return type(exc).__name__ == "KilledWorker"

    def _check_alive(self) -> None:
        if self.client is not None and self.client.status not in ("running", "connecting"):
            raise CollabsimError(f"lost the Dask scheduler ({self.client.status}); finished "
                                 "runs are saved: run the same command again to resume")

    def close(self) -> None:
        """Disconnect; stop the LocalCluster if this runner started it."""
        if self.executor is not None:
            self.executor.shutdown(wait=False)
            self.executor = None
        if self.client is not None and self._own_client:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def _quiet_dask(level: int) -> None:
    for name in ("distributed", "distributed.scheduler", "distributed.nanny",
                 "distributed.worker", "distributed.core", "distributed.http.proxy",
                 "distributed.deploy", "tornado"):
        logging.getLogger(name).setLevel(level)


def make_runner(runner: str | Runner = "processes", *, workers: int | None = None,
                scheduler: str | None = None, dask_local: int | None = None) -> Runner:
    """The runner named by ``runner`` (``sequential``, ``processes``, ``dask``), or as given.

    ``scheduler`` or ``dask_local`` imply ``dask``.
    """
    if isinstance(runner, Runner):
        return runner
    if scheduler is not None or dask_local is not None:
        if scheduler is not None and dask_local is not None:
            raise CollabsimError("give either a Dask scheduler address or dask_local, not both")
        return DaskRunner(scheduler=scheduler, n_workers=dask_local)
    if runner == "sequential":
        return SequentialRunner()
    if runner == "processes":
        return ProcessRunner(workers)
    if runner == "dask":
        return DaskRunner(n_workers=workers or os.cpu_count() or 1)
    raise CollabsimError(f"runner {runner!r}: allowed: sequential, processes, dask")


# ------------------------------------------------------------------------ results
class SweepResults:
    """A finished sweep: ``runs`` (one row per run) and ``timeseries`` (long).

    ``timeseries`` is read when first used; :meth:`load_timeseries` reads only
    some columns or runs.
    """

    def __init__(self, path: Path, runs: pd.DataFrame | None = None,
                 timeseries: pd.DataFrame | None = None):
        self.path = Path(path)
        self.manifest = _read_manifest(self.path) or {}
        self.runs = runs if runs is not None else pd.read_parquet(self.path / RUNS)
        self._timeseries = timeseries

    @property
    def timeseries(self) -> pd.DataFrame:
        """Every kept metric of every ok run: ``run_id``, ``day``, metrics."""
        if self._timeseries is None:
            self._timeseries = self.load_timeseries()
        return self._timeseries

    def load_timeseries(self, columns: Sequence[str] | None = None,
                        run_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Read part of the time series (``run_id`` and ``day`` always come along)."""
        cols = None if columns is None else list(dict.fromkeys(["run_id", "day", *columns]))
        filters = [("run_id", "in", list(map(int, run_ids)))] if run_ids is not None else None
        return pd.read_parquet(self.path / TIMESERIES, columns=cols, filters=filters)

    @property
    def failed(self) -> pd.DataFrame:
        """The runs that raised, with error and seed."""
        return self.runs[self.runs["status"] != "ok"]

    def __repr__(self) -> str:
        m = self.manifest
        return (f"SweepResults({str(self.path)!r}, {m.get('n_runs')} runs, {m.get('n_ok')} ok, "
                f"{m.get('n_failed')} failed)")


@dataclass
class Status:
    """Progress of a sweep, given to the ``progress`` callback after every batch.

    Attributes:
        done: Runs finished so far, earlier sessions included.
        total: Runs in the design.
        failed: Runs recorded as failed in this session.
        session_done: Runs finished in this session.
        session_total: Runs this session set out to do.
        elapsed: Seconds since this session started.
    """

    done: int
    total: int
    failed: int
    session_done: int
    session_total: int
    elapsed: float


def _batch_size(n: int, workers: int) -> int:
    """Runs per task: enough tasks to balance the workers, few enough to amortise overhead."""
    return max(1, min(16, n // max(1, workers * 8)))


def _tasks(exp: Experiment, run_ids: Sequence[int]) -> list[RunTask]:
    design = exp.design().set_index("run_id")
    index = {sc.name: i for i, sc in enumerate(exp.scenarios)}
    post = exp.posterior
    from_start = exp.spec.parameters_from == "start"
    out = []
    for rid in run_ids:
        row = design.loc[rid]
        ov: dict[str, Any] = {}
        if post is not None:  # the draw's values first; the design's own never overlap them
            ov.update(post.overrides[row["scenario"]][int(row[DRAW_COLUMN])])
        changes: dict[str, Any] = {}
        for p in exp.parameters:
            changes.update(p.overrides(row[p.name]))
        if from_start:
            out.append(RunTask(int(rid), index[row["scenario"]], int(row["seed"]), ov, changes))
        else:
            out.append(RunTask(int(rid), index[row["scenario"]], int(row["seed"]),
                               {**ov, **changes}))
    if from_start:  # runs sharing a history next to each other, so batches share it
        out.sort(key=lambda t: (t.history(), t.run_id))
    return out


def _finished(path: Path, exp: Experiment) -> bool:
    """A complete sweep of this very spec with nothing to retry."""
    m = _read_manifest(path) if (path / MANIFEST).is_file() else None
    return bool(m and m.get("status") == "complete" and m.get("n_failed") == 0
                and m.get("n_missing") == 0 and m.get("spec_hash") == exp.spec_hash()
                and m.get("scenario_hashes") == exp.scenario_hashes()
                and m.get("posterior_hash") == exp.posterior_hash()
                and m.get("design_hash") == exp.design_hash() and (path / RUNS).is_file())


def run_experiment(experiment: Experiment | str | Path, out: str | Path | None = None, *,
                   runner: str | Runner = "processes", workers: int | None = None,
                   scheduler: str | None = None, dask_local: int | None = None,
                   progress: Callable[[Status], None] | None = None,
                   batch_size: int | None = None,
                   checkpoint_seconds: float = 10.0) -> SweepResults:
    """Run (or resume) an experiment into a results directory.

    Args:
        experiment: A loaded :class:`Experiment`, a spec path or a shipped spec name.
        out: The results directory. If it holds an interrupted sweep of the
            same spec, the sweep resumes: finished runs are kept, failed and
            missing ones run. Default: a temporary directory, read into memory
            and removed.
        runner: ``"sequential"``, ``"processes"`` (default), ``"dask"``, or a
            :class:`Runner` (started if need be and left open: close it yourself,
            e.g. ``with ProcessRunner(4) as r: ...``).
        workers: Worker processes for ``"processes"`` (default: CPUs).
        scheduler: Address of a Dask scheduler (implies Dask).
        dask_local: Start a Dask LocalCluster of this many workers (implies Dask).
        progress: Called with a :class:`Status` after every batch.
        batch_size: Runs per task (default: chosen from runs and workers).
        checkpoint_seconds: Most seconds of finished runs a crash can lose.

    Returns:
        The :class:`SweepResults`.

    Raises:
        SpecError: for a bad spec.
        StoreError: if ``out`` holds another spec's sweep.
    """
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    temp = out is None
    path = Path(tempfile.mkdtemp(prefix="collabsim-sweep-")) if temp else Path(out)
    try:
        if not temp and _finished(path, exp):
            log.info("%s holds this sweep, complete with no failed run: nothing to do", path)
            if progress:
                n = exp.n_runs
                progress(Status(n, n, 0, 0, 0, 0.0))
            return SweepResults(path)
        run = make_runner(runner, workers=workers, scheduler=scheduler, dask_local=dask_local)
        owned = run is not runner  # a runner passed in stays open for the caller's next sweep
        try:
            run.start()
            _sweep(exp, path, run, progress, batch_size, checkpoint_seconds)
        finally:
            if owned:
                run.close()
        if temp:
            res = SweepResults(path)
            return SweepResults(path, res.runs, res.timeseries)
        return SweepResults(path)
    finally:
        if temp:
            shutil.rmtree(path, ignore_errors=True)


def _sweep(exp: Experiment, path: Path, run: Runner, progress: Callable[[Status], None] | None,
           batch_size: int | None, checkpoint_seconds: float) -> None:
    store = ResultStore.open(path, exp, run.describe(), checkpoint_seconds)
    interrupted = True
    try:
        todo, failed_before, ok_before = store.pending()
        if failed_before or ok_before:
            log.info("resuming %s: %d ok, %d failed to retry, %d missing", path, ok_before,
                     failed_before, len(todo) - failed_before)
        size = batch_size or _batch_size(len(todo), run.workers)
        tasks = _tasks(exp, todo)
        batches = [tasks[i:i + size] for i in range(0, len(tasks), size)]
        start = time.monotonic()
        state = {"done": ok_before, "failed": 0, "session": 0}

        def on_result(result: BatchResult) -> None:
            store.add(result)
            n_fail = sum(r["status"] != "ok" for r in result.runs)
            state["done"] += len(result.runs)
            state["failed"] += n_fail
            state["session"] += len(result.runs)
            if progress:
                progress(Status(state["done"], exp.n_runs, state["failed"], state["session"],
                                len(todo), time.monotonic() - start))

        if progress:
            progress(Status(ok_before, exp.n_runs, 0, 0, len(todo), 0.0))
        run.run(_job(exp), batches, on_result)
        store.finalize()
        interrupted = False
    finally:
        _HISTORY.clear()  # a sequential sweep kept its last history in this process
        store.close(interrupted=interrupted)


def _job(exp: Experiment) -> Job:
    return Job(tuple(exp.scenarios), exp.spec.steps, exp.spec.n_citizens, tuple(exp.metrics))

"""The results store: a directory of Parquet files and a manifest, written crash-safely.

Layout of a finished sweep::

    DIR/manifest.json        the spec, its hash, sampler, parameters, SALib problem,
                             counts, versions, times, one entry per session
    DIR/runs.parquet         one row per run (design order)
    DIR/timeseries.parquet   long: run_id, day, the kept metrics (sorted by run_id, day)

While a sweep runs, completed runs are checkpointed as *part files* in
``DIR/parts/`` (``SSS-NNNNNN.ts.parquet`` then ``SSS-NNNNNN.runs.parquet``; the
runs file is the commit marker). Every file is written under a temporary name,
flushed to disk and renamed into place, so a reader (or a resumed sweep) never
takes a half-written file for a complete one. When every run is done the parts
are compacted into the two tables above and removed.

Resuming reads what is committed: a run counts as done when a committed runs
file holds it. If a run appears more than once (a retried failure, a part
written twice), an ``ok`` row beats a ``failed`` one and a later file beats an
earlier one, so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import platform
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from collabsim.errors import CollabsimError
from collabsim.experiments.records import META_COLUMNS, BatchResult
from collabsim.experiments.samplers import sampler_seed

if TYPE_CHECKING:
    from collabsim.experiments.spec import Experiment

log = logging.getLogger(__name__)

__all__ = [
    "FORMAT",
    "META_COLUMNS",
    "ResultStore",
    "StoreError",
    "atomic_write",
    "model_code_hash",
    "package_versions",
]

FORMAT = "collabsim-sweep/1"
MANIFEST = "manifest.json"
RUNS = "runs.parquet"
TIMESERIES = "timeseries.parquet"
PARTS = "parts"
LOCK = ".lock"
_PART_META = ("run_id", "seed", "status", "error")
_ROW_GROUP_ROWS = 262_144
_PACKAGES = ("collabsim", "mesa", "numpy", "pandas", "SALib", "dask", "distributed",
             "pyarrow", "pydantic", "networkx", "scipy")


class StoreError(CollabsimError):
    """A results directory that cannot be used (another spec, another sweep running...)."""


def now() -> str:
    """The current UTC time, ISO 8601."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    """Versions of collabsim, its main dependencies and Python."""
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = platform.python_version()
    return out


#: Packages whose code decides a run's results (not the tools around them).
_MODEL_CODE = ("*.py", "agents/*.py", "services/*.py", "scenario/*.py")
_NOT_MODEL = {"cli.py"}


def model_code_hash() -> str:
    """SHA-256 of collabsim's model code (model, agents, services, scenario, metrics...).

    The package version does not change while the model is being developed; this
    does, so a resumed sweep can tell that its earlier runs came from other code.
    """
    import hashlib

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    files = sorted({p for pat in _MODEL_CODE for p in root.glob(pat)
                    if p.name not in _NOT_MODEL})
    for p in files:
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write a file crash-safely: to a temporary name, fsync, rename into place.

    Args:
        path: The final path.
        write: Writes the content to the path it is given.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically."""
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str) + "\n"))


def _diff_keys(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Key paths where two JSON trees differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in dict.fromkeys([*a, *b]):
            out += _diff_keys(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k))
        return out
    return [] if a == b else [prefix or "(whole spec)"]


@dataclass
class _Source:
    """A committed set of results: a part pair, or the compacted tables of an earlier session."""

    runs: Path
    ts: Path
    order: int


class ResultStore:
    """One sweep's results directory: create, resume, checkpoint and compact.

    Use :meth:`open`; call :meth:`add` for each finished batch, :meth:`flush`
    to checkpoint, :meth:`finalize` when every run is done and :meth:`close`
    at the end (it releases the directory lock).
    """

    def __init__(self, path: Path, experiment: Experiment, manifest: dict[str, Any],
                 lock: FileLock, checkpoint_seconds: float = 10.0, checkpoint_runs: int = 256):
        self.path = path
        self.experiment = experiment
        self.manifest = manifest
        self.session = len(manifest["sessions"]) - 1
        self.checkpoint_seconds = checkpoint_seconds
        self.checkpoint_runs = checkpoint_runs
        self._lock: FileLock | None = lock
        self._seq = 0
        self._buffer: list[BatchResult] = []
        self._buffered_runs = 0
        self._last_flush = _monotonic()
        self.session_runs = 0
        self.session_failed = 0

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | Path, experiment: Experiment, runner: dict[str, Any],
             checkpoint_seconds: float = 10.0) -> ResultStore:
        """Create a results directory, or reopen one that holds the same sweep.

        Args:
            path: The directory.
            experiment: The loaded experiment.
            runner: A description of the runner (recorded in the session entry).
            checkpoint_seconds: Most seconds of finished runs a crash can lose.

        Raises:
            StoreError: if the directory holds another spec's sweep, something
                that is not a sweep, or a sweep that is running right now.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        lock = _lock(path)
        try:
            manifest = _read_manifest(path)
            if manifest is None:
                manifest = cls._new_manifest(path, experiment)
            else:
                _check_same(path, manifest, experiment)
            code = model_code_hash()
            if manifest["sessions"] and manifest["sessions"][-1].get("model_code") != code:
                log.warning("%s: collabsim's model code changed since the last session of "
                            "this sweep; earlier runs came from other code", path)
            manifest["sessions"].append({"started": now(), "finished": None, **runner,
                                         "host": platform.node(), "pid": os.getpid(),
                                         "model_code": code,
                                         "collabsim": package_versions()["collabsim"]})
            manifest["status"] = "running"
            write_json(path / MANIFEST, manifest)
        except BaseException:
            lock.release()
            raise
        return cls(path, experiment, manifest, lock, checkpoint_seconds)

    @staticmethod
    def _new_manifest(path: Path, exp: Experiment) -> dict[str, Any]:
        extra = [p.name for p in path.iterdir() if p.name != LOCK]
        if extra:
            raise StoreError(f"{path}: not empty and not a sweep directory (no {MANIFEST}; "
                             f"found {', '.join(sorted(extra)[:3])}); choose a new --out")
        design = exp.design()
        spec = exp.spec
        salib: dict[str, Any] = {}
        if spec.sampler.method == "sobol":
            salib = {"calc_second_order": spec.sampler.calc_second_order}
        elif spec.sampler.method == "morris":
            salib = {"num_levels": spec.sampler.num_levels}
        return {
            "format": FORMAT,
            "name": spec.name,
            "spec_file": exp.origin,
            "spec": exp.spec_dict(),
            "spec_hash": exp.spec_hash(),
            "scenario_hashes": exp.scenario_hashes(),
            "design_hash": exp.design_hash(),
            "sampler": spec.sampler.method,
            "sampler_seed": (sampler_seed(spec.sampler, spec.root_seed)
                             if spec.sampler.method != "grid" else None),
            "salib": salib,
            "parameters": [p.describe() for p in exp.parameters],
            "problem": exp.problem(),
            "scenarios": [sc.name for sc in exp.scenarios],
            "n_samples": int(design["sample"].max()) + 1,
            "replications": spec.replications,
            "posterior": exp.posterior.describe() if exp.posterior is not None else None,
            "posterior_hash": exp.posterior_hash(),
            "draws": exp.n_draws if exp.posterior is not None else None,
            "root_seed": spec.root_seed,
            "seeds": spec.seeds,
            "steps": spec.steps,
            "n_citizens": spec.n_citizens,
            "metrics": list(exp.metrics),
            "n_runs": len(design),
            "n_ok": 0,
            "n_failed": 0,
            "n_missing": len(design),
            "status": "running",
            "versions": package_versions(),
            "command": " ".join(sys.argv),
            "started": now(),
            "finished": None,
            "sessions": [],
            "layout": {
                "runs.parquet": "one row per run: run_id, scenario, sample, replicate, seed, "
                                "status, error, the parameters (columns named as in the spec), "
                                "the summary outcomes (float64)",
                "timeseries.parquet": "run_id (int64), day (int32), the kept metrics (float32); "
                                      "sorted by run_id, day; failed runs have no rows",
                "sample": "row index of the sampler's design (SALib row order)",
                **({"posterior_draw": "the run's draw from the posterior (0 … draws − 1; "
                                      "every draw runs the same replicate seeds); "
                                      "posterior_particle: its row in posterior.parquet; "
                                      "posterior:NAME: the particle's values"}
                   if exp.posterior is not None else {}),
            },
        }

    # --------------------------------------------------------------- reading
    def _sources(self) -> list[_Source]:
        out = []
        if (self.path / RUNS).is_file():
            out.append(_Source(self.path / RUNS, self.path / TIMESERIES, 0))
        parts = self.path / PARTS
        if parts.is_dir():
            for i, p in enumerate(sorted(parts.glob("*.runs.parquet")), start=1):
                out.append(_Source(p, p.with_name(p.name.replace(".runs.", ".ts.")), i))
        return out

    def completed(self) -> pd.DataFrame:
        """The committed result of each run: ``run_id``, ``status``, ``source`` (best first).

        An ``ok`` row beats a ``failed`` one; among equals the latest file wins.
        """
        frames = []
        for src in self._sources():
            t = pq.read_table(src.runs, columns=["run_id", "status"]).to_pandas()
            t["source"] = src.order
            frames.append(t)
        if not frames:
            return pd.DataFrame({"run_id": pd.Series(dtype="int64"),
                                 "status": pd.Series(dtype=str),
                                 "source": pd.Series(dtype="int64")})
        df = pd.concat(frames, ignore_index=True)
        df = df[df["run_id"] < self.experiment.n_runs]
        df["_ok"] = (df["status"] == "ok").astype(int)
        df = df.sort_values(["run_id", "_ok", "source"], kind="stable")
        return df.drop_duplicates("run_id", keep="last").drop(columns="_ok") \
            .reset_index(drop=True)

    def pending(self) -> tuple[list[int], int, int]:
        """Runs still to do: ``(run_ids, n_failed_before, n_ok_before)``.

        Failed and missing runs are to do; finished ones are not run again.
        """
        done = self.completed()
        ok = set(done.loc[done["status"] == "ok", "run_id"].tolist())
        n_failed = int((done["status"] != "ok").sum())
        todo = [i for i in range(self.experiment.n_runs) if i not in ok]
        return todo, n_failed, len(ok)

    # --------------------------------------------------------------- writing
    def add(self, result: BatchResult) -> None:
        """Buffer a finished batch; checkpoint when enough has piled up."""
        self._buffer.append(result)
        self._buffered_runs += len(result.runs)
        self.session_runs += len(result.runs)
        self.session_failed += sum(r["status"] != "ok" for r in result.runs)
        if (self._buffered_runs >= self.checkpoint_runs
                or _monotonic() - self._last_flush >= self.checkpoint_seconds):
            self.flush()

    def flush(self) -> None:
        """Write the buffered runs as one committed part (timeseries first, then runs)."""
        self._last_flush = _monotonic()
        if not self._buffer:
            return
        runs = [r for b in self._buffer for r in b.runs]
        ts = [b.timeseries for b in self._buffer if b.timeseries is not None and len(b.timeseries)]
        parts = self.path / PARTS
        parts.mkdir(exist_ok=True)
        stem = f"{self.session:03d}-{self._seq:06d}"
        self._seq += 1
        ts_table = (pa.Table.from_pandas(pd.concat(ts, ignore_index=True), preserve_index=False)
                    if ts else _empty_ts(self.experiment.metrics))
        atomic_write(parts / f"{stem}.ts.parquet",
                     lambda p: pq.write_table(ts_table, p, compression="zstd"))
        runs_df = _runs_frame(runs)
        atomic_write(parts / f"{stem}.runs.parquet",
                     lambda p: runs_df.to_parquet(p, index=False, compression="zstd"))
        self._buffer, self._buffered_runs = [], 0

    def finalize(self) -> dict[str, Any]:
        """Compact the parts into ``runs.parquet`` and ``timeseries.parquet``; update the manifest.

        Called when no run is missing. Failed runs stay in the tables (status
        ``failed``) and are retried by the next resume.

        Returns:
            The final manifest.
        """
        self.flush()
        sources = self._sources()
        best = self.completed()
        runs = self._compact_runs(sources, best)
        _write_timeseries(sources, best, self.path / TIMESERIES, self.experiment.metrics)
        atomic_write(self.path / RUNS,
                     lambda p: runs.to_parquet(p, index=False, compression="zstd"))
        n_ok = int((runs["status"] == "ok").sum())
        self.manifest.update({"n_ok": n_ok, "n_failed": len(runs) - n_ok,
                              "n_missing": self.experiment.n_runs - len(runs),
                              "status": "complete", "finished": now()})
        self._end_session()
        parts = self.path / PARTS
        if parts.is_dir():
            for p in parts.iterdir():
                p.unlink()
            parts.rmdir()
        return self.manifest

    def _compact_runs(self, sources: list[_Source], best: pd.DataFrame) -> pd.DataFrame:
        frames = []
        for src in sources:
            t = pd.read_parquet(src.runs)
            keep = best.loc[best["source"] == src.order, "run_id"]
            t = t[t["run_id"].isin(keep)]
            if src.order == 0:  # compacted table: keep only what a part would hold
                t = t.drop(columns=[c for c in t.columns if c in self._design_columns()
                                    and c not in _PART_META])
            frames.append(t)
        got = pd.concat(frames, ignore_index=True).sort_values("run_id", kind="stable")
        outcomes = _outcome_order(got)
        design = self.experiment.design()
        out = design[["run_id", "scenario", "sample", "replicate", "seed"]].merge(
            got[["run_id", "status", "error", *outcomes]], on="run_id", how="inner",
            validate="one_to_one")
        params = [c for c in design.columns if c not in META_COLUMNS]
        for c in params:
            out[c] = design[c].to_numpy()[out["run_id"].to_numpy()]
        out["error"] = out["error"].fillna("").astype(str)
        out["status"] = out["status"].astype(str)
        for c in outcomes:
            out[c] = out[c].astype("float64")
        return out[[*META_COLUMNS, *params, *outcomes]].reset_index(drop=True)

    def _design_columns(self) -> set[str]:
        return set(self.experiment.design().columns)

    def _end_session(self) -> None:
        s = self.manifest["sessions"][-1]
        s.update({"finished": now(), "runs": self.session_runs, "failed": self.session_failed})
        write_json(self.path / MANIFEST, self.manifest)

    def close(self, interrupted: bool = False) -> None:
        """Checkpoint what is buffered, record the session and release the lock."""
        if self._lock is None:
            return
        try:
            self.flush()
            if interrupted or self.manifest.get("status") != "complete":
                done = self.completed()
                n_ok = int((done["status"] == "ok").sum())
                self.manifest.update({"n_ok": n_ok, "n_failed": len(done) - n_ok,
                                      "n_missing": self.experiment.n_runs - len(done)})
                self._end_session()
        finally:
            self._lock.release()
            self._lock = None


def _monotonic() -> float:
    import time

    return time.monotonic()


def _lock(path: Path) -> FileLock:
    """Take the directory's writer lock without waiting (portable: ``filelock``).

    The OS releases it when the process ends, however it ends (POSIX ``flock``,
    Windows ``msvcrt.locking``); each call takes a lock of its own, so a second
    store on the same directory is refused even within one process.
    """
    lock = FileLock(path / LOCK, timeout=0, thread_local=False, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(f"{path}: another sweep is writing to this directory right now; "
                         "wait for it or choose another --out") from None
    return lock


def _read_manifest(path: Path) -> dict[str, Any] | None:
    p = path / MANIFEST
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{p}: unreadable manifest ({exc}); choose a new --out") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(f"{p}: not a collabsim sweep manifest (format {FORMAT}); "
                         "choose a new --out")
    return data


def _check_same(path: Path, manifest: dict[str, Any], exp: Experiment) -> None:
    where = path / MANIFEST
    if manifest.get("spec_hash") != exp.spec_hash():
        changed = [k for k in _diff_keys(manifest.get("spec", {}), exp.spec_dict())
                   if k not in ("name", "description")]
        raise StoreError(f"{where}: this directory holds a sweep of a different spec "
                         f"(changed: {', '.join(changed[:6]) or 'spec'}); resume it with the "
                         "spec it was started with, or choose another --out")
    old = manifest.get("scenario_hashes", {})
    new = exp.scenario_hashes()
    changed = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    if changed:
        raise StoreError(f"{where}: base scenario(s) {', '.join(changed)} changed since this "
                         "sweep started (edited preset or schema defaults); results would "
                         "mix two models: choose another --out")
    if manifest.get("posterior_hash") != exp.posterior_hash():
        def over(entry: Any) -> str:
            return (f"over the posterior {entry.get('dir')} ({entry.get('draws')} draws)"
                    if isinstance(entry, dict) else "without a posterior")

        now_ = exp.posterior.describe() if exp.posterior is not None else None
        raise StoreError(f"{where}: this directory holds a sweep {over(manifest.get('posterior'))}"
                         f", not {over(now_)}; resume it with the same --posterior and --draws, "
                         "or choose another --out")
    if manifest.get("design_hash") != exp.design_hash():
        raise StoreError(f"{where}: the sampler now gives a different design (another SALib "
                         "version?); choose another --out")


def _runs_frame(runs: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(runs)
    df["run_id"] = df["run_id"].astype("int64")
    df["seed"] = df["seed"].astype("int64")
    df["status"] = df["status"].astype(str)
    df["error"] = df["error"].fillna("").astype(str)
    for c in df.columns:
        if c not in _PART_META:
            df[c] = df[c].astype("float64")
    return df


def _outcome_order(got: pd.DataFrame) -> list[str]:
    """Outcome columns in order of first appearance by run id (independent of batching)."""
    cols = [c for c in got.columns if c not in _PART_META]
    if not cols:
        return []
    notna = got[cols].notna().to_numpy()
    first = np.where(notna.any(axis=0), notna.argmax(axis=0), len(got))
    order = sorted(range(len(cols)), key=lambda i: (first[i], i))
    return [cols[i] for i in order]


def ts_schema(metrics: list[str]) -> pa.Schema:
    """The schema of timeseries.parquet."""
    return pa.schema([("run_id", pa.int64()), ("day", pa.int32()),
                      *[(m, pa.float32()) for m in metrics]])


def _empty_ts(metrics: list[str]) -> pa.Table:
    return ts_schema(metrics).empty_table()


class _TableCache:
    """Recently read small part files (a run's rows are read from the file that holds it)."""

    def __init__(self, size: int = 8):
        self.size = size
        self.items: OrderedDict[Path, pa.Table] = OrderedDict()

    def rows(self, path: Path, ids: list[int]) -> pa.Table:
        lo, hi = ids[0], ids[-1]
        if path.stat().st_size > 64 * 2**20:  # a compacted table: read only what is needed
            t = pq.read_table(path, filters=[("run_id", ">=", lo), ("run_id", "<=", hi)])
        else:
            if path not in self.items:
                self.items[path] = pq.read_table(path)
                if len(self.items) > self.size:
                    self.items.popitem(last=False)
            self.items.move_to_end(path)
            t = self.items[path]
        return t.filter(pc.is_in(t["run_id"], value_set=pa.array(ids, pa.int64())))


def _segments(best: pd.DataFrame, max_runs: int = 512) -> Iterator[tuple[int, list[int]]]:
    """Runs in id order, cut where the source changes: ``(source, run_ids)``."""
    cur: list[int] = []
    src = -1
    for rid, s in zip(best["run_id"].tolist(), best["source"].tolist(), strict=True):
        if cur and (s != src or len(cur) >= max_runs):
            yield src, cur
            cur = []
        src = s
        cur.append(rid)
    if cur:
        yield src, cur


def _write_timeseries(sources: list[_Source], best: pd.DataFrame, dest: Path,
                      metrics: list[str]) -> None:
    """Stream the chosen runs' rows into one sorted Parquet file, in bounded memory."""
    schema = ts_schema(metrics)
    by_order = {s.order: s for s in sources}
    ok = best[best["status"] == "ok"]
    cache = _TableCache()

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            pending: list[pa.Table] = []
            rows = 0
            for src, ids in _segments(ok):
                t = cache.rows(by_order[src].ts, ids).select(schema.names).cast(schema)
                t = t.sort_by([("run_id", "ascending"), ("day", "ascending")])
                pending.append(t)
                rows += t.num_rows
                if rows >= _ROW_GROUP_ROWS:
                    writer.write_table(pa.concat_tables(pending), row_group_size=_ROW_GROUP_ROWS)
                    pending, rows = [], 0
            if pending:
                writer.write_table(pa.concat_tables(pending), row_group_size=_ROW_GROUP_ROWS)

    atomic_write(dest, write)

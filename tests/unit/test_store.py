"""The results store: atomic part files, dedup on resume, compaction, manifest checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from collabsim.experiments import StoreError, load_experiment
from collabsim.experiments.runners import BatchResult
from collabsim.experiments.store import (
    MANIFEST,
    META_COLUMNS,
    ResultStore,
    atomic_write,
)

SPEC = {
    "name": "store", "scenarios": ["pbg"], "replications": 2, "root_seed": 3, "steps": 5,
    "n_citizens": 50, "metrics": ["backlog", "mean_trust"], "sampler": {"method": "grid"},
    "parameters": {"agencies.*.resources": {"levels": [0.4, 0.9]}},
}
RUNNER = {"runner": "test", "workers": 1}


@pytest.fixture(scope="module")
def exp():
    return load_experiment(SPEC)


def fake_batch(exp, ids, status="ok", tag=0.0):
    """Results as run_batch returns them, with outcomes that identify the run."""
    d = exp.design().set_index("run_id")
    runs, series = [], []
    for i in ids:
        row = {"run_id": i, "seed": int(d.loc[i, "seed"]), "status": status,
               "error": "" if status == "ok" else "RuntimeError: boom"}
        if status == "ok":
            row.update({"days": 5.0, "outcome": float(i) + tag})
            series.append(pd.DataFrame({
                "run_id": pd.Series([i] * 5, dtype="int64"),
                "day": pd.Series(range(5), dtype="int32"),
                "backlog": pd.Series([float(i + tag)] * 5, dtype="float32"),
                "mean_trust": pd.Series([0.5] * 5, dtype="float32")}))
        runs.append(row)
    return BatchResult(runs, pd.concat(series, ignore_index=True) if series else None)


def open_store(path, exp, **kw):
    return ResultStore.open(path, exp, RUNNER, **kw)


def test_atomic_write_leaves_nothing_half_written(tmp_path):
    target = tmp_path / "x.parquet"

    def crash(p):
        p.write_bytes(b"PAR1 half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, crash)
    assert list(tmp_path.iterdir()) == []
    atomic_write(target, lambda p: p.write_text("whole"))
    assert target.read_text() == "whole"


def test_checkpoint_then_resume_counts(tmp_path, exp):
    store = open_store(tmp_path, exp, checkpoint_seconds=1e9)
    store.add(fake_batch(exp, [0, 1]))
    store.add(fake_batch(exp, [2], status="failed"))
    assert store.completed().empty  # buffered, not yet committed
    store.flush()
    store.close(interrupted=True)
    m = json.loads((tmp_path / MANIFEST).read_text())
    assert (m["n_ok"], m["n_failed"], m["n_missing"], m["status"]) == (2, 1, 1, "running")
    store = open_store(tmp_path, exp)
    todo, failed, ok = store.pending()
    assert todo == [2, 3] and failed == 1 and ok == 2
    store.close()


def test_ok_beats_failed_and_later_beats_earlier(tmp_path, exp):
    store = open_store(tmp_path, exp, checkpoint_seconds=0)
    store.add(fake_batch(exp, [0, 1, 2, 3], tag=0.0))
    store.add(fake_batch(exp, [1], status="failed"))  # an older ok is not undone
    store.add(fake_batch(exp, [2], tag=0.5))          # a task that ran twice
    best = store.completed()
    assert best["run_id"].tolist() == [0, 1, 2, 3]
    assert best["status"].tolist() == ["ok"] * 4
    store.finalize()
    store.close()
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert runs["outcome"].tolist() == [0.0, 1.0, 2.5, 3.0]
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert len(ts) == 4 * 5  # no duplicated rows
    assert ts.groupby("run_id")["backlog"].first().tolist() == [0.0, 1.0, 2.5, 3.0]


def test_compacted_tables_format(tmp_path, exp):
    store = open_store(tmp_path, exp, checkpoint_seconds=0)
    # out of order, failed in the middle: the tables still come out in run order
    store.add(fake_batch(exp, [3, 1]))
    store.add(fake_batch(exp, [2], status="failed"))
    store.add(fake_batch(exp, [0]))
    m = store.finalize()
    store.close()
    assert not (tmp_path / "parts").exists()
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert list(runs.columns) == [*META_COLUMNS, "agencies.*.resources", "days", "outcome"]
    assert runs["run_id"].tolist() == [0, 1, 2, 3]
    assert runs["status"].tolist() == ["ok", "ok", "failed", "ok"]
    assert runs.loc[2, "error"] == "RuntimeError: boom" and runs.loc[0, "error"] == ""
    assert runs["seed"].tolist() == exp.design()["seed"].tolist()
    for col, dtype in [("run_id", "int64"), ("sample", "int64"), ("replicate", "int64"),
                       ("seed", "int64"), ("outcome", "float64")]:
        assert runs[col].dtype == dtype
    schema = pq.read_schema(tmp_path / "timeseries.parquet")
    assert [(f.name, str(f.type)) for f in schema] == [
        ("run_id", "int64"), ("day", "int32"), ("backlog", "float"), ("mean_trust", "float")]
    ts = pd.read_parquet(tmp_path / "timeseries.parquet", columns=["run_id", "backlog"])
    assert ts["run_id"].is_monotonic_increasing and set(ts["run_id"]) == {0, 1, 3}
    assert (m["n_runs"], m["n_ok"], m["n_failed"], m["status"]) == (4, 3, 1, "complete")
    assert m["sampler"] == "grid" and m["problem"] is None
    assert m["parameters"][0]["key_path"] == "agencies.*.resources"
    assert m["parameters"][0]["levels"] == [0.4, 0.9]
    assert {"collabsim", "mesa", "numpy", "pandas", "SALib", "dask", "python"} <= set(m["versions"])
    assert m["started"] and m["finished"]


def test_resume_after_compaction_retries_failed_only(tmp_path, exp):
    store = open_store(tmp_path, exp, checkpoint_seconds=0)
    store.add(fake_batch(exp, [0, 1, 3]))
    store.add(fake_batch(exp, [2], status="failed"))
    store.finalize()
    store.close()
    store = open_store(tmp_path, exp, checkpoint_seconds=0)
    todo, failed, ok = store.pending()
    assert (todo, failed, ok) == ([2], 1, 3)
    store.add(fake_batch(exp, [2], tag=0.25))
    m = store.finalize()
    store.close()
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert runs["status"].tolist() == ["ok"] * 4
    assert runs["outcome"].tolist() == [0.0, 1.0, 2.25, 3.0]
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert ts["run_id"].tolist() == sorted(ts["run_id"].tolist()) and len(ts) == 20
    assert (m["n_ok"], m["n_failed"], len(m["sessions"])) == (4, 0, 2)


def test_uncommitted_files_are_ignored(tmp_path, exp):
    store = open_store(tmp_path, exp, checkpoint_seconds=0)
    store.add(fake_batch(exp, [0]))
    store.close()
    parts = tmp_path / "parts"
    # a crash between the two files of a part, and a crash in the middle of a write
    (parts / "000-000009.ts.parquet").write_bytes(b"garbage")
    (parts / ".000-000010.runs.parquet.999.tmp").write_bytes(b"PAR1 half")
    store = open_store(tmp_path, exp)
    assert store.completed()["run_id"].tolist() == [0]
    store.close()


def test_other_spec_refused(tmp_path, exp):
    open_store(tmp_path, exp).close()
    other = load_experiment({**SPEC, "replications": 3})
    with pytest.raises(StoreError, match=r"different spec \(changed: replications"):
        open_store(tmp_path, other)
    renamed = load_experiment({**SPEC, "name": "new name", "description": "words"})
    open_store(tmp_path, renamed).close()  # name and description do not change results


def test_changed_base_scenario_refused(tmp_path, exp):
    open_store(tmp_path, exp).close()
    m = json.loads((tmp_path / MANIFEST).read_text())
    m["scenario_hashes"]["pbg"] = "0" * 64
    (tmp_path / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(StoreError, match=r"base scenario\(s\) pbg changed"):
        open_store(tmp_path, exp)


def test_not_a_sweep_directory_refused(tmp_path, exp):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty and not a sweep directory"):
        open_store(tmp_path, exp)


def test_one_writer_at_a_time(tmp_path, exp):
    first = open_store(tmp_path, exp)
    try:
        with pytest.raises(StoreError, match="another sweep is writing"):
            open_store(tmp_path, exp)
    finally:
        first.close()
    open_store(tmp_path, exp).close()


def test_parts_are_written_whole(tmp_path, exp):
    store = open_store(tmp_path, exp, checkpoint_seconds=0)
    store.add(fake_batch(exp, [0, 1]))
    store.close()
    names = sorted(os.listdir(tmp_path / "parts"))
    assert names == ["000-000000.runs.parquet", "000-000000.ts.parquet"]
    assert pq.read_metadata(tmp_path / "parts" / names[0]).num_rows == 2


_WRITER = """
import sys, time
from collabsim.experiments import StoreError, load_experiment
from tests.unit.test_store import RUNNER, SPEC, fake_batch, ResultStore
path, ids, log = sys.argv[1], [int(i) for i in sys.argv[2].split(",")], sys.argv[3]
exp = load_experiment(SPEC)
print("ready", flush=True)
sys.stdin.readline()  # start together
deadline = time.monotonic() + 60
while True:
    try:
        store = ResultStore.open(path, exp, RUNNER, checkpoint_seconds=0)
        break
    except StoreError:
        assert time.monotonic() < deadline, "never got the lock"
        time.sleep(0.02)
start = time.time()
store.add(fake_batch(exp, ids))
time.sleep(0.5)  # hold the lock: a second writer would overlap here
end = time.time()
store.close()
with open(log, "a") as fh:
    fh.write(f"{start} {end}\\n")
"""


def test_two_writer_processes_serialise(tmp_path, exp):
    root = Path(__file__).resolve().parents[2]
    log = tmp_path / "held.txt"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / "sweep"), ids,
                               str(log)], cwd=root, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for ids in ("0,1", "2,3")]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    (_, first_end), (second_start, _) = sorted(tuple(map(float, line.split()))
                                for line in log.read_text().splitlines())
    assert first_end <= second_start, "both writers held the directory at once"
    store = open_store(tmp_path / "sweep", exp)
    try:
        assert store.completed()["run_id"].tolist() == [0, 1, 2, 3]  # both wrote, nothing lost
    finally:
        store.close()
    m = json.loads((tmp_path / "sweep" / MANIFEST).read_text())
    assert len(m["sessions"]) == 3


_NO_FCNTL = """
import sys
sys.modules["fcntl"] = None  # a platform without POSIX locks
import warnings
warnings.simplefilter("ignore")
from collabsim.experiments import StoreError, load_experiment
from tests.unit.test_store import RUNNER, SPEC, ResultStore
exp = load_experiment(SPEC)
first = ResultStore.open(sys.argv[1], exp, RUNNER)
try:
    ResultStore.open(sys.argv[1], exp, RUNNER)
    raise SystemExit("a second writer was let in")
except StoreError as exc:
    assert "another sweep is writing" in str(exc)
first.close()
ResultStore.open(sys.argv[1], exp, RUNNER).close()
print("locked without fcntl")
"""


def test_the_lock_needs_no_fcntl(tmp_path):
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _NO_FCNTL, str(tmp_path)], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "locked without fcntl" in proc.stdout, proc.stderr[-2000:]

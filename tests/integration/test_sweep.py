"""Sweeps end to end: the same results from every runner, resume after kill -9, lost workers,
failures recorded as data, and a store the SALib analyses can read.

A Dask worker killed mid-sweep is tested where a cluster looks as it does on a real one
(a separately started ``dask scheduler`` and ``dask worker`` processes,
test_dask_cluster.py); the in-process ``LocalCluster`` path is
:func:`test_dask_local_from_the_command_line`."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from collabsim.cli import main
from collabsim.experiments import ProcessRunner, load_experiment, run_experiment
from collabsim.experiments.runners import BatchResult, RunTask, _ExecutorRunner

# 2 points × 2 points × 12 replications = 48 tiny runs (~0.05 s each).
SPEC = """
name = "tiny"
scenarios = ["pbg"]
replications = 12
root_seed = 2026
steps = 80
n_citizens = 300
metrics = ["applications_submitted", "backlog", "levy_target_share"]

[set]
collaboration_start = 40
warmup_days = 10
burn_in_days = 20   # the preset's 730 would be 90 % of each run; not what is tested here

[sampler]
method = "grid"

[parameters."agencies.*.leader_commitment"]
levels = [0.3, 0.8]

[parameters."agencies.*.regulation_ready"]
levels = [false, true]
"""


def write_spec(path: Path, text: str = SPEC) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def assert_same(res, ref) -> None:
    pd.testing.assert_frame_equal(res.runs, ref.runs)
    pd.testing.assert_frame_equal(res.timeseries, ref.timeseries)


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    return write_spec(tmp_path_factory.mktemp("spec") / "tiny.toml")


@pytest.fixture(scope="module")
def exp(spec_path):
    return load_experiment(spec_path)


@pytest.fixture(scope="module")
def baseline(exp, tmp_path_factory):
    """The uninterrupted sequential sweep every other result must equal."""
    return run_experiment(exp, tmp_path_factory.mktemp("seq") / "out", runner="sequential")


@pytest.fixture(scope="module")
def pool():
    """One local pool of 2 worker processes for the module (it survives a killed worker)."""
    with ProcessRunner(2) as runner:
        yield runner


def test_sequential_sweep_tables(baseline, exp):
    runs = baseline.runs
    assert len(runs) == exp.n_runs == 48
    assert (runs["status"] == "ok").all()
    assert runs["run_id"].tolist() == list(range(48))
    assert runs["seed"].nunique() == 12  # common random numbers across the 4 points
    ts = baseline.timeseries
    assert list(ts.columns) == ["run_id", "day", "applications_submitted", "backlog",
                                "levy_target_share"]
    assert len(ts) == 48 * 80
    m = baseline.manifest
    assert (m["n_runs"], m["n_ok"], m["n_failed"], m["status"]) == (48, 48, 0, "complete")
    # the runs differ where the design says they should
    effort = runs.groupby("agencies.*.leader_commitment")["mean_officer_effort_after"].mean()
    assert effort[0.8] > effort[0.3]


def test_two_processes_same_as_sequential(exp, baseline, pool, tmp_path):
    res = run_experiment(exp, tmp_path / "out", runner=pool, batch_size=3)
    assert_same(res, baseline)
    assert res.manifest["sessions"][0]["runner"] == "processes"


def test_process_worker_killed_mid_sweep(exp, baseline, pool, tmp_path):
    killed = []

    def kill_one_worker(status):
        if status.session_done >= 4 and not killed:
            pid = pool.worker_pids()[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    res = run_experiment(exp, tmp_path / "out", runner=pool, batch_size=2,
                         progress=kill_one_worker)
    assert killed
    assert_same(res, baseline)


#: The tiny spec with its parameters changed on the collaboration start (day 40).
FORKED = (SPEC.replace('name = "tiny"', 'name = "tiny_forked"')
          .replace("replications = 12", "replications = 3")
          .replace("steps = 80", 'steps = 80\nparameters_from = "start"'))


def test_runs_forked_on_the_start_equal_runs_made_alone(tmp_path, pool):
    """parameters_from = "start": the runs on a seed share one history up to the start (run
    once per batch, then copied), yet each equals a run of its own with the parameters as an
    intervention on the start, whatever the batching and the runner."""
    from collabsim.runner import run
    from collabsim.scenario import load_scenario

    exp = load_experiment(write_spec(tmp_path / "f.toml", FORKED))
    seq = run_experiment(exp, tmp_path / "seq", runner="sequential")
    assert (seq.runs["status"] == "ok").all() and len(seq.runs) == 12
    assert_same(run_experiment(exp, tmp_path / "pool", runner=pool, batch_size=5), seq)
    assert_same(run_experiment(exp, tmp_path / "one", runner="sequential", batch_size=1), seq)
    base = exp.scenarios[0]
    for _, row in seq.runs.iterrows():
        change = {k: v for p in exp.parameters for k, v in p.overrides(row[p.name]).items()}
        sc = load_scenario(base, {"interventions": [
            {"day": base.collaboration_start, "label": "parameters", "set": change}]})
        alone = run(sc, int(row["seed"]), exp.spec.steps, exp.spec.n_citizens)
        for k, v in alone.summary.items():
            assert row[k] == pytest.approx(v, rel=0, abs=0, nan_ok=True), (row["run_id"], k)
    # one history per seed: the before window is the same at every point, the after is not
    by_seed = seq.runs.groupby("seed")
    assert (by_seed["applications_submitted_per_month_before"].nunique() == 1).all()
    assert (by_seed["mean_officer_effort_after"].nunique() > 1).all()


def committed_runs(out: Path) -> int:
    parts = sorted((out / "parts").glob("*.runs.parquet")) if (out / "parts").is_dir() else []
    return sum(pq.read_metadata(p).num_rows for p in parts)


def test_kill_9_then_resume_equals_uninterrupted(spec_path, exp, baseline, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "collabsim.cli", "sweep", str(spec_path), "--out", str(out),
           "--workers", "2", "--batch-size", "1", "--checkpoint-every", "0"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while committed_runs(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # kill -9 the sweep process mid-way
        proc.wait(10)
    finally:
        with contextlib.suppress(ProcessLookupError):  # its orphaned pool workers too
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    done_before = committed_runs(out)
    assert 0 < done_before < exp.n_runs
    assert not (out / "runs.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"

    # resume (here in this process: the runner does not change the results)
    assert main(["sweep", str(spec_path), "--out", str(out), "--sequential", "--quiet"]) == 0
    res = run_experiment(exp, out)  # complete: nothing left to run, just read
    assert_same(res, baseline)
    sessions = res.manifest["sessions"]
    assert len(sessions) == 2
    assert sessions[1]["runs"] == exp.n_runs - done_before  # none run twice, none lost
    assert not (out / "parts").exists()


FAILING = """
name = "failing"
scenarios = ["pbg"]
replications = 2
root_seed = 5
steps = 40
n_citizens = 200
metrics = ["backlog"]

[set]
collaboration_start = 20
warmup_days = 5
burn_in_days = 10

[sampler]
method = "grid"

# Each level is valid alone; together service_days 1 < min_service_days 1.5 is not:
# those runs raise inside collabsim.runner.run and must be recorded, not stop the sweep.
[parameters."licensing.stages.0.service_days"]
levels = [1.0, 2.0]

[parameters."licensing.stages.0.min_service_days"]
levels = [0.5, 1.5]
"""


def test_failures_are_data_and_resume_retries_only_them(tmp_path, capsys):
    spec = write_spec(tmp_path / "failing.toml", FAILING)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--sequential"]) == 0
    cap = capsys.readouterr()
    assert "8 runs (6 ok, 2 failed)" in cap.out
    assert "runs/min" in cap.err and "ETA" in cap.err  # log lines when not on a terminal
    assert "2 run(s) failed" in cap.err
    runs = pd.read_parquet(out / "runs.parquet")
    failed = runs[runs["status"] == "failed"]
    assert failed["run_id"].tolist() == [2, 3]
    assert failed["error"].str.contains("min_service_days must not exceed service_days").all()
    assert failed["seed"].tolist() == runs.loc[[0, 1], "seed"].tolist()
    assert failed["backlog_final"].isna().all()
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(ts["run_id"]) == {0, 1, 4, 5, 6, 7}

    assert main(["sweep", str(spec), "--out", str(out), "--sequential", "--quiet"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["sessions"][-1]["runs"] == 2  # only the failed runs ran again
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), runs)

    spec.write_text(spec.read_text().replace("replications = 2", "replications = 3"))
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(out), "--sequential"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "different spec (changed: replications)" in err[0]


SOBOL = """
name = "sobol_tiny"
scenarios = ["spp_irt"]
replications = 2
root_seed = 9
steps = 60
n_citizens = 300
metrics = ["permits_issued"]

[set]
collaboration_start = 30
warmup_days = 10
burn_in_days = 20

[sampler]
method = "sobol"
n = 4

[parameters."agencies.*.staff_competence"]
bounds = [0.3, 0.9]

[parameters."licensing.joint_stages"]
bounds = [1, 4]
"""


def test_sobol_store_feeds_salib(tmp_path):
    from SALib.analyze import sobol

    res = run_experiment(write_spec(tmp_path / "s.toml", SOBOL), tmp_path / "out",
                         runner="sequential")
    m = res.manifest
    problem = m["problem"]
    assert m["sampler"] == "sobol" and m["salib"] == {"calc_second_order": False}
    assert problem["names"] == ["agencies.*.staff_competence", "licensing.joint_stages"]
    assert len(res.runs) == 4 * (2 + 2) * 2
    ok = res.runs[res.runs["status"] == "ok"]
    y = ok.groupby("sample")["mean_officer_effort_after"].mean().sort_index()
    assert y.index.tolist() == list(range(16))
    si = sobol.analyze(problem, y.to_numpy(), calc_second_order=False, seed=1)
    assert np.isfinite(si["ST"]).all()
    # the parameter columns are SALib's X, in SALib's row order
    x = ok.groupby("sample")[problem["names"]].first().to_numpy()
    lo, hi = np.array(problem["bounds"]).T
    assert ((x >= lo) & (x <= hi)).all()


def test_analysis_reads_the_store(baseline):
    from collabsim.analysis.results import load_results

    res = load_results(baseline.path)
    assert res.kind == "sweep" and len(res.runs) == 48
    assert set(res.parameter_columns) == {"agencies.*.leader_commitment",
                                          "agencies.*.regulation_ready"}


def test_dask_local_from_the_command_line(tmp_path, capsys):
    spec = write_spec(tmp_path / "f.toml", FAILING)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "d"), "--dask-local", "1"]) == 0
    assert "8 runs (6 ok, 2 failed)" in capsys.readouterr().out
    seq = run_experiment(spec, None, runner="sequential")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "d" / "runs.parquet"), seq.runs)


class _CrashyRunner(_ExecutorRunner):
    """Threads stand in for worker processes; any batch holding run 5 'kills its worker'."""

    name = "crashy"

    def __init__(self):
        super().__init__()
        self.workers = 2
        self.executor = cf.ThreadPoolExecutor(2)
        self.submitted: list[list[int]] = []

    def _submit(self, job, tasks):
        ids = [t.run_id for t in tasks]
        self.submitted.append(ids)
        if 5 in ids:
            return self.executor.submit(_die)
        return self.executor.submit(lambda: BatchResult(
            [{"run_id": i, "seed": 0, "status": "ok", "error": ""} for i in ids], None))

    def _breaks_pool(self, exc):
        return isinstance(exc, BrokenProcessPool)

    def _restart(self):
        self.generation += 1


def _die():
    raise BrokenProcessPool("A process in the process pool was terminated abruptly")


def test_run_that_kills_its_worker_is_recorded_failed():
    runner = _CrashyRunner()
    batches = [[RunTask(i, 0, 0, {}) for i in range(j, j + 4)] for j in range(0, 12, 4)]
    results = []
    runner.run(None, batches, results.append)
    rows = {r["run_id"]: r for b in results for r in b.runs}
    assert sorted(rows) == list(range(12))  # none lost, none twice
    assert [i for i, r in rows.items() if r["status"] == "failed"] == [5]
    assert rows[5]["error"].startswith("worker lost 3 time(s) running this run: BrokenProcessPool")
    # its batch-mates ran again alone, once each; run 5 ran alone until it was given up
    assert runner.submitted.count([5]) == 3
    assert all(runner.submitted.count([i]) == 1 for i in (4, 6, 7))
    runner.executor.shutdown()

"""Sweeps on a Dask cluster as a cluster looks: a separately started ``dask scheduler`` and
``dask worker`` processes (subprocesses on 127.0.0.1), one of them killed mid-sweep; and the
HPC recipe of docs/experiments.md (dask-jobqueue) run as far as a machine without SLURM allows."""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.experiments import load_experiment, run_experiment
from collabsim.experiments.runners import dask_worker_environment

pytestmark = pytest.mark.xdist_group("dask_cluster")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "experiments.md"

# 2 × 2 points × 6 replications = 24 tiny runs (no burn-in; ~0.05 s each).
SPEC = """
name = "tiny_cluster"
scenarios = ["pbg"]
replications = 6
root_seed = 2031
steps = 60
n_citizens = 300
metrics = ["applications_submitted", "backlog"]

[set]
burn_in_days = 0
collaboration_start = 30
warmup_days = 10

[sampler]
method = "grid"

[parameters."agencies.*.leader_commitment"]
levels = [0.3, 0.8]

[parameters."agencies.*.regulation_ready"]
levels = [false, true]
"""

START_TIMEOUT = 60  # seconds for the scheduler and workers to come up
#: the workers run with the settings docs/experiments.md recommends for sweeps
WORKER_ENV = {**os.environ, **dask_worker_environment()}


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def _start_workers(address: str, n: int, procs: list[subprocess.Popen], log_dir: Path,
                   command: list[str] | None = None, env: dict[str, str] | None = None) -> None:
    """Start ``n`` ``dask worker`` processes (each single-threaded, collabsim preloaded)."""
    for i in range(n):
        cmd = command or [sys.executable, "-m", "distributed.cli.dask_worker", address,
                          "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                          "--preload", "collabsim.runner", "--death-timeout", "60"]
        cmd = [c if c != "dummy-name" else f"job-{len(procs)}-{i}" for c in cmd]
        out = (log_dir / f"worker-{len(procs)}.log").open("w")
        procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True, env=env or WORKER_ENV))


def _wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    with Client(address, timeout=f"{START_TIMEOUT}s") as client:
        client.wait_for_workers(n, timeout=START_TIMEOUT)


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "tiny_cluster.toml"
    path.write_text(textwrap.dedent(SPEC))
    return path


@pytest.fixture(scope="module")
def baseline(spec_path, tmp_path_factory):
    return run_experiment(load_experiment(spec_path), tmp_path_factory.mktemp("seq") / "out",
                          runner="sequential")


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """``dask scheduler`` plus two ``dask worker`` processes on 127.0.0.1; stopped at the end."""
    logging.getLogger("distributed").setLevel(logging.ERROR)
    tmp = tmp_path_factory.mktemp("cluster")
    sched_file = tmp / "scheduler.json"
    procs: list[subprocess.Popen] = []
    try:
        log = (tmp / "scheduler.log").open("w")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + START_TIMEOUT
        while not sched_file.is_file():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail("dask scheduler did not start: "
                            + (tmp / "scheduler.log").read_text()[-2000:])
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written whole, but give it a moment
        address = json.loads(sched_file.read_text())["address"]
        _start_workers(address, 2, procs, tmp)
        _wait_for_workers(address, 2)
        yield address
    finally:
        _stop(procs)


def assert_every_run_once(res, baseline, n_runs: int, steps: int) -> None:
    runs = res.runs.sort_values("run_id", ignore_index=True)
    assert runs["run_id"].tolist() == list(range(n_runs))  # each run exactly once
    assert (runs["status"] == "ok").all()
    ts = res.timeseries
    assert len(ts) == n_runs * steps and not ts.duplicated(["run_id", "day"]).any()
    pd.testing.assert_frame_equal(runs, baseline.runs.sort_values("run_id", ignore_index=True))
    key = ["run_id", "day"]
    pd.testing.assert_frame_equal(ts.sort_values(key, ignore_index=True),
                                  baseline.timeseries.sort_values(key, ignore_index=True))


def test_sweep_on_a_separate_scheduler_survives_a_killed_worker(dask_cluster, spec_path,
                                                                 baseline, tmp_path):
    from distributed import Client

    with Client(dask_cluster) as client:
        pids = list(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # really other processes
    killed = []

    def kill_one_worker(status):
        if status.session_done >= 4 and not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(status.session_done)

    exp = load_experiment(spec_path)
    res = run_experiment(exp, tmp_path / "out", scheduler=dask_cluster, batch_size=2,
                         progress=kill_one_worker)
    assert killed and killed[0] < exp.n_runs  # killed mid-sweep
    assert res.manifest["sessions"][0]["runner"] == "dask"
    assert res.manifest["sessions"][0]["scheduler"] == dask_cluster
    assert_every_run_once(res, baseline, exp.n_runs, 60)
    _wait_for_workers(dask_cluster, 2)  # the nanny restarted the killed worker


def _doc_block(lang: str, marker: str) -> str:
    """The fenced ``lang`` block of docs/experiments.md that contains ``marker``."""
    blocks = re.findall(rf"```{lang}\n(.*?)```", DOCS.read_text(), flags=re.S)
    found = [b for b in blocks if marker in b]
    assert found, f"docs/experiments.md: no {lang} block with {marker!r}"
    return found[0]


def _documented_sweep_argv(address: str, spec_path: Path, out: Path) -> list[str]:
    """The documented ``collabsim sweep ... --scheduler`` line, on the tiny spec."""
    line = next(line for line in _doc_block("bash", "scheduler-address").splitlines()
                if line.startswith("collabsim sweep"))
    argv = shlex.split(line.replace('"$(cat scheduler-address)"', address))[1:]
    assert argv[0] == "sweep" and argv[argv.index("--scheduler") + 1] == address
    argv[1] = str(spec_path)  # the tiny spec instead of the 1,024-run one
    argv[argv.index("--out") + 1] = str(out)
    return [*argv, "--quiet"]


def test_documented_sweep_command_on_the_scheduler(dask_cluster, spec_path, baseline, tmp_path):
    assert main(_documented_sweep_argv(dask_cluster, spec_path, tmp_path / "doc")) == 0
    from collabsim.experiments.runners import SweepResults

    assert_every_run_once(SweepResults(tmp_path / "doc"), baseline,
                          load_experiment(spec_path).n_runs, 60)


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_documented_hpc_script_with_local_jobs(spec_path, baseline, tmp_path, monkeypatch):
    """docs' cluster.py as written; ``scale`` runs the job script's worker command locally."""
    import dask_jobqueue as jobqueue  # in the test extra: a missing one fails, not skips
    script = _doc_block("python", "SLURMCluster")
    procs: list[subprocess.Popen] = []
    seen = {}

    def scale_locally(self, jobs=0, **_):
        seen["job_script"] = self.job_script()
        lines = seen["job_script"].strip().splitlines()
        command = shlex.split(lines[-1])
        # the job's environment: the script's `export` lines (the documented prologue)
        exports = dict(line.split(None, 1)[1].split("=", 1) for line in lines
                       if line.startswith("export "))
        seen["exports"] = exports
        _start_workers(self.scheduler_address, min(jobs, 2), procs, tmp_path, command,
                       env={**os.environ, **exports})

    def enter_pressed(prompt=""):
        address = (tmp_path / "scheduler-address").read_text()
        _wait_for_workers(address, 2)
        seen["rc"] = main(_documented_sweep_argv(address, spec_path, tmp_path / "hpc"))
        return ""

    monkeypatch.setattr(jobqueue.SLURMCluster, "scale", scale_locally)
    monkeypatch.chdir(tmp_path)
    try:
        exec(compile(script, str(DOCS), "exec"), {"__name__": "cluster", "input": enter_pressed})
    finally:
        _stop(procs)
    assert "#SBATCH" in seen["job_script"] and "--preload collabsim.runner" in seen["job_script"]
    assert seen["exports"] == dask_worker_environment()  # the worker settings reach the jobs
    assert seen["rc"] == 0
    from collabsim.experiments.runners import SweepResults

    assert_every_run_once(SweepResults(tmp_path / "hpc"), baseline,
                          load_experiment(spec_path).n_runs, 60)

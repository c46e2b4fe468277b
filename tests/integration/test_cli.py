"""The command line end to end, in process (and once as a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pandas as pd

from collabsim.cli import main
from collabsim.scenario import load_scenario


def test_run_writes_results_that_reproduce(capsys, tmp_path):
    out = tmp_path / "run"
    argv = ["run", "pbg", "--seed", "7", "--steps", "40", "--citizens", "800",
            "--set", "agencies.pupr.leader_commitment=0.9", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "pbg: 40 days, seed 7" in printed
    for name in ("timeseries.parquet", "summary.json", "scenario.toml", "timeseries.png"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["days"] == 40
    # The written scenario is the one that ran, override included, and loads back.
    sc = load_scenario(tomllib.loads((out / "scenario.toml").read_text()))
    assert sc.agencies["pupr"].leader_commitment == 0.9 and sc.citizens.n == 800
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 40
    # Same command, same numbers.
    out2 = tmp_path / "run2"
    assert main([*argv[:-1], str(out2)]) == 0
    pd.testing.assert_frame_equal(ts, pd.read_parquet(out2 / "timeseries.parquet"))


def test_compare_writes_tables(capsys, tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "spp_irt", "pbg", "--replications", "2", "--steps", "30",
                 "--citizens", "500", "--seed", "3", "--out", str(out)]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 4
    assert set(runs["scenario"]) == {"spp_irt", "pbg"}
    # Common random numbers: both scenarios ran on the same replicate seeds.
    seeds = runs.groupby("scenario")["seed"].apply(sorted)
    assert seeds["pbg"] == seeds["spp_irt"]
    assert (out / "compare.csv").is_file() and (out / "headline.csv").is_file()


def test_a_real_process_prints_errors_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "collabsim.cli", "validate", "pbg", "--set", "choice.beta=1"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and "choice.beta" in proc.stderr

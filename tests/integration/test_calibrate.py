"""`collabsim calibrate` end to end, and a killed calibration that continues."""

import importlib.util
import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from collabsim.cli import main

# skipped without the calibrate extra; found, not imported (pyabc takes some 4 s to
# import, which every worker of `pytest -n` would pay at collection)
pytestmark = pytest.mark.skipif(importlib.util.find_spec("pyabc") is None,
                                reason="needs the calibrate extra (pyabc)")

TOY = textwrap.dedent("""
    import sys, time
    import numpy as np
    from collabsim.calibration.abc import Target, particle_seed, run_abc
    from collabsim.calibration.spec import Prior

    class Slow:
        def __call__(self, p):
            time.sleep(0.003)
            rng = np.random.default_rng(particle_seed(5, p))
            return {"x": float(rng.normal(p["mu"], 0.5))}

    run_abc(Slow(), [Prior("mu", ("mu",), ("toy",), "float", "uniform", -5.0, 5.0)],
            [Target("x", 1.0, 1.0, 0.2)], sys.argv[1], population_size=20,
            max_generations=int(sys.argv[2]), budget=100_000, seed=2)
""")


def _generations(db) -> int:
    if not db.is_file():
        return 0
    try:
        with sqlite3.connect(db) as con:
            return con.execute("select count(*) from populations where t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_calibration_continues(tmp_path):
    script, db = tmp_path / "toy.py", tmp_path / "abc.db"
    script.write_text(TOY)
    proc = subprocess.Popen([sys.executable, str(script), str(db), "50"])
    try:
        deadline = time.monotonic() + 120
        while _generations(db) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    done = _generations(db)
    assert done >= 2
    subprocess.run([sys.executable, str(script), str(db), str(done + 2)], check=True,
                   timeout=180)
    with sqlite3.connect(db) as con:
        ts = [t for (t,) in con.execute("select t from populations where t >= 0 order by t")]
    assert ts == list(range(done + 2))


@pytest.mark.slow
def test_calibrate_shipped_spec_tiny_budget(tmp_path, capsys):
    out = tmp_path / "cal"
    # the shipped spec, cut on the command line (one replication at 300 citizens per particle)
    args = ["calibrate", "jambi", "--out", str(out), "--sequential", "--population-size", "2",
            "--budget", "20", "--max-generations", "1", "--predictive-draws", "2", "--quiet",
            "--replications", "1", "--citizens", "300"]
    assert main(args) == 0
    post = pd.read_parquet(out / "posterior.parquet")
    assert len(post) == 2
    assert {"beta_citizen", "pbg_value_of_time", "weight", "distance", "seed"} <= set(post)
    assert post["weight"].sum() == pytest.approx(1.0)
    val = pd.read_csv(out / "validation.csv")
    assert {"fitted", "held out"} <= set(val["role"])
    assert {"observed_low", "predictive_median", "predictive_q05", "predictive_q95",
            "met", "source"} <= set(val)
    assert (out / "posterior_marginals.png").stat().st_size > 0
    manifest = json.loads((out / "calibration.json").read_text())
    assert manifest["generations"] == 1 and manifest["abc_runs"] <= 20
    assert (manifest["spec"]["replications"], manifest["spec"]["n_citizens"]) == (1, 300)
    capsys.readouterr()
    # continuing needs the same cut: without it the directory holds another spec
    assert main(args[:-4]) == 2
    assert "holds a calibration of another spec" in capsys.readouterr().err
    # another spec (here: another root seed) into the same directory is refused in one line
    import shutil

    from collabsim.calibration.spec import CALIBRATION_DIR

    shutil.copy(CALIBRATION_DIR / "patterns.toml", tmp_path / "patterns.toml")
    other = tmp_path / "other.toml"
    other.write_text((CALIBRATION_DIR / "jambi.toml").read_text().replace(
        "root_seed = 2026", "root_seed = 7"))
    assert main(["calibrate", str(other), *args[2:]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds a calibration of another spec" in err[0]

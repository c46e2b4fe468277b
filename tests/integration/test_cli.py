"""The command line end to end, in process (and once as a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

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


# --- a lean command line: commands load only what they use ---------------------------------

#: Stacks that checking a file or printing help never needs (top-level module names).
HEAVY = ("mesa", "pandas", "scipy", "numpy", "dask", "distributed", "solara", "ema_workbench",
         "matplotlib", "pyarrow", "SALib", "networkx")

_PROBE = """
import json, sys
from collabsim.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def _loaded(tmp_path, *argv: str) -> tuple[int, set[str]]:
    """Run the CLI in a fresh interpreter; its exit status and the top-level modules it loaded."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["status"], {m.split(".")[0] for m in result["modules"]}


@pytest.mark.parametrize("argv", [["validate", "pbg", "jcoc"], ["--help"], ["validate", "--help"],
                                  ["sweep", "--help"], ["analyze", "--help"], ["viz", "--help"]],
                         ids=" ".join)
def test_validate_and_help_load_no_model_or_optional_stack(tmp_path, argv):
    status, modules = _loaded(tmp_path, *argv)
    assert status == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


_BLOCKED_RUN = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # as if the extras were not installed
import collabsim
assert "mesa" not in sys.modules, "import collabsim loaded Mesa"
assert collabsim.CollabModel.__name__ == "CollabModel" and "mesa" in sys.modules  # on first use
from collabsim.cli import main
out = sys.argv[1]
assert main(["run", "pbg", "--steps", "5", "--citizens", "50", "--out", out + "/run"]) == 0
assert main(["compare", "pbg", "spp_irt", "--replications", "2", "--steps", "5",
             "--citizens", "50", "--out", out + "/cmp"]) == 0
assert main(["sweep", "pbg_preparedness_grid", "--dry-run", "--out", out + "/sw"]) == 0
assert main(["viz", "--no-browser"]) == 2
print("core ok")
"""


def test_the_model_runs_without_the_optional_stacks_and_loads_on_first_use(tmp_path):
    blocked = ["solara", "dask", "distributed", "ema_workbench", "altair"]
    proc = subprocess.run([sys.executable, "-c", _BLOCKED_RUN.format(blocked=blocked),
                           str(tmp_path)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0 and "core ok" in proc.stdout, proc.stderr[-3000:]
    assert "needs the viz extra" in proc.stderr


def test_the_optional_stacks_are_extras_not_core_dependencies():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    for name in ("solara", "dask", "distributed", "ema_workbench", "mesa[rec]"):
        assert name not in core, name
    extras = project["optional-dependencies"]
    assert {"viz", "dask", "ema", "all", "test"} <= set(extras)
    assert any(d.startswith("solara") for d in extras["viz"])
    assert any(d.startswith("dask[distributed]") for d in extras["dask"])
    assert any(d.startswith("ema_workbench") for d in extras["ema"])
    assert any(d.startswith("filelock") for d in project["dependencies"])
    assert project["requires-python"] == ">=3.11" and "mesa>=3.3" in project["dependencies"]

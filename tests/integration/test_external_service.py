"""A service added from outside the package runs through run, compare and sweep.

The help desk in tests/plugins/collabsim_helpdesk.py is not part of collabsim: a
scenario names it under ``plugins`` and gives its parameters under
``[services.helpdesk]``; the registry builds it, its declared metrics become
reporters, summaries and headline rows, and the CLI commands run it (the sweep
on worker processes too, which import the plugin when they load the scenario).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.scenario import ScenarioError, load_scenario

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
PRESET = Path(__file__).resolve().parents[2] / "scenarios" / "spp_irt.toml"


@pytest.fixture
def helpdesk(tmp_path, monkeypatch):
    """A scenario file with the help desk, and the plugin importable (here and in workers)."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.setenv("PYTHONPATH", str(PLUGINS))
    path = tmp_path / "helpdesk.toml"
    path.write_text(f'extends = "{PRESET}"\nname = "helpdesk"\nburn_in_days = 30\n'
                    'collaboration_start = 30\nsteps = 60\nplugins = ["collabsim_helpdesk"]\n'
                    '[services.helpdesk]\ncall_rate = 0.002\n')
    return path


def test_run_reports_the_external_services_declared_metrics(helpdesk, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(helpdesk), "--citizens", "1000", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["calls_per_month_after"] > 0
    assert 0 < summary["calls_answered_total_after"] <= summary["calls_per_month_after"] * 2
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert {"calls", "calls_answered"} <= set(ts) and (ts.calls_answered <= ts.calls).all()
    # the licensing service still runs beside it
    assert "permits_issued" in ts


def test_compare_runs_a_variant_of_the_external_service(helpdesk, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(helpdesk), "--replications", "2", "--citizens", "1000",
                 "--variant", "busy:services.helpdesk.call_rate=0.02", "--no-counterfactual",
                 "--out", str(out)]) == 0
    diffs = pd.read_csv(out / "differences.csv")
    runs = pd.read_csv(out / "runs.csv")
    busy = runs[runs.scenario == "busy"].calls_per_month_after.mean()
    base = runs[runs.scenario == "helpdesk"].calls_per_month_after.mean()
    assert busy > 5 * base
    assert "helpdesk" in set(diffs.baseline)


def test_sweep_runs_the_external_service_on_worker_processes(helpdesk, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(f'name = "helpdesk_sweep"\nscenarios = ["{helpdesk}"]\nreplications = 1\n'
                    'root_seed = 3\nsteps = 60\nn_citizens = 800\n'
                    'metrics = ["calls", "calls_answered"]\n[sampler]\nmethod = "grid"\n'
                    '[parameters."services.helpdesk.call_rate"]\nlevels = [0.001, 0.01]\n')
    out = tmp_path / "sweep"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2 and (runs.status == "ok").all()
    by_rate = runs.set_index("services.helpdesk.call_rate")["calls_per_month_after"]
    assert by_rate[0.01] > by_rate[0.001]


def test_an_unknown_service_or_key_is_a_one_line_error(helpdesk, monkeypatch):
    with pytest.raises(ScenarioError, match="unknown service 'nosuch'"):
        load_scenario("spp_irt", {"services": {"nosuch": {}}})
    with pytest.raises(ScenarioError, match=r"services\.helpdesk\.call_rat"):
        load_scenario(helpdesk, {"services.helpdesk.call_rat": 0.1})
    with pytest.raises(ScenarioError, match="cannot import 'no_such_plugin'"):
        load_scenario("spp_irt", {"plugins": ["no_such_plugin"]})
    assert "collabsim_helpdesk" in sys.modules

"""The command line on the mobility presets, in process: run, compare, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from collabsim.cli import main


def test_run_jcoc_writes_results(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "jcoc", "--citizens", "2000", "--steps", "40", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for name in ("timeseries.parquet", "summary.json", "scenario.toml", "timeseries.png"):
        assert (out / name).stat().st_size > 0, name
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 40
    assert {"mobility_index", "compliance_rate", "awareness_rate"} <= set(ts.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "jcoc"
    assert 0.0 < summary["mobility_index_enforcement"] < 1.0
    assert "mobility index, enforcement" in captured.out
    # The written scenario is the resolved one, with the citizens option applied.
    assert "n = 2000" in (out / "scenario.toml").read_text()


def test_compare_jcoc_with_siloed_writes_tables(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", "jcoc", "jcoc_siloed", "--replications", "2", "--citizens", "1000",
                 "--steps", "40", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for name in ("compare.csv", "headline.csv"):
        assert (out / name).stat().st_size > 0, name
    table = pd.read_csv(out / "compare.csv")
    rows = table[table["metric"] == "mobility_index_enforcement"]
    assert set(rows["scenario"]) == {"jcoc", "jcoc_siloed"}
    assert (rows["n"] == 2).all()
    headline = pd.read_csv(out / "headline.csv", index_col=0)
    assert "mobility index, enforcement" in headline.index
    assert list(headline.columns) == ["jcoc", "jcoc_siloed"]


# ------------------------------------------------------------------- bad input
BAD = {
    "checkpoint_district": ('[[mobility.checkpoints]]\ndistrict = "atlantis"\n',
                            "mobility.checkpoints.0.district", "atlantis"),
    "road_district": ('[mobility]\nroads = [["pasar_jambi", "atlantis"]]\n',
                      "mobility.roads.0", "atlantis"),
    "operations_centre": ('[mobility]\noperations_centre = "bappeda"\n',
                          "mobility.operations_centre", "bappeda"),
    "unknown_key": ("[mobility]\ndetection_rate = 0.1\n",
                    "mobility.detection_rate", "unknown key"),
    "reach_out_of_range": ("[[mobility.campaigns]]\nstart = 0\nreach = 1.5\n",
                           "mobility.campaigns.0.reach", "1.5"),
    "campaign_channel": ('[[mobility.campaigns]]\nstart = 0\nchannel = "radio"\n',
                         "mobility.campaigns.0.channel", "radio"),
}


def bad_scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad_jcoc.toml"
    path.write_text(f'extends = "jcoc.toml"\nname = "bad_jcoc"\n{body}')
    return path


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_mobility_input_names_file_and_key(tmp_path, capsys, command, case):
    body, key_path, detail = BAD[case]
    path = bad_scenario(tmp_path, body)
    argv = [command, str(path)]
    if command == "run":
        argv += ["--citizens", "100", "--steps", "2", "--out", str(tmp_path / "out")]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.out + captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert errors, captured.err
    hit = [line for line in errors if str(path) in line and key_path in line]
    assert hit, f"no error line names {path} and {key_path}: {errors}"
    assert detail in hit[0]
    assert not (tmp_path / "out").exists()


def test_a_valid_mobility_file_passes_validation(tmp_path, capsys):
    # Contrast for the bad-input cases: the same file layout without the mistake.
    path = bad_scenario(tmp_path, "[mobility]\nsiloed_view = 0.4\n")
    assert main(["validate", str(path)]) == 0
    assert "ok (bad_jcoc)" in capsys.readouterr().out

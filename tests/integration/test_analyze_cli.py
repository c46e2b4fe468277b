"""`collabsim analyze` and `collabsim report` through the command line, in process."""

from __future__ import annotations

import pytest

from collabsim.analysis import toy
from collabsim.cli import main


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    assert main(["compare", "spp_irt", "pbg", "--replications", "2", "--steps", "420",
                 "--citizens", "300", "--seed", "4", "--out", str(out)]) == 0
    return out


def test_analyze_a_comparison(compared, capsys):
    assert main(["analyze", str(compared), "--citizens", "300", "--format", "png"]) == 0
    out = capsys.readouterr().out
    assert "compare of 4 runs" in out and "stylized facts: 1:" in out
    figs = compared / "analysis" / "figures"
    assert {p.name for p in figs.iterdir()} == {"timeseries_bands.png", "before_after.png",
                                                "network.png"}
    assert (compared / "analysis" / "tables" / "scenario_effects.parquet").is_file()
    assert "differs" not in out  # the re-run for the network reproduced the recorded runs


def test_rerun_uses_the_settings_the_comparison_recorded(compared, capsys):
    """The comparison's manifest records --citizens, so a re-run needs no option."""
    assert main(["analyze", str(compared), "--network-run", "0", "--format", "png",
                 "--analysis-dir", str(compared / "a2")]) == 0
    assert "differs" not in capsys.readouterr().out


def test_rerun_without_recorded_settings_is_flagged(compared, tmp_path, capsys):
    """Negative control: without the manifest the re-run runs at the scenario's own size."""
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(compared, bare, ignore=shutil.ignore_patterns("manifest.json", "a2",
                                                                   "analysis"))
    assert main(["analyze", str(bare), "--network-run", "0", "--format", "png"]) == 0
    assert "re-run differs from the recorded run" in capsys.readouterr().out


def test_report_with_failure_rule_on_a_planted_sweep(tmp_path, capsys):
    d = toy.write_planted_failure(tmp_path / "pf", n=300, seed=5)
    html = tmp_path / "out" / "r.html"
    assert main(["report", str(d), "-o", str(html), "--failure", "levy_target_share_final<0.5",
                 "--no-network"]) == 0
    assert "self-contained" in capsys.readouterr().out
    text = html.read_text(encoding="utf-8")
    assert "levy_target_share_final&lt;0.5" in text and "coverage" in text
    assert 'id="fig-prim"' in text


@pytest.mark.parametrize("argv, message", [
    (["analyze", "/nonexistent/dir"], "no such results directory"),
    (["analyze", "{pf}", "--failure", "levy<<1"], "expected OUTCOME"),
    (["analyze", "{pf}", "--outcome", "nope"], "--outcome nope: not in"),
    (["analyze", "{pf}", "--network-run", "99999"], "no such run_id"),
    (["report", "{pf}", "--citizens", "3"], "--citizens: must be at least 10"),
])
def test_bad_input_exits_2_without_traceback(tmp_path, capsys, argv, message):
    pf = toy.write_planted_failure(tmp_path / "pf", n=40, seed=1)
    assert main([a.format(pf=pf) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err

"""Every shipped experiment spec, cut down, through the analyst's path: sweep → analyze → report.

The specs are found by glob, so a spec added to ``experiments/`` is covered without a
change here, and every spec the README and docs name must exist. Each is cut by the
``sweep`` options (2 replications, 1,000 citizens, the smallest design, a shorter run
with the collaboration start kept inside it) and run in process through the command line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.experiments.spec import EXPERIMENT_DIR

ROOT = EXPERIMENT_DIR.parent
SPECS = sorted(EXPERIMENT_DIR.glob("*.toml"))

#: The smallest design each sampler allows (Sobol: N = 2, a power of two).
SAMPLE_SIZE = {"lhs": 8, "sobol": 2, "morris": 2}


def _cut_options(spec: Path) -> list[str]:
    """``sweep`` options that make a spec small but keep its before and after windows."""
    from collabsim.experiments import load_experiment

    exp = load_experiment(spec)
    opts = ["--replications", "2", "--citizens", "1000"]
    if exp.sampler in SAMPLE_SIZE:
        opts += ["--sample-size", str(SAMPLE_SIZE[exp.sampler])]
    start = max(sc.collaboration_start for sc in exp.scenarios)
    steps = exp.spec.steps or max(sc.steps for sc in exp.scenarios)
    keys = [*exp.spec.fixed, *(k for p in exp.parameters for k in p.keys)]
    pinned = any("interventions" in k or k.endswith(".day") for k in keys)
    burn_in = max(getattr(sc, "burn_in_days", 0) for sc in exp.scenarios)
    if pinned:  # the spec names days of the run (an intervention's): keep its calendar
        if burn_in > 30:
            opts += ["--set", "burn_in_days=30"]
    elif start > 90:  # a licensing spec: a year before the start is more than a test needs
        warmup = max(sc.warmup_days for sc in exp.scenarios)
        opts += ["--set", "collaboration_start=90", "--set", f"warmup_days={min(warmup, 30)}",
                 "--steps", "180"]
        if burn_in > 30:  # the unrecorded siloed days before day 0
            opts += ["--set", "burn_in_days=30"]
    else:
        assert steps > start + 30, f"{spec.name}: the run must go past the collaboration start"
    return opts


def test_specs_are_shipped_and_every_named_one_exists():
    assert SPECS, f"no experiment spec in {EXPERIMENT_DIR}"
    named = set()
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        named |= set(re.findall(r"experiments/(\w+)\.toml", doc.read_text(encoding="utf-8")))
    missing = sorted(n for n in named if not (EXPERIMENT_DIR / f"{n}.toml").is_file())
    assert not missing, f"specs named in the docs but not shipped: {missing}"


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_shipped_spec_sweeps_analyses_and_reports(spec, tmp_path, capsys):
    from collabsim.analysis.labels import short_parameter
    from collabsim.experiments import load_experiment

    out = tmp_path / spec.stem
    assert main(["sweep", str(spec), "--out", str(out), "--sequential", "--quiet",
                 *_cut_options(spec)]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs["status"] == "ok").all(), runs.loc[runs["status"] != "ok", "error"].tolist()
    assert runs["replicate"].nunique() == 2

    assert main(["analyze", str(out), "--format", "png"]) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    assert f"of {len(runs)} runs (0 failed)" in printed.out
    assert "could not be re-run" not in printed.out and "differs" not in printed.out
    tables = out / "analysis" / "tables"
    assert (tables / "scenario_summary.parquet").is_file()
    assert (tables / "prim_boxes.parquet").is_file()

    html = tmp_path / "report.html"
    assert main(["report", str(out), "-o", str(html), "--no-network", "--format", "png"]) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err and "self-contained" in printed.out
    text = html.read_text(encoding="utf-8")
    exp = load_experiment(spec)
    for p in exp.parameters:
        assert short_parameter(p.name) in text, f"the report does not name {p.name}"
    for sc in exp.scenarios:
        assert f"{sc.name}: agencies" in text  # its settings are shown
    assert 'id="fig-timeseries_bands"' in text and 'id="discovery"' in text


def test_prim_box_names_the_regulation_on_the_shipped_grid(tmp_path):
    """Scenario discovery finds what is there: on the shipped grid the levy stays low
    without the regulation, so PRIM's box must restrict regulation_ready to false."""
    from collabsim.analysis.discovery import default_rules, describe_box, discover
    from collabsim.analysis.results import load_results

    out = tmp_path / "grid"
    assert main(["sweep", "pbg_preparedness_grid", "--out", str(out), "--sequential", "--quiet",
                 *GRID_OPTIONS]) == 0
    res = load_results(out)
    rule = next(r for r in default_rules(res) if r.column.startswith("levy_target_share"))
    found = discover(res, rule)
    assert found.boxes, found.note
    kept = [b.limits.set_index("parameter").loc["agencies.*.regulation_ready", "levels"]
            for b in found.boxes if "agencies.*.regulation_ready" in set(b.limits.parameter)]
    assert kept and kept[0] == "false", [b.limits for b in found.boxes]
    assert "agencies.*.regulation_ready in {false}" in describe_box(found.boxes[0])


#: Large enough for the levy to be a share rather than a few permits' worth (1,000 citizens
#: file about one application a month), short enough for a test: half a year before the
#: start and half a year after.
GRID_OPTIONS = ["--replications", "2", "--citizens", "5000", "--steps", "360",
                "--set", "collaboration_start=180", "--set", "burn_in_days=120"]


@pytest.mark.parametrize("argv, message", [
    (["pbg_preparedness_grid", "--sample-size", "4"], "the grid sampler has no sample size"),
    (["success_factors_sobol", "--sample-size", "3"], "power of two"),
    (["pbg_preparedness_grid", "--set", "agencies.nope.resources=0.5"], "(from --set)"),
])
def test_sweep_cut_options_refuse_bad_values_in_one_line(argv, message, capsys):
    assert main(["sweep", *argv, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith("error: ") and str(EXPERIMENT_DIR) in err  # names the spec file


def test_sweep_cut_options_change_the_design(capsys):
    assert main(["sweep", "success_factors_sobol", "--dry-run", "--sample-size", "2",
                 "--replications", "2"]) == 0
    assert "32 runs = 1 scenario(s) × 16 point(s) (sobol) × 2 replication(s)" in \
        capsys.readouterr().out

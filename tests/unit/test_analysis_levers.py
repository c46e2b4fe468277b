"""Levers ranked by effect per extra cost; a comparison's tables and interventions in the report."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collabsim.analysis.analyze import Analysis, intervention_marks
from collabsim.analysis.levers import COLUMNS, lever_cost_effectiveness
from collabsim.analysis.report import render_report
from collabsim.analysis.results import Parameter, Results, load_results


def _grid_sweep(reps: int = 4) -> Results:
    """Cheap lever: +10 permits for 0.01 bn Rp; dear lever: +20 permits for 0.1 bn Rp."""
    rng = np.random.default_rng(1)
    rows = []
    for i, (cheap, dear) in enumerate(itertools.product((False, True), (0.3, 0.8))):
        for r in range(reps):
            noise = rng.normal(0, 0.5)
            permits = 50 + 10 * cheap + 40 * (dear - 0.3) + r + noise
            cost = 1e6 * (1 + 0.01 * cheap + 0.2 * (dear - 0.3)) + 100 * r
            rows.append({"run_id": len(rows), "scenario": "pbg", "sample": i, "replicate": r,
                         "seed": r, "status": "ok", "error": "", "cheap": cheap, "dear": dear,
                         "permits_issued_total_after": permits,
                         "levy_collected_total_after": 1000.0 * permits,
                         "cost_total_after": cost})
    runs = pd.DataFrame(rows)
    params = [Parameter("cheap", kind="bool", levels=(False, True)),
              Parameter("dear", levels=(0.3, 0.8))]
    return Results(Path("."), "sweep", runs, None, {}, "grid", params,
                   ["permits_issued_total_after", "levy_collected_total_after",
                    "cost_total_after"])


def test_levers_are_paired_ranked_and_per_bn_rp():
    t = lever_cost_effectiveness(_grid_sweep())
    assert list(t.columns) == COLUMNS
    permits = t[t.measure == "extra permits per bn Rp"].set_index("parameter")
    assert list(permits.index) == ["cheap", "dear"]  # 1,000 permits / bn Rp beats 200
    assert permits.loc["cheap", "rank"] == 1
    assert permits.loc["cheap", "effect"] == pytest.approx(10, abs=1)
    assert permits.loc["cheap", "extra_cost"] == pytest.approx(0.01, rel=1e-6)  # bn Rp
    assert permits.loc["cheap", "ratio"] == pytest.approx(1000, rel=0.1)
    assert permits.loc["dear", "ratio"] == pytest.approx(200, rel=0.1)
    assert permits.loc["cheap", "ci_low"] < permits.loc["cheap", "ratio"] \
        < permits.loc["cheap", "ci_high"]
    assert permits.loc["cheap", "n"] == 8  # paired within replicate and the other factor
    assert set(t.reading) == {"gains at a cost"}
    assert "trips cut per officer-day" not in set(t.measure)  # no mobility outcomes here


def test_a_lever_that_saves_money_is_read_the_costlier_way():
    res = _grid_sweep()
    runs = res.runs.copy()
    runs["dear"] = runs["dear"].map({0.3: 0.8, 0.8: 0.3})  # now the high level is cheaper
    res = Results(res.path, "sweep", runs, None, {}, "grid", res.parameters, res.outcomes)
    row = lever_cost_effectiveness(res).query("measure == 'extra permits per bn Rp' and "
                                              "parameter == 'dear'").iloc[0]
    assert row.direction.startswith("highest → lowest")
    assert (row.from_level, row.to_level) == (0.8, 0.3)
    assert row.extra_cost > 0 and row.ratio == pytest.approx(200, rel=0.1)


def test_no_costs_no_levers():
    res = _grid_sweep()
    res.runs = res.runs.drop(columns="cost_total_after")
    assert lever_cost_effectiveness(res).empty


def test_sampled_designs_get_a_per_range_slope():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 200)
    runs = pd.DataFrame({"run_id": range(200), "scenario": "pbg", "sample": range(200),
                         "replicate": 0, "seed": 0, "status": "ok", "error": "", "x": x,
                         "permits_issued_total_after": 10 * x + rng.normal(0, 0.1, 200),
                         "cost_total_after": 1e6 + 1e5 * x})
    res = Results(Path("."), "sweep", runs, None, {}, "lhs", [Parameter("x", bounds=(0, 1))],
                  ["permits_issued_total_after", "cost_total_after"])
    row = lever_cost_effectiveness(res).iloc[0]
    assert row.design == "regression over runs"
    assert row.ratio == pytest.approx(100, rel=0.1)  # 10 permits per 0.1 bn Rp
    assert row.ci_low < row.ratio < row.ci_high


def test_report_of_a_comparison_shows_effects_differences_and_cost(tmp_path):
    d = tmp_path / "cmp"
    d.mkdir()
    pd.DataFrame({"scenario": ["pbg"] * 3 + ["reg_first"] * 3, "replicate": [0, 1, 2] * 2,
                  "seed": [1, 2, 3] * 2,
                  "permits_issued_per_month_after": [1.0, 1.2, 0.9, 2.0, 2.3, 1.9]}
                 ).to_csv(d / "runs.csv", index=False)
    pd.DataFrame([{"scenario": "pbg", "metric": "permits_issued_per_month_after",
                   "factual": 1.0, "counterfactual": 1.5, "effect": -0.5, "ci_low": -0.9,
                   "ci_high": -0.1, "p_value": 0.03, "n": 3, "relative": -1 / 3}]
                 ).to_csv(d / "effects.csv", index=False)
    pd.DataFrame([{"scenario": "reg_first", "baseline": "pbg", "metric": "cost_total_after",
                   "value": 5e4, "baseline_value": 4e4, "difference": 1e4, "ci_low": 9e3,
                   "ci_high": 1.1e4, "p_value": 0.001, "n": 3, "relative": 0.25}]
                 ).to_csv(d / "differences.csv", index=False)
    pd.DataFrame([{"scenario": "reg_first", "baseline": "pbg",
                   "measure": "extra permits per bn Rp", "extra_effect": 12.0,
                   "extra_cost": 0.01, "ratio": 1200.0, "ci_low": 800.0, "ci_high": 1600.0,
                   "n": 3}]).to_csv(d / "cost_effectiveness.csv", index=False)
    res = load_results(d)
    assert set(res.tables) == {"effects", "differences", "cost_effectiveness"}
    from collabsim.analysis.analyze import _tables

    an = Analysis(res, tmp_path / "an", ["permits_issued_per_month_after"])
    _tables(an)
    an.tables["stylized_facts"] = pd.DataFrame(columns=["fact", "statement", "status"])
    an.tables["stylized_fact_tests"] = pd.DataFrame()
    page = render_report(an)
    for heading in ("Effect of the joint arrangement (counterfactual)",
                    "Difference from the baseline", "Cost-effectiveness against the baseline"):
        assert heading in page
    assert "-0.500 [-0.900, -0.100]" in page  # the effect with its CI
    assert "cost (kRp), after start" in page  # labelled with its unit
    assert "1,200 [800, 1,600] permits / bn Rp" in page


def test_a_varied_intervention_day_is_marked_at_every_level():
    iv = {"day": 365, "label": "regional levy regulation passed",
          "set": {"agencies.pupr.regulation_ready": True}}
    runs = pd.DataFrame({"run_id": [0, 1], "scenario": "pbg", "sample": [0, 1],
                         "replicate": 0, "seed": 0, "status": "ok", "error": "",
                         "interventions.0.day": [365, 545], "y": [1.0, 2.0]})
    res = Results(Path("."), "sweep", runs, None,
                  {"spec": {"scenarios": ["pbg"], "steps": 730, "set": {"interventions": [iv]}}},
                  "grid", [Parameter("interventions.0.day", kind="int", levels=(365, 545))],
                  ["y"])
    assert intervention_marks(res) == [(365, "day 365: regional levy regulation passed"),
                                       (545, "day 545: regional levy regulation passed")]

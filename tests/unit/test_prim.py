"""Scenario discovery: the EMA Workbench's PRIM finds a planted failure region."""

from __future__ import annotations

from pathlib import Path

import pytest

from collabsim.analysis import toy
from collabsim.analysis.discovery import (
    FailureRule,
    default_rules,
    describe_box,
    discover,
    parse_rule,
    prim_inputs,
    prim_table,
)
from collabsim.analysis.results import load_results
from collabsim.errors import CollabsimError


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    d = toy.write_planted_failure(tmp_path_factory.mktemp("prim") / "r", n=600, seed=11,
                                  n_failed_runs=6)
    return load_results(d)


@pytest.fixture(scope="module")
def found(planted):
    return discover(planted, "levy_target_share_final<0.5")


def test_prim_recovers_planted_region(found):
    assert found.boxes, found.note
    box = found.boxes[0]
    assert box.coverage > 0.9 and box.density > 0.9
    limits = box.limits.set_index("parameter")
    assert set(limits.index) == set(toy.PLANTED_REGION)
    for param, (_, high) in toy.PLANTED_REGION.items():
        assert limits.loc[param, "high"] == pytest.approx(high, abs=0.06)
        assert limits.loc[param, "low"] == pytest.approx(limits.loc[param, "range_low"])
        assert limits.loc[param, "qp_high"] < 1e-6
    text = describe_box(box)
    assert "agencies.*.leader_commitment ≤ 0.3" in text or "≤ 0.4" in text
    assert "≥" not in text  # the lower sides are the sampled minimum: no restriction


def test_integer_parameter_survives_pandas3(planted):
    x, y = prim_inputs(planted, parse_rule("levy_target_share_final<0.5"))
    assert x["licensing.joint_stages"].dtype == float  # EMA PRIM fails on int64 under pandas 3
    assert y.dtype == bool and len(x) == len(planted.ok)


def test_random_failures_give_no_box(planted):
    d = discover(planted, FailureRule("failed"))
    assert d.n_cases == 6 and d.n_runs == len(planted.runs)
    assert not d.boxes and "no box" in d.note


def test_tables_and_defaults(planted, found):
    rules = [r.text for r in default_rules(planted)]
    assert rules == ["levy_target_share_final<0.5", "failed"]
    stats, limits = prim_table([found])
    assert stats.loc[0, "coverage"] == found.boxes[0].coverage
    assert set(limits.columns) >= {"rule", "box", "parameter", "low", "high", "qp_high"}


def test_rule_parsing():
    r = parse_rule("mobility_index_enforcement>0.8")
    assert (r.column, r.op, r.threshold) == ("mobility_index_enforcement", ">", 0.8)
    assert r.text == "mobility_index_enforcement>0.8"
    assert parse_rule(" failed ").column == "failed"
    with pytest.raises(CollabsimError, match="expected OUTCOME"):
        parse_rule("levy <> 3")
    with pytest.raises(CollabsimError, match="unknown outcome"):
        parse_rule("nope<1", ["levy_target_share_final"])


def _grid_results(levy, replications: int = 4, scenarios: tuple[str, ...] = ("pbg",)):
    """A 2 × 2 × 2 grid like experiments/pbg_preparedness_grid.toml, its levy given per cell."""
    import itertools

    import numpy as np
    import pandas as pd

    from collabsim.analysis.results import Parameter, Results

    rows = []
    cells = list(itertools.product((0.3, 0.8), (0.45, 0.9), (False, True)))
    for sc in scenarios:
        for i, (lc, res, reg) in enumerate(cells):
            for r in range(replications):
                rows.append({"run_id": len(rows), "scenario": sc, "sample": i, "replicate": r,
                             "seed": r, "status": "ok", "error": "",
                             "agencies.*.leader_commitment": lc, "agencies.*.resources": res,
                             "agencies.*.regulation_ready": reg,
                             "levy_target_share_final": levy(sc, lc, res, reg) + 0.01 * r})
    runs = pd.DataFrame(rows)
    params = [Parameter("leader_commitment", column="agencies.*.leader_commitment",
                        levels=(0.3, 0.8)),
              Parameter("resources", column="agencies.*.resources", levels=(0.45, 0.9)),
              Parameter("regulation_ready", column="agencies.*.regulation_ready",
                        levels=(False, True), kind="bool")]
    assert runs["agencies.*.regulation_ready"].dtype == np.bool_
    return Results(Path("."), "sweep", runs, None, {}, "grid", params,
                   ["levy_target_share_final"])


def _restriction(box, parameter):
    limits = box.limits.set_index("parameter")
    return limits.loc[parameter] if parameter in limits.index else None


def test_boolean_parameter_makes_a_box():
    """A box on a boolean parameter: EMA's inspect(style="data") crashed here under pandas 3."""
    res = _grid_results(lambda sc, lc, r, reg: 0.9 if reg else 0.3)
    d = discover(res, "levy_target_share_final<0.5")
    assert len(d.boxes) == 1, d.note
    box = d.boxes[0]
    lim = _restriction(box, "agencies.*.regulation_ready")
    assert lim is not None and lim["levels"] == "false"
    assert lim["qp_low"] < 0.05
    assert box.coverage == 1.0 and box.density == 1.0
    assert describe_box(box) == "agencies.*.regulation_ready in {false}"
    _, limits = prim_table([d])
    assert limits.loc[0, "levels"] == "false"


def test_scenario_column_makes_a_box():
    """Categorical levels (the base scenario of a sweep over two scenarios) work too."""
    res = _grid_results(lambda sc, lc, r, reg: 0.3 if sc == "pbg" else 0.9,
                        scenarios=("pbg", "pbg_repaired"))
    d = discover(res, "levy_target_share_final<0.5")
    assert d.boxes, d.note
    lim = _restriction(d.boxes[0], "base_scenario")
    assert lim is not None and lim["levels"] == "pbg"


def test_boxes_found_when_most_runs_fail():
    """Three cells in four fail (base rate 0.75): a density gain of 1.5 is out of reach, yet
    every run without the regulation fails and PRIM must say so."""
    res = _grid_results(lambda sc, lc, r, reg: 0.9 if (reg and r == 0.9) else 0.3)
    d = discover(res, "levy_target_share_final<0.5")
    assert d.base_rate == 0.75
    assert d.boxes, d.note
    named = [_restriction(b, "agencies.*.regulation_ready") for b in d.boxes]
    assert any(lim is not None and lim["levels"] == "false" for lim in named)
    assert all(b.density == 1.0 for b in d.boxes)

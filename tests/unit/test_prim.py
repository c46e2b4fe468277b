"""Scenario discovery: the EMA Workbench's PRIM finds a planted failure region."""

from __future__ import annotations

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

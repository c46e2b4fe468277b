"""The effect estimator: known answers, and the forked counterfactual is the real one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collabsim.effects import (
    NEVER,
    cost_effectiveness,
    never_joint,
    paired_difference,
    run_forked,
    run_pair,
    scenario_differences,
)
from collabsim.runner import run
from collabsim.scenario import load_scenario

SMALL = {"burn_in_days": 60, "collaboration_start": 60, "steps": 150}


def test_paired_difference_known_answer():
    d = paired_difference([3.0, 5.0, 7.0, np.nan], [1.0, 2.0, 3.0, 4.0])
    assert d["n"] == 3 and d["effect"] == pytest.approx(3.0)  # diffs 2, 3, 4
    # t interval: mean 3, sd 1, n 3 -> half-width t(0.975, 2) / sqrt(3) = 2.4841
    assert d["ci_low"] == pytest.approx(3.0 - 2.4841, abs=1e-3)
    assert d["ci_high"] == pytest.approx(3.0 + 2.4841, abs=1e-3)
    assert d["relative"] == pytest.approx(3.0 / 2.0)
    same = paired_difference([1.0, 2.0], [1.0, 2.0])
    assert same["effect"] == 0 and same["p_value"] == 1.0


def test_never_joint_moves_only_the_start():
    sc = load_scenario("pbg")
    cf = never_joint(sc)
    assert cf.collaboration_start == NEVER
    assert cf.model_dump(exclude={"collaboration_start"}) == sc.model_dump(
        exclude={"collaboration_start"})


def test_the_forked_counterfactual_is_the_separate_never_joint_run():
    sc = load_scenario("pbg", SMALL)
    factual, twin = run_pair(sc, seed=9, n_citizens=800)
    alone = run(never_joint(sc), 9, n_citizens=800, window_start=sc.collaboration_start)
    pd.testing.assert_frame_equal(twin.timeseries, alone.timeseries)
    assert twin.summary == pytest.approx(alone.summary, nan_ok=True)
    same = run(sc, 9, n_citizens=800)
    pd.testing.assert_frame_equal(factual.timeseries, same.timeseries)
    # nothing differs before the start; something does after it
    pre = slice(0, sc.collaboration_start)
    pd.testing.assert_frame_equal(factual.timeseries.iloc[pre], twin.timeseries.iloc[pre])
    assert not factual.timeseries.iloc[sc.collaboration_start:].equals(
        twin.timeseries.iloc[sc.collaboration_start:])


def test_a_forked_variant_is_the_separate_run_with_its_intervention():
    sc = load_scenario("pbg", SMALL)
    change = {"agencies.pupr.leader_commitment": 0.8, "officers.recognition_weight": 0.2}
    out = run_forked(sc, seed=9, variants={"same": {}, "changed": change}, day=30,
                     n_citizens=800)
    alone = run(load_scenario(sc, {"interventions": [
        {"day": 30, "label": "changed", "set": change}]}), 9, n_citizens=800)
    pd.testing.assert_frame_equal(out["changed"].timeseries, alone.timeseries)
    assert out["changed"].summary == pytest.approx(alone.summary, nan_ok=True)
    pd.testing.assert_frame_equal(out["same"].timeseries, run(sc, 9, n_citizens=800).timeseries)
    # the arms part on day 30, not before
    pre = slice(0, 30)
    pd.testing.assert_frame_equal(out["same"].timeseries.iloc[pre],
                                  out["changed"].timeseries.iloc[pre])
    assert not out["same"].timeseries.iloc[30:].equals(out["changed"].timeseries.iloc[30:])


def _summaries() -> pd.DataFrame:
    rows = []
    for r in range(4):
        rows.append({"scenario": "base", "replicate": r, "permits_issued_total_after": 10.0 + r,
                     "cost_total_after": 1e6, "levy_collected_total_after": 0.0,
                     "permits_issued_per_month_after": 1.0 + r})
        rows.append({"scenario": "plus", "replicate": r, "permits_issued_total_after": 14.0 + r,
                     "cost_total_after": 3e6, "levy_collected_total_after": 100.0,
                     "permits_issued_per_month_after": 1.5 + r})
    return pd.DataFrame(rows)


def test_cost_effectiveness_known_answer():
    ce = cost_effectiveness(_summaries(), "base").set_index("measure")
    # +4 permits for +2e6 kRp = 2 bn Rp: 2 permits per bn Rp; 100 kRp levy per 2e6 kRp spent
    assert ce.loc["extra permits per bn Rp", "ratio"] == pytest.approx(2.0)
    assert ce.loc["levy gained per Rp spent", "ratio"] == pytest.approx(100 / 2e6)
    diffs = scenario_differences(_summaries(), "base")
    row = diffs[diffs.metric == "permits_issued_per_month_after"].iloc[0]
    assert row["difference"] == pytest.approx(0.5) and row["n"] == 4


def test_a_deep_copied_model_records_into_its_own_table():
    # A forked counterfactual is a deep copy: its data collector must append to its own
    # columns, not to the original's (a builtin bound `list.append` survives deepcopy
    # still bound to the original list).
    import copy

    from collabsim import CollabModel

    m = CollabModel("spp_irt", seed=3, n_citizens=500, overrides={"burn_in_days": 0})
    m.run(5)
    fork = copy.deepcopy(m)
    fork.run(3)
    assert len(m.datacollector.get_model_vars_dataframe()) == 5
    assert len(fork.datacollector.get_model_vars_dataframe()) == 8

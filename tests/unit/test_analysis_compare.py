"""Confidence intervals, effect sizes and the results loader of collabsim.analysis."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from collabsim.analysis import compare as cmp
from collabsim.analysis import toy
from collabsim.analysis.labels import outcome_label, parameter_label
from collabsim.analysis.results import load_results
from collabsim.errors import CollabsimError
from collabsim.runner import mean_ci


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return load_results(toy.write_planted_failure(tmp_path_factory.mktemp("pf") / "r", n=300,
                                                  n_failed_runs=4))


def test_welch_effect_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 12), rng.normal(1, 2, 9)
    e = cmp.welch_effect(a, b)
    t = stats.ttest_ind(b, a, equal_var=False)
    assert e["p_value"] == pytest.approx(t.pvalue)
    assert e["diff"] == pytest.approx(b.mean() - a.mean())
    assert e["diff_ci_low"] < e["diff"] < e["diff_ci_high"]
    ci = t.confidence_interval()
    assert (e["diff_ci_low"], e["diff_ci_high"]) == pytest.approx((ci.low, ci.high))
    assert e["hedges_g"] > 0


def test_paired_effect_matches_scipy():
    rng = np.random.default_rng(2)
    before = rng.normal(5, 1, 10)
    after = before + rng.normal(1, 0.5, 10)
    e = cmp.paired_effect(before, after)
    assert e["p_value"] == pytest.approx(stats.ttest_rel(after, before).pvalue)
    assert e["cohen_dz"] == pytest.approx((after - before).mean() / (after - before).std(ddof=1))
    assert e["n"] == 10


def test_effects_degenerate_inputs():
    assert np.isnan(cmp.welch_effect([], [1.0])["diff"])
    same = cmp.welch_effect([1.0, 1.0], [1.0, 1.0])
    assert same["diff"] == 0 and same["p_value"] == 1.0
    assert cmp.paired_effect([1.0], [2.0])["diff"] == 1.0


def test_point_table_equals_mean_ci():
    rng = np.random.default_rng(3)
    runs = pd.DataFrame({"scenario": "s", "sample": np.repeat([0, 1], 5),
                         "y": rng.normal(size=10)})

    stand_in = SimpleNamespace(ok=runs, outcomes=["y"], parameter_columns=[])
    table = cmp.point_table(stand_in)  # type: ignore[arg-type]
    for s in (0, 1):
        row = table[table["sample"] == s].iloc[0]
        m, lo, hi = mean_ci(runs.loc[runs["sample"] == s, "y"])
        assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((m, lo, hi))


def test_loader_reads_sweep_layout(planted):
    assert planted.kind == "sweep" and planted.sampler == "lhs"
    assert planted.parameter_columns[:2] == ["agencies.*.leader_commitment",
                                             "agencies.*.resources"]
    assert "levy_target_share_final" in planted.outcomes
    assert len(planted.failed) == 4 and len(planted.ok) == 296
    assert planted.parameters[3].kind == "int"


def test_factor_levels_bin_and_keep_levels(planted):
    labels, values = cmp.factor_levels(planted.ok["agencies.*.resources"], bins=4)
    assert labels.nunique() == 4 and values.nunique() == 4
    labels, values = cmp.factor_levels(planted.ok["licensing.joint_stages"])
    assert sorted(values.unique()) == [1, 2, 3, 4, 5, 6]
    table = cmp.factor_level_table(planted, ["levy_target_share_final"])
    low = table[(table.factor == "agencies.*.leader_commitment")].iloc[0]
    high = table[(table.factor == "agencies.*.leader_commitment")].iloc[-1]
    assert low["mean"] < high["mean"]  # the planted failures sit at low commitment
    eff = cmp.factor_effects(planted, ["levy_target_share_final"])
    assert (eff.loc[eff.factor == "agencies.*.leader_commitment", "diff"] > 0).all()


def test_loader_errors(tmp_path):
    with pytest.raises(CollabsimError, match="no such results directory"):
        load_results(tmp_path / "missing")
    with pytest.raises(CollabsimError, match="not a results directory"):
        load_results(tmp_path)
    d = toy.write_ishigami(tmp_path / "ish", n=8)
    (d / "manifest.json").write_text("{not json")
    with pytest.raises(CollabsimError, match="not valid JSON"):
        load_results(d)
    manifest = {"sampler": "sobol", "parameters": []}
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CollabsimError, match="SALib 'problem'"):
        load_results(d)


def test_loader_reads_compare_layout(tmp_path):
    runs = pd.DataFrame({"scenario": ["a", "a", "b", "b"], "replicate": [0, 1, 0, 1],
                         "seed": [5, 6, 5, 6], "days": 10,
                         "permits_issued_per_month_before": [1.0, 2, 3, 4],
                         "permits_issued_per_month_after": [2.0, 3, 5, 6]})
    runs.to_csv(tmp_path / "runs.csv", index=False)
    ts = pd.DataFrame({"scenario": ["a"] * 2, "replicate": [0, 0], "seed": 5, "day": [0, 1],
                       "permits_issued": [0.0, 1.0]})
    ts.to_parquet(tmp_path / "timeseries.parquet")
    res = load_results(tmp_path)
    assert res.kind == "compare" and res.scenarios == ["a", "b"]
    assert list(res.runs.run_id) == [0, 1, 2, 3] and (res.runs.status == "ok").all()
    assert "days" not in res.outcomes
    assert set(res.timeseries.columns) == {"run_id", "day", "permits_issued"}
    ba = cmp.before_after_table(res)
    assert set(ba.scenario) == {"a", "b"} and (ba["diff"] > 0).all()
    eff = cmp.scenario_effects(res)
    assert eff.loc[eff.metric == "permits_issued_per_month_after", "diff"].item() == 3.0


def test_labels_carry_units():
    assert parameter_label("agencies.*.leader_commitment") == \
        "leader commitment (all agencies) [0–1]"
    assert parameter_label("citizens.need_rate") == "need rate [1/day]"
    assert parameter_label("regulation", "agencies.pupr.regulation_ready").endswith(
        "(True/False)")
    assert outcome_label("permits_issued_per_month_after") == \
        "permits issued / month, after start"
    assert "days" in outcome_label("mean_processing_days_before")


def test_unfinished_sweep_is_named(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"n_runs": 10, "n_ok": 3, "n_failed": 1}))
    with pytest.raises(CollabsimError, match=r"not finished \(4 of 10 runs"):
        load_results(tmp_path)

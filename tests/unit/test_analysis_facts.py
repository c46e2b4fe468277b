"""Stylized-fact checks (DESIGN §3) on results with planted answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from SALib.sample import sobol as sobol_sample

from collabsim.analysis.facts import check_facts, facts_table
from collabsim.analysis.results import load_results
from collabsim.analysis.sensitivity import sensitivity


def _compare_dir(path, means: dict[str, dict[str, float]], n: int = 8, seed: int = 0):
    """A `collabsim compare`-style runs.csv with Normal outcomes around planted means."""
    rng = np.random.default_rng(seed)
    rows = []
    for scenario, cols in means.items():
        for r in range(n):
            rows.append({"scenario": scenario, "replicate": r, "seed": r, "days": 730,
                         **{c: m + rng.normal(0, 0.05 * abs(m) + 0.01) for c, m in cols.items()}})
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path / "runs.csv", index=False)
    return path


def _status(checks, fact):
    return facts_table(checks).set_index("fact").loc[fact, "status"]


def test_facts_1_to_3_from_a_comparison(tmp_path):
    lic = {"applications_submitted_per_month_before": 20, "permits_issued_per_month_before": 16}
    d = _compare_dir(tmp_path / "cmp", {
        "spp_irt": {**lic, "applications_submitted_per_month_after": 25,
                    "permits_issued_per_month_after": 21, "levy_target_share_final": 0.0,
                    "levy_target_share_after": 0.0},
        "pbg": {**lic, "applications_submitted_per_month_after": 9,
                "permits_issued_per_month_after": 2, "levy_target_share_final": 0.4,
                "levy_target_share_after": 0.4},
        "pbg_repaired": {**lic, "applications_submitted_per_month_after": 21,
                         "permits_issued_per_month_after": 18, "levy_target_share_final": 1.0,
                         "levy_target_share_after": 1.0},
    })
    checks = check_facts(load_results(d))
    assert _status(checks, 1) == "holds"
    assert _status(checks, 2) == "holds"
    assert _status(checks, 3) == "holds"
    assert _status(checks, 4) == "not testable"
    assert _status(checks, 6) == "not testable"
    ev = next(c for c in checks if c.fact == 1).evidence
    assert "one-sided p" in ev and "95 % CI" in ev


def test_fact1_fails_when_spp_irt_declines(tmp_path):
    d = _compare_dir(tmp_path / "cmp", {"spp_irt": {
        "applications_submitted_per_month_before": 20, "applications_submitted_per_month_after": 15,
        "permits_issued_per_month_before": 16, "permits_issued_per_month_after": 12}})
    assert _status(check_facts(load_results(d)), 1) == "does not hold"


def test_fact5_from_mobility_scenarios(tmp_path):
    mob = {"mobility_index_enforcement": 0.55, "compliance_rate_enforcement": 0.8,
           "awareness_rate_enforcement": 0.9}
    d = _compare_dir(tmp_path / "cmp", {
        "jcoc": mob,
        "jcoc_siloed": {**mob, "mobility_index_enforcement": 0.75},
        "jcoc_no_socialisation": {**mob, "compliance_rate_enforcement": 0.5,
                                  "awareness_rate_enforcement": 0.4},
    })
    checks = [c for c in check_facts(load_results(d)) if c.fact == 5]
    assert {c.part for c in checks} >= {"jcoc vs jcoc_siloed",
                                        "socialisation: jcoc vs jcoc_no_socialisation"}
    assert all(c.status == "holds" for c in checks), checks


def _sobol_dir(path, effects: dict[str, float], n: int = 256, noise: float = 0.01):
    names = list(effects)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=1)
    y = 10 + x @ np.array(list(effects.values()))
    y += np.random.default_rng(2).normal(0, noise, len(y))
    runs = pd.DataFrame({"run_id": np.arange(len(y)), "scenario": "spp_irt",
                         "sample": np.arange(len(y)), "replicate": 0, "seed": 1, "status": "ok",
                         "error": ""})
    for j, name in enumerate(names):
        runs[name] = x[:, j]
    runs["permits_issued_per_month_after"] = y
    path.mkdir(parents=True)
    runs.to_parquet(path / "runs.parquet")
    params = [{"name": nm, "column": nm, "keys": [nm], "kind": "float", "bounds": [0, 1]}
              for nm in names]
    (path / "manifest.json").write_text(json.dumps({
        "sampler": "sobol", "salib": {"calc_second_order": False}, "parameters": params,
        "problem": problem, "spec": {"scenarios": ["spp_irt"]}}))
    return load_results(path)


FOUR = {"agencies.*.facilitative_leadership": 1.0, "agencies.*.communication_openness": 2.0,
        "licensing.joint_stages": -1.5, "agencies.*.staff_competence": 3.0}


def test_fact4_holds_when_every_factor_matters(tmp_path):
    res = _sobol_dir(tmp_path / "s", FOUR)
    checks = check_facts(res, sensitivity(res))
    rows = [c for c in check_facts(res, sensitivity(res)) if c.fact == 4]
    assert len(rows) == 4 and all(c.status == "holds" for c in rows), rows
    assert _status(checks, 4) == "holds"
    assert "ST = " in rows[0].evidence


def test_fact4_flags_a_negligible_factor(tmp_path):
    res = _sobol_dir(tmp_path / "s", {**FOUR, "agencies.*.facilitative_leadership": 0.0})
    rows = {c.part.split(" (")[0]: c.status for c in check_facts(res, sensitivity(res))
            if c.fact == 4}
    assert rows["facilitative leadership"] == "does not hold"
    assert rows["competent staff"] == "holds"


@pytest.mark.parametrize("sign, expected", [(1.0, "holds"), (-1.0, "does not hold")])
def test_fact6_leader_commitment_and_effort(tmp_path, sign, expected):
    rng = np.random.default_rng(4)
    lc = rng.uniform(0.2, 0.9, 60)
    runs = pd.DataFrame({"run_id": range(60), "scenario": "pbg", "sample": range(60),
                         "replicate": 0, "seed": 1, "status": "ok", "error": "",
                         "agencies.*.leader_commitment": lc,
                         "mean_officer_effort_after": 0.5 + sign * 0.4 * lc
                         + rng.normal(0, 0.02, 60)})
    d = tmp_path / "lhs"
    d.mkdir()
    runs.to_parquet(d / "runs.parquet")
    (d / "manifest.json").write_text(json.dumps({"sampler": "lhs", "parameters": [
        {"name": "agencies.*.leader_commitment", "column": "agencies.*.leader_commitment",
         "keys": ["agencies.*.leader_commitment"], "kind": "float", "bounds": [0.2, 0.9]}]}))
    rows = [c for c in check_facts(load_results(d)) if c.fact == 6]
    assert [c.status for c in rows] == [expected]


def test_fact5_from_a_roles_and_socialisation_grid(tmp_path):
    rng = np.random.default_rng(6)
    rows = []
    for scenario, centre in (("jcoc", 0.0), ("jcoc_siloed", 0.1)):
        for clarity in (0.3, 0.6, 0.9):
            for reach in (0.0, 0.01, 0.03):
                for _ in range(3):
                    aware = 0.5 + 10 * reach + rng.normal(0, 0.01)
                    rows.append({"scenario": scenario, "agencies.*.role_clarity": clarity,
                                 "mobility.campaigns.*.reach": reach,
                                 "mobility_index_enforcement": 0.8 + centre - 0.2 * clarity
                                 + rng.normal(0, 0.01),
                                 "awareness_rate_enforcement": aware,
                                 "compliance_rate_enforcement": 0.6 * aware
                                 + rng.normal(0, 0.01)})
    runs = pd.DataFrame(rows)
    runs.insert(0, "run_id", range(len(runs)))
    runs["sample"], runs["replicate"], runs["seed"] = runs.run_id, 0, 1
    runs["status"], runs["error"] = "ok", ""
    d = tmp_path / "grid"
    d.mkdir()
    runs.to_parquet(d / "runs.parquet")
    params = [{"name": k, "column": k, "keys": [k], "kind": "float", "levels": v}
              for k, v in (("agencies.*.role_clarity", [0.3, 0.6, 0.9]),
                           ("mobility.campaigns.*.reach", [0.0, 0.01, 0.03]))]
    (d / "manifest.json").write_text(json.dumps({"sampler": "grid", "parameters": params}))
    rows = {c.part: c.status for c in check_facts(load_results(d)) if c.fact == 5}
    assert rows == {"jcoc vs jcoc_siloed": "holds", "awareness → compliance": "holds",
                    "clear roles (agencies.*.role_clarity)": "holds",
                    "socialisation (mobility.campaigns.*.reach)": "holds"}


def test_fact4_small_noisy_design_is_inconclusive_not_failed(tmp_path):
    res = _sobol_dir(tmp_path / "s", FOUR, n=8, noise=3.0)
    rows = [c for c in check_facts(res, sensitivity(res)) if c.fact == 4]
    assert "not testable" in {c.status for c in rows}
    assert any("inconclusive" in c.evidence for c in rows)

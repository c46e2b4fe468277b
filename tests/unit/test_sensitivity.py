"""Sobol and Morris indices recovered through the analysis path (known-answer oracles)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collabsim.analysis import toy
from collabsim.analysis.analyze import analyze
from collabsim.analysis.results import load_results
from collabsim.analysis.sensitivity import sensitivity


@pytest.fixture(scope="module")
def ishigami(tmp_path_factory):
    """Ishigami swept as collabsim sweep would write it, then `analyze`d (no re-runs)."""
    d = toy.write_ishigami(tmp_path_factory.mktemp("ish") / "sweep", n=1024, replications=2,
                           noise_sd=0.05, seed=3)
    return analyze(d, network=False, formats=("png",))


def test_ishigami_indices_match_known_values(ishigami):
    table = ishigami.tables["sensitivity"].set_index("parameter")
    for j, name in enumerate(["toy.x1", "toy.x2", "toy.x3"]):
        row = table.loc[name]
        assert abs(row.S1 - toy.ISHIGAMI_S1[j]) < 0.06, name
        assert abs(row.ST - toy.ISHIGAMI_ST[j]) < 0.06, name
        # the reported confidence interval covers the truth (with a little slack)
        assert abs(row.ST - toy.ISHIGAMI_ST[j]) <= max(row.ST_conf, 0.03)


def test_ishigami_ranking_and_outputs(ishigami):
    table = ishigami.tables["sensitivity"]
    assert list(table.sort_values("rank").parameter) == ["toy.x1", "toy.x2", "toy.x3"]
    out = ishigami.out
    assert (out / "tables" / "sensitivity.csv").is_file()
    back = pd.read_parquet(out / "tables" / "sensitivity.parquet")
    assert set(back.columns) >= {"outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf", "rank"}
    assert "sensitivity" in [f.name for f in ishigami.figures]


def test_second_order_design_is_recognised(tmp_path):
    d = toy.write_ishigami(tmp_path / "s2", n=256, calc_second_order=True)
    s = sensitivity(load_results(d))
    assert s.second_order is not None and len(s.second_order) == 3
    s13 = s.second_order.query("parameter_a == 'toy.x1' and parameter_b == 'toy.x3'").S2.item()
    assert s13 == pytest.approx(toy.ISHIGAMI_ST[2], abs=0.15)  # x1·x3 is the only interaction


def test_morris_linear_oracle(tmp_path):
    d = toy.write_linear_morris(tmp_path / "m", coefficients=(4.0, -2.0, 0.0))
    an = analyze(d, network=False, formats=("png",))
    table = an.tables["sensitivity"].set_index("parameter")
    assert table.mu_star.to_dict() == pytest.approx({"toy.x1": 4, "toy.x2": 2, "toy.x3": 0})
    assert table.loc["toy.x2", "mu"] == pytest.approx(-2)
    assert np.allclose(table.sigma, 0, atol=1e-9)
    assert table.loc["toy.x1", "rank"] == 1


def test_hole_in_design_skips_outcome_with_note(tmp_path):
    d = toy.write_ishigami(tmp_path / "h", n=64)
    runs = pd.read_parquet(d / "runs.parquet")
    runs.loc[runs["sample"] == 5, ["status", "error"]] = ["failed", "boom"]
    runs.loc[runs["sample"] == 5, "y"] = np.nan
    runs.to_parquet(d / "runs.parquet")
    s = sensitivity(load_results(d))
    assert s.indices.empty
    assert any("1 design point" in n for n in s.notes)


def test_indices_are_per_base_scenario(tmp_path):
    d = toy.write_ishigami(tmp_path / "two", n=256)
    runs = pd.read_parquet(d / "runs.parquet")
    other = runs.assign(scenario="linear", run_id=runs.run_id + len(runs),
                        y=3 * runs["toy.x2"])  # only x2 matters here
    pd.concat([runs, other]).to_parquet(d / "runs.parquet")
    s = sensitivity(load_results(d))
    assert set(s.indices.scenario) == {"toy", "linear"}
    lin = s.indices[s.indices.scenario == "linear"].set_index("parameter")
    assert lin.loc["toy.x2", "ST"] == pytest.approx(1, abs=0.05)
    assert lin.loc["toy.x1", "ST"] == pytest.approx(0, abs=0.02)
    assert (s.indices.groupby("scenario")["rank"].min() == 1).all()

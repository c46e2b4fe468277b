"""Posterior directories: loading, weighted draws, mapping onto scenarios, pooling the draws."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from collabsim.calibration.posterior import (
    PosteriorError,
    keys_overlap,
    load_posterior,
    make_plan,
    scenario_chain,
)
from collabsim.cli import main
from collabsim.effects import combine_draws, posterior_confidence_table
from collabsim.runner import mean_ci

PRIORS = {
    "beta_citizen": {"keys": ["choice.beta_citizen"], "scenarios": None,
                     "distribution": "loguniform", "bounds": [0.003, 0.03]},
    "pbg_permit_value": {"keys": ["licensing.permit_value"], "scenarios": ["pbg"],
                         "distribution": "uniform", "bounds": [400, 4000]},
    "spp_permit_value": {"keys": ["licensing.permit_value"], "scenarios": ["spp_irt"],
                         "distribution": "uniform", "bounds": [150, 1500]},
}


def write_posterior(path, rows=None, priors=None, weights=None):
    """A posterior directory in the format `collabsim calibrate` writes."""
    path.mkdir(parents=True, exist_ok=True)
    priors = PRIORS if priors is None else priors
    rows = rows if rows is not None else [
        {"beta_citizen": 0.005, "pbg_permit_value": 1000.0, "spp_permit_value": 300.0},
        {"beta_citizen": 0.01, "pbg_permit_value": 2000.0, "spp_permit_value": 600.0},
        {"beta_citizen": 0.02, "pbg_permit_value": 3000.0, "spp_permit_value": 900.0},
    ]
    df = pd.DataFrame(rows)
    df.insert(0, "generation", 1)
    df["weight"] = weights if weights is not None else 1.0 / len(df)
    df["distance"] = 0.5
    df["seed"] = np.arange(len(df), dtype="int64") + 100
    df.to_parquet(path / "posterior.parquet", index=False)
    (path / "calibration.json").write_text(json.dumps({
        "kind": "calibration", "name": "planted", "spec_hash": "abc123",
        "spec": {"name": "planted", "scenarios": ["pbg", "spp_irt"], "priors": priors}}))
    return path


# ------------------------------------------------------------------- loading
def test_loads_the_documented_format(tmp_path):
    post = load_posterior(write_posterior(tmp_path / "post"))
    assert post.name == "planted"
    assert post.names == ["beta_citizen", "pbg_permit_value", "spp_permit_value"]
    assert post.weights.sum() == pytest.approx(1.0)
    p = {q.name: q for q in post.parameters}
    assert p["beta_citizen"].scenarios is None and p["pbg_permit_value"].scenarios == ("pbg",)
    ident = post.identity()
    assert ident["particles"] == 3 and ident["generation"] == 1 and ident["spec_hash"] == "abc123"
    assert load_posterior(tmp_path / "post").hash == post.hash
    other = write_posterior(tmp_path / "other", rows=[
        {"beta_citizen": 0.006, "pbg_permit_value": 1000.0, "spp_permit_value": 300.0}])
    assert load_posterior(other).hash != post.hash


def test_draws_by_weight_reproducibly(tmp_path):
    post = load_posterior(write_posterior(tmp_path / "p", weights=[0.2, 0.3, 0.5]))
    a, b = post.draw(50, seed=7), post.draw(50, seed=7)
    assert [d.particle for d in a] == [d.particle for d in b]
    assert [d.draw for d in a] == list(range(50))
    assert [d.particle for d in post.draw(50, seed=8)] != [d.particle for d in a]
    assert a[0].values == {k: float(post.particles[k].iloc[a[0].particle])
                           for k in post.names}
    big = np.bincount([d.particle for d in post.draw(4000, seed=1)], minlength=3) / 4000
    np.testing.assert_allclose(big, [0.2, 0.3, 0.5], atol=0.03)
    only = load_posterior(write_posterior(tmp_path / "q", weights=[0.0, 0.0, 2.0]))
    assert {d.particle for d in only.draw(20, seed=3)} == {2}


# ------------------------------------------------------------------- mapping
def test_scenario_chain_follows_extends(tmp_path):
    assert scenario_chain("pbg") == ("pbg",)
    assert scenario_chain("pbg_repaired") == ("pbg_repaired", "pbg")
    mine = tmp_path / "mine.toml"
    mine.write_text('extends = "pbg_repaired"\nname = "my_town"\n')
    assert scenario_chain(mine) == ("my_town", "mine", "pbg_repaired", "pbg")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.toml").write_text('extends = "../mine.toml"\nname = "x"\n')
    assert scenario_chain("sub/x.toml", base_dir=tmp_path)[:2] == ("x", "my_town")


def test_overrides_apply_by_scenario_and_extends_chain(tmp_path):
    post = load_posterior(write_posterior(tmp_path / "p"))
    d = post.draw(1, seed=0)[0]
    row = post.particles.iloc[d.particle]
    pbg = post.overrides(d, scenario_chain("pbg"))
    assert pbg == {"choice.beta_citizen": row["beta_citizen"],
                   "licensing.permit_value": row["pbg_permit_value"]}
    assert post.overrides(d, scenario_chain("pbg_repaired")) == pbg  # extends pbg
    assert post.overrides(d, ("spp_irt",))["licensing.permit_value"] == row["spp_permit_value"]
    assert post.overrides(d, ("jcoc",)) == {"choice.beta_citizen": row["beta_citizen"]}
    assert post.overrides(d, ("pbg",), skip=["pbg_permit_value"]) == {
        "choice.beta_citizen": row["beta_citizen"]}


def test_integer_keys_are_floored(tmp_path):
    priors = {"staff": {"keys": ["agencies.*.n_officers"], "bounds": [1, 9]}}
    post = load_posterior(write_posterior(tmp_path / "p", rows=[{"staff": 4.7}],
                                          priors=priors))
    assert post.overrides(post.draw(1, 0)[0], ("pbg",)) == {"agencies.*.n_officers": 4}


def test_plan_warns_of_unused_parameters_and_leaves_out_explicit_keys(tmp_path):
    from collabsim.scenario import load_scenario

    post = load_posterior(write_posterior(tmp_path / "p"))
    draws = post.draw(3, seed=1)
    plan = make_plan(post, draws, {"pbg": ("pbg",)},
                     explicit={"pbg": [("licensing.permit_value", "--set")]},
                     bases={"pbg": load_scenario("pbg")})
    assert len(plan.overrides["pbg"]) == 3
    assert all(set(ov) == {"choice.beta_citizen"} for ov in plan.overrides["pbg"])
    assert any("spp_permit_value applies to none" in n for n in plan.notes)
    assert any("pbg_permit_value" in n and "set by --set" in n for n in plan.notes)
    assert plan.identity["used"] == ["beta_citizen"]
    desc = plan.describe()
    assert desc["draws"] == 3 and desc["drawn"][0]["particle"] == draws[0].particle
    assert plan.hash() == make_plan(post, draws, {"pbg": ("pbg",)},
                                    explicit={"pbg": [("licensing", "--set")]}).hash()


def test_plan_refuses_a_posterior_that_changes_nothing_and_bad_values(tmp_path):
    from collabsim.scenario import load_scenario

    priors = {"pbg_permit_value": PRIORS["pbg_permit_value"]}
    post = load_posterior(write_posterior(tmp_path / "p", priors=priors, rows=[
        {"pbg_permit_value": 1000.0}]))
    with pytest.raises(PosteriorError) as exc:
        make_plan(post, post.draw(2, 0), {"spp_irt": ("spp_irt",)})
    assert len(exc.value.problems) == 1 and "none of the posterior's parameters" in str(exc.value)
    bad = load_posterior(write_posterior(tmp_path / "bad", priors=priors, rows=[
        {"pbg_permit_value": -5.0}]))
    with pytest.raises(PosteriorError) as exc:
        make_plan(bad, bad.draw(2, 0), {"pbg": ("pbg",)}, bases={"pbg": load_scenario("pbg")})
    assert len(exc.value.problems) == 1
    assert "particle 0 (draw 0) in scenario pbg" in exc.value.problems[0]
    assert "licensing.permit_value" in exc.value.problems[0]


def test_keys_overlap():
    assert keys_overlap("agencies.*.resources", "agencies.pupr.resources")
    assert keys_overlap("licensing", "licensing.permit_value")
    assert not keys_overlap("licensing.permit_value", "licensing.value_of_time")
    assert not keys_overlap("steps", "choice.beta_citizen")


# -------------------------------------------------------------- bad inputs
def _break(path, what):
    if what == "no dir":
        return path / "nowhere"
    write_posterior(path)
    if what == "no json":
        (path / "calibration.json").unlink()
    elif what == "bad json":
        (path / "calibration.json").write_text("{not json")
    elif what == "no priors":
        (path / "calibration.json").write_text(json.dumps({"spec": {"name": "x"}}))
    elif what == "unknown key":
        (path / "calibration.json").write_text(json.dumps({"spec": {"priors": {
            "beta_citizen": {"keys": ["choice.no_such_key"]}}}}))
    elif what == "no parquet":
        (path / "posterior.parquet").unlink()
    elif what == "not parquet":
        (path / "posterior.parquet").write_text("hello")
    elif what == "missing column":
        pd.read_parquet(path / "posterior.parquet").drop(columns="spp_permit_value").to_parquet(
            path / "posterior.parquet")
    elif what == "nan value":
        df = pd.read_parquet(path / "posterior.parquet")
        df.loc[1, "beta_citizen"] = np.nan
        df.to_parquet(path / "posterior.parquet")
    elif what == "negative weight":
        df = pd.read_parquet(path / "posterior.parquet")
        df.loc[2, "weight"] = -1.0
        df.to_parquet(path / "posterior.parquet")
    return path


BAD = {"no dir": "no such posterior directory", "no json": "calibration.json: missing",
       "bad json": "not valid JSON", "no priors": "spec.priors: missing",
       "unknown key": "spec.priors.beta_citizen.keys", "no parquet": "posterior.parquet: missing",
       "not parquet": "cannot read as Parquet", "missing column": "missing column(s) "
       "spp_permit_value", "nan value": "column beta_citizen: row 1 is not a finite number",
       "negative weight": "column weight: row 2 is negative"}


@pytest.mark.parametrize("what", list(BAD))
def test_a_bad_posterior_is_one_line(tmp_path, what, capsys):
    path = _break(tmp_path / "p", what)
    with pytest.raises(PosteriorError) as exc:
        load_posterior(path)
    assert len(exc.value.problems) == 1 and BAD[what] in exc.value.problems[0]
    assert main(["compare", "pbg", "--posterior", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and BAD[what] in err[0]
    assert "Traceback" not in err[0] and not (tmp_path / "o").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["compare", "pbg", "--draws", "3"], "--draws: goes with --posterior DIR"),
    (["compare", "pbg", "--posterior", "P", "--draws", "1"], "--draws: must be at least 2"),
    (["compare", "pbg", "--posterior", "P", "--replications", "1"],
     "--replications: --posterior needs at least 2 per draw"),
    (["sweep", "pbg_preparedness_grid", "--posterior", "P", "--draws", "1", "--dry-run"],
     "--draws: at least 2 draws"),
    (["sweep", "pbg_preparedness_grid", "--draws", "4", "--dry-run"],
     "--draws: goes with --posterior DIR"),
], ids=lambda x: " ".join(x) if isinstance(x, list) else None)
def test_posterior_options_are_checked_in_one_line(tmp_path, argv, message, capsys):
    post = str(write_posterior(tmp_path / "post"))
    argv = [post if a == "P" else a for a in argv]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = [e for e in capsys.readouterr().err.strip().splitlines()
           if not e.startswith("warning: ")]
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "o").exists()


def test_a_sweep_plan_checks_the_spec_and_warns_of_one_replication(tmp_path, capsys):
    post = str(write_posterior(tmp_path / "post"))
    assert main(["sweep", "pbg_preparedness_grid", "--posterior", post, "--draws", "3",
                 "--replications", "1", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert ("24 runs = 1 scenario(s) × 8 point(s) (grid) × 3 posterior draw(s) × "
            "1 replication(s)") in out.out
    assert "replications = 1" in out.err and "spp_permit_value applies to none" in out.err
    # the spec varies nothing the posterior sets, but a [set] of the same key wins over it
    assert main(["sweep", "pbg_preparedness_grid", "--posterior", post, "--draws", "2",
                 "--set", "licensing.permit_value=900", "--dry-run"]) == 0
    assert "pbg_permit_value (licensing.permit_value) is set by the spec's [set]" in \
        capsys.readouterr().err


# ------------------------------------------------------ pooling over draws
def test_decomposition_on_planted_numbers_equals_the_hand_computed_value():
    # three draws of three runs: means 2, 5, 9; variances of the mean 1/3, 1/3, 4/3
    runs = pd.DataFrame({"scenario": "s", "posterior_draw": np.repeat([0, 1, 2], 3),
                         "replicate": np.tile([0, 1, 2], 3),
                         "y": [1, 2, 3, 4, 5, 6, 7, 9, 11]})
    row = posterior_confidence_table(runs).iloc[0]
    noise, between = 2 / 3, 37 / 3           # mean of u_d; variance of (2, 5, 9)
    param = (1 + 1 / 3) * between            # 148/9
    total = noise + param                    # 154/9
    df = total**2 / (noise**2 / 2 + param**2 / 2)   # = 23716/10970
    half = stats.t.ppf(0.975, df) * math.sqrt(total)
    assert row["mean"] == pytest.approx(16 / 3)
    assert row["noise_var"] == pytest.approx(noise)
    assert row["param_var"] == pytest.approx(148 / 9)
    assert row["total_var"] == pytest.approx(154 / 9)
    assert row["param_share"] == pytest.approx(74 / 77)
    assert row["df"] == pytest.approx(23716 / 10970)
    assert row["ci_low"] == pytest.approx(16 / 3 - half)
    assert row["ci_high"] == pytest.approx(16 / 3 + half)
    assert row["draws"] == 3 and row["n"] == 9


def test_identical_draws_have_no_parameter_variance_and_the_ordinary_interval():
    out = combine_draws([2.0, 2.0, 2.0], [1 / 3] * 3, [3, 3, 3])
    m, lo, hi = mean_ci([1, 2, 3])
    assert out["param_var"] == 0 and out["param_share"] == 0
    assert out["df"] == pytest.approx(2)
    assert (out["estimate"], out["ci_low"], out["ci_high"]) == pytest.approx((m, lo, hi))


def test_noiseless_runs_give_an_interval_over_the_draws():
    out = combine_draws([1.0, 2.0, 3.0, 4.0], [0.0] * 4, [2] * 4)
    assert out["noise_var"] == 0 and out["param_share"] == 1
    assert out["df"] == pytest.approx(3)
    assert out["total_var"] == pytest.approx(1.25 * np.var([1, 2, 3, 4], ddof=1))


def test_too_few_draws_or_runs_leave_the_split_undefined():
    assert math.isnan(combine_draws([1.0], [0.1], [3])["total_var"])
    assert math.isnan(combine_draws([1.0, 2.0], [np.nan, np.nan], [1, 1])["ci_low"])
    # a draw with one run (the metric undefined in its others) counts between, not within
    one = combine_draws([1.0, 2.0], [np.nan, 0.1], [1, 3])
    assert one["noise_var"] == pytest.approx(0.1) and one["param_var"] == pytest.approx(0.75)
    assert combine_draws([1.0, np.nan, 3.0], [0.1, 0.1, 0.1], [3, 0, 3])["draws"] == 2


def test_pooling_many_groups_at_once_equals_pooling_each():
    from collabsim.effects import _draw_stats, pool_draws

    rng = np.random.default_rng(4)
    runs = pd.DataFrame({"scenario": np.repeat(["a", "b"], 12),
                         "posterior_draw": np.tile(np.repeat([0, 1, 2, 3], 3), 2),
                         "y": rng.normal(size=24), "z": rng.normal(size=24)})
    runs.loc[5, "z"] = np.nan
    runs.loc[[13, 14], "z"] = np.nan  # draw 0 of b: a single run
    table = pool_draws(runs, ["scenario"], ["y", "z"])
    for r in table.itertuples():
        part = runs[runs.scenario == r.scenario]
        one = combine_draws(*_draw_stats(part[r.metric].to_numpy(float),
                                         part["posterior_draw"].to_numpy()))
        assert (r.mean, r.ci_low, r.ci_high, r.param_share, r.df) == pytest.approx(
            (one["estimate"], one["ci_low"], one["ci_high"], one["param_share"], one["df"]))
    assert int(table[(table.scenario == "a") & (table.metric == "z")]["n"].iloc[0]) == 11
    assert table["ci_low"].notna().all()

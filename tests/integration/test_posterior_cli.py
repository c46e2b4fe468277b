"""`compare` and `sweep` over a calibration's posterior, through the command line, cut small."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from collabsim.calibration.posterior import load_posterior
from collabsim.cli import main

#: Small, quick runs in which the collaboration starts and permits are issued.
FAST = ["--citizens", "2000", "--steps", "200", "--set", "collaboration_start=100",
        "--set", "burn_in_days=60"]

PRIORS = {
    "beta_citizen": {"keys": ["choice.beta_citizen"], "scenarios": None,
                     "distribution": "loguniform", "bounds": [0.003, 0.03]},
    "pbg_permit_value": {"keys": ["licensing.permit_value"], "scenarios": ["pbg"],
                         "distribution": "loguniform", "bounds": [400, 4000]},
    "spp_permit_value": {"keys": ["licensing.permit_value"], "scenarios": ["spp_irt"],
                         "distribution": "loguniform", "bounds": [150, 1500]},
}


def write_posterior(path, rows):
    """A posterior directory as `collabsim calibrate` writes it (docs/calibration.md)."""
    path.mkdir(parents=True)
    df = pd.DataFrame(rows)
    df.insert(0, "generation", 2)
    df["weight"] = 1.0 / len(df)
    df["distance"] = 1.0
    df["seed"] = np.arange(len(df), dtype="int64") + 7
    df.to_parquet(path / "posterior.parquet", index=False)
    (path / "calibration.json").write_text(json.dumps({
        "kind": "calibration", "name": "planted", "spec_hash": "0" * 64,
        "spec": {"name": "planted", "scenarios": ["pbg", "spp_irt"], "priors": PRIORS}}))
    return path


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    """Two particles far apart: a reluctant and an eager citizenry."""
    return write_posterior(tmp_path_factory.mktemp("post") / "post", [
        {"beta_citizen": 0.003, "pbg_permit_value": 400.0, "spp_permit_value": 150.0},
        {"beta_citizen": 0.03, "pbg_permit_value": 4000.0, "spp_permit_value": 1500.0}])


@pytest.fixture(scope="module")
def identical(tmp_path_factory):
    """Three copies of one particle: no parameter uncertainty at all."""
    row = {"beta_citizen": 0.02, "pbg_permit_value": 3000.0, "spp_permit_value": 900.0}
    return write_posterior(tmp_path_factory.mktemp("same") / "post", [row] * 3)


def _seed_drawing_both(path) -> int:
    """A root seed whose two draws are different particles."""
    post = load_posterior(path)
    return next(s for s in range(100) if len({d.particle for d in post.draw(2, s)}) == 2)


def test_compare_over_the_posterior_writes_every_table_with_the_split(posterior, tmp_path,
                                                                      capsys):
    out = tmp_path / "cmp"
    assert main(["compare", "pbg", "--variant", "reg:agencies.*.regulation_ready=true",
                 "--posterior", str(posterior), "--draws", "2", "--replications", "2",
                 "--seed", str(_seed_drawing_both(posterior)), "--out", str(out),
                 *FAST]) == 0
    printed = capsys.readouterr()
    assert "2 draws by weight × 2 replications" in printed.out and "% param" in printed.out
    assert "spp_permit_value applies to none" in printed.err  # a warning, not an error
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * 2 * 2  # scenarios × draws × replications
    assert {"posterior_draw", "posterior_particle", "posterior:beta_citizen",
            "posterior:pbg_permit_value"} <= set(runs)
    # common random numbers: one set of seeds in every draw and scenario
    seeds = runs.groupby(["scenario", "posterior_draw"])["seed"].apply(tuple)
    assert seeds.nunique() == 1
    # the parameter draw is shared across the compared scenarios, and it was applied
    per = runs.groupby("posterior_draw")["posterior_particle"].nunique()
    assert (per == 1).all() and runs["posterior_particle"].nunique() == 2
    pbg = runs[(runs.scenario == "pbg") & (runs.replicate == 0)]
    assert pbg["applications_submitted_per_month_after"].nunique() == 2
    drawn = pd.read_csv(out / "posterior_draws.csv")
    assert list(drawn["posterior_draw"]) == [0, 1]
    post = pd.read_parquet(posterior / "posterior.parquet")
    for r in drawn.itertuples():
        assert r.beta_citizen == post["beta_citizen"].iloc[r.posterior_particle]
    split = {"noise_var", "param_var", "total_var", "param_share", "draws", "df"}
    for name in ("compare", "effects", "differences", "cost_effectiveness"):
        table = pd.read_csv(out / f"{name}.csv")
        assert split <= set(table.columns), name
    fx = pd.read_csv(out / "effects.csv")
    assert set(fx["scenario"]) == {"pbg", "reg"} and (fx["n"] <= 4).all()
    # a count defined in every run pairs all 2 draws × 2 replications (metrics undefined in
    # a window without permits, such as processing days, drop their pair)
    counts = fx[fx["metric"] == "permits_issued_per_month_after"]
    assert len(counts) == 2 and (counts["n"] == 4).all()
    finite = fx.dropna(subset=["total_var"])
    np.testing.assert_allclose(finite["total_var"], finite["noise_var"] + finite["param_var"])
    manifest = json.loads((out / "manifest.json").read_text())
    post_entry = manifest["posterior"]
    assert post_entry["dir"] == str(posterior.resolve())
    assert post_entry["hash"] == load_posterior(posterior).hash
    assert [d["particle"] for d in post_entry["drawn"]] == list(drawn["posterior_particle"])
    assert set(post_entry["drawn"][0]["overrides"]) == {"pbg", "reg"}
    # the report pools the outcomes over the draws and re-runs a run with its draw's values
    capsys.readouterr()
    rid = int(np.flatnonzero((runs.scenario == "reg") & (runs.posterior_draw == 1))[0])
    html = out / "report.html"
    assert main(["report", str(out), "-o", str(html), "--citizens", "2000",
                 "--network-run", str(rid)]) == 0
    text = html.read_text()
    assert 'id="posterior"' in text and "Mean over the posterior draws" in text
    assert text.count("from the parameters") >= 3  # the split, effects, differences
    index = json.loads((out / "analysis" / "analysis.json").read_text())
    assert index["posterior"]["draws"] == 2 and "network" in index["figures"]
    assert not [n for n in index["notes"] if "network figure" in n]  # it reproduced


def test_identical_particles_leave_no_parameter_variance(identical, tmp_path, capsys):
    out = tmp_path / "same"
    assert main(["compare", "pbg", "--posterior", str(identical), "--draws", "2",
                 "--replications", "2", "--no-counterfactual", "--out", str(out),
                 *FAST]) == 0
    table = pd.read_csv(out / "compare.csv")
    defined = table.dropna(subset=["param_var"])
    assert len(defined) > 10
    np.testing.assert_allclose(defined["param_var"], 0.0, atol=1e-12)
    noisy = defined[defined["total_var"] > 0]
    assert len(noisy) and (noisy["param_share"] == 0).all()
    # and the pooled interval is the ordinary one of a comparison at those values
    plain = tmp_path / "plain"
    assert main(["compare", "pbg", "--replications", "2", "--no-counterfactual", "--out",
                 str(plain), "--set", "choice.beta_citizen=0.02",
                 "--set", "licensing.permit_value=3000.0", *FAST]) == 0
    ref = pd.read_csv(plain / "compare.csv").set_index("metric")
    got = table.set_index("metric").loc[ref.index]
    np.testing.assert_allclose(got["mean"], ref["mean"], rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got["ci_low"], ref["ci_low"], rtol=1e-6, atol=1e-9,
                               equal_nan=True)
    capsys.readouterr()


GRID = """
name = "posterior_grid"
scenarios = ["pbg"]
replications = 2
root_seed = {seed}
steps = 200
n_citizens = 2000
[set]
collaboration_start = 100
burn_in_days = 60
[sampler]
method = "grid"
[parameters."agencies.*.leader_commitment"]
levels = [0.3, 0.8]
"""


def test_sweep_over_the_posterior_is_stored_resumable_and_reported(posterior, tmp_path,
                                                                    capsys):
    spec = tmp_path / "grid.toml"
    spec.write_text(GRID.format(seed=_seed_drawing_both(posterior)))
    out = tmp_path / "sweep"
    argv = ["sweep", str(spec), "--posterior", str(posterior), "--draws", "2",
            "--sequential", "--quiet", "--out", str(out)]
    assert main([*argv, "--dry-run"]) == 0
    assert "8 runs = 1 scenario(s) × 2 point(s) (grid) × 2 posterior draw(s) × 2 " \
           "replication(s)" in capsys.readouterr().out
    assert main(argv) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 8 and (runs["status"] == "ok").all()
    assert list(runs["posterior_draw"]) == [0, 0, 1, 1] * 2
    assert runs.groupby("posterior_draw")["seed"].apply(tuple).nunique() == 1
    assert runs.groupby("posterior_draw")["posterior_particle"].nunique().eq(1).all()
    values = runs.groupby("posterior_draw")["posterior:pbg_permit_value"].first()
    assert sorted(values) == [400.0, 4000.0]
    assert runs["agencies.*.leader_commitment"].tolist() == [0.3] * 4 + [0.8] * 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["posterior"]["draws"] == 2 and manifest["posterior_hash"]
    capsys.readouterr()
    # resumable like every sweep: the same command finds it done; other draws are refused
    assert main(argv) == 0
    assert main([*argv[:5], "3", *argv[6:]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "--posterior and --draws" in err[-1]
    # the report's posterior section: which posterior, how many draws, the split
    html = tmp_path / "report.html"
    assert main(["report", str(out), "-o", str(html), "--no-network"]) == 0
    text = html.read_text()
    assert 'id="posterior"' in text and str(posterior) in text
    assert "from the parameters" in text and "The drawn particles" in text
    table = pd.read_csv(out / "analysis" / "tables" / "posterior_uncertainty.csv")
    assert {"scenario", "sample", "agencies.*.leader_commitment", "metric", "param_share",
            "noise_var", "param_var"} <= set(table)
    key = table[table.metric == "applications_submitted_per_month_after"]
    assert list(key["draws"]) == [2, 2] and key["param_share"].gt(0.5).all()
    assert "posterior_draw" not in set(table["metric"])  # not taken for an outcome


CALIBRATION = """
name = "tiny"
patterns = "{patterns}"
scenarios = ["pbg"]
replications = 1
root_seed = 3
n_citizens = 500
steps = 200

[abc]
population_size = 2
max_generations = 1
budget = 8
predictive_draws = 2

[priors.pbg_permit_value]
keys = ["licensing.permit_value"]
scenarios = ["pbg"]
distribution = "loguniform"
bounds = [400, 4000]
"""


def test_a_real_calibration_output_carries_into_compare(tmp_path, capsys):
    pytest.importorskip("pyabc")
    from collabsim.calibration.spec import CALIBRATION_DIR

    spec = tmp_path / "tiny.toml"
    spec.write_text(CALIBRATION.format(patterns=CALIBRATION_DIR / "patterns.toml"))
    cal = tmp_path / "cal"
    assert main(["calibrate", str(spec), "--out", str(cal), "--sequential", "--quiet"]) == 0
    post = pd.read_parquet(cal / "posterior.parquet")
    out = tmp_path / "cmp"
    # pbg_repaired extends pbg: the prior on pbg applies to it through the chain
    assert main(["compare", "pbg_repaired", "--posterior", str(cal), "--draws", "2",
                 "--replications", "2", "--no-counterfactual", "--out", str(out),
                 *FAST]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert set(runs["posterior:pbg_permit_value"]) <= set(post["pbg_permit_value"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["posterior"]["name"] == "tiny"
    drawn = manifest["posterior"]["drawn"][0]
    assert drawn["overrides"]["pbg_repaired"] == {
        "licensing.permit_value": drawn["values"]["pbg_permit_value"]}
    capsys.readouterr()


def test_the_shipped_posterior_carries_into_compare_of_both_presets(tmp_path, capsys):
    # calibration/posterior/jambi is what the README and the tutorials point to
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "calibration" / "posterior" / "jambi"
    post = load_posterior(shipped)
    out = tmp_path / "shipped"
    assert main(["compare", "spp_irt", "pbg", "--posterior", str(shipped), "--draws", "2",
                 "--replications", "2", "--no-counterfactual", "--out", str(out),
                 *FAST]) == 0
    runs = pd.read_csv(out / "runs.csv")
    table = pd.read_parquet(shipped / "posterior.parquet")
    assert set(runs["posterior:beta_citizen"]) <= set(table["beta_citizen"])
    assert runs["posterior_draw"].nunique() == 2
    assert {"param_var", "noise_var", "param_share"} <= set(pd.read_csv(out / "compare.csv"))
    assert post is not None
    capsys.readouterr()

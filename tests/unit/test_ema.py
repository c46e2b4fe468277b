"""collabsim.ema: a collabsim scenario as an EMA Workbench model."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from collabsim.ema import CollabsimFunction, ema_model, identifier, uncertainties_of
from collabsim.errors import CollabsimError
from collabsim.rng import replicate_seeds


@pytest.fixture(scope="module")
def ema():
    """The ``ema_workbench`` package, imported by the tests that use it (some 5 s), not at
    collection, which every worker of ``pytest -n`` would pay."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench

    return ema_workbench


SMALL = {"steps": 40, "n_citizens": 200}
# Outcomes defined in any run, however short (an informal share needs citizens who acted:
# NaN in a 40-day run of 200 citizens where none did).
OUT = ["levy_revenue_final", "mean_trust_final"]


def test_identifiers_are_valid_python_names():
    assert identifier("agencies.*.leader_commitment") == "agencies_all_leader_commitment"
    assert identifier("licensing.stages.0.fee") == "licensing_stages_0_fee"
    assert identifier("1abc").isidentifier()


def test_model_from_scenario_and_ranges(ema):
    m = ema_model(scenario="pbg", uncertainties={
        "agencies.*.leader_commitment": (0.2, 0.9), "agencies.pupr.regulation_ready": [True, False],
        "licensing.joint_stages": (2, 6),
        "citizens.social_network.kind": ["small_world", "random"]},
        outcomes=OUT, root_seed=5, **SMALL)
    params = {p.name: p for p in m.uncertainties}
    assert isinstance(params["agencies_all_leader_commitment"], ema.RealParameter)
    assert params["agencies_all_leader_commitment"].variable_name == \
        ["agencies.*.leader_commitment"]
    assert isinstance(params["agencies_pupr_regulation_ready"], ema.BooleanParameter)
    assert isinstance(params["licensing_joint_stages"], ema.IntegerParameter)
    assert isinstance(params["citizens_social_network_kind"], ema.CategoricalParameter)
    assert [o.name for o in m.outcomes] == OUT
    assert [c.value for c in m.constants] == replicate_seeds(5, 1)


def test_perform_experiments_runs_collabsim(ema):
    m = ema_model(scenario="pbg", uncertainties={"agencies.*.leader_commitment": (0.2, 0.9)},
                  outcomes=OUT, **SMALL)
    with ema.SequentialEvaluator(m) as ev:
        experiments, outcomes = ev.perform_experiments(scenarios=3, log_progress=False)
    assert len(experiments) == 3
    assert experiments["agencies_all_leader_commitment"].between(0.2, 0.9).all()
    assert set(outcomes) == set(OUT) and outcomes["mean_trust_final"].shape == (3,)
    assert np.isfinite(outcomes["levy_revenue_final"]).all()


def test_failed_run_returns_nan_instead_of_raising():
    fn = CollabsimFunction({"pbg": __import__("collabsim").load_scenario("pbg")},
                           {"lc": ["agencies.*.leader_commitment"]}, {"lc": "float"}, OUT,
                           steps=5, n_citizens=50)
    good = fn(lc=0.5, seed=1)
    bad = fn(lc=7.0, seed=1)  # outside the schema's 0–1: the run cannot start
    assert all(math.isfinite(v) for v in good.values())
    assert all(math.isnan(v) for v in bad.values())


def test_same_seed_same_outcome_and_integer_floor():
    fn = ema_model(scenario="pbg", uncertainties={"licensing.joint_stages": (2, 6)},
                   outcomes=OUT, **SMALL).function
    assert fn.overrides({"licensing.joint_stages": 3.7}) == {"licensing.joint_stages": 3}
    a = fn(**{"licensing.joint_stages": 3, "seed": 9})
    b = fn(**{"licensing.joint_stages": 3, "seed": 9})
    assert a == b


def test_replicator_model_derives_seeds(ema):
    m = ema_model(scenario="spp_irt", uncertainties={"agencies.*.staff_competence": (0.3, 0.9)},
                  outcomes=["mean_trust_final"], replications=3, root_seed=11, **SMALL)
    assert isinstance(m, ema.ReplicatorModel)
    assert [r["seed"] for r in m.replications] == replicate_seeds(11, 3)
    with ema.SequentialEvaluator(m) as ev:
        _, outcomes = ev.perform_experiments(scenarios=2, log_progress=False)
    assert outcomes["mean_trust_final"].shape == (2,)


def test_uncertainties_from_an_experiment_spec():
    from collabsim.experiments import load_experiment

    exp = load_experiment({
        "name": "ema_demo", "scenarios": ["pbg", "pbg_repaired"], "replications": 2,
        "root_seed": 3, "steps": 40, "n_citizens": 200, "sampler": {"method": "lhs", "n": 4},
        "parameters": {"agencies.*.resources": {"bounds": [0.3, 0.9]},
                       "stages": {"keys": ["licensing.joint_stages"], "bounds": [2, 5]}}})
    unc, settings = uncertainties_of(exp)
    assert [(u.name, u.kind, u.bounds) for u in unc] == [
        ("agencies.*.resources", "float", (0.3, 0.9)), ("stages", "int", (2.0, 5.0))]
    assert settings["steps"] == 40 and settings["root_seed"] == 3
    m = ema_model(exp, outcomes=OUT)
    names = [p.name for p in m.uncertainties]
    assert names == ["agencies_all_resources", "stages", "base_scenario"]
    assert m.function.key_paths["stages"] == ["licensing.joint_stages"]
    out = m.function(**{"agencies.*.resources": 0.5, "stages": 3, "base_scenario": "pbg_repaired",
                        "seed": 1})
    assert set(out) == set(OUT)


def test_a_spec_whose_parameters_act_from_the_start_runs_as_the_sweep_does():
    """parameters_from = "start": EMA's run makes the values an intervention on the start,
    so it equals the sweep's (forked) run of the same seed and values."""
    from collabsim.experiments import load_experiment, run_experiment

    exp = load_experiment({
        "name": "ema_start", "scenarios": ["pbg"], "replications": 1, "root_seed": 5,
        "steps": 60, "n_citizens": 300, "parameters_from": "start",
        "set": {"collaboration_start": 30, "warmup_days": 10, "burn_in_days": 10},
        "sampler": {"method": "grid"},
        "parameters": {"agencies.*.leader_commitment": {"levels": [0.3, 0.9]}}})
    sweep = run_experiment(exp, runner="sequential").runs
    m = ema_model(exp, outcomes=OUT)
    assert m.function.at_start
    for _, row in sweep.iterrows():
        got = m.function(**{"agencies.*.leader_commitment": row["agencies.*.leader_commitment"],
                            "seed": int(row["seed"])})
        assert got == {o: row[o] for o in OUT}
    assert sweep["mean_trust_final"].nunique() == 2  # the values did act


def test_bad_inputs():
    with pytest.raises(CollabsimError, match="give an experiment"):
        ema_model()
    with pytest.raises(CollabsimError, match="replications"):
        ema_model(scenario="pbg", uncertainties={"agencies.*.resources": (0, 1)}, replications=0,
                  outcomes=OUT)

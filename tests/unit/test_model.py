"""CollabModel as a mesa.Model: structure, scheduling, and Mesa's own tools."""

from __future__ import annotations

import multiprocessing

import mesa
import numpy as np
import pandas as pd
import pytest

import collabsim
from collabsim import CollabModel
from collabsim.agents import Agency, Citizen, Officer
from collabsim.metrics import UNDEFINED_WHEN_EMPTY
from collabsim.model import FLAT_PARAMETERS
from collabsim.scenario import load_scenario


def test_public_api_is_importable():
    for name in collabsim.__all__:
        assert hasattr(collabsim, name), name
    assert {"CollabModel", "Scenario", "ScenarioError", "load_scenario", "list_presets",
            "run", "compare"} <= set(collabsim.__all__)


def test_all_three_actor_kinds_are_mesa_agents():
    m = CollabModel("pbg", seed=1, n_citizens=20_000)
    assert isinstance(m, mesa.Model)
    agencies = m.agents_by_type[Agency]
    assert [a.key for a in agencies] == ["dpmptsp", "pupr", "bapenda"]
    assert len(m.agents_by_type[Citizen]) == 20_000
    # Officers scale with the citizens: (3 + 7 + 2) per 10,000, in full-time equivalents.
    assert len(m.agents_by_type[Officer]) == m.officers.n == 24
    assert m.officers.fte.sum() == 24
    assert all(isinstance(a, mesa.Agent) for a in m.agents)


def test_step_advances_one_day_and_collects_one_row():
    m = CollabModel("spp_irt", seed=1, n_citizens=500)
    assert m.day == 0 and not m.joint
    m.step()
    df = m.datacollector.get_model_vars_dataframe()
    assert m.day == 1 and len(df) == 1 and df["day"].iloc[0] == 0
    assert m.steps == 1  # Mesa's own counter agrees


def test_joint_arrangement_starts_on_the_collaboration_start():
    m = CollabModel("pbg", seed=1, n_citizens=500, collaboration_start=3,
                    overrides={"warmup_days": 0})
    seen = []
    for _ in range(5):
        seen.append(m.joint)
        m.step()
    assert seen == [False, False, False, True, True]


def test_commitment_does_not_move_before_the_start():
    m = CollabModel("pbg", seed=1, n_citizens=2000)
    m.run(100)
    for a in m.agency_list:
        assert a.commitment == a.leader_commitment
    df = m.datacollector.get_model_vars_dataframe()
    assert df["mean_trust"].nunique() == 1


def test_run_defaults_to_the_scenario_length():
    sc = load_scenario("pbg", {"steps": 12, "collaboration_start": 5, "warmup_days": 1,
                               "citizens.n": 300})
    df = CollabModel(sc, seed=1).run()
    assert len(df) == 12


def test_flat_keywords_set_the_mapped_key_paths():
    assert set(FLAT_PARAMETERS) >= {"leader_commitment", "resources", "regulation_ready",
                                    "joint_stages", "beta_citizen", "need_rate"}
    m = CollabModel(preset="spp_irt", seed=1, n_citizens=300, leader_commitment=0.25,
                    regulation_ready=False, beta_citizen=0.5, need_rate=0.002, joint_stages=2)
    c = m.config
    assert c.name == "spp_irt"
    assert {a.leader_commitment for a in c.agencies.values()} == {0.25}
    assert {a.regulation_ready for a in c.agencies.values()} == {False}
    assert c.choice.beta_citizen == 0.5 and c.citizens.need_rate == 0.002
    assert c.licensing.joint_stages == 2


def test_seed_is_kept_and_passed_to_mesa():
    m = CollabModel("pbg", seed=123, n_citizens=100)
    assert m.seed == 123
    a = CollabModel("pbg", seed=123, n_citizens=100).rng.random(5)
    np.testing.assert_array_equal(m.rng.random(5), a)


@pytest.fixture
def restore_start_method():
    # mesa.batch_run forces the "spawn" start method process-wide; undo it.
    method = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(method, force=True)


def test_mesa_batch_run_accepts_the_model(restore_start_method):
    results = mesa.batch_run(
        CollabModel,
        {"regulation_ready": [True, False], "leader_commitment": [0.2, 0.8], "n_citizens": 500},
        rng=[1, 2], max_steps=30, number_processes=1, display_progress=False)
    df = pd.DataFrame(results)
    assert len(df) == 8  # 2 × 2 parameter combinations × 2 seeds, last step only
    assert set(df["seed"]) == {1, 2}
    assert (df["Step"] == 30).all()
    assert set(df.columns[df.isna().any()]) <= UNDEFINED_WHEN_EMPTY
    # The parameters reached the runs: officers work harder for committed leaders.
    effort = df.groupby("leader_commitment")["mean_officer_effort"].mean()
    assert effort[0.8] > effort[0.2]
    # Same seed and parameters repeat exactly.
    again = pd.DataFrame(mesa.batch_run(
        CollabModel, {"regulation_ready": True, "leader_commitment": 0.2, "n_citizens": 500},
        rng=[2], max_steps=30, number_processes=1, display_progress=False))
    row = df[(df.seed == 2) & df.regulation_ready & (df.leader_commitment == 0.2)]
    cols = [c for c in again.columns if c not in ("RunId", "iteration")]
    pd.testing.assert_frame_equal(row[cols].reset_index(drop=True),
                                  again[cols].reset_index(drop=True))

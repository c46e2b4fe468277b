"""Mobility control (JCOC): agencies bring distinct functions, declared as scenario data.

``[mobility.functions]`` maps each function to the agencies holding it (CASE_FACTS
"Who does what"). These tests check the table is validated, and that each
function does what only its holders can do: CCTV captures become fines only
through a unit acting on them; checkpoint stops fine only where an officer with
fining authority stands; health checks and route management strengthen posts;
the baseline is stationary (awareness does not spread before the rules exist).
"""

from __future__ import annotations

import numpy as np
import pytest

from collabsim import CollabModel
from collabsim.scenario import ScenarioError, load_scenario

ENFORCEMENT_DAYS = 20
#: Every officer goes where the centre's plan puts it (adherence 1).
PERFECT_COORDINATION = {"agencies.*.role_clarity": 1.0, "agencies.*.communication_openness": 1.0,
                        "collaboration.initial_shared_understanding": 1.0}


def enforcement_frame(overrides: dict, seed: int = 1, n: int = 2000):
    """The enforcement-phase rows of a short jcoc run under ``overrides``."""
    model = CollabModel("jcoc", seed=seed, n_citizens=n, overrides=overrides)
    df = model.run(model.config.mobility.restriction_start + 1 + ENFORCEMENT_DAYS)
    return model, df[df["restriction_phase"] == 2]


# ---------------------------------------------------------------- the table
def test_an_unknown_agency_in_the_functions_table_is_an_error_naming_the_allowed_ones():
    with pytest.raises(ScenarioError) as err:
        load_scenario("jcoc", {"mobility.functions.fining": ["polresta", "police"]})
    text = str(err.value)
    assert "mobility.functions.fining" in text and "'police'" in text
    assert "polresta" in text and "satpolpp" in text  # the allowed agency keys


def test_an_unknown_function_is_an_error_naming_the_allowed_ones():
    with pytest.raises(ScenarioError) as err:
        load_scenario("jcoc", {"mobility.functions.arrest": ["polresta"]})
    text = str(err.value)
    assert "arrest" in text
    for name in ("cctv", "act_on_captures", "fining", "health_check", "route_management",
                 "local_outreach"):
        assert name in text


def test_the_jcoc_presets_declare_every_function_with_case_facts_holders():
    for preset in ("jcoc", "jcoc_siloed", "jcoc_no_socialisation"):
        f = load_scenario(preset).mobility.functions
        assert f.cctv == ["diskominfo"] and f.act_on_captures == ["polresta"]
        assert set(f.fining) == {"polresta", "satpolpp"}
        assert f.local_outreach == ["kecamatan"]


# ------------------------------------------------------------ CCTV → police
def test_captures_become_fines_only_through_a_unit_that_acts_on_them():
    _, acting = enforcement_frame({})
    _, nobody = enforcement_frame({"mobility.functions.act_on_captures": []})
    assert acting["cctv_acted_on"].sum() > 0
    assert nobody["cctv_captures"].sum() > 0 and nobody["cctv_acted_on"].sum() == 0


def test_the_police_response_rises_with_commitment_communication_and_staff():
    model, _ = enforcement_frame({})
    mob = model.mobility
    police = model.agency_list[model.agency_index["polresta"]]
    base = mob.capture_response()
    assert 0.0 < base < 1.0
    police.commitment *= 0.5
    assert mob.capture_response() == pytest.approx(0.5 * base)
    police.commitment *= 2.0
    police.communication_openness = 0.1
    assert mob.capture_response() < base
    police.communication_openness = load_scenario("jcoc").agencies["polresta"] \
        .communication_openness
    mob.officer_post[[o.index for o in police.patrol]] = -1  # nobody of the unit fielded
    assert mob.capture_response() == 0.0


# ------------------------------------------------------------ fining authority
def test_without_fining_authority_stops_are_warnings_only():
    _, df = enforcement_frame({"mobility.functions.fining": [],
                               "mobility.functions.act_on_captures": []})
    assert df["violations_detected"].sum() > 0
    assert df["fines_issued"].sum() == 0 and df["fines_collected"].max() == 0


def test_the_centre_puts_an_officer_with_fining_authority_at_every_post():
    clear = PERFECT_COORDINATION
    _, df = enforcement_frame(clear)
    assert (df["checkpoint_gaps"] == 0).all()
    assert (df["posts_without_fining"] == 0).all()
    # Contrast: agencies planning alone leave staffed posts without anyone who can fine.
    _, alone = enforcement_frame({**clear, "mobility.operations_centre": ""})
    assert alone["posts_without_fining"].mean() > 1.0


def test_the_centre_spreads_the_health_officers_over_the_entry_points():
    model, _ = enforcement_frame(PERFECT_COORDINATION)
    mob = model.mobility
    dinkes = model.agency_list[model.agency_index["dinkes"]]
    posts = mob.officer_post[[o.index for o in dinkes.patrol]]
    posts = posts[posts >= 0]
    assert np.unique(posts).size == posts.size  # one per post, none doubled
    assert mob.cp_entry[posts[:mob.cp_entry.sum()]].all()


# ------------------------------------------------- health checks and routes
def test_a_health_check_and_route_management_strengthen_the_posts():
    model, _ = enforcement_frame({})
    mob = model.mobility
    p = mob.params
    strength = mob.post_strength()
    health = mob.cp_function["health_check"]
    assert health.any() and (~health).any()
    crowd = np.minimum(1.0, mob.cp_needed / np.maximum(mob.cp_officers, 1))
    route = 1.0 + p.diversion_gain * mob.diversion()
    np.testing.assert_allclose(strength, mob.cp_staff * crowd * route
                               * (1.0 + p.screening_gain * health))
    assert mob.diversion() > 0.0
    model.agency_list[model.agency_index["dishub"]].commitment = 0.0
    assert mob.diversion() == 0.0


# ------------------------------------------------------- stationary baseline
def test_awareness_does_not_spread_before_the_rules_are_announced():
    overrides = {"mobility.campaigns": [], "mobility.restriction_start": 40,
                 "citizens.word_of_mouth_rate": 0.5}
    model = CollabModel("jcoc", seed=2, n_citizens=3000, overrides=overrides)
    start = model.mobility.aware.copy()
    df = model.run(40)
    np.testing.assert_array_equal(model.mobility.aware, start)
    assert df["awareness_rate"].nunique() == 1
    assert df["mobility_index"].between(0.95, 1.05).all()
    model.run(10)  # restrictions: now the rules are talked about
    assert model.mobility.aware.sum() > start.sum()


def test_a_burn_in_leaves_the_mobility_baseline_as_it_was():
    # Negative days are baseline days: nothing accumulates, accounts open at zero.
    plain = CollabModel("jcoc", seed=3, n_citizens=2000).run(35)
    burnt = CollabModel("jcoc", seed=3, n_citizens=2000,
                        overrides={"burn_in_days": 30}).run(35)
    for df in (plain, burnt):
        base = df[df["restriction_phase"] == 0]
        assert base["mobility_index"].between(0.95, 1.05).all()
        assert base["awareness_rate"].iloc[:23].nunique() == 1  # media campaign from day 23
        assert df["fines_collected"].iloc[0] == 0.0
    assert burnt["awareness_rate"].iloc[0] == pytest.approx(plain["awareness_rate"].iloc[0],
                                                            abs=0.02)

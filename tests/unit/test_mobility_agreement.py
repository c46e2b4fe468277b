"""The readable per-citizen travel choice agrees with the vectorised population path.

``Citizen.choose_travel`` (one citizen, written out) is the reference for
``MobilityService.travel_utilities`` + ``choose_with_uniforms`` (all citizens at
once). On the same uniforms they must make the same choice for every citizen of
a mid-run model, where awareness, perceived risk and norms have diverged.
"""

from __future__ import annotations

import numpy as np
import pytest

from collabsim import CollabModel
from collabsim.agents import Citizen
from collabsim.choice import choose_with_uniforms
from collabsim.rng import stream

OPTIONS = ("travel", "stay")


@pytest.fixture(scope="module")
def mid_run_jcoc() -> CollabModel:
    """A JCOC model (10,000 citizens) 15 days into enforcement. Read-only."""
    model = CollabModel("jcoc", seed=20261, n_citizens=10_000)
    model.run(model.config.mobility.restriction_start + 15)
    return model


def test_the_mid_run_state_is_varied(mid_run_jcoc):
    # Guards the agreement test against comparing identical, trivial inputs.
    mob = mid_run_jcoc.mobility
    assert mob.phase(mid_run_jcoc.day) == "enforcement"
    assert 0.05 < mob.aware.mean() < 0.999
    assert 0.05 < mob.essential.mean() < 0.95
    assert np.unique(mob.belief_detect).size > 100
    assert np.unique(mob.norm()).size > 5


@pytest.mark.parametrize("restricted", [True, False], ids=["restricted", "unrestricted"])
def test_per_citizen_choice_equals_the_vectorised_choice(mid_run_jcoc, restricted):
    model = mid_run_jcoc
    mob = model.mobility
    beta = model.config.choice.beta_citizen
    norm = mob.norm()
    uniforms = stream(4242, "test.travel_agreement").random(mob.need.size)

    u = mob.travel_utilities(restricted, norm)
    vectorised = choose_with_uniforms(u, beta, uniforms)

    citizens = sorted(model.agents_by_type[Citizen], key=lambda a: a.index)
    assert [c.index for c in citizens] == list(range(mob.need.size))
    per_citizen = np.array([OPTIONS.index(c.choose_travel(float(uniforms[c.index]), restricted,
                                                          float(norm[c.index])))
                            for c in citizens])
    per_utility = np.array([[c.travel_utilities(restricted, float(norm[c.index]))[o]
                             for o in OPTIONS] for c in citizens])

    # The vectorised path computes the pressure in float32: agree to well below 1 Rp.
    np.testing.assert_allclose(per_utility, u, rtol=0, atol=1e-3)
    mismatch = np.flatnonzero(per_citizen != vectorised)
    assert mismatch.size == 0, f"{mismatch.size} citizens differ, e.g. {mismatch[:10]}"
    share_travel = float((vectorised == 0).mean())
    assert 0.02 < share_travel < 0.98  # both options are actually chosen
    if restricted:
        # The restriction terms really entered: travel utilities are lower than need.
        assert (u[~mob.essential, 0] < mob.need[~mob.essential]).mean() > 0.5
    else:
        np.testing.assert_array_equal(u[:, 0], mob.need)

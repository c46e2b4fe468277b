"""The readable per-agent decisions agree with the vectorised paths the model runs.

Each :class:`Citizen` and :class:`Officer` keeps a written-out version of its
decision; the services decide for everyone at once with arrays. Given the same
uniform draws, both must pick the same option for every agent.
"""

from __future__ import annotations

import numpy as np
import pytest

from collabsim.agents import Citizen, Officer
from collabsim.choice import choose_with_uniforms
from collabsim.services.licensing import APPLIED

OPTIONS = ("apply", "informal", "wait")


@pytest.fixture(scope="module")
def citizens(mid_run_pbg):
    by_index = {c.index: c for c in mid_run_pbg.agents_by_type[Citizen]}
    assert len(by_index) == mid_run_pbg.population.n
    return by_index


def test_the_mid_run_model_has_varied_state(mid_run_pbg):
    lic = mid_run_pbg.licensing
    assert mid_run_pbg.joint
    assert np.unique(lic.belief_days).size > 100
    assert 0 < lic.informed.mean() < 1
    assert len({a.commitment for a in mid_run_pbg.agency_list}) > 1
    assert (lic.state == APPLIED).sum() >= 10


def test_citizen_utilities_agree(mid_run_pbg, citizens):
    lic = mid_run_pbg.licensing
    idx = np.arange(mid_run_pbg.population.n)
    vec = lic.applicant_utilities(idx)
    ref = np.array([[citizens[i].licensing_utilities()[o] for o in OPTIONS] for i in idx])
    np.testing.assert_allclose(vec, ref, rtol=1e-12, atol=1e-9)
    assert np.unique(vec[:, 0]).size > 10  # informed and uninformed, varied beliefs


def test_citizen_choices_agree_on_the_same_uniforms(mid_run_pbg, citizens):
    lic = mid_run_pbg.licensing
    idx = np.arange(mid_run_pbg.population.n)
    uniforms = np.random.default_rng(1).random(idx.size)
    vec = choose_with_uniforms(lic.applicant_utilities(idx),
                               mid_run_pbg.config.choice.beta_citizen, uniforms)
    ref = [citizens[i].choose_licensing_action(float(u)) for i, u in zip(idx, uniforms,
                                                                         strict=True)]
    assert [OPTIONS[k] for k in vec] == ref
    assert len(set(ref)) == 3  # every option is chosen by someone


def test_continue_utilities_agree(mid_run_pbg, citizens):
    lic = mid_run_pbg.licensing
    day = mid_run_pbg.day
    who = np.flatnonzero(lic.state == APPLIED)
    vec = lic.continue_utilities(who, day)
    elapsed = day - lic.files.submitted[lic.file_of[who]]
    ref = np.array([[citizens[i].continue_utilities(float(e))[k]
                     for k in ("continue", "abandon")] for i, e in zip(who, elapsed, strict=True)])
    np.testing.assert_allclose(vec, ref, rtol=1e-12, atol=1e-9)
    assert np.unique(elapsed).size > 1


def test_officer_effort_choices_agree(mid_run_pbg):
    m = mid_run_pbg
    officers = sorted(m.agents_by_type[Officer], key=lambda o: o.index)
    assert [o.index for o in officers] == list(range(m.officers.n))
    commitment = np.array([a.commitment for a in m.agency_list])
    efforts = []
    for seed in range(20):  # many draws: a handful of officers, four levels each
        uniforms = np.random.default_rng(seed).random(m.officers.n)
        m.officers.choose_efforts(commitment, uniforms)
        ref = [o.choose_effort(float(u)) for o, u in zip(officers, uniforms, strict=True)]
        np.testing.assert_array_equal(m.officers.effort, ref)
        efforts.extend(ref)
    assert len(set(efforts)) >= 3


def test_the_agreement_checks_can_fail(mid_run_pbg, citizens):
    # Negative control: a citizen told another rationality picks differently somewhere.
    lic = mid_run_pbg.licensing
    idx = np.arange(mid_run_pbg.population.n)
    uniforms = np.random.default_rng(1).random(idx.size)
    other = choose_with_uniforms(lic.applicant_utilities(idx), 0.0, uniforms)
    ref = [citizens[i].choose_licensing_action(float(u)) for i, u in zip(idx, uniforms,
                                                                         strict=True)]
    assert [OPTIONS[k] for k in other] != ref

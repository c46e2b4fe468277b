"""Per-agent common random numbers (collabsim.rng.AgentDraws, CollabModel.uniforms/sample)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

from collabsim import CollabModel
from collabsim.rng import AgentDraws
from collabsim.services.licensing import NEEDING


def test_an_agents_uniform_does_not_depend_on_who_else_draws():
    d = AgentDraws(7)
    everyone = d.uniforms("citizens.choice", 12, np.arange(1000))
    some = np.array([999, 3, 500, 3])
    np.testing.assert_array_equal(d.uniforms("citizens.choice", 12, some), everyone[some])


def test_decisions_days_slots_and_seeds_get_different_numbers():
    ids = np.arange(2000)
    base = AgentDraws(7).uniforms("a", 5, ids)
    for other in (AgentDraws(7).uniforms("b", 5, ids), AgentDraws(7).uniforms("a", 6, ids),
                  AgentDraws(7).uniforms("a", 5, ids, slot=1), AgentDraws(8).uniforms("a", 5, ids),
                  AgentDraws(7).uniforms("a", -5, ids)):
        assert abs(stats.pearsonr(base, other)[0]) < 0.1
        assert not np.array_equal(base, other)


def test_the_numbers_are_uniform():
    u = AgentDraws(2026).uniforms("licensing.process", 3, np.arange(100_000))
    assert stats.kstest(u, "uniform").pvalue > 0.001
    assert u.min() >= 0 and u.max() < 1
    # one agent over many days: also uniform, and not autocorrelated
    v = np.array([AgentDraws(2026).uniforms("x", t, np.array([42]))[0] for t in range(3000)])
    assert stats.kstest(v, "uniform").pvalue > 0.001
    assert abs(np.corrcoef(v[1:], v[:-1])[0, 1]) < 0.1


def small(mode: str, **extra: object) -> CollabModel:
    return CollabModel("pbg", seed=11, n_citizens=2000,
                       overrides={"random_numbers": mode, "burn_in_days": 60,
                                  "citizens.word_of_mouth_rate": 0.0, **extra})


def test_coupled_sample_reaches_a_subset_at_a_lower_rate():
    m = small("agent")
    low, high = m.sample("citizens.outreach", 0.002, cap=0.01), \
        m.sample("citizens.outreach", 0.008, cap=0.01)
    assert set(low) <= set(high) and len(high) > len(low) > 0
    # the same day, the same draw; a different day, a different one
    np.testing.assert_array_equal(m.sample("citizens.outreach", 0.008, cap=0.01), high)
    m.step()
    assert not np.array_equal(m.sample("citizens.outreach", 0.008, cap=0.01), high)


@pytest.mark.parametrize("mode", ["agent", "stream"])
def test_one_changed_citizen_leaves_the_others_deciding_the_same_way(mode):
    """Fork a run, change one deliberating citizen's expectation, compare the next 60 days.

    Nothing couples the citizens but the random numbers: word of mouth and public
    information are off (no one hears of the change or of its effect on the published
    waits) and the desks have ample capacity (one file fewer does not let another
    through sooner). With per-agent CRN only that citizen can then differ; with
    streams drawn in sequence its different choice shifts other files' later draws.
    """
    start = small(mode, **{"citizens.outreach_rate": 0.0, "officers.productivity": 50.0})
    start.run(20)
    probe = copy.deepcopy(start)
    needing = np.flatnonzero(start.licensing.state == NEEDING)
    for _ in range(30):
        probe.step()
    # a citizen deliberating on day 20 who, left alone, went on to apply
    who = int(needing[probe.licensing.file_of[needing] >= 0][0]) \
        if (probe.licensing.file_of[needing] >= 0).any() else int(needing[0])
    a, b = copy.deepcopy(start), copy.deepcopy(start)
    b.licensing.belief_days[who] = 1e6  # this citizen now expects never to be served
    for _ in range(60):
        a.step()
        b.step()
    la, lb = a.licensing, b.licensing
    differ = np.flatnonzero((la.state != lb.state) | (la.belief_days != lb.belief_days)
                            | (la.belief_detect != lb.belief_detect)
                            | (la.informed != lb.informed))
    # the other citizens' files (file ids shift with the missing file: compare by citizen)
    both = np.flatnonzero((la.file_of >= 0) & (lb.file_of >= 0))
    fa, fb = la.file_of[both], lb.file_of[both]
    files_differ = both[(la.files.stage[fa] != lb.files.stage[fb])
                        | (la.files.ready[fa] != lb.files.ready[fb])
                        | (la.files.status[fa] != lb.files.status[fb])]
    others = np.setdiff1d(np.union1d(differ, files_differ), [who])
    assert la.state[who] != lb.state[who] or la.file_of[who] != lb.file_of[who]  # it changed
    if mode == "agent":
        assert others.size == 0, others
    else:
        # streams: the one changed choice moves the deliberation draws of everyone after it
        assert others.size > 0


def test_stream_mode_is_the_sequential_draw():
    m = small("stream")
    ids = np.arange(5)
    expected = copy.deepcopy(m.stream("citizens.choice")).random(5)
    np.testing.assert_array_equal(m.uniforms("citizens.choice", ids), expected)


def test_reseed_keeps_the_state_and_draws_the_rest_from_the_new_seed():
    """Continuations of one state: the same new seed repeats the rest of the run, another
    seed changes it, and the state on the day of the reseed is the model's own."""
    m = CollabModel("pbg", seed=3, n_citizens=600, overrides={"burn_in_days": 20})
    m.run(40)
    backlog = m.licensing.files.n
    runs = []
    for seed in (11, 11, 12):
        c = copy.deepcopy(m)
        c.reseed(seed)
        assert c.seed == seed and c.licensing.files.n == backlog and c.day == m.day
        runs.append(c.run(60).reset_index(drop=True).iloc[40:])
    assert runs[0].equals(runs[1])
    assert not runs[0].equals(runs[2])
    m.run(60)  # the original goes on with its own seed, unlike either continuation
    own = m.datacollector.get_model_vars_dataframe().reset_index(drop=True).iloc[40:]
    assert not own.equals(runs[0])

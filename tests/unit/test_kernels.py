"""The compiled loops give exactly what the NumPy code they replace gave."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from collabsim._kernels import (
    LOGIT_MAX_OPTIONS,
    desk_queue,
    desk_strength,
    logit_choice,
    ready_files,
    splitmix_uniforms,
    word_of_mouth,
)
from collabsim.rng import _MASK, AgentDraws, _mix

_GAMMA = 0x9E3779B97F4A7C15


def test_uniforms_are_splitmix64_outputs_known_by_python_integers():
    """Known answer: SplitMix64 on Python's unbounded integers, reduced to 64 bits by hand."""
    draws = AgentDraws(2026)
    key = draws.key("citizens.choice", 17, 1)
    ids = np.array([0, 1, 5, 9_999, 633_649, 2**40])
    want = [(_mix(((i + 1) * _GAMMA + key) & _MASK) >> 11) / 2**53 for i in ids.tolist()]
    assert draws.uniforms("citizens.choice", 17, ids, 1).tolist() == want
    assert splitmix_uniforms(ids, np.uint64(key)).tolist() == want


@pytest.mark.parametrize("day", [-730, -1, 0, 17, 2**40])
@pytest.mark.parametrize("slot", [0, 1, 31])
def test_decision_keys_are_the_python_integer_formula(day, slot):
    """Known answer: ``mix(mix(base + day) + slot)`` on Python integers, a negative day wrapped."""
    import zlib

    draws = AgentDraws(2026)
    base = _mix(_mix(2026) ^ zlib.crc32(b"citizens.choice"))
    assert draws.key("citizens.choice", day, slot) == _mix(_mix(base + (day & _MASK)) + slot)


def _numpy_logit_choice(u: np.ndarray, beta: float, uniforms: np.ndarray) -> np.ndarray:
    """The NumPy formulation :func:`logit_choice` replaced (collabsim.choice before it)."""
    from scipy.special import expit

    if u.shape[-1] == 2:
        return (uniforms >= expit(beta * (u[:, 0] - u[:, 1]))).astype(np.intp)
    v = u * beta
    e = np.exp(v - v.max(axis=-1, keepdims=True))
    cdf = np.cumsum(e / e.sum(axis=-1, keepdims=True), axis=-1)
    return np.minimum((uniforms[:, None] >= cdf).sum(axis=-1), u.shape[-1] - 1)


@pytest.mark.parametrize("k", range(2, LOGIT_MAX_OPTIONS + 1))
def test_logit_choice_equals_numpy_on_the_boundaries(k):
    """Uniforms exactly on a CDF value and one step below it: any last-bit difference shows."""
    from scipy.special import expit

    rng = np.random.default_rng(k)
    for trial in range(60):
        n = int(rng.integers(1, 300))
        u = rng.normal(0.0, 10 ** rng.uniform(-2, 3), (n, k))
        if trial % 5 == 0:
            u[:, 1] = u[:, 0]  # ties
        beta = float(10 ** rng.uniform(-2, 1.5))
        if k == 2:
            edge = expit(beta * (u[:, 0] - u[:, 1]))
        else:
            v = u * beta
            e = np.exp(v - v.max(axis=-1, keepdims=True))
            cdf = np.cumsum(e / e.sum(axis=-1, keepdims=True), axis=-1)
            edge = cdf[np.arange(n), rng.integers(0, k, n)]
        uniforms = np.where(rng.random(n) < 0.5, edge, np.nextafter(edge, 0.0))
        np.testing.assert_array_equal(logit_choice(u, beta, uniforms),
                                      _numpy_logit_choice(u, beta, uniforms))


def test_uniforms_keep_the_shape_and_take_any_integer_ids():
    draws = AgentDraws(7)
    grid = np.arange(12).reshape(3, 4)
    u = draws.uniforms("x", 3, grid)
    assert u.shape == (3, 4) and u.dtype == np.float64
    np.testing.assert_array_equal(u.ravel(), draws.uniforms("x", 3, np.arange(12)))
    for ids in (np.arange(12, dtype=np.int32), np.arange(12, dtype=np.uint16), list(range(12))):
        np.testing.assert_array_equal(draws.uniforms("x", 3, ids), u.ravel())
    assert draws.uniforms("x", 3, np.zeros(0, dtype=np.int64)).shape == (0,)


def _word_of_mouth_numpy(listeners, speakers, passes_on, w, day, state, waiting, file_of,
                         submitted, belief_days, belief_detect, informed):
    """The NumPy formulation the kernel replaced (fancy-indexed gathers and scatters)."""
    told_days = belief_days[speakers]
    applying = state[speakers] == waiting
    if applying.any():
        elapsed = day - submitted[file_of[speakers[applying]]]
        told_days[applying] = np.maximum(told_days[applying], elapsed)
    before = belief_days[listeners]
    before += w * (told_days - before)
    belief_days[listeners] = before
    before = belief_detect[listeners]
    before += w * (belief_detect[speakers] - before)
    belief_detect[listeners] = before
    heard = informed[listeners]
    heard |= informed[speakers] & passes_on
    informed[listeners] = heard


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 30), data=st.data())
def test_word_of_mouth_equals_fancy_indexing_with_repeated_listeners(n, data):
    """Repeated listeners (the last conversation stands), speakers who are listeners too."""
    k = data.draw(st.integers(0, 60))
    idx = hnp.arrays(np.int64, k, elements=st.integers(0, n - 1))
    listeners, speakers = data.draw(idx), data.draw(idx)
    passes_on = data.draw(hnp.arrays(np.bool_, k))
    floats = st.floats(0, 400, allow_nan=False)
    belief_days = data.draw(hnp.arrays(np.float64, n, elements=floats))
    belief_detect = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0, 1)))
    informed = data.draw(hnp.arrays(np.bool_, n))
    state = data.draw(hnp.arrays(np.int8, n, elements=st.integers(0, 2)))
    submitted = data.draw(hnp.arrays(np.float64, n, elements=st.floats(-800, 300)))
    file_of = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, n - 1)))
    w, day = data.draw(st.floats(0, 1)), float(data.draw(st.integers(-730, 1460)))
    want = [belief_days.copy(), belief_detect.copy(), informed.copy()]
    _word_of_mouth_numpy(listeners, speakers, passes_on, w, day, state, 2, file_of, submitted,
                         *want)
    word_of_mouth(listeners, speakers, passes_on, w, day, state, 2, file_of, submitted,
                  belief_days, belief_detect, informed)
    for got, exp in zip((belief_days, belief_detect, informed), want, strict=True):
        np.testing.assert_array_equal(got, exp)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_desk_queue_serves_what_lexsort_orders_up_to_each_capacity(data):
    """The NumPy formulation it replaced: ``np.lexsort((active, submitted, owner))``, then
    each agency's first ``⌊capacity⌋`` files, carrying at most one file's worth when emptied."""
    n_files, n_ag = data.draw(st.integers(1, 40)), data.draw(st.integers(1, 4))
    n_stages = data.draw(st.integers(1, 6))
    agency = data.draw(hnp.arrays(np.int64, n_stages, elements=st.integers(0, n_ag - 1)))
    stage = data.draw(hnp.arrays(np.int16, n_files, elements=st.integers(0, n_stages - 1)))
    # few distinct days: many files submitted the same day (the index breaks the tie)
    submitted = data.draw(hnp.arrays(np.float64, n_files,
                                     elements=st.integers(-5, 5).map(float)))
    active = np.flatnonzero(data.draw(hnp.arrays(np.bool_, n_files)))
    capacity = data.draw(hnp.arrays(np.float64, n_ag, elements=st.floats(0, 12)))
    if active.size == 0:
        return
    owner = agency[stage[active]]
    ordered = active[np.lexsort((active, submitted[active], owner))]
    counts = np.bincount(owner, minlength=n_ag).tolist()
    want, carry_want, start = [], [], 0
    for cap, waiting in zip(capacity.tolist(), counts, strict=True):
        k = min(int(cap), waiting)
        carry_want.append(min(cap - k, 1.0) if k == waiting else cap - k)
        want.append(ordered[start:start + k])
        start += waiting
    carry = np.full(n_ag, np.nan)
    got = desk_queue(active, stage, agency, submitted, capacity, carry)
    np.testing.assert_array_equal(got, np.concatenate(want))
    assert carry.tolist() == carry_want


def _complete_stage_numpy(lic, ids, quality, day):
    """The NumPy formulation :func:`stage_outcomes` replaced (the model's rules as they were
    written before: reject / rework / pass, the levy, issue, hand-offs and the ties)."""
    m, f = lic.model, lic.files
    st_ = f.stage[ids].astype(int)
    table = lic.stage_arrays()
    reject_p, owner = table.reject_prob[st_], table.agency[st_]
    openness = lic.guidance_openness()[owner]
    rework_p = np.clip(table.rework_prob[st_] * (1.5 - openness) * (1.5 - quality[owner])
                       + lic.learning_errors(day) * (1.0 - quality[owner]), 0.0, 0.95)
    u = m.uniforms("licensing.process", lic.slots(ids))
    rejected = u < reject_p
    rework = ~rejected & (u < reject_p + rework_p * (1 - reject_p))
    f.ready[ids[rework]] = day + table.rework_days[st_[rework]]
    gone = ids[rejected]
    if gone.size:
        f.status[gone] = 2
        lic.state[f.citizen[gone]] = 1
        lic.file_of[f.citizen[gone]] = -1
        lic.today["rejected"] += gone.size
    ids = ids[~rejected & ~rework]
    if ids.size == 0:
        return
    st_ = f.stage[ids].astype(int)
    ids = ids[np.argsort(st_, kind="stable")]
    groups = [(s, ids[f.stage[ids] == s]) for s in np.unique(st_).tolist()]
    for s, g in groups:
        stage = lic.stages[s]
        lic.fee_revenue += stage.fee * g.size
        if not stage.levy:
            continue
        if lic.regulation_in_force(stage.agency):
            paid = g.size
        else:
            asked = g[f.mode[g] == 2]
            unpaid = int(np.count_nonzero(m.uniforms("licensing.unpaid", lic.slots(asked))
                                          < lic.params.unregulated.unpaid_share))
            lic.today["unpaid"] += unpaid
            paid = asked.size - unpaid
        lic.levy_revenue += stage.levy * paid
        lic.levy_today += stage.levy * paid
    if groups[-1][0] == lic.n_stages - 1:
        g = groups.pop()[1]
        f.status[g] = 1
        cit, took = f.citizen[g], day - f.submitted[g]
        lam = m.config.citizens.learning_rate
        lic.belief_days[cit] = (1 - lam) * lic.belief_days[cit] + lam * took
        lic.state[cit] = 0
        lic.file_of[cit] = -1
        lic._today_durations.append(took)
        lic._issued_days += float(took.sum())
        lic._issued_count += int(took.size)
        lic.today["issued"] += g.size
    for s, g in groups:
        a, b = lic.stages[s].agency, lic.stages[s + 1].agency
        delay = np.zeros(g.size)
        if a != b:
            mean_delay, loss = lic.handoff_terms(a, b)
            lost = m.uniforms("licensing.handoff", lic.slots(g)) < loss
            delay = mean_delay + lost * m.config.collaboration.bounce_days
            failures = int(np.count_nonzero(lost))
            lic.today["handoffs"] += g.size
            lic.today["handoff_failures"] += failures
            lic._today_delays.append(delay)
            if m.joint:
                lic._tie_outcomes(a, b, g.size - failures, failures)
        f.stage[g] = s + 1
        f.transit_until[g] = day + delay
        f.ready[g] = day + delay + lic.stages[s + 1].service_days


def _exact(x):
    """Arrays as their dtype and bytes (bit for bit), containers element by element."""
    if isinstance(x, np.ndarray):
        return (x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, list | tuple):
        return [_exact(v) for v in x]
    if isinstance(x, dict):
        return {k: _exact(v) for k, v in x.items()}
    return (type(x).__name__, repr(x))


def _licensing_state(lic):
    """Everything the day's stage outcomes write, exactly."""
    f = lic.files
    cols = [getattr(f, k)[: f.n].copy() for k in f._dtypes]
    ties = [sorted(d.items()) for _, _, d in lic.model.collaboration_graph.edges(data=True)]
    return _exact([cols, lic.state, lic.file_of, lic.belief_days, ties, dict(lic.today),
                   lic.fee_revenue, lic.levy_revenue, lic.levy_today, lic._issued_days,
                   lic._issued_count, np.concatenate([np.zeros(0), *lic._today_durations]),
                   np.concatenate([np.zeros(0), *lic._today_delays])])


@pytest.mark.parametrize(("preset", "mode", "start", "acted"), [
    # siloed: letters, lost files bounce
    ("pbg", "agent", 200, ("issued", "handoffs", "handoff_failures")),
    # joint, regulation missing: levies left unpaid, ties learn from wins and failures
    ("pbg", "agent", 0, ("issued", "handoffs", "handoff_failures", "unpaid")),
    # joint, regulation in force
    ("pbg_repaired", "agent", 0, ("issued", "handoffs")),
    # stream mode (the streams' numbers in the rules' order), exams that reject
    ("spp_irt", "stream", 30, ("issued", "handoffs", "rejected")),
])
def test_stage_outcomes_equal_the_numpy_rules_on_running_models(preset, mode, start, acted):
    """Every file of a day's worked set, on copies of a running model: kernel vs NumPy rules."""
    import copy

    from collabsim import CollabModel

    model = CollabModel(preset, seed=3, n_citizens=3000,
                        overrides={"burn_in_days": 60, "random_numbers": mode,
                                   "collaboration_start": start})
    seen = dict.fromkeys(("rejected", "issued", "handoffs", "handoff_failures", "unpaid"), 0)
    days = 80
    for day in range(days):
        model.step()
        lic = model.licensing
        f = lic.files
        ready = np.flatnonzero(f.status[: f.n] == 0)
        if ready.size == 0:
            continue
        rng = np.random.default_rng(day)
        ids = np.sort(rng.choice(ready, size=min(ready.size, 12), replace=False))
        quality = lic.agency_quality()
        a, b = copy.deepcopy(model), copy.deepcopy(model)
        for m in (a, b):
            m.licensing._today_durations, m.licensing._today_delays = [], []
        a.licensing.complete_stage(ids, quality, a.day)
        _complete_stage_numpy(b.licensing, ids, quality, b.day)
        assert _licensing_state(a.licensing) == _licensing_state(b.licensing)
        for k in seen:
            seen[k] += a.licensing.today[k] - model.licensing.today[k]
        if mode == "stream":  # the streams stand where the NumPy rules left them
            for name in ("licensing.process", "licensing.unpaid", "licensing.handoff"):
                assert a.stream(name).random() == b.stream(name).random()
    assert all(seen[k] > 0 for k in acted), seen  # the rules acted on the files checked


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_desk_strength_and_ready_files_equal_their_numpy_formulations(data):
    n, n_ag = data.draw(st.integers(0, 30)), data.draw(st.integers(1, 5))
    agency_of = data.draw(hnp.arrays(np.int32, n, elements=st.integers(0, n_ag - 1)))
    unit = st.floats(0, 1)
    competence, effort = (data.draw(hnp.arrays(np.float64, n, elements=unit)) for _ in "ce")
    time = data.draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.25, 0.5, 1.0])))
    productivity = data.draw(st.floats(0.1, 5))
    capacity, quality = desk_strength(agency_of, competence, effort, time, productivity, n_ag)
    out = productivity * competence * effort * time
    np.testing.assert_array_equal(
        capacity, np.bincount(agency_of, weights=out, minlength=n_ag).astype(float))
    q = np.bincount(agency_of, weights=competence * effort * time, minlength=n_ag).astype(float)
    k = np.bincount(agency_of, weights=time, minlength=n_ag).astype(float)
    np.testing.assert_array_equal(quality, np.divide(q, k, out=np.zeros_like(q), where=k > 0))
    m = data.draw(st.integers(0, 30))
    status = data.draw(hnp.arrays(np.int8, m, elements=st.integers(0, 3)))
    blocked = data.draw(hnp.arrays(np.bool_, m))
    ready = data.draw(hnp.arrays(np.float64, m, elements=st.integers(-3, 3).map(float)))
    n_files, day = data.draw(st.integers(0, m)), data.draw(st.integers(-3, 3))
    want = np.flatnonzero((status[:n_files] == 0) & ~blocked[:n_files]
                          & (ready[:n_files] <= day))
    np.testing.assert_array_equal(ready_files(status, blocked, ready, n_files, float(day)), want)


def test_the_kernels_use_the_licensing_services_codes():
    from collabsim import _kernels as k
    from collabsim.services import licensing as lic

    assert (k.FILE_ACTIVE, k.FILE_ISSUED, k.FILE_REJECTED) == (lic.ACTIVE, lic.ISSUED,
                                                            lic.REJECTED)
    assert (k.CITIZEN_IDLE, k.CITIZEN_NEEDING) == (lic.IDLE, lic.NEEDING)
    assert k.MODE_CHARGE == lic.CHARGE

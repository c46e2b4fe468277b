"""The compiled loops give exactly what the NumPy code they replace gave."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from collabsim._kernels import splitmix_uniforms, word_of_mouth
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

"""Known answers and properties of the random-utility (logit) choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from collabsim.choice import choose, choose_with_uniforms, logit_probabilities


def test_beta_zero_chooses_uniformly():
    p = logit_probabilities(np.array([[10.0, -5.0, 300.0], [0.0, 1.0, 2.0]]), beta=0.0)
    np.testing.assert_allclose(p, np.full((2, 3), 1 / 3))


def test_large_beta_picks_the_argmax():
    u = np.array([[1.0, 3.0, 2.0], [5.0, -1.0, 4.9]])
    p = logit_probabilities(u, beta=1e4)
    np.testing.assert_allclose(p, np.eye(3)[[1, 0]], atol=1e-12)


def test_two_options_follow_the_logistic_curve():
    # P(a) = 1 / (1 + exp(-beta * (U_a - U_b))): McFadden's binary logit.
    beta, du = 0.01, 100.0
    p = logit_probabilities(np.array([du, 0.0]), beta)
    assert p[0] == pytest.approx(1 / (1 + np.exp(-beta * du)), rel=1e-12)
    assert p[0] / p[1] == pytest.approx(np.e, rel=1e-12)  # "a 100 kRp gap gives odds e:1"


def test_huge_utilities_do_not_overflow():
    p = logit_probabilities(np.array([[1e9, 1e9 - 1.0, -1e9]]), beta=1.0)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)


@settings(max_examples=60, deadline=None, database=None)
@given(u=hnp.arrays(float, st.tuples(st.integers(1, 20), st.integers(1, 6)),
                    elements=st.floats(-1e6, 1e6)),
       beta=st.floats(0.0, 100.0))
def test_probabilities_are_a_distribution_ordered_like_utilities(u, beta):
    p = logit_probabilities(u, beta)
    assert p.shape == u.shape
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-9)
    # A better option is never less likely (monotone in utility).
    for row_u, row_p in zip(u, p, strict=True):
        order = np.argsort(row_u, kind="stable")
        assert (np.diff(row_p[order]) >= -1e-12).all()


def test_inverse_cdf_follows_the_probabilities():
    u = np.array([0.0, 50.0, 100.0])
    beta = 0.02
    n = 200_000
    uniforms = np.random.default_rng(7).random(n)
    picks = choose_with_uniforms(np.tile(u, (n, 1)), beta, uniforms)
    freq = np.bincount(picks, minlength=3) / n
    p = logit_probabilities(u, beta)
    se = np.sqrt(p * (1 - p) / n)
    assert (np.abs(freq - p) < 5 * se).all(), (freq, p)


def test_inverse_cdf_boundaries():
    u = np.array([[0.0, 0.0]])  # P = (½, ½)
    assert choose_with_uniforms(u, 1.0, np.array([0.0]))[0] == 0
    assert choose_with_uniforms(u, 1.0, np.array([0.4999]))[0] == 0
    assert choose_with_uniforms(u, 1.0, np.array([0.5001]))[0] == 1
    # A uniform at 1 (or rounding above the last cdf entry) still gives a valid index.
    assert choose_with_uniforms(u, 1.0, np.array([1.0]))[0] == 1


def test_choose_draws_one_uniform_per_row_from_the_stream():
    u = np.random.default_rng(0).normal(size=(50, 3)) * 100
    a = choose(u, 0.01, np.random.default_rng(3))
    b = choose_with_uniforms(u, 0.01, np.random.default_rng(3).random(50))
    np.testing.assert_array_equal(a, b)


def test_one_uniform_per_row_or_a_clear_error():
    u = np.zeros((3, 3))
    with pytest.raises(ValueError, match="3 rows of utilities but 2 uniforms"):
        choose_with_uniforms(u, 1.0, np.zeros(2))

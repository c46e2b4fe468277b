"""Licensing fact 2 (PBG) as an honest effect; design in licensing_facts.py."""

from __future__ import annotations

import pytest

from tests.integration.licensing_facts import (
    APPS,
    LEVY,
    assert_before_window_at_steady_state,
    below,
    collaboration_rise,
    effects,
    moved_effects,
)

pytestmark = pytest.mark.slow


def test_the_before_window_is_at_steady_state():
    assert_before_window_at_steady_state("pbg")


# -------------------------------------------------------------- fact 2
def test_fact2_pbg_collaboration_lowers_applications():
    """PBG: applications fall by ≥ 5 % against never-joint (p < 0.01)."""
    check = collaboration_rise(effects("pbg"), APPS, direction="down")
    assert check, check.text


def test_fact2_pbg_levy_stays_below_target_in_the_after_year():
    check = below(effects("pbg").pairs.query("arm == 'factual'")[LEVY], 1.0)
    assert check, check.text


def test_fact2_twin_with_the_initial_conditions_prepared_neither_holds():
    # Mechanism off: pbg_repaired (commitment, resources, regulation prepared).
    res = effects("pbg_repaired")
    fall = collaboration_rise(res, APPS, direction="down")
    levy = below(res.pairs.query("arm == 'factual'")[LEVY], 0.9)
    assert not fall, fall.text
    assert not levy, levy.text



def test_fact2_survives_20_percent_changes_of_untargeted_inputs():
    # a robustness screen: every untargeted input × 0.8 (α = 0.05 on 8 pairs)
    pbg = moved_effects("pbg", 0.8)
    for check in (collaboration_rise(pbg, APPS, "down", alpha=0.05),
                  below(pbg.pairs.query("arm == 'factual'")[LEVY], 1.0, alpha=0.05)):
        assert check, check.text

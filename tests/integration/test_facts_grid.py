"""Licensing facts 3 and 6 (PBG initial conditions, rational choice); see licensing_facts.py."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.integration.licensing_facts import (
    FACTORS,
    LEVY,
    PERMITS,
    below,
    cell,
    factorial,
    key,
    repaired,
    shifts,
    siloed,
)

pytestmark = pytest.mark.slow


# -------------------------------------------------------------- fact 3
@pytest.mark.parametrize("factor", FACTORS)
def test_fact3_each_initial_condition_improves_pbg(factor):
    """Repairing each condition raises PBG's permits after the start by ≥ 5 %.

    Design: the 2 × 2 × 2 factorial of pbg's and pbg_repaired's values, each cell
    repaired on the collaboration start from pbg's common steady state
    (:func:`~tests.integration.licensing_facts.factorial`); per seed, the factor's
    main effect is the mean of its 4 paired differences (same seed, same levels of the
    other two): one value per seed, one-sided Wilcoxon p < 0.01, relative to the
    all-unrepaired cell.
    """
    k = FACTORS.index(factor)
    diffs = []
    for others in [(a, b) for a in (False, True) for b in (False, True)]:
        lo, hi = list(others), list(others)
        lo.insert(k, False)
        hi.insert(k, True)
        diffs.append(cell(tuple(hi))[PERMITS] - cell(tuple(lo))[PERMITS])
    per_seed = pd.concat(diffs, axis=1).mean(axis=1)
    check = shifts(per_seed, cell((False, False, False))[PERMITS].mean(), 0.05, "up")
    assert check, (factor, check.text)


def test_fact3_a_missing_regulation_alone_keeps_the_levy_below_target():
    """Commitment and resources repaired, no regulation: the levy misses the target (p < 0.01)."""
    check = below(cell((True, True, False))[LEVY], 0.9)
    assert check, check.text


def test_fact3_twin_the_levy_gap_comes_from_the_offices_choices():
    # Mechanism off (LEVY_TWIN): no legal risk in charging without the rule, and everyone
    # pays — the offices charge the levy anyway and the target is met without a
    # regulation. So the fact rests on the choice (legal risk, unpaid levies), not on a
    # definition.
    check = below(factorial()["levy twin"][LEVY], 0.9)
    assert not check, check.text


# -------------------------------------------------------------- fact 6
HIGHER_FEE = {"licensing.stages.0.fee": 200.0}
LONGER_WAIT = {"licensing.stages.1.service_days": 28.0}
COMMITTED = repaired("leader_commitment")
FLAT = {"choice.beta_citizen": 0.0}                   # twin: citizens choose at random
NO_RECOGNITION = {"officers.recognition_weight": 0.0}  # twin: effort not for the leader
#: Every arm of fact 6, each made on day 0 of one pbg run per seed (:func:`siloed`); a
#: twin's two arms both carry its switch.
ARMS = {name: key(ov) for name, ov in (
    ("higher fee", HIGHER_FEE), ("longer wait", LONGER_WAIT), ("committed", COMMITTED),
    ("flat", FLAT), ("flat, higher fee", {**FLAT, **HIGHER_FEE}),
    ("no recognition", NO_RECOGNITION),
    ("no recognition, committed", {**NO_RECOGNITION, **COMMITTED}))}
#: Fact 6 is about citizens' choices, measured in the siloed steady state (the before
#: year), where neither the collaboration nor its stalls add noise.
INFORMAL_BEFORE = "informal_share_before"
EFFORT_BEFORE = "mean_officer_effort_before"


def arm(name: str = "") -> pd.DataFrame:
    """Summaries of one arm of fact 6 (``""``: pbg unchanged), one row per seed."""
    return siloed("pbg", tuple(ARMS.values()))[ARMS[name] if name else ()]


@pytest.mark.parametrize("change", ["higher fee", "longer wait"])
def test_fact6_higher_fees_or_longer_waits_push_citizens_to_the_informal_route(change):
    """A higher fee or a longer wait raises PBG's informal share (paired, ≥ +2 %, p < 0.01)."""
    d = arm(change)[INFORMAL_BEFORE] - arm()[INFORMAL_BEFORE]
    check = shifts(d, arm()[INFORMAL_BEFORE].mean(), 0.02, "up")
    assert check, (change, check.text)


def test_fact6_twin_without_rational_choice_fees_change_nothing():
    # Mechanism off: β = 0, citizens choose at random, a fee cannot deter anyone.
    d = arm("flat, higher fee")[INFORMAL_BEFORE] - arm("flat")[INFORMAL_BEFORE]
    check = shifts(d, arm("flat")[INFORMAL_BEFORE].mean(), 0.02, "up")
    assert not check, check.text


def test_fact6_officers_effort_drops_when_their_leaders_commitment_is_low():
    low, high = arm(), arm("committed")
    check = shifts(low[EFFORT_BEFORE] - high[EFFORT_BEFORE], high[EFFORT_BEFORE].mean(), 0.05,
                   "down")
    assert check, check.text


def test_fact6_twin_without_recognition_commitment_does_not_move_effort():
    low, high = arm("no recognition"), arm("no recognition, committed")
    check = shifts(low[EFFORT_BEFORE] - high[EFFORT_BEFORE], high[EFFORT_BEFORE].mean(), 0.05,
                   "down")
    assert not check, check.text

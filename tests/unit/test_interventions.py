"""Interventions reach the running state through the model's one door (``reconfigure``)."""

from __future__ import annotations

import numpy as np

from collabsim import CollabModel
from collabsim.interventions import with_interventions
from collabsim.scenario import load_scenario


def test_an_officer_parameter_set_on_a_day_changes_their_choice_from_that_day():
    # officers read their parameters each day: without recognition an office's leader no
    # longer moves their effort, so effort changes the day the intervention acts, not before
    base = load_scenario("pbg", {"burn_in_days": 0})
    changed = with_interventions(base, [{"day": 20, "label": "no recognition",
                                         "set": {"officers.recognition_weight": 0.0}}])
    a = CollabModel(base, seed=3, n_citizens=3000)
    b = CollabModel(changed, seed=3, n_citizens=3000)
    efforts = []
    for _ in range(30):
        a.step()
        b.step()
        efforts.append((a.officers.effort.copy(), b.officers.effort.copy()))
    for x, y in efforts[:20]:
        np.testing.assert_array_equal(x, y)
    assert b.officers.params.recognition_weight == 0.0
    assert any(not np.array_equal(x, y) for x, y in efforts[20:])

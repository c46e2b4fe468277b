"""Citizens' Mesa agent views are made on demand, and Mesa's registry still holds them all."""

from __future__ import annotations

import mesa
import pytest

from collabsim import CollabModel
from collabsim.agents import Citizen, Officer


@pytest.fixture
def model():
    return CollabModel("pbg", seed=3, n_citizens=500, overrides={"burn_in_days": 0})


def test_no_view_is_made_to_build_or_simulate(model):
    model.run(5)
    assert model.citizens.materialised == 0
    assert len(model.citizens) == 500


def test_a_view_is_made_on_first_access_and_kept(model):
    c = model.citizens[7]
    assert isinstance(c, Citizen) and isinstance(c, mesa.Agent)
    assert c.index == 7 and model.citizens[7] is c and model.citizens[-493] is c
    assert model.citizens.materialised == 1
    assert c.expected_days == float(model.licensing.belief_days[7])
    with pytest.raises(IndexError):
        model.citizens[500]


def test_mesa_registry_holds_every_citizen_with_ids_as_if_eager(model):
    first = model.citizens[42]  # made early: its id is still its reserved one
    officers = sorted(model._agents_by_type[Officer], key=lambda o: o.index)
    citizens = sorted(model.agents_by_type[Citizen], key=lambda a: a.index)
    assert [c.index for c in citizens] == list(range(500))
    assert Citizen in model.agent_types and len(model.agents) >= 500
    base = officers[-1].unique_id + 1
    assert [c.unique_id for c in citizens] == list(range(base, base + 500))
    assert first in model.agents_by_type[Citizen]
    assert model.agent_id_counter == base + 500

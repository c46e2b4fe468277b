"""Mobility control (JCOC): scaling to any number of citizens, determinism, overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collabsim import CollabModel
from collabsim.scenario import load_scenario


# -------------------------------------------------------------------- scaling
@pytest.mark.parametrize("n", [10, 1000, 2000, 9_999, 12_345])
def test_district_populations_are_proportional_to_the_scenario(n):
    model = CollabModel("jcoc", seed=1, n_citizens=n)
    districts = model.config.mobility.districts
    real = np.array([d.population for d in districts.values()], dtype=float)
    expected = real / real.sum() * n
    simulated = model.mobility.district_population()
    assert simulated.sum() == n
    assert list(model.mobility.district_keys) == list(districts)
    # Largest-remainder rounding: every district within one resident of its share.
    assert np.abs(simulated - expected).max() < 1.0, (simulated, expected.round(2))


def test_checkpoints_and_patrols_do_not_scale_with_citizens():
    # Checkpoints are physical: a simulated city of any size keeps its patrols.
    patrols = {n: CollabModel("jcoc", seed=1, n_citizens=n).mobility.available
               for n in (1000, 20_000)}
    sc = load_scenario("jcoc")
    assert patrols[1000] == patrols[20_000] == sum(a.patrol_officers
                                                   for a in sc.agencies.values())


# ---------------------------------------------------------------- determinism
@pytest.mark.parametrize("preset", ["jcoc", "jcoc_siloed"])
def test_same_seed_gives_identical_frames_and_another_seed_differs(preset):
    def frame(seed):
        return CollabModel(preset, seed=seed, n_citizens=2000).run(45)

    a, b, other = frame(7), frame(7), frame(8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(other)
    for col in ("trips", "violations_detected", "awareness_rate"):
        assert not np.array_equal(a[col], other[col]), col


# ------------------------------------------------------------------ overrides
def test_an_override_changes_the_run():
    base = CollabModel("jcoc", seed=2, n_citizens=2000).run(45)
    harsh = CollabModel("jcoc", seed=2, n_citizens=2000,
                        overrides={"mobility.sanction": 2000.0}).run(45)
    restricted = base["restriction_phase"] == 2
    assert (harsh.loc[restricted, "mobility_index"].mean()
            < base.loc[restricted, "mobility_index"].mean())


def test_flat_socialisation_reach_sets_every_campaign():
    # The flat parameter the Solara slider uses: '*' over the list of campaigns.
    model = CollabModel("jcoc", seed=1, n_citizens=1000, socialisation_reach=0.05)
    assert [c.reach for c in model.config.mobility.campaigns] == [0.05, 0.05]
    # A preset without campaigns accepts it and stays without campaigns.
    model = CollabModel("jcoc_no_socialisation", seed=1, n_citizens=1000,
                        socialisation_reach=0.05)
    assert model.config.mobility.campaigns == []

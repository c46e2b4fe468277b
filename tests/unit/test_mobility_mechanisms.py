"""Mobility control (JCOC): each mechanism of DESIGN §2 does what it says.

Deployment (an operations centre and clear roles prevent overlaps and gaps),
the timeline (baseline, education, enforcement), Becker's known-rule condition
(unaware citizens do not weigh the sanction) and the reach of local campaigns.
"""

from __future__ import annotations

import numpy as np
import pytest

from collabsim import CollabModel
from collabsim.agents import Citizen

SEEDS = range(5)

#: Awareness can only come from what a test switches on: no word of mouth, no ties,
#: nobody aware at the start, no campaigns.
NO_AWARENESS_CHANNELS = {
    "citizens.word_of_mouth_rate": 0.0,
    "citizens.social_network.kind": "none",
    "mobility.initial_awareness": 0.0,
    "mobility.campaigns": [],
}


def restricted_means(overrides: dict, column: str, days: int = 60) -> float:
    """Mean of ``column`` over restricted days, averaged over :data:`SEEDS`."""
    means = []
    for seed in SEEDS:
        df = CollabModel("jcoc", seed=seed, n_citizens=1000, overrides=overrides).run(days)
        means.append(df.loc[df["restriction_phase"].isin([1, 2]), column].mean())
    return float(np.mean(means))


# ----------------------------------------------------------------- deployment
def test_centre_and_clear_roles_give_fewer_overlaps_than_silos_with_unclear_roles():
    centre = {"mobility.operations_centre": "diskominfo", "agencies.*.role_clarity": 1.0}
    siloed = {"mobility.operations_centre": "", "agencies.*.role_clarity": 0.2}
    with_centre = restricted_means(centre, "checkpoint_overlaps")
    alone = restricted_means(siloed, "checkpoint_overlaps")
    assert with_centre < alone, (with_centre, alone)
    assert alone - with_centre > 1.0, "the difference should be of whole checkpoints"


def test_role_confusion_alone_raises_overlaps_under_a_centre():
    clear = {"mobility.operations_centre": "diskominfo", "agencies.*.role_clarity": 1.0}
    unclear = {"mobility.operations_centre": "diskominfo", "agencies.*.role_clarity": 0.2}
    assert (restricted_means(clear, "checkpoint_overlaps")
            < restricted_means(unclear, "checkpoint_overlaps"))


def test_the_centre_spreads_officers_so_no_point_is_left_empty():
    # Same clear roles; only the planning differs: agencies planning alone from a
    # partial view crowd the points they know and leave others unstaffed.
    centre = {"mobility.operations_centre": "diskominfo", "agencies.*.role_clarity": 1.0}
    siloed = {"mobility.operations_centre": "", "agencies.*.role_clarity": 1.0}
    with_centre = restricted_means(centre, "checkpoint_gaps")
    alone = restricted_means(siloed, "checkpoint_gaps")
    assert with_centre < 0.5 < alone, (with_centre, alone)


# ------------------------------------------------------------------ timeline
def test_baseline_has_no_enforcement_and_a_mobility_index_of_one():
    model = CollabModel("jcoc", seed=4, n_citizens=2000)
    start = model.config.mobility.restriction_start
    df = model.run(start + 10)
    base, restricted = df.iloc[:start], df.iloc[start + 2:]
    assert (base["restriction_phase"] == 0).all()
    assert (base["fines_collected"] == 0).all()
    assert (base["violations"] == 0).all() and (base["violations_detected"] == 0).all()
    assert (base["officers_deployed"] == 0).all()
    assert base["mobility_index"].between(0.95, 1.05).all(), base["mobility_index"].describe()
    assert base["mobility_index"].mean() == pytest.approx(1.0, abs=0.01)
    # Contrast: once restrictions bite, travel falls clearly below the baseline.
    assert restricted["mobility_index"].mean() < 0.9
    assert restricted["fines_collected"].iloc[-1] > 0


def test_education_phase_warns_without_fining_and_detected_violators_become_aware(monkeypatch):
    overrides = {**NO_AWARENESS_CHANNELS, "mobility.education_days": 10}
    model = CollabModel("jcoc", seed=5, n_citizens=2000, overrides=overrides)
    mob = model.mobility
    caught: list[np.ndarray] = []
    tell_ties = mob._tell_ties

    def spy(hit, fined=None):  # enforce() passes exactly the stopped violators on
        caught.append(np.array(hit, copy=True))
        tell_ties(hit, fined)

    monkeypatch.setattr(mob, "_tell_ties", spy)
    p = mob.params
    model.run(p.restriction_start)
    assert not mob.aware.any()
    for _ in range(p.education_days):
        caught.clear()
        model.step()
        assert mob.phase(model.day - 1) == "education"
        assert mob.fines == 0.0
        hit = np.concatenate(caught) if caught else np.zeros(0, dtype=int)
        assert mob.aware[hit].all(), "a warned violator stayed unaware"
    df = model.datacollector.get_model_vars_dataframe()
    edu = df[df["restriction_phase"] == 1]
    assert len(edu) == p.education_days
    assert (edu["fines_collected"] == 0).all()
    detected = int(edu["violations_detected"].sum())
    assert detected > 0, "no violator was stopped: the test would be vacuous"
    # With every other channel shut, being warned is the only way to learn the rule.
    assert 0 < mob.aware.sum() <= detected
    # Contrast: enforcement days that detect violators collect fines.
    model.run(5)
    assert mob.phase(model.day - 1) == "enforcement"
    assert mob.fines > 0


# ---------------------------------------------------------- Becker's known rule
def test_unaware_citizens_travel_utility_does_not_depend_on_the_sanction(monkeypatch):
    model = CollabModel("jcoc", seed=6, n_citizens=2000)
    model.run(model.config.mobility.restriction_start + 5)  # beliefs and awareness have moved
    mob = model.mobility
    citizens = {a.index: a for a in model.agents_by_type[Citizen]}
    norm = mob.norm()

    def travel(i):
        return citizens[i].travel_utilities(True, float(norm[i]))["travel"]

    bound = ~mob.essential
    unaware = np.flatnonzero(bound & ~mob.aware)[:200]
    aware = np.flatnonzero(bound & mob.aware)[:200]
    essential = np.flatnonzero(mob.essential)[:50]
    assert unaware.size and aware.size and essential.size
    before = {i: travel(i) for i in (*unaware, *aware, *essential)}

    low, high = mob.params.sanction, mob.params.sanction * 20 + 1000
    monkeypatch.setattr(mob, "params", mob.params.model_copy(update={"sanction": high}))
    for i in (*unaware, *essential):
        assert travel(i) == before[i], f"citizen {i}"
    # Contrast: an aware citizen weighs the expected sanction P̂(detected)·sanction.
    for i in aware:
        expected = before[i] - float(mob.belief_detect[i]) * (high - low)
        assert travel(i) == pytest.approx(expected, rel=1e-9)
        assert travel(i) < before[i]


# --------------------------------------------------------------- socialisation
def campaign_model(channel: str, districts: list[str]) -> CollabModel:
    campaign = {"start": 0, "days": 60, "reach": 0.2, "channel": channel,
                "districts": districts}
    overrides = {**NO_AWARENESS_CHANNELS, "mobility.campaigns": [campaign],
                 "mobility.restriction_start": 1000}  # nobody is stopped and warned
    model = CollabModel("jcoc", seed=8, n_citizens=5000, overrides=overrides)
    model.run(20)
    return model


def test_a_local_campaign_reaches_only_residents_of_its_districts():
    targets = ["pasar_jambi", "pelayangan"]
    model = campaign_model("local", targets)
    mob = model.mobility
    inside = np.isin(mob.home, [mob.district_keys.index(d) for d in targets])
    assert inside.sum() > 50
    assert not mob.aware[~inside].any(), "a resident outside the campaign's districts learned"
    assert mob.aware[inside].mean() > 0.9  # 20 days at reach 0.2 a day


def test_a_media_campaign_reaches_citizens_with_media_access_in_the_whole_city():
    # Contrast for the test above: the district list confines only local campaigns;
    # media reach only those with media access, wherever they live.
    model = campaign_model("media", ["pasar_jambi", "pelayangan"])
    mob = model.mobility
    for k in range(len(mob.district_keys)):
        here = mob.home == k
        assert mob.aware[here & mob.media].mean() > 0.9, mob.district_keys[k]
        assert not mob.aware[here & ~mob.media].any(), mob.district_keys[k]
    assert 0.4 < mob.media.mean() < 0.9  # the preset's district shares


def test_a_local_campaign_reaches_only_as_far_as_the_district_heads_are_committed():
    def aware_share(commitment: float) -> float:
        campaign = {"start": 0, "days": 10, "reach": 0.1, "channel": "local"}
        overrides = {**NO_AWARENESS_CHANNELS, "mobility.campaigns": [campaign],
                     "mobility.restriction_start": 1000,
                     "agencies.kecamatan.leader_commitment": commitment}
        model = CollabModel("jcoc", seed=8, n_citizens=5000, overrides=overrides)
        model.run(10)
        return model.mobility.awareness_rate()

    full, half, none = aware_share(1.0), aware_share(0.5), aware_share(0.0)
    assert none == 0.0
    assert 0.0 < half < full
    assert full == pytest.approx(1 - (1 - 0.1) ** 10, abs=0.05)

"""Mobility control (JCOC): accounting identities and bounds that hold on every day.

The model is stepped by hand and every day's state and reporter row are checked:
trips ≤ citizens; detected ≤ violations ≤ trips; officers deployed ≤ officers
available (in total and per agency); every rate in [0, 1]; checkpoint gaps and
overlaps between 0 and the number of checkpoints; no NaN in the reporters' frame.
The presets are checked over their whole timeline (baseline, education,
enforcement, lifted), then a Hypothesis property runs random valid overrides.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collabsim import CollabModel
from collabsim.metrics import UNDEFINED_WHEN_EMPTY

RATES = ("compliance_rate", "awareness_rate", "enforcement_coverage", "perceived_risk")


def last_row(model: CollabModel) -> dict[str, float]:
    """The reporter values collected for the day just simulated."""
    return {k: v[-1] for k, v in model.datacollector.model_vars.items()}


def assert_mobility_invariants(model: CollabModel) -> None:
    """Check the day just simulated (call right after ``model.step()``)."""
    mob = model.mobility
    row = last_row(model)
    day = model.day - 1
    n = model.population.n
    n_cp = mob.cp_needed.size
    where = f"day {day} ({mob.phase(day)})"

    # Trips, violations, detections: each a subset of the one before.
    assert 0 <= row["trips"] <= n, where
    assert 0 <= row["violations_detected"] <= row["violations"] <= row["trips"], where
    assert row["violations"] <= mob.today["non_essential"], where

    # Officers: only patrol officers, no more than each agency fields.
    posted = mob.officer_post >= 0
    assert row["officers_deployed"] == posted.sum() <= mob.available, where
    assert not posted[model.officers.duty == 0].any(), f"{where}: a desk officer was posted"
    per_agency = np.bincount(model.officers.agency_of[posted], minlength=len(model.agency_list))
    for agency in model.agency_list:
        assert per_agency[agency.index] <= agency.n_patrol, f"{where}: {agency.key}"
    assert ((mob.officer_post >= -1) & (mob.officer_post < n_cp)).all(), where

    # Rates, and the mobility index (not a rate, but a non-negative ratio).
    for col in RATES:
        if col == "compliance_rate" and (row["restriction_phase"] in (0, 3)
                                         or mob.today["non_essential"] == 0):
            # undefined without rules in force, or with nobody bound by them (NaN: n/a)
            assert math.isnan(row[col]), f"{where}: {col} = {row[col]} without rules"
            continue
        assert 0.0 <= row[col] <= 1.0, f"{where}: {col} = {row[col]}"
    assert math.isfinite(row["mobility_index"]) and row["mobility_index"] >= 0.0, where

    # A checkpoint is a gap (nobody) or an overlap (too many), never both.
    assert 0 <= row["checkpoint_gaps"] <= n_cp, where
    assert 0 <= row["checkpoint_overlaps"] <= n_cp, where
    assert row["checkpoint_gaps"] + row["checkpoint_overlaps"] <= n_cp, where

    restricted = mob.phase(day) in ("education", "enforcement")
    if not restricted:
        assert row["violations"] == row["officers_deployed"] == 0, where
        assert row["checkpoint_gaps"] == row["checkpoint_overlaps"] == 0, where
        assert row["enforcement_coverage"] == 0.0, where
    # A stop is a fine or a warning; CCTV responses are a subset of captures.
    assert row["fines_issued"] + row["warnings_issued"] == row["violations_detected"], where
    assert 0 <= row["cctv_acted_on"] <= row["cctv_captures"] <= row["violations"], where
    assert 0 <= row["posts_without_fining"] <= n_cp - row["checkpoint_gaps"], where
    if mob.phase(day) != "enforcement":
        assert row["fines_issued"] == 0, where
    # Fines are cumulative, collected only on enforcement days, one per fined violator.
    previous = model.datacollector.model_vars["fines_collected"][-2] if day else 0.0
    assert row["fines_collected"] - previous == pytest.approx(
        mob.params.fine * row["fines_issued"]), where


def assert_frame_clean(model: CollabModel) -> None:
    df = model.datacollector.get_model_vars_dataframe()
    bad = [c for c in df.columns[df.isna().any()] if c not in UNDEFINED_WHEN_EMPTY]
    assert not bad, f"NaN in reporters: {bad}"
    assert len(df) == model.day


@pytest.mark.parametrize("preset", ["jcoc", "jcoc_siloed", "jcoc_no_socialisation"])
def test_invariants_hold_every_day_of_the_presets(preset):
    model = CollabModel(preset, seed=3, n_citizens=2000)
    p = model.config.mobility
    days = p.restriction_start + p.restriction_days + 10  # into the lifted phase too
    phases = set()
    for _ in range(days):
        model.step()
        assert_mobility_invariants(model)
        phases.add(model.mobility.phase(model.day - 1))
    assert_frame_clean(model)
    assert phases == {"baseline", "education", "enforcement", "lifted"}
    df = model.datacollector.get_model_vars_dataframe()
    # Not vacuous: the restricted days did deploy officers and detect violators.
    assert df["officers_deployed"].max() > 0
    assert df["violations_detected"].sum() > 0
    assert df["fines_issued"].sum() > 0


unit = st.floats(0.0, 1.0, allow_nan=False)

overrides_strategy = st.fixed_dictionaries({
    "agencies.*.role_clarity": unit,
    "agencies.*.leader_commitment": unit,
    "mobility.siloed_view": unit,
    "mobility.detection_per_officer": unit,
    "mobility.campaigns.0.reach": unit,
    "mobility.campaigns.1.reach": unit,
    "mobility.operations_centre": st.sampled_from(["", "diskominfo"]),
    "mobility.essential_share": unit,
    "mobility.restriction_start": st.integers(8, 12),
    "mobility.education_days": st.integers(0, 10),
    "mobility.restriction_days": st.integers(10, 60),
    "collaboration_start": st.integers(0, 40),
})


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(overrides=overrides_strategy, seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_random_valid_overrides(overrides, seed):
    model = CollabModel("jcoc", seed=seed, n_citizens=1000, overrides=overrides)
    for _ in range(60):
        model.step()
        assert_mobility_invariants(model)
    assert_frame_clean(model)

"""Regression baselines of the three JCOC presets, and that their mechanisms occurred.

The baseline holds one seed's full-size run summary per preset (see
``make_mobility_baselines.py``). A summary value drifting beyond floating-point
noise fails; so does a baseline in which the mechanisms the presets are about
did not actually happen (no CCTV capture acted on, no fines, no campaign reach,
no gaps or overlaps where the preset implies them).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "collabsim_make_mobility_baselines", Path(__file__).with_name("make_mobility_baselines.py"))
mb = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(mb)

pytestmark = pytest.mark.slow

REGENERATE = ("intended change? regenerate: .venv/bin/python "
              "tests/regression/make_mobility_baselines.py (reason in the commit)")


@pytest.fixture(scope="module")
def baseline() -> dict:
    assert mb.BASELINE.is_file(), f"missing baseline; {REGENERATE}"
    return json.loads(mb.BASELINE.read_text())


@pytest.fixture(scope="module")
def current(baseline) -> dict[str, dict[str, float]]:
    return {p: mb.summary_of(p, baseline["settings"]) for p in mb.PRESETS}


@pytest.mark.parametrize("preset", mb.PRESETS)
def test_summary_matches_the_baseline(baseline, current, preset):
    problems = mb.mismatches(baseline["summaries"][preset], current[preset])
    assert not problems, f"{preset} drifted from its baseline ({REGENERATE}):\n" + \
        "\n".join(problems)


def test_the_baseline_is_full_size_and_covers_the_restrictions(baseline):
    assert set(baseline["summaries"]) == set(mb.PRESETS)
    assert baseline["settings"]["n_citizens"] == 10_000
    for summary in baseline["summaries"].values():
        assert summary["days"] == 120
        assert summary["mobility_index_baseline"] == pytest.approx(1.0, abs=0.01)
        assert summary["mobility_index_enforcement"] < 0.9


@pytest.mark.parametrize("preset", mb.PRESETS)
def test_the_enforcement_mechanisms_occurred(current, preset):
    s = current[preset]
    assert s["fines_issued_enforcement"] > 0
    assert s["fines_collected_final"] > 0
    assert s["warnings_issued_enforcement"] > 0
    assert s["cctv_captures_enforcement"] > s["cctv_acted_on_enforcement"] > 0


def test_gaps_and_overlaps_where_the_presets_imply_them(current):
    jcoc, siloed = current["jcoc"], current["jcoc_siloed"]
    # The centre spreads officers: no empty point, authority at (nearly) every post;
    # role confusion still crowds some points.
    assert jcoc["checkpoint_gaps_enforcement"] == 0
    assert jcoc["checkpoint_overlaps_enforcement"] > 0
    assert jcoc["posts_without_fining_enforcement"] < 0.5
    # Planning alone from a partial view: gaps, more overlaps, posts that can only warn.
    assert siloed["checkpoint_gaps_enforcement"] > 0
    assert siloed["checkpoint_overlaps_enforcement"] > jcoc["checkpoint_overlaps_enforcement"]
    assert siloed["posts_without_fining_enforcement"] > 1.0
    # CCTV captures reach the police less often without a centre.
    assert (siloed["cctv_acted_on_enforcement"] / siloed["cctv_captures_enforcement"]
            < jcoc["cctv_acted_on_enforcement"] / jcoc["cctv_captures_enforcement"])


def test_campaigns_reached_people_where_there_are_campaigns(current):
    for preset in ("jcoc", "jcoc_siloed"):
        assert current[preset]["campaign_reached_enforcement"] > 0
        assert current[preset]["campaign_reached_baseline"] > 0  # the media week before
    assert current["jcoc_no_socialisation"]["campaign_reached_enforcement"] == 0
    assert (current["jcoc_no_socialisation"]["awareness_rate_enforcement"]
            < current["jcoc"]["awareness_rate_enforcement"])


def test_negative_control_a_perturbed_parameter_fails_the_comparison(baseline):
    perturbed = mb.summary_of("jcoc", baseline["settings"],
                              {"mobility.capture_staff_half": 5.5})  # 5.0 by default
    assert mb.mismatches(baseline["summaries"]["jcoc"], perturbed)

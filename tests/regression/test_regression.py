"""Regression baselines of the licensing presets, with a negative control.

The baseline holds one seed's run summary per licensing preset (see
``make_baselines.py``). A change in any summary value beyond floating-point
noise fails the test: regenerate the baselines only for an intended change.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "collabsim_make_baselines", Path(__file__).with_name("make_baselines.py"))
mb = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(mb)

REGENERATE = "intended change? regenerate: .venv/bin/python tests/regression/make_baselines.py"


@pytest.fixture(scope="module")
def baseline() -> dict:
    assert mb.BASELINE.is_file(), f"missing baseline; {REGENERATE}"
    return json.loads(mb.BASELINE.read_text())


def test_baseline_covers_the_licensing_presets(baseline):
    assert set(baseline["summaries"]) == set(mb.PRESETS)
    for summary in baseline["summaries"].values():
        # Both windows exist and files flowed: the baseline pins real behaviour.
        assert summary["days"] == baseline["settings"]["steps"]
        assert summary["permits_issued_per_month_before"] > 0
        assert summary["applications_submitted_per_month_after"] > 0
        assert summary["handoffs_per_month_after"] > 0
    s = baseline["summaries"]
    # The after-period's mechanisms happened in the pinned runs (not only a before window):
    assert s["pbg"]["files_held_per_month_after"] > 0  # no regional levy rule: files held
    assert s["pbg"]["charged_without_regulation_per_month_after"] > 0
    assert s["pbg"]["files_held_per_month_before"] == 0  # the legacy rule held
    assert s["spp_irt"]["sessions_held_per_month_after"] > 0  # counselling in batches
    for preset in ("spp_irt", "pbg_repaired"):  # committed, open partners improve stages
        assert s[preset]["stage_improvements_per_month_after"] > 0
        assert s[preset]["stage_improvements_per_month_before"] == 0


@pytest.mark.parametrize("preset", mb.PRESETS)
def test_summary_matches_the_baseline(baseline, preset):
    current = mb.summary_of(preset, baseline["settings"])
    problems = mb.mismatches(baseline["summaries"][preset], current)
    assert not problems, f"{preset} drifted from its baseline ({REGENERATE}):\n" + \
        "\n".join(problems)


@pytest.mark.parametrize(("preset", "perturbation"), [
    ("pbg", {"agencies.pupr.leader_commitment": 0.35}),  # 0.30 in the preset
    ("pbg_repaired", {"licensing.permit_value": 1212.0}),  # +1 %
    ("spp_irt", {"licensing.stages.1.sessions_per_year": 8.5}),  # 8 in the preset
    ("pbg", {"licensing.unregulated.review_rate": 0.055}),  # after-period only: 0.05
])
def test_negative_control_a_perturbed_parameter_fails_the_comparison(baseline, preset,
                                                                      perturbation):
    perturbed = mb.summary_of(preset, baseline["settings"], perturbation)
    assert mb.mismatches(baseline["summaries"][preset], perturbed)


def test_mismatches_reports_missing_and_changed_keys():
    assert mb.mismatches({"a": 1.0, "b": float("nan")}, {"a": 1.0 + 1e-12,
                                                         "b": float("nan")}) == []
    assert mb.mismatches({"a": 1.0}, {}) == ["a: missing (baseline 1.0)"]
    assert mb.mismatches({"a": 1.0}, {"a": 1.001}) == ["a: 1.001 != baseline 1.0"]

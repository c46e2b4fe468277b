"""Observed patterns: the schema, and values computed from planted time series."""

import math

import numpy as np
import pandas as pd
import pytest

from collabsim.calibration import PatternError, compute_pattern, load_patterns, pattern_deviation
from collabsim.calibration.spec import CALIBRATION_DIR
from collabsim.runner import RunResult
from collabsim.scenario import load_scenario


def _pattern(**fields):
    base = {"scenario": "jcoc", "description": "d", "source": "CASE_FACTS line",
            "tolerance": 0.1, "held_out": False, "range": [0.0, 1.0]}
    return load_patterns({"patterns": {"p": {**base, **fields}}})[0]


@pytest.fixture(scope="module")
def planted():
    """A JCOC-like run: 10 baseline days, 2 education, 18 enforcement; known values."""
    days = 30
    phase = np.array([0] * 10 + [1] * 2 + [2] * 18)
    mobility = np.linspace(1.0, 0.71, days)          # day d: 1 − 0.01 d
    detected = np.where(phase > 0, np.arange(days), 0).astype(float)
    ts = pd.DataFrame({"day": np.arange(days), "restriction_phase": phase,
                       "mobility_index": mobility, "violations_detected": detected})
    sc = load_scenario("jcoc", {"citizens.n": 2000})
    return RunResult(sc, 1, ts, {"permits_issued_per_month_before": 2.5,
                                 "applications_submitted_per_month_before": 5.0})


def test_window_mean_anchored_at_a_phase_start(planted):
    p = _pattern(measure={"series": "mobility_index", "anchor": "phase_start:education",
                          "window": [0, 5], "statistic": "mean"})
    # rows 10..14: 1 − 0.01·(10..14) → mean 0.88
    assert compute_pattern(p, planted) == pytest.approx(0.88)


def test_ratio_of_windows_at_phase_end_and_start(planted):
    p = _pattern(measure={"series": "violations_detected", "anchor": "phase_end:enforcement",
                          "window": [-3, 0], "statistic": "sum"},
                 relative_to={"series": "violations_detected",
                              "anchor": "phase_start:enforcement", "window": [0, 3],
                              "statistic": "sum"})
    # last three rows 27+28+29 = 84; first three enforcement rows 12+13+14 = 39
    assert compute_pattern(p, planted) == pytest.approx(84 / 39)


def test_summary_metric_scaled_per_citizens_and_per_year(planted):
    p = _pattern(measure={"metric": "permits_issued_per_month_before", "scale": 12,
                          "per_citizens": 10000})
    assert compute_pattern(p, planted) == pytest.approx(2.5 * 12 * 10000 / 2000)
    q = _pattern(measure={"metric": "applications_submitted_per_month_before"},
                 relative_to={"metric": "permits_issued_per_month_before"})
    assert compute_pattern(q, planted) == pytest.approx(2.0)


def test_per_year_statistic_and_scale_by(planted):
    p = _pattern(measure={"series": "violations_detected", "window": [10, 20],
                          "statistic": "per_year", "scale_by": "citizens.capacity_reference"})
    expected = sum(range(10, 20)) * 365 / 10 * planted.scenario.citizens.capacity_reference
    assert compute_pattern(p, planted) == pytest.approx(expected)


def test_undefined_values_are_nan(planted):
    absent = _pattern(measure={"series": "mobility_index", "anchor": "phase_start:lifted",
                               "window": [0, 5]})
    assert math.isnan(compute_pattern(absent, planted))
    zero = _pattern(measure={"metric": "permits_issued_per_month_before"},
                    relative_to={"series": "violations_detected", "window": [0, 10],
                                 "statistic": "sum"})
    assert math.isnan(compute_pattern(zero, planted))


def test_deviation_is_zero_inside_the_band_and_in_tolerances_outside():
    assert pattern_deviation(0.5, 0.4, 0.6, 0.1) == 0
    assert pattern_deviation(0.8, 0.4, 0.6, 0.1) == pytest.approx(2.0)
    assert pattern_deviation(0.2, 0.4, 0.6, 0.1) == pytest.approx(2.0)
    assert pattern_deviation(float("nan"), 0.4, 0.6, 0.1, nan_penalty=7) == 7


def test_shipped_patterns_load_with_sources_and_held_out_ones():
    patterns = load_patterns(CALIBRATION_DIR / "patterns.toml")
    assert len(patterns) >= 8
    assert all(p.spec.source.startswith("CASE_FACTS") for p in patterns)
    assert {True, False} == {p.held_out for p in patterns}
    assert any(p.spec.measure.metric == "levy_target_share_after" for p in patterns)


@pytest.mark.parametrize(("fields", "needle"), [
    ({"measure": {"metric": "x"}, "colour": 1}, "patterns.p.colour: unknown key; allowed: "
                                                 "scenario, description"),
    ({"measure": {"metric": "x", "windw": [0, 1]}}, "patterns.p.measure.windw: unknown key; "
                                                    "allowed: metric, series, window"),
    ({"measure": {"series": "x", "anchor": "middle"}}, "unknown anchor 'middle'; allowed: run"),
    ({"measure": {"metric": "x", "series": "y"}}, "exactly one of metric"),
    ({"measure": {"metric": "x"}, "range": [2, 1]}, "low <= high"),
    ({"measure": {"metric": "x"}, "held_out": "maybe"}, "patterns.p.held_out"),
])
def test_schema_errors_are_one_line_naming_key_and_allowed(fields, needle):
    with pytest.raises(PatternError) as err:
        _pattern(**fields)
    assert len(err.value.problems) == 1
    line = err.value.problems[0]
    assert line.startswith("<patterns>: ") and needle in line and "\n" not in line


def test_missing_source_is_reported(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('[patterns.a]\nscenario = "pbg"\ndescription = "d"\nmeasure = {metric = "m"}\n'
                 'observed = 1\ntolerance = 1\nheld_out = false\n')
    with pytest.raises(PatternError) as err:
        load_patterns(f)
    assert err.value.problems == [f"{f}: patterns.a.source: Field required"]

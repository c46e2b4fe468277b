"""Observed patterns: what a run is compared with, each with its source and error model.

A patterns file (``calibration/patterns.toml``) holds one table per pattern::

    [patterns.pbg_permits_per_year_before]
    scenario = "pbg"
    description = "PBG permits issued per year before the switch, per 10,000 citizens"
    measure = {metric = "permits_issued_per_month_before", scale = 12, per_citizens = 10000}
    observed = 300
    tolerance = 100
    unit = "permits / year"
    source = 'CASE_FACTS: "Before PBG, comparable towns issued ~300 building permits a year"'
    held_out = false

A **measure** is either a summary outcome of the run (``metric``: a name of
:func:`collabsim.metrics.summarise`) or a statistic of a time-series column over a
window (``series``, ``window = [from, to)`` days after an ``anchor``, ``statistic``).
A pattern may be a ratio of two measures (``relative_to``). The observation is a
value (``observed``) or a range (``range = [low, high]``); ``tolerance`` is the error
model: a simulated value ``x`` misses the observation by
``max(low − x, 0, x − high) / tolerance`` (see :func:`pattern_deviation`), so a
pattern is met when that is at most 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from collabsim.calibration._schema import Closed, format_errors, read_toml
from collabsim.errors import CollabsimError

if TYPE_CHECKING:
    from collabsim.runner import RunResult

__all__ = [
    "PHASES",
    "STATISTICS",
    "Measure",
    "Pattern",
    "PatternError",
    "PatternSpec",
    "PatternsFile",
    "compute_pattern",
    "load_patterns",
    "measure_value",
    "pattern_deviation",
]

#: Statistics of a window: ``per_year`` is the sum × 365 / days in the window.
STATISTICS = ("mean", "sum", "per_year", "first", "last", "min", "max")
#: Restriction phases a window can be anchored to (``restriction_phase`` codes 0–3).
PHASES = {"baseline": 0, "education": 1, "enforcement": 2, "lifted": 3}
_ANCHOR_HELP = ("run (day 0), start (the collaboration start), phase_start:PHASE or "
                f"phase_end:PHASE with PHASE one of {', '.join(PHASES)}")


class PatternError(CollabsimError):
    """An invalid patterns file; one line per problem (file, key path, what is allowed)."""


class Measure(Closed):
    """One number from a run: a summary outcome or a window statistic of a series."""

    metric: str | None = Field(None, description="A summary outcome (collabsim.metrics.summarise)")
    series: str | None = Field(None, description="A time-series column")
    window: list[int] | None = Field(None, min_length=2, max_length=2,
                                     description="[from, to) days after the anchor")
    anchor: str = Field("run", description=_ANCHOR_HELP)
    statistic: Literal["mean", "sum", "per_year", "first", "last", "min", "max"] = "mean"
    scale: float = Field(1.0, description="Multiplier (e.g. 12: per month -> per year)")
    per_citizens: int | None = Field(None, ge=1, description="Normalise to this many citizens: "
                                     "× per_citizens / the run's citizens")
    scale_by: str | None = Field(None, description="Multiply by the scenario's value at this "
                                 "key path")

    @model_validator(mode="after")
    def _one_source(self) -> Measure:
        if (self.metric is None) == (self.series is None):
            raise ValueError("give exactly one of metric = NAME or series = COLUMN")
        if self.metric is not None and self.window is not None:
            raise ValueError("window goes with series (a summary metric has its own window)")
        if self.window is not None and not self.window[0] < self.window[1]:
            raise ValueError(f"window must be [from, to) with from < to (got {self.window})")
        return self

    @field_validator("anchor")
    @classmethod
    def _anchor(cls, v: str) -> str:
        kind, _, phase = v.partition(":")
        if v in ("run", "start") or (kind in ("phase_start", "phase_end") and phase in PHASES):
            return v
        raise ValueError(f"unknown anchor {v!r}; allowed: {_ANCHOR_HELP}")


class PatternSpec(Closed):
    """One observed pattern as written in the file."""

    scenario: str = Field(..., description="The scenario (preset name) the pattern is of")
    description: str = Field(..., min_length=1)
    measure: Measure
    relative_to: Measure | None = Field(None, description="Denominator: the pattern is "
                                        "measure ÷ relative_to")
    observed: float | None = Field(None, description="The observed value")
    range: list[float] | None = Field(None, min_length=2, max_length=2,
                                      description="[low, high] of the observed values")
    tolerance: float = Field(..., gt=0, description="How far a run may miss (the error scale)")
    unit: str = ""
    source: str = Field(..., min_length=1, description="The CASE_FACTS line, quoted")
    held_out: bool = Field(..., description="true: never fitted, reported as validation")

    @model_validator(mode="after")
    def _observation(self) -> PatternSpec:
        if self.observed is None and self.range is None:
            raise ValueError("give observed = VALUE, range = [low, high], or both")
        if self.range is not None:
            lo, hi = self.range
            if not lo <= hi:
                raise ValueError(f"range must be [low, high] with low <= high (got {self.range})")
            if self.observed is not None and not lo <= self.observed <= hi:
                raise ValueError(f"observed {self.observed:g} lies outside range {self.range}")
        return self


class PatternsFile(Closed):
    """A patterns file: ``[patterns.NAME]`` tables."""

    patterns: dict[str, PatternSpec] = Field(..., min_length=1)


@dataclass(frozen=True)
class Pattern:
    """A loaded pattern.

    Attributes:
        name: Its key in the file.
        spec: What the file says.
        origin: The file it came from.
    """

    name: str
    spec: PatternSpec
    origin: str = "<patterns>"

    @property
    def low(self) -> float:
        """The lower end of the observation (the value itself without a range)."""
        return float(self.spec.range[0] if self.spec.range is not None else self.spec.observed)

    @property
    def high(self) -> float:
        """The upper end of the observation."""
        return float(self.spec.range[1] if self.spec.range is not None else self.spec.observed)

    @property
    def observed(self) -> float:
        """The observed value (the middle of the range when only a range is given)."""
        return float(self.spec.observed if self.spec.observed is not None
                     else (self.low + self.high) / 2)

    @property
    def scenario(self) -> str:
        """The scenario the pattern is of."""
        return self.spec.scenario

    @property
    def held_out(self) -> bool:
        """Whether the pattern is kept out of fitting."""
        return self.spec.held_out

    def measures(self) -> list[Measure]:
        """The measure and, for a ratio, its denominator."""
        return [self.spec.measure] + ([self.spec.relative_to] if self.spec.relative_to else [])


def load_patterns(source: str | Path | Mapping[str, Any]) -> list[Pattern]:
    """Load a patterns file, reporting every schema problem at once.

    Args:
        source: A TOML path, or the file's contents as a dict.

    Returns:
        The patterns in file order.

    Raises:
        PatternError: one line per problem (file, key path, what is allowed).
    """
    if isinstance(source, Mapping):
        raw, origin = dict(source), "<patterns>"
    else:
        path = Path(source)
        raw, origin = read_toml(path, "patterns file", PatternError), str(path)
    try:
        parsed = PatternsFile.model_validate(raw)
    except ValidationError as exc:
        raise PatternError(format_errors(exc, origin, PatternsFile)) from None
    return [Pattern(name, spec, origin) for name, spec in parsed.patterns.items()]


# ----------------------------------------------------------------- computing
def _scenario_value(tree: Any, path: str) -> Any:
    node = tree
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _anchor_day(anchor: str, result: RunResult) -> float:
    """The row the window is counted from (NaN when the anchor's phase never occurs)."""
    if anchor == "run":
        return 0
    if anchor == "start":
        return int(result.scenario.collaboration_start)
    kind, _, phase = anchor.partition(":")
    ts = result.timeseries
    if "restriction_phase" not in ts:
        return math.nan
    rows = np.flatnonzero(ts["restriction_phase"].to_numpy() == PHASES[phase])
    if not rows.size:
        return math.nan
    return int(rows[0]) if kind == "phase_start" else int(rows[-1]) + 1


def _window_statistic(values: np.ndarray, statistic: str) -> float:
    finite = values[~np.isnan(values)]
    if not finite.size:
        return math.nan
    if statistic == "mean":
        return float(finite.mean())
    if statistic == "sum":
        return float(finite.sum())
    if statistic == "per_year":
        return float(finite.sum() * 365.0 / values.size)
    if statistic == "first":
        return float(finite[0])
    if statistic == "last":
        return float(finite[-1])
    return float(finite.min() if statistic == "min" else finite.max())


def measure_value(m: Measure, result: RunResult) -> float:
    """The value of one measure in a run (NaN when it is undefined there).

    Args:
        m: The measure.
        result: The run.

    Returns:
        The number, after ``scale``, ``per_citizens`` and ``scale_by``.
    """
    if m.metric is not None:
        value = float(result.summary.get(m.metric, math.nan))
    else:
        ts = result.timeseries
        if m.series not in ts:
            return math.nan
        col = ts[m.series].to_numpy(dtype=float)
        a = _anchor_day(m.anchor, result)
        if math.isnan(a):
            return math.nan
        lo, hi = (m.window if m.window is not None else (0, len(col) - int(a)))
        lo, hi = max(0, int(a) + lo), min(len(col), int(a) + hi)
        value = _window_statistic(col[lo:hi], m.statistic) if hi > lo else math.nan
    value *= m.scale
    if m.per_citizens is not None:
        value *= m.per_citizens / result.scenario.citizens.n
    if m.scale_by is not None:
        value *= float(_scenario_value(result.scenario.model_dump(), m.scale_by))
    return value


def compute_pattern(pattern: Pattern, result: RunResult) -> float:
    """The pattern's value in one run: the measure, or the measure ÷ ``relative_to``.

    Args:
        pattern: The pattern.
        result: A run of the pattern's scenario.

    Returns:
        The value (NaN when undefined, e.g. a ratio over an empty window or zero).
    """
    value = measure_value(pattern.spec.measure, result)
    if pattern.spec.relative_to is None:
        return value
    den = measure_value(pattern.spec.relative_to, result)
    return value / den if den and not math.isnan(den) else math.nan


def pattern_deviation(value: float, low: float, high: float, tolerance: float,
                      nan_penalty: float = 5.0) -> float:
    """How far a value misses an observation, in units of the tolerance.

    Args:
        value: The simulated value.
        low: The lower end of the observation (the value itself without a range).
        high: The upper end.
        tolerance: The error scale (same unit as the value).
        nan_penalty: The deviation of an undefined (NaN) value.

    Returns:
        ``max(low − value, 0, value − high) / tolerance``: 0 inside the observed
        range, 1 at one tolerance outside it.
    """
    if value is None or math.isnan(value):
        return float(nan_penalty)
    return max(low - value, 0.0, value - high) / tolerance

"""Human-readable labels with units for outcome columns and parameter key paths.

Parameter units come from the scenario schema itself (each field's description
states its unit and range), so a label can never disagree with the schema.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["UNITS", "outcome_label", "outcome_unit", "parameter_label", "short_parameter"]

#: Axis labels (with units) of the per-day metrics of the time series.
UNITS: dict[str, str] = {
    "applications_submitted": "applications / day",
    "permits_issued": "permits issued / day",
    "rejected": "files rejected / day",
    "informal": "needs met informally / day",
    "backlog": "files in process",
    "stalled_files": "stalled files",
    "mean_processing_days": "mean processing time (days)",
    "p90_processing_days": "90th pct processing time (days)",
    "within_service_level": "share within service level (0–1)",
    "informal_share": "informal share (0–1)",
    "levy_revenue": "cumulative levy (kRp)",
    "levy_target_share": "levy ÷ target to date (0–1+)",
    "levy_share_30d": "levy ÷ target, last 30 days (0–1+)",
    "cost_staff": "officers' time (kRp / day)",
    "cost_campaigns": "campaigns (kRp / day)",
    "cost_interventions": "interventions (kRp / day)",
    "officer_days": "officer-days / day",
    "levy_collected": "levy collected (kRp / day)",
    "levy_due": "levy target pro-rated (kRp / day)",
    "mean_age_in_process": "mean age of files in process (days)",
    "mean_trust": "mean trust on ties (0–1)",
    "mean_commitment": "mean agency commitment (0–1)",
    "mean_officer_effort": "mean officer effort (0–1)",
    "handoff_delay": "hand-off delay (days)",
    "informed_share": "citizens informed (0–1)",
    "expected_days": "citizens' expected days",
    "workflow_stages": "workflow stages",
    "abandoned": "files abandoned / day",
    "mobility_index": "mobility index (trips ÷ baseline)",
    "compliance_rate": "compliance rate (0–1)",
    "awareness_rate": "awareness rate (0–1)",
    "violations_detected": "violations detected / day",
    "enforcement_coverage": "enforcement coverage (0–1)",
    "checkpoint_gaps": "unstaffed checkpoints",
    "checkpoint_overlaps": "over-staffed checkpoints",
    "fines_collected": "cumulative fines (kRp)",
    "trips": "trips / day",
    "violations": "violations / day",
    "perceived_risk": "perceived detection risk (0–1)",
    "officers_deployed": "officers deployed",
    "restriction_phase": "restriction phase (0–3)",
}

#: Units of the run totals of a summary (``permits_issued_total_after`` …).
_TOTAL_UNITS = {
    "cost_total": "cost (kRp)",
    "cost_staff_total": "officers' time cost (kRp)",
    "cost_campaigns_total": "campaigns cost (kRp)",
    "cost_interventions_total": "interventions cost (kRp)",
    "officer_days_total": "officer-days",
    "permits_issued_total": "permits issued (count)",
    "applications_submitted_total": "applications (count)",
    "levy_collected_total": "levy collected (kRp)",
    "trips_total": "trips (count)",
}

#: Labels of summary outcomes whose window changes what the daily metric means.
_WINDOW_UNITS = {
    "levy_target_share": "levy collected ÷ levy due in the window (0–1+)",
}

#: Units the schema states only as a range.
_UNIT_OVERRIDES = {"joint_stages": "stages"}

_PHASES = {"_before": "before start", "_after": "after start", "_final": "at end",
           "_baseline": "baseline phase", "_education": "education phase",
           "_enforcement": "enforcement phase", "_lifted": "after restrictions lifted"}


def _split(col: str) -> tuple[str, str]:
    for suffix, phase in _PHASES.items():
        if col.endswith(suffix):
            return col[: -len(suffix)], phase
    return col, ""


def outcome_unit(col: str) -> str:
    """The unit label of a summary outcome (``permits_issued_per_month_after`` → a rate)."""
    base, phase = _split(col)
    if col in _TOTAL_UNITS or base in _TOTAL_UNITS:
        return _TOTAL_UNITS.get(col) or _TOTAL_UNITS[base]
    if base == "officer_days" and phase:
        return "officer-days"
    if phase in ("before start", "after start") and base in _WINDOW_UNITS:
        return _WINDOW_UNITS[base]
    if base.endswith("_per_month"):
        base = base.removesuffix("_per_month")
        return UNITS.get(base, base.replace("_", " ") + " / day").replace("/ day", "/ month")
    return UNITS.get(base, base.replace("_", " "))


def outcome_label(col: str) -> str:
    """A short label with unit and phase, e.g. ``permits issued / month, after start``."""
    _, phase = _split(col)
    unit = outcome_unit(col)
    return f"{unit}, {phase}" if phase else unit


@lru_cache(maxsize=256)
def _field_info(path: str) -> tuple[str, str] | None:
    """``(description, annotation name)`` of a scenario key path, or None."""
    from collabsim.scenario.schema import unwrap_optional, walk_schema

    try:
        _, field = walk_schema(path)
    except KeyError:
        return None
    if field is None:
        return None
    return field.description or "", getattr(unwrap_optional(field.annotation), "__name__", "")


def short_parameter(path: str) -> str:
    """``agencies.*.leader_commitment`` → ``leader commitment (all agencies)``."""
    parts = path.split(".")
    name = parts[-1].replace("_", " ")
    if len(parts) >= 3 and parts[0] == "agencies":
        who = "all agencies" if parts[1] == "*" else parts[1]
        return f"{name} ({who})"
    return name


def parameter_label(path: str, key: str | None = None) -> str:
    """A parameter's axis label with its unit from the schema, e.g. ``… [0–1]``.

    Args:
        path: The parameter's column (usually its key path).
        key: The key path it sets, when the column is a name of its own
            (an experiment parameter that sets several keys).
    """
    info = _field_info(key or path)
    label = short_parameter(path)
    if info is None:
        return label
    desc, kind = info
    leaf = (key or path).split(".")[-1]
    if leaf in _UNIT_OVERRIDES:
        return f"{label} [{_UNIT_OVERRIDES[leaf]}]"
    if kind == "bool":
        return f"{label} (True/False)"
    unit = re.search(r"unit ([^;]+);", desc)
    if unit:
        return f"{label} [{unit.group(1).strip()}]"
    rng = re.search(r"range ([^;]+?)(?:;|$)", desc)
    return f"{label} [{rng.group(1).strip()}]" if rng else label

"""Model reporters (module-level, picklable functions) and run summaries.

Each reporter takes the model and returns one number for the day just
simulated. Counts are per day unless named cumulative; money is in kRp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collabsim.model import CollabModel

__all__ = [
    "DAYS_PER_MONTH",
    "UNDEFINED_WHEN_EMPTY",
    "collaboration_reporters",
    "licensing_reporters",
    "mobility_reporters",
    "summarise",
]

DAYS_PER_MONTH = 365.25 / 12

#: Reporters that are undefined (NaN, shown as "n/a") on a day with nothing to measure:
#: no permit issued or hand-off made in the last 30 days, no file in process, no levy
#: target (a free permit), no need acted on yet.
UNDEFINED_WHEN_EMPTY = frozenset({
    "mean_processing_days", "p90_processing_days", "within_service_level", "handoff_delay",
    "mean_age_in_process", "levy_target_share", "levy_share_30d", "informal_share"})


def _today(service: str, key: str) -> Callable[[Any], float]:
    """Reporter of a service's count for the day just simulated."""
    def reporter(m: CollabModel) -> float:
        return getattr(m, service).today[key]
    reporter.__name__ = f"{service}_{key}"
    return reporter


def _value(service: str, method: str) -> Callable[[Any], float]:
    """Reporter of the value a service method returns for the day."""
    def reporter(m: CollabModel) -> float:
        return getattr(getattr(m, service), method)()
    reporter.__name__ = f"{service}_{method}"
    return reporter


def backlog(m: CollabModel) -> float:
    """Files in process at the end of the day."""
    return m.licensing.backlog()


def mean_processing_days(m: CollabModel) -> float:
    """Mean days from submission to issue, files issued in the last 30 days."""
    return m.licensing.mean_processing_days()


def p90_processing_days(m: CollabModel) -> float:
    """90th percentile processing days, last 30 days."""
    return m.licensing.p90_processing_days()


def within_service_level(m: CollabModel) -> float:
    """Share of recent permits issued within the service-level target."""
    return m.licensing.within_service_level()


def informal_share(m: CollabModel) -> float:
    """Cumulative informal ÷ (informal + submitted)."""
    return m.licensing.informal_share()


def levy_revenue(m: CollabModel) -> float:
    """Cumulative levy revenue (kRp)."""
    return m.licensing.levy_revenue


def levy_collected(m: CollabModel) -> float:
    """Levy collected today (kRp)."""
    return m.licensing.levy_today


def levy_due(m: CollabModel) -> float:
    """The levy target pro-rated to one day (kRp/day; 0 without a target)."""
    return m.levy_target_per_year / 365.0


def levy_target_share(m: CollabModel) -> float:
    """Cumulative levy ÷ target pro-rated to date."""
    return m.licensing.levy_target_share()


def stalled_files(m: CollabModel) -> float:
    """Files blocked for want of a regulation."""
    return m.licensing.stalled_files()


def handoff_delay(m: CollabModel) -> float:
    """Mean hand-off delay in the last 30 days (days)."""
    return m.licensing.handoff_delay()


def informed_share(m: CollabModel) -> float:
    """Share of citizens who know how to apply."""
    return m.licensing.informed_share()


def expected_days(m: CollabModel) -> float:
    """Citizens' mean expected processing days."""
    return m.licensing.mean_expected_days()


def workflow_stages(m: CollabModel) -> float:
    """Number of stages in the workflow now."""
    return m.licensing.n_stages


def mean_trust(m: CollabModel) -> float:
    """Mean trust over the collaboration network's ties."""
    ties = [d["trust"] for _, _, d in m.collaboration_graph.edges(data=True)]
    return float(np.mean(ties)) if ties else 0.0


def mean_commitment(m: CollabModel) -> float:
    """Mean commitment of the agencies to the joint arrangement."""
    return float(np.mean([a.commitment for a in m.agency_list]))


def mean_officer_effort(m: CollabModel) -> float:
    """Mean effort of all officers (share of full effort)."""
    e = m.officers.effort
    return float(e.mean()) if e.size else 0.0


PHASE_CODES = {"baseline": 0, "education": 1, "enforcement": 2, "lifted": 3}


def restriction_phase(m: CollabModel) -> float:
    """0 baseline, 1 education only, 2 enforcement, 3 restrictions lifted."""
    return PHASE_CODES[m.mobility.phase(m.day)]


def fines_collected(m: CollabModel) -> float:
    """Cumulative fines collected (kRp)."""
    return m.mobility.fines


def checkpoint_gaps(m: CollabModel) -> float:
    """Checkpoints nobody staffs today."""
    return int(m.mobility.gaps().sum()) if m.mobility.phase(m.day) in ("education",
                                                                        "enforcement") else 0


def checkpoint_overlaps(m: CollabModel) -> float:
    """Checkpoints over-staffed by more than one agency today."""
    return int(m.mobility.overlaps().sum())


def officers_deployed(m: CollabModel) -> float:
    """Patrol officers at checkpoints today."""
    return m.mobility.deployed


def posts_without_fining(m: CollabModel) -> float:
    """Staffed checkpoints today without an officer who has fining authority."""
    return int(m.mobility.posts_without_fining().sum())


def mobility_reporters() -> dict[str, Callable[[Any], float]]:
    """Reporters of the mobility-control service, keyed by column name."""
    return {
        "restriction_phase": restriction_phase,
        "trips": _today("mobility", "trips"),
        "violations": _today("mobility", "violations"),
        "violations_detected": _today("mobility", "detected"),
        "mobility_index": _value("mobility", "mobility_index"),
        "compliance_rate": _value("mobility", "compliance_rate"),
        "awareness_rate": _value("mobility", "awareness_rate"),
        "perceived_risk": _value("mobility", "perceived_risk"),
        "enforcement_coverage": _value("mobility", "enforcement_coverage"),
        "checkpoint_gaps": checkpoint_gaps,
        "checkpoint_overlaps": checkpoint_overlaps,
        "officers_deployed": officers_deployed,
        "fines_collected": fines_collected,
        "fines_issued": _today("mobility", "fined"),
        "warnings_issued": _today("mobility", "warned"),
        "cctv_captures": _today("mobility", "captures"),
        "cctv_acted_on": _today("mobility", "acted_on"),
        "campaign_reached": _today("mobility", "reached"),
        "posts_without_fining": posts_without_fining,
    }


def licensing_reporters() -> dict[str, Callable[[Any], float]]:
    """Reporters of the licensing service, keyed by column name."""
    return {
        "applications_submitted": _today("licensing", "submitted"),
        "permits_issued": _today("licensing", "issued"),
        "rejected": _today("licensing", "rejected"),
        "abandoned": _today("licensing", "abandoned"),
        "informal": _today("licensing", "informal"),
        "files_held": _today("licensing", "stalled"),
        "issued_without_levy": _today("licensing", "waived"),
        "charged_without_regulation": _today("licensing", "charged"),
        "levy_unpaid": _today("licensing", "unpaid"),
        "informal_fees_asked": _today("licensing", "informal_fees"),
        "sessions_held": _today("licensing", "sessions"),
        "handoffs": _today("licensing", "handoffs"),
        "stage_improvements": _today("licensing", "improvements"),
        "levy_collected": levy_collected,
        "levy_due": levy_due,
        "mean_age_in_process": _value("licensing", "mean_age_in_process"),
        "backlog": backlog,
        "stalled_files": stalled_files,
        "mean_processing_days": mean_processing_days,
        "p90_processing_days": p90_processing_days,
        "within_service_level": within_service_level,
        "informal_share": informal_share,
        "levy_revenue": levy_revenue,
        "levy_target_share": levy_target_share,
        "levy_share_30d": _value("licensing", "levy_share_30d"),
        "handoff_delay": handoff_delay,
        "informed_share": informed_share,
        "expected_days": expected_days,
        "workflow_stages": workflow_stages,
    }


def _cost(part: str) -> Callable[[Any], float]:
    """Reporter of today's cost of one kind (kRp; officer-days for ``officer_days``)."""
    def reporter(m: CollabModel) -> float:
        return m.costs_today[part]
    reporter.__name__ = f"cost_{part}"
    return reporter


def cost_reporters() -> dict[str, Callable[[Any], float]]:
    """Reporters of what the day cost (kRp) and the officer-days it used."""
    return {"cost_staff": _cost("staff"), "cost_campaigns": _cost("campaigns"),
            "cost_interventions": _cost("interventions"), "officer_days": _cost("officer_days")}


def collaboration_reporters() -> dict[str, Callable[[Any], float]]:
    """Reporters of the collaboration network and the officers."""
    return {
        "mean_trust": mean_trust,
        "mean_commitment": mean_commitment,
        "mean_officer_effort": mean_officer_effort,
    }


def _window_mean(df: pd.DataFrame, col: str, lo: int, hi: int) -> float:
    part = df[col].iloc[lo:hi]
    return float(part.mean()) if len(part) else float("nan")


def summarise(df: pd.DataFrame, start: int, warmup: int) -> dict[str, float]:
    """Summarise a run's time series before and after the collaboration start.

    Args:
        df: One row per day (row ``i`` is day ``i``), one column per metric.
        start: The collaboration start day.
        warmup: Days at the start left out of the "before" window.

    Returns:
        A flat dict: per-month means before/after for flows, before/after means
        for levels, and final values of cumulative metrics.
    """
    out: dict[str, float] = {"days": len(df)}
    flows = [c for c in ("applications_submitted", "permits_issued", "abandoned", "informal",
                         "rejected", "files_held", "issued_without_levy",
                         "charged_without_regulation", "levy_unpaid", "informal_fees_asked",
                         "sessions_held", "handoffs", "stage_improvements") if c in df]
    for col in flows:
        out[f"{col}_per_month_before"] = _window_mean(df, col, warmup, start) * DAYS_PER_MONTH
        out[f"{col}_per_month_after"] = _window_mean(df, col, start, len(df)) * DAYS_PER_MONTH
    for col in ("mean_processing_days", "mean_age_in_process", "backlog", "mean_trust",
                "mean_commitment", "mean_officer_effort", "handoff_delay", "informed_share",
                "expected_days"):
        if col in df:
            out[f"{col}_before"] = _window_mean(df, col, warmup, start)
            out[f"{col}_after"] = _window_mean(df, col, start, len(df))
    if {"informal", "applications_submitted", "abandoned"} <= set(df):
        for name, lo, hi in (("before", warmup, start), ("after", start, len(df))):
            part = df.iloc[lo:hi]
            acted = (part["informal"].sum() + part["applications_submitted"].sum()
                     - part["abandoned"].sum())
            out[f"informal_share_{name}"] = (float(part["informal"].sum() / acted)
                                             if acted > 0 else float("nan"))
    if "levy_collected" in df and df["levy_due"].sum() > 0:
        for name, lo, hi in (("before", warmup, start), ("after", start, len(df))):
            due = df["levy_due"].iloc[lo:hi].sum()
            out[f"levy_target_share_{name}"] = (float(df["levy_collected"].iloc[lo:hi].sum() / due)
                                                if due > 0 else float("nan"))
    for col in ("levy_revenue", "levy_target_share", "informal_share", "informed_share",
                "mean_trust", "mean_commitment", "backlog", "stalled_files", "fines_collected"):
        if col in df:
            out[f"{col}_final"] = float(df[col].iloc[-1])
    if "cost_staff" in df:
        out.update(_cost_totals(df, start))
    if "restriction_phase" in df:
        out.update(_phase_means(df))
    return out


def _cost_totals(df: pd.DataFrame, start: int) -> dict[str, float]:
    """What the run cost (kRp), in all and after the start, and its officer-days."""
    parts = ("cost_staff", "cost_campaigns", "cost_interventions")
    out = {f"{p}_total": float(df[p].sum()) for p in parts}
    out["cost_total"] = sum(out[f"{p}_total"] for p in parts)
    out["cost_total_after"] = float(df[list(parts)].iloc[start:].to_numpy().sum())
    out["officer_days_total"] = float(df["officer_days"].sum())
    out["officer_days_after"] = float(df["officer_days"].iloc[start:].sum())
    for flow in ("permits_issued", "applications_submitted", "levy_collected", "trips"):
        if flow in df:
            out[f"{flow}_total_after"] = float(df[flow].iloc[start:].sum())
    return out


def _phase_means(df: pd.DataFrame) -> dict[str, float]:
    """Mobility outcomes averaged over each restriction phase."""
    out: dict[str, float] = {}
    cols = ("mobility_index", "compliance_rate", "awareness_rate", "violations_detected",
            "enforcement_coverage", "checkpoint_gaps", "checkpoint_overlaps", "perceived_risk",
            "fines_issued", "warnings_issued", "cctv_captures", "cctv_acted_on",
            "posts_without_fining", "campaign_reached")
    for phase, code in PHASE_CODES.items():
        part = df[df["restriction_phase"] == code]
        for col in cols:
            if col in df:
                out[f"{col}_{phase}"] = float(part[col].mean()) if len(part) else float("nan")
    return out

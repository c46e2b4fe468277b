"""Model reporters and run summaries, derived from the metrics each service declares.

Every service declares its metrics once (:class:`~collabsim.services.registry.Metric`:
name, reporter, label, unit, how it is summarised); the model adds its own
(the collaboration cycle, officers' effort, costs) in :data:`MODEL_METRICS`.
Reporters, run summaries, labels, headline tables and the lists of known metrics
are all derived from these declarations. Counts are per day unless named
cumulative; money is in kRp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from collabsim.network import mean_of, tie_data
from collabsim.services import SERVICES
from collabsim.services.mobility import PHASE_CODES
from collabsim.services.registry import Metric, all_metrics

if TYPE_CHECKING:
    from collabsim.model import CollabModel

__all__ = [
    "DAYS_PER_MONTH",
    "MODEL_METRICS",
    "PHASE_CODES",
    "UNDEFINED_WHEN_EMPTY",
    "declared_metrics",
    "metric_labels",
    "reporters_of",
    "summarise",
]

DAYS_PER_MONTH = 365.25 / 12


def mean_trust(m: CollabModel) -> float:
    """Mean trust over the collaboration network's ties."""
    ties = [d["trust"] for d in tie_data(m.collaboration_graph)]
    return mean_of(ties) if ties else 0.0


def mean_commitment(m: CollabModel) -> float:
    """Mean commitment of the agencies to the joint arrangement."""
    return mean_of([a.commitment for a in m.agency_list])


def mean_officer_effort(m: CollabModel) -> float:
    """Mean effort of all officers (share of full effort)."""
    e = m.officers.effort
    return float(np.add.reduce(e)) / e.size if e.size else 0.0  # e.mean(), unwrapped


def _cost(part: str) -> Callable[[Any], float]:
    """Reporter of today's cost of one kind (kRp; officer-days for ``officer_days``)."""
    def reporter(m: CollabModel) -> float:
        return m.costs_today[part]
    reporter.__name__ = f"cost_{part}"
    return reporter


#: The model's own metrics: the collaboration cycle, officers' effort, and costs.
MODEL_METRICS: tuple[Metric, ...] = (
    Metric("mean_trust", mean_trust, "mean trust on ties", "0–1", kind="level", final=True),
    Metric("mean_commitment", mean_commitment, "mean agency commitment", "0–1", kind="level",
           final=True),
    Metric("mean_officer_effort", mean_officer_effort, "mean officer effort", "0–1",
           kind="level"),
    Metric("cost_staff", _cost("staff"), "officers' time", "kRp / day"),
    Metric("cost_campaigns", _cost("campaigns"), "campaigns", "kRp / day"),
    Metric("cost_interventions", _cost("interventions"), "interventions", "kRp / day"),
    Metric("officer_days", _cost("officer_days"), "officer-days", "officer-days / day"),
)


def declared_metrics(services: Iterable[str] | None = None) -> list[Metric]:
    """The metrics of the given registered services (default: all), then the model's."""
    names = list(SERVICES) if services is None else list(services)
    return [*(m for n in names for m in SERVICES[n].metrics), *MODEL_METRICS]


#: Reporters that are undefined (NaN, shown as "n/a") on a day with nothing to measure.
UNDEFINED_WHEN_EMPTY = frozenset(m.name for m in all_metrics(MODEL_METRICS)
                                 if m.undefined_when_empty)


def metric_labels() -> dict[str, str]:
    """Label with unit of every declared metric, e.g. ``"permits issued (permits / day)"``."""
    return {m.name: f"{m.label} ({m.unit})" for m in all_metrics(MODEL_METRICS)}


def reporters_of(metrics: Iterable[Metric]) -> dict[str, Callable[[Any], float]]:
    """Column name → reporter for ``mesa.DataCollector``."""
    return {m.name: m.read for m in metrics}


def _window_mean(df: pd.DataFrame, col: str, lo: int, hi: int) -> float:
    part = df[col].iloc[lo:hi]
    return float(part.mean()) if len(part) else float("nan")


def summarise(df: pd.DataFrame, start: int, warmup: int,
              metrics: Iterable[Metric] | None = None) -> dict[str, float]:
    """Summarise a run's time series before and after the collaboration start.

    What each column yields follows its declaration (:class:`Metric`): flows
    per month before/after (``NAME_per_month_before``/``_after``) and their
    total after the start, levels as means before/after, final values, means
    per restriction phase; each service adds its derived window shares, and
    the costs their totals.

    Args:
        df: One row per day (row ``i`` is day ``i``), one column per metric.
        start: The day that splits the windows (the collaboration start).
        warmup: Days at the start left out of the "before" window.
        metrics: The declarations (default: every registered service's and the
            model's, for the columns present).

    Returns:
        A flat dict of summary outcomes.
    """
    declared = [m for m in (metrics if metrics is not None else all_metrics(MODEL_METRICS))
                if m.name in df]
    out: dict[str, float] = {"days": len(df)}
    for m in declared:
        if m.kind == "flow":
            out[f"{m.name}_per_month_before"] = (_window_mean(df, m.name, warmup, start)
                                                 * DAYS_PER_MONTH)
            out[f"{m.name}_per_month_after"] = (_window_mean(df, m.name, start, len(df))
                                                * DAYS_PER_MONTH)
        elif m.kind == "level":
            out[f"{m.name}_before"] = _window_mean(df, m.name, warmup, start)
            out[f"{m.name}_after"] = _window_mean(df, m.name, start, len(df))
        if m.final:
            out[f"{m.name}_final"] = float(df[m.name].iloc[-1]) if len(df) else float("nan")
        if m.total_after:
            out[f"{m.name}_total_after"] = float(df[m.name].iloc[start:].sum())
    for spec in SERVICES.values():
        if all(m.name in df for m in spec.metrics[:1]) and spec.metrics:
            summaries = getattr(spec.cls, "derived_summaries", None)
            if summaries is not None:
                out.update(summaries(df, start, warmup))
    if "cost_staff" in df:
        out.update(_cost_totals(df, start))
    if "restriction_phase" in df:
        out.update(_phase_means(df, [m.name for m in declared if m.phases]))
    return out


def _cost_totals(df: pd.DataFrame, start: int) -> dict[str, float]:
    """What the run cost (kRp), in all and after the start, and its officer-days."""
    parts = ("cost_staff", "cost_campaigns", "cost_interventions")
    out = {f"{p}_total": float(df[p].sum()) for p in parts}
    out["cost_total"] = sum(out[f"{p}_total"] for p in parts)
    out["cost_total_after"] = float(df[list(parts)].iloc[start:].to_numpy().sum())
    out["officer_days_total"] = float(df["officer_days"].sum())
    out["officer_days_after"] = float(df["officer_days"].iloc[start:].sum())
    return out


def _phase_means(df: pd.DataFrame, cols: list[str]) -> dict[str, float]:
    """Outcomes averaged over each restriction phase (NaN-aware; NaN for an absent phase)."""
    out: dict[str, float] = {}
    for phase, code in PHASE_CODES.items():
        part = df[df["restriction_phase"] == code]
        for col in cols:
            out[f"{col}_{phase}"] = float(part[col].mean()) if len(part) else float("nan")
    return out

"""Plots (matplotlib, the only module that imports it). Every axis names its unit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["UNITS", "plot_timeseries", "plot_compare_bands", "plot_before_after", "save"]

#: Axis labels (with units) of the metrics.
UNITS: dict[str, str] = {
    "applications_submitted": "applications / day",
    "permits_issued": "permits issued / day",
    "backlog": "files in process",
    "stalled_files": "stalled files",
    "mean_processing_days": "mean processing time (days)",
    "p90_processing_days": "90th pct processing time (days)",
    "informal_share": "informal share (0–1)",
    "levy_revenue": "cumulative levy (kRp)",
    "levy_target_share": "levy ÷ target to date (0–1+)",
    "mean_trust": "mean trust on ties (0–1)",
    "mean_commitment": "mean agency commitment (0–1)",
    "mean_officer_effort": "mean officer effort (0–1)",
    "handoff_delay": "hand-off delay (days)",
    "informed_share": "citizens informed (0–1)",
    "expected_days": "citizens' expected days",
    "abandoned": "files abandoned / day",
    "mobility_index": "mobility index (trips ÷ baseline)",
    "compliance_rate": "compliance rate (0–1)",
    "awareness_rate": "awareness rate (0–1)",
    "violations_detected": "violations detected / day",
    "enforcement_coverage": "enforcement coverage (0–1)",
    "checkpoint_gaps": "unstaffed checkpoints",
    "checkpoint_overlaps": "over-staffed checkpoints",
    "fines_collected": "cumulative fines (kRp)",
}

FLOWS = {"applications_submitted", "permits_issued", "abandoned", "violations_detected"}


def save(fig: plt.Figure, path: Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Save a figure in each format next to ``path`` and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = path.with_suffix(f".{fmt}")
        fig.savefig(p, dpi=130, bbox_inches="tight")
        out.append(p)
    plt.close(fig)
    return out


def _smooth(s: pd.Series, col: str, window: int = 30) -> pd.Series:
    return s.rolling(window, min_periods=1).mean() if col in FLOWS else s


def _grid(n: int) -> tuple[plt.Figure, np.ndarray]:
    cols = 3 if n > 4 else 2
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.0 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def plot_timeseries(df: pd.DataFrame, path: Path, metrics: Sequence[str], start: int | None = None,
                    title: str = "") -> list[Path]:
    """One run's metrics over time (daily flows as 30-day moving averages)."""
    metrics = [m for m in metrics if m in df]
    fig, axes = _grid(len(metrics))
    for ax, col in zip(axes, metrics, strict=False):
        ax.plot(df.index, _smooth(df[col], col), lw=1.4)
        if start is not None:
            ax.axvline(start, color="grey", ls="--", lw=1)
        ax.set_title(col + (" (30-day mean)" if col in FLOWS else ""), fontsize=9)
        ax.set_xlabel("day")
        ax.set_ylabel(UNITS.get(col, col), fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title + ("   (dashed: collaboration start)" if start is not None else ""),
                 fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_compare_bands(ts: pd.DataFrame, path: Path, metrics: Sequence[str],
                       start: int | None = None, by: str = "scenario",
                       formats: Sequence[str] = ("png",)) -> list[Path]:
    """Mean over replications with a 95 % band (normal approximation) per group."""
    from scipy import stats

    metrics = [m for m in metrics if m in ts]
    fig, axes = _grid(len(metrics))
    for ax, col in zip(axes, metrics, strict=False):
        for key, grp in ts.groupby(by, sort=False):
            wide = grp.pivot_table(index="day", columns="replicate", values=col)
            if col in FLOWS:
                wide = wide.rolling(30, min_periods=1).mean()
            mean = wide.mean(axis=1)
            n = wide.shape[1]
            half = (stats.t.ppf(0.975, n - 1) * wide.std(axis=1, ddof=1) / np.sqrt(n)
                    if n > 1 else 0 * mean)
            ax.plot(mean.index, mean, lw=1.4, label=str(key))
            ax.fill_between(mean.index, mean - half, mean + half, alpha=0.25)
        if start is not None:
            ax.axvline(start, color="grey", ls="--", lw=1)
        ax.set_title(col + (" (30-day mean)" if col in FLOWS else ""), fontsize=9)
        ax.set_xlabel("day")
        ax.set_ylabel(UNITS.get(col, col), fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Mean over replications with 95 % confidence band"
                 + ("   (dashed: collaboration start)" if start is not None else ""), fontsize=10)
    fig.tight_layout()
    return save(fig, path, formats)


def plot_before_after(table: pd.DataFrame, path: Path, metrics: Sequence[str],
                      by: str = "scenario", formats: Sequence[str] = ("png",)) -> list[Path]:
    """Bars of before/after means with 95 % CI whiskers per group.

    Args:
        table: The long confidence table (``by``, metric, mean, ci_low, ci_high).
        path: Output path (suffix replaced per format).
        metrics: Base names; ``{m}_before`` / ``{m}_after`` rows are drawn.
        by: The grouping column.
        formats: File formats to write.
    """
    metrics = [m for m in metrics
               if f"{m}_before" in set(table.metric) and f"{m}_after" in set(table.metric)]
    fig, axes = _grid(len(metrics))
    groups = list(dict.fromkeys(table[by]))
    x = np.arange(len(groups))
    for ax, m in zip(axes, metrics, strict=False):
        for j, phase in enumerate(("before", "after")):
            rows = table[table.metric == f"{m}_{phase}"].set_index(by).reindex(groups)
            err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
            ax.bar(x + (j - 0.5) * 0.38, rows["mean"], 0.38, yerr=err, capsize=3, label=phase)
        ax.set_xticks(x, groups, fontsize=8)
        base = m.replace("_per_month", "")
        unit = UNITS.get(base, base).replace("/ day", "/ month") if "per_month" in m else \
            UNITS.get(base, base)
        ax.set_ylabel(unit, fontsize=8)
        ax.set_title(m, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8)
    fig.suptitle("Before vs after the collaboration start (mean, 95 % CI)", fontsize=10)
    fig.tight_layout()
    return save(fig, path, formats)

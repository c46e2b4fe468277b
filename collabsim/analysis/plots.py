"""Plots (matplotlib, the only module that imports it). Every axis names its unit.

Figures are sized for a report page (about 10 inches wide at 130 dpi) with
fonts of at least 8 points, so they stay readable when an HTML report scales
them to the width of a screen or an e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors

from collabsim.analysis.labels import (
    UNITS,
    outcome_label,
    outcome_unit,
    parameter_label,
    short_parameter,
)

__all__ = [
    "UNITS",
    "plot_bands",
    "plot_before_after",
    "plot_compare_bands",
    "plot_heatmap",
    "plot_main_effects",
    "plot_network",
    "plot_prim",
    "plot_sensitivity",
    "plot_timeseries",
    "save",
]

FLOWS = {"applications_submitted", "permits_issued", "abandoned", "violations_detected",
         "rejected", "informal", "trips", "violations", "mean_officer_effort"}

#: Metrics that cannot be negative: confidence bands are clipped at zero.
NON_NEGATIVE = set(UNITS) - {"restriction_phase"}

plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
                     "legend.fontsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8})


def save(fig: plt.Figure, path: Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Save a figure in each format next to ``path`` and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = path.with_suffix(f".{fmt}")
        fig.savefig(p, dpi=130, bbox_inches="tight", metadata=_metadata(fmt))
        out.append(p)
    plt.close(fig)
    return out


def _metadata(fmt: str) -> dict[str, Any] | None:
    # No creation dates: the same results give byte-identical SVG and PNG files.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "png":
        return {"Software": None}
    return None


def _smooth(s: pd.Series | pd.DataFrame, col: str, window: int = 30):
    return s.rolling(window, min_periods=1).mean() if col in FLOWS else s


def _grid(n: int, width: float = 4.6, height: float = 3.0,
          max_cols: int = 3) -> tuple[plt.Figure, np.ndarray]:
    cols = min(max_cols if n > 4 else 2, max(n, 1))
    rows = int(np.ceil(max(n, 1) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _metric_title(col: str) -> str:
    return col.replace("_", " ") + (" (30-day mean)" if col in FLOWS else "")


def intervention_markers(scenarios: Sequence[Any], prefix: bool = False
                         ) -> list[tuple[int, str]]:
    """``(day, label)`` of every intervention of the scenarios (label prefixed by scenario name)."""
    out = []
    for sc in scenarios:
        for iv in getattr(sc, "interventions", []):
            label = iv.label or ", ".join(iv.set)
            out.append((iv.day, f"{sc.name}: {label}" if prefix else label))
    return sorted(set(out))


def draw_markers(ax: Any, markers: Sequence[tuple[int, str]], labelled: bool = True) -> None:
    """Dotted vertical lines at intervention days, labelled along the line near the top."""
    for day, label in markers:
        ax.axvline(day, color="#b15928", ls=":", lw=1.2)
        if labelled:
            ax.annotate(label[:40], xy=(day, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(2, -2), textcoords="offset points", rotation=90,
                        va="top", ha="left", fontsize=6, color="#b15928")


def plot_timeseries(df: pd.DataFrame, path: Path, metrics: Sequence[str], start: int | None = None,
                    title: str = "", markers: Sequence[tuple[int, str]] = ()) -> list[Path]:
    """One run's metrics over time (daily flows as 30-day moving averages).

    ``markers``: ``(day, label)`` of interventions, drawn as labelled dotted lines.
    """
    metrics = [m for m in metrics if m in df]
    fig, axes = _grid(len(metrics))
    for ax, col in zip(axes, metrics, strict=False):
        ax.plot(df.index, _smooth(df[col], col), lw=1.4)
        draw_markers(ax, markers)
        if start is not None:
            ax.axvline(start, color="grey", ls="--", lw=1)
        ax.set_title(_metric_title(col), fontsize=9)
        ax.set_xlabel("day")
        ax.set_ylabel(UNITS.get(col, col), fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title + ("   (dashed: collaboration start)" if start is not None else ""),
                 fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def _t_half(wide: pd.DataFrame) -> pd.Series:
    from collabsim.analysis.compare import t_halfwidth

    n = wide.notna().sum(axis=1)
    return pd.Series(t_halfwidth(wide.std(axis=1, ddof=1), n), index=wide.index)


def plot_bands(ts: pd.DataFrame, path: Path, metrics: Sequence[str], groups: pd.Series,
               start: int | None = None, spread: bool = False,
               formats: Sequence[str] = ("png",), title: str = "",
               markers: Sequence[tuple[int, str]] = ()) -> list[Path]:
    """Mean over runs with its 95 % confidence band, per group of runs.

    Args:
        ts: Long time series with ``run_id``, ``day`` and metric columns.
        path: Output path (suffix replaced per format).
        metrics: Metric columns to draw, one panel each.
        groups: Group label of each run, indexed by ``run_id``.
        start: Day of the collaboration start (a dashed line), if any.
        spread: Also shade the 5–95 % range across runs (for sweeps, where
            runs differ in their parameters, not only their seeds).
        formats: File formats to write.
        title: Figure title.
        markers: ``(day, label)`` of interventions, drawn as labelled dotted lines.
    """
    metrics = [m for m in metrics if m in ts]
    fig, axes = _grid(len(metrics))
    labels = groups.reindex(ts["run_id"]).to_numpy()
    for ax, col in zip(axes, metrics, strict=False):
        for i, key in enumerate(dict.fromkeys(groups)):
            part = ts.loc[labels == key, ["run_id", "day", col]]
            wide = _smooth(part.pivot_table(index="day", columns="run_id", values=col), col)
            mean = wide.mean(axis=1)
            half = _t_half(wide)
            low = (mean - half).clip(lower=0) if col in NON_NEGATIVE else mean - half
            # line styles keep groups apart where their lines coincide
            (line,) = ax.plot(mean.index, mean, lw=1.5, label=str(key),
                              ls=("-", "--", ":", "-.")[i % 4])
            ax.fill_between(mean.index, low, mean + half, alpha=0.3,
                            color=line.get_color(), lw=0)
            if spread and wide.shape[1] > 2:
                lo, hi = wide.quantile(0.05, axis=1), wide.quantile(0.95, axis=1)
                ax.fill_between(mean.index, lo, hi, alpha=0.1, color=line.get_color(), lw=0)
        draw_markers(ax, markers)
        if start is not None:
            ax.axvline(start, color="grey", ls="--", lw=1)
        ax.set_title(_metric_title(col))
        ax.set_xlabel("day of simulation")
        ax.set_ylabel(UNITS.get(col, col))
        ax.grid(alpha=0.3)
    if len(dict.fromkeys(groups)) > 1 or len(metrics) == 1:
        axes[0].legend(loc="best")
    what = "mean over runs, 95 % confidence band" + (
        "; light band: 5–95 % of runs" if spread else "")
    fig.suptitle((title + "\n" if title else "") + what
                 + ("   (dashed: collaboration start)" if start is not None else ""))
    fig.tight_layout()
    return save(fig, path, formats)


def plot_compare_bands(ts: pd.DataFrame, path: Path, metrics: Sequence[str],
                       start: int | None = None, by: str = "scenario",
                       formats: Sequence[str] = ("png",),
                       markers: Sequence[tuple[int, str]] = ()) -> list[Path]:
    """Mean over replications with a 95 % band per group (a comparison's long series).

    Over a posterior a run is a (draw, replicate): the band spans both.
    """
    run = [by, "replicate", *[c for c in ("posterior_draw",) if c in ts]]
    keys = ts[run].drop_duplicates().reset_index(drop=True)
    keys["run_id"] = np.arange(len(keys))
    long = ts.merge(keys, on=run)
    groups = keys.set_index("run_id")[by].astype(str)
    return plot_bands(long, path, metrics, groups, start=start, formats=formats, markers=markers)


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
    present = set(table.metric)
    metrics = [m for m in metrics if f"{m}_before" in present and f"{m}_after" in present]
    fig, axes = _grid(len(metrics), width=4.4, height=3.2)
    groups = list(dict.fromkeys(table[by]))
    x = np.arange(len(groups))
    for ax, m in zip(axes, metrics, strict=False):
        for j, phase in enumerate(("before", "after")):
            rows = table[table.metric == f"{m}_{phase}"].set_index(by).reindex(groups)
            err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
            ax.bar(x + (j - 0.5) * 0.38, rows["mean"], 0.38, yerr=err, capsize=3,
                   label=f"{phase} start", color=("#9ecae1", "#3182bd")[j])
        ax.set_xticks(x, [str(g) for g in groups], rotation=20 if len(groups) > 3 else 0,
                      ha="right" if len(groups) > 3 else "center")
        ax.set_ylabel(outcome_unit(f"{m}_after"))
        ax.set_title(m.replace("_", " "))
        ax.grid(alpha=0.3, axis="y")
    if metrics:
        axes[0].legend()
    fig.suptitle("Before vs after the collaboration start (mean over runs, 95 % CI)")
    fig.tight_layout()
    return save(fig, path, formats)


def plot_sensitivity(table: pd.DataFrame, path: Path, outcomes: Sequence[str], method: str,
                     formats: Sequence[str] = ("png",), top: int = 12) -> list[Path]:
    """Ranked bars of sensitivity indices, one panel per outcome.

    Sobol: total-order ST (with its CI) and first-order S1 per parameter,
    sorted by ST. Morris: μ* with its CI, and σ as a marker, sorted by μ*.
    """
    outcomes = [o for o in outcomes if o in set(table.outcome)]
    scenarios = list(dict.fromkeys(table["scenario"])) if "scenario" in table else [None]
    panels = [(sc, o) for sc in scenarios for o in outcomes][:4]
    n_par = min(table.groupby("outcome").size().max() // len(scenarios), top) if len(table) \
        else 1
    fig, axes = _grid(len(panels), width=5.0, height=1.2 + 0.38 * n_par, max_cols=2)
    for ax, (scenario, outcome) in zip(axes, panels, strict=False):
        part = table[table.outcome == outcome]
        if scenario is not None:
            part = part[part.scenario == scenario]
        part = part.sort_values("rank").head(top)[::-1]
        y = np.arange(len(part))
        names = [short_parameter(p) for p in part.parameter]
        if method == "sobol":
            ax.barh(y + 0.18, part.ST, 0.36, xerr=part.ST_conf, capsize=2, color="#3182bd",
                    label="total order ST")
            ax.barh(y - 0.18, part.S1, 0.36, xerr=part.S1_conf, capsize=2, color="#9ecae1",
                    label="first order S1")
            ax.axvline(0, color="black", lw=0.8)
            ax.set_xlabel("Sobol index (share of outcome variance)")
        else:
            ax.barh(y, part.mu_star, 0.6, xerr=part.mu_star_conf, capsize=2, color="#3182bd",
                    label="μ* (mean |elementary effect|)")
            ax.plot(part.sigma, y, "o", color="#e6550d", label="σ (spread of effects)")
            ax.set_xlabel(f"elementary effect ({outcome_unit(outcome)} per full range)")
        ax.set_yticks(y, names)
        ax.set_title(outcome_label(outcome) + (f"\n{scenario}" if len(scenarios) > 1 else ""))
        ax.grid(alpha=0.3, axis="x")
    if panels:
        axes[0].legend(loc="lower right")
    kind = "Sobol indices (95 % CI)" if method == "sobol" else "Morris screening (95 % CI of μ*)"
    fig.suptitle(f"{kind}, parameters ranked")
    fig.tight_layout()
    return save(fig, path, formats)


def plot_heatmap(runs: pd.DataFrame, path: Path, x: str, y: str, outcomes: Sequence[str],
                 formats: Sequence[str] = ("png",), labels: Mapping[str, str] | None = None,
                 averaged_over: Sequence[str] = ()) -> list[Path]:
    """Mean outcome over runs in each cell of a two-factor grid, one panel per outcome.

    ``labels`` maps a parameter column to its axis label (default: from the
    schema); ``averaged_over`` names the other factors, said in the title.
    """
    labels = labels or {}
    fig, axes = _grid(len(outcomes), width=4.8, height=3.8, max_cols=2)
    for ax, outcome in zip(axes, outcomes, strict=False):
        grid = runs.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
        grid = grid.sort_index(ascending=False)
        im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v)
                                             for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v)
                                             for v in grid.index])
        ax.set_xlabel(labels.get(x) or parameter_label(x))
        ax.set_ylabel(labels.get(y) or parameter_label(y))
        _annotate(ax, grid.to_numpy(dtype=float), im)
        fig.colorbar(im, ax=ax, label=outcome_label(outcome), shrink=0.9)
        ax.set_title(outcome.replace("_", " "))
    rest = f" (averaged over {', '.join(averaged_over)})" if averaged_over else ""
    fig.suptitle(f"Two-factor grid: mean over runs in each cell{rest}")
    fig.tight_layout()
    return save(fig, path, formats)


def _annotate(ax: plt.Axes, values: np.ndarray, im: Any) -> None:
    if values.size > 64:
        return
    norm = im.norm
    for (i, j), v in np.ndenumerate(values):
        if np.isnan(v):
            continue
        dark = norm(v) < 0.6
        ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8,
                color="white" if dark else "black")


def plot_main_effects(levels: pd.DataFrame, path: Path, outcome: str,
                      formats: Sequence[str] = ("png",),
                      labels: Mapping[str, str] | None = None) -> list[Path]:
    """Mean outcome (95 % CI) at each level of each factor, one panel per factor.

    Numeric levels sit at their value (a bin at its midpoint); named levels
    (``True``/``False``, categories) are spaced evenly and labelled.
    """
    labels = labels or {}
    part = levels[levels.metric == outcome]
    factors = list(dict.fromkeys(part.factor))
    fig, axes = _grid(len(factors), width=3.8, height=2.9)
    for ax, factor in zip(axes, factors, strict=False):
        f = part[part.factor == factor].sort_values("level_value")
        err = np.vstack([f["mean"] - f["ci_low"], f["ci_high"] - f["mean"]])
        named = not all(_is_number(v) or "–" in str(v) for v in f.level)
        x = np.arange(len(f)) if named else f.level_value
        ax.errorbar(x, f["mean"], yerr=err, fmt="o-", capsize=3, lw=1.4)
        if named:
            ax.set_xticks(x, [str(v) for v in f.level])
            ax.set_xlim(-0.5, len(f) - 0.5)
        ax.set_xlabel(labels.get(factor) or parameter_label(factor))
        ax.set_ylabel(outcome_unit(outcome))
        ax.grid(alpha=0.3)
    fig.suptitle(f"Main effects on {outcome_label(outcome)} (mean over runs, 95 % CI)")
    fig.tight_layout()
    return save(fig, path, formats)


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def plot_network(snapshots: Sequence[Mapping[str, Any]], path: Path,
                 formats: Sequence[str] = ("png",), seed: int = 7) -> list[Path]:
    """The agency collaboration network at the end of chosen runs, one panel per run.

    Each snapshot holds ``graph`` (edge attribute ``trust``), ``commitment``
    (node → 0–1), ``labels`` (node → text) and ``title``. Node colour is the
    agency's commitment, edge colour and width the tie's trust, on shared
    0–1 scales. The layout is seeded, and shared by panels of the same agencies.
    """
    n = len(snapshots)
    fig, axes = plt.subplots(1, n, figsize=(min(4.6 * n, 14), 4.6), squeeze=False)
    node_cmap, edge_cmap = plt.get_cmap("YlGn"), plt.get_cmap("PuRd")
    norm = mcolors.Normalize(0, 1)
    layouts: dict[tuple, dict] = {}
    for ax, snap in zip(axes.flat, snapshots, strict=True):
        g = snap["graph"]
        key = tuple(sorted(g.nodes))
        pos = layouts.setdefault(key, _layout(g, seed))
        trust = [g.edges[e].get("trust", 0.0) for e in g.edges]
        nx.draw_networkx_edges(g, pos, ax=ax, width=[1 + 7 * t for t in trust],
                               edge_color=[edge_cmap(norm(t)) for t in trust])
        nx.draw_networkx_nodes(g, pos, ax=ax, node_size=900, edgecolors="black",
                               node_color=[node_cmap(norm(snap["commitment"][v]))
                                           for v in g.nodes])
        for v in g.nodes:
            _label_outside(ax, pos[v], f"{v}\ncommitment {snap['commitment'][v]:.2f}")
        if g.number_of_edges() <= 15:
            nx.draw_networkx_edge_labels(g, pos, ax=ax, font_size=7, edge_labels={
                e: f"{g.edges[e].get('trust', 0):.2f}" for e in g.edges})
        ax.set_title(snap.get("title", ""), fontsize=9)
        ax.set_xlim(-2.0, 2.0)  # layouts lie in [-1, 1]; room for the labels outside
        ax.set_ylim(-1.6, 1.6)
        ax.set_axis_off()
    lines = max(str(snap.get("title", "")).count("\n") + 1 for snap in snapshots)
    fig.subplots_adjust(bottom=0.2, top=0.93 - 0.045 * lines, wspace=0.05)
    cax1 = fig.add_axes((0.12, 0.09, 0.33, 0.03))
    cax2 = fig.add_axes((0.57, 0.09, 0.33, 0.03))
    fig.colorbar(plt.cm.ScalarMappable(norm, node_cmap), cax=cax1, orientation="horizontal",
                 label="agency commitment (0–1): node colour")
    fig.colorbar(plt.cm.ScalarMappable(norm, edge_cmap), cax=cax2, orientation="horizontal",
                 label="trust on the tie (0–1): edge colour, width, label")
    fig.suptitle("Collaboration network at the end of the run")
    return save(fig, path, formats)


def _label_outside(ax: plt.Axes, xy: np.ndarray, text: str) -> None:
    """Write a node's label on the side away from the layout's centre, clear of its ties."""
    x, y = float(xy[0]), float(xy[1])
    r = np.hypot(x, y)
    dx, dy = (x / r, y / r) if r > 1e-6 else (0.0, -1.0)
    ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
    va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
    ax.text(x + 0.3 * dx, y + 0.3 * dy, text, ha=ha, va=va, fontsize=8,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})


def _layout(g: nx.Graph, seed: int) -> dict:
    """A seeded layout: a circle for small complete networks, else a spring layout."""
    if g.number_of_nodes() <= 8:
        return nx.circular_layout(sorted(g.nodes))
    return nx.spring_layout(g, seed=seed)


def plot_prim(discoveries: Sequence[Any], path: Path,
              formats: Sequence[str] = ("png",)) -> list[Path]:
    """PRIM boxes: each restricted range within its sampled range, and the peeling trade-off.

    One row per failure rule that found a box: left, each box's limits on a
    0–1 scale of the sampled range (labelled with the real values); right,
    coverage against density along PRIM's peeling trajectory with the
    reported box marked.
    """
    found = [d for d in discoveries if d.boxes]
    n_lim = max((sum(len(b.limits) for b in d.boxes) for d in found), default=1)
    fig, axes = plt.subplots(len(found), 2, squeeze=False, gridspec_kw={"width_ratios": [3, 2]},
                             figsize=(11, max(3.2, 1.2 + 0.6 * n_lim) * len(found)))
    for (ax_box, ax_traj), d in zip(axes, found, strict=True):
        _draw_boxes(ax_box, d)
        _draw_tradeoff(ax_traj, d)
    fig.suptitle("Scenario discovery (PRIM): where failures concentrate")
    fig.tight_layout()
    return save(fig, path, formats)


def _draw_boxes(ax: plt.Axes, d: Any) -> None:
    rows = [(b, r) for b in d.boxes for r in b.limits.itertuples()]
    y = np.arange(len(rows))[::-1]
    palette = plt.get_cmap("tab10")
    for yi, (box, r) in zip(y, rows, strict=True):
        color = palette(box.index - 1)
        if r.levels:
            ax.barh(yi, 1, left=0, color=color, alpha=0.25)
            ax.text(0.5, yi, f"levels: {r.levels}", ha="center", va="center", fontsize=8)
            continue
        span = (r.range_high - r.range_low) or 1.0
        lo, hi = (r.low - r.range_low) / span, (r.high - r.range_low) / span
        ax.barh(yi, 1, left=0, color="#eeeeee", edgecolor="#bbbbbb", height=0.6)
        ax.barh(yi, hi - lo, left=lo, color=color, alpha=0.75, height=0.6)
        ax.text((lo + hi) / 2, yi, f"{_num(r.low, span)} – {_num(r.high, span)}", ha="center",
                va="center", fontsize=8, bbox={"boxstyle": "round,pad=0.15", "fc": "white",
                                               "ec": "none", "alpha": 0.8})
    ax.set_yticks(y, [f"box {b.index}: {short_parameter(r.parameter)}\n" + (
        f"sampled {_num(r.range_low, 1)}–{_num(r.range_high, 1)}" if not r.levels else "")
        for b, r in rows])
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("position within the sampled range (0 = lowest, 1 = highest)")
    stats = "; ".join(f"box {b.index}: coverage {b.coverage:.0%}, density {b.density:.0%}"
                      for b in d.boxes)
    ax.set_title(f"{d.rule.text}  ({d.n_cases} of {d.n_runs} runs)\n{stats}", fontsize=9)


def _num(v: float, span: float) -> str:
    """A limit for a label: 3 significant digits, and 0 for noise below 0.1 % of the span."""
    return "0" if abs(v) < 1e-3 * abs(span) else f"{v:.3g}"


def _draw_tradeoff(ax: plt.Axes, d: Any) -> None:
    for b in d.boxes:
        t = b.trajectory
        sc = ax.scatter(t.coverage, t.density, c=t.res_dim.astype(float), cmap="viridis", s=14)
        ax.plot(t.coverage.iloc[b.chosen], t.density.iloc[b.chosen], "o", ms=11, mfc="none",
                mec="red", mew=1.8)
        ax.annotate(f"box {b.index}", (t.coverage.iloc[b.chosen], t.density.iloc[b.chosen]),
                    xytext=(-34, -14), textcoords="offset points", fontsize=8, color="red")
    cb = plt.colorbar(sc, ax=ax, label="restricted parameters")
    cb.locator = matplotlib.ticker.MaxNLocator(integer=True)
    cb.update_ticks()
    ax.set_xlabel("coverage (share of all failures in box)")
    ax.set_ylabel("density (share of box runs failing)")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.set_title("PRIM peeling trajectory", fontsize=9)

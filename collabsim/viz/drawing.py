"""The view's pictures, drawn on the server with matplotlib into PNG bytes.

Why matplotlib and not Altair/Vega: Vega is loaded by the browser from a CDN at
run time, which closed networks (ours, many classrooms) cannot reach, while a
PNG needs nothing but the page; and the same model state always gives the
same bytes. matplotlib's object API (``Figure``, never ``pyplot``) keeps drawing
thread-safe when several students share a server.

Each panel is a *board*: its figure, axes and artists are made once per model
and only their data change from step to step. Axes, ticks and legends are
drawn once into a background (matplotlib blitting), and the layout is solved
once (constrained layout) or fixed, then frozen; the background is drawn again
only when an axis' range changes. Building the six KPI axes anew cost ~0.6 s a
step on this machine, solving their layout ~1 s; a blitted update costs a few
tens of milliseconds. Boards take their
numbers from :mod:`collabsim.viz.panels`.
"""

from __future__ import annotations

import io
import math
import threading
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from collabsim.viz import panels
from collabsim.viz.i18n import data, t

if TYPE_CHECKING:
    from collabsim.model import CollabModel

__all__ = ["Board", "DistrictBoard", "KpiBoard", "NetworkBoard", "PipelineBoard", "nice_top",
           "short_code"]

#: Agency codes too long for a circle in capitals, in the form the studies write them.
SHORT_CODES = {"SATPOLPP": "Satpol PP", "DISKOMINFO": "Diskominfo", "KECAMATAN": "Kecamatan",
               "POLRESTA": "Polresta"}


def short_code(code: str) -> str:
    """An agency's code as written inside its circle."""
    return SHORT_CODES.get(code, code)

DPI = 96
COMMITMENT_CMAP = colormaps["RdYlGn"]
TIE_COLOUR = "#4575b4"
FLIGHT_COLOUR = "#f46d43"
STATUS_COLOURS = {"in_flight": FLIGHT_COLOUR, "queued": "#4575b4", "stalled": "#a50026"}
SERIES_COLOURS = ["#4575b4", "#d73027", "#1a9850"]
MARKER_COLOUR = "#7b3294"


def nice_top(value: float) -> float:
    """A round axis top at or above ``value`` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    return next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= value)


class Board:
    """A figure drawn once and updated in place; :meth:`render` gives PNG bytes.

    Axes, ticks, titles and legends are drawn once into a background image
    (blitting); a render restores it and draws only the artists listed in
    ``dynamic`` — the parts that change with the model.
    """

    def __init__(self, figsize: tuple[float, float], layout: str | None = "constrained"):
        self.fig = Figure(figsize=figsize, dpi=DPI, layout=layout)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic: list[Artist] = []
        self._background = None
        self._lock = threading.Lock()

    def update(self, model: CollabModel, *others: CollabModel) -> None:
        """Move the dynamic artists to the model's state (subclasses)."""

    def redraw_background(self) -> None:
        """Draw the background again at the next render (an axis' range changed).

        The layout stays as first solved: solving it again cost more than a second.
        """
        self._background = None

    def _draw_background(self) -> None:
        for a in self.dynamic:
            a.set_visible(False)
        self.canvas.draw()
        if self.fig.get_layout_engine() is not None:
            self.fig.set_layout_engine("none")  # keep the solved positions: solving is costly
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        for a in self.dynamic:
            a.set_visible(True)

    def render(self, model: CollabModel, *others: CollabModel) -> bytes:
        """Update to the model's state (and a compared world's, for boards that draw two).

        Returns:
            The picture as PNG bytes.
        """
        with self._lock:
            self.update(model, *others)
            if self._background is None:
                self._draw_background()
            else:
                self.canvas.restore_region(self._background)
            for a in sorted(self.dynamic, key=lambda a: a.get_zorder()):
                self.fig.draw_artist(a)
            w, h = self.canvas.get_width_height()
            img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            buf = io.BytesIO()
            img.save(buf, format="PNG", compress_level=1)
            return buf.getvalue()


# ------------------------------------------------------------------ network
class NetworkBoard(Board):
    """The agencies' collaboration network: tie width = trust, node colour = commitment.

    Each tie is labelled with its trust; orange dots are files in flight from
    one agency to the next (the number says how many), drawn 60 % of the way
    toward the receiver. Agency codes are sized to fit inside their circle;
    the officers each agency has on patrol (mobility) are written outside the
    ring, away from the ties, on a white box.
    """

    NODE_SIZE = 1600  # points² (a circle 40 pt across)

    def __init__(self, model: CollabModel, layout: dict[str, tuple[float, float]],
                 size: float = 4.2, lang: str = "en"):
        super().__init__((size, size + 0.5))
        self.layout = layout
        self.lang = lang
        nodes, ties, _ = panels.network_tables(model, layout)
        ax = self.ax = self.fig.add_subplot()
        wide = 1.75 if model.mobility is not None else 1.45  # room for the patrol labels
        ax.set_xlim(-wide, wide)
        ax.set_ylim(-1.38, 1.3)
        ax.set_aspect("equal")
        ax.axis("off")
        self.ties = [ax.plot([t.x, t.x2], [t.y, t.y2], color=TIE_COLOUR, alpha=0.55,
                             solid_capstyle="round", zorder=1)[0] for t in ties.itertuples()]
        box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}
        # with many ties (mobility: 21) numbers would pile up in the middle: widths only
        labelled = ties.itertuples() if len(ties) <= 10 else ()
        self.tie_labels = [ax.text((t.x + t.x2) / 2, (t.y + t.y2) / 2, "", fontsize=7,
                                   ha="center", va="center", color="#1d3557", zorder=2,
                                   bbox=box) for t in labelled]
        self.flight = ax.scatter([], [], color=FLIGHT_COLOUR, edgecolors="white", zorder=3)
        n = len(nodes)
        self.flight_labels = [ax.text(0, 0, "", fontsize=7, fontweight="bold", color="white",
                                      ha="center", va="center", zorder=4)
                              for _ in range(n * (n - 1))]
        self.nodes = ax.scatter(nodes.x, nodes.y, s=self.NODE_SIZE, c=nodes.commitment,
                                cmap=COMMITMENT_CMAP, norm=Normalize(0, 1), edgecolors="#333",
                                linewidths=1.2, zorder=5)
        codes = [ax.text(nd.x, nd.y, short_code(nd.code), fontsize=8, fontweight="bold",
                         ha="center", va="center", zorder=6) for nd in nodes.itertuples()]
        self._fit(codes)
        self.patrol = []
        if model.mobility is not None:
            patrol_box = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#999",
                          "lw": 0.5, "alpha": 0.95}
            for nd in nodes.itertuples():
                r = math.hypot(nd.x, nd.y)
                # outward from the middle, where no tie runs; the hub's label goes below it
                ux, uy = (nd.x / r, nd.y / r) if r > 0.2 else (0.0, -1.0)
                ha = "left" if ux > 0.35 else "right" if ux < -0.35 else "center"
                va = "bottom" if uy > 0.35 else "top" if uy < -0.35 else "center"
                self.patrol.append(ax.text(
                    nd.x + 0.27 * ux, nd.y + 0.27 * uy, "", fontsize=6.5, ha=ha, va=va,
                    color="#222", zorder=7, bbox=patrol_box))
        self.dynamic = [*self.ties, *self.tie_labels, self.flight, *self.flight_labels,
                        self.nodes, *codes, *self.patrol]
        cb = self.fig.colorbar(self.nodes, ax=ax, orientation="horizontal", fraction=0.05,
                               pad=0.02, aspect=30)
        # one label in the middle, the scale's ends named at the ends: nothing to overlap
        cb.set_ticks([0, 0.5, 1], labels=[f"0 {t(lang, 'net.low')}", "0.5",
                                          f"{t(lang, 'net.high')} 1"])
        cb.ax.tick_params(labelsize=7)
        cb.ax.set_title(t(lang, "net.commitment"), fontsize=8, pad=3)
        handles = [Line2D([], [], color=TIE_COLOUR, alpha=0.55, lw=self._width(v),
                          label=t(lang, "net.trust", value=v)) for v in (0.2, 0.5, 0.8)]
        if model.licensing is not None:
            handles.append(Line2D([], [], marker="o", ls="", color=FLIGHT_COLOUR, markersize=8,
                                  label=t(lang, "net.in_flight")))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.08), ncol=4,
                  fontsize=7, frameon=False, handlelength=1.6, columnspacing=1.0)

    def _fit(self, codes: list) -> None:
        """Shrink each agency code until it fits inside its circle (measured, not guessed)."""
        renderer = self.canvas.get_renderer()
        inner = 0.84 * math.sqrt(self.NODE_SIZE) * DPI / 72  # usable width, pixels
        for text in codes:
            width = text.get_window_extent(renderer).width
            if width > inner:
                text.set_fontsize(max(4.5, text.get_fontsize() * inner / width))

    @staticmethod
    def _width(trust: float) -> float:
        return 0.5 + 14 * trust

    def update(self, model: CollabModel, *others: CollabModel) -> None:
        """Tie widths and labels, node colours and the files in flight."""
        nodes, ties, flight = panels.network_tables(model, self.layout)
        for line, tie in zip(self.ties, ties.itertuples(), strict=True):
            line.set_linewidth(self._width(tie.trust))
        for label, tie in zip(self.tie_labels, ties.itertuples(), strict=False):
            label.set_text(f"{tie.trust:.2f}")
        self.nodes.set_array(nodes.commitment.to_numpy())
        for label, n in zip(self.patrol, nodes.on_patrol, strict=False):
            label.set_text(t(self.lang, "net.on_patrol", n=n) if n else "")
            label.set_visible(bool(n))
        self.flight.set_offsets(flight[["x", "y"]].to_numpy() if len(flight) else np.empty((0, 2)))
        self.flight.set_sizes(np.clip(60 + 18 * flight.files.to_numpy(), 60, 700))
        for i, label in enumerate(self.flight_labels):
            if i < len(flight):
                row = flight.iloc[i]
                label.set_position((row.x, row.y))
                label.set_text(str(row.files))
            else:
                label.set_text("")


# ----------------------------------------------------------------- pipeline
class PipelineBoard(Board):
    """Files at each stage of the permit's workflow now, one stacked bar per stage.

    The x axis grows in steps of 25 files so bars stay comparable between
    steps. The board is for one workflow: when stages merge (the joint
    arrangement's design, or innovation) the view makes a new board.
    """

    def __init__(self, model: CollabModel, width: float = 5.0, lang: str = "en"):
        self.stages = self.workflow(model)
        k = len(self.stages)
        super().__init__((width, 1.15 + 0.42 * k))
        ax = self.ax = self.fig.add_subplot()
        y = np.arange(k)[::-1]
        self.bars = {s: ax.barh(y, np.zeros(k), color=c, height=0.7, label=t(lang, f"pipe.{s}"))
                     for s, c in STATUS_COLOURS.items()}
        self.totals = [ax.text(0, yi, "", va="center", fontsize=8) for yi in y]
        self.dynamic = [r for bars in self.bars.values() for r in bars] + self.totals
        ax.set_yticks(y, [f"{i + 1}. {data(lang, name)} ({owner})" for i, (name, owner)
                          in enumerate(self.stages)], fontsize=8)
        ax.set_xlabel(t(lang, "pipe.files"), fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.3, 1.0), ncol=2, fontsize=7,
                  frameon=False, handlelength=1.2, columnspacing=0.8)
        self.top = 0.0

    @staticmethod
    def workflow(model: CollabModel) -> tuple[tuple[str, str], ...]:
        """The workflow as (stage name, owning agency code) pairs."""
        return tuple((s.name, model.agency_list[s.agency].key.upper())
                     for s in model.licensing.stages)

    def update(self, model: CollabModel, *others: CollabModel) -> None:
        """Bar lengths and totals."""
        df = panels.pipeline_table(model)
        wide = df.pivot_table(index="order", columns="status", values="files", aggfunc="sum")
        left = np.zeros(len(self.stages))
        # a compared world's files set the axis too, so side-by-side bars share a scale
        highest = max([0, *(int(np.max(o.licensing.files_at_stages(), initial=0))
                            for o in others if o.licensing is not None)])
        for status, bars in self.bars.items():
            v = wide[status].to_numpy(dtype=float) if status in wide else np.zeros(len(left))
            for rect, x0, w in zip(bars, left, v, strict=True):
                rect.set_x(x0)
                rect.set_width(w)
            left += v
        for label, total in zip(self.totals, left, strict=True):
            label.set_position((total + 0.4, label.get_position()[1]))
            label.set_text(f"{int(total)}")
        top = 25.0 * (max(int(left.max()), highest) // 25 + 1)
        if top != self.top:
            self.ax.set_xlim(0, top)
            self.top = top
            self.redraw_background()


# --------------------------------------------------------------- KPI charts
class KpiBoard(Board):
    """Every KPI of the model's services over time, with the run's timeline marked.

    Flows (applications, permits) are per-month rates over the last 30 days;
    the retribusi chart has the target as a dotted line at 1. The collaboration
    start is a dashed grey line and each intervention a purple one, labelled,
    on every chart. In compare mode (``compare=True``) each series is drawn for
    the variant (solid) and the baseline (dashed, same colour). NaN (nothing to
    measure that day) leaves a gap in the line, never a stale value.
    """

    def __init__(self, model: CollabModel, columns: int = 3, width: float = 10.5,
                 lang: str = "en", compare: bool = False,
                 markers: list[tuple[int, str, str]] | None = None):
        self.charts = panels.kpi_chart_list(model)
        self.compare = compare
        rows = -(-len(self.charts) // columns)
        height = 2.0 * rows + (0.25 if compare else 0.0)
        super().__init__((width, height), layout=None)
        # a fixed layout with room for 4-digit tick labels: no solving when axes grow
        self.fig.subplots_adjust(left=0.045, right=0.99, bottom=0.5 / height,
                                 top=1 - (0.3 + (0.25 if compare else 0.0)) / height,
                                 wspace=0.22, hspace=0.75)
        cfg = model.config
        axes = self.fig.subplots(rows, columns, squeeze=False).ravel()
        self.axes = axes[: len(self.charts)]
        self.lines: list[list[tuple[str, Line2D]]] = []
        self.base_lines: list[list[tuple[str, Line2D]]] = []
        markers = markers if markers is not None else panels.timeline_markers(model, lang)
        for ax, (title, series, y_max, target) in zip(self.axes, self.charts, strict=True):
            self.lines.append([(col, ax.plot([], [], color=c, lw=1.4)[0])
                               for (col, _), c in zip(series, SERIES_COLOURS, strict=False)])
            self.base_lines.append([(col, ax.plot([], [], color=c, lw=1.2, ls=(0, (4, 2)),
                                                  alpha=0.8)[0])
                                    for (col, _), c in zip(series, SERIES_COLOURS, strict=False)]
                                   if compare else [])
            self._draw_markers(ax, markers, cfg.steps)
            if target is not None:
                ax.axhline(target, color="#1a9850", ls=":", lw=1.2)
                ax.text(0, target, t(lang, "chart.target"), fontsize=6.5, color="#1a9850",
                        va="bottom")
            ax.set_xlim(0, cfg.steps)
            ax.set_ylim(0, y_max or 1.0)
            ax.set_title(t(lang, title), fontsize=9, loc="left")
            ax.tick_params(labelsize=7)
            ax.spines[["top", "right"]].set_visible(False)
        for ax in axes[len(self.charts):]:
            ax.axis("off")
        for ax in axes[-columns:]:
            ax.set_xlabel(t(lang, "chart.day"), fontsize=7)
        if compare:
            self.fig.text(0.99, 1 - 0.05 / height, t(lang, "chart.dashed"), fontsize=8,
                          ha="right", va="top", color="#333")
        self.tops = [y_max or 1.0 for _, _, y_max, _ in self.charts]
        self._shown: tuple[int, ...] | None = None  # ids of the models last drawn
        self.dynamic = [line for lines in (*self.lines, *self.base_lines) for _, line in lines]

    @staticmethod
    def _draw_markers(ax, markers: list[tuple[int, str, str]], span: float) -> None:
        """The collaboration start and the interventions as labelled vertical lines."""
        placed: list[int] = []
        for day, label, kind in sorted(markers, key=lambda m: (m[0], m[2] != "intervention")):
            start = kind == "collaboration_start"
            ax.axvline(day, color="#666" if start else MARKER_COLOUR, ls="--" if start else ":",
                       lw=0.9 if start else 1.2, zorder=0.5)
            # a label close after another (a third of the axis) goes one row lower
            row = sum(1 for d in placed if day - d < span / 3)
            placed.append(day)
            short = label if len(label) <= 28 else label[:27] + "…"
            ax.text(day, 1.0 - 0.12 * (row % 4), f" {short}", fontsize=6.5,
                    transform=ax.get_xaxis_transform(), color="#555" if start else MARKER_COLOUR,
                    va="top", ha="left", clip_on=False)

    @staticmethod
    def _series(model: CollabModel):
        df = panels.kpi_series(model)
        day = df["day"].to_numpy() if len(df) else np.zeros(0)
        return df, day

    def update(self, model: CollabModel, *others: CollabModel) -> None:
        """Line data, and the y axes of charts without a fixed range.

        Within a run a y axis only grows (in round steps, at least to 10 for
        counts), so its background is drawn again only a few times a run.
        ``others[0]``, in compare mode, is the baseline.
        """
        shown = (id(model), *map(id, others))
        if self._shown != shown:  # another run: axes may shrink again
            self._shown = shown
            self.tops = [0.0] * len(self.tops)
        worlds = [(self._series(model), self.lines)]
        if self.compare and others:
            worlds.append((self._series(others[0]), self.base_lines))
        for i, (ax, (_, _, y_max, target)) in enumerate(zip(self.axes, self.charts, strict=True)):
            highest = (target or 0) * 1.1
            for (df, day), lines in worlds:
                for col, line in lines[i]:
                    v = df[col].to_numpy(dtype=float) if col in df else np.zeros(0)
                    line.set_data(day[: len(v)], v)
                    finite = v[np.isfinite(v)]
                    if finite.size:
                        highest = max(highest, float(finite.max()))
            floor = 2.0 if target else 10.0
            top = y_max or max(self.tops[i], nice_top(max(highest * 1.05, floor)))
            if top != self.tops[i]:
                ax.set_ylim(0, top)
                self.tops[i] = top
                self.redraw_background()


# ---------------------------------------------------------------- districts
CHECKPOINT_COLOURS = dict(zip(panels.CHECKPOINT_STATUS,
                              ["#1a9850", "#fee08b", "#d73027", "#7b3294", "#bdbdbd"],
                              strict=True))


class DistrictBoard(Board):
    """The city's districts: who stays home, and the checkpoints' staffing.

    A district's circle grows with its population and is greener the more of
    its residents stay home today; the line under its name is the share aware
    of the rules. Around it sit its checkpoints (triangles: entry points at the
    city edge; squares: inner points), coloured by staffing.
    """

    def __init__(self, model: CollabModel, size: float = 5.6, lang: str = "en"):
        super().__init__((size, size * 0.85))
        self.lang = lang
        mob = model.mobility
        d = panels.district_table(model)
        cps = panels.checkpoint_table(model)
        ax = self.ax = self.fig.add_subplot()
        ax.set_aspect("equal")
        ax.axis("off")
        pad = 0.1 * max(np.ptp(d.x), np.ptp(d.y), 1.0)
        ax.set_xlim(d.x.min() - pad, d.x.max() + pad)
        ax.set_ylim(d.y.min() - pad, d.y.max() + pad)
        for u, v in mob.district_graph.edges:
            ax.plot([d.x[u], d.x[v]], [d.y[u], d.y[v]], color="#bbb", lw=1.5, zorder=1)
        radius_pt = 7 + 11 * np.sqrt(d.population / d.population.max())
        self.districts = ax.scatter(d.x, d.y, s=(2 * radius_pt) ** 2, c=d.staying_home,
                                    cmap=colormaps["Greens"], norm=Normalize(0, 1),
                                    edgecolors="#555", linewidths=0.8, zorder=2)
        self.entry = cps.entry.to_numpy()
        self.points = {
            True: ax.scatter(d.x[:0], d.y[:0], marker="^", s=60, edgecolors="#333",
                             linewidths=0.6, zorder=4),
            False: ax.scatter(d.x[:0], d.y[:0], marker="s", s=40, edgecolors="#333",
                              linewidths=0.6, zorder=4)}
        for row, r in zip(d.itertuples(), radius_pt, strict=True):
            ax.annotate(row.district, (row.x, row.y), xytext=(0, r + 1),
                        textcoords="offset points", fontsize=7, ha="center", va="bottom",
                        zorder=5)
        self.aware = [ax.annotate("", (row.x, row.y), xytext=(0, -r - 1),
                                  textcoords="offset points", fontsize=6.5, ha="center",
                                  va="top", color="#333", zorder=5)
                      for row, r in zip(d.itertuples(), radius_pt, strict=True)]
        cb = self.fig.colorbar(self.districts, ax=ax, orientation="horizontal", fraction=0.04,
                               pad=0.02, aspect=35)
        cb.set_label(t(lang, "districts.home"), fontsize=8)
        cb.ax.tick_params(labelsize=7)
        handles = [Line2D([], [], marker="s", ls="", color=c, markeredgecolor="#333",
                          markersize=6, label=t(lang, f"cp.{s}"))
                   for s, c in CHECKPOINT_COLOURS.items()]
        handles.append(Line2D([], [], marker="^", ls="", color="white", markeredgecolor="#333",
                              markersize=7, label=t(lang, "cp.shape")))
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3,
                  fontsize=6.5, frameon=False, handletextpad=0.3, columnspacing=0.8)
        self.dynamic = [self.districts, *self.points.values(), *self.aware]
        self._place_checkpoints(d, cps, radius_pt)

    def _place_checkpoints(self, d, cps, radius_pt: np.ndarray) -> None:
        """Checkpoints on an arc just outside their district's circle (right-hand side).

        Circle sizes are in points and positions in km, so the layout is solved
        first (and frozen) to learn how many km a point is.
        """
        self.canvas.draw()
        self.fig.set_layout_engine("none")
        box = self.ax.get_window_extent()
        per_pt = (np.diff(self.ax.get_xlim())[0] / box.width) * DPI / 72
        xy = np.zeros((len(cps), 2))
        for district, idx in cps.groupby("district").groups.items():
            r = (radius_pt[district] + 6) * per_pt
            angles = np.linspace(-0.2, 0.2, len(idx)) * np.pi if len(idx) > 1 else np.zeros(1)
            xy[idx, 0] = d.x[district] + r * np.cos(angles)
            xy[idx, 1] = d.y[district] + r * np.sin(angles)
        for entry, points in self.points.items():
            points.set_offsets(xy[self.entry == entry])

    def update(self, model: CollabModel, *others: CollabModel) -> None:
        """District colours, awareness and checkpoint colours."""
        d = panels.district_table(model)
        self.districts.set_array(d.staying_home.to_numpy())
        for label, share in zip(self.aware, d.aware, strict=True):
            label.set_text(t(self.lang, "districts.aware", share=f"{share:.0%}"))
        colours = panels.checkpoint_table(model).status.map(CHECKPOINT_COLOURS).to_numpy()
        for entry, points in self.points.items():
            points.set_facecolor(list(colours[self.entry == entry]))

"""What the view shows, computed from a model: tables and KPI cards.

No Solara and no drawing here (see :mod:`collabsim.viz.drawing`), so every
number on the page can be checked in a plain test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

from collabsim.metrics import DAYS_PER_MONTH, summarise
from collabsim.services.licensing import ACTIVE, APPLIED, NEEDING

if TYPE_CHECKING:
    from collabsim.model import CollabModel

__all__ = [
    "KPI_CHARTS",
    "Card",
    "checkpoint_table",
    "citizens_line",
    "district_table",
    "handoffs_in_flight",
    "hub_of",
    "kpi_cards",
    "kpi_chart_list",
    "kpi_series",
    "mobility_line",
    "network_layout",
    "network_tables",
    "on_patrol",
    "pipeline_table",
]

LAYOUT_SEED = 2026
FLOWS = ("applications_submitted", "permits_issued")

#: KPI charts per service: (title, [(column, label)], y-axis maximum or None). Lines are
#: blue, red, green in the order given; titles name them (legends would hide lines).
KPI_CHARTS: dict[str, list[tuple[str, list[tuple[str, str]], float | None]]] = {
    "licensing": [
        ("Applications per month", [("applications_submitted", "applications")], None),
        ("Permits issued per month", [("permits_issued", "permits issued")], None),
        ("Backlog: files in process (blue), stalled (red)",
         [("backlog", "files in process"), ("stalled_files", "of which stalled")], None),
        ("Levy collected ÷ target to date", [("levy_target_share", "levy ÷ target")], None),
        ("Informal share of needs", [("informal_share", "informal ÷ (informal + applied)")],
         1.0),
    ],
    "mobility": [
        ("Mobility index (trips ÷ baseline)", [("mobility_index", "mobility index")], 1.5),
        ("Compliance", [("compliance_rate", "complying share")], 1.0),
        ("Awareness of the rules", [("awareness_rate", "aware share")], 1.0),
        ("Checkpoints unstaffed (blue), over-staffed (red)",
         [("checkpoint_gaps", "unstaffed"), ("checkpoint_overlaps", "over-staffed")], None),
    ],
    "collaboration": [
        ("Trust on ties (blue), agency commitment (red)",
         [("mean_trust", "mean trust on ties"), ("mean_commitment", "mean agency commitment")],
         1.0),
    ],
}


def kpi_chart_list(model: CollabModel
                   ) -> list[tuple[str, list[tuple[str, str]], float | None, float | None]]:
    """The KPI charts the model's services call for: (title, series, y maximum, target).

    The levy chart is left out where the scenario sets no levy target.
    """
    out = []
    for service in ("licensing", "mobility", "collaboration"):
        if service != "collaboration" and getattr(model, service, None) is None:
            continue
        for title, series, y_max in KPI_CHARTS[service]:
            target = None
            if series[0][0] == "levy_target_share":
                if model.levy_target_per_year <= 0:
                    continue
                target = 1.0
            out.append((title, series, y_max, target))
    return out


# ------------------------------------------------------------------ network
def network_layout(graph: nx.Graph, hub: str | None = None, seed: int = LAYOUT_SEED
                   ) -> dict[str, tuple[float, float]]:
    """Positions of the agencies: a seeded spring layout started from a circle.

    Computed once per scenario (agencies never change), so the picture does not
    jump between steps and the same scenario always looks the same. An
    operations centre (``hub``) is pinned at the middle.
    """
    order = sorted(graph.nodes, key=lambda k: graph.nodes[k]["index"])
    ring = [k for k in order if k != hub]
    start = nx.circular_layout(ring) if len(ring) > 1 else {k: np.zeros(2) for k in ring}
    if hub in graph:
        start[hub] = np.zeros(2)
    pos = nx.spring_layout(graph, pos=start, fixed=[hub] if hub in graph else None,
                           seed=seed, iterations=50)
    xy = np.array([pos[k] for k in order])
    centre = xy[order.index(hub)] if hub in graph else xy.mean(axis=0)
    xy = (xy - centre) / max(np.abs(xy - centre).max(), 1e-9)
    return {k: (float(x), float(y)) for k, (x, y) in zip(order, xy, strict=True)}


def hub_of(model: CollabModel) -> str | None:
    """The agency running an operations centre, if the scenario has one."""
    mob = model.config.mobility
    return (mob.operations_centre or None) if mob is not None else None


def on_patrol(model: CollabModel) -> list[int]:
    """Patrol officers each agency has at checkpoints today (zeros without mobility)."""
    mob = getattr(model, "mobility", None)
    if mob is None:
        return [0] * len(model.agency_list)
    posted = mob.officer_post >= 0
    return np.bincount(model.officers.agency_of[posted],
                       minlength=len(model.agency_list)).tolist()


def _in_flight(model: CollabModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mask of files in flight between agencies, their stages and the stages' owners."""
    lic = model.licensing
    f, n = lic.files, lic.files.n
    st = f.stage[:n].astype(int)
    owner = np.array([s.agency for s in lic.stages])
    moving = (f.status[:n] == ACTIVE) & (f.transit_until[:n] > model.day) & (st > 0)
    return moving, st, owner


def handoffs_in_flight(model: CollabModel) -> dict[tuple[int, int], int]:
    """Files travelling between agencies now, keyed by (sending, receiving) agency index.

    A file handed from one agency's stage to another's is in flight until it
    reaches the receiving stage (the service's ``transit_until``).
    """
    if model.licensing is None or model.licensing.files.n == 0:
        return {}
    moving, st, owner = _in_flight(model)
    pairs, counts = np.unique(np.stack([owner[st[moving] - 1], owner[st[moving]]]), axis=1,
                              return_counts=True)
    return {(int(a), int(b)): int(k) for (a, b), k in zip(pairs.T, counts, strict=True)}


def network_tables(model: CollabModel, layout: dict[str, tuple[float, float]]
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Nodes, ties and hand-offs in flight as tables with positions (integer node ids)."""
    g = model.collaboration_graph
    patrol = on_patrol(model)
    nodes = pd.DataFrame([{
        "id": a.index, "code": a.key.upper(), "name": a.label, "x": layout[a.key][0],
        "y": layout[a.key][1], "commitment": round(a.commitment, 3),
        "leader_commitment": a.leader_commitment, "on_patrol": patrol[a.index]}
        for a in model.agency_list])
    ties = pd.DataFrame([{
        "x": layout[u][0], "y": layout[u][1], "x2": layout[v][0], "y2": layout[v][1],
        "tie": f"{u.upper()} – {v.upper()}", "trust": round(d["trust"], 3),
        "shared_understanding": round(d["shared_understanding"], 3),
        "handoffs": d["handoffs"], "failures": d["failures"]} for u, v, d in g.edges(data=True)],
        columns=["x", "y", "x2", "y2", "tie", "trust", "shared_understanding", "handoffs",
                 "failures"])
    keys = [a.key for a in model.agency_list]
    flight = []
    for (a, b), k in handoffs_in_flight(model).items():
        (xa, ya), (xb, yb) = layout[keys[a]], layout[keys[b]]
        # drawn 60 % of the way to the receiver, so the two directions of a tie stay apart
        flight.append({"x": xa + 0.6 * (xb - xa), "y": ya + 0.6 * (yb - ya), "files": k,
                       "route": f"{keys[a].upper()} → {keys[b].upper()}"})
    return nodes, ties, pd.DataFrame(flight, columns=["x", "y", "files", "route"])


# ----------------------------------------------------------------- pipeline
def pipeline_table(model: CollabModel) -> pd.DataFrame:
    """Files at each stage of the permit's workflow now, split by what they wait for.

    Columns: ``stage`` (order and name), ``agency``, ``status`` (in flight to
    the stage / queued or being worked / stalled for want of a regulation),
    ``files``.
    """
    lic = model.licensing
    f, n = lic.files, lic.files.n
    k = lic.n_stages
    st = f.stage[:n].astype(int)
    active = f.status[:n] == ACTIVE
    stalled = np.bincount(st[active & f.blocked[:n]], minlength=k)
    flight = np.bincount(st[_in_flight(model)[0]], minlength=k) if n else np.zeros(k, int)
    total = np.array(lic.files_at_stages())
    queued = total - stalled - flight
    rows = []
    for i, s in enumerate(lic.stages):
        label = f"{i + 1}. {s.name}"
        agency = model.agency_list[s.agency].key.upper()
        for status, v in (("in flight to it", flight[i]), ("queued or being worked", queued[i]),
                          ("stalled: no regulation", stalled[i])):
            rows.append({"stage": label, "order": i, "agency": agency, "status": status,
                         "files": int(v)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- districts
CHECKPOINT_STATUS = ("staffed as planned", "under-staffed", "unstaffed (gap)",
                     "over-staffed by several agencies (overlap)", "stood down")


def district_table(model: CollabModel) -> pd.DataFrame:
    """Each district: name, map position, residents simulated, share staying home, aware."""
    mob = model.mobility
    g = mob.district_graph
    k = len(mob.district_keys)
    residents = np.bincount(mob.home, minlength=k)
    home = np.bincount(mob.home, weights=mob.stayed, minlength=k)
    aware = np.bincount(mob.home, weights=mob.aware, minlength=k)
    rows = []
    for i in range(k):
        n = max(int(residents[i]), 1)
        x, y = g.nodes[i]["pos"]
        rows.append({"district": g.nodes[i]["key"].replace("_", " ").title(), "x": x, "y": y,
                     "population": g.nodes[i]["population"], "residents": int(residents[i]),
                     "staying_home": home[i] / n, "aware": aware[i] / n})
    return pd.DataFrame(rows)


def checkpoint_table(model: CollabModel) -> pd.DataFrame:
    """Each checkpoint: district index, kind, officers needed and present, agencies, status."""
    mob = model.mobility
    active = mob.phase(model.day) in ("education", "enforcement")
    gaps, overlaps = mob.gaps(), mob.overlaps()
    status = []
    for i in range(mob.cp_needed.size):
        if not active:
            status.append(CHECKPOINT_STATUS[4])
        elif gaps[i]:
            status.append(CHECKPOINT_STATUS[2])
        elif overlaps[i]:
            status.append(CHECKPOINT_STATUS[3])
        elif mob.cp_officers[i] < mob.cp_needed[i]:
            status.append(CHECKPOINT_STATUS[1])
        else:
            status.append(CHECKPOINT_STATUS[0])
    return pd.DataFrame({"district": mob.cp_district, "entry": mob.cp_entry,
                         "needed": mob.cp_needed, "officers": mob.cp_officers,
                         "agencies": mob.cp_agencies, "status": status})


def mobility_line(model: CollabModel) -> str:
    """One sentence on the operation today (mobility)."""
    mob = model.mobility
    cps = checkpoint_table(model)
    counts = cps["status"].value_counts()
    phase = mob.phase(model.day)
    text = {"baseline": "No restrictions yet (baseline).",
            "education": "Restrictions, first days: officers warn and explain, no fines.",
            "enforcement": "Restrictions enforced: violators are fined.",
            "lifted": "Restrictions lifted."}[phase]
    if phase in ("education", "enforcement"):
        text += (f" {mob.deployed} of {mob.available} patrol officers at {len(cps)} checkpoints: "
                 f"{counts.get(CHECKPOINT_STATUS[2], 0)} unstaffed, "
                 f"{counts.get(CHECKPOINT_STATUS[3], 0)} over-staffed by several agencies, "
                 f"{counts.get(CHECKPOINT_STATUS[1], 0)} under-staffed.")
    t = mob.today
    return (f"{text} Today {t['trips']:,} of {model.population.n:,} citizens travelled; "
            f"{t['violations']:,} trips broke the rules and {t['detected']:,} were stopped.")


def citizens_line(model: CollabModel) -> str:
    """One sentence on what the citizens are doing now (licensing)."""
    lic = model.licensing
    needing = int((lic.state == NEEDING).sum())
    applied = int((lic.state == APPLIED).sum())
    t = lic.totals
    return (f"{needing:,} citizens have a need and are weighing apply / go informal / wait; "
            f"{applied:,} have a file in process. So far {t['submitted']:,} applied, "
            f"{t['issued']:,} got the permit, {t['informal']:,} went informal, "
            f"{t['abandoned']:,} gave up on a file.")


# ---------------------------------------------------------------- KPI charts
def kpi_series(model: CollabModel) -> pd.DataFrame:
    """The model's daily time series, flows turned into per-month rates (30-day window)."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    if df.empty:
        return df
    df = df.copy()
    for col in FLOWS:
        if col in df:
            df[col] = df[col].rolling(30, min_periods=1).mean() * DAYS_PER_MONTH
    return df


# ----------------------------------------------------------------- KPI cards
@dataclass(frozen=True)
class Card:
    """A KPI with its value before and after the collaboration start.

    ``before``/``after`` are ``None`` while the window has not begun; ``higher``
    says whether a rise is good news (for the arrow's colour).
    """

    label: str
    before: float | None
    after: float | None
    now: float | None
    fmt: str = "{:.1f}"
    higher: bool = True

    def show(self, value: float | None) -> str:
        """A value as shown on the card (an em dash when there is none yet)."""
        return "—" if value is None or not np.isfinite(value) else self.fmt.format(value)

    @property
    def change(self) -> float | None:
        """Relative change after vs before (None when either is missing or before is 0)."""
        if self.before is None or self.after is None or not self.before:
            return None
        return (self.after - self.before) / abs(self.before)


def _window(df: pd.DataFrame, col: str, lo: int, hi: int) -> float | None:
    part = df[col].iloc[lo:hi]
    return float(part.mean()) if len(part) else None


def _since(df: pd.DataFrame, col: str, start: int) -> float:
    """Growth of a cumulative column since the start day."""
    at_start = float(df[col].iloc[start - 1]) if start > 0 else 0.0
    return float(df[col].iloc[-1]) - at_start


def licensing_cards(model: CollabModel, df: pd.DataFrame) -> list[Card]:
    """Applications, permits, backlog, processing days, levy and informal share."""
    cfg = model.config
    start, warm, n = cfg.collaboration_start, cfg.warmup_days, len(df)
    s = summarise(df, start, warm) if n else {}
    began, ended = n > warm, n > start

    def pick(key: str, ok: bool) -> float | None:
        return s.get(key) if ok else None

    def last(col: str) -> float | None:
        return float(df[col].iloc[-1]) if n else None

    cards = [
        Card("Applications / month", pick("applications_submitted_per_month_before", began),
             pick("applications_submitted_per_month_after", ended), None),
        Card("Permits issued / month", pick("permits_issued_per_month_before", began),
             pick("permits_issued_per_month_after", ended), None),
        Card("Backlog (files in process)", pick("backlog_before", began),
             pick("backlog_after", ended), last("backlog"), higher=False),
        Card("Processing days (mean)", pick("mean_processing_days_before", began),
             pick("mean_processing_days_after", ended), last("mean_processing_days"),
             higher=False),
    ]
    target_day = model.levy_target_per_year / 365.0
    if target_day > 0:
        before = float(df["levy_target_share"].iloc[start - 1]) if ended else (
            last("levy_target_share"))
        after = (_since(df, "levy_revenue", start) / (target_day * (n - start))
                 if ended else None)
        cards.append(Card("Levy ÷ target", before, after, last("levy_target_share"),
                          fmt="{:.0%}"))
    if n:
        sub_i = df["informal"].cumsum(), df["applications_submitted"].cumsum()
        cards.append(Card("Informal share", _share(sub_i, 0, min(n, start)),
                          _share(sub_i, start, n) if ended else None,
                          last("informal_share"), fmt="{:.0%}", higher=False))
    return cards


def _share(cum: tuple[pd.Series, pd.Series], lo: int, hi: int) -> float | None:
    """Informal ÷ (informal + applied) between two days, from cumulative sums."""
    inf = cum[0].iloc[hi - 1] - (cum[0].iloc[lo - 1] if lo else 0)
    app = cum[1].iloc[hi - 1] - (cum[1].iloc[lo - 1] if lo else 0)
    return float(inf / (inf + app)) if inf + app else None


MOBILITY_CARDS = [("Mobility index", "mobility_index", "{:.2f}", False),
                  ("Compliance", "compliance_rate", "{:.0%}", True),
                  ("Awareness", "awareness_rate", "{:.0%}", True),
                  ("Checkpoint gaps", "checkpoint_gaps", "{:.1f}", False),
                  ("Checkpoint overlaps", "checkpoint_overlaps", "{:.1f}", False)]


def mobility_cards(model: CollabModel, df: pd.DataFrame) -> list[Card]:
    """Mobility index, compliance, awareness and gaps: means before and after the start."""
    start, n = model.config.collaboration_start, len(df)
    cards = []
    for label, col, fmt, higher in MOBILITY_CARDS:
        if col not in df:
            continue
        cards.append(Card(label, _window(df, col, 0, min(start, n)) if n else None,
                          _window(df, col, start, n) if n > start else None,
                          float(df[col].iloc[-1]) if n else None, fmt=fmt, higher=higher))
    return cards


def kpi_cards(model: CollabModel) -> list[Card]:
    """Every KPI card of the model's services."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    cards = []
    if model.licensing is not None:
        cards += licensing_cards(model, df)
    if getattr(model, "mobility", None) is not None:
        cards += mobility_cards(model, df)
    return cards

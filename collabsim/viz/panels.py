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

from collabsim.metrics import DAYS_PER_MONTH, PHASE_CODES
from collabsim.services.licensing import ACTIVE, APPLIED, NEEDING
from collabsim.viz.i18n import data, t

if TYPE_CHECKING:
    from collabsim.model import CollabModel

__all__ = [
    "CARD_SPECS",
    "KPI_CHARTS",
    "Card",
    "CompareCard",
    "checkpoint_table",
    "citizens_line",
    "compare_cards",
    "compare_window",
    "district_table",
    "event_messages",
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
    "timeline_markers",
    "value_text",
    "window_values",
]

LAYOUT_SEED = 2026
FLOWS = ("applications_submitted", "permits_issued")

#: KPI charts per service: (title key, [(column, label)], y-axis maximum or None). Lines are
#: blue, red, green in the order given; titles name them (legends would hide lines).
KPI_CHARTS: dict[str, list[tuple[str, list[tuple[str, str]], float | None]]] = {
    "licensing": [
        ("chart.applications", [("applications_submitted", "applications")], None),
        ("chart.permits", [("permits_issued", "permits issued")], None),
        ("chart.backlog", [("backlog", "files in process"), ("stalled_files", "of which stalled")],
         None),
        ("chart.levy", [("levy_share_30d", "levy ÷ target")], None),
        ("chart.informal", [("informal_share", "informal ÷ (informal + applied)")], 1.0),
    ],
    "mobility": [
        ("chart.mobility", [("mobility_index", "mobility index")], 1.5),
        ("chart.compliance", [("compliance_rate", "complying share")], 1.0),
        ("chart.awareness", [("awareness_rate", "aware share")], 1.0),
        ("chart.checkpoints",
         [("checkpoint_gaps", "unstaffed"), ("checkpoint_overlaps", "over-staffed")], None),
    ],
    "collaboration": [
        ("chart.collaboration",
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
            if series[0][0] == "levy_share_30d":
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

    Columns: ``stage`` (order and name), ``agency``, ``status`` (``in_flight``
    to the stage / ``queued`` or being worked / ``stalled`` for want of a
    regulation: keys of the ``pipe.*`` messages), ``files``.
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
        for status, v in (("in_flight", flight[i]), ("queued", queued[i]),
                          ("stalled", stalled[i])):
            rows.append({"stage": label, "order": i, "agency": agency, "status": status,
                         "files": int(v)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- districts
#: Checkpoint staffing, as keys of the ``cp.*`` messages.
CHECKPOINT_STATUS = ("staffed", "under", "gap", "overlap", "stood_down")


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


def mobility_line(model: CollabModel, lang: str = "en") -> str:
    """One sentence on the operation today (mobility)."""
    mob = model.mobility
    cps = checkpoint_table(model)
    counts = cps["status"].value_counts()
    phase = mob.phase(model.day)
    text = t(lang, f"mob.{phase}")
    if phase in ("education", "enforcement"):
        text += t(lang, "mob.deployment", deployed=mob.deployed, available=mob.available,
                  points=len(cps), gaps=counts.get("gap", 0), overlaps=counts.get("overlap", 0),
                  under=counts.get("under", 0))
    today = mob.today
    return text + t(lang, "mob.today", trips=f"{today['trips']:,}", n=f"{model.population.n:,}",
                    violations=f"{today['violations']:,}", detected=f"{today['detected']:,}")


def citizens_line(model: CollabModel, lang: str = "en") -> str:
    """One sentence on what the citizens are doing now (licensing)."""
    lic = model.licensing
    totals = lic.totals
    return t(lang, "citizens.line", needing=f"{int((lic.state == NEEDING).sum()):,}",
             applied=f"{int((lic.state == APPLIED).sum()):,}",
             submitted=f"{totals['submitted']:,}", issued=f"{totals['issued']:,}",
             informal=f"{totals['informal']:,}", abandoned=f"{totals['abandoned']:,}")


# ---------------------------------------------------------------- KPI charts
def kpi_series(model: CollabModel) -> pd.DataFrame:
    """The model's daily time series, flows turned into per-month rates (30-day window).

    ``levy_share_30d`` is the retribusi collected over the last 30 days ÷ the
    target for those days (from the daily ``levy_collected`` and ``levy_due``),
    NaN without a target. Undefined values stay NaN (a gap in the line).
    """
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    if df.empty:
        return df
    df = df.copy()
    for col in FLOWS:
        if col in df:
            df[col] = df[col].rolling(30, min_periods=1).mean() * DAYS_PER_MONTH
    if "levy_collected" in df:
        due = df["levy_due"].rolling(30, min_periods=1).sum()
        df["levy_share_30d"] = (df["levy_collected"].rolling(30, min_periods=1).sum()
                                / due.where(due > 0))
    if "compliance_rate" in df and "restriction_phase" in df:
        df["compliance_rate"] = df["compliance_rate"].where(_restricted(df))
    return df


def _restricted(df: pd.DataFrame) -> pd.Series:
    """Days under restrictions (compliance is defined only then)."""
    return df["restriction_phase"].isin([PHASE_CODES["education"], PHASE_CODES["enforcement"]])


# ----------------------------------------------------------------- KPI cards
#: The KPI cards: key (``kpi.<key>`` names it), service, format, whether higher is better.
CARD_SPECS: tuple[tuple[str, str, str, bool], ...] = (
    ("applications", "licensing", "{:.1f}", True),
    ("permits", "licensing", "{:.1f}", True),
    ("backlog", "licensing", "{:.1f}", False),
    ("processing", "licensing", "{:.1f}", False),
    ("levy", "licensing", "{:.0%}", True),
    ("informal", "licensing", "{:.0%}", False),
    ("mobility", "mobility", "{:.2f}", False),
    ("compliance", "mobility", "{:.0%}", True),
    ("awareness", "mobility", "{:.0%}", True),
    ("gaps", "mobility", "{:.1f}", False),
    ("overlaps", "mobility", "{:.1f}", False),
    ("trust", "collaboration", "{:.2f}", True),
)

_NAN = float("nan")


def _mean(part: pd.Series) -> float:
    part = part.dropna()
    return float(part.mean()) if len(part) else _NAN


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else _NAN


def window_values(model: CollabModel, df: pd.DataFrame, lo: int, hi: int) -> dict[str, float]:
    """Every card's value over days ``lo`` … ``hi - 1`` (NaN where nothing was measured).

    Flows are per month; the retribusi share is collected ÷ due over the same
    days (``levy_collected``, ``levy_due``), never the cumulative share; the
    informal share is informal ÷ (informal + applied − abandoned) over the
    days; compliance is averaged over restriction days only.
    """
    part = df.iloc[lo:hi]
    out: dict[str, float] = {}
    if model.licensing is not None:
        out["applications"] = _mean(part["applications_submitted"]) * DAYS_PER_MONTH
        out["permits"] = _mean(part["permits_issued"]) * DAYS_PER_MONTH
        out["backlog"] = _mean(part["backlog"])
        out["processing"] = _mean(part["mean_processing_days"])
        if model.levy_target_per_year > 0:
            out["levy"] = _ratio(part["levy_collected"].sum(), part["levy_due"].sum())
        acted = (part["informal"].sum() + part["applications_submitted"].sum()
                 - part["abandoned"].sum())
        out["informal"] = _ratio(part["informal"].sum(), acted)
    if getattr(model, "mobility", None) is not None:
        out["mobility"] = _mean(part["mobility_index"])
        out["compliance"] = _mean(part["compliance_rate"][_restricted(part)])
        out["awareness"] = _mean(part["awareness_rate"])
        out["gaps"] = _mean(part["checkpoint_gaps"])
        out["overlaps"] = _mean(part["checkpoint_overlaps"])
    out["trust"] = _mean(part["mean_trust"])
    return out


def _now(model: CollabModel, df: pd.DataFrame) -> dict[str, float]:
    """Today's value of the cards that have one (levels; shares over the last 30 days)."""
    n = len(df)
    if not n:
        return {}
    last = df.iloc[-1]
    out = {}
    if model.licensing is not None:
        out["backlog"] = float(last["backlog"])
        out["processing"] = float(last["mean_processing_days"])
        if model.levy_target_per_year > 0:
            out["levy"] = window_values(model, df, max(0, n - 30), n)["levy"]
    if getattr(model, "mobility", None) is not None:
        restricted = bool(_restricted(df.iloc[-1:]).iloc[0])
        out["mobility"] = float(last["mobility_index"])
        out["compliance"] = float(last["compliance_rate"]) if restricted else _NAN
        out["awareness"] = float(last["awareness_rate"])
    out["trust"] = float(last["mean_trust"])
    return out


def _finite(value: float | None) -> bool:
    return value is not None and bool(np.isfinite(value))


@dataclass(frozen=True)
class Card:
    """A KPI with its value before and after the collaboration start.

    ``before``/``after`` are ``None`` while the window has not begun and NaN
    when it has but nothing was measured (both show as "n/a"); ``higher`` says
    whether a rise is good news (for the arrow's colour). ``key`` names the
    message ``kpi.<key>``.
    """

    key: str
    before: float | None
    after: float | None
    now: float | None
    fmt: str = "{:.1f}"
    higher: bool = True

    def show(self, value: float | None, lang: str = "en") -> str:
        """A value as shown on the card ("n/a" when there is none, never a stale number)."""
        return self.fmt.format(value) if _finite(value) else t(lang, "card.na")

    def label(self, lang: str = "en") -> str:
        """The card's title."""
        return t(lang, f"kpi.{self.key}")

    @property
    def change(self) -> float | None:
        """Relative change after vs before (None when either is missing or before is 0)."""
        if not (_finite(self.before) and _finite(self.after)) or not self.before:
            return None
        return (self.after - self.before) / abs(self.before)


def _specs(model: CollabModel, values):
    for key, _service, fmt, higher in CARD_SPECS:
        if key in values:
            yield key, fmt, higher


def kpi_cards(model: CollabModel) -> list[Card]:
    """Every KPI card of the model's services: before vs since the collaboration start."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    cfg = model.config
    start, warm, n = cfg.collaboration_start, cfg.warmup_days, len(df)
    before = window_values(model, df, warm, min(start, n)) if n > warm else {}
    after = window_values(model, df, start, n) if n > start else {}
    now = _now(model, df)
    return [Card(key, before.get(key) if before else None, after.get(key) if after else None,
                 now.get(key), fmt, higher) for key, fmt, higher in _specs(model, card_keys(model))]


def card_keys(model: CollabModel) -> set[str]:
    """The cards a model's services call for (the retribusi card only with a target)."""
    have = {"licensing": model.licensing is not None,
            "mobility": getattr(model, "mobility", None) is not None, "collaboration": True}
    return {key for key, service, _, _ in CARD_SPECS if have[service]
            and (key != "levy" or model.levy_target_per_year > 0)}


@dataclass(frozen=True)
class CompareCard:
    """A KPI in compare mode: baseline and variant over the same days, and the difference."""

    key: str
    baseline: float
    variant: float
    fmt: str = "{:.1f}"
    higher: bool = True

    @property
    def diff(self) -> float:
        """Variant minus baseline (NaN when either is undefined)."""
        return self.variant - self.baseline

    def show(self, value: float, lang: str = "en") -> str:
        """A value as shown ("n/a" when undefined)."""
        return self.fmt.format(value) if _finite(value) else t(lang, "card.na")

    def show_diff(self, lang: str = "en") -> str:
        """The difference with its sign ("n/a" when undefined)."""
        d = self.diff
        if not _finite(d):
            return t(lang, "card.na")
        if "%" in self.fmt:  # a share: the difference in percentage points
            return f"{d * 100:+.0f} pp"
        return ("+" if d >= 0 else "−") + self.fmt.format(abs(d))

    @property
    def better(self) -> bool | None:
        """Whether the variant does better (None: no difference or undefined)."""
        d = self.diff
        if not _finite(d) or abs(d) < 1e-9:
            return None
        return (d > 0) == self.higher

    def label(self, lang: str = "en") -> str:
        """The card's title."""
        return t(lang, f"kpi.{self.key}")


def compare_window(model: CollabModel) -> tuple[int, int]:
    """The days both worlds' cards are computed over: since the start, else the whole run."""
    n, start = model.day, model.config.collaboration_start
    return (start, n) if n > start else (0, n)


def compare_cards(baseline: CollabModel, variant: CollabModel) -> list[CompareCard]:
    """Every KPI of both worlds over the same days (the worlds step in lockstep)."""
    lo, hi = compare_window(variant)
    dfs = [m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
           for m in (baseline, variant)]
    b = window_values(baseline, dfs[0], lo, hi)
    v = window_values(variant, dfs[1], lo, hi)
    return [CompareCard(key, b[key], v.get(key, _NAN), fmt, higher)
            for key, fmt, higher in _specs(variant, b) if key in v]


# -------------------------------------------------------------------- events
def value_text(value: object) -> str:
    """A lever's value as shown (✓/✗ for a switch, floats without trailing zeros)."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def lever_label(path: str, lang: str = "en") -> str:
    """What a scenario key path is called on the page (the path itself when unknown)."""
    from collabsim.viz.controls import CONTROLS

    for c in CONTROLS:
        if c.path == path:
            return t(lang, f"control.{c.name}")
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "agencies":
        if parts[2] == "n_officers":
            return t(lang, "lever.officers", agency=parts[1].upper())
        if parts[2] == "regulation_ready":
            return t(lang, "lever.regulation", agency=parts[1].upper())
    return path


def intervention_label(model: CollabModel, index: int, lang: str = "en") -> str:
    """An intervention's name: its label, or what it sets (``Lever → value, …``)."""
    ivs = model.config.interventions
    if not 0 <= index < len(ivs):
        return "?"
    iv = ivs[index]
    if iv.label:
        return iv.label
    return ", ".join(f"{lever_label(k, lang)} → {value_text(v)}" for k, v in iv.set.items())


def event_message(model: CollabModel, event, lang: str = "en") -> str:
    """One event as a sentence, composed from its kind and facts (so it translates)."""
    p = dict(event.params)
    if "agency" in p:
        p["agency"] = str(p["agency"]).upper()
    if "stage" in p:
        p["stage"] = data(lang, str(p["stage"]))
    if event.kind == "intervention":
        p["label"] = intervention_label(model, int(p.get("index", -1)), lang)
    key = f"event.{event.kind}"
    try:
        return t(lang, key, day=event.day, **p)
    except KeyError:
        return t(lang, "event.other", day=event.day, kind=event.kind)


def event_messages(model: CollabModel, lang: str = "en", limit: int = 8) -> list[str]:
    """The last ``limit`` events of the run as sentences, newest first."""
    return [event_message(model, e, lang) for e in reversed(model.events[-limit:])]


def timeline_markers(model: CollabModel, lang: str = "en") -> list[tuple[int, str, str]]:
    """Markers for the charts: (day, label, kind) of the collaboration start and interventions.

    Known before the run (the scenario says when), so the charts show what is
    coming as well as what has happened.
    """
    out = [(model.config.collaboration_start, t(lang, "chart.starts"), "collaboration_start")]
    for i, iv in enumerate(model.config.interventions):
        out.append((iv.day, intervention_label(model, i, lang), "intervention"))
    return out

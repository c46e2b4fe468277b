"""Solara components of the view: the controls and one panel per thing to look at.

Every panel ends with a short "What am I looking at?" text written for a
student who has not read the two field studies. Panels read the page's
:class:`~collabsim.viz.state.ViewState`; drawing boards are kept while the
scenario's structure (agencies, workflow, run length) stays the same, so a
slider change or a step only redraws what moved.
"""

from __future__ import annotations

import html
import time
from typing import Any

import solara

from collabsim.viz import drawing, panels
from collabsim.viz.state import DAYS_PER_STEP, ViewState

__all__ = [
    "EXPLAIN",
    "BoardImage",
    "CardsBody",
    "CitizensLine",
    "Controls",
    "DistrictsPanel",
    "Explainer",
    "KpiCards",
    "KpiPanel",
    "NetworkPanel",
    "PipelinePanel",
    "RunBar",
    "StatusLine",
]

PLAY_FRAME_SECONDS = 0.35

EXPLAIN: dict[str, str] = {
    "controls": (
        "Pick a scenario, then change the starting conditions the two studies found decisive. "
        "A slider on an agency factor sets it for every agency. Each change restarts the run "
        "from day 0 with the same seed, so any difference you see comes from your change, not "
        "from chance. Change the seed to see another run of the same world."),
    "network": (
        "Each circle is a government office (agency); each line is their working tie. A thicker "
        "line (and the number on it) means more **trust** between the two. The circle's colour "
        "is the agency's **commitment** to the joint work: red low, green high. Orange dots are "
        "**permit files on their way** from one agency to the next. After the collaboration "
        "starts, every smooth hand-off is a small win that builds trust, and every lost or "
        "stuck file erodes it; commitment follows trust. Before the start, files travel slowly "
        "by letter and trust does not move."),
    "network_mobility": (
        "Each circle is a government office (agency); each line is their working tie. A thicker "
        "line means more **trust** between the two. The circle's colour is the agency's "
        "**commitment** to the joint operation (red low, green high), and under it is how many "
        "of its officers are at checkpoints today: a committed agency sends more. The "
        "operations centre sits in the middle: once it runs, every contingent that lands where "
        "the centre's plan needs it is a small win for their tie, and one that ends up where "
        "others already stand erodes it. Before the start each agency plans alone."),
    "pipeline": (
        "A permit passes through these stages in order, each done by one agency (in brackets). "
        "Each bar counts the files at that stage now: **blue** are queued or being worked on, "
        "**orange** are still on their way from the previous agency, **dark red** are stuck "
        "because the regulation the stage needs (such as the regional levy rule) is not in "
        "force. The longest bar is the bottleneck. When the collaboration starts, stages may be "
        "merged into fewer ones (the workflow-stages slider), and facilitative leaders keep "
        "shortening them."),
    "districts": (
        "The city's districts on a rough map, linked by main roads. A bigger circle has more "
        "residents; the **greener** it is, the more of them stay home today. Next to each "
        "district are its checkpoints (triangles: entry points at the city edge; squares: inner "
        "points), coloured by who turned up: **green** staffed as planned, **yellow** short of "
        "officers, **red** nobody there (a gap), **purple** more officers than needed from "
        "several agencies (an overlap: someone else's point is short). An operations centre "
        "that knows every checkpoint and agencies that know their roles make fewer gaps and "
        "overlaps. 'aware' is the share of residents who know the rules; campaigns and word "
        "of mouth raise it."),
    "kpis_mobility": (
        "How the operation does, day by day. The **mobility index** is today's trips divided "
        "by a normal day's before the restrictions (1 = as usual, 0.5 = half the trips). "
        "**Compliance** is the share of people bound by the rules who did not break them "
        "today; **awareness** the share who know the rules. Unstaffed and over-staffed "
        "checkpoints show how well the agencies' deployment fits together. **Trust** and "
        "**commitment** are averages over the agencies. The dashed line is the day the "
        "agencies start working together (here, with the restrictions)."),
    "kpis": (
        "How the service does, day by day. Applications and permits are counted over the last "
        "30 days, so they read as 'per month'. The **backlog** is the number of files in "
        "process. **Levy ÷ target** compares the regional levy collected so far with the target "
        "for the same period (dotted green line = on target). The **informal share** is how "
        "many of the citizens who needed a permit built or produced without one. **Trust** and "
        "**commitment** are averages over the agencies. The dashed line is the day the "
        "agencies start working together."),
    "cards": (
        "Each card compares the average **before** the collaboration started (leaving out the "
        "first days while the service warms up) with the average **since** it started. The "
        "arrow is green when the change is good news and red when it is bad; 'now' is today's "
        "value."),
}


def bold_html(text: str) -> str:
    """Escape text for HTML and turn ``**bold**`` into ``<b>bold</b>``."""
    parts = html.escape(text).split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


@solara.component
def Explainer(text: str) -> None:
    """The panel's "What am I looking at?" text (plain HTML: cheap, needs no script)."""
    solara.HTML(tag="div", classes=["collabsim-explainer"],
                unsafe_innerHTML=f"<b>What am I looking at?</b> {bold_html(text)}")


# ----------------------------------------------------------------- controls
def _shown(spec: dict[str, Any]) -> str:
    value = spec["value"]
    return str(int(value)) if spec["type"] == "SliderInt" else f"{float(value):.2f}"


@solara.component
def ParameterInput(name: str, spec: dict[str, Any], on_value) -> None:
    """One control: a switch or a slider with its bounds, and its unit and source on hover."""
    def change(value, name=name):
        on_value(name, value)

    with solara.Row(gap="4px", style={"align-items": "center"}, classes=["collabsim-param"]):
        with solara.Div(style={"flex-grow": "1"}):
            if spec["type"] == "Checkbox":
                solara.Switch(label=spec["label"], value=bool(spec["value"]), on_value=change)
            else:
                slider = solara.SliderInt if spec["type"] == "SliderInt" else solara.SliderFloat
                with solara.Row(justify="space-between", style={"font-size": "0.85em"}):
                    solara.Text(spec["label"])
                    solara.Text(_shown(spec), classes=["collabsim-value"])
                slider(spec["label"], value=spec["value"], min=spec["min"], max=spec["max"],
                       step=spec["step"], on_value=change, thumb_label=False)
        with solara.Tooltip(spec["help"]):
            solara.v.Icon(children=["mdi-information-outline"], small=True)


@solara.component
def Controls(state: ViewState) -> None:
    """Scenario picker, the schema's sliders and switches, and the seed."""
    scenario = state.scenario()
    solara.Select(label="Scenario", values=state.presets, value=state.preset.value,
                  on_value=state.set_preset)
    solara.Text(scenario.description, style={"font-size": "0.85em", "color": "#555"})
    solara.HTML(tag="div", unsafe_innerHTML="<b>Starting conditions</b>",
                style="margin-top: 8px")
    for name, spec in state.specs().items():
        ParameterInput(name, spec, state.set_param)
    solara.InputText("Seed", value=str(state.seed.value), on_value=state.set_seed,
                     continuous_update=False)
    Explainer(EXPLAIN["controls"])


@solara.component
def RunBar(state: ViewState) -> None:
    """Play / pause, step, reset, and how many days a step is."""
    state.tick.value  # noqa: B018 - subscribe: Step is disabled at the end of the run
    playing = state.playing.value

    def play_loop() -> None:
        while state.playing.value:
            t0 = time.monotonic()
            if not state.step():
                state.playing.set(False)
                break
            time.sleep(max(0.0, PLAY_FRAME_SECONDS - (time.monotonic() - t0)))

    solara.lab.use_task(play_loop, dependencies=[playing], prefer_threaded=True)
    done = state.finished
    solara.ToggleButtonsSingle(value=state.days_per_step.value, values=list(DAYS_PER_STEP),
                               on_value=state.days_per_step.set)
    solara.Text("days per step", style={"font-size": "0.8em", "color": "#555"})
    with solara.Row(gap="6px"):
        solara.Button("❚❚ Pause" if playing else "▶ Play", color="primary", disabled=done,
                      on_click=lambda: state.playing.set(not state.playing.value))
        solara.Button("Step", color="primary", disabled=playing or done,
                      on_click=lambda: state.step())
        solara.Button("Reset", color="primary", outlined=True, on_click=state.reset)


@solara.component
def StatusLine(state: ViewState) -> None:
    """Which day it is and where the run stands against the collaboration start."""
    state.tick.value  # noqa: B018 - subscribe: redraw after each step
    m = state.model.value
    cfg = m.config
    start = cfg.collaboration_start
    if m.day < start:
        how = "files go by letter" if m.licensing is not None else "each plans alone"
        phase = (f"the agencies work <b>separately</b> ({how}); the collaboration "
                 f"starts on day {start}, in {start - m.day} days")
    else:
        phase = (f"the agencies have <b>worked together</b> for {m.day - start} days "
                 f"(since day {start})")
    end = " — run complete: press Reset to run again" if m.day >= cfg.steps else ""
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<h3 class='collabsim-day'>Day {m.day} of {cfg.steps}</h3>"
        f"<div>{html.escape(cfg.name)}, seed {m.seed}, {cfg.citizens.n:,} citizens: "
        f"{phase}{end}.</div>"))


# ------------------------------------------------------------------- panels
def _arrow(card: panels.Card) -> str:
    change = card.change
    if change is None or abs(change) < 0.005:
        return "<span class='flat'>＝</span>" if change is not None else ""
    good = (change > 0) == card.higher
    return (f"<span class='{'good' if good else 'bad'}'>{'▲' if change > 0 else '▼'} "
            f"{abs(change):.0%}</span>")


def cards_html(cards: list[panels.Card]) -> str:
    """The KPI cards as HTML (one box per KPI: before → after, change, now)."""
    boxes = []
    for c in cards:
        now = f"<div class='now'>now {c.show(c.now)}</div>" if c.now is not None else ""
        boxes.append(
            f"<div class='kpi-card' data-kpi='{html.escape(c.label)}'>"
            f"<div class='label'>{html.escape(c.label)}</div>"
            f"<div class='values'><span title='before the start'>{c.show(c.before)}</span>"
            f" → <b title='since the start'>{c.show(c.after)}</b> {_arrow(c)}</div>{now}</div>")
    return "<div class='kpi-cards'>" + "".join(boxes) + "</div>"


@solara.component
def CardsBody(state: ViewState) -> None:
    """The KPI cards' numbers (redrawn after each step)."""
    state.tick.value  # noqa: B018 - subscribe: redraw after each step
    solara.HTML(tag="div", unsafe_innerHTML=cards_html(panels.kpi_cards(state.model.value)))


@solara.component
def KpiCards(state: ViewState) -> None:
    """KPI cards: before vs after the collaboration start."""
    with solara.Card("Before → after the collaboration starts", margin=0):
        CardsBody(state)
        Explainer(EXPLAIN["cards"])


@solara.component
def BoardImage(state: ViewState, kind: str) -> None:
    """A board's picture of the model now: ``network``, ``pipeline``, ``districts`` or ``kpis``.

    The board is kept while the scenario's structure stays the same (a slider
    change or a new seed reuses it), and drawn again after every step.
    """
    tick = state.tick.value
    m = state.model.value
    if kind == "network":
        key: Any = tuple(a.key for a in m.agency_list)
        def make():
            layout = panels.network_layout(m.collaboration_graph, panels.hub_of(m))
            return drawing.NetworkBoard(m, layout)
    elif kind == "districts":
        key = (tuple(m.mobility.district_keys), m.mobility.cp_needed.size)
        def make():
            return drawing.DistrictBoard(m)
    elif kind == "pipeline":
        key = drawing.PipelineBoard.workflow(m)
        def make():
            return drawing.PipelineBoard(m)
    else:
        key = (tuple(c[0] for c in panels.kpi_chart_list(m)), m.config.steps,
               m.config.collaboration_start)
        def make():
            return drawing.KpiBoard(m)
    board = solara.use_memo(make, [kind, key])
    image = solara.use_memo(lambda: board.render(m), [board, m, tick])
    solara.Image(image, classes=["collabsim-figure", f"collabsim-{kind}"])


@solara.component
def CitizensLine(state: ViewState, service: str = "licensing") -> None:
    """What the citizens (and, in mobility, the patrols) are doing now."""
    state.tick.value  # noqa: B018 - subscribe: redraw after each step
    line = panels.citizens_line if service == "licensing" else panels.mobility_line
    solara.Text(line(state.model.value), style={"font-size": "0.85em"})


@solara.component
def NetworkPanel(state: ViewState) -> None:
    """The agency collaboration network, drawn live."""
    m = state.model.value
    with solara.Card("Agency collaboration network", margin=0):
        BoardImage(state, "network")
        solara.Text(" · ".join(f"{a.key.upper()} = {a.label}" for a in m.agency_list),
                    style={"font-size": "0.8em", "color": "#555"})
        Explainer(EXPLAIN["network" if m.licensing is not None else "network_mobility"])


@solara.component
def PipelinePanel(state: ViewState) -> None:
    """The permit pipeline: files waiting at each stage."""
    m = state.model.value
    with solara.Card(f"Permit pipeline: {m.config.licensing.permit}", margin=0):
        BoardImage(state, "pipeline")
        CitizensLine(state)
        Explainer(EXPLAIN["pipeline"])


@solara.component
def DistrictsPanel(state: ViewState) -> None:
    """Mobility control: the city's districts and the checkpoints' staffing."""
    with solara.Card("City districts and checkpoints", margin=0):
        BoardImage(state, "districts")
        CitizensLine(state, "mobility")
        Explainer(EXPLAIN["districts"])


@solara.component
def KpiPanel(state: ViewState) -> None:
    """KPI charts over time."""
    m = state.model.value
    with solara.Card("Key figures over time", margin=0):
        BoardImage(state, "kpis")
        if m.licensing is not None:
            Explainer(EXPLAIN["kpis"])
        if m.mobility is not None:
            Explainer(EXPLAIN["kpis_mobility"])

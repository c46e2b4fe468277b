"""Solara components of the view: the controls and one panel per thing to look at.

Every panel ends with a short "What am I looking at?" text written for a
student who has not read the two field studies. Panels read the page's
:class:`~collabsim.viz.state.ViewState`; drawing boards are kept while the
scenario's structure (agencies, workflow, run length, markers) and the language
stay the same, so a slider change or a step only redraws what moved. Every word
shown comes from :mod:`collabsim.viz.i18n` (``t``), in the page's language.
"""

from __future__ import annotations

import html
import time
from typing import Any

import solara

from collabsim.viz import drawing, panels
from collabsim.viz.i18n import LANGS, data, show, t
from collabsim.viz.state import DAYS_PER_STEP, ViewState

__all__ = [
    "BoardImage",
    "CardsBody",
    "CitizensLine",
    "CompareControls",
    "Controls",
    "DistrictsPanel",
    "ErrorLine",
    "EventLog",
    "Explainer",
    "InterventionForm",
    "KpiCards",
    "KpiPanel",
    "LanguageSwitch",
    "NetworkPanel",
    "PipelinePanel",
    "RunBar",
    "StatusLine",
    "WorldPanels",
]

PLAY_FRAME_SECONDS = 0.35
SMALL = {"font-size": "0.85em"}
GREY = {"font-size": "0.8em", "color": "#555"}


def bold_html(text: str) -> str:
    """Escape text for HTML and turn ``**bold**`` into ``<b>bold</b>``."""
    parts = html.escape(text).split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


@solara.component
def Explainer(key: str, lang: str) -> None:
    """The panel's "What am I looking at?" text (plain HTML: cheap, needs no script)."""
    solara.HTML(tag="div", classes=["collabsim-explainer"],
                unsafe_innerHTML=f"<b>{html.escape(t(lang, 'explain.lead'))}</b> "
                                 f"{bold_html(t(lang, key))}")


@solara.component
def LanguageSwitch(state: ViewState) -> None:
    """English / Bahasa Indonesia (the run goes on in the other language)."""
    lang = state.lang.value
    names = {t(lang, f"lang.{code}"): code for code in LANGS}
    solara.ToggleButtonsSingle(value=t(lang, f"lang.{lang}"), values=list(names),
                               on_value=lambda name: state.set_lang(names[name]),
                               classes=["collabsim-lang"])


@solara.component
def ErrorLine(state: ViewState) -> None:
    """The one-line message of a refused input (in the page's language where it is ours)."""
    if state.error.value:
        solara.Error(show(state.lang.value, state.error.value))


# ----------------------------------------------------------------- controls
def _shown(spec: dict[str, Any]) -> str:
    value = spec["value"]
    return str(int(value)) if spec["type"] == "SliderInt" else f"{float(value):.2f}"


def help_text(name: str, spec: dict[str, Any], lang: str) -> str:
    """A control's tooltip: the schema's description (English) or its translation."""
    text = t(lang, f"help.{name}", schema=spec["help"].removeprefix("Sets every agency. "))
    if spec["path"].startswith("agencies.*."):
        text = f"{t(lang, 'controls.every_agency')} {text}"
    return text


@solara.component
def ParameterInput(name: str, spec: dict[str, Any], on_value, lang: str = "en") -> None:
    """One control: a switch or a slider with its bounds, and its unit and source on hover."""
    def change(value, name=name):
        on_value(name, value)

    label = t(lang, f"control.{name}")
    with solara.Row(gap="4px", style={"align-items": "center"}, classes=["collabsim-param"]):
        with solara.Div(style={"flex-grow": "1"}):
            if spec["type"] == "Checkbox":
                solara.Switch(label=label, value=bool(spec["value"]), on_value=change)
            else:
                slider = solara.SliderInt if spec["type"] == "SliderInt" else solara.SliderFloat
                with solara.Row(justify="space-between", style=SMALL):
                    solara.Text(label)
                    solara.Text(_shown(spec), classes=["collabsim-value"])
                slider(label, value=spec["value"], min=spec["min"], max=spec["max"],
                       step=spec["step"], on_value=change, thumb_label=False)
        with solara.Tooltip(help_text(name, spec, lang)):
            solara.v.Icon(children=["mdi-information-outline"], small=True)


@solara.component
def Controls(state: ViewState) -> None:
    """Scenario picker, the schema's sliders and switches, and the seed."""
    lang = state.lang.value
    comparing = state.comparing
    scenario = state.scenario()
    solara.Select(label=t(lang, "controls.variant_scenario" if comparing else "controls.scenario"),
                  values=state.presets, value=state.preset.value, on_value=state.set_preset)
    solara.Text(data(lang, scenario.description), style=SMALL | {"color": "#555"})
    solara.HTML(tag="div", unsafe_innerHTML="<b>" + html.escape(t(
        lang, "controls.starting_variant" if comparing else "controls.starting")) + "</b>",
        style="margin-top: 8px")
    for name, spec in state.specs().items():
        ParameterInput(name, spec, state.set_param, lang)
    solara.InputText(t(lang, "controls.seed"), value=str(state.seed.value),
                     on_value=state.set_seed, continuous_update=False)
    Explainer("explain.controls", lang)


def _setup_text(state: ViewState, setup, lang: str) -> str:
    changes = [f"{t(lang, f'control.{n}')} {panels.value_text(v)}"
               for n, v in setup.changed.items()]
    changes += [t(lang, "iv.item", day=a["day"], lever=_lever_name(state, a["lever"], lang),
                  value=panels.value_text(a["value"])) for a in setup.added]
    return ": " + "; ".join(changes) if changes else t(lang, "compare.as_shipped")


@solara.component
def CompareControls(state: ViewState) -> None:
    """The Compare switch, and what the baseline and the variant are."""
    lang = state.lang.value
    state.tick.value  # noqa: B018 - subscribe: the description follows rebuilds
    solara.Switch(label=t(lang, "compare.switch"), value=state.comparing,
                  on_value=state.set_compare, classes=["collabsim-compare"])
    base = state.base.value
    if base is not None:
        variant = state.setup()
        lines = [t(lang, "compare.baseline_is", name=base.preset,
                   changes=_setup_text(state, base, lang)),
                 t(lang, "compare.variant_is", name=variant.preset,
                   changes=_setup_text(state, variant, lang))]
        if variant == base:
            lines.append(t(lang, "compare.no_change"))
        solara.HTML(tag="div", style="font-size: 0.85em",
                    unsafe_innerHTML="<br>".join(html.escape(x) for x in lines))
    Explainer("compare.explain", lang)


def _lever_name(state: ViewState, lever: str, lang: str) -> str:
    spec = state.levers().get(lever)
    if spec is None:
        return lever
    return t(lang, spec["label"], agency=spec["agency"]) if spec["agency"] else t(
        lang, spec["label"])


@solara.component
def InterventionForm(state: ViewState) -> None:
    """Add an intervention: a day, a lever and its new value (checked by the schema)."""
    lang = state.lang.value
    levers = state.levers()
    names = {_lever_name(state, k, lang): k for k in levers}
    m = state.model.value
    day, set_day = solara.use_state(min(m.config.collaboration_start + 30, m.config.steps - 1))
    lever, set_lever = solara.use_state(next(iter(levers), ""))
    if lever not in levers:
        lever = next(iter(levers), "")
    value, set_value = solara.use_state("")
    shown_value = value if value != "" else panels.value_text(levers[lever]["value"]) \
        if lever else ""
    solara.InputInt(t(lang, "iv.day"), value=day, on_value=set_day)
    solara.Select(label=t(lang, "iv.lever"), values=list(names),
                  value=_lever_name(state, lever, lang) if lever else None,
                  on_value=lambda name: (set_lever(names[name]), set_value("")))
    solara.InputText(t(lang, "iv.value"), value=shown_value, on_value=set_value,
                     continuous_update=True)
    with solara.Row(gap="6px"):
        solara.Button(t(lang, "iv.add"), color="primary",
                      on_click=lambda: state.add_intervention(day, lever, shown_value))
        solara.Button(t(lang, "iv.clear"), outlined=True, disabled=not state.added.value,
                      on_click=state.clear_interventions)
    items = [t(lang, "iv.item", day=a["day"], lever=_lever_name(state, a["lever"], lang),
               value=panels.value_text(a["value"])) for a in state.added.value]
    solara.Text("; ".join(items) if items else t(lang, "iv.none"), style=GREY)
    Explainer("iv.explain", lang)


@solara.component
def RunBar(state: ViewState) -> None:
    """Play / pause, step, reset (all acting on every world), and how many days a step is."""
    state.tick.value  # noqa: B018 - subscribe: Step is disabled at the end of the run
    lang = state.lang.value
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
    solara.Text(t(lang, "run.days_per_step"), style=GREY)
    with solara.Row(gap="6px"):
        solara.Button(t(lang, "run.pause" if playing else "run.play"), color="primary",
                      disabled=done, on_click=lambda: state.playing.set(not state.playing.value))
        solara.Button(t(lang, "run.step"), color="primary", disabled=playing or done,
                      on_click=lambda: state.step())
        solara.Button(t(lang, "run.reset"), color="primary", outlined=True, on_click=state.reset)


@solara.component
def StatusLine(state: ViewState) -> None:
    """Which day it is and where the run stands against the collaboration start."""
    state.tick.value  # noqa: B018 - subscribe: redraw after each step
    lang = state.lang.value
    m = state.model.value
    cfg = m.config
    start = cfg.collaboration_start
    if m.day < start:
        how = t(lang, "status.before_letter" if m.licensing is not None else "status.before_alone")
        phase = t(lang, "status.before", how=html.escape(how), start=start, left=start - m.day)
    else:
        phase = t(lang, "status.after", days=m.day - start, start=start)
    end = t(lang, "status.complete") if m.day >= cfg.steps else ""
    world = t(lang, "status.world", name=html.escape(cfg.name), seed=m.seed,
              n=f"{cfg.citizens.n:,}")
    day = html.escape(t(lang, "status.day", day=m.day, steps=cfg.steps))
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<h3 class='collabsim-day'>{day}</h3><div>{world}: {phase}{html.escape(end)}.</div>"))


# ------------------------------------------------------------------- panels
def _arrow(card: panels.Card) -> str:
    change = card.change
    if change is None or abs(change) < 0.005:
        return "<span class='flat'>＝</span>" if change is not None else ""
    good = (change > 0) == card.higher
    return (f"<span class='{'good' if good else 'bad'}'>{'▲' if change > 0 else '▼'} "
            f"{abs(change):.0%}</span>")


def _raw(value: float | None) -> str:
    return "nan" if value is None or value != value else f"{value:.6g}"


def cards_html(cards: list[panels.Card], lang: str = "en") -> str:
    """The KPI cards as HTML (one box per KPI: before → after, change, now)."""
    boxes = []
    esc = html.escape
    for c in cards:
        now = (f"<div class='now'>{esc(t(lang, 'card.now', value=c.show(c.now, lang)))}</div>"
               if c.now is not None else "")
        boxes.append(
            f"<div class='kpi-card' data-kpi='{c.key}' data-before='{_raw(c.before)}' "
            f"data-after='{_raw(c.after)}'>"
            f"<div class='label'>{esc(c.label(lang))}</div>"
            f"<div class='values'><span title='{esc(t(lang, 'card.before'))}'>"
            f"{esc(c.show(c.before, lang))}</span> → <b title='{esc(t(lang, 'card.since'))}'>"
            f"{esc(c.show(c.after, lang))}</b> {_arrow(c)}</div>{now}</div>")
    return "<div class='kpi-cards'>" + "".join(boxes) + "</div>"


def compare_cards_html(cards: list[panels.CompareCard], lang: str = "en") -> str:
    """The compare-mode cards as HTML: baseline, variant and the difference per KPI."""
    esc = html.escape
    boxes = []
    for c in cards:
        cls = {True: "good", False: "bad", None: "flat"}[c.better]
        boxes.append(
            f"<div class='kpi-card compare' data-kpi='{c.key}' data-baseline='{_raw(c.baseline)}'"
            f" data-variant='{_raw(c.variant)}'><div class='label'>{esc(c.label(lang))}</div>"
            f"<div class='row'><span>{esc(t(lang, 'world.baseline'))}</span>"
            f"<span>{esc(c.show(c.baseline, lang))}</span></div>"
            f"<div class='row'><span>{esc(t(lang, 'world.variant'))}</span>"
            f"<b>{esc(c.show(c.variant, lang))}</b></div>"
            f"<div class='row {cls}'><span>{esc(t(lang, 'card.diff'))}</span>"
            f"<span>{esc(c.show_diff(lang))}</span></div></div>")
    return "<div class='kpi-cards'>" + "".join(boxes) + "</div>"


def compare_window_text(state: ViewState, lang: str) -> str:
    """The days the compare cards cover, in words."""
    m = state.model.value
    lo, hi = panels.compare_window(m)
    if hi == 0:
        return t(lang, "card.window_none")
    return (t(lang, "card.window_since", start=lo) if lo else
            t(lang, "card.window_all", day=hi - 1))


@solara.component
def CardsBody(state: ViewState) -> None:
    """The KPI cards' numbers (redrawn after each step)."""
    state.tick.value  # noqa: B018 - subscribe: redraw after each step
    lang = state.lang.value
    if state.comparing:
        text = compare_cards_html(panels.compare_cards(state.baseline.value, state.model.value),
                                  lang)
    else:
        text = cards_html(panels.kpi_cards(state.model.value), lang)
    solara.HTML(tag="div", unsafe_innerHTML=text)


@solara.component
def KpiCards(state: ViewState) -> None:
    """KPI cards: before vs after the collaboration start, or baseline vs variant."""
    state.tick.value  # noqa: B018 - subscribe: the window's days change with each step
    lang = state.lang.value
    title = (t(lang, "card.cards_compare", window=compare_window_text(state, lang))
             if state.comparing else t(lang, "card.cards"))
    with solara.Card(title, margin=0):
        CardsBody(state)
        Explainer("card.explain_compare" if state.comparing else "card.explain", lang)


def _markers(state: ViewState, lang: str) -> list[tuple[int, str, str]]:
    """Timeline markers of every world shown (each marker once)."""
    seen: dict[tuple[int, str], tuple[int, str, str]] = {}
    for m in state.worlds():
        for marker in panels.timeline_markers(m, lang):
            seen.setdefault(marker[:2], marker)
    return list(seen.values())


@solara.component
def BoardImage(state: ViewState, kind: str, world: str = "variant") -> None:
    """A board's picture of a world now: ``network``, ``pipeline``, ``districts`` or ``kpis``.

    The board is kept while the scenario's structure and the language stay the
    same (a slider change or a new seed reuses it), and drawn again after
    every step. ``world`` is ``variant`` (the world shown outside compare
    mode) or ``baseline``; the KPI board draws both in compare mode.
    """
    tick = state.tick.value
    lang = state.lang.value
    m = state.baseline.value if world == "baseline" else state.model.value
    others: tuple = ()
    if kind == "network":
        key: Any = tuple(a.key for a in m.agency_list)
        def make():
            layout = panels.network_layout(m.collaboration_graph, panels.hub_of(m))
            return drawing.NetworkBoard(m, layout, lang=lang)
    elif kind == "districts":
        key = (tuple(m.mobility.district_keys), m.mobility.cp_needed.size)
        def make():
            return drawing.DistrictBoard(m, lang=lang)
    elif kind == "pipeline":
        key = drawing.PipelineBoard.workflow(m)
        others = tuple(w for w in state.worlds() if w is not m)
        def make():
            return drawing.PipelineBoard(m, lang=lang)
    else:
        markers = _markers(state, lang)
        comparing = state.comparing
        key = (tuple(c[0] for c in panels.kpi_chart_list(m)), m.config.steps,
               tuple(markers), comparing)
        others = (state.baseline.value,) if comparing else ()
        def make():
            return drawing.KpiBoard(m, lang=lang, compare=comparing, markers=markers)
    board = solara.use_memo(make, [kind, key, lang])
    image = solara.use_memo(lambda: board.render(m, *others), [board, m, *others, tick])
    solara.Image(image, classes=["collabsim-figure", f"collabsim-{kind}",
                                 f"collabsim-{world}"])


@solara.component
def CitizensLine(state: ViewState, service: str = "licensing", world: str = "variant") -> None:
    """What the citizens (and, in mobility, the patrols) are doing now."""
    state.tick.value  # noqa: B018 - subscribe: redraw after each step
    line = panels.citizens_line if service == "licensing" else panels.mobility_line
    m = state.baseline.value if world == "baseline" else state.model.value
    solara.Text(line(m, state.lang.value), style=SMALL)


def _title(state: ViewState, world: str, text: str) -> str:
    if not state.comparing:
        return text
    return f"{t(state.lang.value, f'world.{world}')} — {text}"


@solara.component
def NetworkPanel(state: ViewState, world: str = "variant", explain: bool = True) -> None:
    """The agency collaboration network, drawn live."""
    lang = state.lang.value
    m = state.baseline.value if world == "baseline" else state.model.value
    with solara.Card(_title(state, world, t(lang, "card.network")), margin=0):
        BoardImage(state, "network", world)
        solara.Text(" · ".join(f"{a.key.upper()} = {data(lang, a.label)}"
                               for a in m.agency_list), style=GREY)
        if explain:
            Explainer("explain.network" if m.licensing is not None
                      else "explain.network_mobility", lang)


@solara.component
def PipelinePanel(state: ViewState, world: str = "variant", explain: bool = True) -> None:
    """The permit pipeline: files waiting at each stage."""
    lang = state.lang.value
    m = state.baseline.value if world == "baseline" else state.model.value
    title = t(lang, "card.pipeline", permit=data(lang, m.config.licensing.permit))
    with solara.Card(_title(state, world, title), margin=0):
        BoardImage(state, "pipeline", world)
        CitizensLine(state, "licensing", world)
        if explain:
            Explainer("explain.pipeline", lang)


@solara.component
def DistrictsPanel(state: ViewState, world: str = "variant", explain: bool = True) -> None:
    """Mobility control: the city's districts and the checkpoints' staffing."""
    lang = state.lang.value
    with solara.Card(_title(state, world, t(lang, "card.districts")), margin=0):
        BoardImage(state, "districts", world)
        CitizensLine(state, "mobility", world)
        if explain:
            Explainer("explain.districts", lang)


@solara.component
def WorldPanels(state: ViewState) -> None:
    """The network and the pipeline or the districts: one world, or both side by side."""
    m = state.model.value
    if not state.comparing:
        with solara.Columns([5, 6]):
            NetworkPanel(state)
            if m.licensing is not None:
                PipelinePanel(state)
            elif m.mobility is not None:
                DistrictsPanel(state)
        if m.licensing is not None and m.mobility is not None:
            DistrictsPanel(state)
        return
    panels_of = [NetworkPanel]
    if m.licensing is not None:
        panels_of.append(PipelinePanel)
    if m.mobility is not None:
        panels_of.append(DistrictsPanel)
    for panel in panels_of:
        with solara.Columns([1, 1]):
            panel(state, "baseline", explain=False)
            panel(state, "variant", explain=True)


@solara.component
def EventLog(state: ViewState) -> None:
    """A short running log of what happened in each world (newest first)."""
    state.tick.value  # noqa: B018 - subscribe: redraw after each step
    lang = state.lang.value

    def log(m) -> None:
        lines = panels.event_messages(m, lang, limit=6)
        solara.HTML(tag="ul", classes=["collabsim-events"], unsafe_innerHTML="".join(
            f"<li>{html.escape(x)}</li>" for x in lines) or
            f"<li class='none'>{html.escape(t(lang, 'events.none'))}</li>")

    if not state.comparing:
        with solara.Card(t(lang, "card.events"), margin=0):
            log(state.model.value)
        return
    with solara.Columns([1, 1]):
        with solara.Card(t(lang, "card.events_baseline"), margin=0):
            log(state.baseline.value)
        with solara.Card(t(lang, "card.events_variant"), margin=0):
            log(state.model.value)


@solara.component
def KpiPanel(state: ViewState) -> None:
    """KPI charts over time (both worlds in compare mode, the baseline dashed)."""
    lang = state.lang.value
    m = state.model.value
    with solara.Card(t(lang, "card.kpis"), margin=0):
        BoardImage(state, "kpis")
        if m.licensing is not None:
            Explainer("explain.kpis", lang)
        if m.mobility is not None:
            Explainer("explain.kpis_mobility", lang)

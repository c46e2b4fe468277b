"""Compare mode, the events log, interventions from the view and the languages (in process)."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import ipyvuetify as v
import ipywidgets as w
import numpy as np
import pandas as pd
import solara

import collabsim.viz as viz_pkg
from collabsim.interventions import Event
from collabsim.scenario import load_scenario
from collabsim.viz import panels
from collabsim.viz.app import App
from collabsim.viz.i18n import EN, ID, MESSAGES, fields, t
from collabsim.viz.state import ViewState

N = 2000


def series(m) -> pd.DataFrame:
    return m.datacollector.get_model_vars_dataframe().reset_index(drop=True)


# ------------------------------------------------------------------ compare
def test_compare_starts_both_worlds_on_the_same_seed_and_steps_them_in_lockstep():
    state = ViewState.create(preset="jcoc", n_citizens=N)
    state.step(14)
    state.set_compare(True)
    base, var = state.worlds()
    assert base is state.baseline.value and var is state.model.value
    assert base.day == var.day == 0 and base.seed == var.seed  # both start again
    state.step(35)
    assert base.day == var.day == 35
    # nothing changed yet: common random numbers give the same run
    pd.testing.assert_frame_equal(series(base), series(var))
    assert all(c.diff == 0 or math.isnan(c.diff)
               for c in panels.compare_cards(base, var))


def test_the_variant_differs_as_its_change_implies_and_the_baseline_stays():
    state = ViewState.create(preset="jcoc", n_citizens=N)
    state.set_compare(True)
    base_setup = state.base.value
    state.set_param("socialisation_reach", 1.0)
    assert state.base.value == base_setup  # the sliders set the variant only
    assert (state.baseline.value.config.mobility.campaigns
            == load_scenario("jcoc").mobility.campaigns)
    assert all(c.reach == 1.0 for c in state.model.value.config.mobility.campaigns)
    state.step(42)
    cards = {c.key: c for c in panels.compare_cards(*state.worlds())}
    assert cards["awareness"].variant > cards["awareness"].baseline + 0.1
    assert cards["awareness"].better is True
    assert panels.compare_window(state.model.value) == (30, 42)  # since the start
    state.reset()
    assert [m.day for m in state.worlds()] == [0, 0]
    state.set_compare(False)
    assert state.baseline.value is None and state.worlds() == [state.model.value]


def test_a_second_scenario_as_the_variant_offers_only_presets_of_the_same_service():
    state = ViewState.create(preset="pbg", n_citizens=N)
    state.set_compare(True)
    assert "pbg_repaired" in state.presets and "jcoc" not in state.presets
    state.set_preset("pbg_repaired")
    assert state.baseline.value.config.name == "pbg"
    assert state.model.value.config.name == "pbg_repaired"


def test_compare_page_shows_both_worlds_and_every_card_has_both_and_the_difference():
    state = ViewState.create(preset="pbg", n_citizens=N)
    _, rc = solara.render(solara.AppLayout(children=[App(state=state)]), handle_error=False)
    rc.find(v.Switch, label="Compare: baseline vs variant").widget.v_model = True
    assert state.comparing
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert [m.day for m in state.worlds()] == [7, 7]
    classes = [" ".join(x.widget._dom_classes) for x in rc.find(w.Image)]
    assert sum("collabsim-baseline" in c for c in classes) == 2  # network and pipeline
    assert sum("collabsim-network" in c for c in classes) == 2
    html = " ".join(x.widget.unsafe_innerHTML or "" for x in rc.find(solara.widgets.HTML))
    cards = re.findall(r"<div class='kpi-card compare'.*?</div></div>", html)
    assert cards and all("Baseline" in c and "Variant" in c and "difference" in c
                         for c in cards)
    rc.close()


def test_undefined_values_show_as_n_a_never_a_stale_number():
    card = panels.Card("processing", before=12.0, after=float("nan"), now=float("nan"))
    assert card.show(card.after) == "n/a" and card.show(card.now, "id") == "t/a"
    assert card.change is None
    cmp = panels.CompareCard("processing", float("nan"), 3.0)
    assert cmp.show(cmp.baseline) == "n/a" and cmp.show_diff() == "n/a" and cmp.better is None


def test_mobility_compliance_is_undefined_before_restrictions():
    state = ViewState.create(preset="jcoc", n_citizens=N)
    m = state.model.value
    m.run(m.config.collaboration_start + 5)
    cards = {c.key: c for c in panels.kpi_cards(m)}
    assert cards["compliance"].before is not None and math.isnan(cards["compliance"].before)
    assert np.isfinite(cards["compliance"].after)


def test_levy_card_compares_the_same_window_from_daily_columns():
    state = ViewState.create(preset="pbg", n_citizens=N)
    m = state.model.value
    m.run(m.config.collaboration_start + 40)
    df = series(m)
    start = m.config.collaboration_start
    card = {c.key: c for c in panels.kpi_cards(m)}["levy"]
    after = df["levy_collected"].iloc[start:].sum() / df["levy_due"].iloc[start:].sum()
    before = df["levy_collected"].iloc[:start].sum() / df["levy_due"].iloc[:start].sum()
    assert card.after == after and card.before == before


# ------------------------------------------------------------- interventions
def test_an_intervention_added_from_the_view_is_applied_logged_and_marked():
    state = ViewState.create(preset="pbg", n_citizens=N)
    assert state.add_intervention(370, "regulation:pupr", "true")
    m = state.model.value
    assert m.config.interventions[-1].set == {"agencies.pupr.regulation_ready": True}
    m.run(372)
    kinds = [(e.day, e.kind) for e in m.events]
    assert (365, "collaboration_start") in kinds and (370, "intervention") in kinds
    assert (370, "regulation_in_force") in kinds
    text = panels.event_messages(m, "en", limit=50)
    assert "day 365: the joint arrangement starts" in text
    assert "day 370: intervention — Regulation in force at PUPR → ✓" in text
    assert any(x.startswith("day 370: regulation passed") for x in text)
    assert "hari 365: pengaturan kerja bersama dimulai" in panels.event_messages(m, "id", 50)
    assert (370, "Regulation in force at PUPR → ✓", "intervention") in panels.timeline_markers(m)


def test_a_bad_intervention_value_shows_one_line_and_keeps_the_run():
    state = ViewState.create(preset="pbg", n_citizens=N)
    before = state.model.value
    assert not state.add_intervention(400, "leader_commitment", "3")
    assert state.model.value is before and state.added.value == ()
    assert "less than or equal to 1" in state.error.value and "\n" not in state.error.value
    assert not state.add_intervention(400, "leader_commitment", "lots")
    assert "expected a number" in state.error.value
    assert not state.add_intervention(9999, "leader_commitment", "0.5")
    assert "outside the run" in state.error.value


def test_event_messages_are_composed_from_kind_and_params():
    state = ViewState.create(preset="pbg", n_citizens=N)
    m = state.model.value
    ev = Event(402, "files_held", {"stage": "levy assessment", "n": 12, "agency": "pupr"})
    assert panels.event_message(m, ev) == (
        "day 402: 12 files held at levy assessment (PUPR) — no regional regulation")
    assert panels.event_message(m, ev, "id") == (
        "hari 402: 12 berkas tertahan di penetapan retribusi (PUPR) — belum ada Perda")
    hired = Event(10, "officers_hired", {"agency": "pupr", "n": 3})
    assert "PUPR" in panels.event_message(m, hired, "id")
    assert panels.event_message(m, Event(5, "something_new")) == "day 5: something_new"


# ------------------------------------------------------------------ languages
def test_both_message_tables_have_the_same_keys_and_fields():
    assert set(EN) == set(ID)
    for key in EN:
        if key.startswith("help."):  # English: the schema's own words; Indonesian: written out
            assert fields(ID[key]) <= fields(EN[key]) == {"schema"}, key
        else:
            assert fields(EN[key]) == fields(ID[key]), key
        assert ID[key].strip(), key
    for code in MESSAGES:
        assert t(code, "lang.id") == "Bahasa Indonesia"


VIEW_MODULES = ("app.py", "components.py", "drawing.py")
#: Calls that put text on the page or on a picture, and which of their arguments is the text.
TEXT_SINKS = {"Text": [0], "Button": [0], "Card": [0], "Title": [0], "AppBarTitle": [0],
              "Error": [0], "Tooltip": [0], "Markdown": [0], "InputText": [0], "InputInt": [0],
              "Select": [], "Switch": [], "HTML": [], "set_title": [0], "set_xlabel": [0],
              "set_ylabel": [0], "set_label": [0], "text": [2], "annotate": [0]}
TEXT_KWARGS = {"label", "title", "children", "unsafe_innerHTML", "labels", "s", "text"}


def _literal_words(node: ast.AST) -> list[str]:
    """Words in string literals of an expression, outside calls and HTML tags."""
    found: list[str] = []

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Call):
            return  # computed text: the called function answers for it
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            found.extend(re.findall(r"[A-Za-z]{2,}", re.sub(r"<[^>]*>", "", n.value)))
            return
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return found


def test_the_view_never_renders_a_literal_string_outside_the_tables():
    root = Path(viz_pkg.__file__).parent
    offenders = []
    for name in VIEW_MODULES:
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fname not in TEXT_SINKS:
                continue
            args = [node.args[i] for i in TEXT_SINKS[fname] if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in TEXT_KWARGS]
            for a in args:
                words = _literal_words(a)
                if words:
                    offenders.append(f"{name}:{node.lineno} {fname}: {words}")
    assert not offenders, offenders


def _page_text(rc) -> str:
    """Every string the widget tree shows (walked from the root, slots included)."""
    parts: list[str] = []
    seen: set[int] = set()

    def walk(node) -> None:
        if isinstance(node, str):
            parts.append(node)
            return
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
            return
        if isinstance(node, list | tuple):
            for value in node:
                walk(value)
            return
        if not isinstance(node, w.Widget) or id(node) in seen:
            return
        seen.add(id(node))
        for attr in ("unsafe_innerHTML", "label", "description", "placeholder", "hint"):
            val = getattr(node, attr, None)
            if isinstance(val, str):
                parts.append(val)
        for attr in ("children", "v_slots"):
            walk(getattr(node, attr, None) or [])

    walk(rc.container)
    return re.sub(r"<[^>]*>", " ", " ".join(parts))


def test_the_page_in_indonesian_shows_no_english_message(shipped_preset):
    state = ViewState.create(preset=shipped_preset, n_citizens=N, lang="id")
    _, rc = solara.render(solara.AppLayout(children=[App(state=state)]), handle_error=False)
    state.step(40)
    state.set_compare(True)
    state.step(40)
    text = _page_text(rc)
    assert "Hari 40 dari" in text and "Apa yang saya lihat?" in text
    english = [EN[k] for k in EN if not fields(EN[k]) and EN[k] != ID[k]
               and len(EN[k].split()) >= 2]
    shown = [e for e in english if e in text]
    assert not shown, shown
    rc.close()

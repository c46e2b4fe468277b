"""The Solara view, rendered in process with Solara's testing utilities (no browser).

The page is rendered inside ``solara.AppLayout`` as the server does, with a
small population so each preset renders in about a second.
"""

from __future__ import annotations

import time

import annotated_types
import ipyvuetify as v
import ipywidgets as w
import pytest
import solara

from collabsim.cli import build_parser
from collabsim.model import FLAT_PARAMETERS, CollabModel
from collabsim.scenario import load_scenario
from collabsim.viz import drawing, panels
from collabsim.viz import state as view_state
from collabsim.viz.app import App, model_params
from collabsim.viz.cli import server_command, server_env
from collabsim.viz.controls import CONTROLS, control_specs, schema_field
from collabsim.viz.state import ViewState

N = 2000


def render(preset: str = "pbg", seed: int = 42, n: int = N):
    state = ViewState.create(preset=preset, seed=seed, n_citizens=n)
    _, rc = solara.render(solara.AppLayout(children=[App(state=state)]), handle_error=False)
    return state, rc


def slider(rc, label: str) -> v.Slider:
    return rc.find(v.Slider, label=label).widget


def images(rc) -> list[bytes]:
    return [bytes(x.widget.value) for x in rc.find(w.Image)]


# ------------------------------------------------------------------ controls
def test_every_control_names_a_schema_field_and_a_consistent_flat_parameter():
    for c in CONTROLS:
        schema_field(c.path)  # raises for a path the schema does not have
        if c.name in FLAT_PARAMETERS:
            assert FLAT_PARAMETERS[c.name] == c.path, c.name


def test_slider_bounds_are_the_schema_bounds(shipped_preset):
    scenario = load_scenario(shipped_preset)
    for name, spec in control_specs(scenario).items():
        field = schema_field(spec["path"])
        if spec["type"] == "Checkbox":
            assert field.annotation is bool
            continue
        ge = next(m.ge for m in field.metadata if isinstance(m, annotated_types.Ge))
        le = next(m.le for m in field.metadata if isinstance(m, annotated_types.Le))
        assert spec["min"] == ge, name
        if name == "joint_stages":  # no more stages than the workflow has
            assert spec["max"] == min(le, len(scenario.licensing.stages))
        else:
            assert spec["max"] == le, name
        assert spec["min"] <= spec["value"] <= spec["max"], name
        assert spec["help"], name


def test_model_params_fit_mesa_solaraviz():
    params = model_params("pbg")
    assert params["preset"] == "pbg"
    assert params["leader_commitment"]["type"] == "SliderFloat"
    assert params["regulation_ready"]["type"] == "Checkbox"


# ---------------------------------------------------------------- rendering
def test_page_renders_and_steps_for_every_preset(shipped_preset):
    preset = shipped_preset
    state, rc = render(preset)
    m = state.model.value
    assert m.config.name == preset
    assert not state.error.value
    pictures = images(rc)
    assert len(pictures) == 3 and all(p.startswith(b"\x89PNG") for p in pictures)
    specs = state.specs()
    sliders = [s for s in specs.values() if s["type"] != "Checkbox"]
    assert len(rc.find(v.Slider)) == len(sliders)
    assert rc.find(v.Select, label="Scenario").widget.v_model == preset
    text = " ".join(x.widget.unsafe_innerHTML or "" for x in rc.find(solara.widgets.HTML))
    assert "What am I looking at?" in text and "kpi-card" in text
    if m.licensing is not None:
        assert "Permit pipeline" in str([c.widget.children for c in rc.find(v.CardTitle)])
    if m.mobility is not None:
        assert "City districts" in str([c.widget.children for c in rc.find(v.CardTitle)])
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert state.model.value.day == state.days_per_step.value
    assert images(rc) != pictures  # the panels were drawn again
    assert not state.error.value


def test_changing_a_slider_rebuilds_the_model_with_that_value():
    state, rc = render("pbg")
    rc.find(v.Btn, children=["Step"]).widget.click()
    before = state.model.value
    slider(rc, "Leader commitment").v_model = 0.9
    m = state.model.value
    assert m is not before and m.day == 0
    assert all(a.leader_commitment == 0.9 for a in m.agency_list)
    assert all(p.leader_commitment == 0.9 for p in m.config.agencies.values())
    slider(rc, "Workflow stages after the start").v_model = 2
    assert state.model.value.config.licensing.joint_stages == 2
    slider(rc, "Socialisation reach (public information)").v_model = 0.2
    m = state.model.value
    assert m.config.citizens.outreach_rate == 0.2
    assert m.config.agencies["pupr"].leader_commitment == 0.9  # earlier changes are kept
    rc.find(v.Switch, label="Regulation in force").widget.v_model = True
    assert all(p.regulation_ready for p in state.model.value.config.agencies.values())
    assert slider(rc, "Leader commitment").v_model == 0.9  # the page shows the value


def test_mobility_sliders_rebuild_the_model():
    state, rc = render("jcoc")
    slider(rc, "Role clarity").v_model = 0.3
    slider(rc, "Socialisation reach (campaigns)").v_model = 0.1
    cfg = state.model.value.config
    assert all(a.role_clarity == 0.3 for a in cfg.agencies.values())
    assert all(c.reach == 0.1 for c in cfg.mobility.campaigns)


def test_scenario_picker_loads_the_presets_own_values():
    state, rc = render("pbg")
    slider(rc, "Leader commitment").v_model = 0.9
    rc.find(v.Select, label="Scenario").widget.v_model = "spp_irt"
    assert state.model.value.config.name == "spp_irt"
    assert state.changed.value == {}
    lc = load_scenario("spp_irt").agencies
    assert slider(rc, "Leader commitment").v_model == pytest.approx(
        round(sum(a.leader_commitment for a in lc.values()) / len(lc), 2))


def test_seed_typed_as_text_rebuilds_or_reports():
    state, rc = render("pbg")
    field = rc.find(v.TextField, label="Seed").widget
    field.v_model = "7"
    field.fire_event("focusout", None)  # continuous_update=False: applied on leaving the field
    assert state.model.value.seed == 7 and not state.error.value
    state.set_seed("seven")
    assert state.model.value.seed == 7
    assert "whole number" in state.error.value


def test_reset_starts_the_same_run_again():
    state, rc = render("pbg")
    step = rc.find(v.Btn, children=["Step"]).widget
    for _ in range(3):
        step.click()
    first = images(rc)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert state.model.value.day == 0
    for _ in range(3):
        step.click()
    assert images(rc) == first  # same seed, same picture


def test_a_kept_day0_model_is_handed_out_as_a_copy_that_runs_as_a_new_build():
    """Reset and compare mode start from a copy of the kept day-0 model, not a new burn-in."""
    state = ViewState.create(preset="pbg", seed=11, n_citizens=N)
    first = state.model.value
    state.step(30)
    state.rebuild()  # Reset: the same settings
    again = state.model.value
    assert again is not first and again.day == 0 and first.day == 30
    again.run(30)
    fresh = CollabModel("pbg", seed=11, n_citizens=N)
    fresh.run(30)
    for a, b in ((first, fresh), (again, fresh)):
        assert a.datacollector.get_model_vars_dataframe().equals(
            b.datacollector.get_model_vars_dataframe())
    state.set_compare(True)  # the baseline is the page as it is: two copies, not one model
    assert state.baseline.value is not state.model.value
    state.set_param("leader_commitment", 0.9)
    assert state.model.value.agency_list[0].leader_commitment == 0.9
    assert state.baseline.value.agency_list[0].leader_commitment != 0.9
    kept = list(view_state._BUILT.values())
    assert len(kept) <= view_state.BUILT_KEPT
    assert not {id(m) for m in kept} & {id(state.model.value), id(state.baseline.value)}


def test_play_runs_until_paused():
    state, rc = render("spp_irt")
    rc.find(v.Btn, children=["▶ Play"]).widget.click()
    deadline = time.monotonic() + 20
    while state.model.value.day < 21 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state.model.value.day >= 21 and state.playing.value
    rc.find(v.Btn, children=["❚❚ Pause"]).widget.click()
    assert not state.playing.value
    time.sleep(2 * 0.35)  # one play frame at most was under way
    day = state.model.value.day
    time.sleep(0.5)
    assert state.model.value.day == day


def test_same_seed_same_picture_other_seed_differs():
    def pictures(seed):
        state = ViewState.create(preset="spp_irt", seed=seed, n_citizens=N)
        m = state.model.value
        m.run(120)
        layout = panels.network_layout(m.collaboration_graph, panels.hub_of(m))
        return [b.render(m) for b in (drawing.NetworkBoard(m, layout),
                                      drawing.PipelineBoard(m), drawing.KpiBoard(m))]

    assert pictures(3) == pictures(3)
    assert pictures(3) != pictures(4)


def test_kpi_cards_split_before_and_after_the_start():
    state = ViewState.create(preset="pbg", n_citizens=N)
    m = state.model.value
    m.run(30)
    assert all(c.after is None for c in panels.kpi_cards(m))
    m.run(m.config.collaboration_start)
    cards = {c.key: c for c in panels.kpi_cards(m)}
    assert cards["applications"].before is not None
    assert cards["applications"].after is not None
    assert "levy" in cards


def test_pipeline_counts_every_file_in_process():
    state = ViewState.create(preset="pbg", n_citizens=N)
    m = state.model.value
    m.run(200)
    table = panels.pipeline_table(m)
    assert table.groupby("order")["files"].sum().tolist() == m.licensing.files_at_stages()
    assert sum(panels.handoffs_in_flight(m).values()) <= m.licensing.backlog()


def test_step_and_render_at_10000_citizens():
    # how fast is measured in benchmarks/viz_load.py, not asserted here (a shared machine)
    state, rc = render("pbg", n=10_000)
    step = rc.find(v.Btn, children=["Step"]).widget
    before = images(rc)
    for _ in range(3):
        step.click()  # 7 days, then every panel redrawn
    assert state.model.value.day == 21
    assert images(rc) and images(rc) != before


# ----------------------------------------------------------------------- CLI
def test_viz_command_line():
    args = build_parser().parse_args(["viz", "--port", "9001", "--no-browser",
                                      "--scenario", "jcoc", "--citizens", "500"])
    assert args.command == "viz" and args.port == 9001 and args.no_browser
    assert args.host == "127.0.0.1"
    cmd = server_command(args.port, args.host, open_browser=not args.no_browser)
    assert cmd[1:4] == ["-m", "solara", "run"] and "collabsim.viz.app" in cmd
    assert "--no-open" in cmd and cmd[cmd.index("--port") + 1] == "9001"
    env = server_env(args.scenario, args.seed, args.citizens)
    assert env["COLLABSIM_VIZ_PRESET"] == "jcoc" and env["COLLABSIM_VIZ_CITIZENS"] == "500"


def test_viz_command_rejects_an_unknown_scenario(capsys):
    from collabsim.cli import main

    assert main(["viz", "--scenario", "nope", "--no-browser"]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err

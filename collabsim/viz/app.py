"""The Solara page: ``solara run collabsim.viz.app`` or ``collabsim viz``.

The sidebar holds the controls (scenario, the schema's sliders and switches,
seed, play / step / reset); the main area the KPI cards, the agency network,
the permit pipeline (licensing) or the city's districts and checkpoints
(mobility), and the KPI charts, each with a "What am I looking at?" text. Each
browser tab gets its own model.

Mesa's ``SolaraViz`` is not used as the page: it applies slider changes only
on Reset, passes a seed typed in as text, and its Reset rebuilds the model with
a ``mesa.experimental.scenarios.Scenario`` our model cannot take. The page
keeps Mesa's contract otherwise (the model is a ``mesa.Model`` rebuilt from
flat keyword parameters), and :func:`model_params` gives the same controls in
the form ``SolaraViz(model, model_params=...)`` takes.
"""

from __future__ import annotations

from typing import Any

import solara

from collabsim.scenario import load_scenario
from collabsim.viz.components import (
    Controls,
    DistrictsPanel,
    KpiCards,
    KpiPanel,
    NetworkPanel,
    PipelinePanel,
    RunBar,
    StatusLine,
)
from collabsim.viz.controls import control_specs
from collabsim.viz.state import DEFAULT_SEED, ViewState

__all__ = ["App", "Page", "model_params"]

TITLE = "collabsim — agencies working together"

CSS = """
.collabsim-explainer { font-size: 0.82em; color: #444; margin-top: 6px; line-height: 1.35; }
.collabsim-explainer p { margin-bottom: 0; }
.collabsim-figure { max-width: 100%; height: auto; }
.collabsim-param .v-slider .v-label, .collabsim-param .v-input__prepend { display: none; }
.collabsim-day { margin: 0; }
.kpi-cards { display: flex; flex-wrap: wrap; gap: 8px; }
.kpi-card { border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; min-width: 150px;
            background: #fafafa; }
.kpi-card .label { font-size: 0.78em; color: #555; }
.kpi-card .values { font-size: 1.05em; }
.kpi-card .now { font-size: 0.75em; color: #777; }
.kpi-card .good { color: #1a7f37; font-size: 0.8em; }
.kpi-card .bad { color: #c62828; font-size: 0.8em; }
.kpi-card .flat { color: #777; font-size: 0.8em; }
"""


def model_params(preset: str) -> dict[str, Any]:
    """The page's controls as Mesa ``SolaraViz`` model parameters (for notebooks).

    Sliders and switches come from the schema (see
    :func:`collabsim.viz.controls.control_specs`); the preset and seed are fixed.
    """
    out: dict[str, Any] = {"preset": preset, "seed": DEFAULT_SEED}
    for name, spec in control_specs(load_scenario(preset)).items():
        out[name] = {k: v for k, v in spec.items() if k not in ("path", "help")}
    return out


@solara.component
def App(state: ViewState | None = None, n_citizens: int | None = None) -> None:
    """The whole page.

    Args:
        state: The page's state (tests pass their own to inspect it); by
            default a fresh one per browser tab.
        n_citizens: Number of citizens (default: ``COLLABSIM_VIZ_CITIZENS`` or
            the preset's).
    """
    own = solara.use_memo(lambda: state or ViewState.create(n_citizens=n_citizens), [])
    state = state or own
    solara.Title(TITLE)
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        with solara.Card("Run", margin=0):
            RunBar(state)
        with solara.Card("Scenario and controls", margin=0):
            Controls(state)
    if state.error.value:
        solara.Error(state.error.value)
    StatusLine(state)
    KpiCards(state)
    m = state.model.value
    with solara.Columns([5, 6]):
        NetworkPanel(state)
        if m.licensing is not None:
            PipelinePanel(state)
        elif m.mobility is not None:
            DistrictsPanel(state)
    if m.licensing is not None and m.mobility is not None:
        DistrictsPanel(state)
    KpiPanel(state)


@solara.component
def Page() -> None:
    """Entry point for ``solara run collabsim.viz.app``."""
    App()

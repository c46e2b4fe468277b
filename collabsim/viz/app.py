"""The Solara page: ``solara run collabsim.viz.app`` or ``collabsim viz``.

The sidebar holds the controls (play / step / reset, the Compare switch,
scenario, the schema's sliders and switches, seed, interventions); the app bar
the language switch; the main area the KPI cards, the log of what happened, the
agency network, the permit pipeline (licensing) or the city's districts and
checkpoints (mobility), and the KPI charts, each with a "What am I looking at?"
text. In compare mode the baseline's and the variant's panels stand side by
side and the charts draw both. Each browser tab (Solara virtual kernel) gets its
own state and worlds; a kernel whose page has gone is released after Solara's
``SOLARA_KERNEL_CULL_TIMEOUT`` (``collabsim viz --idle-minutes``).

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
    CompareControls,
    Controls,
    ErrorLine,
    EventLog,
    InterventionForm,
    KpiCards,
    KpiPanel,
    LanguageSwitch,
    RunBar,
    StatusLine,
    WorldPanels,
)
from collabsim.viz.controls import control_specs
from collabsim.viz.i18n import t
from collabsim.viz.state import DEFAULT_SEED, ViewState

__all__ = ["App", "Page", "model_params"]

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
.kpi-card.compare { min-width: 165px; }
.kpi-card.compare .row { display: flex; justify-content: space-between; gap: 10px;
                         font-size: 0.9em; }
.kpi-card.compare .row.good { color: #1a7f37; }
.kpi-card.compare .row.bad { color: #c62828; }
.kpi-card.compare .row.flat { color: #777; font-size: 0.9em; }
.collabsim-events { margin: 0; padding-left: 18px; font-size: 0.85em; line-height: 1.4; }
.collabsim-events .none { color: #777; list-style: none; margin-left: -18px; }
.collabsim-lang .v-btn { text-transform: none; }
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
    lang = state.lang.value
    solara.Title(t(lang, "title"))
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(t(lang, "title"))
        LanguageSwitch(state)
    with solara.Sidebar():
        with solara.Card(t(lang, "card.run"), margin=0):
            RunBar(state)
        with solara.Card(t(lang, "card.compare"), margin=0):
            CompareControls(state)
        with solara.Card(t(lang, "card.controls"), margin=0):
            Controls(state)
        with solara.Card(t(lang, "card.interventions"), margin=0):
            InterventionForm(state)
    ErrorLine(state)
    StatusLine(state)
    KpiCards(state)
    EventLog(state)
    WorldPanels(state)
    KpiPanel(state)


@solara.component
def Page() -> None:
    """Entry point for ``solara run collabsim.viz.app``."""
    App()

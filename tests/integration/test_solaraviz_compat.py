"""Mesa's own SolaraViz accepts CollabModel: it renders it and rebuilds it on Reset."""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from collabsim import CollabModel


def test_solaraviz_renders_collabmodel_with_flat_parameters():
    model = CollabModel("pbg", seed=1, n_citizens=300)
    params = {"leader_commitment": {"type": "SliderFloat", "value": 0.3, "min": 0.0,
                                    "max": 1.0, "step": 0.05},
              "preset": "pbg", "n_citizens": 300, "seed": 1}
    # SolaraViz checks the parameter names against CollabModel's signature and renders
    # the model's page; an incompatible model raises here
    box, rc = solara.render(SolaraViz(model, components=[], model_params=params),
                            handle_error=False)
    assert box.children
    rc.close()


def test_reset_passes_mesas_own_scenario_back_and_the_model_rebuilds():
    """SolaraViz rebuilds with Model(scenario=model.scenario, **params) on Reset."""
    model = CollabModel("pbg", seed=1, n_citizens=300)
    rebuilt = CollabModel(scenario=model.scenario, preset="pbg", seed=1, n_citizens=300,
                          leader_commitment=0.9)
    assert rebuilt.config.name == "pbg"
    assert {a.leader_commitment for a in rebuilt.agency_list} == {0.9}

"""Scenario schema and loading."""

from collabsim.scenario.io import (
    ScenarioError,
    apply_overrides,
    dump_scenario,
    list_presets,
    load_scenario,
    parse_assignment,
    resolve,
)
from collabsim.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "dump_scenario",
    "list_presets",
    "load_scenario",
    "parse_assignment",
    "resolve",
]

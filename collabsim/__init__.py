"""collabsim: agent-based simulation of inter-agency collaboration in local government."""

from collabsim.model import CollabModel
from collabsim.runner import RunResult, compare, run
from collabsim.scenario import Scenario, ScenarioError, list_presets, load_scenario

__version__ = "0.1.0"

__all__ = [
    "CollabModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "list_presets",
    "load_scenario",
    "run",
]

"""collabsim: agent-based simulation of inter-agency collaboration in local government.

The public names below are loaded on first use (PEP 562), so that ``import
collabsim`` — and every command that only checks files or prints help — does not
pay for Mesa, pandas and SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

#: Where each public name lives.
_LAZY = {
    "CollabModel": "collabsim.model",
    "RunResult": "collabsim.runner",
    "compare": "collabsim.runner",
    "run": "collabsim.runner",
    "Scenario": "collabsim.scenario",
    "ScenarioError": "collabsim.scenario",
    "list_presets": "collabsim.scenario",
    "load_scenario": "collabsim.scenario",
}

if TYPE_CHECKING:
    from collabsim.model import CollabModel
    from collabsim.runner import RunResult, compare, run
    from collabsim.scenario import Scenario, ScenarioError, list_presets, load_scenario


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'collabsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

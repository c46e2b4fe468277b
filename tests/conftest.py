"""Shared fixtures of the test suite.

Only fixtures live here (no helpers to import): test modules in different
folders share basenames (``unit/test_cli.py``, ``integration/test_cli.py``).
"""

from __future__ import annotations

import pytest

from collabsim import CollabModel
from collabsim.scenario import list_presets

#: The licensing presets (DESIGN §1.1); licensing-specific assertions are kept to these.
LICENSING_PRESETS = ("pbg", "pbg_repaired", "spp_irt")


@pytest.fixture(scope="session")
def licensing_presets() -> tuple[str, ...]:
    """The licensing presets, checked to be shipped."""
    missing = set(LICENSING_PRESETS) - set(list_presets())
    assert not missing, f"licensing presets missing: {missing}"
    return LICENSING_PRESETS


@pytest.fixture
def small_model():
    """Factory of small, fast models: ``small_model("pbg", seed=1, **overrides_as_kwargs)``."""

    def make(scenario: str = "pbg", seed: int = 1, n_citizens: int = 1000,
             overrides: dict | None = None, **flat) -> CollabModel:
        return CollabModel(scenario, seed=seed, n_citizens=n_citizens, overrides=overrides,
                           **flat)

    return make


@pytest.fixture(scope="module")
def mid_run_pbg() -> CollabModel:
    """A PBG model (10,000 citizens) 60 days into the joint arrangement.

    Beliefs, commitments and queues have diverged from their initial values,
    so agreement tests compare the two decision paths on varied inputs.
    Module-scoped: tests that use it may change officers' efforts only.
    """
    model = CollabModel("pbg", seed=20260, n_citizens=10_000)
    model.run(model.config.collaboration_start + 60)
    return model

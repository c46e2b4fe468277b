"""The state of one student's page: the scenario, the controls and the running model.

Kept apart from the components so a test can drive the page through the same
actions a student's clicks call (:meth:`ViewState.set_param`,
:meth:`ViewState.step`, ...). A change of scenario, control or seed rebuilds the
model at once, from day 0, through :class:`~collabsim.model.CollabModel`'s
validated parameters; the same seed gives the same run, so what changes is
the student's doing, not chance.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import solara

from collabsim.model import DEFAULT_PRESET, CollabModel
from collabsim.scenario import Scenario, ScenarioError, list_presets, load_scenario
from collabsim.viz.controls import control_specs, model_kwargs, parse_seed

__all__ = ["DAYS_PER_STEP", "DEFAULT_SEED", "ViewState"]

DEFAULT_SEED = 42
#: Choices for how many days one press of Step (or one frame of Play) simulates.
DAYS_PER_STEP = (1, 7, 30)


def _env_int(name: str) -> int | None:
    text = os.environ.get(name, "").strip()
    return int(text) if text else None


@dataclass
class ViewState:
    """Reactive values of one page, and the actions that change them.

    Attributes:
        preset: Name of the shipped scenario shown.
        seed: Root seed of the run.
        changed: Control values the student has set (name -> value); the rest
            are the preset's.
        model: The model being shown.
        tick: Bumped after each step so panels redraw (the model changes in place).
        playing: Whether Play is running.
        days_per_step: Days one Step (or one Play frame) simulates.
        error: A message shown instead of a rebuilt model when input is invalid.
        n_citizens: Number of citizens (``None`` = the preset's).
    """

    preset: solara.Reactive[str]
    seed: solara.Reactive[int]
    changed: solara.Reactive[dict[str, Any]]
    model: solara.Reactive[CollabModel]
    tick: solara.Reactive[int]
    playing: solara.Reactive[bool]
    days_per_step: solara.Reactive[int]
    error: solara.Reactive[str | None]
    n_citizens: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def create(cls, preset: str | None = None, seed: int | None = None,
               n_citizens: int | None = None, days_per_step: int = 7) -> ViewState:
        """A fresh page state with its first model built.

        Defaults come from ``COLLABSIM_VIZ_PRESET``, ``COLLABSIM_VIZ_SEED`` and
        ``COLLABSIM_VIZ_CITIZENS`` (set by ``collabsim viz``), then the model's
        default preset, seed 42 and the preset's number of citizens.
        """
        preset = preset or os.environ.get("COLLABSIM_VIZ_PRESET") or DEFAULT_PRESET
        seed = seed if seed is not None else (_env_int("COLLABSIM_VIZ_SEED") or DEFAULT_SEED)
        n_citizens = n_citizens or _env_int("COLLABSIM_VIZ_CITIZENS")
        model = CollabModel(**model_kwargs(preset, seed, {}, n_citizens))
        return cls(preset=solara.reactive(preset), seed=solara.reactive(seed),
                   changed=solara.reactive({}), model=solara.reactive(model),
                   tick=solara.reactive(0), playing=solara.reactive(False),
                   days_per_step=solara.reactive(days_per_step),
                   error=solara.reactive(None), n_citizens=n_citizens)

    # ------------------------------------------------------------- reading
    @property
    def presets(self) -> list[str]:
        """Every shipped preset."""
        return list_presets()

    def scenario(self) -> Scenario:
        """The chosen preset as shipped (before the student's changes)."""
        return load_scenario(self.preset.value)

    def specs(self) -> dict[str, dict[str, Any]]:
        """The controls of the chosen preset, showing the student's values."""
        return control_specs(self.scenario(), self.changed.value)

    @property
    def finished(self) -> bool:
        """Whether the run has reached its last day."""
        m = self.model.value
        return m.day >= m.config.steps

    # ------------------------------------------------------------- actions
    def rebuild(self) -> bool:
        """Build the model anew from the controls (day 0); report invalid input.

        Returns:
            Whether a new model was built.
        """
        kwargs = model_kwargs(self.preset.value, self.seed.value, self.changed.value,
                              self.n_citizens)
        try:
            model = CollabModel(**kwargs)
        except ScenarioError as exc:
            self.error.set("; ".join(exc.problems))
            return False
        with self.lock:
            self.playing.set(False)
            self.error.set(None)
            self.model.set(model)
            self.tick.set(0)
        return True

    def set_preset(self, name: str) -> None:
        """Show another scenario, with its own values on every control."""
        self.preset.set(name)
        self.changed.set({})
        self.rebuild()

    def set_param(self, name: str, value: Any) -> None:
        """A control moved: rebuild the model with that value."""
        self.changed.set({**self.changed.value, name: value})
        self.rebuild()

    def set_seed(self, text: str | int) -> None:
        """A seed typed in (text): rebuild with it, or show what is wrong."""
        try:
            seed = parse_seed(text)
        except ValueError as exc:
            self.error.set(str(exc))
            return
        self.seed.set(seed)
        self.rebuild()

    def reset(self) -> None:
        """Start the same run again from day 0."""
        self.rebuild()

    def step(self, days: int | None = None) -> bool:
        """Simulate ``days`` days (default: :attr:`days_per_step`) and redraw once.

        Returns:
            Whether the run can go on.
        """
        with self.lock:
            m = self.model.value
            for _ in range(days or self.days_per_step.value):
                if m.day >= m.config.steps:
                    break
                m.step()
            self.tick.set(self.tick.value + 1)
            return not self.finished

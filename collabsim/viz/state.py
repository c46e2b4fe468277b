"""The state of one student's page: the scenario, the controls and the running world(s).

Kept apart from the components so a test can drive the page through the same
actions a student's clicks call (:meth:`ViewState.set_param`,
:meth:`ViewState.step`, :meth:`ViewState.set_compare`, ...). A change of
scenario, control, intervention or seed rebuilds the model at once, from day 0,
through :class:`~collabsim.model.CollabModel`'s validated parameters; the same
seed gives the same run, so what changes is the student's doing, not chance.

Compare mode keeps two worlds: the **baseline**, frozen as the page was when
the student switched it on, and the **variant** (``model``), which the
scenario picker, the sliders and added interventions then change. Both are
built on the same seed, so their random streams are the same (common random
numbers), and every step, play frame or reset moves both, in lockstep.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import solara

from collabsim.model import DEFAULT_PRESET, CollabModel
from collabsim.scenario import Scenario, ScenarioError, list_presets, load_scenario
from collabsim.viz.controls import (
    active_controls,
    control_specs,
    intervention_levers,
    model_kwargs,
    parse_seed,
    parse_value,
)
from collabsim.viz.i18n import LANGS, Message

__all__ = ["DAYS_PER_STEP", "DEFAULT_SEED", "Setup", "ViewState", "new_model", "preset_scenario"]

DEFAULT_SEED = 42
#: Choices for how many days one press of Step (or one frame of Play) simulates.
DAYS_PER_STEP = (1, 7, 30)


def _env_int(name: str) -> int | None:
    text = os.environ.get(name, "").strip()
    return int(text) if text else None


#: Day-0 models the view has built, by their keyword arguments (most recent last).
_BUILT: OrderedDict[str, CollabModel] = OrderedDict()
_BUILT_LOCK = threading.Lock()
#: How many day-0 models are kept, and at most how many citizens in all (a kept model is
#: about 9 MB per 100,000 citizens).
BUILT_KEPT = 6
BUILT_CITIZENS = 1_000_000


def new_model(**kwargs: Any) -> CollabModel:
    """A model at day 0 of these :class:`~collabsim.model.CollabModel` arguments.

    The view keeps the last :data:`BUILT_KEPT` day-0 models it built (at most
    :data:`BUILT_CITIZENS` citizens in all) and hands out a
    deep copy of one whose arguments (preset, seed, citizens, changed values, added
    interventions) are the same: Reset, compare mode (whose baseline is the page as
    it was) and going back to an earlier value then start in milliseconds instead of
    repeating the burn-in (1–2 s at 10,000 citizens). A copy runs bit for bit as a
    model built anew (``tests/integration/test_viz.py``); every page gets its own.
    """
    key = json.dumps(kwargs, sort_keys=True, default=repr)
    with _BUILT_LOCK:
        kept = _BUILT.get(key)
        if kept is not None:
            _BUILT.move_to_end(key)
            return copy.deepcopy(kept)
    model = CollabModel(**kwargs)
    if model.population.n > BUILT_CITIZENS:
        return model
    with _BUILT_LOCK:
        _BUILT[key] = copy.deepcopy(model)
        while len(_BUILT) > BUILT_KEPT or sum(
                m.population.n for m in _BUILT.values()) > BUILT_CITIZENS:
            _BUILT.popitem(last=False)
    return model


@functools.lru_cache(maxsize=32)
def preset_scenario(name: str) -> Scenario:
    """A shipped preset as loaded (cached: the page reads it on every redraw)."""
    return load_scenario(name)


def services_of(name: str) -> tuple[bool, bool]:
    """Whether a preset has a licensing and a mobility service."""
    sc = preset_scenario(name)
    return sc.licensing is not None, sc.mobility is not None


@dataclass(frozen=True)
class Setup:
    """What one world is built from: a preset, the controls changed, interventions added.

    Attributes:
        preset: Name of the shipped scenario.
        changed: Control values the student set (name -> value).
        added: Interventions the student added: ``{"day", "lever", "value"}``.
    """

    preset: str
    changed: dict[str, Any] = field(default_factory=dict)
    added: tuple[dict[str, Any], ...] = ()


@dataclass
class ViewState:
    """Reactive values of one page, and the actions that change them.

    Attributes:
        preset: Name of the shipped scenario shown (the variant's, in compare mode).
        seed: Root seed of the run(s).
        changed: Control values the student has set (name -> value); the rest
            are the preset's.
        added: Interventions the student added (``{"day", "lever", "value"}``).
        model: The model being shown (the variant in compare mode).
        baseline: The baseline model in compare mode, else ``None``.
        base: What the baseline is built from, in compare mode.
        tick: Bumped after each step so panels redraw (the model changes in place).
        playing: Whether Play is running.
        days_per_step: Days one Step (or one Play frame) simulates.
        error: A message shown instead of a rebuilt model when input is invalid.
        lang: Language of the page (``en`` or ``id``).
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
    added: solara.Reactive[tuple[dict[str, Any], ...]] = field(
        default_factory=lambda: solara.reactive(()))
    baseline: solara.Reactive[CollabModel | None] = field(
        default_factory=lambda: solara.reactive(None))
    base: solara.Reactive[Setup | None] = field(default_factory=lambda: solara.reactive(None))
    lang: solara.Reactive[str] = field(default_factory=lambda: solara.reactive("en"))
    n_citizens: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def create(cls, preset: str | None = None, seed: int | None = None,
               n_citizens: int | None = None, days_per_step: int = 7,
               lang: str | None = None) -> ViewState:
        """A fresh page state with its first model built.

        Defaults come from ``COLLABSIM_VIZ_PRESET``, ``COLLABSIM_VIZ_SEED``,
        ``COLLABSIM_VIZ_CITIZENS`` and ``COLLABSIM_VIZ_LANG`` (set by
        ``collabsim viz``), then the model's default preset, seed 42, the
        preset's number of citizens and English.
        """
        preset = preset or os.environ.get("COLLABSIM_VIZ_PRESET") or DEFAULT_PRESET
        seed = seed if seed is not None else (_env_int("COLLABSIM_VIZ_SEED") or DEFAULT_SEED)
        n_citizens = n_citizens or _env_int("COLLABSIM_VIZ_CITIZENS")
        lang = lang or os.environ.get("COLLABSIM_VIZ_LANG") or "en"
        if lang not in LANGS:
            lang = "en"
        # interventions given on the command line (`collabsim viz --intervene`)
        added = tuple(json.loads(os.environ.get("COLLABSIM_VIZ_INTERVENE") or "[]"))
        model = new_model(**model_kwargs(preset, seed, {}, n_citizens, list(added)))
        return cls(preset=solara.reactive(preset), seed=solara.reactive(seed),
                   changed=solara.reactive({}), model=solara.reactive(model),
                   tick=solara.reactive(0), playing=solara.reactive(False),
                   days_per_step=solara.reactive(days_per_step),
                   error=solara.reactive(None), lang=solara.reactive(lang),
                   n_citizens=n_citizens, added=solara.reactive(added))

    # ------------------------------------------------------------- reading
    @property
    def comparing(self) -> bool:
        """Whether compare mode is on."""
        return self.baseline.value is not None

    @property
    def presets(self) -> list[str]:
        """Presets the scenario picker offers (in compare mode: with the baseline's services)."""
        names = list_presets()
        base = self.base.value
        if base is None:
            return names
        return [n for n in names if services_of(n) == services_of(base.preset)]

    def scenario(self) -> Scenario:
        """The chosen preset as shipped (before the student's changes)."""
        return preset_scenario(self.preset.value)

    def specs(self) -> dict[str, dict[str, Any]]:
        """The controls of the chosen preset, showing the student's values."""
        return control_specs(self.scenario(), self.changed.value)

    def levers(self) -> dict[str, dict[str, Any]]:
        """What an intervention can change in the chosen preset (see ``intervention_levers``)."""
        return intervention_levers(self.scenario())

    def setup(self) -> Setup:
        """What the shown (variant) world is built from."""
        return Setup(self.preset.value, dict(self.changed.value), tuple(self.added.value))

    def worlds(self) -> list[CollabModel]:
        """The models stepped together: the variant, and the baseline in compare mode."""
        base = self.baseline.value
        return [self.model.value] if base is None else [base, self.model.value]

    @property
    def finished(self) -> bool:
        """Whether the run has reached its last day (every world)."""
        return all(m.day >= m.config.steps for m in self.worlds())

    # ------------------------------------------------------------- actions
    def build(self, setup: Setup) -> CollabModel:
        """A new model of a setup on the page's seed, at day 0.

        Raises:
            ScenarioError: when a value is refused by the schema.
        """
        return new_model(**model_kwargs(setup.preset, self.seed.value, setup.changed,
                                          self.n_citizens, list(setup.added)))

    def rebuild(self) -> bool:
        """Build the world(s) anew from the controls (day 0); report invalid input.

        In compare mode the baseline starts again too, so both stay in lockstep.

        Returns:
            Whether new models were built.
        """
        try:
            model = self.build(self.setup())
            base = self.build(self.base.value) if self.base.value is not None else None
        except ScenarioError as exc:
            self.error.set(one_line(exc.problems))
            return False
        with self.lock:
            self.playing.set(False)
            self.error.set(None)
            self.model.set(model)
            self.baseline.set(base)
            self.tick.set(0)
        return True

    def set_compare(self, on: bool) -> None:
        """Compare mode on (the page as it is becomes the baseline) or off."""
        if on == self.comparing:
            return
        self.base.set(self.setup() if on else None)
        if not on:
            self.baseline.set(None)
        self.rebuild()

    def set_lang(self, lang: str) -> None:
        """Show the page in another language (the run goes on)."""
        if lang in LANGS:
            self.lang.set(lang)

    def set_preset(self, name: str) -> None:
        """Show another scenario (the variant, in compare mode), with its own values."""
        self.preset.set(name)
        self.changed.set({})
        self.added.set(())
        self.rebuild()

    def set_param(self, name: str, value: Any) -> None:
        """A control moved: rebuild the model with that value."""
        self.changed.set({**self.changed.value, name: value})
        self.rebuild()

    def add_intervention(self, day: Any, lever: str, value: Any) -> bool:
        """Add an intervention (on ``day``, set ``lever`` to ``value``) and rebuild.

        The value is checked by the scenario schema, through the one override
        path; a refused one leaves the run as it was and shows the schema's
        message in :attr:`error`.

        Returns:
            Whether it was added.
        """
        levers = self.levers()
        try:
            day_n = int(str(day).strip())
        except ValueError:
            self.error.set(Message("iv.bad_day", text=repr(day)))
            return False
        try:
            parsed = parse_value(value, levers[lever]["type"])
        except ValueError as exc:
            self.error.set(exc.args[0])
            return False
        before = self.added.value
        self.added.set((*before, {"day": day_n, "lever": lever, "value": parsed}))
        if not self.rebuild():
            self.added.set(before)
            return False
        return True

    def clear_interventions(self) -> None:
        """Remove the interventions the student added."""
        self.added.set(())
        self.rebuild()

    def set_seed(self, text: str | int) -> None:
        """A seed typed in (text): rebuild with it, or show what is wrong."""
        try:
            seed = parse_seed(text)
        except ValueError as exc:
            self.error.set(exc.args[0])
            return
        self.seed.set(seed)
        self.rebuild()

    def reset(self) -> None:
        """Start the same run(s) again from day 0."""
        self.rebuild()

    def step(self, days: int | None = None) -> bool:
        """Simulate ``days`` days (default: :attr:`days_per_step`) in every world, redraw once.

        Returns:
            Whether the run can go on.
        """
        with self.lock:
            worlds = self.worlds()
            for _ in range(days or self.days_per_step.value):
                for m in worlds:
                    if m.day < m.config.steps:
                        m.step()
            self.tick.set(self.tick.value + 1)
            return not self.finished

    def control_names(self) -> list[str]:
        """Names of the chosen preset's controls."""
        return [c.name for c in active_controls(self.scenario())]


def one_line(problems: list[str]) -> str:
    """The schema's problems as one line: the first (without its file), and how many more."""
    first = problems[0]
    head, sep, rest = first.partition(": ")
    if sep and (head.endswith(".toml") or head.startswith("<")):
        first = rest
    more = len(problems) - 1
    return first + (f" (+{more} more)" if more > 0 else "")

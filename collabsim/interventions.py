"""Policy timelines: interventions applied to the running model, and what runs cost.

An intervention (:class:`~collabsim.scenario.schema.Intervention`) is data with a
day: dotted key paths and values, validated at load through the one override
path. :class:`Timeline` applies them at the top of each step: it builds the new
scenario with :func:`~collabsim.scenario.load_scenario` (the same validated
merge as ``--set``) and hands it to the model's ``reconfigure``, which carries
state-bearing values into the running world (officers hired or retired, a
leader's commitment, a regulation passed). A ramp moves numeric values linearly
over ``ramp_days``.

Costs (kRp) are counted per day: officers' time (desk time on the service and
officers deployed at checkpoints, times their agency's ``officer_day_cost``),
running campaigns (``cost_per_day``), and interventions (one-off ``cost`` on
their day, ``cost_per_day`` from then on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from collabsim.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from collabsim.model import CollabModel

__all__ = ["START_LABEL", "Event", "Timeline", "changed_on_start", "daily_costs", "flatten",
           "parse_intervention", "parse_variant", "with_interventions"]

#: The event-log label of the parameters a sweep changes on the collaboration start
#: (``parameters_from = "start"``).
START_LABEL = "parameters"


@dataclass(frozen=True)
class Event:
    """Something that happened in a run, for the event log and timeline markers.

    Attributes:
        day: Day of the run (0 = first recorded day).
        kind: ``collaboration_start``, ``intervention``, ``files_held`` (at a
            stage with no regulation: ``stage``, ``n``), ``officers_hired`` /
            ``officers_retired`` (``agency``, ``n``), ``regulation_in_force``
            (``agency``).
        params: The facts a message is written from (translatable by the view).
    """

    day: int
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to the leaves of a nested dict/list (list items by index)."""
    out: dict[str, Any] = {}
    items = tree.items() if isinstance(tree, dict) else (
        enumerate(tree) if isinstance(tree, list) else None)
    if items is None:
        return {prefix: tree}
    for k, v in items:
        path = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict | list) and v:
            out.update(flatten(v, path))
        else:
            out[path] = v
    return out


class Timeline:
    """The scenario's interventions, applied on their days (ramps spread over days)."""

    def __init__(self, scenario: Scenario):
        self.interventions = list(scenario.interventions)
        self._ramps: dict[int, tuple[dict[str, float], dict[str, float]]] = {}

    def due(self, day: int) -> list[int]:
        """Indices of interventions acting today (starting, or ramping)."""
        return [i for i, iv in enumerate(self.interventions)
                if iv.day <= day < iv.day + max(iv.ramp_days, 1)]

    def apply(self, model: CollabModel) -> None:
        """Apply every intervention due today to ``model`` (top of ``step()``)."""
        for i in self.due(model.day):
            iv = self.interventions[i]
            if model.day == iv.day:
                model.log("intervention", label=iv.label or ", ".join(iv.set), index=i)
            model.reconfigure(self.scenario_today(i, model.config, model.day))

    def scenario_today(self, i: int, current: Scenario, day: int) -> Scenario:
        """The scenario with intervention ``i`` applied as far as its ramp has come today."""
        iv = self.interventions[i]
        target = load_scenario(_without_interventions(current), iv.set)
        if iv.ramp_days <= 0:
            return _with_interventions(target, current)
        if day == iv.day:
            old = flatten(_without_interventions(current))
            new = flatten(_without_interventions(target))
            numeric = {k for k, v in new.items() if isinstance(v, int | float)
                       and not isinstance(v, bool) and old.get(k) != v}
            self._ramps[i] = ({k: old[k] for k in numeric}, {k: new[k] for k in numeric})
        start, end = self._ramps.get(i, ({}, {}))
        frac = min(1.0, (day - iv.day + 1) / iv.ramp_days)
        values = {k: start[k] + (end[k] - start[k]) * frac for k in start}
        switches = {k: v for k, v in flatten(_without_interventions(target)).items()
                    if isinstance(v, bool)}
        ramped = load_scenario(_without_interventions(current), {**switches, **{
            k: (round(v) if isinstance(end[k], int) else v) for k, v in values.items()}})
        return _with_interventions(ramped, current)


def _without_interventions(sc: Scenario) -> dict:
    data = sc.model_dump(exclude_none=True)
    data.pop("interventions", None)
    return data


def _with_interventions(sc: Scenario, like: Scenario) -> Scenario:
    return sc.model_copy(update={"interventions": like.interventions})


def daily_costs(model: CollabModel) -> dict[str, float]:
    """Today's costs (kRp): ``staff``, ``campaigns``, ``interventions`` and ``officer_days``.

    Staff: each desk officer's time on the service (``officer_time``, a share
    of a day) and each patrol officer deployed today, times the agency's
    ``officer_day_cost``.
    """
    cfg = model.config
    o = model.officers
    day_cost = np.array([cfg.agencies[a.key].officer_day_cost for a in model.agency_list])
    time = model.officer_time.copy()
    mob = model.mobility
    if mob is not None and o.n:
        time = time + (mob.officer_post[: o.n] >= 0)
    staff = float((time * day_cost[o.agency_of]).sum()) if o.n else 0.0
    campaigns = 0.0
    if cfg.mobility is not None:
        campaigns = float(sum(c.cost_per_day for c in cfg.mobility.campaigns
                              if c.start <= model.day < c.start + c.days))
    iv = float(sum((x.cost if model.day == x.day else 0.0)
                   + (x.cost_per_day if model.day >= x.day else 0.0)
                   for x in cfg.interventions))
    return {"staff": staff, "campaigns": campaigns, "interventions": iv,
            "officer_days": float(time.sum())}


def parse_intervention(text: str, option: str = "--intervene") -> dict[str, Any]:
    """Parse ``'DAY:KEY=VALUE[,KEY=VALUE]'`` into an intervention table.

    Values are read as ``--set`` reads them (numbers, true/false, quoted text).

    Raises:
        CollabsimError: naming the option and the expected form.
    """
    from collabsim.errors import CollabsimError
    from collabsim.scenario import parse_assignment

    day, sep, rest = text.partition(":")
    if not sep or not day.strip().isdigit() or not rest.strip():
        raise CollabsimError(f"{option} {text!r}: expected DAY:KEY=VALUE[,KEY=VALUE] "
                             "(e.g. 545:agencies.pupr.regulation_ready=true)")
    pairs = [parse_assignment(a.strip()) for a in rest.split(",") if a.strip()]
    return {"day": int(day), "label": rest.strip(), "set": dict(pairs)}


def parse_variant(text: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Parse ``--variant 'NAME:KEY=VALUE[,…]'`` or ``'NAME:DAY:KEY=VALUE[,…]'``.

    Returns:
        ``(name, overrides, interventions)``: a variant that changes values from
        the start, or one that changes them on a day.
    """
    from collabsim.errors import CollabsimError
    from collabsim.scenario import parse_assignment

    name, sep, rest = text.partition(":")
    if not sep or not name.strip() or not rest.strip() or "=" in name:
        raise CollabsimError(f"--variant {text!r}: expected NAME:KEY=VALUE[,KEY=VALUE] or "
                             "NAME:DAY:KEY=VALUE[,KEY=VALUE]")
    head = rest.split(":", 1)[0]
    if head.strip().isdigit():
        return name.strip(), {}, [parse_intervention(rest, f"--variant {name.strip()}")]
    return name.strip(), dict(parse_assignment(a.strip()) for a in rest.split(",")
                              if a.strip()), []


def with_interventions(scenario: Scenario, extra: list[dict[str, Any]]) -> Scenario:
    """The scenario with ``extra`` interventions added to its own (validated at load)."""
    if not extra:
        return scenario
    own = [iv.model_dump() for iv in scenario.interventions]
    return load_scenario(scenario, {"interventions": own + list(extra)})


def changed_on_start(scenario: Scenario, changes: dict[str, Any],
                     label: str = START_LABEL) -> Scenario:
    """The scenario with ``changes`` (dotted key paths) made on its collaboration start.

    How a sweep with ``parameters_from = "start"`` runs a design point on its own
    (a fork of the shared history gives the same run), and how ``analyze`` and
    :mod:`collabsim.ema` repeat it.
    """
    return with_interventions(scenario, [{"day": scenario.collaboration_start, "label": label,
                                          "set": dict(changes)}])

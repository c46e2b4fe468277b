"""The seam between the model and its services: a small protocol, declared metrics, a registry.

A service (licensing, mobility control, or one added from outside the package)
is a class that follows :class:`Service` and declares its metrics once, as
:class:`Metric` records: the model's reporters, the run summaries, the labels,
the headline tables and the known-metric lists are all derived from those
declarations, never retyped. Services are built from :data:`SERVICES`, the
registry: ``register(name, cls, params_model)`` adds one (see docs/extending.md).

This module imports nothing of the model, the schema or the services, so every
layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "SERVICES",
    "Metric",
    "Service",
    "ServiceBase",
    "ServiceSpec",
    "all_metrics",
    "count_today",
    "register",
    "value_of",
]

#: Summary kinds: ``flow`` — a count per day (summarised per month before and after
#: the start, and as a total after it); ``level`` — a state (mean before and after);
#: ``value`` — neither (only its final value and phase means, if asked for).
KINDS = ("flow", "level", "value")


@dataclass(frozen=True)
class Metric:
    """One metric a service reports each day, declared once.

    Attributes:
        name: Column name in the time series.
        read: ``read(model) -> float``, the reporter.
        label: Human label, e.g. ``"permits issued"``.
        unit: Unit of the daily value, e.g. ``"permits / day"``.
        kind: ``flow``, ``level`` or ``value`` (see :data:`KINDS`).
        final: Also report the value on the last day (``NAME_final``).
        phases: Also report its mean per restriction phase (``NAME_<phase>``).
        total_after: Also report the sum after the start (``NAME_total_after``).
        undefined_when_empty: NaN on a day with nothing to measure (shown "n/a").
        headline: Shown in headline tables and as a KPI card.
    """

    name: str
    read: Callable[[Any], float]
    label: str
    unit: str
    kind: str = "value"
    final: bool = False
    phases: bool = False
    total_after: bool = False
    undefined_when_empty: bool = False
    headline: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name}: kind must be one of {', '.join(KINDS)}")

    def summary_keys(self) -> list[str]:
        """The summary outcomes this metric yields (see :func:`collabsim.metrics.summarise`)."""
        keys = []
        if self.kind == "flow":
            keys += [f"{self.name}_per_month_before", f"{self.name}_per_month_after"]
        elif self.kind == "level":
            keys += [f"{self.name}_before", f"{self.name}_after"]
        if self.final:
            keys.append(f"{self.name}_final")
        if self.total_after:
            keys.append(f"{self.name}_total_after")
        return keys


def count_today(service: str, key: str) -> Callable[[Any], float]:
    """Reporter of a service's count ``today[key]`` for the day just simulated."""
    def reporter(m: Any) -> float:
        return getattr(m, service).today[key]
    reporter.__name__ = f"{service}_{key}"
    return reporter


def value_of(service: str, method: str) -> Callable[[Any], float]:
    """Reporter of the value ``service.method()`` returns for the day."""
    def reporter(m: Any) -> float:
        return getattr(getattr(m, service), method)()
    reporter.__name__ = f"{service}_{method}"
    return reporter


@runtime_checkable
class Service(Protocol):
    """What the model asks of a service (one day is one step).

    The model context a service may use: ``model.day``, ``model.joint``,
    ``model.stream(name)``, ``model.population`` (citizens' social network and
    sampling), ``model.agency_list`` / ``model.agency_index``,
    ``model.collaboration_graph``, ``model.officers`` / ``model.officer_time``,
    ``model.config`` and ``model.log(kind, **params)``.
    """

    name: ClassVar[str]
    metrics: ClassVar[tuple[Metric, ...]]

    def step(self, day: int) -> None:
        """Advance the service by one day."""

    def hear(self, listeners: np.ndarray, speakers: np.ndarray) -> None:
        """Word of mouth: citizens ``listeners[i]`` heard ``speakers[i]`` today."""

    def inform(self) -> None:
        """Public information of the day."""

    def open_accounts(self) -> None:
        """Day 0 after the burn-in: start the recorded accounts."""

    def reconfigure(self, params: Any) -> None:
        """Take changed parameters (an intervention) into the running service."""


class ServiceBase:
    """Convenience base: no word of mouth, no public information, accounts and parameters as is."""

    name: ClassVar[str] = "service"
    metrics: ClassVar[tuple[Metric, ...]] = ()

    def __init__(self, model: Any, params: Any):
        self.model = model
        self.params = params

    def step(self, day: int) -> None:
        """Advance the service by one day (override)."""

    def hear(self, listeners: np.ndarray, speakers: np.ndarray) -> None:
        """No word of mouth by default."""

    def inform(self) -> None:
        """No public information by default."""

    def open_accounts(self) -> None:
        """Nothing to reset by default."""

    def reconfigure(self, params: Any) -> None:
        """Read the new parameters from now on."""
        self.params = params

    @staticmethod
    def derived_summaries(df: Any, start: int, warmup: int) -> dict[str, float]:
        """Summary outcomes beyond the declared metrics' (e.g. ratios over windows)."""
        return {}


@dataclass(frozen=True)
class ServiceSpec:
    """A registered service.

    Attributes:
        name: Its key: a ``Scenario`` field for the built-in services
            (``licensing``, ``mobility``), else a key of ``[services]``.
        cls: The class, built as ``cls(model, params)``.
        params_model: The pydantic model of its parameters (closed, validated).
        builtin: Whether its parameters are a ``Scenario`` field.
    """

    name: str
    cls: type
    params_model: type
    builtin: bool = False

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """The metrics the service declares."""
        return tuple(getattr(self.cls, "metrics", ()))


#: Every service the model can build, in the order they step each day.
SERVICES: dict[str, ServiceSpec] = {}


def register(name: str, cls: type, params_model: type, builtin: bool = False) -> ServiceSpec:
    """Add a service to the registry (replacing one of the same name).

    Args:
        name: The service's key (``[services.NAME]`` in a scenario for non-built-ins).
        cls: A class following :class:`Service`, built as ``cls(model, params)``.
        params_model: A pydantic model of its parameters.
        builtin: Parameters are a ``Scenario`` field (licensing, mobility).

    Returns:
        The registered :class:`ServiceSpec`.
    """
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"service name {name!r} must be a Python identifier")
    names = [m.name for m in getattr(cls, "metrics", ())]
    if len(set(names)) != len(names):
        raise ValueError(f"service {name}: metric names must be unique")
    spec = ServiceSpec(name, cls, params_model, builtin)
    SERVICES[name] = spec
    return spec


def all_metrics(extra: Iterable[Metric] = ()) -> list[Metric]:
    """The metrics of every registered service, then ``extra`` (the model's own)."""
    out = [m for spec in SERVICES.values() for m in spec.metrics]
    return [*out, *extra]

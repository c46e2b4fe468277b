"""The view's controls, generated from the scenario schema.

Each slider or switch is a :class:`Control`: a keyword for
:class:`~collabsim.model.CollabModel` and the scenario key path it sets. Its
bounds, kind (switch, whole number, fraction) and help text (unit and source)
are read from the pydantic schema, never retyped here; its starting value is
the preset's. A value the student changes goes to the model through the same
validated override path as the command line's ``--set``
(:func:`model_kwargs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic.fields import FieldInfo

from collabsim.model import FLAT_PARAMETERS
from collabsim.scenario import Scenario
from collabsim.scenario.schema import unwrap_optional, walk_schema

__all__ = [
    "CONTROLS",
    "Control",
    "active_controls",
    "control_specs",
    "model_kwargs",
    "parse_seed",
    "schema_field",
    "values_at",
]


@dataclass(frozen=True)
class Control:
    """One slider or switch of the view.

    Attributes:
        name: Keyword the view tracks it by; a key of ``FLAT_PARAMETERS`` when the
            model has a flat parameter for it.
        path: Scenario key path it sets (``*`` = every key or list item).
        label: What the student reads.
        service: ``"licensing"`` or ``"mobility"`` when it only matters to that
            service; ``None`` for both.
    """

    name: str
    path: str
    label: str
    service: str | None = None


#: The preparedness and success factors of DESIGN §1, in the order the page shows them.
#: A control tied to a service is shown only where the model uses it (resources and the
#: regulation act on the licensing desks; role clarity on checkpoint deployment).
CONTROLS: tuple[Control, ...] = (
    Control("leader_commitment", "agencies.*.leader_commitment", "Leader commitment"),
    Control("resources", "agencies.*.resources", "Supporting resources", "licensing"),
    Control("regulation_ready", "agencies.*.regulation_ready", "Regulation in force",
            "licensing"),
    Control("facilitative_leadership", "agencies.*.facilitative_leadership",
            "Facilitative leadership"),
    Control("communication_openness", "agencies.*.communication_openness",
            "Communication openness"),
    Control("joint_stages", "licensing.joint_stages", "Workflow stages after the start",
            "licensing"),
    Control("staff_competence", "agencies.*.staff_competence", "Staff competence"),
    Control("role_clarity", "agencies.*.role_clarity", "Role clarity", "mobility"),
    Control("outreach_rate", "citizens.outreach_rate", "Socialisation reach (public information)",
            "licensing"),
    Control("socialisation_reach", "mobility.campaigns.*.reach",
            "Socialisation reach (campaigns)", "mobility"),
)


def schema_field(path: str) -> FieldInfo:
    """The pydantic field a scenario key path ends at.

    Args:
        path: Dotted key path; ``*`` (or a number) steps into a table's values or
            a list's items.

    Returns:
        The field's info (annotation, bounds in ``metadata``, ``description``).

    Raises:
        KeyError: if the path does not name a field of the schema.
    """
    tp, field = walk_schema(path)
    if field is None or tp is not unwrap_optional(field.annotation):
        raise KeyError(f"{path}: ends at a table, not a value")
    return field


def _bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in field.metadata:
        if isinstance(m, annotated_types.Ge):
            lo = m.ge
        elif isinstance(m, annotated_types.Le):
            hi = m.le
    return lo, hi


def values_at(tree: Any, path: str) -> list[Any]:
    """Every value at a key path of a raw scenario tree (``*`` fans out)."""
    nodes = [tree]
    for part in path.split("."):
        nxt: list[Any] = []
        for node in nodes:
            if isinstance(node, dict):
                nxt.extend(node.values() if part == "*" else [node[part]] if part in node else [])
            elif isinstance(node, list):
                nxt.extend(node if part == "*" else [node[int(part)]] if part.isdigit() else [])
        nodes = nxt
    return [n for n in nodes if n is not None]


def active_controls(scenario: Scenario) -> list[Control]:
    """The controls that matter to a scenario (its services, values that exist)."""
    tree = scenario.model_dump()
    out = []
    for c in CONTROLS:
        if c.service is not None and getattr(scenario, c.service) is None:
            continue
        if c.name == "joint_stages" or values_at(tree, c.path):
            out.append(c)
    return out


def _start_value(scenario: Scenario, control: Control, kind: str) -> Any:
    values = values_at(scenario.model_dump(), control.path)
    if control.name == "joint_stages" and not values:
        return len(scenario.licensing.stages)
    if kind == "Checkbox":
        return all(values)
    mean = sum(values) / len(values)
    return round(mean) if kind == "SliderInt" else round(mean, 2)


def _spec(scenario: Scenario, control: Control) -> dict[str, Any]:
    """A Mesa-style user parameter (``{"type": "SliderFloat", ...}``) for one control."""
    field = schema_field(control.path)
    tp = unwrap_optional(field.annotation)
    help_text = field.description or ""
    if control.path.startswith("agencies.*."):
        help_text = f"Sets every agency. {help_text}"
    if tp is bool:
        kind = "Checkbox"
        spec: dict[str, Any] = {"type": kind}
    else:
        lo, hi = _bounds(field)
        kind = "SliderInt" if tp is int else "SliderFloat"
        if control.name == "joint_stages":  # cannot merge into more stages than there are
            hi = min(hi, len(scenario.licensing.stages))
        step = 1 if kind == "SliderInt" else 10 ** math.floor(math.log10((hi - lo) / 100))
        spec = {"type": kind, "min": lo, "max": hi, "step": step}
    spec.update(label=control.label, value=_start_value(scenario, control, kind),
                path=control.path, help=help_text)
    return spec


def control_specs(scenario: Scenario, changed: dict[str, Any] | None = None
                  ) -> dict[str, dict[str, Any]]:
    """The controls of a scenario as Mesa-style user parameters, keyed by control name.

    Args:
        scenario: The preset as loaded (starting values are its values; a
            parameter set on every agency shows the agencies' mean).
        changed: Values the student has set, shown instead of the preset's.

    Returns:
        ``{name: {"type", "label", "value", "min", "max", "step", "path", "help"}}``;
        ``type`` is ``SliderFloat``, ``SliderInt`` or ``Checkbox`` as in
        :func:`mesa.visualization.solara_viz.UserInputs`.
    """
    specs = {c.name: _spec(scenario, c) for c in active_controls(scenario)}
    for name, value in (changed or {}).items():
        if name in specs:
            specs[name]["value"] = value
    return specs


def model_kwargs(preset: str, seed: int, changed: dict[str, Any],
                 n_citizens: int | None = None) -> dict[str, Any]:
    """Keyword arguments of :class:`~collabsim.model.CollabModel` for the view's state.

    Controls with a flat model parameter go as keywords (the path SolaraViz and
    ``batch_run`` use); the others as key-path ``overrides``. Both are
    validated by the scenario schema.
    """
    by_name = {c.name: c for c in CONTROLS}
    kwargs: dict[str, Any] = {"preset": preset, "seed": seed}
    if n_citizens is not None:
        kwargs["n_citizens"] = n_citizens
    overrides = {}
    for name, value in changed.items():
        path = by_name[name].path
        if FLAT_PARAMETERS.get(name) == path:
            kwargs[name] = value
        else:
            overrides[path] = value
    if overrides:
        kwargs["overrides"] = overrides
    return kwargs


def parse_seed(text: str | int) -> int:
    """A seed typed into the page (it arrives as text) as a non-negative integer.

    Raises:
        ValueError: naming what was typed and what is allowed.
    """
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise ValueError(f"seed: expected a whole number, got {text!r}") from None
    if seed < 0:
        raise ValueError(f"seed: must be 0 or more, got {seed}")
    return seed

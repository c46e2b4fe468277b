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
from collabsim.viz.i18n import Message

__all__ = [
    "CONTROLS",
    "Control",
    "active_controls",
    "control_specs",
    "intervention_levers",
    "model_kwargs",
    "parse_seed",
    "parse_value",
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
                 n_citizens: int | None = None,
                 added: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Keyword arguments of :class:`~collabsim.model.CollabModel` for the view's state.

    Controls with a flat model parameter go as keywords (the path SolaraViz and
    ``batch_run`` use); the others as key-path ``overrides``. Interventions the
    student added (``{"day", "lever", "value"}``, see :func:`intervention_levers`)
    go after the preset's own as the ``interventions`` override. All are
    validated by the scenario schema.
    """
    by_name = {c.name: c for c in CONTROLS}
    kwargs: dict[str, Any] = {"preset": preset, "seed": seed}
    if n_citizens is not None:
        kwargs["n_citizens"] = n_citizens
    overrides: dict[str, Any] = {}
    for name, value in changed.items():
        path = by_name[name].path
        if FLAT_PARAMETERS.get(name) == path:
            kwargs[name] = value
        else:
            overrides[path] = value
    if added:
        from collabsim.viz.state import preset_scenario

        own = [iv.model_dump() for iv in preset_scenario(preset).interventions]
        overrides["interventions"] = own + [
            {"day": a["day"], "label": "", "set": {lever_path(a["lever"]): a["value"]}}
            for a in added]
    if overrides:
        kwargs["overrides"] = overrides
    return kwargs


#: Controls an intervention cannot sensibly move mid-run (the workflow is merged at the start).
_NOT_LEVERS = frozenset({"joint_stages"})


def lever_path(lever: str) -> str:
    """The scenario key path a lever sets (``officers:pupr`` -> ``agencies.pupr.n_officers``).

    A dotted key path (from ``collabsim viz --intervene``) is its own path.
    """
    if "." in lever:
        return lever
    kind, _, agency = lever.partition(":")
    if kind == "officers":
        return f"agencies.{agency}.n_officers"
    if kind == "regulation":
        return f"agencies.{agency}.regulation_ready"
    return next(c.path for c in CONTROLS if c.name == lever)


def intervention_levers(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """What an intervention added from the view can change in a scenario.

    The scenario's controls (set on every agency, as the sliders do), and per
    agency of a licensing scenario its desk officers and whether its regulation
    is in force.

    Returns:
        ``{lever: {"type", "path", "label", "agency", "value"}}``: ``label`` is a
        message key (``control.*`` or ``lever.*``), ``agency`` its agency code or
        ``None``, ``value`` the scenario's current value.
    """
    out: dict[str, dict[str, Any]] = {}
    for c in active_controls(scenario):
        if c.name in _NOT_LEVERS:
            continue
        spec = _spec(scenario, c)
        out[c.name] = {"type": spec["type"], "path": c.path, "label": f"control.{c.name}",
                       "agency": None, "value": spec["value"]}
    if scenario.licensing is not None:
        for key, a in scenario.agencies.items():
            out[f"officers:{key}"] = {"type": "SliderFloat", "path": lever_path(f"officers:{key}"),
                                      "label": "lever.officers", "agency": key.upper(),
                                      "value": a.n_officers}
            out[f"regulation:{key}"] = {"type": "Checkbox",
                                        "path": lever_path(f"regulation:{key}"),
                                        "label": "lever.regulation", "agency": key.upper(),
                                        "value": a.regulation_ready}
    return out


def parse_value(text: Any, kind: str) -> Any:
    """A value typed for a lever, as the lever's type (the schema checks its range).

    Raises:
        ValueError: (a :class:`~collabsim.viz.i18n.Message`) naming what was typed.
    """
    if isinstance(text, bool) or (kind != "Checkbox" and isinstance(text, int | float)):
        return text
    word = str(text).strip().lower()
    if kind == "Checkbox":
        if word in ("true", "1", "yes", "ya", "on"):
            return True
        if word in ("false", "0", "no", "tidak", "off"):
            return False
        raise ValueError(Message("iv.bad_switch", text=repr(text)))
    try:
        value = float(word.replace(",", "."))
    except ValueError:
        raise ValueError(Message("iv.bad_number", text=repr(text))) from None
    return int(value) if kind == "SliderInt" and value.is_integer() else value


def parse_seed(text: str | int) -> int:
    """A seed typed into the page (it arrives as text) as a non-negative integer.

    Raises:
        ValueError: naming what was typed and what is allowed.
    """
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise ValueError(Message("seed.not_number", text=repr(text))) from None
    if seed < 0:
        raise ValueError(Message("seed.negative", seed=seed))
    return seed

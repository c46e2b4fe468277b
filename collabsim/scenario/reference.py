"""Generate the scenario key reference (every key path with type, default and description).

Run ``python -m collabsim.scenario.reference > docs/scenario_reference.md``.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from collabsim.scenario.io import keyed_tables, new_entry_keys
from collabsim.scenario.schema import Scenario

__all__ = ["key_rows", "markdown", "new_entry_lines"]


def _inner(tp):
    """The model class inside ``X | None``, ``list[X]`` or ``dict[str, X]``, with a path suffix."""
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin is dict:
        return args[-1], ".<key>"
    if origin is list:
        return args[0], ".<i>"
    if args and len(args) == 1:
        return _inner(args[0])
    return tp, ""


def _bounds(field) -> str:
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else lo} … {'' if hi is None else hi}"


def key_rows(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, ...]]:
    """Rows (key path, type, default, range, description) for every leaf of the schema."""
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        inner, suffix = _inner(field.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            rows.extend(key_rows(inner, f"{path}{suffix}."))
            continue
        default = field.default
        shown = "required" if default is PydanticUndefined else repr(default)
        tname = getattr(field.annotation, "__name__", str(field.annotation)).replace("typing.", "")
        rows.append((path, tname, shown, _bounds(field), field.description or ""))
    return rows


def new_entry_lines() -> list[str]:
    """The section on keyed tables: what a file must set to add an entry."""
    lines = [
        "",
        "## Adding an agency or a district",
        "",
        "The keyed tables below are defined by scenario files only. An override (`--set`, ",
        "`overrides=…`, an experiment's `[set]` or parameters) naming a key the scenario "
        "does not ",
        "have is an error listing the known ids: a misspelt id never adds an entry with "
        "default ",
        "values. A file adds an entry (one the file it `extends` does not define; every entry ",
        "of a file that extends nothing) only as a complete table that sets these keys:",
        "",
        "| table | a new entry must set |",
        "|---|---|",
    ]
    for path, model in keyed_tables().items():
        keys = ", ".join(f"`{k}`" for k in new_entry_keys(model))
        lines.append(f"| `{path}.<key>` | {keys} |")
    return lines


#: How interventions and costs work (the schema's fields say what each key is).
INTERVENTIONS_TEXT = """
## Interventions: a policy timeline

A scenario may hold `[[interventions]]`, each taking effect on a day of the run:

```toml
[[interventions]]
day = 545                               # day of the run (0 = the first recorded day)
label = "regional levy regulation passed"
cost = 250000                           # kRp, one-off, on its day (optional)
cost_per_day = 0                        # kRp/day from its day to the end (optional)
ramp_days = 0                           # > 0: numbers move linearly over these days
set = { "agencies.pupr.regulation_ready" = true, "agencies.bapenda.regulation_ready" = true }
```

- `set` takes the same dotted key paths as `--set` and goes through the same validated
  override path at load: an unknown key, a bad value or a day outside the run
  (`day ≥ steps`) is refused with the file, the intervention's index and the key.
- On its day (at the top of `step()`), the new values replace the old. What is state moves
  in the running model: a leader's commitment (the agency's commitment shifts by the same
  amount), staff competence (its officers' competence shifts), `n_officers` /
  `patrol_officers` (officers are hired — starting at half their competence and trained to
  it linearly over `officers.training_days` — or retired; lowering `patrol_officers` or
  `leader_commitment` to 0 withdraws an agency from a joint operation), a stage's
  parameters (by stage name), a regulation coming into force (held files go on).
- From the command line: `--intervene 'DAY:KEY=VALUE[,KEY=VALUE]'` on `run` and
  `compare`, and `compare BASE --variant 'NAME:[DAY:]KEY=VALUE[,KEY=VALUE]'` for named
  variants of one base (from the start, or on a day). Experiment specs may vary an
  intervention's `day` (or another field) as a parameter, e.g.
  `[parameters."interventions.0.day"]` with the intervention itself in `[set]`.
- The collaboration start stays `collaboration_start`; it and every intervention are
  entries of the run's event log (`model.events`) and markers on the plots.

## Costs

Every run counts what it costs (kRp): officers' time (each desk officer's share of the day
on the service and each officer deployed at a checkpoint, times the agency's
`officer_day_cost`), running campaigns (`mobility.campaigns.<i>.cost_per_day`) and
interventions (`cost` on their day, `cost_per_day` from then on). Summaries carry
`cost_total`, `cost_staff_total`, `cost_campaigns_total`, `cost_interventions_total`,
`cost_total_after`, `officer_days_total` and `officer_days_after`; `compare` reports
cost-effectiveness against the first scenario (extra permits per bn Rp, levy gained per
Rp spent, trips cut per officer-day) and `analyze` ranks a sweep's levers by effect per cost.

## Services from outside the package

`plugins = ["module"]` imports modules before validation; a plugin registers a service
(`collabsim.services.registry.register`) whose parameters a scenario gives under
`[services.NAME]` (validated by the service's own model). See docs/extending.md.
"""


def markdown() -> str:
    """The reference as a Markdown table."""
    lines = [
        "# Scenario key reference",
        "",
        "Every key a scenario TOML file may set, by key path (the same paths `--set`, ",
        "`load_scenario(overrides=…)`, experiment specs and the viewer's sliders use). ",
        "`<key>` is a table key (e.g. an agency id), `<i>` a list index; `*` in an override ",
        "matches every key. Generated from the schema by ",
        "`python -m collabsim.scenario.reference`. Booleans are `true` or `false` (strings ",
        "such as `\"yes\"` and numbers are errors).",
        "",
        "| key path | type | default | range | description (unit; source) |",
        "|---|---|---|---|---|",
    ]
    for row in key_rows():
        cells = [c.replace("|", "\\|") for c in row]
        lines.append("| `" + cells[0] + "` | " + " | ".join(cells[1:]) + " |")
    lines += new_entry_lines()
    return "\n".join(lines) + "\n" + INTERVENTIONS_TEXT


if __name__ == "__main__":
    print(markdown(), end="")

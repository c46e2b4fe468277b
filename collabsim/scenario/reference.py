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
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")

"""Closed pydantic schemas and their one-line error messages (file, key path, allowed)."""

from __future__ import annotations

import tomllib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from collabsim.errors import CollabsimError

__all__ = ["Closed", "format_errors", "read_toml"]


class Closed(BaseModel):
    """A schema that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid")


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema model a location inside ``model`` points into, or None."""
    tp: Any = model
    for part in loc:
        while typing.get_origin(tp) in (typing.Union, type(int | None)):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            tp = field.annotation if field is not None else None
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    while typing.get_origin(tp) in (typing.Union, type(int | None)):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = args[0] if len(args) == 1 else None
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _loc_text(loc: tuple[Any, ...]) -> str:
    parts = []
    for p in loc:
        s = str(p)
        parts.append(f'"{s}"' if any(c in s for c in ".* ") else s)
    return ".".join(parts) or "(top level)"


def format_errors(exc: ValidationError, origin: str, model: type[BaseModel]) -> list[str]:
    """One line per validation error: ``origin: key.path: problem; allowed: ...``.

    Args:
        exc: The pydantic error.
        origin: The file (or other source) to name.
        model: The top-level schema that was validated.

    Returns:
        The lines, in pydantic's order.
    """
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = _loc_text(loc)
        if err["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = f"; allowed: {', '.join(parent.model_fields)}" if parent else ""
            lines.append(f"{origin}: {where}: unknown key{allowed}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        given = err.get("input")
        got = "" if isinstance(given, dict | list) or err["type"] == "missing" \
            else f" (got {given!r})"
        lines.append(f"{origin}: {where}: {msg}{got}")
    return lines


def read_toml(path: Path, what: str, error: type[CollabsimError]) -> dict[str, Any]:
    """Read a TOML file, or raise ``error`` with one line naming the file."""
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None

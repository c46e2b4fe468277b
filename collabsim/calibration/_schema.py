"""Closed pydantic schemas and their one-line error messages (file, key path, allowed)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from collabsim.errors import CollabsimError
from collabsim.experiments.records import format_errors  # the one schema-error formatter

__all__ = ["Closed", "format_errors", "read_toml"]


class Closed(BaseModel):
    """A schema that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid")


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

"""Loading scenarios: files, presets, ``extends`` and overrides — the only path in.

Every way of changing a scenario (a TOML file, ``extends``, the CLI's ``--set``,
a Python dict, an experiment's sampled parameters, a slider in the viewer) goes
through :func:`resolve`: merge the raw trees, then validate the whole result
with the closed schema. pydantic's ``model_copy(update=…)`` is never used
because it does not validate.
"""

from __future__ import annotations

import copy
import fnmatch
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from collabsim.errors import CollabsimError
from collabsim.scenario.schema import Scenario, walk_schema

__all__ = [
    "PRESET_DIR",
    "ScenarioError",
    "apply_overrides",
    "dump_scenario",
    "list_presets",
    "load_scenario",
    "parse_assignment",
    "resolve",
]

_PACKAGED = Path(__file__).resolve().parent.parent / "_presets"
_REPO = Path(__file__).resolve().parents[2] / "scenarios"
PRESET_DIR: Path = _PACKAGED if _PACKAGED.is_dir() else _REPO


class ScenarioError(CollabsimError):
    """Invalid scenario input; ``problems`` holds one line per problem.

    Each line names the file, the key path and what is allowed.
    """


def list_presets() -> list[str]:
    """Names of the shipped presets (file stems in the preset directory)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def _locate(source: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario file given a path or a preset name."""
    text = str(source)
    candidates = []
    if relative_to is not None:
        candidates.append(relative_to / text)
    candidates.append(Path(text))
    if not text.endswith(".toml"):
        candidates.append(PRESET_DIR / f"{text}.toml")
    else:
        candidates.append(PRESET_DIR / Path(text).name)
    for c in candidates:
        if c.is_file():
            return c.resolve()
    raise ScenarioError([
        f"{text}: no such scenario file or preset; presets: {', '.join(list_presets())}"
    ])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"{path}: not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc.strerror}"]) from None


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``top`` over ``base``: tables merge key by key, other values replace."""
    out = copy.deepcopy(dict(base))
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_tree(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a file and everything it ``extends``; detect cycles."""
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError([f"{chain[0]}: extends: cycle {cycle}"])
    tree = _read_toml(path)
    parent = tree.pop("extends", None)
    if parent is None:
        return tree
    if not isinstance(parent, str):
        raise ScenarioError([f"{path}: extends: must be a file name or preset name"])
    base = _read_tree(_locate(parent, relative_to=path.parent), (*chain, path))
    return deep_merge(base, tree)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``key.path=value`` (value in TOML syntax; bare words become strings).

    Args:
        text: The assignment as typed after ``--set``.

    Returns:
        The key path and the parsed value.

    Raises:
        ScenarioError: if there is no ``=`` or no key.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError([f"--set {text}: expected KEY.PATH=VALUE, e.g. "
                             "agencies.pupr.leader_commitment=0.9"])
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _set_path(node: Any, parts: list[str], value: Any, done: list[str]) -> int:
    """Set ``value`` at ``parts`` under ``node``; ``*`` matches every key. Returns hits."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        if head == "*":
            keys: list[Any] = list(range(len(node)))
        elif not head.isdigit() or int(head) >= len(node):
            raise KeyError(f"'{head}' is not an index of a list of {len(node)}")
        else:
            keys = [int(head)]
    elif isinstance(node, dict):
        keys = list(node) if head == "*" else [head]
    else:
        raise KeyError(f"'{'.'.join(done)}' is a value, not a table")
    hits = 0
    for k in keys:
        if not rest:
            node[k] = copy.deepcopy(value)
            hits += 1
            continue
        if isinstance(node, dict) and k not in node:
            node[k] = {}
        hits += _set_path(node[k], rest, value, [*done, str(k)])
    return hits


def apply_overrides(tree: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a raw scenario tree with dotted-path overrides applied.

    ``*`` in a path matches every key of a table or item of a list, e.g.
    ``agencies.*.resources`` (over an empty table or list it sets nothing).
    Unknown keys are not rejected here but by validation, so every source of
    input gets the same message.

    Raises:
        ScenarioError: for a path that cannot be followed.
    """
    out = copy.deepcopy(tree)
    problems = []
    for path, value in overrides.items():
        try:
            _set_path(out, str(path).split("."), value, [])
        except KeyError as exc:
            problems.append(f"override {path}: {exc.args[0]}")
    if problems:
        raise ScenarioError(problems)
    return out


def _allowed_keys(loc: tuple[Any, ...]) -> list[str] | None:
    """The keys a schema node at ``loc`` accepts (for 'unknown key' messages)."""
    try:
        tp, _ = walk_schema(loc)
    except KeyError:
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _format_errors(exc: ValidationError, origin: str,
                   overrides: Mapping[str, Any] | None = None) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        named = re.match(r"^([\w.*-]+): (.*)$", msg)
        if named and "." in named.group(1) and named.group(1).startswith(path):
            path, msg = named.group(1), named.group(2)  # a cross-reference check names its key
        path = path or "(top level)"
        hits = [k for k in (overrides or {}) if fnmatch.fnmatchcase(path, k)
                or fnmatch.fnmatchcase(path, f"{k}.*")]
        shown_path = f"{path} (set by override {hits[0]})" if hits else path
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
            lines.append(f"{origin}: {shown_path}: unknown key{hint}")
        else:
            given = err.get("input")
            shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
            lines.append(f"{origin}: {shown_path}: {msg}{shown}")
    return lines


def resolve(tree: Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
            origin: str = "<scenario>") -> Scenario:
    """Apply overrides to a raw tree and validate it: the one validated merge.

    Args:
        tree: A raw scenario tree (``extends`` already resolved).
        overrides: Dotted key paths to values.
        origin: What to name in error messages (a file path, or ``--set``).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: one line per problem.
    """
    merged = apply_overrides(dict(tree), overrides or {})
    try:
        return Scenario.model_validate(merged)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, origin, overrides)) from None


def load_scenario(source: str | Path | Scenario | Mapping[str, Any],
                  overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load a scenario from a path, a preset name, a raw dict or a Scenario.

    Args:
        source: ``"pbg"``, ``"scenarios/pbg.toml"``, a raw tree, or a Scenario.
        overrides: Dotted key paths to values, e.g.
            ``{"agencies.pupr.leader_commitment": 0.9}``; ``*`` matches every key.

    Returns:
        The validated, fully resolved scenario.

    Raises:
        ScenarioError: naming the file, the key path and what is allowed.
    """
    if isinstance(source, Scenario):
        return resolve(source.model_dump(exclude_none=True), overrides, source.name)
    if isinstance(source, Mapping):
        return resolve(source, overrides, "<dict>")
    path = _locate(source)
    return resolve(_read_tree(path), overrides, str(path))


def dump_scenario(scenario: Scenario) -> str:
    """The fully resolved scenario as TOML text (loads back to an equal Scenario)."""
    return tomli_w.dumps(scenario.model_dump(exclude_none=True))

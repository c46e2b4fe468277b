"""Loading scenarios: files, presets, ``extends`` and overrides — the only path in.

Every way of changing a scenario (a TOML file, ``extends``, the CLI's ``--set``,
a Python dict, an experiment's sampled parameters, a slider in the viewer) goes
through :func:`resolve`: merge the raw trees, then validate the whole result
with the closed schema. pydantic's ``model_copy(update=…)`` is never used
because it does not validate.
"""

from __future__ import annotations

import copy
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from collabsim.errors import CollabsimError
from collabsim.scenario.schema import Scenario, unwrap_optional, walk_schema

__all__ = [
    "PRESET_DIR",
    "ScenarioError",
    "apply_overrides",
    "dump_scenario",
    "keyed_tables",
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


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _keyed(model: type[BaseModel], prefix: tuple[str, ...]
           ) -> list[tuple[tuple[str, ...], type[BaseModel]]]:
    out = []
    for name, info in model.model_fields.items():
        tp = unwrap_optional(info.annotation)
        if typing.get_origin(tp) is dict and _is_model(typing.get_args(tp)[1]):
            out.append(((*prefix, name), typing.get_args(tp)[1]))
        elif _is_model(tp):
            out.extend(_keyed(tp, (*prefix, name)))
    return out


def keyed_tables() -> dict[str, type[BaseModel]]:
    """The schema's keyed tables (``agencies``, ``mobility.districts``) and their entry models.

    Found by walking the schema, so a keyed table added to it is covered too.
    Their entries are defined by scenario files only: an override naming a key
    the scenario lacks is an error, and a file adding an entry must set the
    keys of :func:`new_entry_keys`.
    """
    return {".".join(path): model for path, model in _keyed(Scenario, ())}


def new_entry_keys(model: type[BaseModel]) -> list[str]:
    """Keys a file must set to add an entry to a keyed table of ``model`` entries.

    The model's required fields, then those it lists in ``new_entry_requires``.
    """
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    extra = getattr(model, "new_entry_requires", ())
    return list(dict.fromkeys([*required, *extra]))


def _entry_noun(model: type[BaseModel]) -> str:
    """``AgencyParams`` -> ``agency``, ``District`` -> ``district``."""
    return model.__name__.removesuffix("Params").lower()


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _table_at(tree: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    node: Any = tree
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else None


def _check_new_entries(base: Mapping[str, Any], top: Mapping[str, Any], origin: str,
                       base_name: str | None) -> list[str]:
    """Entries ``top`` adds to a keyed table must be complete tables (see keyed_tables)."""
    problems = []
    for path, model in keyed_tables().items():
        entries = _table_at(top, path) or {}
        known = _table_at(base, path) or {}
        for key, entry in entries.items():
            if key in known:
                continue
            need = new_entry_keys(model)
            missing = [k for k in need if not (isinstance(entry, Mapping) and k in entry)]
            if not missing:
                continue
            noun = _entry_noun(model)
            rule = f"a new {noun} must set {', '.join(need)} (missing: {', '.join(missing)})"
            if base_name:
                ids = ", ".join(sorted(map(str, known))) or "none"
                rule = f"not {_a(noun)} of {base_name} (known: {ids}); {rule}"
            problems.append(f"{origin}: {path}.{key}: {rule}")
    return problems


def _read_tree(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a file and everything it ``extends``; detect cycles; check added entries."""
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError([f"{chain[0]}: extends: cycle {cycle}"])
    tree = _read_toml(path)
    parent = tree.pop("extends", None)
    if parent is None:
        base: dict[str, Any] = {}
        base_name = None
    elif not isinstance(parent, str):
        raise ScenarioError([f"{path}: extends: must be a file name or preset name"])
    else:
        base = _read_tree(_locate(parent, relative_to=path.parent), (*chain, path))
        base_name = parent
    problems = _check_new_entries(base, tree, str(path), base_name)
    if problems:
        raise ScenarioError(problems)
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


def _unknown_entry(done: list[str], key: str, node: Mapping[str, Any]) -> str | None:
    """Why ``key`` may not be added to the table at ``done``, if it is a keyed table."""
    model = keyed_tables().get(".".join(done))
    if model is None:
        return None
    noun = _entry_noun(model)
    known = ", ".join(sorted(map(str, node))) or "none"
    return (f"unknown {noun} '{key}'; known: {known} "
            f"(an override cannot add {_a(noun)}: define it in a scenario file)")


def _set_path(node: Any, parts: list[str], value: Any, done: list[str]) -> int:
    """Set ``value`` at ``parts`` under ``node``; ``*`` matches every key. Returns hits."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict) and head != "*" and head not in node:
        reason = _unknown_entry(done, head, node)
        if reason:
            raise KeyError(reason)
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


def apply_overrides(tree: dict[str, Any], overrides: Mapping[str, Any],
                    origin: str | None = None) -> dict[str, Any]:
    """Return a copy of a raw scenario tree with dotted-path overrides applied.

    ``*`` in a path matches every key of a table or item of a list, e.g.
    ``agencies.*.resources`` (over an empty table or list it sets nothing).
    A path is first followed through the schema, so a misspelt key is named as
    typed (``no.such.key``). An override never adds an entry to a keyed table
    (an agency, a district): naming one the scenario lacks is an error listing
    the known ids. Values are checked by validation, afterwards.

    Args:
        tree: A raw scenario tree.
        overrides: Dotted key paths to values.
        origin: The file (or other source) named at the start of each problem.

    Raises:
        ScenarioError: for a path the schema or the tree cannot follow.
    """
    out = copy.deepcopy(tree)
    problems = []
    lead = f"{origin}: " if origin else ""
    for path, value in overrides.items():
        try:  # the tree first (it names list indices), then the schema (misspelt keys)
            _set_path(out, str(path).split("."), value, [])
            walk_schema(str(path))
        except KeyError as exc:
            problems.append(f"{lead}override {path}: {exc.args[0]}")
    if problems:
        raise ScenarioError(problems)
    return out


def _set_by(path: str, overrides: Mapping[str, Any]) -> list[str]:
    """The overrides (``*`` allowed) that set ``path`` or a table above it.

    Failing those, the ones that set keys below it (for a table's own rule, e.g. min ≤ max).
    """
    if path == "(top level)":
        return []
    parts = path.split(".")

    def matches(key: str) -> bool:
        return all(x == y or y == "*" for x, y in zip(parts, key.split("."), strict=False))

    keys = [str(k) for k in overrides if matches(str(k))]
    at_or_above = [k for k in keys if len(k.split(".")) <= len(parts)]
    return at_or_above or keys


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
        hits = _set_by(path, overrides or {})
        shown_path = f"{path} (set by override {', '.join(hits)})" if hits else path
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
            lines.append(f"{origin}: {shown_path}: unknown key{hint}")
        else:
            given = err.get("input")
            shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
            if err["type"] == "bool_type":
                msg = f"{msg}: true or false"
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
    merged = apply_overrides(dict(tree), overrides or {}, origin)
    _import_plugins(merged.get("plugins", []), origin)
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, origin, overrides)) from None
    _check_interventions(merged, scenario, origin)
    return scenario


def _import_plugins(plugins: Any, origin: str) -> None:
    """Import the scenario's plugin modules (they register services) before validation."""
    import importlib

    if not isinstance(plugins, list):
        return  # validation names the problem
    problems = []
    for i, name in enumerate(plugins):
        try:
            importlib.import_module(str(name))
        except Exception as exc:  # a plugin that fails to import is the scenario's problem
            problems.append(f"{origin}: plugins.{i}: cannot import {name!r} ({exc})")
    if problems:
        raise ScenarioError(problems)


def _check_interventions(tree: Mapping[str, Any], scenario: Scenario, origin: str) -> None:
    """Each intervention's ``set`` must pass the one validated override path.

    Raises:
        ScenarioError: one line per problem, naming the intervention's index and key.
    """
    problems = []
    base = {k: v for k, v in tree.items() if k != "interventions"}
    for i, iv in enumerate(scenario.interventions):
        try:
            resolve(base, iv.set, origin)
        except ScenarioError as exc:
            lead = f"{origin}: "
            problems += [f"{lead}interventions.{i}.set: {p.removeprefix(lead)}"
                         for p in exc.problems]
    if problems:
        raise ScenarioError(problems)


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
        problems = _check_new_entries({}, source, "<dict>", None)
        if problems:
            raise ScenarioError(problems)
        return resolve(source, overrides, "<dict>")
    path = _locate(source)
    return resolve(_read_tree(path), overrides, str(path))


def dump_scenario(scenario: Scenario) -> str:
    """The fully resolved scenario as TOML text (loads back to an equal Scenario)."""
    return tomli_w.dumps(scenario.model_dump(exclude_none=True))

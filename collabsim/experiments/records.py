"""Records shared by the writer and the readers of a sweep: one definition each.

The spec resolves :class:`Parameter` s, the samplers turn them into a design,
the store writes them (``manifest.json``, the columns of ``runs.parquet``
after :data:`META_COLUMNS`) and the analysis reads them back — all with the
classes below. This module sits under everything else in
:mod:`collabsim.experiments` and :mod:`collabsim.analysis` (it imports no other
module of either), so imports run one way.

It also holds the one formatter of pydantic validation errors into one-line
messages (``origin: key.path: problem; allowed: ...``) that closed TOML schemas
share.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pydantic import BaseModel, ValidationError

__all__ = [
    "DRAW_COLUMN",
    "META_COLUMNS",
    "PARTICLE_COLUMN",
    "POSTERIOR_PREFIX",
    "BatchResult",
    "Parameter",
    "PosteriorDraw",
    "PosteriorPlan",
    "format_errors",
    "is_posterior_column",
    "loc_text",
]

#: Columns of ``runs.parquet`` before the parameters: neither parameters nor outcomes.
META_COLUMNS = ("run_id", "scenario", "sample", "replicate", "seed", "status", "error")

#: Column of a run over a posterior: which posterior draw (0, 1, ...) it ran with.
DRAW_COLUMN = "posterior_draw"
#: Column of a run over a posterior: the drawn particle (its row in ``posterior.parquet``).
PARTICLE_COLUMN = "posterior_particle"
#: Prefix of the columns holding a drawn particle's parameter values (``posterior:NAME``).
POSTERIOR_PREFIX = "posterior:"


def is_posterior_column(name: str) -> bool:
    """Whether a runs-table column records the posterior draw (neither parameter nor outcome)."""
    return name in (DRAW_COLUMN, PARTICLE_COLUMN) or str(name).startswith(POSTERIOR_PREFIX)


@dataclass(frozen=True)
class PosteriorDraw:
    """One draw from a calibration's posterior: a particle and its parameter values.

    Attributes:
        draw: The draw's index (0, 1, ...; the ``posterior_draw`` column).
        particle: The particle's row in ``posterior.parquet``.
        values: Its parameter values, by the calibration's prior names.
        weight: The particle's (normalised) weight.
        seed: The particle's seed in the calibration, or None.
    """

    draw: int
    particle: int
    values: dict[str, float]
    weight: float = float("nan")
    seed: int | None = None

    def columns(self) -> dict[str, Any]:
        """The run-table columns that record this draw."""
        return {DRAW_COLUMN: self.draw, PARTICLE_COLUMN: self.particle,
                **{f"{POSTERIOR_PREFIX}{k}": v for k, v in self.values.items()}}


@dataclass(frozen=True)
class PosteriorPlan:
    """Posterior draws every design point of a sweep runs over, with their overrides.

    Attributes:
        identity: What the manifest records of the posterior (directory, name, hashes).
        draws: The draws, in order.
        overrides: Per base scenario name, one override dict per draw (key path to
            value), applied before the spec's ``[set]`` and the design's values.
        parameters: The posterior's parameter names (``posterior:NAME`` columns).
        notes: Warnings made when the plan was made (unused or overridden parameters).
    """

    identity: dict[str, Any]
    draws: tuple[PosteriorDraw, ...]
    overrides: dict[str, tuple[dict[str, Any], ...]]
    parameters: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """The manifest entry: the identity, each draw's particle, values and overrides."""
        return {**self.identity, "draws": len(self.draws), "notes": list(self.notes),
                "drawn": [{"draw": d.draw, "particle": d.particle, "weight": d.weight,
                           "seed": d.seed, "values": dict(d.values),
                           "overrides": {s: ov[d.draw] for s, ov in self.overrides.items()}}
                          for d in self.draws]}

    def hash(self) -> str:
        """SHA-256 of the posterior's identity and the draws (a resumed sweep needs the same)."""
        import hashlib
        import json

        text = json.dumps({"posterior": self.identity.get("hash"),
                           "draws": [(d.draw, d.particle) for d in self.draws],
                           "overrides": self.overrides}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Parameter:
    """A varied parameter of an experiment, as the spec declares it and the analysis reads it.

    Attributes:
        name: Its name in the spec.
        keys: The scenario key paths its value is written to.
        kind: The schema type of its keys (``float``, ``int``, ``bool``, ``str``, ``value``).
        levels: Grid levels, or None.
        bounds: ``(low, high)``, or None.
        points: Grid points over the bounds, or None.
        schema_low: The schema's lower bound over all keys, or None.
        schema_high: The schema's upper bound over all keys, or None.
        column: Its column in ``runs.parquet`` (default: its name).
    """

    name: str
    keys: tuple[str, ...] = ()
    kind: str = "float"
    levels: tuple[Any, ...] | None = None
    bounds: tuple[float, float] | None = None
    points: int | None = None
    schema_low: float | None = None
    schema_high: float | None = None
    column: str = ""

    def __post_init__(self) -> None:
        if not self.column:
            object.__setattr__(self, "column", self.name)
        if not self.keys:
            object.__setattr__(self, "keys", (self.column,))

    @property
    def key(self) -> str:
        """The first key path it sets (for labels and units)."""
        return self.keys[0]

    @property
    def transform(self) -> str:
        """How a continuous sampler's value becomes the scenario value."""
        return "floor" if self.kind == "int" else "none"

    def grid_values(self) -> list[Any]:
        """The values of a full-factorial grid."""
        if self.levels is not None:
            return list(self.levels)
        lo, hi = self.bounds
        step = (hi - lo) / (self.points - 1)
        vals = [lo + i * step for i in range(self.points)]
        if self.kind == "int":
            return list(dict.fromkeys(round(v) for v in vals))
        return vals

    def salib_bounds(self) -> list[float]:
        """Bounds in the SALib problem: integers are sampled on [low, high + 1) and floored."""
        lo, hi = self.bounds
        return [float(lo), float(hi) + 1.0] if self.kind == "int" else [float(lo), float(hi)]

    def value(self, x: Any) -> Any:
        """The scenario value for a design value ``x`` (a level, or a sampler's number).

        Integers are floored (a sampler's number), floats cast to float, booleans
        read back from a table (``numpy.bool_``, 0/1) cast to bool.
        """
        if hasattr(x, "item"):
            x = x.item()
        if self.kind == "int" and isinstance(x, float):
            return int(min(math.floor(x), self.bounds[1] if self.bounds else math.inf))
        if self.kind == "float" and isinstance(x, int | float) and not isinstance(x, bool):
            return float(x)
        if self.kind == "bool" and isinstance(x, int | float):
            return bool(x)
        return x

    def scenario_value(self, x: Any) -> Any:
        """The value a run's scenario got for design value ``x`` (same as :meth:`value`)."""
        return self.value(x)

    def overrides(self, x: Any) -> dict[str, Any]:
        """The key-path overrides that put design value ``x`` into a scenario."""
        v = self.value(x)
        return {k: v for k in self.keys}

    def candidates(self) -> list[Any]:
        """Values checked against every base scenario when the spec loads."""
        if self.levels is not None:
            return list(self.levels)
        lo, hi = self.bounds
        return [self.value(lo), self.value(hi) if self.kind != "int" else int(hi)]

    def describe(self) -> dict[str, Any]:
        """The manifest entry (``name``, ``column``, ``keys``, ``bounds`` or ``levels``)."""
        out: dict[str, Any] = {"name": self.name, "column": self.column, "key_path": self.name,
                               "keys": list(self.keys), "kind": self.kind}
        if self.levels is not None:
            out["levels"] = list(self.levels)
        else:
            out["bounds"] = list(self.bounds)
            out["transform"] = self.transform
            if self.points is not None:
                out["points"] = self.points
        out["schema_bounds"] = [self.schema_low, self.schema_high]
        return out


@dataclass
class BatchResult:
    """The results of a batch of runs, as a runner hands them to the store.

    Attributes:
        runs: One dict per run: ``run_id``, ``seed``, ``status``, ``error`` and
            the summary outcomes (none for a failed run).
        timeseries: ``run_id``, ``day`` and the kept metrics of the ok runs.
        worker: ``host:pid`` of the process that ran it.
    """

    runs: list[dict[str, Any]]
    timeseries: pd.DataFrame | None
    worker: str = field(default="")


# ------------------------------------------------------------ one-line schema errors
def loc_text(loc: tuple[Any, ...]) -> str:
    """A pydantic location as a key path; parts with dots, stars or spaces quoted."""
    parts = []
    for p in loc:
        s = str(p)
        parts.append(f'"{s}"' if any(c in s for c in ".* ") else s)
    return ".".join(parts) or "(top level)"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema model a location inside ``model`` points into, or None."""
    from pydantic import BaseModel

    def unwrap(tp: Any) -> Any:
        while typing.get_origin(tp) in (typing.Union, type(int | None)):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else None
        return tp

    tp: Any = model
    for part in loc:
        tp = unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(part))
            tp = info.annotation if info is not None else None
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def format_errors(exc: ValidationError, origin: str, model: type[BaseModel] | None = None, *,
                  allowed: Callable[[tuple[Any, ...]], list[str]] | None = None,
                  shown: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None,
                  special: Callable[[dict[str, Any]], str | None] | None = None) -> list[str]:
    """One line per validation error: ``origin: key.path: problem; allowed: ...``.

    Args:
        exc: The pydantic error.
        origin: The file (or other source) to name.
        model: The top-level schema that was validated (for the keys an
            unknown key's table allows).
        allowed: The keys allowed at a location, when the schema alone cannot
            say (e.g. inside a discriminated union).
        shown: How a location is shown (e.g. without a discriminator's tag).
        special: A message of its own for an error, or None for the standard one.

    Returns:
        The lines, in pydantic's order.
    """
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        own = special(err) if special is not None else None
        if own is not None:
            lines.append(f"{origin}: {own}")
            continue
        where = loc_text(shown(loc) if shown is not None else loc)
        if err["type"] == "extra_forbidden":
            keys = allowed(loc[:-1]) if allowed is not None else []
            if not keys and model is not None:
                parent = _model_at(model, loc[:-1])
                keys = [f.alias or n for n, f in parent.model_fields.items()] if parent else []
            hint = f"; allowed: {', '.join(keys)}" if keys else ""
            lines.append(f"{origin}: {where}: unknown key{hint}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        given = err.get("input")
        got = "" if isinstance(given, dict | list) or err["type"] == "missing" \
            else f" (got {given!r})"
        lines.append(f"{origin}: {where}: {msg}{got}")
    return lines

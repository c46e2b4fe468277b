"""Reading a results directory: a sweep's or a comparison's, checked on the way in.

Two layouts are understood:

* ``collabsim sweep`` — ``runs.parquet`` (one row per run: ``run_id``,
  ``scenario``, ``sample``, ``replicate``, ``seed``, ``status``, ``error``, one
  column per parameter named by its scenario key path, then summary outcomes),
  ``timeseries.parquet`` (long, keyed by ``run_id``) and ``manifest.json``
  (the experiment spec, sampler, declared parameters, SALib problem).
* ``collabsim compare`` — ``runs.csv`` (``scenario``, ``replicate``, ``seed`` and
  the summary outcomes) and ``timeseries.parquet`` keyed by ``scenario`` and
  ``replicate``.

Runs over a calibration's posterior (``--posterior``) also carry ``posterior_draw``,
``posterior_particle`` and the particle's ``posterior:NAME`` values: they are
neither parameters nor outcomes (:attr:`Results.posterior` has the manifest's record).

Both are read into one :class:`Results` with the sweep's column names, so the
analysis never needs to know which command wrote the directory. The records
(:class:`~collabsim.experiments.records.Parameter`, ``META_COLUMNS``) are the ones
the store writes with, imported from :mod:`collabsim.experiments.records`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.errors import CollabsimError
from collabsim.experiments.records import DRAW_COLUMN, META_COLUMNS, Parameter, is_posterior_column

__all__ = ["COMPARE_TABLES", "META_COLUMNS", "Parameter", "Results", "load_results"]

#: Summary columns that describe the run rather than measure it.
_NOT_OUTCOMES = {"days"}

#: Tables ``collabsim compare`` writes besides its runs (NAME.csv), read when present.
COMPARE_TABLES = ("effects", "differences", "cost_effectiveness")

_KEY_FIELDS = ("key", "path", "key_path", "column", "name")
_LEVEL_FIELDS = ("levels", "values")


@dataclass
class Results:
    """A results directory read into tidy tables.

    Attributes:
        path: The directory.
        kind: ``"sweep"`` or ``"compare"``.
        runs: One row per run, failed runs included (``status`` = "failed").
        timeseries: Long time series with ``run_id`` and ``day``, or None.
        manifest: The parsed ``manifest.json`` (a comparison's records its settings).
        sampler: ``"grid"``, ``"lhs"``, ``"sobol"``, ``"morris"``, or None.
        parameters: The declared parameters present as columns.
        outcomes: Numeric summary outcome columns.
        problem: The SALib problem (``names``, ``bounds``, ``num_vars``), or None.
        tables: What ``collabsim compare`` computed besides the runs, by name:
            ``effects`` (effects.csv: the joint arrangement vs its never-joint
            counterfactual), ``differences`` (differences.csv: every scenario
            minus the first, paired on common seeds) and ``cost_effectiveness``
            (cost_effectiveness.csv); only those present.
    """

    path: Path
    kind: str
    runs: pd.DataFrame
    timeseries: pd.DataFrame | None
    manifest: dict[str, Any] = field(default_factory=dict)
    sampler: str | None = None
    parameters: list[Parameter] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    problem: dict[str, Any] | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> pd.DataFrame:
        """The runs that finished."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        """The runs that raised, with their error and seed."""
        return self.runs[self.runs["status"] != "ok"]

    @property
    def parameter_columns(self) -> list[str]:
        """Columns of the runs table that hold parameters."""
        return [p.column for p in self.parameters]

    def axis_labels(self) -> dict[str, str]:
        """Axis label (with unit) of each parameter column."""
        from collabsim.analysis.labels import parameter_label

        out = {}
        for p in self.parameters:
            label = parameter_label(p.column, p.key)
            if p.kind == "bool" and "(True/False)" not in label:
                label += " (True/False)"
            out[p.column] = label
        return out

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in order of first appearance."""
        return list(dict.fromkeys(self.runs["scenario"].astype(str)))

    @property
    def posterior(self) -> dict[str, Any] | None:
        """The manifest's record of the posterior the runs were drawn over, or None.

        Its ``dir``, ``name``, ``hash``, ``particles``, ``draws`` and, per draw, the
        particle, its values and the overrides per scenario (``drawn``).
        """
        entry = self.manifest.get("posterior")
        return entry if isinstance(entry, dict) and DRAW_COLUMN in self.runs else None

    @property
    def spec(self) -> dict[str, Any]:
        """The experiment spec from the manifest (empty for a comparison)."""
        spec = self.manifest.get("spec", {})
        return spec if isinstance(spec, dict) else {}


def load_results(path: str | Path) -> Results:
    """Read a sweep or comparison directory.

    Args:
        path: The directory ``collabsim sweep`` or ``collabsim compare`` wrote.

    Returns:
        The :class:`Results`.

    Raises:
        CollabsimError: naming the directory and what is missing or malformed.
    """
    path = Path(path)
    if not path.is_dir():
        raise CollabsimError(f"{path}: no such results directory")
    if (path / "runs.parquet").is_file():
        return _load_sweep(path)
    if (path / "runs.csv").is_file():
        return _load_compare(path)
    manifest = _read_manifest(path / "manifest.json")
    if manifest:
        done = manifest.get("n_ok", 0) + manifest.get("n_failed", 0)
        raise CollabsimError(f"{path}: the sweep has not finished ({done} of "
                             f"{manifest.get('n_runs', '?')} runs recorded); resume it with "
                             "'collabsim sweep' on the same spec and --out")
    raise CollabsimError(f"{path}: not a results directory (expected runs.parquet from "
                         "'collabsim sweep' or runs.csv from 'collabsim compare')")


def _read_table(p: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
    except Exception as exc:  # pyarrow and pandas raise many kinds
        raise CollabsimError(f"{p}: cannot read: {exc}") from None


def _load_sweep(path: Path) -> Results:
    runs = _read_table(path / "runs.parquet")
    manifest = _read_manifest(path / "manifest.json")
    _require(runs, ("run_id", "scenario"), path / "runs.parquet")
    runs = _normalise_runs(runs)
    ts = _read_timeseries(path / "timeseries.parquet", runs)
    params = _declared_parameters(manifest, runs)
    sampler = manifest.get("sampler")
    res = Results(path, "sweep", runs, ts, manifest, str(sampler) if sampler else None,
                  params, _outcome_columns(runs, params), manifest.get("problem"))
    _check_problem(res)
    return res


def _load_compare(path: Path) -> Results:
    runs = _read_table(path / "runs.csv")
    _require(runs, ("scenario", "replicate"), path / "runs.csv")
    runs = runs.copy()
    runs.insert(0, "run_id", np.arange(len(runs), dtype="int64"))
    order = {s: i for i, s in enumerate(dict.fromkeys(runs["scenario"]))}
    runs["sample"] = runs["scenario"].map(order).astype("int64")
    runs = _normalise_runs(runs)
    ts = None
    tp = path / "timeseries.parquet"
    if tp.is_file():
        raw = _read_table(tp)
        _require(raw, ("scenario", "replicate", "day"), tp)
        on = ["scenario", "replicate",  # over a posterior a run is a (draw, replicate)
              *[c for c in (DRAW_COLUMN,) if c in raw and c in runs]]
        keys = runs[[*on, "run_id"]]
        raw = raw.drop(columns=[c for c in ("run_id",) if c in raw])
        ts = raw.merge(keys, on=on, how="inner")
        ts = ts.drop(columns=[*on, "seed"], errors="ignore")
    manifest = _read_manifest(path / "manifest.json")  # steps, citizens, overrides, seeds
    tables = {name: _read_table(path / f"{name}.csv") for name in COMPARE_TABLES
              if (path / f"{name}.csv").is_file()}
    return Results(path, "compare", runs, ts, manifest, None, [], _outcome_columns(runs, []),
                   None, tables)


def _read_manifest(p: Path) -> dict[str, Any]:
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CollabsimError(f"{p}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CollabsimError(f"{p}: expected a JSON object")
    return data


def _read_timeseries(p: Path, runs: pd.DataFrame) -> pd.DataFrame | None:
    if not p.is_file():
        return None
    ts = _read_table(p)
    _require(ts, ("run_id", "day"), p)
    return ts


def _require(df: pd.DataFrame, cols: tuple[str, ...], origin: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise CollabsimError(f"{origin}: missing column(s) {', '.join(missing)}")


def _normalise_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Fill the optional meta columns so every later step can rely on them."""
    runs = runs.copy()
    defaults = {"sample": runs["run_id"], "replicate": 0, "seed": -1, "status": "ok", "error": ""}
    for col, value in defaults.items():
        if col not in runs:
            runs[col] = value
    runs["scenario"] = runs["scenario"].astype(str)
    runs["status"] = runs["status"].fillna("ok").astype(str)
    runs["error"] = runs["error"].fillna("").astype(str)
    return runs.reset_index(drop=True)


def _declared_parameters(manifest: dict[str, Any], runs: pd.DataFrame) -> list[Parameter]:
    """The manifest's parameters whose column is in the runs table."""
    out = []
    for entry in manifest.get("parameters") or []:
        if isinstance(entry, str):
            entry = {"name": entry}
        col = next((entry[k] for k in _KEY_FIELDS if isinstance(entry.get(k), str)
                    and entry[k] in runs.columns), None)
        if col is None:
            continue
        bounds = entry.get("bounds")
        if bounds is None and "low" in entry and "high" in entry:
            bounds = (entry["low"], entry["high"])
        levels = next((entry[k] for k in _LEVEL_FIELDS if entry.get(k) is not None), None)
        keys = entry.get("keys") or [col]
        kind = entry.get("kind") or _kind_of(runs[col])
        out.append(Parameter(str(entry.get("name", col)), tuple(map(str, keys)), str(kind),
                             levels=tuple(levels) if levels is not None else None,
                             bounds=tuple(float(b) for b in bounds) if bounds else None,
                             points=entry.get("points"), column=col))
    if not out:
        problem = manifest.get("problem") or {}
        for i, name in enumerate(problem.get("names") or []):
            if name in runs.columns:
                b = (problem.get("bounds") or [None] * (i + 1))[i]
                out.append(Parameter(name, (name,), _kind_of(runs[name]),
                                     bounds=tuple(b) if b else None))
    return out


def _kind_of(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    return "float" if pd.api.types.is_numeric_dtype(values) else "str"


def _outcome_columns(runs: pd.DataFrame, params: list[Parameter]) -> list[str]:
    skip = set(META_COLUMNS) | {p.column for p in params} | _NOT_OUTCOMES
    return [c for c in runs.columns if c not in skip and not is_posterior_column(c)
            and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])]


def _check_problem(res: Results) -> None:
    if res.sampler not in ("sobol", "morris"):
        return
    problem = res.problem or {}
    names = problem.get("names")
    if not names or "bounds" not in problem:
        raise CollabsimError(f"{res.path / 'manifest.json'}: sampler {res.sampler} needs a "
                             "SALib 'problem' with names and bounds")
    cols = _problem_columns(res)
    if len(cols) != len(names):
        raise CollabsimError(f"{res.path}: SALib problem names {', '.join(names)} do not "
                             "match the parameter columns of runs.parquet")


def _problem_columns(res: Results) -> list[str]:
    """The runs-table column of each SALib problem variable, in problem order."""
    by_name = {p.name: p.column for p in res.parameters}
    by_name.update({p.column: p.column for p in res.parameters})
    names = (res.problem or {}).get("names") or []
    return [by_name.get(n, n) for n in names if by_name.get(n, n) in res.runs.columns]

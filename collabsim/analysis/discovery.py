"""Scenario discovery: which settings lead to failure? PRIM from the EMA Workbench.

A *failure rule* marks the runs of interest — an outcome against a threshold
(``levy_target_share_final<0.5``, ``mobility_index_enforcement>0.8``) or
``failed`` for runs that raised. The EMA Workbench's PRIM (Friedman & Fisher
1999; Bryant & Lempert 2010) then peels the parameter space down to boxes
where failures concentrate. This module only prepares the table (PRIM under
pandas 3 fails on integer columns, so numbers are cast to float; booleans
become categories; the experiment's ``scenario`` column is renamed, because
PRIM drops a column of that name) and reads the boxes back out.

For each box we choose the point of PRIM's peeling trajectory with the highest
density among those that still cover at least ``min_coverage`` of the cases
(ties go to the larger coverage) — the usual analyst's trade-off, written down.
"""

from __future__ import annotations

import logging
import operator
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from collabsim.analysis.results import Results
from collabsim.errors import CollabsimError

__all__ = ["Box", "Discovery", "FailureRule", "default_rules", "describe_box", "describe_limit",
           "discover", "parse_rule", "prim_table"]

_OPS: dict[str, Callable] = {"<=": operator.le, ">=": operator.ge, "==": operator.eq,
                             "!=": operator.ne, "<": operator.lt, ">": operator.gt}
_RULE = re.compile(r"^\s*([A-Za-z0-9_.*]+)\s*(<=|>=|==|!=|<|>)\s*([-+0-9.eE]+)\s*$")

#: Failure rules tried by default when their outcome is present. Each entry is a family of
#: alternatives, the first present wins: the levy share over the after window where the
#: results have it, else the cumulative share at the end.
DEFAULT_RULES = (("levy_target_share_after<0.5", "levy_target_share_final<0.5"),
                 ("mobility_index_enforcement>0.8",))


@dataclass(frozen=True)
class FailureRule:
    """Which runs count as failures: an outcome compared with a threshold, or ``failed``."""

    column: str
    op: str = ""
    threshold: float = float("nan")

    @property
    def text(self) -> str:
        """The rule as typed, e.g. ``levy_target_share_final<0.5``."""
        return self.column if not self.op else f"{self.column}{self.op}{self.threshold:g}"

    def mask(self, runs: pd.DataFrame) -> np.ndarray:
        """True for the runs the rule marks."""
        if self.column == "failed":
            return (runs["status"] != "ok").to_numpy()
        return _OPS[self.op](runs[self.column].to_numpy(dtype=float), self.threshold)


def parse_rule(text: str, columns: Sequence[str] | None = None) -> FailureRule:
    """Parse ``OUTCOME<0.5`` (also ``<=``, ``>``, ``>=``, ``==``, ``!=``) or ``failed``.

    Raises:
        CollabsimError: for a rule that does not parse or names an unknown column.
    """
    if text.strip() == "failed":
        return FailureRule("failed")
    m = _RULE.match(text)
    if not m:
        raise CollabsimError(f"--failure {text}: expected OUTCOME<VALUE (or <=, >, >=, ==, !=), "
                             "e.g. levy_target_share_final<0.5, or 'failed'")
    col, op, value = m.groups()
    if columns is not None and col not in columns:
        raise CollabsimError(f"--failure {text}: unknown outcome '{col}'; outcomes: "
                             f"{', '.join(columns)}")
    return FailureRule(col, op, float(value))


def default_rules(res: Results) -> list[FailureRule]:
    """The :data:`DEFAULT_RULES` whose outcome varies in these results, and ``failed`` if any."""
    rules = []
    for family in DEFAULT_RULES:
        present = [r for r in map(parse_rule, family) if r.column in res.outcomes]
        if present and res.ok[present[0].column].nunique() > 1:
            rules.append(present[0])
    if len(res.failed):
        rules.append(FailureRule("failed"))
    return rules


@dataclass
class Box:
    """One PRIM box.

    Attributes:
        index: 1 for the first box found, 2 for the next (found among the rest) …
        coverage: Share of all failures that fall in the box.
        density: Share of the runs in the box that fail.
        mass: Share of the runs in the box.
        n: Runs in the box; ``k``: failures among them.
        limits: One row per restricted parameter: parameter, low, high (or
            ``levels`` for a categorical one), range_low, range_high and the
            quasi-p values of each restriction.
        trajectory: PRIM's peeling trajectory (coverage, density, mass, res_dim …).
        chosen: The row of the trajectory reported.
    """

    index: int
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    limits: pd.DataFrame
    trajectory: pd.DataFrame
    chosen: int


@dataclass
class Discovery:
    """PRIM's answer for one failure rule."""

    rule: FailureRule
    n_runs: int
    n_cases: int
    boxes: list[Box] = field(default_factory=list)
    note: str = ""

    @property
    def base_rate(self) -> float:
        """Share of runs that fail."""
        return self.n_cases / self.n_runs if self.n_runs else float("nan")


def prim_inputs(res: Results, rule: FailureRule) -> tuple[pd.DataFrame, np.ndarray]:
    """The PRIM ``x`` table (parameters, cast for EMA under pandas 3) and boolean ``y``."""
    runs = res.runs if rule.column == "failed" else res.ok
    if rule.column != "failed":
        runs = runs[runs[rule.column].notna()]
    cols = list(res.parameter_columns)
    x = runs[cols].copy()
    if len(res.scenarios) > 1:
        x["base_scenario"] = runs["scenario"].astype("category")
    for c in cols:
        if pd.api.types.is_bool_dtype(x[c]):
            x[c] = x[c].map({True: "true", False: "false"}).astype("category")
        elif pd.api.types.is_numeric_dtype(x[c]):
            x[c] = x[c].astype(float)
        else:
            x[c] = x[c].astype(str).astype("category")
    x = x.loc[:, x.nunique(dropna=False) > 1].reset_index(drop=True)
    return x, rule.mask(runs).astype(bool)


def discover(res: Results, rule: FailureRule | str, max_boxes: int = 2,
             min_coverage: float = 0.5, mass_min: float = 0.05, peel_alpha: float = 0.05,
             min_density_gain: float = 1.5, min_box_coverage: float = 0.1,
             max_qp: float = 0.05) -> Discovery:
    """Find the parameter boxes where the rule's failures concentrate.

    Args:
        res: The results (a sweep with declared parameters).
        rule: A :class:`FailureRule` or its text.
        max_boxes: Most boxes to report.
        min_coverage: Least coverage of the trajectory point chosen for a box.
        mass_min: PRIM's minimum box mass.
        peel_alpha: PRIM's peeling fraction.
        min_density_gain: A box is kept only if its density is at least this
            many times the failure rate among the runs it was found in, or,
            where that is out of reach (a rate above ``1 / min_density_gain``),
            half-way from that rate to 1; and at least the overall failure rate.
        min_box_coverage: A box is kept only if it holds at least this share
            of all failures.
        max_qp: A box is kept only if at least one of its restrictions has a
            quasi-p value (Bryant & Lempert 2010) below this.

    Returns:
        The :class:`Discovery`, with a note when PRIM does not apply.
    """
    if isinstance(rule, str):
        rule = parse_rule(rule, [*res.outcomes, "failed"])
    x, y = prim_inputs(res, rule)
    found = Discovery(rule, len(y), int(y.sum()))
    if not res.parameter_columns:
        found.note = "no varied parameters: nothing to discover (a comparison of fixed scenarios)"
        return found
    if found.n_cases == 0 or found.n_cases == len(y):
        found.note = ("no run" if found.n_cases == 0 else "every run") + " meets the rule"
        return found
    if x.shape[1] == 0:
        found.note = "no parameter varies"
        return found
    # imported only when PRIM runs: EMA Workbench takes ~5 s to import (its whole package,
    # statsmodels and seaborn with it), which an analysis of a comparison need not pay
    with warnings.catch_warnings():  # "ipyparallel not installed" is not our users' concern
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():  # EMA's own pandas deprecations are not the analyst's
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        _peel_boxes(found, prim.Prim(x, y, mass_min=mass_min, peel_alpha=peel_alpha), x, y,
                    max_boxes, min_coverage, min_density_gain, min_box_coverage, max_qp)
    if not found.boxes:
        found.note = "PRIM found no box that concentrates failures"
    return found


def _peel_boxes(found: Discovery, p: object, x: pd.DataFrame, y: np.ndarray, max_boxes: int,
                min_coverage: float, min_density_gain: float, min_box_coverage: float,
                max_qp: float) -> None:
    """Find up to ``max_boxes`` boxes one after another, keeping those worth reporting."""
    remaining_rate = found.base_rate
    for i in range(max_boxes):
        box = p.find_box()
        if box is None:
            break
        chosen = _choose(box.peeling_trajectory, min_coverage)
        row = box.peeling_trajectory.iloc[chosen]
        limits = _limits(box, chosen, x)
        significant = bool((limits[["qp_low", "qp_high"]].min(axis=1) < max_qp).any())
        if (row["density"] < _density_needed(remaining_rate, found.base_rate, min_density_gain)
                or row["coverage"] < min_box_coverage or not significant):
            break
        box.select(chosen)  # the next box is sought among the runs outside this one
        found.boxes.append(Box(i + 1, float(row["coverage"]), float(row["density"]),
                               float(row["mass"]), int(row["n"]), int(row["k"]),
                               limits, box.peeling_trajectory.copy(), chosen))
        left = y.sum() - sum(b.k for b in found.boxes)
        remaining_rate = left / max(len(y) - sum(b.n for b in found.boxes), 1)
        if left <= 0:
            break


def _density_needed(rate: float, base_rate: float, gain: float) -> float:
    """Least density a box must reach among runs failing at ``rate``.

    ``gain`` times the rate — but where that is out of reach (a rate above
    ``1 / gain``, e.g. three runs in four failing) half-way from the rate to 1
    is enough; never below the overall failure rate.
    """
    return max(min(gain * rate, rate + (1.0 - rate) / 2.0), base_rate)


def _choose(traj: pd.DataFrame, min_coverage: float) -> int:
    """Highest density with coverage ≥ min_coverage; ties to the larger coverage."""
    ok = traj[traj["coverage"] >= min_coverage]
    if ok.empty:
        ok = traj
    best = ok[ok["density"] >= ok["density"].max() - 1e-12]
    return int(best["coverage"].idxmax())


def _limits(box, i: int, x: pd.DataFrame) -> pd.DataFrame:
    """The restricted dimensions of trajectory point ``i`` with the full ranges and quasi-p.

    Read from the box's own ``box_lims`` and ``p_values`` rather than through
    ``box.inspect(style="data")``: that writes a categorical restriction (a set
    of levels) into a float table, which pandas 3 refuses (``Invalid value
    '{'false'}' for dtype 'float64'``).
    """
    lims, init = box.box_lims[i], box.box_lims[0]
    p_values = box.p_values[i]
    rows = []
    for param in lims.columns:
        lo, hi = lims[param].iloc[0], lims[param].iloc[1]
        lo0, hi0 = init[param].iloc[0], init[param].iloc[1]
        if _same(lo, lo0) and _same(hi, hi0):
            continue  # not restricted
        qp = [*p_values.get(param, ()), np.nan, np.nan]
        row = {"parameter": param, "qp_low": _num(qp[0]), "qp_high": _num(qp[1])}
        if pd.api.types.is_numeric_dtype(x[param]):
            row.update(low=float(lo), high=float(hi), range_low=float(x[param].min()),
                       range_high=float(x[param].max()), levels="")
        else:
            kept = sorted(map(str, lo)) if isinstance(lo, set | frozenset) else [str(lo)]
            row.update(low=np.nan, high=np.nan, range_low=np.nan, range_high=np.nan,
                       levels=", ".join(kept))
        rows.append(row)
    cols = ["parameter", "low", "high", "levels", "range_low", "range_high", "qp_low", "qp_high"]
    return pd.DataFrame(rows, columns=cols)


def _same(a: object, b: object) -> bool:
    if isinstance(a, set | frozenset) or isinstance(b, set | frozenset):
        return set(a) == set(b)  # type: ignore[arg-type]
    return bool(a == b)


def _num(v: object) -> float:
    """A quasi-p value as a float; EMA's -1 (no test on this side) becomes NaN."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return float("nan") if f < 0 else f


def describe_limit(limit: Mapping[str, Any], name: str) -> str:
    """One row of a box's limits as text, e.g. ``name ≤ 0.494`` or ``name in {false}``.

    A side of a range that PRIM left at the sampled extreme is not a restriction
    and is not written; an empty string if neither side restricts.
    """
    if limit["levels"]:
        return f"{name} in {{{limit['levels']}}}"
    low, high = limit["low"], limit["high"]
    range_low, range_high = limit["range_low"], limit["range_high"]
    tol = 1e-3 * ((range_high - range_low) or 1.0)
    lo = low > range_low + tol
    hi = high < range_high - tol
    if lo and hi:
        return f"{low:.3g} ≤ {name} ≤ {high:.3g}"
    if hi:
        return f"{name} ≤ {high:.3g}"
    if lo:
        return f"{name} ≥ {low:.3g}"
    return ""


def describe_box(box: Box, names: Callable[[str], str] = str) -> str:
    """A box's restrictions as text, e.g. ``leader_commitment ≤ 0.395 and resources ≤ 0.494``.

    A side of a range that PRIM left at the sampled extreme is not a restriction
    and is not written.
    """
    parts = [describe_limit(r, names(r["parameter"])) for r in box.limits.to_dict("records")]
    return " and ".join(p for p in parts if p) or "(no restriction)"


def prim_table(found: Sequence[Discovery]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tidy tables: box statistics, and box limits, for every rule."""
    stats, limits = [], []
    for d in found:
        for b in d.boxes:
            stats.append({"rule": d.rule.text, "box": b.index, "coverage": b.coverage,
                          "density": b.density, "mass": b.mass, "runs_in_box": b.n,
                          "failures_in_box": b.k, "runs": d.n_runs, "failures": d.n_cases,
                          "base_rate": d.base_rate, "restricted": len(b.limits)})
            limits.append(b.limits.assign(rule=d.rule.text, box=b.index))
        if not d.boxes:
            stats.append({"rule": d.rule.text, "box": 0, "runs": d.n_runs,
                          "failures": d.n_cases, "base_rate": d.base_rate, "note": d.note})
    lim = pd.concat(limits, ignore_index=True) if limits else pd.DataFrame()
    if not lim.empty:
        lim = lim[["rule", "box", *[c for c in lim.columns if c not in ("rule", "box")]]]
    return pd.DataFrame(stats), lim

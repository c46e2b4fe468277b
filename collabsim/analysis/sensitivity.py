"""Sobol and Morris sensitivity indices of a sweep, computed by SALib, ranked.

The sweep's ``sample`` column is the row of the SALib design (the order SALib's
sampler produced); replicates of a point are averaged first, so the indices
describe the expected outcome. A point whose every replicate failed leaves a
hole SALib's estimators cannot bridge: that outcome is skipped with a note
rather than silently estimated from a broken design.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from collabsim.analysis.results import Results

__all__ = ["Sensitivity", "morris_indices", "sensitivity", "sobol_indices"]


@dataclass
class Sensitivity:
    """Ranked sensitivity indices of one sweep.

    Attributes:
        method: ``"sobol"`` or ``"morris"``.
        indices: Long table. Sobol: scenario, outcome, parameter, S1,
            S1_conf, ST, ST_conf, rank (1 = largest ST). Morris: scenario,
            outcome, parameter, mu, mu_star, mu_star_conf, sigma, rank (1 =
            largest μ*). ``*_conf`` is the half-width of the bootstrap
            confidence interval. Indices are per base scenario.
        second_order: Sobol S2 (outcome, parameter_a, parameter_b, S2,
            S2_conf), or None.
        notes: Why an outcome was skipped, and what the design was.
    """

    method: str
    indices: pd.DataFrame
    second_order: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def sensitivity(res: Results, outcomes: Sequence[str] | None = None, conf_level: float = 0.95,
                num_resamples: int = 200, seed: int = 0) -> Sensitivity | None:
    """Sobol or Morris indices of a sweep, by its sampler (None for other samplers)."""
    if res.sampler == "sobol":
        return sobol_indices(res, outcomes, conf_level, num_resamples, seed)
    if res.sampler == "morris":
        return morris_indices(res, outcomes, conf_level, num_resamples, seed)
    return None


def _problem(res: Results) -> tuple[dict[str, Any], list[str]]:
    """The SALib problem with the runs-table column of each variable."""
    problem = dict(res.problem or {})
    by_name = {p.name: p.column for p in res.parameters}
    cols = [by_name.get(n, n) for n in problem["names"]]
    problem["num_vars"] = len(cols)
    problem["bounds"] = [list(map(float, b)) for b in problem["bounds"]]
    return problem, cols


def _point_means(ok: pd.DataFrame, outcome: str, n_points: int) -> tuple[np.ndarray, int]:
    """Outcome averaged over finished replicates, in design order; and the number of holes."""
    means = ok.groupby("sample")[outcome].mean()
    y = means.reindex(np.arange(n_points)).to_numpy(dtype=float)
    return y, int(np.isnan(y).sum())


def _find_option(tree: Any, key: str) -> Any:
    """The first value of ``key`` anywhere in a nested manifest."""
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        for v in tree.values():
            found = _find_option(v, key)
            if found is not None:
                return found
    return None


def _second_order(res: Results, n_points: int, d: int) -> bool:
    """Whether a Saltelli design of ``n_points`` rows includes the second-order rows."""
    declared = _find_option(res.manifest, "calc_second_order")
    if declared is not None:
        return bool(declared)
    with_s2, without = n_points % (2 * d + 2) == 0, n_points % (d + 2) == 0
    if with_s2 and without:
        base = n_points // (2 * d + 2)
        return base & (base - 1) == 0  # SALib wants powers of two: the likelier reading
    return with_s2


def sobol_indices(res: Results, outcomes: Sequence[str] | None = None, conf_level: float = 0.95,
                  num_resamples: int = 200, seed: int = 0) -> Sensitivity:
    """First- and total-order (and, if designed, second-order) Sobol indices per outcome.

    Args:
        res: A sweep with sampler ``"sobol"`` and its SALib problem.
        outcomes: Outcome columns (default: all).
        conf_level: Confidence level of the bootstrap intervals.
        num_resamples: Bootstrap resamples.
        seed: Seed of the bootstrap.

    Returns:
        The ranked indices.
    """
    from SALib.analyze import sobol

    problem, cols = _problem(res)
    d = problem["num_vars"]
    n_points = int(res.runs["sample"].max()) + 1
    second = _second_order(res, n_points, d)
    step = 2 * d + 2 if second else d + 2
    notes = [f"Sobol design: {n_points} points = N {n_points // step} × {step} "
             f"({'with' if second else 'without'} second-order rows), {d} parameters; "
             f"replicates averaged per point; {conf_level:.0%} bootstrap CIs "
             f"({num_resamples} resamples)."]
    if n_points % step:
        notes.append(f"{n_points} points is not a multiple of {step}: not a Saltelli design.")
        return Sensitivity("sobol", pd.DataFrame(), None, notes)
    rows, s2rows = [], []
    for scenario, _, outcome, y in _designs(res, outcomes, n_points, notes):
        si = sobol.analyze(problem, y, calc_second_order=second, num_resamples=num_resamples,
                           conf_level=conf_level, seed=seed)
        for j, col in enumerate(cols):
            rows.append({"scenario": scenario, "outcome": outcome, "parameter": col,
                         "S1": si["S1"][j], "S1_conf": si["S1_conf"][j], "ST": si["ST"][j],
                         "ST_conf": si["ST_conf"][j]})
        if second:
            for a in range(d):
                for b in range(a + 1, d):
                    s2rows.append({"scenario": scenario, "outcome": outcome,
                                   "parameter_a": cols[a], "parameter_b": cols[b],
                                   "S2": si["S2"][a, b], "S2_conf": si["S2_conf"][a, b]})
    table = _ranked(pd.DataFrame(rows), "ST")
    return Sensitivity("sobol", table, pd.DataFrame(s2rows) if second else None, notes)


def morris_indices(res: Results, outcomes: Sequence[str] | None = None, conf_level: float = 0.95,
                   num_resamples: int = 200, seed: int = 0) -> Sensitivity:
    """Morris elementary-effect statistics (μ, μ*, σ) per outcome, ranked by μ*."""
    from SALib.analyze import morris

    problem, cols = _problem(res)
    d = problem["num_vars"]
    n_points = int(res.runs["sample"].max()) + 1
    levels = int(_find_option(res.manifest, "num_levels") or 4)
    notes = [f"Morris design: {n_points} points = {n_points // (d + 1)} trajectories × "
             f"{d + 1}, {levels} levels; replicates averaged per point; {conf_level:.0%} "
             f"bootstrap CI of μ* ({num_resamples} resamples)."]
    if n_points % (d + 1):
        notes.append(f"{n_points} points is not a multiple of {d + 1}: not a Morris design.")
        return Sensitivity("morris", pd.DataFrame(), None, notes)
    x = (res.runs.groupby("sample")[cols].first().reindex(np.arange(n_points))
         .astype(float).to_numpy())
    rows = []
    for scenario, _, outcome, y in _designs(res, outcomes, n_points, notes):
        si = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=conf_level,
                            num_levels=levels, seed=seed)
        for j, col in enumerate(cols):
            rows.append({"scenario": scenario, "outcome": outcome, "parameter": col,
                         "mu": si["mu"][j], "mu_star": si["mu_star"][j],
                         "mu_star_conf": si["mu_star_conf"][j], "sigma": si["sigma"][j]})
    return Sensitivity("morris", _ranked(pd.DataFrame(rows), "mu_star"), None, notes)


def _designs(res: Results, outcomes: Sequence[str] | None, n_points: int, notes: list[str]
             ) -> Iterator[tuple[str, pd.DataFrame, str, np.ndarray]]:
    """Each (scenario, outcome) design that can be analysed, with its per-point means.

    Every base scenario runs the whole design (``sample`` restarts per scenario),
    so indices are computed per scenario. Designs with holes (a point without a
    finished run) or a constant outcome are skipped with a note.
    """
    ok = res.ok
    many = len(res.scenarios) > 1
    for scenario in res.scenarios:
        part = ok[ok["scenario"] == scenario]
        where = f"{scenario}: " if many else ""
        for outcome in outcomes or res.outcomes:
            y, holes = _point_means(part, outcome, n_points)
            if holes:
                notes.append(f"{where}{outcome}: skipped, {holes} design point(s) have no "
                             "finished run or a missing value.")
            elif np.ptp(y) == 0:
                notes.append(f"{where}{outcome}: skipped, constant over the design.")
            else:
                yield scenario, part, outcome, y


def _ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    if table.empty:
        return table
    keys = ["scenario", "outcome"]
    table = table.sort_values([*keys, by], ascending=[True, True, False], kind="stable")
    table["rank"] = table.groupby(keys).cumcount() + 1
    return table.reset_index(drop=True)

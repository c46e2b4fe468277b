"""Runs over a calibration's posterior: which posterior, how many draws, the split of uncertainty.

A sweep or comparison run with ``--posterior DIR`` records each run's draw
(``posterior_draw``) and the manifest records the posterior. For every scenario
and design point, each outcome's mean over the runs is pooled over the draws by
Rubin's rules (:func:`collabsim.effects.pool_draws`): the 95 % interval combines
the parameter uncertainty (variance between draws) and the stochastic noise
(within draws), and ``param_share`` is the parameters' share of that variance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from collabsim.analysis.results import Results
from collabsim.effects import pool_draws
from collabsim.experiments.records import DRAW_COLUMN, PARTICLE_COLUMN, POSTERIOR_PREFIX

__all__ = ["posterior_draws_table", "posterior_overview", "posterior_uncertainty"]


def posterior_uncertainty(res: Results, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """Each outcome per scenario and design point, pooled over the posterior draws.

    Args:
        res: Results whose runs carry ``posterior_draw``.
        outcomes: The outcomes (default: every outcome).

    Returns:
        Long table: scenario, sample, the parameter values, metric, mean, ci_low,
        ci_high, n, p_value, draws, df, noise_var, param_var, total_var,
        param_share; empty when the runs are not over a posterior.
    """
    if DRAW_COLUMN not in res.runs:
        return pd.DataFrame()
    ok = res.ok
    cols = [c for c in (outcomes or res.outcomes) if c in ok]
    keys = ["scenario", "sample"]
    table = pool_draws(ok, keys, cols).drop(columns="p_value")
    if res.parameter_columns:
        params = ok.groupby(keys, sort=True)[res.parameter_columns].first().reset_index()
        table = table.merge(params, on=keys, how="left")
        order = [*keys, *res.parameter_columns]
        table = table[[*order, *[c for c in table.columns if c not in order]]]
    return table.sort_values(["metric", *keys], kind="stable").reset_index(drop=True)


def posterior_draws_table(res: Results) -> pd.DataFrame:
    """The drawn particles: draw, particle, weight, the particle's seed and values."""
    post = res.posterior
    if post is None:
        return pd.DataFrame()
    rows = [{DRAW_COLUMN: d.get("draw"), PARTICLE_COLUMN: d.get("particle"),
             "weight": d.get("weight"), "particle_seed": d.get("seed"),
             **(d.get("values") or {})} for d in post.get("drawn") or []
            if isinstance(d, dict)]
    if rows:
        return pd.DataFrame(rows)
    cols = [c for c in res.runs.columns if c.startswith(POSTERIOR_PREFIX)]
    return (res.runs[[DRAW_COLUMN, PARTICLE_COLUMN, *cols]].drop_duplicates(DRAW_COLUMN)
            .rename(columns=lambda c: c.removeprefix(POSTERIOR_PREFIX)).reset_index(drop=True))


def posterior_overview(res: Results, table: pd.DataFrame) -> dict[str, Any]:
    """What the report says of the posterior: where from, draws, replications, the split.

    Args:
        res: The results.
        table: :func:`posterior_uncertainty` of them.

    Returns:
        ``dir``, ``name``, ``hash``, ``particles``, ``draws``, ``replications`` (per
        draw), ``unused`` notes, and ``shares``: per outcome the median parameter
        share of the variance over the scenarios and points.
    """
    post = res.posterior or {}
    reps = int(res.ok.groupby(["scenario", "sample", DRAW_COLUMN])["replicate"].nunique().max()
               ) if len(res.ok) else 0
    shares = (table.dropna(subset=["param_share"]).groupby("metric", sort=False)["param_share"]
              .median().to_dict() if len(table) else {})
    return {"dir": post.get("dir"), "name": post.get("name"), "hash": post.get("hash"),
            "particles": post.get("particles"), "generation": post.get("generation"),
            "draws": int(res.runs[DRAW_COLUMN].nunique()), "replications": reps,
            "notes": list(post.get("notes") or []), "shares": shares}

"""Running the model: one run with tidy results, and replicated comparisons.

:func:`run` is the seam every runner (CLI, experiments, Dask workers) calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from collabsim.metrics import summarise
from collabsim.model import CollabModel
from collabsim.rng import replicate_seeds
from collabsim.scenario import Scenario, load_scenario

__all__ = ["RunResult", "compare", "confidence_table", "mean_ci", "result_of", "run",
           "t_halfwidth"]


@dataclass
class RunResult:
    """The tidy result of one run.

    Attributes:
        scenario: The fully resolved scenario that ran.
        seed: The run's root seed.
        timeseries: One row per day, one column per metric.
        summary: Before/after and final outcomes (see :func:`collabsim.metrics.summarise`).
    """

    scenario: Scenario
    seed: int
    timeseries: pd.DataFrame
    summary: dict[str, float]


def run(scenario: Scenario | str | Path, seed: int, steps: int | None = None,
        n_citizens: int | None = None, overrides: Mapping[str, Any] | None = None,
        window_start: int | None = None) -> RunResult:
    """Run one simulation and return its time series and summary.

    Args:
        scenario: A Scenario, preset name or TOML path.
        seed: Root seed.
        steps: Days to simulate (default: the scenario's ``steps``).
        n_citizens: Number of citizens (default: the scenario's).
        overrides: Dotted key paths to values.
        window_start: Day that splits the before/after summary windows (default:
            the scenario's ``collaboration_start``; a counterfactual is summarised
            on its factual run's windows).

    Returns:
        The run's :class:`RunResult`.
    """
    model = CollabModel(scenario, seed=seed, n_citizens=n_citizens, overrides=overrides)
    model.run(steps)
    return result_of(model, window_start)


def result_of(model: CollabModel, window_start: int | None = None) -> RunResult:
    """The tidy result of a model that has run (summarised on ``window_start``'s windows)."""
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    start = model.config.collaboration_start if window_start is None else int(window_start)
    summary = summarise(df, min(start, len(df)), model.config.warmup_days, model.metrics)
    if model.levy_target_per_year <= 0:  # no levy target (e.g. a free permit): no share of it
        summary.pop("levy_target_share_final", None)
    return RunResult(model.config, model.seed, df, summary)


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of replicate values.

    Returns:
        ``(mean, low, high)``; the interval collapses to the mean for one value.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2 or np.ptp(x) == 0:
        return m, m, m
    from scipy import stats  # here: a worker process that only runs models skips it

    ci = stats.ttest_1samp(x, 0.0).confidence_interval(level)
    return m, float(ci.low), float(ci.high)


def t_halfwidth(std: ArrayLike, n: ArrayLike, level: float = 0.95) -> np.ndarray:
    """Half-width of the Student-t interval of a mean, for many groups at once.

    The one vectorised form of the interval :func:`mean_ci` gives
    for one group (a Sobol design has thousands of points; a time series
    thousands of days): ``t(level, n − 1) · std / √n``, 0 for a group of one.

    Args:
        std: Sample standard deviations (``ddof=1``).
        n: Group sizes.
        level: Confidence level.
    """
    from scipy import stats

    n = np.asarray(n, float)
    tq = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, tq * np.asarray(std, float) / np.sqrt(np.maximum(n, 1)), 0.0)


def confidence_table(summaries: pd.DataFrame, by: str = "scenario") -> pd.DataFrame:
    """Means with 95 % confidence intervals per metric and group.

    Args:
        summaries: One row per run, a ``by`` column and numeric outcome columns.
        by: The grouping column.

    Returns:
        Long table: ``by``, metric, mean, ci_low, ci_high, n.
    """
    skip = (by, "seed", "replicate")
    numeric = [c for c in summaries.columns
               if c not in skip and pd.api.types.is_numeric_dtype(summaries[c])]
    cols = ["mean", "ci_low", "ci_high", "n"]
    if not numeric or summaries.empty:
        return pd.DataFrame(columns=[by, "metric", *cols])
    # mean_ci's Student-t interval for every group and metric at once: the same
    # numbers, without a scipy call per cell (a Sobol design has thousands of groups)
    g = summaries[[by, *numeric]].groupby(by, sort=False)[numeric]
    mean, std, n = g.mean(), g.std(ddof=1), g.count()
    spread = ((g.max() - g.min()) > 0).to_numpy()
    half = np.where(spread, t_halfwidth(std.to_numpy(float), n.to_numpy()), 0.0)
    table = pd.DataFrame({
        by: np.repeat(mean.index.to_numpy(), len(numeric)),
        "metric": np.tile(numeric, len(mean)),
        "mean": mean.to_numpy(float).ravel(),
        "ci_low": (mean.to_numpy(float) - half).ravel(),
        "ci_high": (mean.to_numpy(float) + half).ravel(),
        "n": n.to_numpy().ravel().astype(int)})
    return table


def compare(scenarios: Sequence[Scenario | str | Path], replications: int = 20,
            root_seed: int = 0, steps: int | None = None, n_citizens: int | None = None,
            overrides: Mapping[str, Any] | None = None,
            progress: Callable[[int, int], None] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run each scenario over replications with common seeds.

    Every scenario gets the same replicate seeds (common random numbers), so
    differences between scenarios are not seed noise.

    Returns:
        ``(summaries, timeseries)``: one row per run; and the long time series
        with ``scenario``, ``replicate`` and ``seed`` columns.
    """
    seeds = replicate_seeds(root_seed, replications)
    loaded = [load_scenario(s, overrides) for s in scenarios]
    rows, series = [], []
    total, done = len(loaded) * len(seeds), 0
    for sc in loaded:
        for r, seed in enumerate(seeds):
            res = run(sc, seed, steps, n_citizens)
            rows.append({"scenario": sc.name, "replicate": r, "seed": seed, **res.summary})
            ts = res.timeseries.assign(scenario=sc.name, replicate=r, seed=seed)
            series.append(ts)
            done += 1
            if progress:
                progress(done, total)
    return pd.DataFrame(rows), pd.concat(series, ignore_index=True)

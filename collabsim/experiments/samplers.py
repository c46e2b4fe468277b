"""Parameter points from the declared parameters: full-factorial grid, or SALib's samplers.

The ranges are declared once (in the spec) and turned both into the sample and
into the SALib ``problem`` that later analyses it (the EMA Workbench habit).
Latin hypercube, Sobol/Saltelli and Morris are SALib's own samplers, called
with a seed drawn from the experiment's root seed, so the design is the same
every time the spec is loaded — which is what makes resuming safe.

Row order is SALib's: row ``i`` of the sample is ``sample == i`` in
``runs.parquet``, so ``sobol.analyze(problem, Y)`` applies to the per-sample
mean ``Y`` of an outcome, and ``morris.analyze(problem, X, Y)`` to the
per-sample parameter columns ``X``.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from collabsim.experiments.records import Parameter
from collabsim.rng import stream

__all__ = ["grid_points", "salib_problem", "salib_sample", "sample_points"]


def salib_problem(params: Sequence[Parameter]) -> dict[str, Any]:
    """The SALib problem of the declared parameters (names = runs-table columns).

    Integer keys are sampled on ``[low, high + 1)`` and floored, so every whole
    number in ``[low, high]`` is equally likely; their problem bounds say so.
    """
    return {"num_vars": len(params), "names": [p.name for p in params],
            "bounds": [p.salib_bounds() for p in params]}


def grid_points(params: Sequence[Parameter]) -> pd.DataFrame:
    """Full factorial over the parameters' values; the last parameter varies fastest."""
    if not params:
        return pd.DataFrame(index=pd.RangeIndex(1))
    rows = list(itertools.product(*(p.grid_values() for p in params)))
    cols = {p.name: [r[i] for r in rows] for i, p in enumerate(params)}
    return pd.DataFrame(cols)


def salib_sample(sampler: Any, problem: dict[str, Any], seed: int) -> np.ndarray:
    """SALib's sample for an LHS, Sobol or Morris sampler spec.

    Args:
        sampler: A :class:`~collabsim.experiments.spec.LatinSampler`,
            ``SobolSampler`` or ``MorrisSampler``.
        problem: The SALib problem.
        seed: The sampler's seed.

    Returns:
        The sample matrix, one row per point, in SALib's order.
    """
    rng = np.random.default_rng(seed)
    method = sampler.method
    if method == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, sampler.n, seed=rng)
    if method == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return sobol.sample(problem, sampler.n, calc_second_order=sampler.calc_second_order,
                                scramble=sampler.scramble, seed=rng)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, sampler.trajectories, num_levels=sampler.num_levels,
                             optimal_trajectories=sampler.optimal_trajectories,
                             local_optimization=sampler.local_optimization, seed=rng)
    raise ValueError(f"unknown sampler {method!r}")


def sampler_seed(sampler: Any, root_seed: int) -> int:
    """The sampler's seed: its own ``seed``, else one drawn from the root seed's stream."""
    if getattr(sampler, "seed", None) is not None:
        return int(sampler.seed)
    return int(stream(root_seed, "experiments.sampler").integers(0, 2**63 - 1))


def sample_points(sampler: Any, params: Sequence[Parameter], root_seed: int) -> pd.DataFrame:
    """The parameter points of an experiment, one row per sample, one column per parameter.

    Grid columns hold the levels themselves; LHS/Sobol/Morris columns hold
    SALib's numbers (for integer keys the scenario gets their floor, see
    :meth:`~collabsim.experiments.records.Parameter.value`).
    """
    if sampler.method == "grid":
        return grid_points(params)
    x = salib_sample(sampler, salib_problem(params), sampler_seed(sampler, root_seed))
    return pd.DataFrame(x.astype("float64"), columns=[p.name for p in params])

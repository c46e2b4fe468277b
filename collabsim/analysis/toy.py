"""Toy results directories with known answers, written in the sweep's layout.

They let the analysis be checked against truth through exactly the path a real
sweep takes (``runs.parquet`` + ``timeseries.parquet`` + ``manifest.json`` →
:func:`collabsim.analysis.analyze`):

* :func:`write_ishigami` — the Ishigami function (Ishigami & Homma 1990), whose
  first- and total-order Sobol indices are known in closed form
  (:data:`ISHIGAMI_S1`, :data:`ISHIGAMI_ST`).
* :func:`write_linear_morris` — a linear model whose Morris elementary effects
  are its coefficients: μ* = |a_i|, σ = 0.
* :func:`write_planted_failure` — a Latin-hypercube runs table with a failure
  region planted in two parameters, for scenario discovery.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ISHIGAMI_S1",
    "ISHIGAMI_ST",
    "PLANTED_REGION",
    "ishigami",
    "write_ishigami",
    "write_linear_morris",
    "write_planted_failure",
]

_A, _B = 7.0, 0.1
_V = _A**2 / 8 + _B * np.pi**4 / 5 + _B**2 * np.pi**8 / 18 + 0.5
_V1 = 0.5 * (1 + _B * np.pi**4 / 5) ** 2
_V2 = _A**2 / 8
_V13 = _B**2 * np.pi**8 * (1 / 18 - 1 / 50)

#: Known first-order Sobol indices of Ishigami (a = 7, b = 0.1) for x1, x2, x3.
ISHIGAMI_S1 = (_V1 / _V, _V2 / _V, 0.0)
#: Known total-order Sobol indices of Ishigami (a = 7, b = 0.1) for x1, x2, x3.
ISHIGAMI_ST = ((_V1 + _V13) / _V, _V2 / _V, _V13 / _V)

#: The planted failure region of :func:`write_planted_failure`.
PLANTED_REGION = {"agencies.*.leader_commitment": (0.0, 0.4), "agencies.*.resources": (0.0, 0.5)}


def ishigami(x: np.ndarray) -> np.ndarray:
    """The Ishigami function ``sin x1 + a sin² x2 + b x3⁴ sin x1`` (a = 7, b = 0.1)."""
    return np.sin(x[:, 0]) + _A * np.sin(x[:, 1]) ** 2 + _B * x[:, 2] ** 4 * np.sin(x[:, 0])


def _param_entries(names: Sequence[str], bounds: Sequence[Sequence[float]]) -> list[dict]:
    return [{"name": n.split(".")[-1], "key": n, "bounds": list(map(float, b))}
            for n, b in zip(names, bounds, strict=True)]


def _write(path: Path, runs: pd.DataFrame, manifest: dict, days: int = 30) -> Path:
    """Write runs, a small long time series and the manifest; return the directory."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(path / "runs.parquet", index=False)
    outcome = manifest["outcome_columns"][0]
    ok = runs[runs["status"] == "ok"]
    day = np.arange(days)
    ts = pd.DataFrame({
        "run_id": np.repeat(ok["run_id"].to_numpy(), days),
        "day": np.tile(day, len(ok)),
        outcome: np.repeat(ok[outcome].to_numpy(), days) * np.tile(day / (days - 1), len(ok)),
    })
    ts.to_parquet(path / "timeseries.parquet", index=False)
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return path


def _runs_table(x: np.ndarray, names: Sequence[str], outcomes: dict[str, np.ndarray],
                replications: int, seed: int, scenario: str = "toy") -> pd.DataFrame:
    n = x.shape[0]
    sample = np.repeat(np.arange(n), replications)
    rep = np.tile(np.arange(replications), n)
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "run_id": np.arange(n * replications, dtype="int64"),
        "scenario": scenario,
        "sample": sample.astype("int64"),
        "replicate": rep.astype("int64"),
        "seed": rng.integers(0, 2**62, n * replications, dtype="int64"),
        "status": "ok",
        "error": "",
    })
    for j, name in enumerate(names):
        df[name] = x[sample, j]
    for key, y in outcomes.items():
        df[key] = y[sample]
    return df


def write_ishigami(path: str | Path, n: int = 1024, replications: int = 1,
                   noise_sd: float = 0.0, seed: int = 0, calc_second_order: bool = False) -> Path:
    """Write a Sobol (Saltelli) sweep of the Ishigami function.

    Args:
        path: Output directory.
        n: SALib base sample size (a power of two).
        replications: Runs per parameter point; each adds Normal noise.
        noise_sd: Standard deviation of the per-run noise (0 = deterministic).
        seed: Seed of the sample scrambling and the noise.
        calc_second_order: Whether the design includes second-order rows.

    Returns:
        The directory.
    """
    from SALib.sample import sobol as sobol_sample

    names = ["toy.x1", "toy.x2", "toy.x3"]
    problem = {"num_vars": 3, "names": names, "bounds": [[-np.pi, np.pi]] * 3}
    x = sobol_sample.sample(problem, n, calc_second_order=calc_second_order, seed=seed)
    y = ishigami(x)
    runs = _runs_table(x, names, {"y": y}, replications, seed)
    if noise_sd > 0:
        runs["y"] += np.random.default_rng(seed + 1).normal(0, noise_sd, len(runs))
    manifest = {
        "spec": {"name": "ishigami", "scenario": "toy", "replications": replications,
                 "root_seed": seed, "sampler": {"kind": "sobol", "n": n,
                                                "calc_second_order": calc_second_order}},
        "sampler": "sobol",
        "parameters": _param_entries(names, problem["bounds"]),
        "problem": problem,
        "outcome_columns": ["y"],
        "counts": {"samples": int(x.shape[0]), "runs": len(runs)},
    }
    return _write(Path(path), runs, manifest)


def write_linear_morris(path: str | Path, coefficients: Sequence[float] = (4.0, -2.0, 0.0),
                        trajectories: int = 20, num_levels: int = 4, seed: int = 0) -> Path:
    """Write a Morris sweep of ``y = Σ a_i x_i`` on the unit cube (μ*_i = |a_i|, σ_i = 0).

    Returns:
        The directory.
    """
    from SALib.sample import morris as morris_sample

    names = [f"toy.x{i + 1}" for i in range(len(coefficients))]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    x = morris_sample.sample(problem, trajectories, num_levels=num_levels, seed=seed)
    y = x @ np.asarray(coefficients, dtype=float)
    runs = _runs_table(x, names, {"y": y}, 1, seed)
    manifest = {
        "spec": {"name": "linear_morris", "scenario": "toy", "replications": 1,
                 "root_seed": seed, "sampler": {"kind": "morris", "trajectories": trajectories,
                                                "num_levels": num_levels}},
        "sampler": "morris",
        "parameters": _param_entries(names, problem["bounds"]),
        "problem": problem,
        "outcome_columns": ["y"],
    }
    return _write(Path(path), runs, manifest)


def write_planted_failure(path: str | Path, n: int = 1000, seed: int = 0,
                          n_failed_runs: int = 0) -> Path:
    """Write a Latin-hypercube sweep whose levy fails inside :data:`PLANTED_REGION`.

    Four parameters are sampled: leader commitment and resources (the planted
    region: both low), communication openness (irrelevant) and an integer
    ``licensing.joint_stages`` in 1–6 (irrelevant; integer on purpose, the
    EMA Workbench's PRIM needs it cast to float under pandas 3).
    ``levy_target_share_final`` is about 0.3 inside the region and 0.9 outside.

    Args:
        path: Output directory.
        n: Number of runs (one replicate each).
        seed: Seed of the sample and noise.
        n_failed_runs: How many runs to mark as failed (errors are data).

    Returns:
        The directory.
    """
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    u = qmc.LatinHypercube(d=4, seed=rng).random(n)
    names = ["agencies.*.leader_commitment", "agencies.*.resources",
             "agencies.*.communication_openness", "licensing.joint_stages"]
    x = u.copy()
    x[:, 3] = np.floor(1 + 6 * u[:, 3])
    inside = np.ones(n, dtype=bool)
    for j, (lo, hi) in enumerate(PLANTED_REGION.values()):
        inside &= (x[:, j] >= lo) & (x[:, j] < hi)
    levy = np.where(inside, 0.3, 0.9) + rng.normal(0, 0.05, n)
    permits = np.where(inside, 6.0, 14.0) + rng.normal(0, 1.0, n)
    runs = _runs_table(x, names, {"levy_target_share_final": levy,
                                  "permits_issued_per_month_after": permits}, 1, seed, "pbg")
    runs["licensing.joint_stages"] = runs["licensing.joint_stages"].astype("int64")
    if n_failed_runs:
        bad = rng.choice(n, n_failed_runs, replace=False)
        runs.loc[bad, "status"] = "failed"
        runs.loc[bad, "error"] = "RuntimeError: planted failure"
        runs.loc[bad, ["levy_target_share_final", "permits_issued_per_month_after"]] = np.nan
    bounds = [[0.0, 1.0]] * 3 + [[1, 6]]
    manifest = {
        "spec": {"name": "planted_failure", "scenario": "pbg", "replications": 1,
                 "root_seed": seed, "sampler": {"kind": "lhs", "n": n}},
        "sampler": "lhs",
        "parameters": _param_entries(names, bounds),
        "outcome_columns": ["levy_target_share_final", "permits_issued_per_month_after"],
    }
    return _write(Path(path), runs, manifest)

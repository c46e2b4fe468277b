"""Experiments: specs, samplers, runners (sequential, processes, Dask) and the results store.

Typical use::

    from collabsim.experiments import load_experiment, run_experiment

    exp = load_experiment("experiments/pbg_preparedness_grid.toml")
    res = run_experiment(exp, "results/pbg_grid", runner="processes", workers=4)
    res.runs          # one row per run: run_id, scenario, sample, replicate, seed, ...
    res.timeseries    # long: run_id, day, the kept metrics

The command line is ``collabsim sweep SPEC --out DIR``; see ``docs/experiments.md``.
The names below are imported on first use (PEP 562), so that ``collabsim sweep --help``
loads no pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collabsim.experiments.runners import (
        DaskRunner,
        ProcessRunner,
        Runner,
        SequentialRunner,
        Status,
        SweepResults,
        make_runner,
        run_experiment,
    )
    from collabsim.experiments.spec import Experiment, Parameter, SpecError, load_experiment
    from collabsim.experiments.store import ResultStore, StoreError

__all__ = [
    "DaskRunner",
    "Experiment",
    "Parameter",
    "ProcessRunner",
    "ResultStore",
    "Runner",
    "SequentialRunner",
    "SpecError",
    "Status",
    "StoreError",
    "SweepResults",
    "load_experiment",
    "make_runner",
    "run_experiment",
]

_LAZY = {
    **dict.fromkeys(("DaskRunner", "ProcessRunner", "Runner", "SequentialRunner", "Status",
                     "SweepResults", "make_runner", "run_experiment"),
                    "collabsim.experiments.runners"),
    **dict.fromkeys(("Experiment", "Parameter", "SpecError", "load_experiment"),
                    "collabsim.experiments.spec"),
    **dict.fromkeys(("ResultStore", "StoreError"), "collabsim.experiments.store"),
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'collabsim.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

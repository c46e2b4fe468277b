"""Experiments: specs, samplers, runners (sequential, processes, Dask) and the results store.

Typical use::

    from collabsim.experiments import load_experiment, run_experiment

    exp = load_experiment("experiments/pbg_preparedness_grid.toml")
    res = run_experiment(exp, "results/pbg_grid", runner="processes", workers=4)
    res.runs          # one row per run: run_id, scenario, sample, replicate, seed, ...
    res.timeseries    # long: run_id, day, the kept metrics

The command line is ``collabsim sweep SPEC --out DIR``; see ``docs/experiments.md``.
"""

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

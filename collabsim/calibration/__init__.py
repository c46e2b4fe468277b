"""Calibration: observed patterns, ABC-SMC over the assumption parameters, validation.

* :mod:`collabsim.calibration.patterns` — the observed patterns (``calibration/patterns.toml``)
  and how each is computed from a run.
* :mod:`collabsim.calibration.spec` — calibration specs (``calibration/jambi.toml``): priors
  on scenario key paths, the patterns fitted, replications, the ABC settings.
* :mod:`collabsim.calibration.abc` — ABC-SMC with pyabc (optional extra ``calibrate``):
  resumable from its SQLite history, with a run budget, on local processes or Dask.
* :mod:`collabsim.calibration.outputs` — ``posterior.parquet``, ``validation.csv``,
  posterior summaries, correlations and plots.
"""

from collabsim.calibration.patterns import (
    Pattern,
    PatternError,
    compute_pattern,
    load_patterns,
    pattern_deviation,
)

__all__ = ["Pattern", "PatternError", "compute_pattern", "load_patterns", "pattern_deviation"]

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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collabsim.calibration.patterns import (
        Pattern,
        PatternError,
        compute_pattern,
        load_patterns,
        pattern_deviation,
    )

__all__ = ["Pattern", "PatternError", "compute_pattern", "load_patterns", "pattern_deviation"]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562): ``collabsim --help`` loads no NumPy."""
    if name not in __all__:
        raise AttributeError(f"module 'collabsim.calibration' has no attribute {name!r}")
    value = getattr(importlib.import_module("collabsim.calibration.patterns"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

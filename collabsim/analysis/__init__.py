"""Analysis of results: comparisons, sensitivity, scenario discovery, stylized facts, reports.

``analyze(DIR)`` reads a sweep's or a comparison's results directory and writes
every table (CSV, Parquet) and figure (PNG, SVG); ``build_report`` renders one
self-contained HTML report. Only :mod:`collabsim.analysis.plots` imports matplotlib,
and only when a figure is drawn. The names below are imported on first use (PEP 562), so
that ``collabsim analyze --help`` loads no pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collabsim.analysis.analyze import Analysis, analyze
    from collabsim.analysis.report import build_report
    from collabsim.analysis.results import Results, load_results

__all__ = ["Analysis", "Results", "analyze", "build_report", "load_results"]

_LAZY = {"Analysis": "collabsim.analysis.analyze", "analyze": "collabsim.analysis.analyze",
         "build_report": "collabsim.analysis.report", "Results": "collabsim.analysis.results",
         "load_results": "collabsim.analysis.results"}


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'collabsim.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

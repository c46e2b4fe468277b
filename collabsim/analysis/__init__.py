"""Analysis of results: comparisons, sensitivity, scenario discovery, stylized facts, reports.

``analyze(DIR)`` reads a sweep's or a comparison's results directory and writes
every table (CSV, Parquet) and figure (PNG, SVG); ``build_report`` renders one
self-contained HTML report. Only :mod:`collabsim.analysis.plots` imports matplotlib,
and only when a figure is drawn.
"""

from collabsim.analysis.analyze import Analysis, analyze
from collabsim.analysis.report import build_report
from collabsim.analysis.results import Results, load_results

__all__ = ["Analysis", "Results", "analyze", "build_report", "load_results"]

"""Analysis of results: comparisons, plots (and, later, sensitivity and reports)."""

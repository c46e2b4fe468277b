"""The tutorial notebooks of docs/tutorials/ execute at small scale and show what they teach.

Each committed notebook is executed cell by cell with nbclient, on an ipykernel of this
interpreter, in a temporary working directory, with ``COLLABSIM_TUTORIAL_SCALE=small``
(``docs/tutorials/build.py`` holds their sources and the executor). A cell that raises fails
the test; then a few things each notebook must show are checked in its outputs and in the
files its commands wrote.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "docs" / "tutorials"
NAMES = ("researcher", "analyst", "student")
WIDGET = "application/vnd.jupyter.widget-view+json"


def _load_build():
    spec = importlib.util.spec_from_file_location("tutorial_build", TUTORIALS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build = _load_build()


def committed(name: str) -> nbformat.NotebookNode:
    return nbformat.read(TUTORIALS / f"{name}.ipynb", as_version=4)


def execute(name: str, workdir: Path) -> nbformat.NotebookNode:
    """The committed notebook, executed at small scale (raises on any cell error)."""
    return build.execute(committed(name), "small", workdir).notebook


def outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def text_of(nb: nbformat.NotebookNode) -> str:
    """Every text the notebook's cells printed or displayed (streams, plain text, HTML)."""
    parts = []
    for o in outputs(nb):
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            parts += [o.data.get("text/plain", ""), o.data.get("text/html", "")]
    return "\n".join(parts)


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs(nb))


def cell_output(nb: nbformat.NotebookNode, starts: str) -> list[dict]:
    """The outputs of the one code cell whose source starts with ``starts``."""
    found = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(starts)]
    assert len(found) == 1, f"{len(found)} cells start with {starts!r}"
    return found[0].outputs


# ------------------------------------------------------------ the committed notebooks
@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_the_generated_one_executed(name):
    nb = committed(name)
    fresh = build.notebook(name)
    assert [(c.cell_type, c.source) for c in nb.cells] == \
        [(c.cell_type, c.source) for c in fresh.cells], \
        f"{name}.ipynb differs from build.py: run python docs/tutorials/build.py {name}"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), f"{name}.ipynb is not executed"
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    assert "scale full" in text_of(nb)
    assert images(nb) >= 3  # figures are stored as PNG outputs


# ---------------------------------------------------------------- executed, small
@pytest.mark.slow
def test_analyst_tutorial(tmp_path):
    nb = execute("analyst", tmp_path)
    shown = text_of(nb)
    assert "scale small" in shown
    variants = {"pbg_regulation", "reg_first", "reg_late", "hire"}
    diffs = pd.read_csv(tmp_path / "cmp" / "differences.csv")
    assert set(diffs.scenario) == variants and set(diffs.baseline) == {"pbg"}
    table = next(o.data["text/html"] for o in cell_output(nb, 'diffs = pd.read_csv(')
                 if "text/html" in o.get("data", {}))
    assert all(v in table for v in variants) and "permits / month, after the start" in table
    # the file's intervention and the same change typed as a variant: the same runs (common
    # seeds), so the same effect; only the declared cost differs
    permits = diffs[diffs.metric == "permits_issued_per_month_after"].set_index("scenario")
    assert permits.loc["pbg_regulation", "difference"] == pytest.approx(
        permits.loc["reg_late", "difference"])
    cost = pd.read_csv(tmp_path / "cmp" / "cost_effectiveness.csv").set_index(
        ["scenario", "measure"])
    extra = cost.loc[("pbg_regulation", "extra permits per bn Rp"), "extra_cost"]
    assert extra == pytest.approx(0.25, abs=0.02)  # the 250,000 kRp declared, in bn Rp
    assert cost.loc[("reg_late", "extra permits per bn Rp"), "extra_cost"] < 0.01
    effects = pd.read_csv(tmp_path / "cmp" / "effects.csv")
    assert set(effects.scenario) == variants | {"pbg"}
    assert "cost_interventions_total" in shown and "250,000" in shown
    assert images(nb) >= 3


@pytest.mark.slow
def test_student_tutorial(tmp_path):
    pytest.importorskip("solara")
    nb = execute("student", tmp_path)
    shown = text_of(nb)
    assert "scale small" in shown
    assert "a mesa.Model: True" in shown
    days = [int(d) for d in re.findall(r"day (\d+): joint arrangement in force: True", shown)]
    assert days == [365, 425]  # stepped to the start, then two months into it
    assert "the joint arrangement starts" in shown
    view = cell_output(nb, "import solara")
    assert any(WIDGET in o.get("data", {}) for o in view)  # the page, as a widget
    assert "view: day 400, leader commitment 0.8" in shown
    assert images(nb) >= 4


@pytest.mark.slow
def test_researcher_tutorial(tmp_path):
    pytest.importorskip("pyabc")
    nb = execute("researcher", tmp_path)
    assert "scale small" in text_of(nb)
    runs = pd.read_parquet(tmp_path / "grid" / "runs.parquet")
    assert len(runs) == 8 and (runs.status == "ok").all()  # 2 × 2 × 2 cells, 1 replication
    assert (tmp_path / "grid" / "analysis" / "tables" / "factor_effects.csv").is_file()
    posterior = pd.read_parquet(tmp_path / "calibration" / "posterior.parquet")
    assert len(posterior) == 2 and posterior.weight.sum() == pytest.approx(1.0)
    validation = pd.read_csv(tmp_path / "calibration" / "validation.csv")
    assert set(validation.role) == {"fitted", "held out"}
    draws = pd.read_csv(tmp_path / "policy_posterior" / "posterior_draws.csv")
    assert len(draws) == 2
    diffs = pd.read_csv(tmp_path / "policy_posterior" / "differences.csv")
    assert set(diffs.scenario) == {"reg_late"}
    assert {"noise_var", "param_var", "param_share"} <= set(diffs.columns)
    permits = diffs.set_index("metric").loc["permits_issued_per_month_after"]
    assert permits.draws == 2 and permits.n == 4  # 2 draws × 2 replications, paired
    assert images(nb) >= 3

"""A report generated from a small real sweep, then parsed back."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import pandas as pd
import pytest

from collabsim.analysis.analyze import analyze
from collabsim.analysis.report import build_report

SPEC = {
    "name": "report_demo", "description": "2 x 2 grid on PBG's preparedness",
    "scenarios": ["pbg"], "replications": 2, "root_seed": 2026, "steps": 240,
    "n_citizens": 800, "set": {"collaboration_start": 120, "warmup_days": 30},
    "sampler": {"method": "grid"},
    "parameters": {"agencies.*.leader_commitment": {"levels": [0.3, 0.8]},
                   "agencies.*.resources": {"levels": [0.45, 0.9]}},
}


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tables, self.ids, self.scripts, self.links = [], 0, set(), 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "table":
            self.tables += 1
        elif tag == "script":
            self.scripts += 1
        elif tag in ("link", "a") and a.get("href", "#").split(":")[0] in ("http", "https"):
            self.links.append(a["href"])


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    from collabsim.experiments import load_experiment, run_experiment

    out = tmp_path_factory.mktemp("sweep") / "grid"
    run_experiment(load_experiment(SPEC), out, runner="sequential")
    return out


@pytest.fixture(scope="module")
def report(sweep, tmp_path_factory):
    an = analyze(sweep, formats=("png", "svg"))
    html = build_report(an, tmp_path_factory.mktemp("rep") / "report.html")
    return an, html


def test_report_is_self_contained_with_images_tables_and_facts(report):
    _, path = report
    text = path.read_text(encoding="utf-8")
    p = _Parser()
    p.feed(text)
    assert len(p.images) >= 4
    for src in p.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert p.tables >= 6
    assert {"scenarios", "design", "findings", "stylized-facts", "figures", "discovery"} <= p.ids
    assert {"fig-timeseries_bands", "fig-heatmap", "fig-network", "fig-before_after"} <= p.ids
    assert p.scripts == 0 and not p.links  # nothing to fetch: it can be e-mailed
    facts = text[text.index('id="stylized-facts"'):text.index('id="figures"')]
    for n in range(1, 7):
        assert f"<td class=\"num\">{n}</td>" in facts
    assert "Spearman" in facts  # fact 3 is tested factor by factor on this grid
    assert "leader commitment" in text and "2026" in text  # settings and design


def test_analysis_writes_tables_and_figures(report):
    an, _ = report
    for name in ("scenario_summary", "point_summary", "factor_levels", "factor_effects",
                 "before_after", "stylized_facts", "prim_boxes"):
        assert (an.out / "tables" / f"{name}.csv").is_file()
        assert pd.read_parquet(an.out / "tables" / f"{name}.parquet").shape == \
            pd.read_csv(an.out / "tables" / f"{name}.csv").shape
    for f in an.figures:
        assert {p.suffix for p in f.paths} == {".png", ".svg"}
        assert all(p.stat().st_size > 5_000 for p in f.paths)
    index = json.loads((an.out / "analysis.json").read_text())
    assert index["sampler"] == "grid" and len(index["stylized_facts"]) == 6


def test_network_rerun_reproduces_the_recorded_run(report):
    an, _ = report
    assert not [n for n in an.notes if "differs" in n], an.notes
    grid = an.tables["factor_levels"]
    assert set(grid.factor) == {"agencies.*.leader_commitment", "agencies.*.resources"}


def test_ema_model_from_the_sweep_directory(sweep):
    from collabsim.ema import ema_model

    m = ema_model(sweep, outcomes=["informal_share_final"])
    names = [p.name for p in m.uncertainties]
    assert names == ["agencies_all_leader_commitment", "agencies_all_resources"]
    assert m.function.steps == 240 and m.function.n_citizens == 800
    scenario = m.function.scenarios["pbg"]
    assert scenario.collaboration_start == 120  # the sweep's [set] overrides carry over

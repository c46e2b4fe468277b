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


def _section(text: str, sid: str) -> str:
    start = text.index(f'<section id="{sid}">')
    return text[start:text.index("</section>", start)]


def test_tables_use_labels_units_and_sensible_decimals(report):
    _, path = report
    text = path.read_text(encoding="utf-8")
    findings = _section(text, "findings")
    for raw in ("_per_month", "mean_a", "mean_b", "diff_ci_low", "hedges_g", "p_value",
                "agencies.*.", "cohen_dz"):
        assert raw not in findings, raw
    assert "permits issued / month" in findings and "leader commitment (all agencies)" in findings
    import re

    cells = re.findall(r"<td[^>]*>([^<]*)</td>", findings)
    long = [c for c in cells if re.search(r"\d\.\d{5,}", c)]
    assert not long, long[:5]  # no 0.123456789
    assert any("[" in c and "]" in c for c in cells)  # means with their CI in one cell


@pytest.fixture(scope="module")
def user_comparison(tmp_path_factory):
    """A comparison of the user's own copies of two presets, given by absolute path."""
    from collabsim.cli import main
    from collabsim.experiments.spec import EXPERIMENT_DIR

    user = tmp_path_factory.mktemp("mine")
    shipped = EXPERIMENT_DIR.parent / "scenarios"
    for name, new in (("pbg", "my_pbg"), ("pbg_repaired", "my_repaired")):
        text = (shipped / f"{name}.toml").read_text(encoding="utf-8")
        text = text.replace(f'name = "{name}"', f'name = "{new}"', 1)
        if name == "pbg":  # the user's own value: PUPR's staff competence 0.5 -> 0.61
            assert text.count("\nstaff_competence = 0.5 ") == 1
            text = text.replace("\nstaff_competence = 0.5 ", "\nstaff_competence = 0.61 ")
        (user / f"{name}.toml").write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    assert main(["compare", str(user / "pbg.toml"), str(user / "pbg_repaired.toml"),
                 "--replications", "2", "--citizens", "600", "--steps", "180",
                 "--set", "collaboration_start=90", "--set", "burn_in_days=30",
                 "--out", str(out)]) == 0
    return user, out


def test_report_of_user_files_shows_what_was_compared(user_comparison, tmp_path, monkeypatch,
                                                      capsys):
    from collabsim.cli import main

    user, out = user_comparison
    monkeypatch.chdir(tmp_path)  # the report is made elsewhere than the comparison
    html_path = tmp_path / "r.html"
    assert main(["report", str(out), "-o", str(html_path), "--format", "png"]) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    text = html_path.read_text(encoding="utf-8")
    scen = _section(text, "scenarios")
    assert "not a shipped preset" not in text
    assert "my_pbg: agencies" in scen and "my_repaired: agencies" in scen
    assert str(user / "pbg.toml") in scen and "0.61" in scen  # the user's file, as edited
    assert "collaboration start (day)" in scen and ">90<" in scen  # the comparison's --set
    assert ">600<" in scen  # and its --citizens
    assert "could not be re-run" not in text and 'id="fig-network"' in text


def test_failure_rule_counts_the_runs_that_meet_it(user_comparison):
    """A comparison has no varied parameters, but the count of failing runs is still true."""
    from collabsim.analysis.discovery import default_rules, discover
    from collabsim.analysis.results import load_results

    _, out = user_comparison
    res = load_results(out)
    rules = default_rules(res) or []
    for rule in rules:
        d = discover(res, rule)
        assert d.n_cases == int(rule.mask(res.ok).sum()) and d.n_runs == len(res.ok)
        assert not d.boxes and "no varied parameters" in d.note
    runs = pd.read_csv(out / "runs.csv")
    col = "levy_target_share_final"
    everyone = discover(res, f"{col}<{runs[col].max() + 1}")
    assert everyone.n_cases == everyone.n_runs == len(runs)  # was "0 of 4 runs meet the rule"


@pytest.mark.browser
def test_report_does_not_scroll_sideways_at_1400px(report):
    """Every table, figure and the page itself fit a 1,400 px window (Debian's chromium)."""
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.fail(f"{chromium} is missing: `make chromium` installs it")
    from playwright.sync_api import sync_playwright

    _, path = report
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(path.resolve().as_uri())
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            doc = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            wide = page.evaluate("""Array.from(document.querySelectorAll(
                'table, pre, figure, img, p, section')).filter(
                e => e.scrollWidth > e.clientWidth + 1 ||
                     e.getBoundingClientRect().right > window.innerWidth).map(
                e => e.tagName + ' ' + e.scrollWidth + '>' + e.clientWidth + ': '
                     + e.innerText.slice(0, 60))""")
        finally:
            browser.close()
    assert doc[0] <= doc[1], doc
    assert not wide, wide

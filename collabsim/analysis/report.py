"""``collabsim report``: one self-contained HTML file an analyst can e-mail.

Everything is inside the file — figures as base64 PNG, styles inline, no
scripts, no links to fetch — so it opens the same in a mail client, offline,
or printed. Sections: scenarios and their key settings, the experiment
design, runs over a calibration's posterior (which posterior, how many draws,
the split of uncertainty into parameters and noise), key findings, stylized
facts (DESIGN §3) with their tests, figures with captions, scenario discovery,
notes and failed runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.analysis.analyze import Analysis, analyze
from collabsim.analysis.labels import outcome_label, short_parameter
from collabsim.errors import CollabsimError

__all__ = ["build_report", "render_report"]

_STATUS_CLASS = {"holds": "ok", "holds where tested": "ok", "holds in part": "part",
                 "does not hold": "bad", "not testable": "na"}

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #3182bd;padding-bottom:.2em;
margin-top:2em}h3{margin-bottom:.3em}
*,*::before,*::after{box-sizing:border-box}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.86em;max-width:100%}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#eef4fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.88em;color:#444;margin-top:.4em}
.meta{color:#555;font-size:.9em}.ok{background:#e5f5e0}.bad{background:#fde0dd}
.part{background:#fff7bc}.na{background:#f0f0f0}td.ok,td.bad,td.part,td.na{white-space:nowrap}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.4em .8em;margin:.4em 0}
details pre{background:#f7f7f7;padding:.6em;font-size:.8em;white-space:pre-wrap;
overflow-wrap:anywhere}
nav ol{columns:2}
"""


def build_report(source: str | Path | Analysis, output: str | Path, title: str | None = None,
                 **analyze_kwargs: Any) -> Path:
    """Analyse a results directory (unless given an :class:`Analysis`) and write the report.

    Args:
        source: A results directory, or an analysis already made.
        output: The HTML file to write.
        title: Report title (default: from the experiment or scenarios).
        **analyze_kwargs: Passed to :func:`collabsim.analysis.analyze`.

    Returns:
        The path of the HTML file.
    """
    an = source if isinstance(source, Analysis) else analyze(source, **analyze_kwargs)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_report(an, title), encoding="utf-8")
    return output


def render_report(an: Analysis, title: str | None = None) -> str:
    """The report of an analysis as one HTML string."""
    res = an.results
    name = res.spec.get("name") or ", ".join(res.scenarios)
    title = title or f"collabsim results: {name}"
    sections = [
        ("scenarios", "Scenarios and key settings", _scenarios_section(an)),
        ("design", "Experiment design", _design_section(an)),
        *([("posterior", "Over the calibration's posterior: parameter uncertainty and noise",
            _posterior_section(an))] if an.posterior is not None else []),
        ("findings", "Key findings", _findings_section(an)),
        ("stylized-facts", "Stylized facts (DESIGN §3)", _facts_section(an)),
        ("figures", "Figures", _figures_section(an)),
        ("discovery", "Scenario discovery: which settings lead to failure?",
         _discovery_section(an)),
        ("notes", "Notes, failed runs and files", _notes_section(an)),
    ]
    nav = "".join(f'<li><a href="#{sid}">{html.escape(head)}</a></li>'
                  for sid, head, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{html.escape(head)}</h2>{content}</section>'
                   for sid, head, content in sections)
    from collabsim import __version__

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = (f"Results: <code>{html.escape(str(res.path))}</code> ({res.kind}, "
            f"{len(res.runs)} runs) · collabsim {__version__} · generated {stamp}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">{meta}</p>"
            f"<nav><ol>{nav}</ol></nav>{body}</body></html>\n")


# ------------------------------------------------------------------ helpers
def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _decimals(*values: float, sig: int = 3) -> int:
    """Decimals that show the largest of ``values`` to ``sig`` significant digits (0–4)."""
    finite = [abs(float(v)) for v in values if v is not None and np.isfinite(v) and v != 0]
    if not finite:
        return 0
    return int(min(4, max(0, sig - 1 - math.floor(math.log10(max(finite))))))


def _fmt_num(v: float, decimals: int | None = None) -> str:
    """A number to three significant digits (or ``decimals``); n/a for NaN."""
    if v is None or not np.isfinite(v):
        return "n/a"
    v = float(v)
    if v != 0 and abs(v) < 1e-4:
        return f"{v:.2g}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{_decimals(v) if decimals is None else decimals}f}"


def _fmt_p(p: float) -> str:
    """A p value: three decimals, or ``< 0.001``."""
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return "n/a"
        if float(v).is_integer() and abs(v) < 1e15:
            return f"{int(v):,}" if abs(v) >= 10_000 else str(int(v))
        text = _fmt_num(v)
        return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
    if isinstance(v, int | np.integer) and abs(int(v)) >= 10_000:
        return f"{int(v):,}"
    return str(v)


def _table(df: pd.DataFrame, max_rows: int = 60, numeric: tuple[str, ...] = ()) -> str:
    """An HTML table with numbers formatted and right-aligned (escaped).

    Args:
        df: The table; its column names are the headers.
        max_rows: Rows shown (the full table is in the analysis directory).
        numeric: Columns of preformatted numbers (text) to right-align too.
    """
    if df is None or df.empty:
        return _p("(none)")
    shown = df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for _, r in shown.iterrows():
        cells = []
        for c in shown.columns:
            v = r[c]
            number = isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
            cls = ' class="num"' if c in numeric or number else ""
            status = _STATUS_CLASS.get(str(v)) if c == "status" else None
            cls = f' class="{status}"' if status else cls
            cells.append(f"<td{cls}>{html.escape(_fmt_value(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (f"<p class=\"meta\">First {max_rows} of {len(df)} rows; the full table is in the "
            "analysis directory.</p>" if len(df) > max_rows else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _ci(m: float, lo: float, hi: float) -> str:
    """``mean [low, high]``, all three with the decimals of the largest."""
    d = _decimals(m, lo, hi)
    if not np.isfinite(m):
        return "n/a"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return _fmt_num(m, d)
    return f"{_fmt_num(m, d)} [{_fmt_num(lo, d)}, {_fmt_num(hi, d)}]"


def _pair(a: float, b: float) -> tuple[str, str]:
    """Two numbers with the same decimals (a before and an after, say)."""
    d = _decimals(a, b)
    return _fmt_num(a, d), _fmt_num(b, d)


# ----------------------------------------------------------------- sections
_AGENCY_KEYS = ("leader_commitment", "facilitative_leadership", "resources", "regulation_ready",
                "communication_openness", "role_clarity", "staff_competence", "n_officers")


def _scenarios_section(an: Analysis) -> str:
    from collabsim.analysis.rerun import _scenario_source
    from collabsim.scenario import load_scenario

    res = an.results
    spec = res.spec
    fixed = dict(spec.get("set") or spec.get("fixed") or {})
    fixed.update(res.manifest.get("overrides") or {})  # a comparison's --set
    steps = spec.get("steps") or res.manifest.get("steps")
    citizens = spec.get("n_citizens") or res.manifest.get("n_citizens")
    settings: dict[str, dict[str, Any]] = {}
    parts = []
    for name in res.scenarios:
        try:
            source = _scenario_source(res, name)
            sc = load_scenario(source, fixed or None)
        except CollabsimError as exc:
            parts.append(f'<p class="note">{html.escape(exc.problems[0])}; its settings are '
                         "not shown.</p>")
            continue
        settings[name] = _key_settings(sc, steps, citizens)
        agencies = pd.DataFrame({k: {f.replace("_", " "): getattr(a, f) for f in _AGENCY_KEYS}
                                 for k, a in sc.agencies.items()})
        names = "; ".join(f"{k} = {a.name}" for k, a in sc.agencies.items() if a.name)
        origin = f"read from {source}" if isinstance(source, Path) else "shipped preset"
        given = _given(res, name)
        if given and given != str(source):
            origin += f" (given as {given})"
        parts.append(f"<h3>{html.escape(name)}: agencies</h3>" + _p(sc.description)
                     + _table(agencies.reset_index(names="factor (0–1 unless stated)"))
                     + f"<p class=\"meta\">{html.escape(names)} · {html.escape(origin)}</p>")
    if settings:
        table = pd.DataFrame(settings).reset_index(names="setting").fillna("–")
        parts.insert(0, "<h3>Key settings</h3>" + _table(table))
    if fixed:
        what = "experiment's fixed overrides" if res.kind == "sweep" else "comparison's --set"
        parts.append(_p(f"The {what} are applied above: " + ", ".join(
            f"{k} = {_fmt_value(v)}" for k, v in fixed.items()) + "."))
    if res.kind == "compare" and not res.manifest:
        parts.append(_p("This comparison directory has no manifest.json (made by an older "
                        "collabsim), so --steps, --citizens and --set are not known: the "
                        "values above are the scenarios' own."))
    if res.parameter_columns:
        parts.append(_p("In a sweep, the parameters of the design below replace these values "
                        "run by run."))
    return "".join(parts)


def _given(res: Any, name: str) -> str | None:
    """The scenario as the user named it on the command line of a comparison, if recorded."""
    names, given = res.manifest.get("scenarios"), res.manifest.get("given")
    if isinstance(names, list) and isinstance(given, list) and len(names) == len(given):
        return next((str(g) for n, g in zip(names, given, strict=True) if n == name), None)
    return None


def _key_settings(sc: Any, steps: int | None = None, citizens: int | None = None
                  ) -> dict[str, Any]:
    out: dict[str, Any] = {"days simulated": steps or sc.steps,
                           "collaboration start (day)": sc.collaboration_start,
                           "citizens": citizens or sc.citizens.n,
                           "agencies": len(sc.agencies)}
    if sc.licensing is not None:
        out.update({"permit": sc.licensing.permit,
                    "workflow stages": len(sc.licensing.stages),
                    "stages in the joint arrangement": sc.licensing.joint_stages or "unchanged",
                    "levy target (kRp/year per reference population)":
                        sc.licensing.levy_annual_target})
    mob = getattr(sc, "mobility", None)
    if mob is not None:
        out.update({"operations centre": getattr(mob, "operations_centre", "") or "none",
                    "socialisation campaigns": len(getattr(mob, "campaigns", []))})
    return out


def _design_section(an: Analysis) -> str:
    res = an.results
    spec = res.spec
    ok, failed = len(res.ok), len(res.failed)
    reps = res.runs.groupby("sample")["replicate"].nunique().max()
    rows = [("results from", "collabsim sweep" if res.kind == "sweep" else "collabsim compare"),
            ("sampler", res.sampler or "fixed scenarios (comparison)"),
            ("parameter points", res.runs["sample"].nunique()),
            ("replications per point", int(reps)),
            ("runs (finished / failed)", f"{ok} / {failed}")]
    for key in ("root_seed", "seeds", "steps", "n_citizens"):
        if key in spec:
            rows.append((key.replace("_", " "), spec[key]))
    if res.kind == "compare":
        rows.append(("seeds", "common random numbers: every scenario runs the same replicate "
                              "seeds (stored with each run)"))
    out = _table(pd.DataFrame(rows, columns=["", "value"]))
    if res.parameters:
        params = pd.DataFrame([{
            "parameter": short_parameter(p.column), "key path(s)": ", ".join(p.keys or
                                                                           (p.column,)),
            "range / levels": (", ".join(map(_fmt_value, p.levels)) if p.levels else
                               f"{_fmt_value(p.bounds[0])} – {_fmt_value(p.bounds[1])}"
                               if p.bounds else "–")} for p in res.parameters])
        out += "<h3>Parameters varied</h3>" + _table(params)
    if res.manifest:
        out += ("<details><summary>Full experiment manifest</summary><pre>"
                + html.escape(json.dumps(res.manifest, indent=2, default=str)[:20000])
                + "</pre></details>")
    return out


def _findings_section(an: Analysis) -> str:
    res = an.results
    key = an.key_outcomes
    table = an.tables["scenario_summary"]
    meta = "Mean over runs [95 % CI]."
    pooled = an.tables.get("posterior_uncertainty")
    if pooled is not None and not pooled.empty and not res.parameter_columns:
        table = pooled  # one point per scenario: the means pooled over the draws
        meta = ("Mean over the posterior draws [95 % CI holding parameter uncertainty and "
                "noise] (Rubin's rules; see the posterior section).")
    wide = {}
    for o in key:
        part = table[table.metric == o]
        wide[outcome_label(o)] = {r["scenario"]: _ci(r["mean"], r["ci_low"], r["ci_high"])
                                  for _, r in part.iterrows()}
    out = (f"<h3>Outcomes per scenario</h3><p class=\"meta\">{html.escape(meta)}</p>"
           + _table(pd.DataFrame.from_dict(wide, orient="index").reset_index(names="outcome")))
    ba = an.tables.get("before_after")
    if ba is not None and not ba.empty:
        keep = ba[ba.metric.isin(["applications_submitted_per_month", "permits_issued_per_month",
                                  "mean_processing_days"])]
        if not keep.empty:
            out += ("<h3>Before → after the collaboration start</h3><p class=\"meta\">Paired "
                    "within runs: mean of each run's before and after window, the difference "
                    "after − before with its 95 % CI, Cohen's d_z and the two-sided paired-t "
                    "p.</p>" + _before_after_table(keep))
    eff = an.tables.get("scenario_effects")
    if eff is not None and not eff.empty:
        out += ("<h3>Scenario effects</h3><p class=\"meta\">Each scenario against the first: "
                "difference of means with a Welch 95 % CI, Hedges' g, two-sided Welch p.</p>"
                + _effects_table(eff[eff.metric.isin(key)],
                                 {"reference": "reference", "scenario": "scenario"},
                                 ("mean, reference", "mean, scenario")))
    out += _comparison_findings(an)
    out += _sensitivity_findings(an)
    out += _lever_findings(an)
    fe = an.tables.get("factor_effects")
    if fe is not None and not fe.empty and (an.sensitivity is None):
        strongest = (fe[fe.metric.isin(key[:1])].assign(abs_g=lambda d: d.hedges_g.abs())
                     .sort_values("abs_g", ascending=False).head(8))
        strongest = strongest.assign(
            factor=strongest.factor.map(short_parameter),
            level=[f"{_fmt_value(b)} vs {_fmt_value(a)}"
                   for a, b in zip(strongest.reference_level, strongest.level, strict=True)])
        out += ("<h3>Factor effects</h3><p class=\"meta\">Largest effects on "
                f"{html.escape(outcome_label(key[0]) if key else '')}: each level against the "
                "factor's lowest level, marginal over the other factors (Welch 95 % CI, "
                "Hedges' g, two-sided Welch p).</p>"
                + _effects_table(strongest, {"factor": "factor", "level": "level vs lowest"},
                                 ("mean at the lowest level", "mean at the level")))
    boxes = an.tables.get("prim_boxes")
    if boxes is not None and not boxes.empty and "coverage" in boxes:
        out += ("<h3>Failure regions (PRIM)</h3>" + _box_sentences(an))
    if not res.parameter_columns and len(res.scenarios) < 2:
        out += _p("One scenario without varied parameters: findings are its means above.")
    return out


def _before_after_table(ba: pd.DataFrame) -> str:
    rows = []
    for r in ba.itertuples():
        before, after = _pair(r.mean_before, r.mean_after)
        rows.append({"scenario": r.scenario, "outcome": outcome_label(r.metric),
                     "before": before, "after": after,
                     "after − before [95 % CI]": _ci(r.diff, r.diff_ci_low, r.diff_ci_high),
                     "Cohen's d_z": _fmt_num(r.cohen_dz, 2), "p": _fmt_p(r.p_value),
                     "runs": int(r.n)})
    return _table(pd.DataFrame(rows), numeric=("before", "after", "after − before [95 % CI]",
                                               "Cohen's d_z", "p"))


def _effects_table(eff: pd.DataFrame, keys: dict[str, str], means: tuple[str, str]) -> str:
    """Welch effects (``mean_a``, ``mean_b``, ``diff`` …) with labels and rounded numbers.

    Args:
        eff: Rows of a scenario- or factor-effects table.
        keys: Columns that say what is compared, and their headers.
        means: Headers of the two means (``mean_a``, ``mean_b``).
    """
    rows = []
    for r in eff.to_dict("records"):
        a, b = _pair(r["mean_a"], r["mean_b"])
        row = {head: r[col] for col, head in keys.items()}
        row.update({"outcome": outcome_label(r["metric"]), means[0]: a, means[1]: b,
                    "difference [95 % CI]": _ci(r["diff"], r["diff_ci_low"], r["diff_ci_high"]),
                    "Hedges' g": _fmt_num(r["hedges_g"], 2), "p": _fmt_p(r["p_value"])})
        rows.append(row)
    return _table(pd.DataFrame(rows), numeric=(*means, "difference [95 % CI]", "Hedges' g", "p"))


def _share_cell(r: dict[str, Any]) -> str:
    """The parameters' share of a posterior-aware row's variance (``62 %``), or n/a."""
    share = r.get("param_share")
    return f"{share:.0%}" if share is not None and np.isfinite(share) else "n/a"


_SHARE_HEAD = "from the parameters"
_SHARE_NOTE = (" Over the posterior: pooled over the draws (Rubin's rules), the CI combining "
               "parameter uncertainty (between draws) and noise (within draws); "
               f"'{_SHARE_HEAD}' is the parameters' share of its variance.")


def _posterior_section(an: Analysis) -> str:
    """Which posterior, how many draws, and the split of each outcome's uncertainty."""
    post = an.posterior or {}
    res = an.results
    rows = [("posterior directory", post.get("dir") or "n/a"),
            ("calibration", post.get("name") or "n/a"),
            ("identity (hash of posterior.parquet and the spec)",
             str(post.get("hash") or "n/a")[:16]),
            ("particles in the posterior", post.get("particles")),
            ("draws (by weight, with replacement)", post.get("draws")),
            ("replications per draw", post.get("replications")),
            ("runs", f"{len(res.ok)} finished, {len(res.failed)} failed")]
    out = _table(pd.DataFrame(rows, columns=["", "value"]))
    out += _p("Every scenario and design point ran over the same draws from the calibration's "
              "posterior, each draw over the same replicate seeds (common random numbers "
              "across draws and scenarios). Each mean below is pooled over the draws by "
              "Rubin's rules: its 95 % interval combines the parameter uncertainty (the "
              "variance between draws, × (1 + 1/draws)) and the stochastic noise (the "
              "variance of a draw's mean within it); 'from the parameters' is the first's "
              "share of the sum. A share near 100 % says more replications would not narrow "
              "the interval: only a tighter calibration would.")
    out += "".join(f'<p class="note">{html.escape(n)}</p>' for n in post.get("notes") or [])
    table = an.tables.get("posterior_uncertainty")
    if table is not None and not table.empty:
        key = [o for o in an.key_outcomes if o in set(table.metric)] or \
            list(dict.fromkeys(table.metric))[:4]
        part = table[table.metric.isin(key)]
        show = []
        for r in part.to_dict("records"):
            row = {"scenario": r["scenario"]}
            for c in res.parameter_columns:
                row[short_parameter(c)] = _fmt_value(r[c])
            d = _decimals(r["mean"], r["ci_low"], r["ci_high"])
            row.update({"outcome": outcome_label(r["metric"]),
                        "mean [95 % CI]": _ci(r["mean"], r["ci_low"], r["ci_high"]),
                        "noise variance": _fmt_num(r["noise_var"], max(d, 2)),
                        "parameter variance": _fmt_num(r["param_var"], max(d, 2)),
                        _SHARE_HEAD: _share_cell(r), "draws": int(r["draws"]),
                        "runs": int(r["n"])})
            show.append(row)
        out += ("<h3>The split of uncertainty, key outcomes</h3>"
                + _table(pd.DataFrame(show), numeric=("mean [95 % CI]", "noise variance",
                                                      "parameter variance", _SHARE_HEAD)))
        shares = post.get("shares") or {}
        if shares:
            med = pd.DataFrame([{"outcome": outcome_label(m), "median share from the "
                                 "parameters": f"{v:.0%}"} for m, v in shares.items()
                                if m in key])
            if len(med) and (res.parameter_columns or len(res.scenarios) > 1):
                out += ("<p class=\"meta\">Median over scenarios and points "
                        "(posterior_uncertainty has every outcome).</p>" + _table(med))
    draws = an.tables.get("posterior_draws")
    if draws is not None and not draws.empty:
        out += ("<h3>The drawn particles</h3><p class=\"meta\">Each draw's particle (its row "
                "in posterior.parquet), weight and calibrated values; the manifest records "
                "the overrides each gave each scenario.</p>" + _table(draws, max_rows=30))
    return out


def _measure_units(measure: str) -> tuple[str, str, str]:
    from collabsim.analysis.levers import MEASURE_UNITS

    return MEASURE_UNITS.get(measure, ("effect", "cost", "effect / cost"))


def _comparison_findings(an: Analysis) -> str:
    """What `collabsim compare` computed: effects, differences, cost-effectiveness."""
    out = ""
    fx = an.tables.get("collaboration_effects")
    if fx is not None and not fx.empty:
        rows = []
        for r in fx.to_dict("records"):
            f, c = _pair(r["factual"], r["counterfactual"])
            rows.append({"scenario": r["scenario"], "outcome": outcome_label(r["metric"]),
                         "with the joint arrangement": f, "never joint": c,
                         "effect [95 % CI]": _ci(r["effect"], r["ci_low"], r["ci_high"]),
                         "relative": (f"{r['relative']:+.0%}" if np.isfinite(r["relative"])
                                      else "n/a"),
                         "p": _fmt_p(r["p_value"]), "pairs": int(r["n"]),
                         **({_SHARE_HEAD: _share_cell(r)} if "param_share" in r else {})})
        post = "param_share" in fx
        out += ("<h3>Effect of the joint arrangement (counterfactual)</h3><p class=\"meta\">"
                "Each scenario against its never-joint counterfactual: the same scenario and "
                "seeds, the joint arrangement never starting, both summarised over the same "
                "windows (effects.csv). Effect = with − never joint, mean of the paired "
                "differences with a paired-t 95 % CI; relative = effect ÷ never-joint mean; "
                f"two-sided p.{_SHARE_NOTE if post else ''}</p>"
                + _table(pd.DataFrame(rows), numeric=("with the joint arrangement",
                                                      "never joint", "effect [95 % CI]",
                                                      "relative", "p", _SHARE_HEAD)))
    diffs = an.tables.get("differences")
    if diffs is not None and not diffs.empty:
        rows = []
        for r in diffs.to_dict("records"):
            v, b = _pair(r["value"], r["baseline_value"])
            rows.append({"scenario": r["scenario"], "baseline": r["baseline"],
                         "outcome": outcome_label(r["metric"]), "scenario mean": v,
                         "baseline mean": b,
                         "difference [95 % CI]": _ci(r["difference"], r["ci_low"],
                                                     r["ci_high"]),
                         "p": _fmt_p(r["p_value"]), "pairs": int(r["n"]),
                         **({_SHARE_HEAD: _share_cell(r)} if "param_share" in r else {})})
        post = "param_share" in diffs
        out += ("<h3>Difference from the baseline</h3><p class=\"meta\">Every scenario minus "
                "the first, paired by replicate on common random numbers (differences.csv): "
                "mean of the paired differences with a paired-t 95 % CI, two-sided p."
                f"{_SHARE_NOTE if post else ''}</p>"
                + _table(pd.DataFrame(rows), numeric=("scenario mean", "baseline mean",
                                                      "difference [95 % CI]", "p",
                                                      _SHARE_HEAD)))
    cost = an.tables.get("cost_effectiveness")
    if cost is not None and not cost.empty:
        rows = []
        for r in cost.to_dict("records"):
            e_unit, c_unit, r_unit = _measure_units(r["measure"])
            ratio = ("n/a (no extra cost)" if np.isfinite(r["extra_cost"]) and
                     r["extra_cost"] <= 0 else _ci(r["ratio"], r["ci_low"], r["ci_high"]))
            rows.append({"scenario": r["scenario"], "baseline": r["baseline"],
                         "measure": r["measure"],
                         "extra effect": f"{_fmt_num(r['extra_effect'])} {e_unit}",
                         "extra cost": f"{_fmt_num(r['extra_cost'])} {c_unit}",
                         "effect per extra cost [95 % CI]": f"{ratio} {r_unit}"
                         if not ratio.startswith("n/a") else ratio,
                         "pairs": int(r["n"]),
                         **({_SHARE_HEAD: _share_cell(r)} if "param_share" in r else {})})
        out += ("<h3>Cost-effectiveness against the baseline</h3><p class=\"meta\">What each "
                "scenario gains per unit of extra cost against the first (cost_effectiveness."
                "csv): ratio of the mean paired differences after the start, with a 95 % "
                "paired bootstrap CI (n/a with fewer than three pairs); costs in kRp "
                "(1 bn Rp = 10⁶ kRp), officer-days for the mobility measure."
                + (" Over the posterior: each draw's ratio with its delta-method variance, "
                   "pooled over the draws (Rubin's rules); 'from the parameters' is the "
                   "parameters' share of the variance." if "param_share" in cost else "")
                + "</p>"
                + _table(pd.DataFrame(rows), numeric=("extra effect", "extra cost",
                                                      "effect per extra cost [95 % CI]",
                                                      _SHARE_HEAD)))
    return out


def _lever_label(an: Analysis, column: str) -> str:
    """A lever's name; an intervention's field is named with the intervention's label."""
    parts = column.split(".")
    if len(parts) == 3 and parts[0] == "interventions" and parts[1].isdigit():
        from collabsim.analysis.analyze import base_scenarios

        for sc in base_scenarios(an.results):
            ivs = getattr(sc, "interventions", [])
            if int(parts[1]) < len(ivs):
                what = ivs[int(parts[1])].label or ", ".join(ivs[int(parts[1])].set)
                return f"{parts[2].replace('_', ' ')} of: {what}"
    return short_parameter(column)


def _lever_findings(an: Analysis) -> str:
    """A sweep's levers ranked by effect per extra cost (lever_cost_effectiveness)."""
    levers = an.tables.get("lever_cost_effectiveness")
    if levers is None or levers.empty:
        return ""
    rows = []
    for r in levers.to_dict("records"):
        effect = _ci(r["effect"], r["effect_ci_low"], r["effect_ci_high"])
        rows.append({"measure": r["measure"], "rank": int(r["rank"]),
                     "lever": _lever_label(an, str(r["parameter"])),
                     "move": f"{_fmt_value(r['from_level'])} → {_fmt_value(r['to_level'])}",
                     "effect [95 % CI]": f"{effect} {r['effect_unit']}",
                     "extra cost": f"{_fmt_num(r['extra_cost'])} {r['cost_unit']}",
                     "effect per extra cost [95 % CI]":
                         (f"{_ci(r['ratio'], r['ci_low'], r['ci_high'])} {r['ratio_unit']}"
                          if np.isfinite(r["ratio"]) else "n/a"),
                     "reading": r["reading"], "runs paired": int(r["n"])})
    return ("<h3>Levers ranked by effect per extra cost</h3><p class=\"meta\">For each varied "
            "parameter, the move from its lowest to its highest level, paired on scenario, "
            "replicate (common seeds) and every other parameter; a move that saves money is "
            "read the costlier way round, so each ratio is what the extra spending buys "
            "(sampled designs: regression slopes over the sampled range). Effect: paired-t "
            "95 % CI; ratio: 95 % paired bootstrap CI; costs after the start "
            "(1 bn Rp = 10⁶ kRp). Ranked per measure: moves that save money and gain first, "
            "then by effect per extra cost (lever_cost_effectiveness).</p>"
            + _table(pd.DataFrame(rows), numeric=("effect [95 % CI]", "extra cost",
                                                  "effect per extra cost [95 % CI]")))


def _sensitivity_findings(an: Analysis) -> str:
    s = an.sensitivity
    if s is None or s.indices.empty:
        return ""
    outcomes = [o for o in an.key_outcomes if o in set(s.indices.outcome)] or \
        list(dict.fromkeys(s.indices.outcome))[:3]
    cols = (["outcome", "rank", "parameter", "ST", "ST_conf", "S1", "S1_conf"]
            if s.method == "sobol" else
            ["outcome", "rank", "parameter", "mu_star", "mu_star_conf", "sigma", "mu"])
    if s.indices["scenario"].nunique() > 1:
        cols = ["scenario", *cols]
    top = s.indices[s.indices.outcome.isin(outcomes)].groupby(["scenario", "outcome"]).head(6)
    rows = []
    for r in top[cols].to_dict("records"):
        row = {"scenario": r["scenario"]} if "scenario" in r else {}
        row.update({"outcome": outcome_label(r["outcome"]), "rank": int(r["rank"]),
                    "parameter": short_parameter(str(r["parameter"]))})
        if s.method == "sobol":
            row["ST ± CI"] = f"{_fmt_num(r['ST'], 3)} ± {_fmt_num(r['ST_conf'], 3)}"
            row["S1 ± CI"] = f"{_fmt_num(r['S1'], 3)} ± {_fmt_num(r['S1_conf'], 3)}"
        else:
            d = _decimals(r["mu_star"], r["sigma"], r["mu"])
            row["μ* ± CI"] = f"{_fmt_num(r['mu_star'], d)} ± {_fmt_num(r['mu_star_conf'], d)}"
            row["σ"], row["μ"] = _fmt_num(r["sigma"], d), _fmt_num(r["mu"], d)
        rows.append(row)
    what = ("Sobol total-order ST and first-order S1, ± half-width of the 95 % bootstrap CI"
            if s.method == "sobol" else "Morris μ*, ± half-width of its 95 % bootstrap CI; σ; "
            "μ, in the outcome's unit")
    return (f"<h3>Sensitivity ({s.method.title()}), ranked</h3><p class=\"meta\">"
            f"{html.escape(what)}.</p>"
            + _table(pd.DataFrame(rows), numeric=("ST ± CI", "S1 ± CI", "μ* ± CI", "σ", "μ")))


def _box_sentences(an: Analysis) -> str:
    from collabsim.analysis.discovery import describe_box

    items = []
    for d in an.discoveries:
        for b in d.boxes:
            items.append(f"<li><b>{html.escape(d.rule.text)}</b> (box {b.index}): "
                         f"{html.escape(describe_box(b, short_parameter))} — coverage "
                         f"{b.coverage:.0%}, density {b.density:.0%} ({b.k} of {b.n} runs in "
                         f"the box fail; {d.base_rate:.0%} overall)</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _facts_section(an: Analysis) -> str:
    facts = an.tables["stylized_facts"][["fact", "statement", "status"]]
    tests = an.tables["stylized_fact_tests"]
    detail = tests.rename(columns={"part": "what was tested"})
    return (_p("Each fact of DESIGN §3 is tested only with the evidence in these results "
               "(one-sided tests at α = 0.05); 'not testable' says what results would test it.")
            + _table(facts) + "<h3>Tests and evidence</h3>" + _table(detail, max_rows=200))


def _embed(path: Path) -> str:
    """A PNG as a data URI, reduced to a 256-colour palette (a third of the bytes, same look)."""
    raw = path.read_bytes()
    try:
        from PIL import Image

        buf = io.BytesIO()
        with Image.open(path) as im:
            im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(
                buf, format="PNG", optimize=True)
        if buf.tell() < len(raw):
            raw = buf.getvalue()
    except (ImportError, OSError):  # Pillow comes with matplotlib; keep the original if not
        pass
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def _figures_section(an: Analysis) -> str:
    if not an.figures:
        return _p("(no figures)")
    out = []
    for f in an.figures:
        if f.png is None:
            continue
        out.append(f'<figure id="fig-{f.name}"><h3>{html.escape(f.title)}</h3>'
                   f'<img src="{_embed(f.png)}" alt="{html.escape(f.title)}">'
                   f"<figcaption>{html.escape(f.caption)}</figcaption></figure>")
    return "".join(out)


def _discovery_section(an: Analysis) -> str:
    if not an.discoveries:
        return _p("No failure rule applies to these results (give one with --failure, e.g. "
                  "levy_target_share_final<0.5).")
    out = _p("PRIM (Patient Rule Induction Method, from the EMA Workbench) looks for ranges of "
             "the varied parameters where runs meeting a failure rule concentrate. Coverage: "
             "share of all failing runs inside the box; density: share of the box's runs that "
             "fail; quasi-p: significance of each restriction (Bryant & Lempert 2010).")
    for d in an.discoveries:
        what = ("runs that raised" if d.rule.column == "failed" else
                f"{outcome_label(d.rule.column)} {d.rule.op} {_fmt_value(d.rule.threshold)}")
        out += (f"<h3>{html.escape(what)}</h3><p class=\"meta\">Rule "
                f"<code>{html.escape(d.rule.text)}</code></p>")
        out += _p(f"{d.n_cases} of {d.n_runs} runs meet the rule ({d.base_rate:.0%}).")
        if d.note:
            out += f'<p class="note">{html.escape(d.note)}</p>'
        for b in d.boxes:
            out += (f"<p><b>Box {b.index}</b>: coverage {b.coverage:.0%}, density "
                    f"{b.density:.0%}, mass {b.mass:.0%} ({b.n} runs, {b.k} of them "
                    "failing)</p>" + _limits_table(an, b))
    return out


def _limits_table(an: Analysis, box: Any) -> str:
    """A box's restrictions: parameter (label, unit), the range or levels kept, quasi-p."""
    from collabsim.analysis.discovery import describe_limit

    labels = an.results.axis_labels()
    labels.setdefault("base_scenario", "base scenario")
    rows = []
    for r in box.limits.to_dict("records"):
        kept = describe_limit(r, "x")
        if r["levels"]:
            sampled = "levels"
        else:
            d = _decimals(r["range_low"], r["range_high"])
            sampled = f"{_fmt_num(r['range_low'], d)} – {_fmt_num(r['range_high'], d)}"
        qp = [v for v in (r["qp_low"], r["qp_high"]) if np.isfinite(v)]
        rows.append({"parameter": labels.get(r["parameter"], short_parameter(r["parameter"])),
                     "box keeps": kept, "sampled": sampled,
                     "quasi-p": _fmt_p(min(qp)) if qp else "n/a"})
    return _table(pd.DataFrame(rows), numeric=("quasi-p",))


def _notes_section(an: Analysis) -> str:
    out = "".join(f'<p class="note">{html.escape(n)}</p>' for n in an.notes)
    failed = an.tables.get("failed_runs")
    if failed is not None and not failed.empty:
        out += "<h3>Failed runs</h3>" + _table(failed, max_rows=30)
    files = sorted(an.tables)
    out += _p(f"Tables written to {an.out / 'tables'} as CSV and Parquet: {', '.join(files)}. "
              f"Figures (PNG and SVG) in {an.out / 'figures'}.")
    return out


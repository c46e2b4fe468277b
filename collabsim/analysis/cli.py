"""``collabsim analyze DIR`` and ``collabsim report DIR -o report.html``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from collabsim.errors import CollabsimError

__all__ = ["cmd_analyze", "cmd_report", "register"]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", metavar="DIR",
                   help="results directory of 'collabsim sweep' or 'collabsim compare'")
    p.add_argument("--outcome", action="append", default=[], metavar="NAME",
                   help="outcome to feature in figures and findings (repeatable; default: the "
                        "experiment's, else the headline outcomes present)")
    p.add_argument("--failure", action="append", default=[], metavar="RULE",
                   help="scenario-discovery rule for PRIM, e.g. 'levy_target_share_final<0.5' "
                        "or 'mobility_index_enforcement>0.8' or 'failed' (repeatable; default: "
                        "the standard rules whose outcome is present)")
    p.add_argument("--network-run", action="append", default=[], type=int, metavar="RUN_ID",
                   help="run whose agency network to draw at its end (repeatable, up to 4; "
                        "default: first replicate per scenario, or a sweep's worst and best run)")
    p.add_argument("--no-network", action="store_true",
                   help="skip re-running runs for the network figure")
    p.add_argument("--citizens", type=int, default=None,
                   help="citizens of the recorded runs, for re-running runs of a comparison "
                        "(its directory does not record it)")
    p.add_argument("--analysis-dir", default=None, metavar="OUT",
                   help="where tables and figures go (default DIR/analysis)")


def _kwargs(args: argparse.Namespace) -> dict[str, Any]:
    if args.citizens is not None and args.citizens < 10:
        raise CollabsimError(f"--citizens: must be at least 10 (got {args.citizens})")
    return {"outcomes": args.outcome or None, "failures": args.failure or None,
            "network_runs": args.network_run or None, "network": not args.no_network,
            "n_citizens": args.citizens, "out": args.analysis_dir,
            "log": lambda msg: print(f"analyze: {msg}", file=sys.stderr, flush=True)}


def cmd_analyze(args: argparse.Namespace) -> int:
    """Write the tables (CSV, Parquet) and figures (PNG, SVG) of a results directory."""
    from collabsim.analysis.analyze import analyze
    from collabsim.analysis.discovery import describe_box

    an = analyze(args.results, formats=tuple(args.format or ("png", "svg")), **_kwargs(args))
    facts = an.tables["stylized_facts"]
    print(f"{an.results.kind} of {len(an.results.runs)} runs "
          f"({len(an.results.failed)} failed) -> {an.out}/")
    print(f"  tables:  {', '.join(an.tables)}")
    print(f"  figures: {', '.join(f.name for f in an.figures)}")
    print("  stylized facts: " + "; ".join(f"{r.fact}: {r.status}" for r in facts.itertuples()))
    for d in an.discoveries:
        for b in d.boxes:
            print(f"  PRIM {d.rule.text}: box {b.index}: {describe_box(b)} (coverage "
                  f"{b.coverage:.0%}, density {b.density:.0%})")
    if an.posterior is not None:
        p = an.posterior
        shares = ", ".join(f"{m} {v:.0%}" for m, v in p["shares"].items()
                           if m in an.key_outcomes)
        print(f"  posterior: {p['dir']} ({p['name']}), {p['draws']} draws × "
              f"{p['replications']} replications; the parameters' share of the variance "
              f"(median): {shares or 'n/a'} (tables/posterior_uncertainty.csv)")
    for note in an.notes:
        print(f"  note: {note}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Analyse a results directory and write one self-contained HTML report."""
    from collabsim.analysis.report import build_report

    out = build_report(args.results, args.output, title=args.title,
                       formats=tuple(args.format or ("png", "svg")), **_kwargs(args))
    size = out.stat().st_size / 1e6
    print(f"report -> {out} ({size:.1f} MB, self-contained)")
    return 0


def register(sub: Any) -> None:
    """Add ``analyze`` and ``report`` to the ``collabsim`` command line."""
    p = sub.add_parser("analyze", help="tables (CSV, Parquet) and figures (PNG, SVG) of a "
                                       "sweep or comparison: CIs, effect sizes, Sobol/Morris, "
                                       "PRIM, stylized facts")
    _add_common(p)
    p.add_argument("--format", action="append", choices=("png", "svg", "pdf"), default=None,
                   help="figure format (repeatable; default png and svg)")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("report", help="one self-contained HTML report of a sweep or comparison")
    _add_common(p)
    p.add_argument("-o", "--output", default="report.html", help="HTML file (default "
                                                                  "report.html)")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--format", action="append", choices=("png", "svg", "pdf"), default=None,
                   help="figure formats written to the analysis directory besides the report "
                        "(repeatable; default png and svg; the report embeds the PNGs)")
    p.set_defaults(func=cmd_report)

"""How cost grows: time and peak memory against citizens, agencies and workflow stages.

Writes benchmarks/scaling.csv and benchmarks/scaling.png (``make bench`` runs it
through benchmarks/run.py; ``python benchmarks/scaling.py [--quick]`` alone).

* citizens 10,000 → 1,000,000: the pbg and jcoc presets (pbg without its
  burn-in, 180 days; jcoc its 120 days);
* agencies 3 → 30: pbg with extra partner agencies (each 2 desk officers per
  10,000 citizens, in the collaboration network), workflow unchanged;
* workflow stages 2 → 12: pbg with its six stages cycled or cut to k stages.

Agencies and stages use synthetic scenarios written to a temporary file that
``extends`` the pbg preset. Each point runs in a fresh process, so its peak
resident memory is its own. Growth is judged by the log-log slope of the
cost of a simulated day from the smallest to the largest point (1 = linear;
above 1.1 superlinear), see :func:`growth_of`.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV = HERE / "scaling.csv"
PNG = HERE / "scaling.png"

CITIZENS = [10_000, 30_000, 100_000, 300_000, 1_000_000]
AGENCIES = [3, 6, 12, 20, 30]
STAGES = [2, 4, 6, 9, 12]
QUICK = {"citizens": [10_000, 30_000], "agencies": [3, 6], "stages": [2, 4]}
AXIS_CITIZENS = 10_000   # citizens of the agency and stage points
AXIS_DAYS = 730          # days of the agency and stage points (no burn-in)

PARTNER = """
[agencies.{key}]
name = "Partner office {i}"
leader_commitment = 0.35
facilitative_leadership = 0.3
resources = 0.5
regulation_ready = true
communication_openness = 0.4
role_clarity = 0.5
staff_competence = 0.55
intrinsic_commitment = 0.5
n_officers = 2
"""


def scenario_text(agencies: int = 3, stages: int | None = None) -> str:
    """A pbg variant with ``agencies`` agencies and ``stages`` workflow stages."""
    from collabsim.scenario import load_scenario

    lines = ['extends = "pbg"', 'name = "scaling"', "burn_in_days = 0"]
    for i in range(3, agencies):
        lines.append(PARTNER.format(key=f"partner{i}", i=i))
    if stages is not None:
        base = load_scenario("pbg").licensing.stages
        for k in range(stages):
            s = base[k % len(base)].model_dump(exclude_none=True)
            s["name"] = f"{s['name']} {k}"
            lines.append("[[licensing.stages]]")
            lines += [f"{key} = {json.dumps(val)}" for key, val in s.items()]
    return "\n".join(lines) + "\n"


def child(axis: str, value: int, quick: bool = False) -> dict:
    """One point: build and run in this (fresh) process."""
    from collabsim import CollabModel
    from collabsim._kernels import warm

    warm()  # the compiled loops' one-off load is not a cost per simulated day
    if axis == "citizens":
        preset, n, days = ("pbg", value, 30 if quick else 180)
        src, overrides = preset, {"burn_in_days": 0}
    else:
        n, days = AXIS_CITIZENS, 30 if quick else AXIS_DAYS
        text = scenario_text(value, None) if axis == "agencies" else scenario_text(3, value)
        tmp = Path(tempfile.mkdtemp(prefix="collabsim-scaling-")) / "scaling.toml"
        tmp.write_text(text)
        src, overrides, preset = tmp, {}, "pbg"
    out = []
    for p in ([preset, "jcoc"] if axis == "citizens" else [preset]):
        source = src if p == preset else "jcoc"
        t0 = time.perf_counter()
        m = CollabModel(source, seed=1, n_citizens=n, overrides=overrides if p == "pbg" else {})
        t1 = time.perf_counter()
        m.run(days if p == "pbg" else (30 if quick else None))
        t2 = time.perf_counter()
        out.append({"axis": axis, "value": value, "preset": p, "citizens": n,
                    "agencies": len(m.agency_list),
                    "stages": m.licensing.n_stages if m.licensing else 0,
                    "officers": m.officers.n, "days": m.day, "build_s": round(t1 - t0, 4),
                    "run_s": round(t2 - t1, 4), "total_s": round(t2 - t0, 4)})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    for r in out:
        r["peak_rss_mb"] = round(rss / 2**20, 1)  # the process's peak over its points
    return {"rows": out}


def spawn(axis: str, value: int, quick: bool = False, in_process: bool = False) -> list[dict]:
    if in_process:
        return child(axis, value, quick)["rows"]
    res = subprocess.run([sys.executable, __file__, "--child", axis, str(value),
                          *(["quick"] if quick else [])],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0:
        err = res.stderr.strip().splitlines()[-1] if res.stderr else "failed"
        return [{"axis": axis, "value": value, "error": err}]
    return json.loads(res.stdout.strip().splitlines()[-1])["rows"]


def growth_of(rows: list[dict], key: str = "run_s") -> dict:
    """How the cost of a simulated day grows over the range.

    ``exponent``: the log-log slope from the smallest to the largest point
    (1 = linear; below 1, fixed costs are still a large share at the small
    end). ``marginal_top``: seconds per day per added unit over the top
    interval. No worse than linear when the exponent is at most 1.1.
    """
    pts = sorted((r["value"], r[key] / r["days"]) for r in rows)
    (x0, y0), (x1, y1) = pts[0], pts[-1]
    exponent = math.log(y1 / y0) / math.log(x1 / x0) if y0 > 0 and y1 > 0 else float("nan")
    (xa, ya), (xb, yb) = pts[-2], pts[-1]
    verdict = ("too few points (--quick)" if len(pts) < 3 else
               "superlinear" if exponent > 1.1 else
               "linear" if exponent >= 0.75 else "sublinear: no worse than linear")
    return {"exponent": exponent, "marginal_top_s": (yb - ya) / (xb - xa), "verdict": verdict}


def plot(rows: list[dict], path: Path = PNG) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    labels = {"citizens": "citizens", "agencies": "agencies (pbg + partners, 10,000 citizens)",
              "stages": "workflow stages (pbg, 10,000 citizens)"}
    for ax, axis in zip(axes, ("citizens", "agencies", "stages"), strict=True):
        mem = ax.twinx()
        for preset, style in (("pbg", "o-"), ("jcoc", "s-")):
            pts = sorted((r["value"], r) for r in rows
                         if r.get("axis") == axis and r.get("preset") == preset)
            if not pts:
                continue
            xs = [x for x, _ in pts]
            ax.plot(xs, [1e3 * r["run_s"] / r["days"] for _, r in pts], style,
                    label=f"{preset}: ms per simulated day")
            mem.plot(xs, [r["peak_rss_mb"] / 1024 for _, r in pts], style, alpha=0.35,
                     color="gray", label=f"{preset}: peak RSS (GB)")
        ax.set_xlabel(labels[axis])
        ax.set_ylabel("ms per simulated day")
        mem.set_ylabel("peak RSS, GB", color="gray")
        if axis == "citizens":
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_ylim(bottom=None if axis == "citizens" else 0)
        mem.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle("collabsim: cost of a simulated day (build excluded) and peak memory")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true",
                    help="two points per axis, 30 days (a smoke test; writes to --out-dir)")
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="where scaling.csv/.png go (default benchmarks/; with --quick a "
                         "temporary directory)")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--in-process", action="store_true",
                    help="measure in this process (memory then not per point)")
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), len(args.child) > 2)))
        return {}
    out_dir = args.out_dir or (Path(tempfile.mkdtemp(prefix="collabsim-scaling-"))
                               if args.quick else HERE)
    csv_path, png_path = out_dir / CSV.name, out_dir / PNG.name
    grid = QUICK if args.quick else {"citizens": CITIZENS, "agencies": AGENCIES,
                                     "stages": STAGES}
    rows: list[dict] = []
    for axis, values in grid.items():
        for v in values:
            got = spawn(axis, v, args.quick, args.in_process)
            rows += got
            for r in got:
                if "error" in r:
                    print(f"  {axis} {v}: error {r['error']}")
                else:
                    print(f"  {axis:<9}{v:>10,} {r['preset']:<5} build {r['build_s']:7.2f} s  "
                          f"run {r['run_s']:7.2f} s ({1e3 * r['run_s'] / r['days']:.2f} ms/day)"
                          f"  peak {r['peak_rss_mb'] / 1024:.2f} GB")
    ok = [r for r in rows if "error" not in r]
    fields = ["axis", "value", "preset", "citizens", "agencies", "stages", "officers", "days",
              "build_s", "run_s", "total_s", "peak_rss_mb"]
    with csv_path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(ok)
    growth = {}
    for axis in grid:
        for preset in ("pbg", "jcoc"):
            sel = [r for r in ok if r["axis"] == axis and r["preset"] == preset]
            if len(sel) >= 2:
                growth[f"{axis}/{preset}"] = growth_of(sel)
    for k, g in growth.items():
        print(f"  {k:<16} cost per simulated day ~ size^{g['exponent']:.2f} over the range "
              f"-> {g['verdict']}")
    if not args.no_plot and ok:
        plot(ok, png_path)
    print(f"-> {csv_path}" + ("" if args.no_plot else f", {png_path}"))
    return {"rows": ok, "growth": growth}


if __name__ == "__main__":
    main()

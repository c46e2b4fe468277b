"""Compare mode at full size: one 7-day step of both worlds, with and without drawing.

Run: ``.venv/bin/python benchmarks/viz_compare.py [--citizens 10000] [--steps 8]``.
Appends a record to ``benchmarks/viz_results.json``. Not a timed test: a
measurement on the machine it runs on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("viz_results.json")


def append(record: dict) -> None:
    """Add one record to the results file (a JSON list)."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    data.append(record)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--citizens", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=8, help="7-day steps timed")
    ap.add_argument("--preset", default="pbg")
    args = ap.parse_args()

    import ipyvuetify as v
    import solara

    from collabsim.viz.app import App
    from collabsim.viz.state import ViewState

    state = ViewState.create(preset=args.preset, n_citizens=args.citizens)
    _, rc = solara.render(solara.AppLayout(children=[App(state=state)]), handle_error=False)
    t0 = time.perf_counter()
    rc.find(v.Switch, label="Compare: baseline vs variant").widget.v_model = True
    state.set_param("leader_commitment", 0.9)
    rebuild = time.perf_counter() - t0
    step = rc.find(v.Btn, children=["Step"]).widget
    page = []
    for _ in range(args.steps):  # 7 days in both worlds, then every panel drawn again
        t0 = time.perf_counter()
        step.click()
        page.append(time.perf_counter() - t0)
    sim = []
    for _ in range(args.steps):  # the two worlds' 7 days alone
        t0 = time.perf_counter()
        for m in state.worlds():
            m.run(7)
        sim.append(time.perf_counter() - t0)
    rc.close()
    record = {
        "benchmark": "viz_compare", "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.node(), "cpus": os.cpu_count(), "preset": args.preset,
        "citizens": args.citizens, "steps_timed": args.steps,
        "compare_rebuild_s": round(rebuild, 3),
        "step_7d_both_worlds_with_drawing_s": {
            "median": round(statistics.median(page), 3), "max": round(max(page), 3)},
        "step_7d_both_worlds_simulation_only_s": {
            "median": round(statistics.median(sim), 3), "max": round(max(sim), 3)},
    }
    append(record)
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`benchmarks/run.py --quick` (what `make bench` runs, cut small) works end to end.

Only that it runs and reports every section: speed targets live in the benchmarks, never as
timed assertions here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def test_quick_benchmark_reports_every_section(tmp_path):
    kept = {p: p.stat().st_mtime_ns for p in (BENCH / "results.json", BENCH / "scaling.csv")
            if p.exists()}
    out = tmp_path / "results.json"
    res = subprocess.run([sys.executable, str(BENCH / "run.py"), "--quick", "--out", str(out)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(out.read_text())
    for key in ("machine", "models", "epstein", "city", "builds", "sweeps", "sobol", "scaling",
                "crn", "crn_floor", "targets"):
        assert key in data, key
    parts = [*data["models"], data["epstein"], *data["builds"], *data["sweeps"], data["sobol"],
             *(data["city"][k] for k in ("jcoc", "pbg_with_burn_in", "pbg_without_burn_in"))]
    assert not [p for p in parts if "error" in p]
    assert all(c["ok"] for c in data["city"]["cli"])
    assert all(s["every_run_once"] for s in data["sweeps"])
    assert {s["runner"] for s in data["sweeps"]} == {"processes", "dask"}
    sobol = data["sobol"]  # the whole (tiny) sweep: 2 × (6 + 2) points, forked on the start
    assert (sobol["runs"], sobol["ok"], sobol["parameters_from"]) == (16, 16, "start")
    fl = data["crn_floor"]
    assert fl["floor"] >= 0 and fl["within"] >= 0 and fl["histories"] == 2
    assert data["scaling"]["ok"] and len(data["scaling"]["summary"]) == 4
    speed = data["machine"]["speed"]  # the machine's speed, probed between the sections
    assert [p["where"] for p in speed] == ["start", "after the models", "after the city",
                                           "after the sweeps", "end"]
    assert all(p["python_loop_s"] > 0 and p["numpy_sort_s"] > 0 and p["epstein_s"] > 0
               and p["epstein_steps"] == 2 for p in speed)
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # the recorded results untouched

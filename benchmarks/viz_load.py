"""A bounded classroom load test: 30 browser sessions stepping at once on one local server.

Run: ``.venv/bin/python benchmarks/viz_load.py [--sessions 30] [--steps 4]
[--citizens 2000]``. Serves ``collabsim viz`` on 127.0.0.1 only (a free port),
opens ``--sessions`` pages in Debian's headless Chromium (one browser context
each: separate students), has every page press Step ``--steps`` times at
once, and records the step latency (click to the new day shown) p50/p95, the
server's peak memory (RSS) and memory per session; any page error or error
alert counts as a failure. Bounded: at most ``--sessions`` pages, and the
whole run stops after ``--deadline`` seconds. Appends to
``benchmarks/viz_results.json`` and stops the server itself.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from viz_compare import append

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        pids += [int(x) for x in out.stdout.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--citizens", type=int, default=2000)
    ap.add_argument("--deadline", type=float, default=600.0, help="seconds for the whole run")
    args = ap.parse_args()
    args.sessions = min(args.sessions, 40)  # bounded

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server output, shown if it fails
    server = subprocess.Popen(
        [sys.executable, "-m", "collabsim.cli", "viz", "--host", "127.0.0.1", "--port",
         str(port), "--no-browser", "--scenario", "pbg", "--citizens", str(args.citizens)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    t_end = time.monotonic() + args.deadline
    peak = [0.0]
    stop_watch = threading.Event()

    def watch() -> None:
        while not stop_watch.is_set():
            peak[0] = max(peak[0], rss_mb(server.pid))
            time.sleep(0.2)

    when = datetime.now(UTC).isoformat(timespec="seconds")
    record: dict = {"benchmark": "viz_load", "when": when,
                    "cpus": os.cpu_count(), "sessions": args.sessions, "steps": args.steps,
                    "citizens": args.citizens, "preset": "pbg"}
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > t_end or server.poll() is not None:
                    log.seek(0)
                    raise SystemExit("server did not start:\n"
                                     + log.read().decode(errors="replace")[-2000:]) from None
                time.sleep(0.3)
        idle = rss_mb(server.pid)
        threading.Thread(target=watch, daemon=True).start()
        latencies: list[float] = []
        errors: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            pages = []
            for _ in range(args.sessions):
                page = browser.new_context(viewport={"width": 1280, "height": 1200}).new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(url)
                pages.append(page)
            for page in pages:
                page.get_by_text("Day 0 of 730").wait_for(timeout=max(1, t_end - time.monotonic())
                                                          * 1000)
            loaded = rss_mb(server.pid)
            for k in range(1, args.steps + 1):
                starts = []
                for page in pages:  # every student presses Step at (nearly) the same time
                    starts.append(time.monotonic())
                    page.get_by_role("button", name="Step").click(no_wait_after=True)
                for page, t0 in zip(pages, starts, strict=True):
                    page.get_by_text(f"Day {7 * k} of 730").wait_for(
                        timeout=max(1, t_end - time.monotonic()) * 1000)
                    latencies.append(time.monotonic() - t0)
            alerts = sum(p.locator(".v-alert").count() for p in pages)
            # the server still answers a fresh request while 30 sessions are open
            t0 = time.monotonic()
            with urllib.request.urlopen(url, timeout=10) as r:
                responsive = r.status == 200
            record["fresh_request_s"] = round(time.monotonic() - t0, 3)
            browser.close()
        lat = sorted(latencies)
        record.update({
            "step_latency_s": {"p50": round(statistics.median(lat), 3),
                               "p95": round(lat[max(0, math.ceil(0.95 * len(lat)) - 1)], 3),
                               "max": round(lat[-1], 3), "n": len(lat)},
            "server_rss_mb": {"idle": round(idle, 1), "all_sessions_loaded": round(loaded, 1),
                              "peak": round(peak[0], 1)},
            "memory_per_session_mb": round((loaded - idle) / args.sessions, 1),
            "page_errors": len(errors), "error_alerts": alerts, "responsive": responsive})
    finally:
        stop_watch.set()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
    append(record)
    print(json.dumps(record, indent=2))
    return 0 if record.get("page_errors") == 0 and record.get("error_alerts") == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""End to end: ``collabsim viz`` served on localhost, driven in Debian's headless Chromium.

Playwright (from PyPI) drives ``/usr/bin/chromium``; Playwright's own browser
download is not used. Solara's web assets come from the solara-assets package
package and the set-up step (see :mod:`collabsim.viz.assets`).
Set ``COLLABSIM_VIZ_SCREENSHOT=path.png`` to keep a copy of the screenshot.

Without Chromium the test is skipped, unless ``COLLABSIM_REQUIRE_BROWSER=1``
(``make test`` sets it, after installing Chromium): then it fails, so a broken
set-up never passes as a skip.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY_TIMEOUT = 60.0
REQUIRE = "COLLABSIM_REQUIRE_BROWSER"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"viz server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"viz server not ready after {READY_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server and anything it started (its own process group)."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def require_chromium(chromium: Path = CHROMIUM) -> None:
    """Skip without Chromium, or fail when the browser test is required (``make test``)."""
    if chromium.exists():
        return
    why = f"Debian's chromium is not installed at {chromium} (`make chromium` installs it)"
    if os.environ.get(REQUIRE, "") not in ("", "0"):
        pytest.fail(f"{why}; {REQUIRE} is set, so the browser test must run", pytrace=False)
    pytest.skip(why)


def test_a_missing_browser_fails_when_required(monkeypatch, tmp_path):
    absent = tmp_path / "no-chromium"
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="must run"):
        require_chromium(absent)
    monkeypatch.setenv(REQUIRE, "0")
    with pytest.raises(pytest.skip.Exception):
        require_chromium(absent)
    require_chromium(tmp_path)  # present: nothing to say


@pytest.fixture(scope="module")
def viz_url(tmp_path_factory):
    require_chromium()
    from collabsim.viz.assets import missing_assets

    assert not missing_assets(), ("Solara's web assets are not installed (set-up puts them in "
                                  "place: python -m collabsim.viz.assets): "
                                  + repr(missing_assets()))
    port = free_port()
    log = tmp_path_factory.mktemp("viz") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "collabsim.cli", "viz", "--port", str(port), "--no-browser",
             "--scenario", "pbg", "--seed", "42"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_ready(url, proc, log)
        yield url
    finally:
        stop(proc)


@pytest.mark.browser
def test_slider_step_and_kpis_in_chromium(viz_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2300})
            page_errors: list[str] = []
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(viz_url)
            page.get_by_text("Day 0 of 730").wait_for(timeout=60_000)

            # a slider: Leader commitment to its maximum (End key) rebuilds the model
            thumb = page.locator(".v-slider", has=page.locator(
                "label", has_text="Leader commitment")).locator("[role=slider]")
            assert thumb.get_attribute("aria-valuenow") == "0.33"
            thumb.focus()
            thumb.press("End")
            page.wait_for_function(
                "el => el.getAttribute('aria-valuenow') === '1'", arg=thumb.element_handle(),
                timeout=10_000)
            page.get_by_text("Day 0 of 730").wait_for(timeout=10_000)
            cards = page.locator(".kpi-cards")
            first = cards.inner_text()

            # step four times (7 days each); the KPI cards change
            latencies = []
            for k in range(1, 5):
                t0 = time.monotonic()
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Day {7 * k} of 730").wait_for(timeout=20_000)
                latencies.append(time.monotonic() - t0)
            # play until a month later, then pause
            page.get_by_role("button", name="Play").click()
            page.get_by_text(re.compile(r"Day (5[6-9]|[6-9]\d|\d{3}) of 730")).wait_for(
                timeout=30_000)
            page.get_by_role("button", name="Pause").click()
            page.get_by_role("button", name="Play").wait_for(timeout=10_000)
            page.wait_for_timeout(500)
            later = cards.inner_text()
            assert later != first, later

            # no error on the page
            assert page.locator(".v-alert").count() == 0
            body = page.locator("body").inner_text()
            assert "Traceback" not in body and "Error" not in body
            assert not page_errors, page_errors
            for selector in (".collabsim-network", ".collabsim-pipeline", ".collabsim-kpis"):
                assert page.locator(selector).is_visible()

            shot = tmp_path / "viz.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
            if os.environ.get("COLLABSIM_VIZ_SCREENSHOT"):
                shutil.copy(shot, os.environ["COLLABSIM_VIZ_SCREENSHOT"])
            print(f"step latencies in the browser (s): {[round(x, 2) for x in latencies]}")
        finally:
            browser.close()


def serve(tmp_path_factory, *extra: str):
    """Start ``collabsim viz`` on a free port; yield its URL; stop it."""
    require_chromium()
    port = free_port()
    log = tmp_path_factory.mktemp("viz") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "collabsim.cli", "viz", "--port", str(port), "--no-browser",
             *extra], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_ready(url, proc, log)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def jcoc_url(tmp_path_factory):
    yield from serve(tmp_path_factory, "--scenario", "jcoc", "--seed", "42", "--citizens", "3000")


def _slider_to_max(page, label: str) -> None:
    thumb = page.locator(".v-slider", has=page.locator("label", has_text=label)).locator(
        "[role=slider]")
    thumb.focus()
    thumb.press("End")
    page.wait_for_function("el => el.getAttribute('aria-valuenow') === '1'",
                           arg=thumb.element_handle(), timeout=10_000)


def _card(page, key: str) -> dict[str, float]:
    el = page.locator(f".kpi-card[data-kpi='{key}']")
    return {k: float(el.get_attribute(f"data-{k}") or "nan") for k in ("baseline", "variant")}


@pytest.mark.browser
def test_compare_mode_and_indonesian_in_chromium(jcoc_url, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2600})
            page_errors: list[str] = []
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(jcoc_url)
            page.get_by_text("Day 0 of 120").wait_for(timeout=60_000)

            # compare: the page as it is becomes the baseline; the slider sets the variant
            page.get_by_text("Compare: baseline vs variant").click()
            page.locator(".kpi-card.compare").first.wait_for(timeout=20_000)
            _slider_to_max(page, "Socialisation reach (campaigns)")
            page.get_by_text("Variant: jcoc: Socialisation reach (campaigns) 1").wait_for(
                timeout=20_000)
            for k in range(1, 7):
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Day {7 * k} of 120").wait_for(timeout=30_000)
            page.wait_for_timeout(300)
            aware = _card(page, "awareness")
            assert aware["variant"] > aware["baseline"] + 0.1, aware  # campaigns reach all
            assert page.locator("img.collabsim-baseline").count() == 2
            assert page.locator("img.collabsim-network").count() == 2
            page.get_by_text("day 30: the joint arrangement starts").first.wait_for(timeout=5000)
            shot = Path(os.environ.get("COLLABSIM_VIZ_COMPARE_SCREENSHOT",
                                       tmp_path / "viz_compare.png"))
            page.screenshot(path=str(shot), full_page=True)

            # Bahasa Indonesia: the switch in the app bar; the run goes on
            page.get_by_role("button", name="Bahasa Indonesia").click()
            page.get_by_text("Hari 42 dari 120").wait_for(timeout=20_000)
            indonesian = ["Bandingkan: dasar vs varian", "Apa yang saya lihat?", "Langkah",
                          "Jaringan kolaborasi antarinstansi", "Kesadaran aturan", "Dasar",
                          "hari 30: pengaturan kerja bersama dimulai"]
            english = ["What am I looking at?", "Step", "Agency collaboration network",
                       "the joint arrangement starts", "Baseline"]
            # the panels re-render one after another (on a loaded machine the day counter can
            # be ahead of the help panel): wait until the page is all Indonesian, then check
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(
                    "([yes, no]) => { const t = document.body.innerText;"
                    " return yes.every(w => t.includes(w)) && !no.some(w => t.includes(w)); }",
                    arg=[indonesian, english], timeout=20_000)
            body = page.locator("body").inner_text()
            for word in indonesian:
                assert word in body, word
            for word in english:
                assert word not in body, word
            page.get_by_role("button", name="Langkah").click()
            page.get_by_text("Hari 49 dari 120").wait_for(timeout=30_000)
            assert page.locator(".v-alert").count() == 0
            assert "Traceback" not in page.locator("body").inner_text()
            assert not page_errors, page_errors
            shot = Path(os.environ.get("COLLABSIM_VIZ_ID_SCREENSHOT", tmp_path / "viz_id.png"))
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()


@pytest.mark.browser
def test_two_students_have_their_own_worlds(jcoc_url):
    """Two browser contexts (two students): one's slider and steps never reach the other."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            a = browser.new_context(viewport={"width": 1280, "height": 1600}).new_page()
            b = browser.new_context(viewport={"width": 1280, "height": 1600}).new_page()
            for p in (a, b):
                p.goto(jcoc_url)
                p.get_by_text("Day 0 of 120").wait_for(timeout=60_000)
            _slider_to_max(a, "Role clarity")
            a.get_by_role("button", name="Step").click()
            a.get_by_text("Day 7 of 120").wait_for(timeout=30_000)
            b.wait_for_timeout(500)
            thumb = b.locator(".v-slider", has=b.locator("label", has_text="Role clarity")
                              ).locator("[role=slider]")
            assert thumb.get_attribute("aria-valuenow") != "1"
            assert b.get_by_text("Day 0 of 120").is_visible()
            b.get_by_role("button", name="Step").click()
            b.get_by_text("Day 7 of 120").wait_for(timeout=30_000)
            assert a.get_by_text("Day 7 of 120").is_visible()  # a's run did not move on
        finally:
            browser.close()

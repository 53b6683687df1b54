"""End to end: ``streamlit run app.py`` on 127.0.0.1, driven by a real headless Chromium
(Debian's ``chromium``, installed by ``make test``'s ``browser`` step; Playwright drives it with
``executable_path``, no downloaded browser). Generates a pitch with one click and saves a
screenshot in the test's temp folder (and ``docs/screenshots/pitch.png`` when
``PITCHCRAFT_SCREENSHOT`` is set). A missing browser is a failure, never a skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "screenshots" / "pitch.png"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
]
STARTUP_SECONDS = 90
PITCH_SECONDS = 120

pytestmark = pytest.mark.slow


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@pytest.fixture
def server(knowledge_kb, tmp_path: Path) -> Iterator[str]:
    """The app on a free loopback port, over a copy of the session's sample store."""
    kb = tmp_path / "kb"
    shutil.copytree(knowledge_kb.root, kb)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PITCHCRAFT_", "OPENAI_"))}
    env.update(PITCHCRAFT_KB=str(kb), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--client.toolbarMode",
            "minimal",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not start:\n{(tmp_path / 'streamlit.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        stop(proc)
        log.close()


def test_a_pitch_in_a_real_browser(server: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install chromium); run `make browser`"
        )
    from playwright.sync_api import expect, sync_playwright

    shot = tmp_path / "pitch.png"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1300},
        )
        try:
            page = context.new_page()
            page.goto(server, wait_until="domcontentloaded")
            button = page.get_by_role("button", name="Generate pitch")
            expect(button).to_be_visible(timeout=STARTUP_SECONDS * 1000)
            expect(page.get_by_text("Loading the embedding model")).to_have_count(
                0, timeout=PITCH_SECONDS * 1000
            )
            # A click while the script is still running can be dropped: wait until it is idle.
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(
                0, timeout=PITCH_SECONDS * 1000
            )
            button.click()
            heading = page.get_by_role("heading", name="Pitch for Chief Information Officer")
            expect(heading).to_be_visible(timeout=PITCH_SECONDS * 1000)
            features = page.get_by_role("heading", name="Features chosen, and why")
            expect(features).to_be_visible()
            # A feature heading of the pitch, and its card with the why.
            expect(page.get_by_role("heading", name="Versus Stratavia")).to_be_visible()
            cards = page.get_by_text("speaks to the Chief Information Officer's priority")
            expect(cards.first).to_be_visible()
            # A citation expands to its quoted source.
            citation = page.locator("summary").filter(has_text="[1] ").first
            expect(citation).to_be_visible()
            citation.click()
            expect(page.locator("details[open] blockquote").first).to_be_visible()
            expect(page.get_by_role("button", name="Download Markdown")).to_be_visible()
            page.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, 0)")
            page.mouse.move(0, 0)
            page.screenshot(path=str(shot), full_page=False)
        finally:
            context.close()
    assert shot.stat().st_size > 20_000
    if os.environ.get("PITCHCRAFT_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_a_deal_in_a_real_browser(server: str, tmp_path: Path) -> None:
    """Paste a meeting's notes on the Deals page, log it, and read the forecast call."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    from playwright.sync_api import expect, sync_playwright

    notes = (
        ROOT / "examples" / "deals" / "lakemont-bank" / "2026-11-24-commit-call.md"
    ).read_text()
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1300},
        )
        try:
            page = context.new_page()
            page.goto(f"{server}/deals", wait_until="domcontentloaded")
            button = page.get_by_role("button", name="Log meeting")
            expect(button).to_be_visible(timeout=STARTUP_SECONDS * 1000)
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(
                0, timeout=PITCH_SECONDS * 1000
            )
            page.get_by_label("New deal's name").fill("Lakemont")
            page.get_by_label("Account (new deal)").fill("Lakemont Bank")
            page.get_by_label("Meeting notes").fill(notes)
            button.click()
            expect(page.get_by_text("Logged: Lakemont, 2026-11-24")).to_be_visible(
                timeout=PITCH_SECONDS * 1000
            )
            page.get_by_role("tab", name="Deal").click()
            expect(page.get_by_role("heading", name="Forecast call")).to_be_visible()
            expect(page.get_by_text("Commit", exact=True).first).to_be_visible()
            expect(page.get_by_role("heading", name="Close plan")).to_be_visible()
            page.screenshot(path=str(tmp_path / "deals.png"), full_page=False)
        finally:
            context.close()
    assert (tmp_path / "deals.png").stat().st_size > 20_000

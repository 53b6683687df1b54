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
from fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOIDC, fake_oidc_fixture  # noqa: F401
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


def _serve(
    knowledge_kb, tmp_path: Path, port: int, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """The app on ``port`` (loopback), over a copy of the session's sample store, run from
    ``tmp_path`` (so a ``.streamlit/secrets.toml`` there configures sign-in)."""
    kb = tmp_path / "kb"
    shutil.copytree(knowledge_kb.root, kb)
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PITCHCRAFT_", "OPENAI_"))}
    env.update(PITCHCRAFT_KB=str(kb), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.update(extra_env or {})
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


@pytest.fixture
def server(knowledge_kb, tmp_path: Path) -> Iterator[str]:
    """The app on a free loopback port, sign-in off."""
    yield from _serve(knowledge_kb, tmp_path, free_port())


def _browser(p: object, tmp_path: Path) -> object:
    return p.chromium.launch_persistent_context(  # type: ignore[attr-defined]
        str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": 1400, "height": 1300},
    )


def test_a_pitch_in_a_real_browser(server: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install chromium); run `make browser`"
        )
    from playwright.sync_api import expect, sync_playwright

    shot = tmp_path / "pitch.png"
    with sync_playwright() as p:
        context = _browser(p, tmp_path)
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
        context = _browser(p, tmp_path)
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


@pytest.fixture
def team_server(knowledge_kb, tmp_path: Path, fake_oidc: FakeOIDC) -> Iterator[str]:
    """The app with sign-in against a real OpenID Connect provider on 127.0.0.1, a roles file
    and one folder it may ingest from."""
    port = free_port()
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "cookie-secret-for-the-test-0123456789"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{fake_oidc.metadata_url}"\n',
        encoding="utf-8",
    )
    roles = tmp_path / "roles.yaml"
    roles.write_text("default: rep\nusers:\n  erin@example.com: enablement\n", encoding="utf-8")
    docs = tmp_path / "team-docs" / "products"
    docs.mkdir(parents=True)
    (docs / "onboarding.md").write_text(
        "# Guided onboarding\n\nEvery new workspace gets a named onboarding engineer for the "
        "first 45 days, with weekly check-ins.\n",
        encoding="utf-8",
    )
    env = {"PITCHCRAFT_ROLES_FILE": str(roles), "PITCHCRAFT_INGEST_ROOTS": str(docs.parent)}
    yield from _serve(knowledge_kb, tmp_path, port, env)


def _sign_in(page: object, url: str, who: str) -> None:
    from playwright.sync_api import expect

    page.goto(url, wait_until="domcontentloaded")  # type: ignore[attr-defined]
    button = page.get_by_role("button", name="Sign in")  # type: ignore[attr-defined]
    expect(button).to_be_visible(timeout=STARTUP_SECONDS * 1000)
    button.click()
    signed = page.get_by_text(f"Signed in as {who}")  # type: ignore[attr-defined]
    expect(signed).to_be_visible(timeout=PITCH_SECONDS * 1000)


def test_sign_in_roles_and_the_audit_log_in_a_real_browser(
    team_server: str, fake_oidc: FakeOIDC, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    from playwright.sync_api import expect, sync_playwright

    from assistant.access.audit import AuditLog

    with sync_playwright() as p:
        context = _browser(p, tmp_path)
        try:
            page = context.new_page()
            # Signed out: the sign-in and nothing else, whatever page the link names.
            page.goto(f"{team_server}/knowledge", wait_until="domcontentloaded")
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(
                timeout=STARTUP_SECONDS * 1000
            )
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            expect(page.get_by_text("Documents")).to_have_count(0)
            # A rep: pitches, but no ingest or delete, even on the Knowledge page's own URL.
            fake_oidc.sign_in_as("rita@example.com", "Rita Rep")
            _sign_in(page, team_server, "rita@example.com (rep)")
            page.goto(f"{team_server}/knowledge", wait_until="domcontentloaded")
            expect(page.get_by_text("enablement and admins load")).to_be_visible(
                timeout=PITCH_SECONDS * 1000
            )
            expect(page.get_by_role("tab", name="Upload files")).to_have_count(0)
            expect(page.get_by_role("tab", name="Delete or rebuild")).to_have_count(0)
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(
                timeout=PITCH_SECONDS * 1000
            )
            # Enablement: ingests a folder inside the allowed root; the audit log says so.
            fake_oidc.sign_in_as("erin@example.com", "Erin Enable")
            _sign_in(page, team_server, "erin@example.com (enablement)")
            page.goto(f"{team_server}/knowledge", wait_until="domcontentloaded")
            page.get_by_role("tab", name="Ingest a folder").click(timeout=PITCH_SECONDS * 1000)
            folder = page.get_by_role("textbox", name="Folder (or file) on this machine")
            folder.fill(str(tmp_path / "team-docs"))
            page.get_by_role("button", name="Ingest folder").click()
            expect(page.get_by_text("1 added")).to_be_visible(timeout=PITCH_SECONDS * 1000)
        finally:
            context.close()
    entries = AuditLog(tmp_path / "kb" / "audit.sqlite").entries()
    assert (entries[0].who, entries[0].action) == ("erin@example.com", "knowledge.ingest")
    assert fake_oidc.token_requests == 2  # two real code-for-token exchanges

"""Helpers for browser tests: a real Streamlit server on a free port, and Debian chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dashboard import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def require_chromium() -> None:
    """Skip outside CI when chromium is missing (make test installs it); in CI a missing browser is a failure."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install Debian chromium")
        pytest.skip(f"{CHROMIUM} is missing: run `make test` (it installs Debian chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BROWSER_USER = "browser-admin"
SESSION_COOKIE = "cdd_session"  # dashboard.accounts.sessions.COOKIE
BROWSER_PASSWORD = "browser-admin-password"


def ensure_browser_admin(database_url: str) -> None:
    """An administrator account the browser tests sign in with (created once per database)."""
    from dashboard import accounts
    from dashboard.core.access import local_admin
    from dashboard.core.vocabulary import TRACK_IDS
    from dashboard.store.db import get_engine

    engine = get_engine(database_url)
    if BROWSER_USER not in {u["username"] for u in accounts.list_users(engine)}:
        accounts.create_user(
            engine,
            BROWSER_USER,
            role="admin",
            tracks=TRACK_IDS,
            organisation="Dialogue Secretariat",
            tlp_ceiling="red",
            password=BROWSER_PASSWORD,
            actor=local_admin("Dialogue Secretariat"),
        )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    return _free_port()


@contextmanager
def streamlit_server(
    database_url: str, *, port: int | None = None, extra_args: tuple[str, ...] = (), **env: str
) -> Iterator[str]:
    """Serve app.py on a free localhost port against the given database; yields the base URL."""
    from tests.conftest import TEST_SECRET

    ensure_browser_admin(database_url)
    env = {"DASHBOARD_SECRET_KEY": TEST_SECRET, **env}
    port = port or _free_port()
    log = (ARTIFACTS / f"streamlit-{port}.log").open("w") if ARTIFACTS.mkdir(exist_ok=True) is None else None
    full_env = {**os.environ, "DASHBOARD_DATABASE_URL": database_url, "DASHBOARD_DEMO_MODE": "false", **env}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            *extra_args,
        ],
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name if log else 'log'}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            log.close()


@dataclass
class RequestLog:
    """Every URL the page asked for, and those that left this machine."""

    urls: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        """Requests to hosts other than localhost (data: and blob: URLs are local)."""
        out = []
        for url in self.urls:
            parsed = urlparse(url)
            if parsed.scheme in {"data", "blob", "about", "chrome-extension"}:
                continue
            if parsed.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out


@contextmanager
def browser_page(width: int = 1440, height: int = 900) -> Iterator[tuple[object, RequestLog]]:
    """A fresh headless chromium page that records every request it makes."""
    from playwright.sync_api import sync_playwright

    log = RequestLog()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        page = context.new_page()
        page.on("request", lambda request: log.urls.append(request.url))
        try:
            yield page, log
        finally:
            context.close()
            browser.close()


def wait_for_app(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has drawn the page and finished running the script."""
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stHeading']", timeout=timeout_ms)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
            && document.querySelector("[data-testid='stApp']")?.dataset.testScriptState === 'notRunning'""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(500)


def wait_until_drawn(page, *, map_shapes: int = 0, timeout_ms: int = 60_000) -> None:
    """After `wait_for_app` (or a rerun that has visibly started): wait until the run has finished, no placeholder
    is left and every Plotly chart has been drawn; with `map_shapes`, until geo maps show that many country shapes.

    `wait_for_app` returns as soon as the title is on screen; charts further down may still be skeletons then.
    """
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function(
        """([shapes]) => !document.querySelector("[data-testid='stSkeleton']")
            && document.querySelectorAll(".js-plotly-plot").length
               === document.querySelectorAll("[data-testid='stPlotlyChart']").length
            && document.querySelectorAll("path.choroplethlocation").length >= shapes""",
        arg=[map_shapes],
        timeout=timeout_ms,
    )


def metric_values(page) -> dict[str, str]:
    """Metric label -> displayed value of every st.metric on the page (the first one of each label)."""
    return page.evaluate(
        """() => {
            const out = {};
            for (const m of document.querySelectorAll("[data-testid='stMetric']")) {
                const label = m.querySelector("[data-testid='stMetricLabel']").innerText.trim();
                if (!(label in out)) out[label] = m.querySelector("[data-testid='stMetricValue']").innerText.trim();
            }
            return out;
        }"""
    )


def expect_metrics(page, expected: dict[str, str], timeout_ms: int = 30_000) -> None:
    """Wait until the page's metrics show these values (a rerun may still be drawing them), then compare."""
    deadline = time.monotonic() + timeout_ms / 1000
    shown = metric_values(page)
    while {k: shown.get(k) for k in expected} != expected and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        shown = metric_values(page)
    assert {k: shown.get(k) for k in expected} == expected


def press_download(page, button, timeout_ms: int = 120_000, attempts: int = 3) -> tuple[str, bytes]:
    """Press a download button (the file may be built on the server when pressed) and return its name and bytes.

    A press made while Streamlit is still re-wiring the page can be lost on a busy machine (CI once waited 120 s for
    a download that never started): the page is let settle first, and a lost press is repeated, as a person would.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for attempt in range(1, attempts + 1):
        page.wait_for_function(
            "() => document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState === 'notRunning'",
            timeout=30_000,
        )
        try:
            with page.expect_download(timeout=timeout_ms // attempts) as info:
                if attempt < attempts:
                    button.click(timeout=timeout_ms // attempts)
                else:  # the button never became clickable (a busy machine): send the click event itself
                    button.dispatch_event("click")
            return info.value.suggested_filename, Path(info.value.path()).read_bytes()
        except PlaywrightTimeoutError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def sign_in(page, username: str = BROWSER_USER, password: str = BROWSER_PASSWORD) -> None:
    """Fill the sign-in form shown on any page and wait for the page itself to appear."""
    from playwright.sync_api import expect

    # While a page is re-drawn, the old form can linger next to the new one: wait until there is one.
    expect(page.get_by_label("Username", exact=True)).to_have_count(1, timeout=30_000)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    before = session_cookie(page)
    page.get_by_role("button", name="Sign in").click()
    wait_for_session_cookie(
        page, before=before["value"] if before else None
    )  # the page then moves on to the route that sets it, and back
    page.get_by_text("Signed in as").wait_for(timeout=30_000)
    wait_for_app(page)


def sign_out(page) -> None:
    """Press Sign out and wait until the sign-out route has cleared the cookie and the sign-in form is back."""
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Sign out").click()
    deadline = time.monotonic() + 60
    while session_cookie(page) is not None:
        if time.monotonic() > deadline:
            raise AssertionError("signing out did not clear the session cookie")
        page.wait_for_timeout(100)
    page.wait_for_load_state()
    page.wait_for_function(
        "() => !!document.querySelector('[data-testid=stForm] input[type=password]')"
        " && !(document.querySelector('[data-testid=stSidebar]')?.innerText || '').includes('Signed in as')",
        timeout=30_000,
    )


def session_cookie(page) -> dict | None:
    """The browser's session cookie (HttpOnly: only the browser context, never the page, can read it)."""
    return next((c for c in page.context.cookies() if c["name"] == SESSION_COOKIE), None)


def wait_for_session_cookie(page, timeout_s: float = 60, before: str | None = None) -> dict:
    """Wait until the sign-in (or share link) hand-off has set a new session cookie and the page has loaded again."""
    deadline = time.monotonic() + timeout_s
    while (cookie := session_cookie(page)) is None or cookie["value"] == before:
        if time.monotonic() > deadline:
            raise AssertionError("the session cookie was never set")
        page.wait_for_timeout(100)
    page.wait_for_load_state()
    return cookie


def open_signed_in(page, url: str, username: str = BROWSER_USER, password: str = BROWSER_PASSWORD) -> None:
    """Open a URL (a page load is a new Streamlit session) and sign in on the form it shows; a browser context that
    is signed in already (its session cookie) opens the page directly."""
    page.goto(url)
    page.wait_for_function(
        "() => !!document.querySelector('[data-testid=stForm] input[type=password]')"
        " || (document.querySelector('[data-testid=stSidebar]')?.innerText || '').includes('Signed in as')",
        timeout=60_000,
    )
    if page.get_by_label("Password", exact=True).count():
        sign_in(page, username, password)
    else:
        wait_for_app(page)

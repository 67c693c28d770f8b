"""Browser: sessions survive reloads, new tabs and bookmarks; signing out in one tab, the idle timeout and an
administrator end them at the next action; a share link's session lasts until the link is revoked, then shows
"This shared view has ended" (never a sign-in page nor the demo accounts); two app processes share sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select, update

from dashboard import accounts
from dashboard.accounts import sessions, sharing
from dashboard.ops.bootstrap import initialise
from dashboard.store.models import User, WebSession
from tests.browser import (
    ARTIFACTS,
    BROWSER_PASSWORD,
    BROWSER_USER,
    browser_page,
    require_chromium,
    session_cookie,
    sign_in,
    streamlit_server,
    wait_for_app,
    wait_for_session_cookie,
)
from tests.conftest import PG_URL, TEST_SECRET, Database

pytestmark = pytest.mark.browser

WAIT_MS = 60_000  # generous: these journeys reload pages on a busy CI machine

OFFICIAL, OFFICIAL_PASSWORD = "demo-official", "demo-official-pass"
_SIGNED_IN = "(document.querySelector('[data-testid=stSidebar]')?.innerText || '').includes('Signed in as')"
SIGNED_IN = f"() => {_SIGNED_IN}"
SIGN_IN_FORM = "() => !!document.querySelector('[data-testid=stForm] input[type=password]')"


@dataclass(frozen=True)
class Server:
    base: str
    engine: Engine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One app in demo mode (the sign-in page lists the demo accounts), shared by the journeys below."""
    require_chromium()
    (ARTIFACTS / "sessions").mkdir(parents=True, exist_ok=True)
    db = Database("sqlite", tmp_path_factory.mktemp("browser-sessions"))
    initialise(db.engine, seed_demo=True, seed=42, incidents=300, demo_accounts=True)
    with streamlit_server(db.url, DASHBOARD_DEMO_MODE="true") as base:
        yield Server(base, db.engine)
    db.drop()


def _act(page) -> None:
    """The next action of a tab: follow a sidebar link to another page."""
    page.locator("[data-testid='stSidebar'] [data-testid='stPageLink']").get_by_text("Norms and CBMs").click()


def _expect_signed_out(page, notice: str) -> None:
    page.wait_for_function(SIGN_IN_FORM, timeout=WAIT_MS)
    expect(page.locator("[data-testid='stMain']")).to_contain_text(notice, timeout=WAIT_MS)
    page.wait_for_function(f"() => !({_SIGNED_IN})", timeout=WAIT_MS)


def _open_sessions(engine: Engine, username: str) -> list[WebSession]:
    with engine.connect() as conn:
        uid = conn.scalar(select(User.id).where(User.username == username))
        return list(
            conn.execute(select(WebSession).where(WebSession.user_id == uid, WebSession.ended_at.is_(None))).all()
        )


def test_reload_new_tab_bookmark_keep_the_session_and_signing_out_ends_it_in_every_tab(server: Server) -> None:
    with browser_page() as (page, requests):
        page.goto(f"{server.base}/incidents?track=eastern-europe&period=24m")
        sign_in(page, OFFICIAL, OFFICIAL_PASSWORD)
        cookie = session_cookie(page)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert "ticket=" not in page.url and "track=eastern-europe" in page.url  # back on the deep link
        assert page.evaluate("document.cookie").find(sessions.COOKIE) == -1  # no script can read it
        page.reload()
        page.wait_for_function(SIGNED_IN, timeout=WAIT_MS)
        wait_for_app(page)
        expect(page.locator("[data-testid='stMain'] h1")).to_have_text("Incidents")

        other = page.context.new_page()  # a new tab
        other.on("request", lambda request: requests.urls.append(request.url))
        other.goto(f"{server.base}/norms")
        other.wait_for_function(SIGNED_IN, timeout=WAIT_MS)
        wait_for_app(other)
        bookmark = page.context.new_page()  # a bookmark opened later
        bookmark.goto(f"{server.base}/incidents?track=eastern-europe")
        bookmark.wait_for_function(SIGNED_IN, timeout=WAIT_MS)
        bookmark.screenshot(path=str(ARTIFACTS / "sessions" / "bookmark-signed-in.png"))
        bookmark.close()
        assert len(_open_sessions(server.engine, OFFICIAL)) == 1  # one session, shared by every tab

        other.locator("[data-testid='stSidebar']").get_by_role("button", name="Sign out").click()
        other.wait_for_function(SIGN_IN_FORM, timeout=WAIT_MS)
        page.wait_for_timeout(500)
        assert session_cookie(other) is None  # cleared by the sign-out route
        assert _open_sessions(server.engine, OFFICIAL) == []

        _act(page)  # the first tab learns at its next action
        _expect_signed_out(page, "You signed out")
        page.screenshot(path=str(ARTIFACTS / "sessions" / "signed-out-in-other-tab.png"))
    assert requests.outside == []


def test_the_idle_timeout_and_an_administrator_end_a_session_at_its_next_action(server: Server) -> None:
    with browser_page() as (page, _):
        admin = page.context.browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(f"{server.base}/incidents")
        sign_in(page, OFFICIAL, OFFICIAL_PASSWORD)
        (open_session,) = _open_sessions(server.engine, OFFICIAL)
        with server.engine.begin() as conn:  # 31 minutes without activity
            conn.execute(
                update(WebSession)
                .where(WebSession.id == open_session.id)
                .values(last_seen_at=open_session.last_seen_at - dt.timedelta(minutes=31))
            )
        _act(page)
        _expect_signed_out(page, "signed out after 30 minutes without activity")
        page.reload()  # the cookie names an ended session: still signed out
        page.wait_for_function(SIGN_IN_FORM, timeout=WAIT_MS)

        sign_in(page, OFFICIAL, OFFICIAL_PASSWORD)
        admin.goto(f"{server.base}/accounts")
        sign_in(admin, BROWSER_USER, BROWSER_PASSWORD)
        main = admin.locator("[data-testid='stMain']")
        expect(main).to_contain_text("Open sessions", timeout=WAIT_MS)
        expect(main).to_contain_text("(you, this session)")
        chooser = admin.get_by_label("Sessions to end")
        chooser.click()
        admin.keyboard.type(OFFICIAL)
        admin.keyboard.press("Enter")
        admin.keyboard.press("Escape")
        admin.get_by_role("button", name="End the chosen sessions").click()
        expect(main).to_contain_text("1 session ended.", timeout=WAIT_MS)
        admin.screenshot(path=str(ARTIFACTS / "sessions" / "accounts-open-sessions.png"), full_page=True)
        assert _open_sessions(server.engine, OFFICIAL) == []

        _act(page)
        _expect_signed_out(page, "An administrator ended your session")


def test_a_share_link_session_survives_reload_and_bookmark_and_ends_at_revocation(server: Server) -> None:
    coordinator = accounts.authenticate(
        server.engine,
        "demo-coordinator-ee",
        "demo-coordinator-pass",
        max_failures=5,
        lockout_minutes=15,
        allow_demo=True,
    ).viewer
    assert coordinator is not None
    link = sharing.create_link(
        server.engine,
        coordinator,
        organisation="Grid ISAC",
        tracks=["eastern-europe"],
        tlp_ceiling="green",
        days=14,
        secret_key=TEST_SECRET,
    )
    with browser_page() as (page, requests):
        page.goto(f"{server.base}/incidents?share={link.token}&track=eastern-europe")
        wait_for_session_cookie(page)
        page.get_by_text("Shared with").wait_for(timeout=WAIT_MS)
        wait_for_app(page)
        assert "share=" not in page.url and "track=eastern-europe" in page.url  # the token left the address bar
        page.reload()
        expect(page.locator("[data-testid='stMain']")).to_contain_text("Shared with Grid ISAC", timeout=WAIT_MS)
        bookmark = page.context.new_page()
        bookmark.goto(f"{server.base}/incidents")
        expect(bookmark.locator("[data-testid='stMain']")).to_contain_text("Shared with Grid ISAC", timeout=WAIT_MS)
        bookmark.close()

        sharing.revoke_link(server.engine, link.id, actor=coordinator)
        page.reload()
        ended = "This shared view has ended; ask demo-coordinator-ee (Dialogue Secretariat) for a new link."
        expect(page.locator("[data-testid='stMain']")).to_contain_text(ended, timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "sessions" / "shared-view-ended.png"))
        for path in ("/", "/incidents", "/accounts"):  # wherever the visitor goes: no sign-in page, no demo accounts
            page.goto(server.base + path)
            expect(page.locator("[data-testid='stMain']")).to_contain_text(
                "This shared view has ended", timeout=WAIT_MS
            )
            wait_for_app(page)
            body = page.inner_text("body")
            assert "Demo accounts" not in body and "demo-official-pass" not in body
            assert page.get_by_label("Password", exact=True).count() == 0
    assert requests.outside == []


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_two_app_processes_over_one_postgresql_share_sessions(tmp_path) -> None:
    require_chromium()
    db = Database("postgresql", tmp_path)
    initialise(db.engine, seed_demo=True, seed=42, incidents=300, demo_accounts=False)
    try:
        with (
            streamlit_server(db.url) as first,
            streamlit_server(db.url) as second,
            browser_page() as (page, requests),
        ):
            page.goto(f"{first}/incidents")
            sign_in(page)
            page.goto(f"{second}/norms")  # another process: the cookie (host-wide) names a session in the database
            page.wait_for_function(SIGNED_IN, timeout=WAIT_MS)
            wait_for_app(page)
            expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text("Norms")
            page.locator("[data-testid='stSidebar']").get_by_role("button", name="Sign out").click()
            page.wait_for_function(SIGN_IN_FORM, timeout=WAIT_MS)
            page.goto(f"{first}/incidents")
            page.wait_for_function(SIGN_IN_FORM, timeout=WAIT_MS)
            assert "Signed in as" not in page.inner_text("body")
        assert requests.outside == []
    finally:
        db.drop()

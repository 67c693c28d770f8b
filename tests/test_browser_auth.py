"""Browser: sign in as each demo role, open its pages, sign out; open a partner share link and read the banner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine

from dashboard import accounts
from dashboard.accounts import sharing
from dashboard.core.access import Role, Viewer
from dashboard.core.pages import PAGES
from dashboard.ops.bootstrap import initialise
from tests.browser import (
    ARTIFACTS,
    browser_page,
    require_chromium,
    sign_in,
    sign_out,
    streamlit_server,
    wait_for_app,
    wait_for_session_cookie,
)
from tests.conftest import TEST_SECRET, Database

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Server:
    base: str
    engine: Engine


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    db = Database("sqlite", tmp_path_factory.mktemp("browser-auth"))
    initialise(db.engine, seed_demo=True, seed=42, incidents=2000, demo_accounts=True)
    with streamlit_server(db.url, DASHBOARD_DEMO_MODE="true") as base:
        yield Server(base, db.engine)
    db.drop()


@pytest.mark.parametrize("account", accounts.DEMO_ACCOUNTS, ids=lambda a: a.username)
def test_each_demo_role_signs_in_sees_its_pages_and_signs_out(demo_server: Server, account) -> None:
    (ARTIFACTS / "auth").mkdir(parents=True, exist_ok=True)
    with browser_page() as (page, requests):
        page.goto(demo_server.base)
        page.get_by_text("Demo accounts").wait_for()
        page.locator("[data-testid='stTable']").get_by_text(account.username, exact=True).wait_for(timeout=30_000)
        assert account.password in page.inner_text("[data-testid='stTable']")
        sign_in(page, account.username, account.password)
        sidebar = page.locator("[data-testid='stSidebar']")
        viewer = Viewer(
            name=account.username,
            role=account.role,
            tracks=frozenset(account.tracks),
            tlp_ceiling=account.tlp_ceiling,
            organisation=account.organisation,
        )
        expected = [p.title for p in PAGES if viewer.can(p.permission)]
        expect(sidebar.locator("[data-testid='stPageLink']")).to_have_text(expected, timeout=30_000)
        expect(sidebar).to_contain_text(f"Signed in as {account.username}")
        for title in expected:
            sidebar.locator("[data-testid='stPageLink']").get_by_text(title, exact=True).click()
            page.wait_for_function(
                "t => [...document.querySelectorAll('[data-testid=stMain] h1')].some(h => h.innerText.trim() === t)"
                " || t === 'Country profile'",
                arg=title,
                timeout=30_000,
            )
            wait_for_app(page)
            expect(page.locator("[data-testid='stMain']")).not_to_contain_text("do not have access")
            if account.role == Role.PARTNER:
                assert (
                    "Indo-Pacific" not in page.inner_text("[data-testid='stSidebar'] [data-testid='stSelectbox']")
                    if page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count()
                    else True
                )
        page.screenshot(path=str(ARTIFACTS / "auth" / f"{account.username}.png"))
        sign_out(page)  # back to the sign-in form once the route has cleared the cookie
        assert "Signed in as" not in page.inner_text("body")
        assert page.get_by_label("Username", exact=True).is_visible()
    assert requests.outside == []


def test_partner_link_opens_read_only_with_a_banner(demo_server: Server) -> None:
    coordinator = Viewer(
        name="demo-coordinator-ee",
        role=Role.COORDINATOR,
        tracks=frozenset({"eastern-europe"}),
        tlp_ceiling="amber+strict",
        organisation="Dialogue Secretariat",
    )
    link = sharing.create_link(
        demo_server.engine,
        coordinator,
        organisation="Grid ISAC",
        tracks=["eastern-europe"],
        tlp_ceiling="green",
        days=14,
        secret_key=TEST_SECRET,
    )
    with browser_page() as (page, requests):
        page.goto(f"{demo_server.base}/incidents?share={link.token}")
        wait_for_session_cookie(page)  # the page moves on to the route that sets it, and back without the token
        page.get_by_text("Shared with").wait_for(timeout=30_000)
        wait_for_app(page)
        main = page.locator("[data-testid='stMain']")
        for text in ("Shared with Grid ISAC", "TLP:GREEN", f"{link.expires_at:%d %b %Y}"):
            expect(main).to_contain_text(text, timeout=30_000)
        assert "TLP:AMBER" not in page.inner_text("[data-testid='stMain'] [data-testid='stMarkdown']")
        page.locator("[data-testid='stSidebar']").get_by_text("Close shared view").wait_for(timeout=30_000)
        expect(page.locator("[data-testid='stSidebar']")).not_to_contain_text("Datasets")
        page.screenshot(path=str(ARTIFACTS / "auth" / "partner-link.png"), full_page=True)
        tampered = link.token[:-4] + "AAAA"
        page.goto(f"{demo_server.base}/incidents?share={tampered}")
        page.get_by_text("This share link is not valid").wait_for(timeout=30_000)
        expect(page.locator("[data-testid='stMetric']")).to_have_count(0)
    assert requests.outside == []

"""Browser: on a non-default port and without DASHBOARD_PUBLIC_URL, a link created on the Share links page names
the address the app is served at, and opens the shared view in another browser context (issue 13)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboard.ops.bootstrap import initialise
from tests.browser import (
    ARTIFACTS,
    browser_page,
    free_port,
    require_chromium,
    sign_in,
    streamlit_server,
    wait_for_app,
    wait_for_session_cookie,
)
from tests.conftest import Database

pytestmark = pytest.mark.browser


def test_a_link_made_on_a_non_default_port_opens_for_the_partner(tmp_path) -> None:
    require_chromium()
    db = Database("sqlite", tmp_path)
    initialise(db.engine, seed_demo=True, seed=42, incidents=300, demo_accounts=False)
    port = free_port()
    while port == 8501:
        port = free_port()
    (ARTIFACTS / "sharing").mkdir(parents=True, exist_ok=True)
    try:
        with streamlit_server(db.url, port=port, DASHBOARD_PUBLIC_URL="") as base, browser_page() as (page, requests):
            page.goto(f"{base}/sharing")
            sign_in(page)
            main = page.locator("[data-testid='stMain']")
            expect(main).to_contain_text("a local address", timeout=30_000)  # served on 127.0.0.1: said up front
            page.get_by_label("Organisation the link is for").fill("Grid ISAC")
            page.get_by_role("button", name="Create link").click()
            code = page.locator("[data-testid='stCode'] code")
            code.wait_for(timeout=30_000)
            link = code.inner_text().strip()
            page.screenshot(path=str(ARTIFACTS / "sharing" / "created.png"), full_page=True)
            assert link.startswith(f"http://127.0.0.1:{port}/?share="), link
            assert ":8501" not in link and "localhost" not in link

            partner = page.context.browser.new_context()  # no session, no cookies of the coordinator
            try:
                shared = partner.new_page()
                shared.on("request", lambda request: requests.urls.append(request.url))
                shared.goto(link)
                wait_for_session_cookie(shared)
                shared.get_by_text("Shared with").wait_for(timeout=30_000)
                wait_for_app(shared)
                expect(shared.locator("[data-testid='stMain']")).to_contain_text("Shared with Grid ISAC")
                expect(shared.get_by_label("Password", exact=True)).to_have_count(0)
                shared.screenshot(path=str(ARTIFACTS / "sharing" / "opened.png"), full_page=True)
            finally:
                partner.close()
        assert requests.outside == []
    finally:
        db.drop()

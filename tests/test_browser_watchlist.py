"""The watchlist of the demo data in headless chromium: about 75 signals for an administrator on both tracks, in
collapsed groups, fit the first screen. Screenshot: test-artifacts/watchlist.png."""

from __future__ import annotations

import re

import pytest

from dashboard.core.access import local_admin
from dashboard.ops.bootstrap import initialise
from tests.browser import ARTIFACTS, browser_page, open_signed_in, require_chromium, streamlit_server, wait_for_app
from tests.conftest import Database

pytestmark = pytest.mark.browser

ADMIN = local_admin("Dialogue Secretariat")
WIDTH, HEIGHT = 1440, 900


def test_the_demo_watchlist_fits_the_first_screen(tmp_path_factory: pytest.TempPathFactory) -> None:
    require_chromium()
    db = Database("sqlite", tmp_path_factory.mktemp("browser-watchlist"))
    try:
        initialise(db.engine, seed_demo=True, seed=42, incidents=2000)
        with (
            streamlit_server(db.url, DASHBOARD_ORGANISATION=ADMIN.organisation) as base,
            browser_page(WIDTH, HEIGHT) as (page, _),
        ):
            open_signed_in(page, f"{base}/watchlist")
            wait_for_app(page)
            page.get_by_text("top priority").first.wait_for(timeout=60_000)
            main = page.locator("[data-testid='stMain']")
            headers = main.locator("[data-testid='stExpander'] summary").all_inner_texts()
            counts = [int(m.group(1)) for h in headers if (m := re.search(r"([0-9,]+) signals?", h))]
            assert 50 <= sum(counts) <= 120, headers  # about 75 signals on both tracks
            assert {"Eastern Europe", "Indo-Pacific"} <= {t for h in headers for t in re.findall(r"· ([^·]+?) ·", h)}
            assert page.locator("[data-testid='stException']").count() == 0
            height = page.evaluate(
                """() => Math.max(document.documentElement.scrollHeight,
                    ...[...document.querySelectorAll("[data-testid='stMain'], [data-testid='stAppViewContainer']")]
                        .map(e => e.scrollHeight))"""
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "watchlist.png"), full_page=True)
            assert height < 2 * HEIGHT, f"the watchlist is {height} px tall"
    finally:
        db.drop()

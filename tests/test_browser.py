"""Browser tests: what only a browser shows. Debian chromium through Playwright, against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.ops.bootstrap import initialise
from tests.browser import ARTIFACTS, browser_page, open_signed_in, require_chromium, streamlit_server, wait_for_app
from tests.conftest import Database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    db = Database("sqlite", tmp_path_factory.mktemp("browser"))
    initialise(db.engine, seed_demo=True, seed=42, incidents=2000)
    with streamlit_server(db.url) as base:
        yield base
    db.drop()


def test_datasets_page_shows_counts_and_makes_no_outside_requests(demo_server: str) -> None:
    with browser_page() as (page, requests):
        open_signed_in(page, f"{demo_server}/datasets")
        wait_for_app(page)
        body = page.inner_text("[data-testid='stMain']")
        assert "Eastern Europe" in body and "Indo-Pacific" in body
        assert "Synthetic demo data" in body
        metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
        assert len(metrics) == 6 and all(m.replace(",", "").isdigit() and m != "0" for m in metrics)
        assert "Deploy" not in page.inner_text("body")
        assert "Page not found" not in page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "datasets.png"), full_page=True)
    assert requests.urls, "the page made no requests at all: the recorder is broken"
    assert requests.outside == []

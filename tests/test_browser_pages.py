"""Every page in headless chromium: maps drawn offline, nothing fetched from outside, downloads, shareable links.

One Streamlit server for the module, on a SQLite demo database. Screenshots go to test-artifacts/pages/.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine

from dashboard import read
from dashboard.analysis.briefing import build_briefing
from dashboard.core.access import local_admin
from dashboard.core.filters import ViewFilter
from dashboard.core.pages import DATA_PAGES, PAGES, PageSpec
from dashboard.ops.bootstrap import initialise
from tests.browser import (
    ARTIFACTS,
    LOCAL_HOSTS,
    browser_page,
    metric_values,
    open_signed_in,
    press_download,
    require_chromium,
    streamlit_server,
    wait_for_app,
    wait_until_drawn,
)
from tests.conftest import Database

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "pages"
MAP_PAGES = {"briefing", "incidents", "norms", "partnerships"}
MIN_SHAPES = 30  # both tracks together have far more member states with a shape on the 1:110m map
TOPOJSON_PATH = "/app/static/topojson/world_110m.json"
ADMIN = local_admin("Dialogue Secretariat")
EE = "eastern-europe"


@dataclass(frozen=True)
class Server:
    base: str
    engine: Engine

    def url(self, spec: PageSpec, query: str = "") -> str:
        """Where a user opens the page: the landing page at '/', the others at '/<url_path>'."""
        path = "/" if spec.default else f"/{spec.url_path}"
        return f"{self.base}{path}{'?' + query if query else ''}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    db = Database("sqlite", tmp_path_factory.mktemp("browser-pages"))
    initialise(db.engine, seed_demo=True, seed=42, incidents=2000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(db.url, DASHBOARD_ORGANISATION=ADMIN.organisation) as base:
        yield Server(base, db.engine)
    db.drop()


def number(text: str) -> int:
    return int(text.replace(",", ""))


def as_of(engine: Engine) -> dt.date:
    """The date the pages end on: today, or the newest incident if the data stops earlier (as context.as_of_date)."""
    latest = read.latest_incident_date(engine, ADMIN)
    return min(dt.date.today(), latest) if latest else dt.date.today()


def expected_incidents(engine: Engine, view: ViewFilter) -> int:
    """The incidents page's count for this filter, computed directly."""
    day = as_of(engine)
    return int(read.incident_summary(engine, ADMIN, view.incident_filter(ADMIN, view.window(day)))["incidents"])


@pytest.mark.parametrize("spec", DATA_PAGES, ids=lambda p: p.key)
def test_page_draws_maps_offline_without_errors(spec: PageSpec, server: Server) -> None:
    has_map = spec.key in MAP_PAGES
    with browser_page(1440, 900) as (page, requests):
        responses: list[tuple[str, int]] = []
        page.on("response", lambda r: responses.append((r.url, r.status)))
        open_signed_in(page, server.url(spec))
        wait_for_app(page)
        wait_until_drawn(page, map_shapes=MIN_SHAPES if has_map else 0)

        main = page.inner_text("[data-testid='stMain']")
        assert page.locator("[data-testid='stException']").count() == 0
        assert "Page not found" not in main and "Traceback" not in main
        assert page.locator("[data-testid='stMain'] h1").first.inner_text().strip() == (
            "Ukraine" if spec.key == "country" else spec.title
        )
        assert "Synthetic demo data" in main
        assert "strictest marking of the data on this page" in main
        assert "Deploy" not in page.inner_text("body")

        shapes = page.locator("path.choroplethlocation").count()
        topojson = [(u, s) for u, s in responses if urlparse(u).path == TOPOJSON_PATH]
        if has_map:
            assert page.locator(".js-plotly-plot .geo").count() >= 1
            assert shapes >= MIN_SHAPES
            assert topojson and all(status == 200 for _, status in topojson)
            assert all(urlparse(u).hostname in LOCAL_HOSTS for u, _ in topojson)
        else:
            assert shapes == 0 and not topojson
        visible = page.eval_on_selector_all(
            ".js-plotly-plot",
            "plots => plots.filter(p => p.offsetParent !== null).map(p => [p.clientWidth, p.clientHeight])",
        )
        assert all(w >= 250 and h >= 200 for w, h in visible), visible  # no squashed charts
        page.screenshot(path=str(SCREENSHOTS / f"{spec.key}.png"))

        # the page scrolls inside stMain, so a full_page screenshot would stop at the viewport: grow the viewport
        height = page.eval_on_selector("[data-testid='stMain']", "main => main.scrollHeight")
        page.set_viewport_size({"width": 1440, "height": max(2400, min(height + 40, 8000))})
        page.wait_for_timeout(200)  # let plotly answer the resize event
        wait_until_drawn(page, map_shapes=MIN_SHAPES if has_map else 0)
        page.screenshot(path=str(SCREENSHOTS / f"{spec.key}-full.png"))
    assert requests.urls, "the page made no requests at all: the recorder is broken"
    assert requests.outside == []


def test_incidents_csv_download_has_as_many_rows_as_the_metric(server: Server) -> None:
    incidents = next(p for p in PAGES if p.key == "incidents")
    with browser_page() as (page, requests):
        open_signed_in(page, server.url(incidents))
        wait_for_app(page)
        wait_until_drawn(page, map_shapes=MIN_SHAPES)
        shown = number(metric_values(page)["Incidents"])
        button = page.get_by_role("button", name="Download CSV", exact=True)
        expect(button).to_be_enabled(timeout=30_000)
        name, data = press_download(page, button)
    assert re.fullmatch(r"incidents_TLP-[A-Z+]+_\d{4}-\d\d-\d\d\.csv", name)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for spreadsheet programs
    rows = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert len(rows) == shown == expected_incidents(server.engine, ViewFilter())
    assert rows["id"].is_unique
    assert requests.outside == []


def test_a_shared_link_reproduces_the_view_set_with_the_widgets(server: Server) -> None:
    incidents = next(p for p in PAGES if p.key == "incidents")
    with browser_page() as (page, requests):
        open_signed_in(page, server.url(incidents))
        wait_for_app(page)
        wait_until_drawn(page)
        page.get_by_role("combobox", name="Track").click()
        page.get_by_role("option", name="Eastern Europe", exact=True).click()
        page.wait_for_url(re.compile(r"track=eastern-europe"))
        wait_until_drawn(page)
        page.get_by_role("slider", name="Minimum severity").focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_url(re.compile(r"severity=3"))
        wait_until_drawn(page)
        via_widgets = metric_values(page)
        link = page.url
        assert parse_qs(urlparse(link).query) == {"track": [EE], "severity": ["3"]}

        # A new tab is a new Streamlit session: the session cookie keeps it signed in, only the link carries the view.
        fresh = page.context.new_page()
        fresh.on("request", lambda request: requests.urls.append(request.url))
        fresh.goto(server.url(incidents, "track=eastern-europe&severity=3"))
        fresh.get_by_text("Signed in as").wait_for(timeout=30_000)
        wait_for_app(fresh)
        wait_until_drawn(fresh)
        via_link = metric_values(fresh)
        assert fresh.get_by_role("combobox", name="Track").input_value() == "Eastern Europe"
        assert fresh.get_by_role("slider", name="Minimum severity").input_value() == "3"
    assert via_link == via_widgets
    assert number(via_link["Incidents"]) == expected_incidents(server.engine, ViewFilter(track=EE, min_severity=3))
    assert requests.outside == []


def test_a_charts_table_downloads_as_csv_when_pressed(server: Server) -> None:
    """The accessible alternative of a chart: its table, downloaded as CSV (written only when the button is pressed)."""
    briefing = next(p for p in PAGES if p.default)
    with browser_page() as (page, requests):
        open_signed_in(page, server.url(briefing))
        wait_until_drawn(page, map_shapes=MIN_SHAPES)
        page.get_by_text("Table behind this chart").first.click()
        button = page.get_by_role("button", name="Download this table (CSV)").first
        expect(button).to_be_visible(timeout=30_000)
        name, data = press_download(page, button)
    assert re.fullmatch(r"incidents_by_country_TLP-[A-Z+]+_\d{4}-\d\d-\d\d\.csv", name)
    rows = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    expected = build_briefing(server.engine, ADMIN, ViewFilter(), as_of(server.engine)).by_country
    assert len(rows) == len(expected) > 5
    assert dict(zip(rows["iso3"], rows["incidents"])) == dict(zip(expected["iso3"], expected["incidents"]))
    assert requests.outside == []

"""AppTest of every page: demo content equal to direct queries, empty states, URL filters, downloads, chart tables.

Runs on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set. Pages are opened through app.py (the
router) with `switch_page` before the first run, exactly as a deep link `/<url_path>?<query>` would open them.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, read
from dashboard.analysis import analytics
from dashboard.analysis.briefing import build_briefing
from dashboard.core.access import local_admin
from dashboard.core.filters import ViewFilter
from dashboard.core.pages import DATA_PAGES, PAGES, PageSpec
from dashboard.core.tlp import TLP_LABELS
from dashboard.export import tables as exports
from tests.conftest import sign_in
from tests.factories import incident, store_incidents
from tests.test_markdown_escaping import displayed

APP = str(PROJECT_ROOT / "app.py")
ORGANISATION = "Dialogue Secretariat"
ADMIN = local_admin(ORGANISATION)
PAGE_BY_KEY = {p.key: p for p in PAGES}
READ_PAGES = list(DATA_PAGES)  # the other pages are tested in their own files
FILTERED_PAGES = [p for p in READ_PAGES if p.key != "datasets"]  # every page with a filter bar
CHARTLESS = {"datasets", "watchlist"}
BANNER_TEXT = "strictest marking of the data on this page"
BRIEFING_HEADLINES = [
    "Incidents",
    "Significant incidents",
    "Countries affected",
    "Norms implemented",
    "Active partnerships",
    "Hotlines tested, 12 mo",
]
EE, IP = "eastern-europe", "indo-pacific"

# ---------------------------------------------------------------- fixtures and helpers

_CACHED_FOR: dict[str, str] = {}


def _clear_streamlit_caches() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()
    _CACHED_FOR.clear()


@pytest.fixture(scope="module", autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Start and leave this module with empty Streamlit caches (other modules point them at other databases)."""
    _clear_streamlit_caches()
    yield
    _clear_streamlit_caches()


def _point_app_at(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    """Make the app use this database; caches are cleared only when the database changes (demo data is read-only)."""
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DEMO_MODE", "false")
    monkeypatch.setenv("DASHBOARD_ORGANISATION", ORGANISATION)
    if _CACHED_FOR.get("url") != url:
        _clear_streamlit_caches()
        _CACHED_FOR["url"] = url


@pytest.fixture
def demo(demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The app pointed at the shared demo database of this backend (seed 42, 2,000 incidents)."""
    _point_app_at(monkeypatch, demo_engine)
    return demo_engine


@pytest.fixture
def empty(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The app pointed at a database with schema and reference data but no datasets."""
    _point_app_at(monkeypatch, engine)
    return engine


def open_page(key: str, params: dict[str, str | list[str]] | None = None) -> AppTest:
    """Run app.py on the page with this key and these URL query parameters, like a deep link."""
    at = sign_in(AppTest.from_file(APP, default_timeout=60))
    at.switch_page(PAGE_BY_KEY[key].script)
    at.query_params.update(params or {})
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    """Metric label -> displayed value (first occurrence)."""
    out: dict[str, str] = {}
    for m in at.metric:
        out.setdefault(m.label, m.value)
    return out


def number(text: str) -> int:
    """'1,234' -> 1234."""
    return int(text.replace(",", ""))


def as_of(engine: Engine) -> dt.date:
    """The date the pages end their periods on (context.as_of_date): today, or the newest incident if earlier."""
    latest = read.latest_incident_date(engine, ADMIN)
    return min(dt.date.today(), latest) if latest else dt.date.today()


def view_filter(params: dict[str, str]) -> ViewFilter:
    """The ViewFilter a page builds from valid URL parameters."""
    return ViewFilter(
        track=params.get("track", "both"),
        period=params.get("period", "12m"),
        start=dt.date.fromisoformat(params["from"]) if "from" in params else None,
        end=dt.date.fromisoformat(params["to"]) if "to" in params else None,
        countries=tuple(c for c in params.get("countries", "").split(",") if c),
        sectors=tuple(s for s in params.get("sectors", "").split(",") if s),
        types=tuple(t for t in params.get("types", "").split(",") if t),
        min_severity=int(params.get("severity", "0")),
    )


def incident_filter(engine: Engine, params: dict[str, str]) -> read.IncidentFilter:
    """The incident filter of the incidents page for these URL parameters, computed without Streamlit."""
    view = view_filter(params)
    return view.incident_filter(ADMIN, view.window(as_of(engine)))


def expected_summary(engine: Engine, params: dict[str, str]) -> dict[str, object]:
    """incident_summary for the filter the incidents page builds from these URL parameters."""
    return read.incident_summary(engine, ADMIN, incident_filter(engine, params))


def banners(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if BANNER_TEXT in m.value]


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The last st.dataframe on the page with all these columns: the page's main table, below the chart tables."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert found, f"no table with {columns}"
    return found[-1]


def assert_rendered(at: AppTest, title: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [title]


# ---------------------------------------------------------------- every page with demo data


def _title(page: PageSpec) -> str:
    return "Ukraine" if page.key == "country" else page.title  # the country profile opens on Ukraine


@pytest.mark.parametrize("page", READ_PAGES, ids=lambda p: p.key)
def test_page_renders_demo_data_with_notice_banner_and_chart_tables(page: PageSpec, demo: Engine) -> None:
    at = open_page(page.key)
    assert_rendered(at, _title(page))
    assert any(i.value.startswith("**Synthetic demo data.**") for i in at.info)
    assert not at.warning
    (banner,) = banners(at)
    assert any(label in banner for label in TLP_LABELS.values())
    charts = at.get("plotly_chart")
    alternatives = [e for e in at.expander if "behind this" in e.label]
    assert len(alternatives) >= len(charts)
    if page.key not in CHARTLESS:
        assert charts, "every page but Datasets and Watchlist shows charts"
        # each chart table has its own CSV download inside its expander
        assert sum(len(e.get("download_button")) for e in alternatives) >= len(charts)


def test_briefing_headlines_equal_the_briefing_computed_directly(demo: Engine) -> None:
    at = open_page("briefing")
    shown = metrics(at)
    assert list(shown) == BRIEFING_HEADLINES
    assert all(value.replace(",", "").isdigit() for value in shown.values())
    day = as_of(demo)
    brief = build_briefing(demo, ADMIN, ViewFilter(), day)
    assert {h.label: h.current for h in brief.headlines} == {k: number(v) for k, v in shown.items()}
    summary = expected_summary(demo, {})
    assert number(shown["Incidents"]) == summary["incidents"] > 0
    assert number(shown["Significant incidents"]) == summary["significant"]
    assert number(shown["Countries affected"]) == summary["countries"]
    assert banners(at)[0].count(TLP_LABELS[brief.tlp]) == 1


def test_incidents_page_figures_equal_the_direct_query(demo: Engine) -> None:
    at = open_page("incidents")
    shown = metrics(at)
    summary = expected_summary(demo, {})
    assert number(shown["Incidents"]) == summary["incidents"] > 0
    assert number(shown["Significant (severity 3+)"]) == summary["significant"]
    assert number(shown["Countries affected"]) == summary["countries"]
    assert TLP_LABELS[str(summary["tlp"])] in banners(at)[0]
    details = table_with(at, "title", "severity", "targets")
    assert len(details) == min(500, summary["incidents"])
    assert len(at.get("plotly_chart")) == 4  # map, trend, heatmap, dyads


def test_norms_page_lists_the_assessed_states(demo: Engine) -> None:
    at = open_page("norms")
    assert_rendered(at, "Norms and CBMs")
    status = read.norm_status_as_of(demo, ADMIN, None, frozenset(ADMIN.tracks), frozenset())
    evidence = table_with(at, "country", "code", "assessed_on", "evidence_url")
    assert len(evidence) == len(status) > 0
    assert set(evidence["country"]) == set(status["country"])
    assert {"Ukraine", "Poland", "Japan"} <= set(evidence["country"])
    assert {e.label for e in at.expander} >= {"UN norms a-k", "CBM tracker: OSCE cyber CBMs 1-16"}
    assert any("items moved forward" in m.value for m in at.markdown)


def test_partnerships_page_counts_equal_partnership_rows(demo: Engine) -> None:
    at = open_page("partnerships")
    assert_rendered(at, "Partnerships")
    rows = read.partnership_rows(demo, ADMIN, frozenset(ADMIN.tracks), frozenset())
    hotlines = analytics.hotline_ages(rows, as_of(demo))
    stale = int((hotlines["days"].isna() | (hotlines["days"] > 365)).sum())
    shown = {k: number(v) for k, v in metrics(at).items()}
    assert shown == {
        "Partnerships": len(rows),
        "Active": int((rows["status"] == "active").sum()),
        "Hotlines": len(hotlines),
        "Hotlines untested > 12 months": stale,
    }
    assert len(rows) > 0 and len(hotlines) > 0
    assert len(table_with(at, "name", "kind", "parties", "url")) == len(rows)
    assert "Hotlines behind this map" in [e.label for e in at.expander]


def test_datasets_page_counts_every_layer(demo: Engine) -> None:
    at = open_page("datasets")
    counts = read.layer_counts(demo, ADMIN)
    shown = sorted((m.label, number(m.value)) for m in at.metric)
    labels = {"incidents": "Incidents", "norms": "Norm assessments", "partnerships": "Partnerships"}
    assert shown == sorted((labels[r.layer], r.rows) for r in counts.itertuples())


# ---------------------------------------------------------------- country profile


def test_country_page_honours_the_country_in_the_link(demo: Engine) -> None:
    at = open_page("country", {"country": "POL"})
    assert_rendered(at, "Poland")
    assert at.selectbox(key="f_country").value == "POL"
    assert at.query_params["country"] == "POL"
    received = read.incident_summary(demo, ADMIN, replace(incident_filter(demo, {}), countries=frozenset({"POL"})))
    assert number(metrics(at)["Incidents received"]) == received["incidents"] > 0
    rows = table_with(at, "title", "targets", "severity")
    assert len(rows) == min(200, received["incidents"])
    assert all("POL" in t.split("; ") for t in rows["targets"])


def test_country_page_warns_about_an_unknown_country_and_shows_the_default(demo: Engine) -> None:
    at = open_page("country", {"country": "ZZZ"})
    assert_rendered(at, "Ukraine")
    assert any("ZZZ" in w.value for w in at.warning)
    assert at.query_params["country"] == "UKR"


def test_choosing_a_country_in_the_sidebar_updates_the_link(demo: Engine) -> None:
    at = open_page("country")
    at.selectbox(key="f_country").set_value("EST").run()
    assert_rendered(at, "Estonia")
    assert at.query_params["country"] == "EST"


# ---------------------------------------------------------------- empty database


@pytest.mark.parametrize("page", READ_PAGES, ids=lambda p: p.key)
def test_page_with_an_empty_database_shows_a_helpful_empty_state(page: PageSpec, empty: Engine) -> None:
    at = open_page(page.key)
    assert_rendered(at, _title(page))
    assert not any("Synthetic" in i.value for i in at.info)
    assert not banners(at)  # nothing visible, so no marking
    helpful = [i.value for i in at.info if "Synthetic" not in i.value]
    assert helpful, f"no st.info empty state on {page.key}"


# ---------------------------------------------------------------- URL filters change the figures

LINK_FILTERS = [
    {"track": EE},
    {"track": IP},
    {"severity": "3"},
    {"countries": "UKR"},
    {"countries": "UKR,POL"},
    {"period": "90d"},
    {"period": "all"},
    {"period": "custom", "from": "2025-01-01", "to": "2025-03-31"},
    {"types": "ransomware", "sectors": "health"},
    {"track": EE, "severity": "3", "period": "24m"},
]


@pytest.mark.parametrize("params", LINK_FILTERS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_incident_filters_in_the_link_change_the_figures(params: dict[str, str], demo: Engine) -> None:
    at = open_page("incidents", params)
    assert_rendered(at, "Incidents")
    assert not at.warning
    assert at.query_params == params  # the link still says what is shown
    expected = expected_summary(demo, params)
    unfiltered = expected_summary(demo, {})
    assert number(metrics(at)["Incidents"]) == expected["incidents"] > 0
    assert expected["incidents"] != unfiltered["incidents"]
    assert number(metrics(at)["Significant (severity 3+)"]) == expected["significant"]
    details = table_with(at, "title", "severity", "targets", "track")
    if "track" in params:  # the tracks an incident belongs to by its countries; the one asked for among them
        assert all(params["track"] in t.split("; ") for t in details["track"])
    if "severity" in params:
        assert details["severity"].str.split().str[0].astype(int).min() >= int(params["severity"])  # "3 High"
    if "countries" in params:
        wanted = set(params["countries"].split(","))
        assert all(wanted & set(t.split("; ")) for t in details["targets"])


def test_narrower_links_give_smaller_counts(demo: Engine) -> None:
    count = {
        name: expected_summary(demo, p)["incidents"]
        for name, p in {
            "all": {"period": "all"},
            "12m": {},
            "90d": {"period": "90d"},
            "12m_sev3": {"severity": "3"},
            "12m_ee": {"track": EE},
            "12m_ee_sev3": {"track": EE, "severity": "3"},
        }.items()
    }
    assert count["all"] > count["12m"] > count["90d"] > 0
    assert count["12m"] > count["12m_sev3"] > count["12m_ee_sev3"] > 0
    assert count["12m"] > count["12m_ee"] > count["12m_ee_sev3"]
    at = open_page("incidents", {"severity": "3"})
    unfiltered = expected_summary(demo, {})
    assert number(metrics(at)["Incidents"]) == unfiltered["significant"]  # severity 3+ is "significant"


@pytest.mark.parametrize("params", [{"track": EE}, {"period": "90d"}, {"period": "all"}], ids=str)
def test_briefing_follows_track_and_period_in_the_link(params: dict[str, str], demo: Engine) -> None:
    at = open_page("briefing", params)
    assert_rendered(at, "Track briefing")
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, params)["incidents"]
    assert at.query_params == params


def test_country_page_follows_the_period_in_the_link(demo: Engine) -> None:
    short = open_page("country", {"country": "UKR", "period": "90d"})
    long = open_page("country", {"country": "UKR", "period": "all"})
    flt = replace(incident_filter(demo, {"period": "all"}), countries=frozenset({"UKR"}))
    everything = read.incident_summary(demo, ADMIN, flt)
    assert number(metrics(long)["Incidents received"]) == everything["incidents"]
    assert 0 < number(metrics(short)["Incidents received"]) < everything["incidents"]


def test_partnerships_and_norms_follow_countries_in_the_link(demo: Engine) -> None:
    rows = read.partnership_rows(demo, ADMIN, frozenset(ADMIN.tracks), frozenset({"UKR"}))
    at = open_page("partnerships", {"countries": "UKR"})
    assert number(metrics(at)["Partnerships"]) == len(rows) > 0
    assert all("UKR" in c.split("; ") for c in table_with(at, "name", "kind", "parties", "url")["countries"])
    at = open_page("norms", {"track": EE, "countries": "UKR,POL"})
    evidence = table_with(at, "country", "code", "assessed_on", "evidence_url")
    assert set(evidence["country"]) == {"Ukraine", "Poland"}


def test_sidebar_widgets_write_the_link_and_the_link_reproduces_the_view(demo: Engine) -> None:
    at = open_page("incidents")
    at.selectbox(key="f_track").set_value(IP).run()
    assert at.query_params == {"track": IP}
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, {"track": IP})["incidents"]
    at.select_slider(key="f_severity").set_value(3).run()
    at.selectbox(key="f_period").set_value("24m").run()
    at.multiselect(key="f_types").set_value(["espionage", "ransomware"]).run()
    wanted = {"track": IP, "severity": "3", "period": "24m", "types": "espionage,ransomware"}
    assert at.query_params == wanted
    shown = metrics(at)
    assert number(shown["Incidents"]) == expected_summary(demo, wanted)["incidents"] > 0
    again = open_page("incidents", dict(at.query_params))  # the shared link, opened fresh
    assert metrics(again) == shown
    assert again.selectbox(key="f_track").value == IP and again.select_slider(key="f_severity").value == 3


def test_briefing_period_widget_writes_the_link(demo: Engine) -> None:
    at = open_page("briefing")
    at.selectbox(key="f_period").set_value("90d").run()
    assert at.query_params == {"period": "90d"}
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, {"period": "90d"})["incidents"]


# ---------------------------------------------------------------- bad links warn and still render

BAD_LINKS = [
    ({"track": "narnia"}, "narnia"),
    ({"severity": "9"}, "severity '9'"),
    ({"severity": "-1"}, "severity '-1'"),
    ({"countries": "ZZZ"}, "ZZZ"),
    ({"sectors": "nope"}, "nope"),
    ({"period": "fortnight"}, "fortnight"),
    ({"period": "custom", "from": "2026-13-01"}, "custom range"),
    ({"period": "custom", "from": "2026-05-01", "to": "2026-01-01"}, "custom range"),
]


@pytest.mark.parametrize("params,says", BAD_LINKS, ids=[str(p) for p, _ in BAD_LINKS])
def test_bad_link_values_warn_and_the_page_still_renders(params: dict[str, str], says: str, demo: Engine) -> None:
    at = open_page("incidents", params)
    assert_rendered(at, "Incidents")
    assert [w.value for w in at.warning if says in displayed(w.value)], [w.value for w in at.warning]
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, {})["incidents"]  # the default view
    assert at.query_params == {}  # the bad values are dropped from the link


@pytest.mark.parametrize("page", FILTERED_PAGES, ids=lambda p: p.key)
def test_every_filtered_page_warns_about_an_unknown_track(page: PageSpec, demo: Engine) -> None:
    at = open_page(page.key, {"track": "narnia", "severity": "9"})
    assert_rendered(at, _title(page))
    warnings = " ".join(displayed(w.value) for w in at.warning)  # values from the link are escaped
    assert "narnia" in warnings and "severity '9'" in warnings
    assert "track" not in at.query_params and "severity" not in at.query_params


def test_briefing_ignores_link_filters_it_does_not_offer(demo: Engine) -> None:
    at = open_page("briefing", {"countries": "UKR", "severity": "3"})
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, {})["incidents"]


# ---------------------------------------------------------------- downloads


@pytest.mark.parametrize("key", ["incidents", "norms", "partnerships", "country"])
def test_pages_offer_deferred_csv_and_xlsx_downloads(key: str, demo: Engine) -> None:
    at = open_page(key)
    buttons = {b.label: b for b in at.download_button}
    assert {"Download CSV", "Download XLSX"} <= set(buttons)
    # the rows are produced only when pressed (a callable), so AppTest cannot fetch them; see the tests below
    assert buttons["Download CSV"].proto.HasField("deferred_file_id")
    assert buttons["Download XLSX"].proto.HasField("deferred_file_id")


@pytest.mark.parametrize(
    "params",
    [{}, {"track": EE}, {"track": IP, "severity": "3"}, {"countries": "UKR", "period": "all"}],
    ids=str,
)
def test_incident_download_holds_exactly_the_filtered_rows(params: dict[str, str], demo: Engine) -> None:
    flt = incident_filter(demo, params)
    data = exports.to_csv_bytes(read.incident_rows(demo, ADMIN, flt, None))  # what "Download CSV" returns
    assert data.startswith(b"\xef\xbb\xbf")
    rows = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    summary = read.incident_summary(demo, ADMIN, flt)
    assert len(rows) == summary["incidents"] > 0
    assert rows["id"].is_unique
    dates = pd.to_datetime(rows["start_date"]).dt.date
    assert dates.min() >= flt.start and dates.max() <= flt.end
    if "track" in params:
        assert all(params["track"] in t.split("; ") for t in rows["track"])
    if "severity" in params:
        assert rows["severity"].min() >= int(params["severity"])
    if "countries" in params:
        assert all("UKR" in t.split("; ") for t in rows["targets"])
    if not params:  # the page shows the same count as the download holds
        assert number(metrics(open_page("incidents"))["Incidents"]) == len(rows)


PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://evil","x")']


def test_downloads_neutralise_formulas_and_the_xlsx_carries_the_marking(empty: Engine) -> None:
    store_incidents(
        empty,
        EE,
        [incident(p, when="2026-06-01", tlp="amber") for p in PAYLOADS] + [incident("Plain title", when="2026-06-02")],
    )
    flt = incident_filter(empty, {"track": EE, "period": "all"})
    frame = read.incident_rows(empty, ADMIN, flt, None)
    tlp = read.incident_summary(empty, ADMIN, flt)["tlp"]
    assert tlp == "amber"

    csv_rows = pd.read_csv(io.BytesIO(exports.to_csv_bytes(frame)), encoding="utf-8-sig", keep_default_na=False)
    assert sorted(csv_rows["title"]) == sorted(["'" + p for p in PAYLOADS] + ["Plain title"])
    assert sorted(csv_rows["source_id"]) == sorted(["'" + p for p in PAYLOADS] + ["Plain title"])

    data = exports.to_xlsx_bytes(frame, sheet="incidents", tlp=tlp, title="Incidents")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["incidents", "About"]
    sheet = book["incidents"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no cell is a formula
    header = [c.value for c in sheet[1]]
    titles = [row[header.index("title")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(titles) == sorted(["'" + p for p in PAYLOADS] + ["Plain title"])
    about = pd.read_excel(io.BytesIO(data), sheet_name="About")
    about = dict(zip(about["field"], about["value"]))
    assert about["marking"] == "TLP:AMBER" and about["title"] == "Incidents" and about["rows"] == len(PAYLOADS) + 1
    assert exports.file_name("incidents", tlp, "xlsx").startswith("incidents_TLP-AMBER_")

    # and the page itself shows the stored titles as text with the AMBER marking
    at = open_page("incidents", {"track": EE, "period": "all"})
    assert number(metrics(at)["Incidents"]) == len(PAYLOADS) + 1
    assert "TLP:AMBER" in banners(at)[0]
    assert set(table_with(at, "title", "severity", "targets")["title"]) == {*PAYLOADS, "Plain title"}


# ---------------------------------------------------------------- timings (reported, not asserted)


def test_report_warm_page_times(demo: Engine, backend: str) -> None:
    """Cold (empty data cache) and warm (median of 3 reruns) server-side run time of every page; run with -s."""
    lines = [f"page run times on {backend} (demo data, AppTest):", f"{'page':<14}{'cold s':>8}{'warm s':>8}"]
    open_page("datasets")  # the engine and imports are ready, as in a running server
    for page in PAGES:
        st.cache_data.clear()
        at = sign_in(AppTest.from_file(APP, default_timeout=60))
        at.switch_page(page.script)
        start = time.perf_counter()
        at.run()
        cold = time.perf_counter() - start
        warm = []
        for _ in range(3):
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
            assert not at.exception
        lines.append(f"{page.key:<14}{cold:>8.2f}{statistics.median(warm):>8.2f}")
    print("\n" + "\n".join(lines))

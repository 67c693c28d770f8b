"""Filters follow the user across pages (issue 13, item 5), while a link still reproduces its view exactly.

A sidebar link (`st.page_link` without query parameters) clears the URL in a browser; `AppTest.switch_page` alone
keeps the previous page's URL, so `follow_sidebar_link` gives the page the link's own query string, as a browser does.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard.app.filter_memory import MEMORY_KEY, memory_for
from dashboard.core.access import Role, Viewer
from tests.conftest import HOST_ORG, sign_in
from tests.test_pages import (  # noqa: F401 (_fresh_caches: this module starts and ends with empty caches)
    APP,
    EE,
    IP,
    PAGE_BY_KEY,
    _fresh_caches,
    _point_app_at,
    assert_rendered,
    expected_summary,
    metrics,
    number,
    open_page,
    table_with,
)

EVIDENCE = ("country", "code", "assessed_on", "evidence_url")


@pytest.fixture
def demo(demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The app pointed at the shared demo database of this backend."""
    _point_app_at(monkeypatch, demo_engine)
    return demo_engine


def follow_sidebar_link(at: AppTest, key: str) -> AppTest:
    """Open another page in the same session as a click on its sidebar link does: with the link's query string."""
    spec = PAGE_BY_KEY[key]
    link = next(link for link in at.sidebar.page_link if link.value == spec.title)
    at.switch_page(spec.script)
    at.query_params = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(link.proto.query_string).items()}
    at.run()
    assert_rendered(at, spec.title)
    return at


def open_link_in_session(at: AppTest, key: str, params: dict[str, str]) -> AppTest:
    """Open a link with these filters in the same session (say from a watchlist entry or a pasted URL)."""
    at.switch_page(PAGE_BY_KEY[key].script)
    at.query_params = dict(params)
    at.run()
    assert_rendered(at, PAGE_BY_KEY[key].title)
    return at


def test_track_and_period_chosen_on_incidents_follow_to_norms_and_the_briefing(demo: Engine) -> None:
    at = open_page("incidents")
    at.selectbox(key="f_track").set_value(EE).run()
    at.selectbox(key="f_period").set_value("24m").run()
    assert at.query_params == {"track": EE, "period": "24m"}

    follow_sidebar_link(at, "norms")  # norms offers no period: its URL carries the track only
    assert not at.warning
    assert at.selectbox(key="f_track").value == EE
    assert at.query_params == {"track": EE}
    assert table_with(at, *EVIDENCE).equals(table_with(open_page("norms", {"track": EE}), *EVIDENCE))

    follow_sidebar_link(at, "briefing")  # the period, kept while on norms, applies again
    assert not at.warning
    assert at.selectbox(key="f_track").value == EE and at.selectbox(key="f_period").value == "24m"
    assert at.query_params == {"track": EE, "period": "24m"}
    wanted = expected_summary(demo, {"track": EE, "period": "24m"})["incidents"]
    assert number(metrics(at)["Incidents"]) == wanted != expected_summary(demo, {})["incidents"]


def test_countries_follow_to_norms_and_the_briefing_ignores_them_silently(demo: Engine) -> None:
    at = open_page("incidents")
    at.selectbox(key="f_track").set_value(EE).run()
    at.multiselect(key="f_countries").set_value(["UKR", "POL"]).run()
    assert at.query_params == {"track": EE, "countries": "UKR,POL"}

    follow_sidebar_link(at, "norms")
    assert at.multiselect(key="f_countries").value == ["UKR", "POL"]
    assert at.query_params == {"track": EE, "countries": "UKR,POL"}
    assert set(table_with(at, *EVIDENCE)["country"]) == {"Ukraine", "Poland"}

    follow_sidebar_link(at, "briefing")  # no countries filter here: no warning, not in its URL
    assert not at.warning
    assert at.query_params == {"track": EE}
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, {"track": EE})["incidents"]

    follow_sidebar_link(at, "incidents")  # still remembered for the pages that offer countries
    assert at.multiselect(key="f_countries").value == ["UKR", "POL"]
    assert at.query_params == {"track": EE, "countries": "UKR,POL"}


def test_a_link_with_filters_overrides_the_remembered_ones(demo: Engine) -> None:
    at = open_page("incidents")
    at.selectbox(key="f_track").set_value(EE).run()
    at.selectbox(key="f_period").set_value("24m").run()

    open_link_in_session(at, "briefing", {"period": "90d"})  # the link says: both tracks, 90 days
    assert not at.warning
    assert at.selectbox(key="f_track").value == "both" and at.selectbox(key="f_period").value == "90d"
    assert at.query_params == {"period": "90d"}
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, {"period": "90d"})["incidents"]

    follow_sidebar_link(at, "incidents")  # what the link showed is now what is remembered
    assert at.query_params == {"period": "90d"}

    open_link_in_session(at, "norms", {"track": IP})  # norms has no period: the remembered one is kept
    follow_sidebar_link(at, "briefing")
    assert at.query_params == {"track": IP, "period": "90d"}


def test_remembered_filters_are_checked_against_the_viewer(demo: Engine) -> None:
    official = Viewer(
        name="ip-official", role=Role.OFFICIAL, tracks=frozenset({IP}), tlp_ceiling="amber", organisation=HOST_ORG
    )
    at = sign_in(AppTest.from_file(APP, default_timeout=60), official)
    at.switch_page(PAGE_BY_KEY["incidents"].script)
    # Remembered (say before the account lost Eastern Europe): a track and a country this viewer may not use.
    at.session_state[MEMORY_KEY] = memory_for(official, {"track": EE, "period": "24m", "countries": "UKR"})
    at.run()
    assert_rendered(at, "Incidents")
    assert not at.warning  # nothing in the URL asked for them
    assert at.selectbox(key="f_track").value == IP and at.multiselect(key="f_countries").value == []
    assert at.query_params == {"track": IP, "period": "24m"}
    link = sign_in(AppTest.from_file(APP, default_timeout=60), official)
    link.switch_page(PAGE_BY_KEY["incidents"].script)
    link.query_params = {"track": IP, "period": "24m"}
    assert metrics(at) == metrics(link.run())


def test_filters_remembered_for_another_viewer_are_not_applied(demo: Engine) -> None:
    someone = Viewer(
        name="someone", role=Role.OFFICIAL, tracks=frozenset({EE, IP}), tlp_ceiling="amber", organisation=HOST_ORG
    )
    at = sign_in(AppTest.from_file(APP, default_timeout=60))
    at.switch_page(PAGE_BY_KEY["briefing"].script)
    at.session_state[MEMORY_KEY] = memory_for(someone, {"track": EE, "period": "24m"})
    at.run()
    assert_rendered(at, "Track briefing")
    assert at.query_params == {}
    assert number(metrics(at)["Incidents"]) == expected_summary(demo, {})["incidents"]

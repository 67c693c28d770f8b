"""Watchlist triage: priority, groups by kind and track, search, links that keep track and period, and the
"new since my last visit" marker (unit tests and AppTest of the Watchlist page)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT
from dashboard.analysis.watchlist import Signal, build_watchlist
from dashboard.analysis.watchlist_triage import groups, matches, priority, tracked_watchlist
from dashboard.app.watchlist_visits import VIEW
from dashboard.store.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import partnership, store
from tests.test_watchlist import ADMIN, AS_OF, EE, plant

APP = str(PROJECT_ROOT / "app.py")
BOTH = frozenset({"eastern-europe", "indo-pacific"})


def _signal(kind: str, subject: str, strength: float, track: str = "eastern-europe", **kw) -> Signal:
    return Signal(kind, subject, f"Something about {subject}.", strength, track=track, **kw)


def test_priority_is_strength_times_recency_times_severity() -> None:
    assert priority(_signal("surge", "Poland", 4.0), AS_OF) == pytest.approx(4.0)  # ongoing: recency 1
    half_year = AS_OF - dt.timedelta(days=180)
    assert priority(_signal("norm-downgrade", "Moldova", 3.0, since=half_year), AS_OF) == pytest.approx(3 * 0.5 * 0.7)
    year = AS_OF - dt.timedelta(days=360)
    assert priority(_signal("partnership-lapse", "CERT", 1.2, since=year), AS_OF) == pytest.approx(1.2 * 0.25 * 0.6)
    assert priority(_signal("stale-hotline", "EST-LVA hotline", 1.5), AS_OF) == pytest.approx(0.75)
    assert priority(_signal("hotline-gap", "Russia – Poland", 3.0), AS_OF) == pytest.approx(2.4)


def test_groups_by_kind_and_track_in_priority_order() -> None:
    signals = [
        _signal("stale-hotline", "EST-LVA hotline", 1.5),
        _signal("surge", "Poland", 3.0),
        _signal("surge", "Japan", 6.0, track="indo-pacific"),
        _signal("surge", "Estonia", 5.0),
        _signal("hotline-gap", "Russia – Poland", 4.0),
    ]
    found = groups(signals, AS_OF)
    assert [(g.kind, g.track) for g in found] == [
        ("surge", "indo-pacific"),  # 6.0
        ("surge", "eastern-europe"),  # 5.0
        ("hotline-gap", "eastern-europe"),  # 4.0 x 0.8 = 3.2
        ("stale-hotline", "eastern-europe"),  # 0.75
    ]
    assert [s.subject for s in found[1].signals] == ["Estonia", "Poland"]
    assert [g.top for g in found] == pytest.approx([6.0, 5.0, 3.2, 0.75])


def test_search_matches_subject_explanation_or_linked_countries_case_insensitively() -> None:
    gap = _signal("hotline-gap", "Russia – Poland", 3.0)
    assert matches(gap, "poland") and matches(gap, "  RUSSIA ") and matches(gap, "something about")
    assert matches(gap, "") and not matches(gap, "Estonia")
    hotline = Signal("stale-hotline", "EST-LVA hotline", "Untested.", 1.5, link="/partnerships?countries=EST,LVA")
    assert matches(hotline, "latvia") and matches(hotline, "est-lva") and not matches(hotline, "Poland")


def _query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


@pytest.mark.parametrize("tracks", [EE, BOTH], ids=["one-track", "both-tracks"])
def test_every_signal_link_carries_track_and_period(engine: Engine, tracks: frozenset[str]) -> None:
    plant(engine)
    signals = build_watchlist(engine, ADMIN, tracks, AS_OF)
    assert {s.kind for s in signals} >= {"surge", "hotline-gap", "stale-hotline", "partnership-lapse"}
    track = next(iter(tracks)) if len(tracks) == 1 else "both"
    for s in signals:
        params = _query(s.link)
        assert params["track"] == [track] and s.track == track, s
        assert params["period"] == ["custom"] and params["from"] and params["to"], s
        assert dt.date.fromisoformat(params["from"][0]) <= dt.date.fromisoformat(params["to"][0]) <= AS_OF


def test_tracked_watchlist_names_each_signals_track(engine: Engine) -> None:
    plant(engine)
    signals = tracked_watchlist(engine, ADMIN, BOTH, AS_OF)
    assert signals and {s.track for s in signals} == {"eastern-europe"}  # only Eastern Europe has data
    gap = next(s for s in signals if s.kind == "hotline-gap")
    assert _query(gap.link)["track"] == ["eastern-europe"] and "countries" in _query(gap.link)
    assert [priority(s, AS_OF) for s in signals] == sorted((priority(s, AS_OF) for s in signals), reverse=True)


# ---------------------------------------------------------------- the page (AppTest)


def _open(params: dict[str, str] | None = None) -> AppTest:
    at = sign_in(AppTest.from_file(APP, default_timeout=60))
    at.switch_page("pages/watchlist.py")
    at.query_params.update(params or {})
    return at.run()


def _titles(at: AppTest) -> list[str]:
    """The bold title of each signal card shown."""
    return [m.value for m in at.markdown if m.value.startswith("**") and ": " in m.value]


def _badges(at: AppTest) -> int:
    return sum("badge[New]" in m.value for m in at.markdown)


def _group_tops(at: AppTest) -> list[float]:
    found = (re.search(r"top priority ([0-9.]+)", e.label) for e in at.expander)
    return [float(m.group(1)) for m in found if m]


def test_page_groups_signals_by_kind_and_track_collapsed_in_priority_order(app_engine: Engine) -> None:
    plant(app_engine)
    at = _open()
    assert not at.exception
    labels = [e.label for e in at.expander if "top priority" in e.label]
    assert labels and all("Eastern Europe" in label for label in labels)
    assert labels[0].startswith("Surge · Eastern Europe")
    assert len(labels) == len({label.split(" · top")[0] for label in labels})  # one group per kind and track
    tops = _group_tops(at)
    assert tops == sorted(tops, reverse=True)
    assert not any(e.proto.expanded for e in at.expander if "top priority" in e.label)  # collapsed by default
    assert any("Priority = strength × recency × severity" in c.value for c in at.caption)


def test_search_narrows_the_page_to_matching_signals(app_engine: Engine) -> None:
    plant(app_engine)
    at = _open()
    everything = _titles(at)
    at.text_input(key="wl_search").input("lAtViA").run()
    assert not at.exception
    narrowed = _titles(at)
    assert narrowed == ["**Untested hotline: EST\\-LVA hotline**"] or (
        len(narrowed) == 1 and "EST" in narrowed[0] and "LVA" in narrowed[0]
    )
    assert len(narrowed) < len(everything)
    assert all(e.proto.expanded for e in at.expander if "top priority" in e.label)  # a search opens its groups
    at.text_input(key="wl_search").input("no such place").run()
    assert not _titles(at) and any("No signal matches the search" in i.value for i in at.info)


def test_new_marker_for_signals_since_the_last_visit_and_not_on_an_immediate_second_visit(app_engine: Engine) -> None:
    plant(app_engine)
    first = _open()
    assert not first.exception and _badges(first) == 0
    assert any("This is your first visit" in c.value for c in first.caption)
    first.text_input(key="wl_search").input("hotline").run()  # a rerun in the same session is not a new visit
    with app_engine.connect() as conn:
        assert len(conn.scalars(select(AuditEvent).where(AuditEvent.action == VIEW)).all()) == 1

    # A hotline that has never been tested appears after the visit: the next visit marks it, and only it.
    store(app_engine, "partnerships", "eastern-europe", [partnership("LTU-POL hotline", "hotline", ("LTU", "POL"))])
    second = _open()
    assert not second.exception and _badges(second) == 1
    assert any("1 new since your last visit" in c.value for c in second.caption)
    assert any("1 new" in e.label and e.label.startswith("Untested hotline") for e in second.expander)

    third = _open()  # straight after: nothing is new any more
    assert not third.exception and _badges(third) == 0
    assert any("0 new since your last visit" in c.value for c in third.caption)

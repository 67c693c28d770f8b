"""URL filters: round trip, and nothing in a link is trusted beyond the viewer's scope."""

from __future__ import annotations

import datetime as dt

from dashboard.core.access import Role, Viewer
from dashboard.core.filters import ViewFilter, parse_query_params

EE_ONLY = Viewer(
    name="p", role=Role.PARTNER, tracks=frozenset({"eastern-europe"}), tlp_ceiling="green", organisation="Org"
)
BOTH = Viewer(
    name="a",
    role=Role.OFFICIAL,
    tracks=frozenset({"eastern-europe", "indo-pacific"}),
    tlp_ceiling="amber",
    organisation="Org",
)


def test_round_trip_through_the_url() -> None:
    view = ViewFilter(
        track="indo-pacific",
        period="custom",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 6, 30),
        countries=("SGP", "AUS"),
        sectors=("health",),
        types=("ransomware",),
        min_severity=3,
    )
    params = view.to_query_params()
    assert params == {
        "track": "indo-pacific",
        "period": "custom",
        "from": "2025-01-01",
        "to": "2025-06-30",
        "countries": "SGP,AUS",
        "sectors": "health",
        "types": "ransomware",
        "severity": "3",
    }
    assert parse_query_params(params, BOTH) == view
    assert ViewFilter().to_query_params() == {}


def test_a_link_cannot_widen_the_viewer_scope() -> None:
    view = parse_query_params({"track": "indo-pacific"}, EE_ONLY)
    assert view.track == "both" and view.tracks(EE_ONLY) == frozenset({"eastern-europe"})
    assert any("not available to you" in w for w in view.warnings)


def test_bad_values_are_dropped_with_warnings() -> None:
    view = parse_query_params(
        {
            "period": "forever",
            "countries": "ukr,ZZZ",
            "sectors": "spaceships",
            "severity": "9",
            "types": "ransomware,unknown",
        },
        BOTH,
    )
    assert view.period == "12m" and view.countries == ("UKR",) and view.sectors == () and view.min_severity == 0
    assert view.types == ("ransomware",)
    assert len(view.warnings) == 5
    broken = parse_query_params({"period": "custom", "from": "2026-13-01", "to": "2026-01-01"}, BOTH)
    assert broken.period == "12m" and broken.warnings


def test_periods_end_on_the_as_of_date() -> None:
    today = dt.date(2026, 10, 31)
    assert ViewFilter(period="90d").window(today).start == dt.date(2026, 8, 3)
    assert ViewFilter(period="12m").window(today).days == 365
    assert ViewFilter(period="all").window(today).start.year == 2000
    flt = ViewFilter(track="eastern-europe", countries=("EST",), min_severity=2).incident_filter(
        BOTH, ViewFilter().window(today)
    )
    assert flt.tracks == frozenset({"eastern-europe"}) and flt.countries == frozenset({"EST"}) and flt.min_severity == 2

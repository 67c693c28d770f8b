"""The reads behind the pages, on small datasets with known answers (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine

from dashboard import read
from dashboard.analysis.briefing import build_briefing
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.filters import ViewFilter
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.read import norms, partnerships
from tests.factories import incident, norm, partnership, store, store_incidents

ADMIN = local_admin("Dialogue Secretariat")
GREEN_EE = Viewer(
    name="p", role=Role.PARTNER, tracks=frozenset({"eastern-europe"}), tlp_ceiling="green", organisation="Partner"
)
ALL = read.IncidentFilter()


@pytest.fixture
def data(engine: Engine) -> Engine:
    store_incidents(
        engine,
        "eastern-europe",
        [
            incident(
                "e1",
                when="2026-09-10",
                targets=("EST", "LVA"),
                initiators=("RUS",),
                severity=4,
                sectors=("energy", "government"),
            ),
            incident(
                "e2",
                when="2026-09-20",
                targets=("EST",),
                initiators=("RUS",),
                severity=1,
                itype="espionage",
                tlp="green",
            ),
            incident(
                "e3",
                when="2026-10-05",
                targets=("POL",),
                initiators=("BLR",),
                severity=3,
                tlp="amber",
                sectors=("health",),
            ),
            incident("e4", when="2025-10-05", targets=("POL",), severity=2, tlp="red"),
        ],
    )
    store_incidents(engine, "indo-pacific", [incident("i1", when="2026-10-01", targets=("SGP",), severity=5)])
    store(
        engine,
        "norms",
        "eastern-europe",
        [
            norm("EST", "un-norms:a", "2025-06-30", "in_progress"),
            norm("EST", "un-norms:a", "2026-06-30", "implemented"),
            norm("EST", "un-norms:b", "2025-06-30", "implemented"),
            norm("EST", "un-norms:b", "2026-06-30", "in_progress"),
            norm("LVA", "un-norms:a", "2026-06-30", "implemented", tlp="amber"),
        ],
    )
    store(
        engine,
        "partnerships",
        "eastern-europe",
        [
            partnership(
                "EST-LVA hotline",
                "hotline",
                ("EST", "LVA"),
                tested="2026-09-01",
                parties=(("Gov EST", "government", "EST"), ("Gov LVA", "government", "LVA")),
            ),
            partnership(
                "CERT project",
                "capacity-building",
                ("POL",),
                status="ended",
                end="2025-12-31",
                parties=(("CERT PL", "cert", "POL"), ("NGO", "ngo", "")),
            ),
            partnership("Secret MoU", "mou", ("EST", "POL"), tlp="red"),
        ],
    )
    return engine


def test_incident_summary_and_breakdowns(data: Engine) -> None:
    assert read.incident_summary(data, ADMIN, ALL) == {
        "incidents": 5,
        "significant": 3,
        "countries": 4,
        "other_countries": 0,
        "unidentified": 0,
        "tlp": "red",
    }
    assert read.incident_summary(data, GREEN_EE, ALL) == {
        "incidents": 2,
        "significant": 1,
        "countries": 2,
        "other_countries": 0,
        "unidentified": 0,
        "tlp": "green",
    }
    by_type = read.incident_counts_by_month_and(data, ADMIN, ALL, "type")
    assert by_type[by_type["month"] == "2026-09"][["key", "incidents"]].values.tolist() == [
        ["disruption", 1],
        ["espionage", 1],
    ]
    by_sector = read.incident_counts_by_month_and(data, ADMIN, ALL, "sector")
    assert by_sector[by_sector["month"] == "2026-09"]["incidents"].sum() == 3  # e1 counts once per sector
    matrix = read.sector_type_counts(data, GREEN_EE, ALL)
    assert sorted(matrix.values.tolist()) == [
        ["energy", "disruption", 1],
        ["energy", "espionage", 1],
        ["government", "disruption", 1],
    ]
    sectors = read.incident_counts_by_sector(data, ADMIN, ALL)
    assert dict(zip(sectors["sector_id"], sectors["incidents"])) == {"energy": 4, "government": 1, "health": 1}


def test_dyads_and_initiated(data: Engine) -> None:
    dyads = read.dyad_counts(data, ADMIN, ALL)
    assert dyads[["initiator", "target", "incidents"]].values.tolist() == [
        ["RUS", "EST", 2],
        ["BLR", "POL", 1],
        ["RUS", "LVA", 1],
    ]
    assert read.dyad_counts(data, GREEN_EE, ALL)[["initiator", "target", "incidents"]].values.tolist() == [
        ["RUS", "EST", 2],
        ["RUS", "LVA", 1],
    ]
    initiated = read.incident_initiated_counts(data, ADMIN, ALL, "RUS")
    assert dict(zip(initiated["target"], initiated["incidents"])) == {"EST": 2, "LVA": 1}


def test_incident_rows_join_links_and_respect_scope(data: Engine) -> None:
    rows = read.incident_rows(data, ADMIN, ALL, limit=None)
    assert rows["title"].tolist() == ["e3", "i1", "e2", "e1", "e4"]  # newest first
    e1 = rows.set_index("title").loc["e1"]
    assert (e1["targets"], e1["initiators"], e1["sectors"]) == ("EST; LVA", "RUS", "energy; government")
    assert read.incident_rows(data, ADMIN, ALL, limit=2)["title"].tolist() == ["e3", "i1"]
    assert set(read.incident_rows(data, GREEN_EE, ALL, None)["title"]) == {"e1", "e2"}
    flt = read.IncidentFilter(countries=frozenset({"LVA"}))
    assert read.incident_rows(data, ADMIN, flt, None)["title"].tolist() == ["e1"]
    assert read.incident_rows(data, ADMIN, ALL, None, initiated_by="BLR")["title"].tolist() == ["e3"]


def test_norm_status_takes_the_latest_visible_assessment(data: Engine) -> None:
    latest = read.norm_status_as_of(data, ADMIN)
    assert latest[["iso3", "item_id", "status"]].values.tolist() == [
        ["EST", "un-norms:a", "implemented"],
        ["EST", "un-norms:b", "in_progress"],
        ["LVA", "un-norms:a", "implemented"],
    ]
    earlier = read.norm_status_as_of(data, ADMIN, dt.date(2025, 12, 31))
    assert earlier[["iso3", "item_id", "status"]].values.tolist() == [
        ["EST", "un-norms:a", "in_progress"],
        ["EST", "un-norms:b", "implemented"],
    ]
    assert set(read.norm_status_as_of(data, GREEN_EE)["iso3"]) == {"EST"}  # LVA's row is AMBER
    assert read.norm_rounds(data, ADMIN) == [dt.date(2025, 6, 30), dt.date(2026, 6, 30)]
    shares = read.norm_round_shares(data, ADMIN, countries=frozenset({"EST"}))
    assert shares[["assessed_on", "implemented", "assessed"]].values.tolist() == [
        [dt.date(2025, 6, 30), 1, 2],
        [dt.date(2026, 6, 30), 1, 2],
    ]


def test_partnerships_rows_counts_and_scope(data: Engine) -> None:
    rows = read.partnership_rows(data, ADMIN)
    assert set(rows["name"]) == {"EST-LVA hotline", "CERT project", "Secret MoU"}
    hotline = rows.set_index("name").loc["EST-LVA hotline"]
    assert hotline["countries"] == "EST; LVA" and hotline["party_types"] == "government"
    assert rows.set_index("name").loc["CERT project", "party_types"] == "cert; ngo"
    assert set(read.partnership_rows(data, GREEN_EE)["name"]) == {"EST-LVA hotline", "CERT project"}
    assert list(read.partnership_rows(data, ADMIN, countries=frozenset({"LVA"}))["name"]) == ["EST-LVA hotline"]
    counts = read.partnership_counts_by_country(data, GREEN_EE)
    assert dict(zip(counts["iso3"], counts["partnerships"])) == {"EST": 1, "LVA": 1, "POL": 1}
    assert read.partnership_rows(data, ADMIN, tracks=frozenset({"indo-pacific"})).empty


def test_briefing_figures(data: Engine) -> None:
    view = ViewFilter(track="eastern-europe", period="12m")
    brief = build_briefing(data, ADMIN, view, dt.date(2026, 10, 31))
    figures = {h.label: (h.current, h.previous) for h in brief.headlines}
    assert figures["Incidents"] == (3, 1)  # e4 fell in the previous 12 months
    assert figures["Significant incidents"] == (2, 0)
    assert figures["Countries affected"] == (3, 1)
    assert figures["Norms implemented"] == (2, 1)  # EST a + LVA a now; EST b as of 2025-10-31
    assert figures["Active partnerships"] == (2, 3)  # the CERT project ended 2025-12-31
    assert figures["Hotlines tested, 12 mo"] == (1, None)
    assert brief.tlp == "red"
    assert brief.country_movers["name"].tolist()[:1] == ["Estonia"]
    assert brief.norm_downgrades[["iso3", "item_id"]].values.tolist() == [["EST", "un-norms:b"]]
    green = build_briefing(data, GREEN_EE, view, dt.date(2026, 10, 31))
    assert {h.label: h.current for h in green.headlines}["Incidents"] == 2
    assert green.tlp == "green"


def test_norm_status_of_some_tracks_and_countries_equals_a_direct_read(demo_engine: Engine) -> None:
    """Statuses are read once for all the viewer's tracks and narrowed: the same rows as asking SQL directly."""
    ee_only = Viewer(
        name="ee",
        role=Role.OFFICIAL,
        tracks=frozenset({"eastern-europe"}),
        tlp_ceiling="green",
        organisation="Dialogue Secretariat",
    )
    as_of = read.norm_rounds(demo_engine, ADMIN)[-2]
    for viewer in (ADMIN, ee_only):
        for day in (None, as_of):
            for tracks in (None, frozenset({"eastern-europe"}), frozenset({"indo-pacific"}), frozenset(TRACK_IDS)):
                for countries in (None, frozenset(), frozenset({"UKR", "JPN", "EST"})):
                    got = read.norm_status_as_of(demo_engine, viewer, day, tracks, countries)
                    direct = norms._norm_status_as_of(demo_engine, viewer, day, tracks, countries)
                    pd.testing.assert_frame_equal(_plain(got), _plain(direct))
    assert len(read.norm_status_as_of(demo_engine, ADMIN, None, frozenset({"indo-pacific"}))) > 0
    assert read.norm_status_as_of(demo_engine, ee_only, None, frozenset({"indo-pacific"})).empty


def test_partnerships_of_some_tracks_and_countries_equal_a_direct_read(demo_engine: Engine) -> None:
    for viewer in (ADMIN, GREEN_EE):
        for tracks in (None, frozenset({"eastern-europe"}), frozenset({"indo-pacific"})):
            for countries in (None, frozenset({"UKR", "JPN", "EST"}), frozenset({"POL"})):
                got = read.partnership_rows(demo_engine, viewer, tracks, countries)
                direct = partnerships._partnership_rows(demo_engine, viewer, tracks, countries)
                pd.testing.assert_frame_equal(_plain(got), _plain(direct))
    assert not read.partnership_rows(demo_engine, ADMIN, frozenset({"indo-pacific"})).empty


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, missing as None (a narrowed read may hold NaN where a direct one holds None)."""
    return frame.astype(object).where(frame.notna(), None)

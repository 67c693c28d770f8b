"""Viewer-scoped reads: track, TLP ceiling, AMBER+STRICT ownership and active versions are applied in SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, update

from dashboard import read
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.store.models import DatasetVersion
from tests.factories import incident, store_incidents

HOST = "Dialogue Secretariat"


def viewer(
    ceiling: str, tracks=("indo-pacific", "eastern-europe"), org: str = "Partner Org", role: Role = Role.PARTNER
) -> Viewer:
    return Viewer(name="v", role=role, tracks=frozenset(tracks), tlp_ceiling=ceiling, organisation=org)


@pytest.fixture
def marked(engine: Engine) -> Engine:
    """One Eastern Europe incident at each TLP level (EST), AMBER+STRICT owned by the host, and one Indo-Pacific row."""
    rows = [incident(f"ee-{t}", tlp=t, owner=HOST) for t in ("clear", "green", "amber", "amber+strict", "red")]
    rows.append(incident("ee-strict-partner", tlp="amber+strict", owner="Partner Org", targets=("LVA",)))
    store_incidents(engine, "eastern-europe", rows)
    store_incidents(engine, "indo-pacific", [incident("ip-clear", targets=("SGP",), sectors=("health",))])
    return engine


def _titles_by_country(engine: Engine, v: Viewer) -> dict[str, int]:
    frame = read.incident_counts_by_country(engine, v)
    return dict(zip(frame["iso3"], frame["incidents"]))


@pytest.mark.parametrize(
    ("ceiling", "org", "est", "lva"),
    [
        ("clear", "Partner Org", 1, 0),
        ("green", "Partner Org", 2, 0),
        ("amber", "Partner Org", 3, 0),
        ("amber+strict", "Partner Org", 3, 1),  # only its own AMBER+STRICT row
        ("amber+strict", HOST, 4, 0),
        ("red", HOST, 5, 0),
    ],
)
def test_counts_only_include_rows_within_the_ceiling(
    marked: Engine, ceiling: str, org: str, est: int, lva: int
) -> None:
    counts = _titles_by_country(marked, viewer(ceiling, org=org))
    assert counts.get("EST", 0) == est
    assert counts.get("LVA", 0) == lva
    assert counts["SGP"] == 1


def test_track_scope_hides_the_other_track_everywhere(marked: Engine) -> None:
    v = viewer("red", tracks=("indo-pacific",), org=HOST)
    assert _titles_by_country(marked, v) == {"SGP": 1}
    months = read.incident_counts_by_month(marked, v)
    assert months["incidents"].sum() == 1
    counts = read.layer_counts(marked, v)
    assert set(counts["track_id"]) == {"indo-pacific"}
    assert read.strictest_tlp(marked, v) == "clear"
    assert set(read.active_versions(marked, v)["track_id"]) == {"indo-pacific"}


def test_strictest_marking_follows_the_viewer(marked: Engine) -> None:
    assert read.strictest_tlp(marked, viewer("green")) == "green"
    assert read.strictest_tlp(marked, local_admin(HOST)) == "red"


def test_inactive_versions_are_invisible(marked: Engine) -> None:
    with marked.begin() as conn:
        conn.execute(
            update(DatasetVersion).where(DatasetVersion.track_id == "eastern-europe").values(status="inactive")
        )
    assert _titles_by_country(marked, local_admin(HOST)) == {"SGP": 1}


def test_replace_mode_supersedes_earlier_versions(engine: Engine) -> None:
    store_incidents(engine, "eastern-europe", [incident("a"), incident("b")])
    store_incidents(engine, "eastern-europe", [incident("c", targets=("POL",))], mode="replace")
    assert _titles_by_country(engine, local_admin(HOST)) == {"POL": 1}


def test_filters_apply_in_sql(engine: Engine) -> None:
    store_incidents(
        engine,
        "eastern-europe",
        [
            incident("jan", when="2025-01-15", severity=1),
            incident("feb", when="2025-02-15", severity=4, targets=("EST", "LVA"), sectors=("health",)),
            incident("mar", when="2025-03-15", severity=3, itype="espionage", sectors=("government",)),
        ],
    )
    admin = local_admin(HOST)
    months = read.incident_counts_by_month(engine, admin)
    assert months.to_dict("list") == {"month": ["2025-01", "2025-02", "2025-03"], "incidents": [1, 1, 1]}
    flt = read.IncidentFilter(min_severity=3)
    assert _sum(read.incident_counts_by_country(engine, admin, flt)) == {"EST": 2, "LVA": 1}
    flt = read.IncidentFilter(start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 28))
    assert _sum(read.incident_counts_by_country(engine, admin, flt)) == {"EST": 1, "LVA": 1}
    flt = read.IncidentFilter(sectors=frozenset({"health"}), countries=frozenset({"LVA"}))
    assert read.incident_counts_by_month(engine, admin, flt)["incidents"].tolist() == [1]
    flt = read.IncidentFilter(types=frozenset({"espionage"}))
    by_country = read.incident_counts_by_country(engine, admin, flt)
    assert by_country[["iso3", "incidents", "severity_weighted", "significant"]].values.tolist() == [["EST", 1, 3, 1]]


def _sum(frame) -> dict[str, int]:
    return dict(zip(frame["iso3"], frame["incidents"]))


def test_empty_database_gives_zero_filled_counts(engine: Engine) -> None:
    counts = read.layer_counts(engine, local_admin(HOST))
    assert len(counts) == 6 and counts["rows"].sum() == 0
    assert read.strictest_tlp(engine, local_admin(HOST)) is None
    assert read.incident_counts_by_country(engine, local_admin(HOST)).empty


def test_demo_counts_agree_between_layers_of_the_api(demo_engine: Engine) -> None:
    admin = local_admin(HOST)
    counts = read.layer_counts(demo_engine, admin)
    total = int(counts[counts["layer"] == "incidents"]["rows"].sum())
    assert 1800 <= total <= 2000  # some AMBER+STRICT rows belong to partner organisations
    assert read.incident_counts_by_month(demo_engine, admin)["incidents"].sum() == total
    assert read.synthetic_share(demo_engine, admin) == "all"
    green = viewer("green")
    assert read.incident_counts_by_month(demo_engine, green)["incidents"].sum() < total

"""The snapshot reads (dashboard/read/snapshot.py) equal the SQL reads of tests/oracle.py for every viewer and filter.

Several viewers (administrator, an official of one track with a GREEN ceiling, coordinators of the host and of
another organisation with AMBER+STRICT rows of both present, a partner share link) and filters, on random data
with several target countries, initiators, sectors and norms per incident; then again after an append that
replaces rows and after a rollback. SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from dashboard import read
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.filters import IncidentFilter
from dashboard.ingest import versions
from dashboard.ingest.commit import VersionMeta, commit_version
from dashboard.read import snapshot as facts
from dashboard.store.models import Incident
from tests import oracle
from tests.factories import incident

HOST = "Dialogue Secretariat"
EE, IP = "eastern-europe", "indo-pacific"
COUNTRIES = ["EST", "LVA", "LTU", "POL", "UKR", "MDA", "SGP", "JPN", "PHL", "AUS"]
INITIATORS = ["RUS", "BLR", "PRK", "CHN", "IRN"]
SECTORS = ["energy", "government", "health", "banking", "digital-infrastructure"]
TYPES = ["disruption", "espionage", "ransomware", "defacement"]
NORMS = ["un-norms:a", "un-norms:b", "un-norms:f", "un-norms:g"]
TLPS = ["clear", "green", "amber", "amber+strict", "red"]

ADMIN = local_admin(HOST)
VIEWERS = {
    "admin": ADMIN,
    "official-ee-green": Viewer(
        name="o", role=Role.OFFICIAL, tracks=frozenset({EE}), tlp_ceiling="green", organisation=HOST
    ),
    "coordinator-host": Viewer(
        name="c", role=Role.COORDINATOR, tracks=frozenset({EE, IP}), tlp_ceiling="amber+strict", organisation=HOST
    ),
    "coordinator-other": Viewer(
        name="c2",
        role=Role.COORDINATOR,
        tracks=frozenset({EE}),
        tlp_ceiling="amber+strict",
        organisation="Partner Org",
    ),
    "partner-link": Viewer(
        name="link",
        role=Role.PARTNER,
        tracks=frozenset({IP}),
        tlp_ceiling="amber",
        organisation="Partner Org",
        share_link_id=1,
        expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    ),
}
DAY = dt.date(2026, 6, 30)
FILTERS = {
    "all": IncidentFilter(),
    "ee": IncidentFilter(tracks=frozenset({EE})),
    "year": IncidentFilter(start=DAY - dt.timedelta(days=364), end=DAY),
    "countries": IncidentFilter(countries=frozenset({"EST", "SGP"})),
    "sectors-types": IncidentFilter(sectors=frozenset({"energy", "health"}), types=frozenset({"disruption"})),
    "severity": IncidentFilter(min_severity=3),
    "combined": IncidentFilter(
        tracks=frozenset({EE, IP}),
        start=DAY - dt.timedelta(days=730),
        end=DAY,
        countries=frozenset({"UKR", "POL", "JPN"}),
        sectors=frozenset({"government"}),
        min_severity=2,
    ),
    "unknown-country": IncidentFilter(countries=frozenset({"ZZZ"})),
}


def _rows(rng: np.random.Generator, n: int, prefix: str, countries: list[str]) -> list[dict]:
    rows = []
    for i in range(n):
        tlp = str(rng.choice(TLPS, p=[0.35, 0.25, 0.15, 0.15, 0.1]))
        row = incident(
            f"{prefix}-{i}",
            tlp=tlp,
            owner=HOST if rng.random() < 0.5 else "Partner Org",
            when=(DAY - dt.timedelta(days=int(rng.integers(0, 1100)))).isoformat(),
            targets=tuple(rng.choice(countries, size=int(rng.integers(1, 4)), replace=False)),
            sectors=tuple(rng.choice(SECTORS, size=int(rng.integers(1, 3)), replace=False)),
            itype=str(rng.choice(TYPES)),
            severity=int(rng.integers(0, 6)),
            initiators=tuple(rng.choice(INITIATORS, size=int(rng.integers(0, 3)), replace=False)),
        )
        row["norms"] = list(rng.choice(NORMS, size=int(rng.integers(0, 3)), replace=False))
        if rng.random() < 0.05:
            row["severity"] = None
        rows.append(row)
    return rows


def _commit(engine: Engine, track: str, rows: list[dict], replaces: list[int] | None = None) -> int:
    meta = VersionMeta(layer="incidents", track_id=track, uploaded_by="t", file_name="t.csv", sha256="0" * 64)
    return commit_version(engine, meta, pd.DataFrame(rows), replaces=replaces)


@pytest.fixture
def mixed(engine: Engine) -> Engine:
    rng = np.random.default_rng(7)
    _commit(engine, EE, _rows(rng, 160, "ee", COUNTRIES[:6]))
    _commit(engine, IP, _rows(rng, 120, "ip", COUNTRIES[5:]))
    return engine


def _same(fast: pd.DataFrame, direct: pd.DataFrame, keys: list[str] | None = None) -> None:
    if keys:
        fast = fast.sort_values(keys, kind="stable")
        direct = direct.sort_values(keys, kind="stable")
    pd.testing.assert_frame_equal(
        fast.reset_index(drop=True), direct.reset_index(drop=True), check_dtype=False, check_index_type=False
    )


def assert_fast_equals_sql(engine: Engine) -> None:
    """Every incident read on the snapshot equals the same read in SQL, for every viewer and filter."""
    facts.clear_cache()
    for name, viewer in VIEWERS.items():
        assert read.latest_incident_date(engine, viewer) == oracle.latest_incident_date(engine, viewer), name
        assert read.strictest_tlp(engine, viewer) == oracle.strictest_tlp(engine, viewer), name
        assert read.strictest_tlp(engine, viewer, ["incidents"]) == oracle.strictest_tlp(engine, viewer, ["incidents"])
        _same(read.layer_counts(engine, viewer), oracle.layer_counts(engine, viewer))
        for label, flt in FILTERS.items():
            where = f"{name}/{label}"
            assert read.incident_summary(engine, viewer, flt) == oracle.incident_summary(engine, viewer, flt), where
            for fn, args, keys in (
                ("incident_counts_by_country", (), None),
                ("incident_counts_by_month", (), None),
                ("incident_counts_by_month_and", ("type",), None),
                ("incident_counts_by_month_and", ("sector",), None),
                ("incident_counts_by_sector", (), None),
                ("sector_type_counts", (), ["sector_id", "type_id"]),
                ("dyad_counts", (15,), None),
                ("dyad_counts", (1000,), None),
                ("incident_initiated_counts", ("RUS",), None),
                ("incident_rows", (25,), None),
                ("incident_rows", (0,), None),
            ):
                fast = getattr(read, fn)(engine, viewer, flt, *args)
                direct = getattr(oracle, fn)(engine, viewer, flt, *args)
                try:
                    _same(fast, direct, keys)
                except AssertionError as exc:
                    raise AssertionError(f"{fn}{args} differs for {where}: {exc}") from None
            rows = read.incident_rows(engine, viewer, flt, 40, "BLR")
            _same(rows, oracle.incident_rows(engine, viewer, flt, 40, "BLR"))
        window = (DAY - dt.timedelta(days=800), DAY - dt.timedelta(days=89), DAY)
        for by in ("country", "sector", "dyad", "norm"):
            for tracks in (frozenset(viewer.tracks), frozenset({EE})):
                fast = read.window_counts(engine, viewer, tracks, by, *window)
                direct = oracle.window_counts(engine, viewer, tracks, by, *window)
                _same(fast, direct, ["key"])


def test_snapshot_reads_equal_sql_reads(mixed: Engine) -> None:
    assert_fast_equals_sql(mixed)
    # every viewer sees something, and scoping differs between them
    seen = {name: read.incident_summary(mixed, v, IncidentFilter())["incidents"] for name, v in VIEWERS.items()}
    assert all(seen.values()), seen
    assert len(set(seen.values())) == len(seen), seen


def test_snapshot_follows_an_append_that_replaces_rows_and_a_rollback(mixed: Engine) -> None:
    with mixed.connect() as conn:
        ee = conn.execute(
            select(Incident.id, Incident.dataset_version_id).where(Incident.track_id == EE).order_by(Incident.id)
        ).all()
    first_version = ee[0].dataset_version_id
    before = read.incident_summary(mixed, ADMIN, IncidentFilter(tracks=frozenset({EE})))
    replaced = [r.id for r in ee[:30]]
    rng = np.random.default_rng(11)
    _commit(mixed, EE, _rows(rng, 30, "ee-new", COUNTRIES[:6]), replaces=replaced)
    after = read.incident_summary(mixed, ADMIN, IncidentFilter(tracks=frozenset({EE})))
    assert after == oracle.incident_summary(mixed, ADMIN, IncidentFilter(tracks=frozenset({EE})))
    assert after != before
    snap = facts.snapshot(mixed)
    assert not set(replaced) & set(snap.ids.tolist())
    assert_fast_equals_sql(mixed)

    versions.rollback(mixed, first_version, ADMIN)
    assert read.incident_summary(mixed, ADMIN, IncidentFilter(tracks=frozenset({EE}))) == before
    assert set(replaced) <= set(facts.snapshot(mixed).ids.tolist())
    assert_fast_equals_sql(mixed)


def test_the_snapshot_is_reloaded_only_when_the_data_changes(mixed: Engine) -> None:
    facts.clear_cache()
    first = facts.snapshot(mixed)
    assert facts.snapshot(mixed) is first
    _commit(mixed, IP, _rows(np.random.default_rng(3), 5, "ip-more", COUNTRIES[5:]))
    second = facts.snapshot(mixed)
    assert second is not first and second.size == first.size + 5
    assert second.stamp == read.data_stamp(mixed)


def test_empty_database_reads(engine: Engine) -> None:
    facts.clear_cache()
    assert read.incident_summary(engine, ADMIN, IncidentFilter()) == {
        "incidents": 0,
        "significant": 0,
        "other_countries": 0,
        "unidentified": 0,
        "countries": 0,
        "tlp": None,
    }
    assert read.latest_incident_date(engine, ADMIN) is None
    assert read.incident_rows(engine, ADMIN, IncidentFilter(), 10).empty
    assert read.window_counts(engine, ADMIN, frozenset({EE}), "dyad", DAY, DAY, DAY).empty
    assert read.dyad_counts(engine, ADMIN, IncidentFilter()).empty


def test_all_rows_with_links_from_the_snapshot_equal_sql(mixed: Engine) -> None:
    for viewer in VIEWERS.values():
        for flt in (FILTERS["all"], FILTERS["combined"]):
            _same(read.incident_rows(mixed, viewer, flt, None), oracle.incident_rows(mixed, viewer, flt, None))
        _same(
            read.incident_rows(mixed, viewer, FILTERS["all"], None, "RUS"),
            oracle.incident_rows(mixed, viewer, FILTERS["all"], None, "RUS"),
        )

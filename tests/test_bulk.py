"""Bulk writes (dashboard/ingest/bulk.py): what goes in comes back out, references are checked for the whole block,
a failure leaves nothing behind, and the SQLite index rebuild for big blocks leaves the same indexes.

Runs on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from dashboard.ingest import bulk
from dashboard.store.models import Incident, IncidentNorm, IncidentSector, IncidentTarget
from tests.factories import incident, store_incidents
from tests.test_db import table_checksums

TRACK = "eastern-europe"


def _stored(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Incident.title,
                Incident.start_date,
                Incident.end_date,
                Incident.severity,
                Incident.source_urls,
                Incident.original,
                Incident.confidence,
                Incident.tlp,
            ).order_by(Incident.id)
        ).all()
    return pd.DataFrame(rows, columns=["title", "start", "end", "severity", "urls", "original", "confidence", "tlp"])


def test_values_come_back_as_written(engine: Engine) -> None:
    odd = incident('Quote " and back\\slash, comma; semicolon', severity=0, targets=("EST", "LVA", "EST"))
    odd["source_urls"] = ['https://example.org/a"b', "https://example.org/ü"]
    odd["end_date"] = dt.date(2025, 3, 12)
    plain = incident("Plain", severity=None)  # type: ignore[arg-type]
    plain["source_urls"] = ["https://example.org/plain"]
    plain["confidence"] = None
    empty = incident("Empty text", tlp="amber")
    empty["description"] = None
    store_incidents(engine, TRACK, [odd, plain, empty])
    stored = _stored(engine)
    assert stored["title"].tolist() == [odd["title"], "Plain", "Empty text"]
    assert stored["start"].tolist() == [dt.date(2025, 3, 10)] * 3
    assert stored["end"].iloc[0] == dt.date(2025, 3, 12) and pd.isna(stored["end"].iloc[1])
    assert stored["severity"].iloc[0] == 0 and pd.isna(stored["severity"].iloc[1])
    assert stored["urls"].tolist() == [odd["source_urls"], ["https://example.org/plain"], []]
    assert stored["original"].tolist() == [{}, {}, {}]
    assert stored["confidence"].tolist() == ["unknown", "unknown", "unknown"]
    with engine.connect() as conn:
        targets = conn.execute(select(IncidentTarget.iso3).order_by(IncidentTarget.iso3)).scalars().all()
    assert targets == ["EST", "EST", "EST", "LVA"]  # each country once per incident


def test_an_unknown_reference_is_refused_and_nothing_is_written(engine: Engine) -> None:
    store_incidents(engine, TRACK, [incident("Kept")])
    before = table_checksums(engine)
    with pytest.raises(IntegrityError, match="no-such-sector"):
        store_incidents(engine, TRACK, [incident("Refused", sectors=("energy", "no-such-sector"))])
    assert table_checksums(engine) == before


def test_a_big_block_on_sqlite_rebuilds_the_same_indexes(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the index rebuild is SQLite's bulk path")
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 10)
    monkeypatch.setattr(bulk, "CHUNK", 7)  # several blocks
    names = {t: sorted(i["name"] for i in inspect(engine).get_indexes(t)) for t in ("incidents", "incident_targets")}
    rows = [incident(f"Row {i}", targets=("EST", "LVA") if i % 2 else ("POL",)) for i in range(40)]
    store_incidents(engine, TRACK, rows)
    after = {t: sorted(i["name"] for i in inspect(engine).get_indexes(t)) for t in ("incidents", "incident_targets")}
    assert after == names
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM incidents")) == 40
        assert conn.scalar(text("SELECT count(*) FROM incident_targets")) == 60
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        # The rebuilt index answers queries (the planner uses it for a value lookup).
        assert conn.scalar(text("SELECT count(*) FROM incident_targets WHERE iso3 = 'POL'")) == 20


def test_link_tables_hold_each_pair_once(engine: Engine) -> None:
    rows = [incident("A", sectors=("energy", "energy", "health")), incident("B", sectors=())]
    rows[0]["norms"] = ["un-norms:f", "un-norms:f"]
    store_incidents(engine, TRACK, rows)
    with engine.connect() as conn:
        assert conn.scalar(select(text("count(*)")).select_from(IncidentSector)) == 2
        assert conn.scalar(select(text("count(*)")).select_from(IncidentNorm)) == 1

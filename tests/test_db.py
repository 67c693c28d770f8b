"""Schema creation and upgrade through Alembic, idempotent init, SQLite pragmas."""

from __future__ import annotations

import hashlib

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, select, text

from dashboard.ops.bootstrap import initialise
from dashboard.store.db import current_revision, head_revision, table_names
from dashboard.store.models import Base
from tests.conftest import Database


def table_checksums(engine: Engine) -> dict[str, str]:
    """A checksum of every row of every table, to prove that something changed nothing."""
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            rows = conn.execute(select(table).order_by(*table.primary_key.columns or table.columns)).all()
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def test_init_creates_every_table_at_the_newest_revision(database: Database) -> None:
    assert current_revision(database.engine) is None
    report = initialise(database.engine)
    assert report.schema_before is None and report.schema_after == head_revision()
    assert set(Base.metadata.tables) <= set(table_names(database.engine))
    assert report.reference_added["countries.csv"] == 250
    assert report.reference_added["track_members.csv"] > 50


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], "models changed without a migration: add one under dashboard/migrations/versions"


def test_init_twice_changes_nothing(database: Database) -> None:
    initialise(database.engine, seed_demo=True, seed=3, incidents=50)
    before = table_checksums(database.engine)
    report = initialise(database.engine, seed_demo=True, seed=3, incidents=50)
    assert not report.changed
    assert report.demo_skipped_reason == "the database already holds data"
    assert table_checksums(database.engine) == before


def test_upgrade_keeps_existing_rows_and_edited_membership(database: Database) -> None:
    initialise(database.engine, seed_demo=True, seed=1, incidents=30)
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM track_members WHERE track_id = 'indo-pacific' AND iso3 = 'USA'"))
        incidents = conn.scalar(text("SELECT count(*) FROM incidents"))
    initialise(database.engine)
    with database.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM incidents")) == incidents
        removed = conn.scalar(text("SELECT count(*) FROM track_members WHERE track_id='indo-pacific' AND iso3='USA'"))
    assert removed == 0, "an edited track membership must survive init"


def test_sqlite_uses_wal_and_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_downgrade_and_upgrade_keep_the_data(database: Database) -> None:
    """A migration round trip (head -> 0002 -> head) keeps every incident and version."""
    from alembic import command

    from dashboard.store.db import _alembic_config

    initialise(database.engine, seed_demo=True, seed=9, incidents=40)
    with database.engine.connect() as conn:
        incidents = conn.scalar(text("SELECT count(*) FROM incidents"))
        versions = conn.scalar(text("SELECT count(*) FROM dataset_versions"))
    command.downgrade(_alembic_config(database.engine), "0002")
    initialise(database.engine)
    with database.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM incidents")) == incidents
        assert conn.scalar(text("SELECT count(*) FROM dataset_versions")) == versions
        assert conn.scalar(text("SELECT count(*) FROM dataset_versions WHERE status = 'active'")) == versions

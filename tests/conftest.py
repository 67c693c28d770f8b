"""Shared fixtures: databases on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from dashboard.ops.bootstrap import initialise
from dashboard.store.db import dispose_engine, get_engine, normalise_url

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


class Database:
    """A throw-away database: a SQLite file, or a PostgreSQL schema of its own in TEST_DATABASE_URL."""

    def __init__(self, backend: str, tmp_dir: Path) -> None:
        self.backend = backend
        self.schema = ""
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp_dir / f'db-{uuid.uuid4().hex[:8]}.sqlite'}"
        else:
            self.schema = f"t_{uuid.uuid4().hex[:12]}"
            admin = get_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            base = make_url(normalise_url(PG_URL))
            self.url = base.update_query_dict({"options": f"-csearch_path={self.schema}"}).render_as_string(
                hide_password=False
            )

    @property
    def engine(self) -> Engine:
        """The shared engine for this database."""
        return get_engine(self.url)

    def drop(self) -> None:
        """Remove the database."""
        dispose_engine(self.url)
        if self.schema:
            with get_engine(PG_URL).begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses a database runs on every configured backend."""
    return request.param


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """An empty database (no schema)."""
    db = Database(backend, tmp_path)
    yield db
    db.drop()


@pytest.fixture
def engine(database: Database) -> Engine:
    """An engine on a database with the schema and reference data but no datasets."""
    initialise(database.engine)
    return database.engine


_DEMO: dict[str, Database] = {}


@pytest.fixture(scope="session")
def demo_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    """One demo-seeded database per backend for read-only tests (seed 42, 2,000 incidents)."""
    yield _DEMO
    for db in _DEMO.values():
        db.drop()


@pytest.fixture
def demo_engine(backend: str, demo_databases: dict[str, Database], tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A database seeded with the default demo data. Read only: do not write to it."""
    if backend not in demo_databases:
        db = Database(backend, tmp_path_factory.mktemp("demo"))
        initialise(db.engine, seed_demo=True, seed=42, incidents=2000)
        demo_databases[backend] = db
    return demo_databases[backend].engine


TEST_SECRET = "test-secret-key-not-the-default-0123456789"
HOST_ORG = "Dialogue Secretariat"


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside demo mode the app refuses the default secret key; tests use their own unless they say otherwise."""
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", TEST_SECRET)


@pytest.fixture
def app_engine(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app (AppTest) runs on this test's database, outside demo mode, with Streamlit's caches empty."""
    import streamlit as st

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_DEMO_MODE", "false")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield engine
    st.cache_resource.clear()
    st.cache_data.clear()


def sign_in(at, viewer=None):
    """Start an AppTest session already signed in (as the local administrator unless a viewer is given)."""
    from dashboard.core.access import local_admin

    at.session_state["viewer"] = viewer or local_admin(HOST_ORG)
    return at

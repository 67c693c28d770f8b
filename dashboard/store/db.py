"""Engine and session factory, SQLite pragmas, and schema creation/upgrade through Alembic."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
logging.getLogger("alembic").setLevel(logging.WARNING)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed number works; it only has to be the same for every replica sharing one PostgreSQL database.
_PG_MIGRATION_LOCK = 7_340_211


class DatabaseUrlError(ValueError):
    """The database URL cannot be parsed or names an unsupported database."""


def normalise_url(url: str) -> str:
    """Check a database URL and select the psycopg 3 driver for plain postgresql:// URLs."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise DatabaseUrlError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(url: str) -> Engine:
    """One shared engine per database URL (engines are thread-safe connection pools)."""
    url = normalise_url(url)
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = _create_engine(url)
        return _ENGINES[url]


def dispose_engine(url: str) -> None:
    """Close the pooled connections of one database URL and forget its engine."""
    with _ENGINES_LOCK:
        engine = _ENGINES.pop(normalise_url(url), None)
    if engine is not None:
        engine.dispose()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to the engine."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


def lock_for_write(session: Session, name: str) -> None:
    """Serialise writers of one kind (e.g. uploads to one layer and track). Call it first in the transaction.

    SQLite: BEGIN IMMEDIATE takes the database write lock before anything is read, so a writer never works from a
    stale snapshot (other writers wait up to busy_timeout). PostgreSQL: a transaction-scoped advisory lock on the name.
    """
    if session.bind.dialect.name == "sqlite":
        connection = session.connection()
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(name.encode())})


def bump_write_counter(connection: Connection | Session) -> None:
    """Raise the database's write counter (data stamps include it) inside the caller's transaction. Triggers raise it
    on version, replacement and membership writes; restore and bulk writes call this too, as PostgreSQL may run
    them with triggers off."""
    connection.execute(text("UPDATE write_counter SET n = n + 1 WHERE id = 1"))


def write_count(connection: Connection) -> int:
    """The database's write counter (0 before migration 0009 has run)."""
    return int(connection.execute(text("SELECT n FROM write_counter WHERE id = 1")).scalar() or 0)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration revision shipped with this code."""
    script = ScriptDirectory.from_config(_alembic_config(None))  # type: ignore[arg-type]
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_schema(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision; returns (before, after)."""
    before = current_revision(engine)
    if before == head_revision():  # nothing to do: do not pay Alembic's start-up and checks on every app start
        return before, before
    cfg = _alembic_config(engine)
    if engine.dialect.name == "postgresql":
        # Serialise migrations between app replicas starting at the same time.
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
    else:
        command.upgrade(cfg, "head")
    after = current_revision(engine)
    assert after is not None
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
    return before, after


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration revision (raises if it cannot be reached)."""
    return current_revision(engine) == head_revision()


def table_names(engine: Engine) -> list[str]:
    """Names of the tables present in the database."""
    return inspect(engine).get_table_names()

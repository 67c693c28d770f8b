"""Alembic environment: runs migrations on the engine or connection handed over by dashboard.store.db."""

from __future__ import annotations

from alembic import context

from dashboard.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations inside one transaction on the given connection (or a new one from the engine)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes["engine"]
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    level = connection.get_isolation_level()
    if sqlite:
        # SQLite batch migrations copy and drop tables; with foreign keys enforced the drop would fail. They are
        # switched off for the migration (a PRAGMA that only works outside a transaction) and checked afterwards.
        connection.commit()
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        connection.execution_options(isolation_level=level)
    try:
        _migrate(connection)
    finally:
        if sqlite:
            connection.commit()
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            connection.execution_options(isolation_level=level)
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

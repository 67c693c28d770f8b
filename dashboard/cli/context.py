"""What every command shares: exit codes, the refusal, argument types, and the engine and account it acts with."""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import Engine

from dashboard import accounts
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.settings import Settings
from dashboard.store.db import get_engine, schema_is_current

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class Refused(Exception):
    """The operation was refused; the message says why (exit code 1)."""


def positive(text: str) -> int:
    """Argument type: a whole number that is not negative."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def iso_date(text: str) -> dt.date:
    """Argument type: a date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def engine_for(args: argparse.Namespace, settings: Settings) -> Engine:
    """The engine of --database-url, else of the settings."""
    return get_engine(args.database_url or settings.resolved_database_url)


def ready_engine(args: argparse.Namespace, settings: Settings) -> Engine:
    """The engine, refused unless its schema is current."""
    engine = engine_for(args, settings)
    if not schema_is_current(engine):
        raise Refused("the database has no current schema: run `python -m dashboard init` first")
    return engine


def actor(engine: Engine, name: str, settings: Settings) -> Viewer:
    """The viewer a command acts as: the local administrator, or a named account."""
    if name == "local-admin":
        return local_admin(settings.organisation)
    found = [u for u in accounts.list_users(engine) if u["username"] == name and u["active"]]
    if not found:
        raise Refused(f"no active user called {name!r}")
    u = found[0]
    return Viewer(
        name=name,
        role=Role(u["role"]),
        tracks=frozenset(u["tracks"]),
        tlp_ceiling=u["tlp_ceiling"],
        organisation=u["organisation"],
    )

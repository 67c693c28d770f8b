"""Bring a database up to date: schema (Alembic), reference vocabularies, and demo data when asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from dashboard import accounts
from dashboard.ops import demo
from dashboard.store.db import upgrade_schema
from dashboard.store.models import DatasetVersion
from dashboard.store.reference import sync_reference


class DemoRefused(Exception):
    """Demo data or demo accounts were asked for where they must not exist; the message says why."""


def check_demo_allowed(engine: Engine, demo_mode: bool) -> None:
    """Refuse demo data and accounts unless demo mode is on and the database holds no real (not synthetic) data."""
    if not demo_mode:
        raise DemoRefused(
            "demo mode is off (DASHBOARD_DEMO_MODE=false): demo data and demo accounts, whose passwords are public, "
            "are only created in demo mode"
        )
    if accounts.real_data_present(engine):
        raise DemoRefused(
            "the database holds real (not synthetic) data: demo accounts, whose passwords are public, are never "
            "created next to it"
        )


@dataclass
class InitReport:
    """What initialise() did."""

    schema_before: str | None
    schema_after: str
    reference_added: dict[str, int] = field(default_factory=dict)
    demo_versions: list[int] = field(default_factory=list)
    demo_skipped_reason: str = ""
    demo_accounts_skipped_reason: str = ""
    demo_accounts_created: list[str] = field(default_factory=list)
    demo_accounts_removed: int = 0

    @property
    def changed(self) -> bool:
        """True when anything was written."""
        return self.schema_before != self.schema_after or any(self.reference_added.values()) or bool(self.demo_versions)


def has_data(engine: Engine) -> bool:
    """True when any dataset version (real or synthetic) exists."""
    with engine.connect() as conn:
        return bool(conn.scalar(select(func.count()).select_from(DatasetVersion)))


def initialise(
    engine: Engine,
    *,
    seed_demo: bool = False,
    seed: int = 42,
    incidents: int = 2000,
    demo_accounts: bool | None = None,
) -> InitReport:
    """Create or upgrade the schema, load reference data and optionally seed demo data; idempotent.

    demo_accounts: True creates the demo accounts, False removes them, None leaves accounts alone. Whatever it says,
    demo accounts are removed (never created) once the database holds real (not synthetic) data.
    """
    before, after = upgrade_schema(engine)
    report = InitReport(schema_before=before, schema_after=after, reference_added=sync_reference(engine))
    if seed_demo:
        if has_data(engine):
            report.demo_skipped_reason = "the database already holds data"
        else:
            report.demo_versions = demo.seed_database(engine, seed=seed, incidents=incidents)
    if accounts.real_data_present(engine):
        report.demo_accounts_removed = accounts.remove_demo_accounts(engine, reason="real data is present")
        report.demo_accounts_skipped_reason = "the database holds real (not synthetic) data"
    elif demo_accounts is True:
        report.demo_accounts_created = accounts.ensure_demo_accounts(engine)
    elif demo_accounts is False:
        report.demo_accounts_removed = accounts.remove_demo_accounts(engine)
    return report

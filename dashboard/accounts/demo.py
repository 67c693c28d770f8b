"""Demo accounts: one per role, with public passwords, only while demo mode is on and the data is synthetic.

As soon as any real (not synthetic) dataset version exists, demo accounts are not listed, cannot sign in, their open
sessions end, and the next start removes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, exists, inspect, select

from dashboard.accounts.guard import AccountError
from dashboard.accounts.users import add_user
from dashboard.core.access import Role
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.store import audit
from dashboard.store.db import transaction
from dashboard.store.models import DatasetVersion, User, UserTrack


@dataclass(frozen=True)
class DemoAccount:
    """A demo account listed on the sign-in page (demo mode only; the passwords are public on purpose)."""

    username: str
    password: str
    role: Role
    tracks: tuple[str, ...]
    organisation: str
    tlp_ceiling: str
    description: str


DEMO_ACCOUNTS = (
    DemoAccount(
        "demo-admin",
        "demo-admin-pass",
        Role.ADMIN,
        TRACK_IDS,
        "Dialogue Secretariat",
        "red",
        "Administrator: everything, cleared for TLP:RED",
    ),
    DemoAccount(
        "demo-official",
        "demo-official-pass",
        Role.OFFICIAL,
        TRACK_IDS,
        "Dialogue Secretariat",
        "amber+strict",
        "Senior official: reads both tracks up to TLP:AMBER+STRICT",
    ),
    DemoAccount(
        "demo-coordinator-ee",
        "demo-coordinator-pass",
        Role.COORDINATOR,
        ("eastern-europe",),
        "Dialogue Secretariat",
        "amber+strict",
        "Coordinator for Eastern Europe: uploads and shares",
    ),
    DemoAccount(
        "demo-coordinator-ip",
        "demo-coordinator-pass",
        Role.COORDINATOR,
        ("indo-pacific",),
        "Dialogue Secretariat",
        "amber+strict",
        "Coordinator for the Indo-Pacific: uploads and shares",
    ),
    DemoAccount(
        "demo-partner",
        "demo-partner-pass",
        Role.PARTNER,
        ("eastern-europe",),
        "Baltic Energy ISAC (synthetic)",
        "green",
        "Partner (Eastern Europe, TLP:GREEN), read only",
    ),
)

# Any dataset version (active or not: rolled-back real data is still stored) that is not synthetic.
REAL_DATA = select(exists().where(DatasetVersion.synthetic.is_(False)))


def real_data_present(engine: Engine) -> bool:
    """True when any real (not synthetic) dataset version is stored; False on a database without a schema yet."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(DatasetVersion.__tablename__):
            return False
        return bool(conn.scalar(REAL_DATA))


def demo_allowed(engine: Engine, demo_mode: bool) -> bool:
    """Demo accounts may exist, be listed and sign in: demo mode is on and every stored dataset is synthetic."""
    return demo_mode and not real_data_present(engine)


def ensure_demo_accounts(engine: Engine) -> list[str]:
    """Create the demo accounts that do not exist yet; returns the names created. Refused once real data exists."""
    if real_data_present(engine):
        raise AccountError("demo accounts are not created on a database that holds real (not synthetic) data")
    created = []
    with transaction(engine) as session:
        existing = set(session.scalars(select(User.username)))
        for account in DEMO_ACCOUNTS:
            if account.username not in existing:
                add_user(
                    session,
                    account.username,
                    role=account.role.value,
                    tracks=list(account.tracks),
                    organisation=account.organisation,
                    tlp_ceiling=account.tlp_ceiling,
                    password=account.password,
                    actor_name="demo-setup",
                    pages=[],
                    is_demo=True,
                )
                created.append(account.username)
    return created


def remove_demo_accounts(engine: Engine, reason: str = "demo mode is off") -> int:
    """Delete the demo accounts; returns how many were removed (their open sessions end at their next run)."""
    with transaction(engine) as session:
        ids = list(session.scalars(select(User.id).where(User.is_demo.is_(True))))
        if ids:
            session.execute(delete(UserTrack).where(UserTrack.user_id.in_(ids)))
            session.execute(delete(User).where(User.id.in_(ids)))
            audit.record(session, "demo-setup", "user.remove_demo", "user", "", count=len(ids), reason=reason)
        return len(ids)

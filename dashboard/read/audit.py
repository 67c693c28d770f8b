"""The audit trail, for administrators only: who did what and when, filtered by actor, action and time.

The audit table holds account names, organisations, file names and refused attempts of every track, so it is not
scoped like the data layers: an administrator reads all of it, anyone else is refused (AuditAccessDenied).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Select, func, or_, select

from dashboard.core.access import Permission, Role, Viewer
from dashboard.store.models import AuditEvent

COLUMNS = ["id", "at", "actor", "action", "object_type", "object_id", "detail"]


class AuditAccessDenied(PermissionError):
    """Only administrators read the audit trail."""


@dataclass(frozen=True)
class AuditFilter:
    """Which events: one actor (exact name), actions (exact, or a group such as `auth` for every `auth.*`), and the
    days from `since` to `until`, both included (UTC). None or empty: no limit."""

    actor: str | None = None
    actions: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None


def _check(viewer: Viewer) -> None:
    if viewer.role != Role.ADMIN or not viewer.can(Permission.VIEW_AUDIT) or viewer.share_link_id is not None:
        raise AuditAccessDenied("only administrators may read the audit trail")


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _where(stmt: Select, flt: AuditFilter) -> Select:
    if flt.actor:
        stmt = stmt.where(AuditEvent.actor == flt.actor)
    if flt.actions:
        stmt = stmt.where(
            or_(
                AuditEvent.action.in_(flt.actions),
                *(AuditEvent.action.startswith(f"{a}.", autoescape=True) for a in flt.actions),
            )
        )
    if flt.since:
        stmt = stmt.where(AuditEvent.at >= _day_start(flt.since))
    if flt.until:
        stmt = stmt.where(AuditEvent.at < _day_start(flt.until + dt.timedelta(days=1)))
    return stmt


def audit_events(engine: Engine, viewer: Viewer, flt: AuditFilter, limit: int | None = None) -> pd.DataFrame:
    """The matching events, newest first (the newest `limit` when given): id, at (UTC), actor, action, object_type,
    object_id and detail (a dict)."""
    _check(viewer)
    stmt = _where(select(*(getattr(AuditEvent, c) for c in COLUMNS)), flt).order_by(AuditEvent.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["detail"] = [d if isinstance(d, dict) else {} for d in frame["detail"]]
    return frame


def audit_count(engine: Engine, viewer: Viewer, flt: AuditFilter) -> int:
    """How many events match."""
    _check(viewer)
    with engine.connect() as conn:
        return int(conn.scalar(_where(select(func.count()).select_from(AuditEvent), flt)) or 0)


def audit_actors(engine: Engine, viewer: Viewer, limit: int = 500) -> list[str]:
    """Who appears in the trail, most recently active first (at most `limit` names)."""
    _check(viewer)
    stmt = select(AuditEvent.actor).group_by(AuditEvent.actor).order_by(func.max(AuditEvent.id).desc()).limit(limit)
    with engine.connect() as conn:
        return [str(a) for a in conn.scalars(stmt)]


def audit_actions(engine: Engine, viewer: Viewer) -> list[str]:
    """Every action recorded so far, in alphabetical order."""
    _check(viewer)
    with engine.connect() as conn:
        return sorted(str(a) for a in conn.scalars(select(AuditEvent.action).distinct()))


def detail_text(detail: dict[str, object]) -> str:
    """An event's detail on one line: `key: value; key: value`."""
    return "; ".join(f"{k}: {v}" for k, v in detail.items())

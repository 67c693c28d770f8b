"""The audit trail: every upload, rollback, share-link and sign-in event is recorded in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from dashboard.store.models import AuditEvent, utcnow


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    *,
    at: dt.datetime | None = None,
    **detail: Any,
) -> None:
    """Add one audit event to the session's transaction (at `at`, by default now)."""
    session.execute(
        insert(AuditEvent).values(
            at=at or utcnow(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail,
        )
    )


def last_event(session: Session, actor: str, action: str) -> AuditEvent | None:
    """The newest audit event of this actor and action (e.g. a viewer's last visit to a page), or None."""
    query = select(AuditEvent).where(AuditEvent.actor == actor, AuditEvent.action == action)
    return session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)).first()

"""The audit trail: every upload, rollback, share-link and sign-in event is recorded in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from dashboard.store.models import AuditEvent, utcnow


def record(
    session: Session, actor: str, action: str, object_type: str = "", object_id: str = "", **detail: Any
) -> None:
    """Add one audit event to the session's transaction."""
    session.execute(
        insert(AuditEvent).values(
            at=utcnow(), actor=actor, action=action, object_type=object_type, object_id=str(object_id), detail=detail
        )
    )

"""The audit trail: every upload, rollback, share-link and sign-in event is recorded in the same transaction."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select
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


def recent_events(engine: Engine, limit: int = 100) -> pd.DataFrame:
    """The newest audit events, newest first (administrators only; callers check the permission)."""
    cols = ["id", "at", "actor", "action", "object_type", "object_id", "detail"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(getattr(AuditEvent, c) for c in cols)).order_by(AuditEvent.id.desc()).limit(limit)
        ).all()
    return pd.DataFrame(rows, columns=cols)

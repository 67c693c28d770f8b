"""A coordinator's decision on an actor name that imports brought and the alias table does not resolve: merge it into
a reference actor (from then on it resolves to that actor wherever the views resolve labels, see
dashboard/read/actor_names.py) or keep it distinct. Coordinators and administrators only: anyone else is refused and
the attempt audited (guard.require). Each decision is audited and raises the write counter, so data stamps change.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from dashboard.accounts.guard import require
from dashboard.core.access import Permission, Viewer
from dashboard.core.threat_actors import actors
from dashboard.store import audit
from dashboard.store.actor_models import ActorName, label_key
from dashboard.store.db import bump_write_counter, lock_for_write, transaction
from dashboard.store.models import utcnow

REFUSED = "only coordinators and administrators decide on actor names"


class ActorDecisionError(ValueError):
    """A decision that cannot be made (no such name, no such actor); the message says why."""


def _decide(engine: Engine, actor: object, operation: str, label: str, *, status: str, actor_id: str) -> str:
    viewer: Viewer = require(engine, actor, Permission.UPLOAD, operation, REFUSED)
    with transaction(engine) as session:
        lock_for_write(session, "actor_names")
        row = session.scalars(select(ActorName).where(ActorName.label == label)).first()
        if row is None:
            row = session.scalars(select(ActorName).where(ActorName.label == label_key(label))).first()
        if row is None:
            raise ActorDecisionError(f"no actor name {label!r} is stored")
        before, before_actor = row.status, row.actor_id
        row.status, row.actor_id = status, actor_id
        row.decided_by, row.decided_at = viewer.name[:120], utcnow()
        audit.record(
            session,
            viewer.name,
            operation,
            "actor_name",
            row.label,
            shown=row.shown,
            status=status,
            actor_id=actor_id,
            before=before,
            before_actor_id=before_actor,
        )
        bump_write_counter(session)
        return row.label


def merge_candidate(engine: Engine, actor: object, label: str, actor_id: str) -> str:
    """Merge a stored actor name (its key or a spelling) into a reference actor; returns its key."""
    if actor_id not in actors():
        require(engine, actor, Permission.UPLOAD, "actor.merge", REFUSED)  # a refusal comes first, and is audited
        raise ActorDecisionError(f"there is no reference actor {actor_id!r}")
    return _decide(engine, actor, "actor.merge", label, status="merged", actor_id=actor_id)


def mark_distinct(engine: Engine, actor: object, label: str) -> str:
    """Keep a stored actor name (its key or a spelling) as an actor of its own, not one of the reference actors;
    returns its key."""
    return _decide(engine, actor, "actor.distinct", label, status="distinct", actor_id="")

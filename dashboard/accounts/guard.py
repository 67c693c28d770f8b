"""Errors of the account and sharing functions, and the permission check every function that changes something
runs first: the acting viewer must hold the permission, or the attempt is audited and refused."""

from __future__ import annotations

from sqlalchemy import Engine

from dashboard.core.access import Permission, Viewer
from dashboard.store import audit
from dashboard.store.db import transaction


class AccountError(ValueError):
    """An account operation was refused; the message says why."""


class ShareError(ValueError):
    """A share-link operation was refused; the message says why."""


class AccessDenied(AccountError, ShareError, PermissionError):
    """The acting viewer may not do this. A PermissionError, and also an AccountError and a ShareError, so the
    pages and the command line that already show those refusals show this one too."""


def deny(engine: Engine | None, actor: object, operation: str, message: str, **detail: object) -> AccessDenied:
    """Audit a refused attempt (when there is a database to write to) and return the error to raise."""
    name = actor.name if isinstance(actor, Viewer) else str(actor)
    if engine is not None:
        with transaction(engine) as session:
            audit.record(session, name[:120] or "?", "access.denied", operation=operation, reason=message, **detail)
    return AccessDenied(message)


def require(engine: Engine | None, actor: object, permission: Permission, operation: str, message: str) -> Viewer:
    """The actor as a Viewer holding the permission; otherwise the attempt is audited and AccessDenied raised.

    Anything but a Viewer (a bare name, None) is refused: every change names who makes it and what they may do.
    """
    if not isinstance(actor, Viewer) or not actor.can(permission):
        raise deny(engine, actor, operation, message)
    return actor

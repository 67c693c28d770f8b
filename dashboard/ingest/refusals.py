"""The audit of refused uploads: who tried to store which file into which layer and track, why it was refused, and
what the check had counted. Written in a transaction of its own, since the refused upload's is rolled back."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from dashboard.core.access import Viewer
from dashboard.store import audit
from dashboard.store.db import transaction

log = logging.getLogger(__name__)

ACTION = "upload_refused"
_REASON_CHARS = 500


def summary(reason: object) -> str:
    """The first line of a refusal's message, at most 500 characters."""
    lines = str(reason).strip().splitlines() or [""]
    first = lines[0]
    return first if len(first) <= _REASON_CHARS else first[: _REASON_CHARS - 3] + "..."


def record_refusal(
    engine: Engine,
    viewer: Viewer,
    *,
    file_name: str,
    layer: str,
    track: str,
    reason: object,
    counts: dict[str, int] | None = None,
    mode: str = "",
) -> None:
    """Add an `upload_refused` event. A database that cannot take it (the reason may be that it is down) is logged,
    never raised: the refusal the user sees stands either way."""
    try:
        with transaction(engine) as session:
            audit.record(
                session,
                viewer.name,
                ACTION,
                "upload",
                file_name[:120],
                file_name=file_name,
                layer=str(layer)[:40],
                track=str(track)[:40],
                mode=mode,
                reason=summary(reason),
                counts={k: int(v) for k, v in (counts or {}).items()},
            )
    except SQLAlchemyError as exc:
        log.warning("could not audit a refused upload of %s by %s: %s", file_name, viewer.name, exc)

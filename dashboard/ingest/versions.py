"""Dataset versions: the list per layer and track, and rollback (re-activate an earlier state; nothing is deleted)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select, update

from dashboard.core.access import Permission, Viewer
from dashboard.ingest import merges
from dashboard.store import audit
from dashboard.store.db import lock_for_write, transaction
from dashboard.store.models import DatasetVersion

KEY_COLUMNS = ["id", "layer", "track_id", "number", "status", "mode"]  # what names a version, first in every listing
VERSION_COLUMNS = [
    *KEY_COLUMNS,
    "uploaded_by",
    "uploaded_at",
    "file_name",
    "sha256",
    "preset",
    "rows_total",
    "rows_stored",
    "rows_warning",
    "rows_skipped",
    "rows_new",
    "rows_changed",
    "rows_unchanged",
    "rows_removed",
    "synthetic",
    "note",
]


class VersionError(ValueError):
    """A version operation was refused; the message says why."""


def list_versions(engine: Engine, viewer: Viewer, layer: str | None = None, track: str | None = None) -> pd.DataFrame:
    """Versions of the viewer's tracks, newest first (for coordinators and administrators)."""
    if not viewer.can(Permission.UPLOAD):
        raise VersionError("only coordinators and administrators see dataset versions")
    stmt = select(*(getattr(DatasetVersion, c) for c in VERSION_COLUMNS)).where(
        DatasetVersion.track_id.in_(sorted(viewer.tracks))
    )
    if layer:
        stmt = stmt.where(DatasetVersion.layer == layer)
    if track:
        stmt = stmt.where(DatasetVersion.track_id == track)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(DatasetVersion.id.desc())).all()
    return pd.DataFrame(rows, columns=VERSION_COLUMNS)


def rollback(engine: Engine, version_id: int, actor: Viewer) -> list[int]:
    """Make the layer and track look exactly as right after `version_id` was committed; returns the active ids."""
    with transaction(engine) as session:
        with engine.connect() as probe:
            row = probe.execute(
                select(DatasetVersion.layer, DatasetVersion.track_id).where(DatasetVersion.id == version_id)
            ).one_or_none()
        if row is None:
            raise VersionError(f"there is no dataset version {version_id}")
        lock_for_write(session, f"dataset:{row.layer}:{row.track_id}")
        target = session.get(DatasetVersion, version_id)
        if target is None:
            raise VersionError(f"there is no dataset version {version_id}")
        if not actor.can(Permission.UPLOAD):
            raise VersionError("only coordinators and administrators can roll back")
        if not actor.may_act_on(target.track_id):
            raise VersionError(f"version {version_id} belongs to {target.track_id}, which is not one of your tracks")
        wanted = set(target.active_set or [target.id])
        siblings = select(DatasetVersion.id).where(
            DatasetVersion.layer == target.layer, DatasetVersion.track_id == target.track_id
        )
        before = sorted(session.scalars(siblings.where(DatasetVersion.status == "active")))
        session.execute(
            update(DatasetVersion)
            .where(DatasetVersion.layer == target.layer, DatasetVersion.track_id == target.track_id)
            .values(status="inactive")
        )
        session.execute(update(DatasetVersion).where(DatasetVersion.id.in_(sorted(wanted))).values(status="active"))
        merged = merges.refresh(session) if target.layer == "incidents" else None
        audit.record(
            session,
            actor.name,
            "dataset.rollback",
            "dataset_version",
            str(version_id),
            layer=target.layer,
            track=target.track_id,
            active_before=before,
            active_after=sorted(wanted),
            **({"merges_matched": merged.matched, "merge_groups": merged.groups} if merged else {}),
        )
        return sorted(wanted)


def version_number(engine: Engine, version_id: int) -> int:
    """The number of a version within its layer and track."""
    with engine.connect() as conn:
        return int(conn.scalar(select(DatasetVersion.number).where(DatasetVersion.id == version_id)) or 0)

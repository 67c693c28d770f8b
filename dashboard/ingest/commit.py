"""Commit normalised rows of one layer and track as a new numbered dataset version, in one transaction.

The frames handed in are already validated and in the canonical shape of our templates, with list cells
as Python lists (see dashboard.ingest.templates). Nothing here parses files or guesses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, func, insert, select, text, update
from sqlalchemy.orm import Session

from dashboard.ingest import actor_names, bulk, merges
from dashboard.read.scope import LAYER_MODELS, Scope, current_rows
from dashboard.store import audit
from dashboard.store.db import lock_for_write, transaction
from dashboard.store.event_models import IncidentAttribution, IncidentResponse
from dashboard.store.models import (
    DatasetVersion,
    Incident,
    NormAssessment,
    Partnership,
    PartnershipCountry,
    PartnershipParty,
    RowReplacement,
    utcnow,
)

BATCH = 5_000


@dataclass(frozen=True)
class VersionMeta:
    """Who uploaded what: recorded on the dataset version and in the audit trail."""

    layer: str
    track_id: str
    uploaded_by: str
    file_name: str
    sha256: str
    mode: str = "append"  # append | replace | seed
    rows_total: int | None = None
    rows_warning: int = 0
    rows_skipped: int = 0
    synthetic: bool = False
    note: str = ""
    preset: str = ""
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_removed: int = 0


def _allocate_ids(session: Session, model: type, n: int) -> list[int]:
    """Reserve n primary keys for bulk inserts that also write child rows."""
    if n == 0:
        return []
    if session.bind.dialect.name == "postgresql":
        seq = f"{model.__tablename__}_id_seq"  # table names are our own constants, not input
        return list(
            session.scalars(
                text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)"), {"s": seq, "n": n}
            )
        )
    # SQLite: this transaction already holds the write lock (the version row was inserted first).
    start = (session.scalar(select(func.max(model.id))) or 0) + 1
    return list(range(start, start + n))


def _bulk(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[i : i + BATCH])


def _none(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalar -> Python
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _common(row: dict[str, Any], meta: VersionMeta, version_id: int) -> dict[str, Any]:
    return {
        "track_id": meta.track_id,
        "tlp": row["tlp"],
        "owner_org": row.get("owner_org") or "",
        "dataset_version_id": version_id,
    }


def _write_incidents(session: Session, frame: pd.DataFrame, meta: VersionMeta, version_id: int) -> None:
    """Incidents and their link rows, written with the database's bulk path (see dashboard.ingest.bulk)."""
    ids = np.asarray(_allocate_ids(session, Incident, len(frame)), dtype=np.int64)
    n = len(frame)

    def column(name: str, default: object = "") -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series([default] * n, dtype=object)

    bulk.insert(
        session,
        "incidents",
        {
            "id": ids,
            "source_id": bulk.text(column("source_id")),
            "source_key": bulk.source_keys(meta.preset, column("source_id")),
            "title": bulk.text(column("title")),
            "description": bulk.text(column("description")),
            "start_date": bulk.per_block(bulk.dates, column("start_date", None)),
            "end_date": bulk.per_block(bulk.dates, column("end_date", None)),
            "incident_type_id": bulk.text(column("incident_type")),
            "severity": bulk.integers(column("severity", None)),
            "initiator_name": bulk.text(column("initiator_name")),
            "initiator_category": bulk.text(column("initiator_category")),
            "attribution_basis": bulk.text(column("attribution_basis")),
            "confidence": bulk.text(column("confidence", "unknown"), default="unknown"),
            "source_urls": bulk.per_block(bulk.json_lists, column("source_urls", None)),
            "original": bulk.per_block(bulk.json_objects, column("original", None)),
            "track_id": bulk.constant(meta.track_id, n),
            "tlp": bulk.text(column("tlp")),
            "owner_org": bulk.text(column("owner_org")),
            "dataset_version_id": np.full(n, version_id, dtype=np.int64),
        },
    )
    for table, field, key in (
        ("incident_targets", "target_countries", "iso3"),
        ("incident_initiators", "initiator_countries", "iso3"),
        ("incident_sectors", "sectors", "sector_id"),
    ):
        owners, values = bulk.explode(ids, column(field, None))
        bulk.insert(session, table, {"incident_id": owners, key: values})
    types = column("types", None) if "types" in frame.columns else column("incident_type").map(lambda t: [t])
    owners, values = bulk.explode(ids, types)
    bulk.insert(session, "incident_type_links", {"incident_id": owners, "type_id": values})
    _write_norm_links(session, ids, column("norms", None), column("norms_inferred", None))
    _write_events(session, IncidentAttribution, ids, column("attributions", None))
    _write_events(session, IncidentResponse, ids, column("responses", None))
    actor_names.record_candidates(session, column("initiator_name"))  # names the alias table does not resolve


def _write_events(session: Session, model: type, ids: np.ndarray, events: pd.Series) -> None:
    """The attribution or response events of each incident (frozen dataclasses of dashboard/ingest/attributions.py
    and responses.py, whose fields are the table's columns), in their source order."""
    columns = {c.name: getattr(c.type, "length", None) for c in model.__table__.columns}

    def value(name: str, v: object) -> object:
        if isinstance(v, frozenset | tuple):
            return sorted(v) if isinstance(v, frozenset) else list(v)
        return v[: columns[name]] if isinstance(v, str) and columns[name] else v

    rows = [
        {"incident_id": int(owner), "position": position} | {k: value(k, v) for k, v in vars(e).items() if k in columns}
        for owner, listed in zip(ids, events, strict=True)
        if isinstance(listed, list)
        for position, e in enumerate(listed)
    ]
    if rows:
        session.execute(insert(model), rows)


def _write_norm_links(session: Session, ids: np.ndarray, asserted: pd.Series, inferred: pd.Series) -> None:
    """Norm links: asserted by the source's norms column, or inferred as (item id, rule) pairs by a named rule.

    An item both asserted and inferred is stored once, as asserted.
    """
    owners, items = bulk.explode(ids, asserted)
    pair_owners, pairs = bulk.explode(ids, inferred)
    rules = pd.DataFrame(list(pairs), columns=["item_id", "basis"], dtype=object) if len(pairs) else None
    links = pd.concat(
        [
            pd.DataFrame({"incident_id": owners, "item_id": items, "inferred": False, "basis": "norms"}),
            pd.DataFrame(
                {
                    "incident_id": pair_owners,
                    "item_id": rules["item_id"] if rules is not None else [],
                    "inferred": True,
                    "basis": rules["basis"] if rules is not None else [],
                }
            ),
        ],
        ignore_index=True,
    ).drop_duplicates(["incident_id", "item_id"], keep="first")  # asserted rows come first
    if len(links):
        bulk.insert(
            session,
            "incident_norms",
            {
                "incident_id": links["incident_id"].to_numpy(np.int64),
                "item_id": links["item_id"].to_numpy(object),
                "inferred": links["inferred"].to_numpy(bool),
                "basis": links["basis"].astype(str).to_numpy(object),
            },
        )


def _write_norms(session: Session, frame: pd.DataFrame, meta: VersionMeta, version_id: int) -> None:
    rows = [
        {
            "iso3": row["iso3"],
            "item_id": row["item_id"],
            "assessed_on": _none(row["assessed_on"]),
            "round_label": row.get("round_label") or "",
            "status": row["status"],
            "evidence_url": row.get("evidence_url") or "",
            "assessor": row.get("assessor") or "",
            "note": row.get("note") or "",
            **_common(row, meta, version_id),
        }
        for row in frame.to_dict("records")
    ]
    _bulk(session, NormAssessment, rows)


def _write_partnerships(session: Session, frame: pd.DataFrame, meta: VersionMeta, version_id: int) -> None:
    ids = _allocate_ids(session, Partnership, len(frame))
    main, countries, parties = [], [], []
    for new_id, row in zip(ids, frame.to_dict("records")):
        main.append(
            {
                "id": new_id,
                "source_id": row.get("source_id") or "",
                "name": row["name"],
                "kind": row["kind"],
                "focus": row.get("focus") or "",
                "description": row.get("description") or "",
                "start_date": _none(row.get("start_date")),
                "end_date": _none(row.get("end_date")),
                "status": row["status"],
                "last_tested": _none(row.get("last_tested")),
                "funding_usd": _none(row.get("funding_usd")),
                "funder": row.get("funder") or "",
                "url": row.get("url") or "",
                **_common(row, meta, version_id),
            }
        )
        countries += [{"partnership_id": new_id, "iso3": c} for c in dict.fromkeys(row.get("countries") or [])]
        parties += [
            {"partnership_id": new_id, "name": name, "party_type": ptype, "iso3": iso3 or None}
            for name, ptype, iso3 in (row.get("parties") or [])
        ]
    _bulk(session, Partnership, main)
    _bulk(session, PartnershipCountry, countries)
    _bulk(session, PartnershipParty, parties)


WRITERS = {"incidents": _write_incidents, "norms": _write_norms, "partnerships": _write_partnerships}


def _insert_version(session: Session, meta: VersionMeta, number: int, stored: int) -> int:
    """Insert the active version row (its active set is filled in once its rows are written); returns its id."""
    return session.scalar(
        insert(DatasetVersion)
        .values(
            layer=meta.layer,
            track_id=meta.track_id,
            number=number,
            uploaded_by=meta.uploaded_by,
            uploaded_at=utcnow(),
            file_name=meta.file_name,
            sha256=meta.sha256,
            mode=meta.mode,
            status="active",
            base_version_id=None,
            rows_total=stored + meta.rows_skipped if meta.rows_total is None else meta.rows_total,
            rows_stored=stored,
            rows_warning=meta.rows_warning,
            rows_skipped=meta.rows_skipped,
            synthetic=meta.synthetic,
            note=meta.note,
            preset=meta.preset,
            rows_new=meta.rows_new,
            rows_changed=meta.rows_changed,
            rows_unchanged=meta.rows_unchanged,
            rows_removed=meta.rows_removed,
            active_set=[],
        )
        .returning(DatasetVersion.id)
    )


@contextmanager
def locked(engine: Engine, layer: str, track: str) -> Iterator[Session]:
    """A write transaction holding the lock of one layer and track's uploads and rollbacks (taken first)."""
    with transaction(engine) as session:
        lock_for_write(session, f"dataset:{layer}:{track}")
        yield session


@dataclass(frozen=True)
class Written:
    """A version written: its id and number, and how many current rows it superseded (replaced or hid)."""

    version_id: int
    number: int
    superseded: int
    merges: merges.Refreshed | None = None  # incidents: what matching across sources found


def commit_version(engine: Engine, meta: VersionMeta, frame: pd.DataFrame, *, replaces: list[int] | None = None) -> int:
    """Store the rows as a new active dataset version, in one transaction; returns its id.

    Replace mode deactivates the earlier versions of the layer and track; `replaces` lists ids of existing rows
    that this version's rows supersede (append mode, changed rows), which are then hidden while it is active.
    """
    if meta.layer not in WRITERS:
        raise ValueError(f"unknown layer {meta.layer!r}")
    with locked(engine, meta.layer, meta.track_id) as session:
        return write_version(session, meta, frame, replaces=replaces).version_id


def write_version(
    session: Session,
    meta: VersionMeta,
    frame: pd.DataFrame,
    *,
    replaces: list[int] | None = None,
    uploader: Scope | None = None,
) -> Written:
    """Store the rows as a new active version inside the caller's `locked` transaction.

    With `uploader` (the scope of the person uploading), replace mode supersedes only the current rows that scope
    may see. The rows it may not see stay current: the earlier versions holding them stay active and this version
    records every other row of those versions as replaced (rollback: see `_scoped_replace`).
    """
    if meta.layer not in WRITERS:
        raise ValueError(f"unknown layer {meta.layer!r}")
    number = (
        session.scalar(
            select(func.max(DatasetVersion.number)).where(
                DatasetVersion.layer == meta.layer, DatasetVersion.track_id == meta.track_id
            )
        )
        or 0
    ) + 1
    superseded = len(dict.fromkeys(replaces or []))
    kept: list[int] = []
    hidden: set[int] = set()
    if meta.mode == "replace":
        superseded, kept, hidden = _scoped_replace(session, meta, uploader)
        session.execute(
            update(DatasetVersion)
            .where(
                DatasetVersion.layer == meta.layer,
                DatasetVersion.track_id == meta.track_id,
                DatasetVersion.id.not_in(kept),
            )
            .values(status="inactive")
        )
    version_id = _insert_version(session, meta, number, len(frame))
    WRITERS[meta.layer](session, frame, meta, version_id)
    supersede = list(dict.fromkeys(replaces or []))
    if kept:  # every row of the versions kept active, but those the uploader may not see that are current
        model = LAYER_MODELS[meta.layer]
        rows = session.scalars(select(model.id).where(model.dataset_version_id.in_(kept)))
        supersede += [r for r in rows if r not in hidden]
    if supersede:
        rows = [{"version_id": version_id, "layer": meta.layer, "row_id": r} for r in dict.fromkeys(supersede)]
        _bulk(session, RowReplacement, rows)
    active = sorted(
        session.scalars(
            select(DatasetVersion.id).where(
                DatasetVersion.layer == meta.layer,
                DatasetVersion.track_id == meta.track_id,
                DatasetVersion.status == "active",
            )
        )
    )
    session.execute(update(DatasetVersion).where(DatasetVersion.id == version_id).values(active_set=active))
    merged = merges.refresh(session) if meta.layer == "incidents" else None
    audit.record(
        session,
        meta.uploaded_by,
        "dataset.commit",
        "dataset_version",
        str(version_id),
        layer=meta.layer,
        track=meta.track_id,
        number=number,
        file_name=meta.file_name,
        sha256=meta.sha256,
        mode=meta.mode,
        rows_stored=len(frame),
        rows_new=meta.rows_new,
        rows_changed=meta.rows_changed,
        rows_unchanged=meta.rows_unchanged,
        rows_removed=meta.rows_removed,
        rows_superseded=superseded,
        **({"merges_matched": merged.matched, "merge_groups": merged.groups} if merged else {}),
        **({"merges_skipped": merged.skipped} if merged and merged.skipped else {}),
    )
    return Written(version_id, number, superseded, merged)


def _scoped_replace(session: Session, meta: VersionMeta, uploader: Scope | None) -> tuple[int, list[int], set[int]]:
    """What a replace supersedes, read before any version is deactivated: the number of current rows it supersedes
    (those the uploader may see), the earlier versions that must stay active because they hold current rows the
    uploader may not see, and the ids of those rows.

    Representation: the kept versions stay active and the new version records every other row of them as replaced
    (their visible rows, and rows already superseded whose superseding version is deactivated now). So the current
    rows are exactly the new rows plus the unseen ones; rolling back to an earlier version re-activates its own
    active set (the new version's replacements no longer apply), and rolling forward to this version re-activates
    the kept versions with it. Without unseen rows (or without `uploader`), every earlier version is deactivated.
    """
    model = LAYER_MODELS[meta.layer]
    stored = and_(model.track_id == meta.track_id, current_rows(model))
    if uploader is None:
        return session.scalar(select(func.count()).where(stored)) or 0, [], set()
    seen = uploader.marking_clause(model)
    superseded = session.scalar(select(func.count()).where(stored, seen)) or 0
    unseen = session.execute(select(model.id, model.dataset_version_id).where(stored, ~seen)).all()
    return superseded, sorted({v for _, v in unseen}), {r for r, _ in unseen}

"""Reference vocabularies in the database: which file fills which table, and syncing them (ids never deleted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from dashboard.core.vocabulary import read_rows
from dashboard.store.db import transaction
from dashboard.store.models import (
    Country,
    Framework,
    FrameworkItem,
    IncidentType,
    NormStatus,
    PartnershipKind,
    PartnershipStatus,
    PartyType,
    Sector,
    SeverityLevel,
    TlpLevel,
    Track,
    TrackMember,
)


@dataclass(frozen=True)
class Vocabulary:
    """One reference file and the model it fills."""

    file: str
    model: type
    key: str


# Order matters: parents before children.
VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary("countries.csv", Country, "iso3"),
    Vocabulary("tracks.csv", Track, "id"),
    Vocabulary("frameworks.csv", Framework, "id"),
    Vocabulary("framework_items.csv", FrameworkItem, "id"),
    Vocabulary("sectors.csv", Sector, "id"),
    Vocabulary("incident_types.csv", IncidentType, "id"),
    Vocabulary("tlp_levels.csv", TlpLevel, "id"),
    Vocabulary("severity_levels.csv", SeverityLevel, "level"),
    Vocabulary("norm_statuses.csv", NormStatus, "id"),
    Vocabulary("partnership_kinds.csv", PartnershipKind, "id"),
    Vocabulary("party_types.csv", PartyType, "id"),
    Vocabulary("partnership_statuses.csv", PartnershipStatus, "id"),
)


def _convert(model: type, column: str, value: str) -> Any:
    col = model.__table__.c[column]
    python_type = col.type.python_type
    if value == "":
        return None if col.nullable else ("" if python_type is str else None)
    if python_type is bool:
        return value.strip().lower() == "true"
    if python_type in (int, float):
        return python_type(value)
    return value


def typed_rows(vocab: Vocabulary) -> list[dict[str, Any]]:
    """Rows of one vocabulary's file typed like its model's columns."""
    return [{k: _convert(vocab.model, k, v) for k, v in row.items()} for row in read_rows(vocab.file)]


def sync_reference(engine: Engine) -> dict[str, int]:
    """Insert new reference rows and update changed labels; ids are never deleted. Returns rows added per file."""
    added: dict[str, int] = {}
    with transaction(engine) as session:
        for vocab in VOCABULARIES:
            rows = typed_rows(vocab)
            existing = {getattr(o, vocab.key): o for o in session.scalars(select(vocab.model))}
            count = 0
            for row in rows:
                obj = existing.get(row[vocab.key])
                if obj is None:
                    session.add(vocab.model(**row))
                    count += 1
                else:
                    for k, v in row.items():
                        if getattr(obj, k) != v:
                            setattr(obj, k, v)
            session.flush()
            added[vocab.file] = count
        # Membership is editable: the defaults are loaded only for a track that has no members yet.
        have_members = set(session.scalars(select(TrackMember.track_id).distinct()))
        count = 0
        for row in read_rows("track_members.csv"):
            if row["track_id"] not in have_members:
                session.add(TrackMember(**row))
                count += 1
        added["track_members.csv"] = count
    return added

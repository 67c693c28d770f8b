"""Reference vocabularies from data/reference/*.csv: loading, checking and syncing them into the database."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from dashboard import DATA_DIR
from dashboard.db import transaction
from dashboard.models import (
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

REFERENCE_DIR = DATA_DIR / "reference"

TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")
TLP_LABELS = {t: "TLP:" + t.upper() for t in TLP_ORDER}
TRACK_IDS = ("indo-pacific", "eastern-europe")


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


def read_rows(file: str, directory: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    """Rows of one reference CSV as dicts of strings."""
    with (directory / file).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def load(file: str) -> tuple[dict[str, Any], ...]:
    """Rows of one reference file, typed like the model columns (cached; the files do not change at run time)."""
    vocab = next((v for v in VOCABULARIES if v.file == file), None)
    if vocab is None:
        return tuple(read_rows(file))
    return tuple({k: _convert(vocab.model, k, v) for k, v in row.items()} for row in read_rows(file))


def track_members() -> dict[str, list[str]]:
    """Default country membership of each track from track_members.csv."""
    members: dict[str, list[str]] = {}
    for row in read_rows("track_members.csv"):
        members.setdefault(row["track_id"], []).append(row["iso3"])
    return members


def labels(file: str, key: str = "id", label: str = "name") -> dict[Any, str]:
    """A mapping from id to display name for one vocabulary."""
    return {row[key]: row[label] for row in load(file)}


def sync_reference(engine: Engine) -> dict[str, int]:
    """Insert new reference rows and update changed labels; ids are never deleted. Returns rows added per file."""
    added: dict[str, int] = {}
    with transaction(engine) as session:
        for vocab in VOCABULARIES:
            rows = load(vocab.file)
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


def strictest_marking(*markings: str | None) -> str | None:
    """The strictest of several TLP markings (None and empty ignored); None when there are none."""
    found = [m for m in markings if m]
    return max(found, key=TLP_ORDER.index) if found else None


def strictest_in(frame: Any) -> str | None:
    """The strictest TLP marking in a frame's `tlp` column (None for an empty frame or no column)."""
    if frame is None or frame.empty or "tlp" not in frame:
        return None
    return strictest_marking(*frame["tlp"].dropna().unique())

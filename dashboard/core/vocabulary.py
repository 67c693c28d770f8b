"""Reference vocabularies as files (data/reference/*.csv): read, typed and cached; the database copy is store's."""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Any

from dashboard import DATA_DIR

REFERENCE_DIR = DATA_DIR / "reference"
TRACK_IDS = ("indo-pacific", "eastern-europe")

# Columns that are not text, per file (the models in store/models.py declare the same types; a test checks it).
TYPED_COLUMNS: dict[str, dict[str, type]] = {
    "countries.csv": {"lat": float, "lon": float, "has_shape": bool},
    "framework_items.csv": {"sort_order": int},
    "sectors.csv": {"critical_infrastructure": bool},
    "severity_levels.csv": {"level": int, "significant": bool},
    "tlp_levels.csv": {"rank": int, "shareable_by_link": bool},
    "norm_statuses.csv": {"score": float, "sort_order": int},
}
# Text columns whose empty cells mean "none" (nullable in the models).
OPTIONAL_TEXT: dict[str, set[str]] = {}


def read_rows(file: str, directory: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    """Rows of one reference CSV as dicts of strings."""
    with (directory / file).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def convert(kind: type, value: str) -> Any:
    """One cell of a reference file as a value of its column's type ('' is None for numbers and flags)."""
    if value == "":
        return None
    if kind is bool:
        return value.strip().lower() == "true"
    return kind(value)


@functools.cache
def load(file: str) -> tuple[dict[str, Any], ...]:
    """Rows of one reference file with typed columns (cached; the files do not change at run time)."""
    typed, optional = TYPED_COLUMNS.get(file, {}), OPTIONAL_TEXT.get(file, set())

    def cell(column: str, value: str) -> Any:
        if column in typed:
            return convert(typed[column], value)
        return None if value == "" and column in optional else value

    return tuple({k: cell(k, v) for k, v in row.items()} for row in read_rows(file))


def track_members() -> dict[str, list[str]]:
    """Default country membership of each track from track_members.csv."""
    members: dict[str, list[str]] = {}
    for row in read_rows("track_members.csv"):
        members.setdefault(row["track_id"], []).append(row["iso3"])
    return members


def labels(file: str, key: str = "id", label: str = "name") -> dict[Any, str]:
    """A mapping from id to display name for one vocabulary."""
    return {row[key]: row[label] for row in load(file)}

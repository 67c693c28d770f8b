"""What an upload check finds: one Issue per problem cell, the rows that passed, and the row-by-row collector."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard.ingest.normalise import neutral_text, parse_date, split_list

OUTSIDE = "outside the track"  # the level of a row that involves no member of the chosen track
PROFILE = "threat-actor profile"  # the level of a tracker row that describes an actor, not an incident
NOT_STORED = (OUTSIDE, PROFILE)  # levels of rows that are reported and never stored (unless in error)
INFERRED = "inferred country"  # the level of a country found in a row's title or description, not its country column
# The level of a row that names no target and no initiator country anywhere, stored only when the upload asks for it
# (store_unidentified): it counts in the totals of its track, with a note, and is placed on no map.
UNIDENTIFIED = "target not identified"
UNMATCHED = "unmatched label"  # the level of a row whose source labels map to none of ours (kept, not dropped)


@dataclass(frozen=True)
class Issue:
    """One problem in one cell."""

    row: int
    column: str
    value: str
    message: str
    level: str  # "error" | "warning" | OUTSIDE | PROFILE | INFERRED | UNIDENTIFIED | UNMATCHED


@dataclass
class Validated:
    """Canonical rows that can be stored (with their file row numbers) and every issue found."""

    rows: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    rows_total: int = 0
    unmatched_labels: dict[str, int] = field(default_factory=dict)  # source label -> rows, most frequent first

    def rows_by_level(self) -> dict[str, set[int]]:
        """File row numbers per issue level, in one pass over the issues."""
        found: dict[str, set[int]] = {}
        for issue in self.issues:
            found.setdefault(issue.level, set()).add(issue.row)
        return found

    @property
    def error_rows(self) -> set[int]:
        """File row numbers that cannot be stored."""
        return self.rows_by_level().get("error", set())

    def rows_at(self, level: str) -> set[int]:
        """File row numbers with an issue of this level and no error (a NOT_STORED level: reported, never stored)."""
        found = self.rows_by_level()
        return found.get(level, set()) - found.get("error", set())

    @property
    def outside_rows(self) -> set[int]:
        """File row numbers that involve no member of the chosen track: reported, never stored into it."""
        return self.rows_at(OUTSIDE)

    @property
    def unidentified_rows(self) -> set[int]:
        """File row numbers stored with their target not identified (no country at all; only on request)."""
        return self.rows_at(UNIDENTIFIED)

    @property
    def warning_rows(self) -> set[int]:
        """File row numbers stored with a warning."""
        found = self.rows_by_level()
        left_out = found.get("error", set()).union(*(found.get(level, set()) for level in NOT_STORED))
        return found.get("warning", set()) - left_out


class RowCheck:
    """Collects the issues of one row while its fields are checked."""

    def __init__(self, number: int, source: dict[str, str], mapping: dict[str, tuple[str, ...]]) -> None:
        self.number, self.source, self.mapping = number, source, mapping
        self.issues: list[Issue] = []

    def column(self, fld: str) -> str:
        return " + ".join(self.mapping.get(fld, (fld,)))

    def raw(self, fld: str) -> str:
        parts = [self.source.get(c, "") for c in self.mapping.get(fld, ())]
        parts = [p for p in parts if p is not None and str(p).strip() != ""]
        return "; ".join(str(p) for p in parts) if len(parts) > 1 else (str(parts[0]) if parts else "")

    def items(self, fld: str, separators: tuple[str, ...] = (";",)) -> list[str]:
        """The items of a list field, each mapped column split on its own (two literal lists stay parseable)."""
        out: list[str] = []
        for column in self.mapping.get(fld, ()):
            out += split_list(self.source.get(column, ""), separators=separators)
        return out

    def error(self, fld: str, value: object, message: str) -> None:
        self.issues.append(Issue(self.number, self.column(fld), short(value), message, "error"))

    def warn(self, fld: str, value: object, message: str) -> None:
        self.issues.append(Issue(self.number, self.column(fld), short(value), message, "warning"))

    def text(self, fld: str, limit: int, *, required: bool = False) -> str:
        raw = self.raw(fld)
        value, problem = neutral_text(raw, limit)
        if problem:
            self.error(fld, raw, f"{fld} {problem}")
        if required and not value:
            self.error(fld, raw, f"{fld} is required and is empty")
        return value

    def date(self, fld: str, style: str, *, required: bool = False, future: bool = False):
        raw = self.raw(fld)
        result = parse_date(raw, style=style, allow_future=future)
        if result.problem:
            self.error(fld, raw, f"{fld} {result.problem}")
        elif required and result.value is None:
            self.error(fld, raw, f"{fld} is required and is empty")
        return result.value


def short(value: object) -> str:
    """A cell value as shown in the report: at most 200 characters."""
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True)
class Destination:
    """Where checked rows will be stored: the track, the marking of unmarked rows, the owning organisation, and
    whether incident rows without any country are stored as 'target not identified' (level UNIDENTIFIED)."""

    track: str
    default_tlp: str
    organisation: str
    store_unidentified: bool = False
    # The track's members as the database holds them (editable); None: the default membership of the reference file.
    members: frozenset[str] | None = None

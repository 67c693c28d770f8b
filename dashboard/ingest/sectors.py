"""The sources' sector labels to our sector ids, through data/reference/sector_crosswalk.csv.

Each label a tracker writes (EuRepoC's receiver category and subcode, CFR's victim category) maps to one or more of
our sector ids by a row of the crosswalk, which says why. A label the crosswalk does not hold is matched by our id or
name and then by keyword (SECTOR_KEYWORDS). A label that maps to nothing is never dropped silently: it is kept in the
incident's source values (`unmatched: sectors`) and the row is reported once at level UNMATCHED, and the file's
labels are tallied for the report. A web address in the cell (a tracker row whose cells are shifted) is not a label:
it gets a warning and is not mapped.

EuRepoC writes a receiver's category and subcode as parallel lists (one entry per receiver, '' where there is no
subcode): per receiver the subcode decides when it maps, otherwise the category. The general id
`critical-infrastructure` ("Critical infrastructure" with no sector named) is kept only when no other sector of the
incident is a critical-infrastructure sector ("Critical infrastructure" + "Energy" is energy; "Critical
infrastructure" + "Defence industry" is defence and critical-infrastructure, as our defence sector is not flagged).
"""

from __future__ import annotations

import ast
import collections
import functools
import re

import numpy as np

from dashboard.core.vocabulary import load, read_rows
from dashboard.ingest.issues import UNMATCHED, Issue, RowCheck, short
from dashboard.ingest.normalise import SECTOR_KEYWORDS, _fold, is_missing, map_keyword, split_list

CROSSWALK_FILE = "sector_crosswalk.csv"
GENERAL_CI = "critical-infrastructure"  # the source says critical infrastructure and names no sector we hold
UNMATCHED_KEY = "unmatched: sectors"  # where an incident's source values keep the labels that map to nothing
SEPARATORS: dict[str, tuple[str, ...]] = {"cfr": (",",)}  # CFR joins victim categories with commas; others use "; "
WEB_ADDRESS = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)


@functools.cache
def crosswalk() -> dict[tuple[str, str], tuple[str, ...]]:
    """(source, folded label) -> our sector ids (empty: the crosswalk says no sector of ours fits)."""
    return {
        (r["source"].strip(), _fold(r["label"])): tuple(s.strip() for s in r["sector_ids"].split(";") if s.strip())
        for r in read_rows(CROSSWALK_FILE)
    }


@functools.cache
def _critical() -> frozenset[str]:
    return frozenset(s["id"] for s in load("sectors.csv") if s["critical_infrastructure"])


def _flat(items: object) -> list[str]:
    """A nested list literal flattened, keeping blank entries (''), so that parallel lists stay aligned."""
    out: list[str] = []
    for item in items:  # type: ignore[union-attr]
        if isinstance(item, list | tuple):
            out += _flat(item)
        else:
            out.append("" if item is None or is_missing(item) else str(item).strip())
    return out


def cell_labels(value: object, separators: tuple[str, ...] = (";",)) -> list[str]:
    """The labels of one sector cell; a list literal keeps its blank entries ('') in place."""
    if value is None or is_missing(value):
        return []
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if isinstance(parsed, list | tuple):
            return _flat(parsed)
    return split_list(text, separators=separators)


def label_ids(source: str, label: str, ids: set[str], by_name: dict[str, str]) -> tuple[str, ...] | None:
    """Our sector ids for one source label: the crosswalk, else our id or name, else a keyword; None when nothing."""
    folded = _fold(label)
    if (source, folded) in crosswalk():
        return crosswalk()[(source, folded)] or None
    if label in ids:
        return (label,)
    mapped = by_name.get(folded) or map_keyword(label, SECTOR_KEYWORDS)
    return (mapped,) if mapped else None


def source_sectors(row: RowCheck, source: str, ids: set[str], by_name: dict[str, str]) -> tuple[list[str], list[str]]:
    """The sector ids of a tracker row and the labels that map to none of ours (reported once for the row)."""
    separators = SEPARATORS.get(source, (";",))
    cells = [cell_labels(row.source.get(column, ""), separators) for column in row.mapping.get("sectors", ())]
    if len(cells) == 2 and all(any(c) for c in cells) and len(cells[0]) == len(cells[1]):
        pairs = list(zip(cells[0], cells[1], strict=True))  # per receiver: (subcode, category)
    else:
        pairs = [(label, "") for cell in cells for label in cell]
    found: list[str] = []
    unmatched: list[str] = []
    for specific, general in pairs:
        chosen: tuple[str, ...] | None = None
        for label in (specific, general):
            if not label:
                continue
            if WEB_ADDRESS.match(label):
                row.warn("sectors", label, "a web address, not a sector label (the row's cells look shifted); left out")
                continue
            mapped = label_ids(source, label, ids, by_name)
            if mapped is None:
                unmatched.append(label)
            elif chosen is None:
                chosen = mapped  # the most specific label that maps decides
            elif GENERAL_CI in mapped:
                chosen += (GENERAL_CI,)  # the category says critical infrastructure: pruned below if named
        found += chosen or ()
    found = list(dict.fromkeys(found))
    if GENERAL_CI in found and any(s in _critical() for s in found if s != GENERAL_CI):
        found.remove(GENERAL_CI)
    unmatched = list(dict.fromkeys(unmatched))
    if unmatched:
        names = ", ".join(repr(u) for u in unmatched)
        message = f"no sector of ours for {names} (data/reference/sector_crosswalk.csv): kept in the source values"
        row.issues.append(Issue(row.number, row.column("sectors"), short(names), message, UNMATCHED))
    return found, unmatched


def tally(unmatched: list[list[str]], codes: np.ndarray) -> dict[str, int]:
    """Rows per unmatched label, from the labels of each distinct cell value and the per-row codes."""
    if not len(codes) or not any(unmatched):
        return {}
    rows = np.bincount(codes, minlength=len(unmatched))
    counter: collections.Counter[str] = collections.Counter()
    for labels_, n in zip(unmatched, rows.tolist(), strict=False):
        for label in labels_:
            counter[label] += n
    return dict(counter.most_common())


def note_unmatched(originals: list[dict], unmatched: list[list[str]], codes: np.ndarray) -> list[dict]:
    """Each row's source values with the labels that map to no sector of ours under `unmatched: sectors`."""
    for index in np.flatnonzero(np.array([bool(u) for u in unmatched], dtype=bool)[codes]).tolist():
        originals[index][UNMATCHED_KEY] = list(unmatched[codes[index]])
    return originals

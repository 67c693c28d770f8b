"""Compare a checked upload with the current rows of its layer and track, as far as the uploader may see them.

Each file row gets an outcome against the current data: new, changed, unchanged (or error, outside, profile from
the checks). Only rows the uploader may see (dashboard.read.scope: their TLP ceiling, AMBER+STRICT only of their
own organisation) are compared, counted, and can be superseded. A file row whose key (source id; for rows without
one, title, start date and first country; for norm assessments, country, item and date) is that of a current row
the uploader may not see is an error saying only that the id is taken: the report never tells such a row's
content, marking or existence apart from that, and an upload never replaces or hides it.

The comparison notes the database's write counter before it reads (`basis`). The commit compares again under the
write lock whenever the counter has moved since, so two uploads never both store the same new key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from dashboard import read
from dashboard.core.access import Viewer
from dashboard.ingest import bulk
from dashboard.ingest.issues import PROFILE, Issue, Validated
from dashboard.store.db import write_count

# The one message for a key held by a row the uploader may not see: it says nothing about that row.
ID_TAKEN = "this id is already used; choose another"
_KEY_COLUMN = {"incidents": "source_id", "norms": "iso3 + item_id + assessed_on", "partnerships": "source_id"}


@dataclass
class Comparison:
    """The outcome of each file row against the current rows the uploader may see."""

    status: list[str]  # per canonical row: new | changed | unchanged | error | outside | profile
    replaces: dict[int, int]  # canonical row index -> id of the visible current row it changes
    removed: int  # visible current rows whose key is not in the file (no longer shown after a replace)
    existing: int  # visible current rows of the layer and track
    basis: int  # the database's write counter, read before the current rows
    issues: list[Issue] = field(default_factory=list)  # keys repeated in the file, keys taken by unseen rows


def _fingerprint(values: list[object]) -> str:
    return hashlib.sha256(json.dumps([str(v) for v in values], ensure_ascii=False).encode()).hexdigest()


def _sorted_items(value: object) -> str:
    """A list cell (list, or text joined with '; ') as its sorted items joined with '; '."""
    if isinstance(value, str):
        items = value.split("; ") if value else []
    elif isinstance(value, list | tuple | np.ndarray):
        items = [str(v) for v in value]
    else:
        items = []
    return "; ".join(sorted(items))


def _as_text(series: pd.Series) -> pd.Series:
    """Each distinct value converted once: dates as YYYY-MM-DD, whole numbers without '.0', missing as ''."""
    if isinstance(series.dtype, pd.StringDtype):
        return series.fillna("")

    def one(value: object) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)[:10] if hasattr(value, "isoformat") else str(value)

    return pd.Series(bulk.by_value(series, one, missing=""), index=series.index).astype("str")


def _sorted_targets(rows: pd.DataFrame) -> pd.Series:
    cells = rows["target_countries"].to_numpy(dtype=object)
    cache: dict[int, str] = {}  # rows of a checked upload share their list objects
    targets = pd.Series([cache.get(id(v)) or cache.setdefault(id(v), _sorted_items(v)) for v in cells], dtype="str")
    targets.index = rows.index
    return targets


def _title_keys(rows: pd.DataFrame, targets: pd.Series | None = None) -> pd.Series:
    """The key of a row without a source id: its title, start date and first target country."""
    targets = _sorted_targets(rows) if targets is None else targets
    first = targets.str.split("; ").str[0].fillna("")
    return rows["title"].astype("str").str.lower() + "|" + _as_text(rows["start_date"]) + "|" + first


def _event_counts(rows: pd.DataFrame) -> pd.Series:
    """How many attributions and responses each row carries ("a|r"): file rows hold them as lists, stored rows as
    counts. A re-upload that adds a response to an incident changes that incident."""
    if "events" in rows.columns:  # stored rows
        return rows["events"].astype(str).reset_index(drop=True)
    if "attributions" not in rows.columns:
        return pd.Series(["0|0"] * len(rows), dtype=object)
    counts = [
        f"{len(a) if isinstance(a, list) else 0}|{len(r) if isinstance(r, list) else 0}"
        for a, r in zip(rows["attributions"], rows["responses"], strict=True)
    ]
    return pd.Series(counts, dtype=object)


def _incident_keys_and_prints(rows: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """Match keys and content fingerprints of incident rows, a column at a time (file and database rows alike)."""
    targets = _sorted_targets(rows)
    title = rows["title"].astype("str")
    start = _as_text(rows["start_date"])
    keys = _as_text(rows["source_id"]).copy()
    unnamed = (keys == "").to_numpy()  # no source id: title, date and first country make the key
    if unnamed.any():
        keys[unnamed] = _title_keys(rows[unnamed], targets[unnamed])
    content = pd.DataFrame(
        {
            "title": title,
            "start": start,
            "end": _as_text(rows["end_date"]),
            "type": _as_text(rows["incident_type"]),
            "severity": _as_text(rows["severity"]),
            "tlp": _as_text(rows["tlp"]),
            "targets": targets,
            "events": _event_counts(rows),
        }
    )
    prints = pd.util.hash_pandas_object(content, index=False, hash_key="cyber-dialogue-1")
    return keys.reset_index(drop=True), prints.to_numpy()


def _keys_and_prints(layer: str, rows: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    if layer == "incidents":
        return _incident_keys_and_prints(rows)
    keys, prints = [], []
    for r in rows.to_dict("records"):
        if layer == "norms":
            key = f"{r['iso3']}|{r['item_id']}|{r['assessed_on']}"
            values = [r["status"], r["evidence_url"] or "", r["tlp"]]
        else:
            countries = r["countries"]
            countries = sorted(countries.split("; ") if isinstance(countries, str) else countries or [])
            key = r["source_id"] or str(r["name"]).lower()
            values = [
                r["name"],
                r["kind"],
                r["status"],
                r["start_date"],
                r["end_date"],
                r["last_tested"],
                r["tlp"],
                countries,
            ]
        keys.append(str(key))
        prints.append(_fingerprint([None if (isinstance(v, float) and pd.isna(v)) else v for v in values]))
    return pd.Series(keys, dtype=object), np.asarray(prints, dtype=object)


def write_basis(engine: Engine) -> int:
    """The database's write counter: a comparison read after it is still right while it has not moved."""
    with engine.connect() as conn:
        return write_count(conn)


def compare(
    engine: Engine, viewer: Viewer, layer: str, track: str, checked: Validated, *, source: str = ""
) -> Comparison:
    """Compare checked rows (its issues must not hold those of an earlier comparison) with the current rows of the
    layer and track: every stored row for the keys, only those the uploader may see for the outcomes and counts.

    Incidents are keyed by source key ("<source>:<source id>", `source` the preset's name): EuRepoC's record 12 and
    DCID's record 12 in one track are two incidents, and an upload of one never supersedes the other."""
    basis = write_basis(engine)  # first: a write after this point makes the commit compare again
    rows = checked.rows
    written = None  # the ids as the file writes them, for the messages
    if layer == "incidents" and not rows.empty:
        written = _as_text(rows["source_id"]).reset_index(drop=True)
        rows = rows.assign(source_id=bulk.source_keys(source, rows["source_id"]))
    errors = checked.error_rows
    nothing = (pd.Series([], dtype=object), np.empty(0, dtype=object))
    keys, prints = _keys_and_prints(layer, rows) if not rows.empty else nothing
    shown = keys if written is None else written.where(written != "", keys)
    stored = read.current_rows_for_diff(engine, viewer, layer, track)
    stored_keys, stored_prints = _keys_and_prints(layer, stored) if not stored.empty else nothing
    seen = stored["visible"].to_numpy(dtype=bool) if len(stored) else np.zeros(0, dtype=bool)
    hidden_keys = pd.Index(stored_keys.to_numpy(dtype=object)[~seen]).unique()
    numbers = np.asarray(rows["row"].tolist() if not rows.empty else [], dtype=np.int64)
    file_keys = keys
    repeated = file_keys.duplicated().to_numpy()
    issues = []
    if repeated.any():
        first_number = pd.Series(numbers).groupby(file_keys).transform("first").to_numpy()
        for index in np.flatnonzero(repeated).tolist():
            issues.append(
                Issue(
                    int(numbers[index]),
                    "",
                    str(shown.iloc[index]),
                    f"duplicate of row {first_number[index]} (same source id, or same title, date and "
                    "first country); only the first is kept",
                    "error",
                )
            )
    # The visible current data, one entry per key (the last row of a key wins, as a dict would keep it).
    known = pd.DataFrame(
        {
            "key": stored_keys.to_numpy(dtype=object)[seen],
            "id": stored["id"].to_numpy()[seen] if len(stored) else [],
            "print": stored_prints[seen] if len(stored) else [],
        }
    )
    known = known.drop_duplicates("key", keep="last").set_index("key")
    position = known.index.get_indexer(file_keys) if len(known) else np.full(len(keys), -1)
    # A key of a row the uploader may not see, and of none they may see: refused, whatever the row holds.
    taken = (position < 0) & file_keys.isin(hidden_keys).to_numpy() if len(hidden_keys) else np.zeros(len(keys), bool)
    matched_keys = file_keys[~repeated]
    if layer == "incidents" and len(known) and (position < 0).any():
        # Rows stored before their source gave ids (CFR rows, keyed by their title since 0008) are keyed by title,
        # date and first country: a file row with a source id that matches no current row is matched that way.
        unmatched = np.flatnonzero((position < 0) & ~taken & (_as_text(rows["source_id"]) != "").to_numpy())
        if len(unmatched):
            legacy = _title_keys(rows.iloc[unmatched]).reset_index(drop=True)
            position[unmatched] = known.index.get_indexer(legacy)
            matched_keys = pd.concat([matched_keys, legacy[~repeated[unmatched]]], ignore_index=True)
    same = np.zeros(len(keys), dtype=bool)
    found = position >= 0
    if found.any():
        theirs = known["print"].to_numpy(dtype=object)[position[found]]
        same[found] = theirs == prints.astype(object)[found]
    errors = np.isin(numbers, np.fromiter(errors, dtype=np.int64, count=len(errors)))
    outside, profile = (
        np.isin(numbers, np.fromiter(rows_, dtype=np.int64, count=len(rows_)))
        for rows_ in (checked.outside_rows, checked.rows_at(PROFILE))
    )
    status = np.select(
        [repeated, errors, profile, outside, taken, ~found, same],
        ["error", "error", "profile", "outside", "error", "new", "unchanged"],
        default="changed",
    )
    refused = taken & ~repeated & ~errors & ~profile & ~outside
    issues += [
        Issue(int(numbers[i]), _KEY_COLUMN[layer], str(shown.iloc[i]), ID_TAKEN, "error")
        for i in np.flatnonzero(refused).tolist()
    ]
    changed = np.flatnonzero(status == "changed")
    ids = known["id"].to_numpy()
    return Comparison(
        status=status.tolist(),
        replaces=dict(zip(changed.tolist(), ids[position[changed]].tolist(), strict=True)),
        removed=int((~known.index.isin(matched_keys)).sum()) if len(known) else 0,
        existing=int(seen.sum()),
        basis=basis,
        issues=issues,
    )

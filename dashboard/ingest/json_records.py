"""Reading the records of a JSON upload within the input limits (dashboard.ingest.limits).

Before Python builds a single object, one vectorised scan of the file's structure (its brackets, colons and commas,
with the strings blanked out) measures how deep it nests, how many keys its largest object has, and how many objects,
lists and values it holds; a file past a limit is refused then, so a JSON file nested 100,000 deep or with 200,000
keys in one record costs a scan, not a traceback or a gigabyte. Only then is it parsed, and the records are counted
(rows, distinct keys, cells) before they become a table.
"""

from __future__ import annotations

import json

import numpy as np

from dashboard.ingest.limits import (
    MAX_COLUMNS,
    MAX_JSON_CONTAINERS,
    MAX_JSON_DEPTH,
    MAX_JSON_VALUES,
    ReadError,
    check_columns,
    check_size,
)

OPEN, CLOSE, COLON, COMMA = 1, 2, 3, 4
_KIND = np.zeros(256, dtype=np.uint8)  # byte -> its structural kind (0: anything else)
for _chars, _kind in ((b"[{", OPEN), (b"]}", CLOSE), (b":", COLON), (b",", COMMA)):
    _KIND[list(_chars)] = _kind


def structure(text: str) -> np.ndarray:
    """The structural kind (OPEN, CLOSE, COLON, COMMA, or 0) of each byte of the text; 0 inside strings.

    Escaped backslashes and then escaped quotes are dropped first, so every quote left opens or closes a string; a
    running exclusive-or of the quotes then marks what lies inside strings. A few passes of C over the bytes (no
    regular expression, which could backtrack on an unterminated string)."""
    raw = text.encode("utf-8", errors="surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    codes = np.frombuffer(raw, dtype=np.uint8)
    quotes = codes == ord('"')
    kinds = _KIND[codes]
    kinds[np.bitwise_xor.accumulate(quotes)] = 0
    return kinds


def scan(text: str) -> None:
    """Refuse a JSON text that nests deeper than MAX_JSON_DEPTH, has an object with more than MAX_COLUMNS keys, or
    holds more than MAX_JSON_CONTAINERS objects and lists or MAX_JSON_VALUES values. Linear in the text; builds no
    Python object per value."""
    kinds = structure(text)
    containers, values = np.count_nonzero(kinds == OPEN), np.count_nonzero(kinds == COMMA) + 1
    if containers > MAX_JSON_CONTAINERS:
        raise ReadError(
            f"The JSON file holds {containers:,} objects and lists; at most {MAX_JSON_CONTAINERS:,} are "
            "supported. Split it into smaller files."
        )
    if values > MAX_JSON_VALUES:
        raise ReadError(
            f"The JSON file holds {values:,} values; at most {MAX_JSON_VALUES:,} are supported. "
            "Split it into smaller files."
        )
    events = kinds[(kinds > 0) & (kinds != COMMA)]
    del kinds
    is_open = events == OPEN
    depth = np.cumsum(is_open.astype(np.int64) - (events == CLOSE))  # the depth after each event
    deepest = int(depth.max()) if len(depth) else 0
    if deepest > MAX_JSON_DEPTH:
        raise ReadError(
            f"The JSON file is nested {deepest:,} levels deep; at most {MAX_JSON_DEPTH} are supported. Upload a "
            'list of records, one object per row, such as [{"title": "...", "start_date": "2024-01-31"}].'
        )
    # Keys per object: a colon belongs to the last object or list opened at its own depth. Ordered by depth (and by
    # position within a depth), the running count of openers numbers each colon's container.
    order = np.argsort(depth, kind="stable")
    container = np.cumsum(is_open[order])
    colons = container[events[order] == COLON]
    widest = int(np.bincount(colons).max()) if len(colons) else 0
    if widest > MAX_COLUMNS:
        raise ReadError(
            f"An object in the JSON file has {widest:,} keys; at most {MAX_COLUMNS} are supported (each key of a "
            "record is a column). Is it the right file?"
        )


def parse(text: str) -> object:
    """The JSON value of the text, scanned first; invalid JSON is refused with the line of the problem."""
    scan(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"The JSON file is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
    except RecursionError:  # the scan bounds the depth; this is the parser's own limit, should that ever differ
        raise ReadError(f"The JSON file is nested too deeply; at most {MAX_JSON_DEPTH} levels are supported.") from None


def records(text: str) -> list[dict]:
    """The records (objects) of a JSON upload: a list of objects, or an object holding one such list, or one
    object; refused past the row, column and cell limits before a table is built."""
    payload = parse(text)
    if isinstance(payload, dict):
        lists = [v for v in payload.values() if isinstance(v, list)]
        payload = lists[0] if len(lists) == 1 else [payload]
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise ReadError("The JSON file must hold a list of records (objects), one per row.")
    keys: set[str] = set()
    for record in payload:
        keys.update(record)
        if len(keys) > MAX_COLUMNS:
            break
    check_columns(len(keys))
    check_size(len(payload), len(keys))
    return payload

"""Checking a large upload a column at a time, with the same rules and messages as checking it row by row.

Most columns of a tracker export repeat a few values (types, countries, dates, markings): each distinct value (or
combination of mapped columns) is checked once by the row-level rules and the outcome is spread back to every row
that holds it. Free-text columns, where nearly every value differs, are checked with vectorised Arrow string
functions; only values with characters outside printable ASCII go through the Python rule. A million rows are
checked in seconds instead of minutes, and the report is identical.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.ingest.issues import Issue, RowCheck, short
from dashboard.ingest.normalise import neutral_text

PRINTABLE_ASCII = r"^[\x20-\x7e\t\n]*$"
MISSING_TEXT = r"^(?:[nN][aA][nN]|[nN][uU][lL][lL])?$"  # what neutral_text treats as no value ('', nan, null)


def factorize_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Codes per row of the distinct combinations of these columns, and the first row holding each combination."""
    n = len(frame)
    if not columns:
        return np.zeros(n, dtype=np.int64), np.zeros(1 if n else 0, dtype=np.int64)
    combined = np.zeros(n, dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(frame[column])
        combined = combined * (len(uniques) + 1) + codes
    codes, _ = pd.factorize(combined)
    _, first = np.unique(codes, return_index=True)
    return codes.astype(np.int64), first


def objects(values: list[Any]) -> np.ndarray:
    """A one-dimensional object array of these values, even when they are lists of equal length."""
    return pd.Series(values, dtype=object).to_numpy() if values else np.empty(0, dtype=object)


def spread(values: list[Any], codes: np.ndarray) -> np.ndarray:
    """The value of each row's combination, as an object array (rows share the objects)."""
    return objects(values)[codes] if len(codes) else np.empty(0, dtype=object)


def _all_printable_ascii(array: pa.Array | pa.ChunkedArray) -> bool:
    """True when no byte of the text is a control character (other than tab and newline) or non-ASCII: one
    vectorised pass over the data buffers instead of a regular expression per value."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    for chunk in chunks:
        data = chunk.buffers()[2] if chunk.type in (pa.string(), pa.large_string()) else None
        if data is None:
            if len(chunk) and chunk.type not in (pa.string(), pa.large_string()):
                return False
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if ((raw < 0x20) & (raw != 0x09) & (raw != 0x0A)).any() or (raw >= 0x7F).any():
            return False
    return True


def _already_neutral(array: pa.Array | pa.ChunkedArray) -> bool:
    """For printable ASCII text: True when no value starts or ends with white space and none could be a spelling
    of 'no value' (only 3- and 4-character values are looked at), so neutral_text would return every value as is."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    for chunk in chunks:
        if not len(chunk):
            continue
        if chunk.type not in (pa.string(), pa.large_string()) or chunk.null_count:
            return False
        width = np.int32 if chunk.type == pa.string() else np.int64
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if chunk.buffers()[2] else np.empty(0, np.uint8)
        lengths = np.diff(offsets)
        filled = lengths > 0
        edges = np.concatenate([data[offsets[:-1][filled]], data[offsets[1:][filled] - 1]])
        if np.isin(edges, (0x20, 0x09, 0x0A)).any():
            return False
        maybe_missing = np.flatnonzero((lengths == 3) | (lengths == 4))
        if len(maybe_missing) and pc.any(pc.match_substring_regex(chunk.take(maybe_missing), MISSING_TEXT)).as_py():
            return False
    return True


class Columns:
    """The mapped columns of an upload, checked field by field; collects every issue with its file row number."""

    def __init__(self, frame: pd.DataFrame, mapping: dict[str, tuple[str, ...]], make_row: Callable[..., RowCheck]):
        self.frame = frame.reset_index(drop=True)
        self.mapping = mapping
        self.make_row = make_row
        self.n = len(frame)
        self.numbers = np.arange(self.n, dtype=np.int64) + 2  # spreadsheet rows: the header is row 1
        self.issues: list[Issue] = []

    def label(self, fld: str) -> str:
        return " + ".join(self.mapping.get(fld, (fld,)))

    def per_value(
        self, fields: tuple[str, ...], rule: Callable[[RowCheck], Any]
    ) -> tuple[np.ndarray, np.ndarray, list]:
        """Apply a row-level rule once per distinct combination of the fields' columns.

        Returns the value of every row, the per-row codes and the value of each code."""
        columns = tuple(dict.fromkeys(c for f in fields for c in self.mapping.get(f, ())))
        codes, first = factorize_columns(self.frame, columns)
        sources = self.frame[list(columns)].iloc[first].to_dict("records") if columns else [{} for _ in first]
        values, found = [], []
        for source in sources:
            row = self.make_row(0, source, self.mapping)
            values.append(rule(row))
            found.append(row.issues)
        self._spread_issues(codes, found)
        return spread(values, codes), codes, values

    def _spread_issues(self, codes: np.ndarray, found: list[list[Issue]]) -> None:
        flagged = np.array([bool(f) for f in found], dtype=bool)
        if not flagged.any():
            return
        for index in np.flatnonzero(flagged[codes]).tolist():
            number = int(self.numbers[index])
            self.issues += [Issue(number, i.column, i.value, i.message, i.level) for i in found[codes[index]]]

    def add(self, index: int, fld: str, value: object, message: str, level: str) -> None:
        self.issues.append(Issue(int(self.numbers[index]), self.label(fld), short(value), message, level))

    def source(self, fld: str) -> pd.Series | None:
        """The text of a field mapped to exactly one column (None when it is mapped to several or none)."""
        columns = self.mapping.get(fld, ())
        return self.frame[columns[0]] if len(columns) == 1 else None

    def text(self, fld: str, limit: int, *, required: bool = False) -> pd.Series:
        """Free text as neutral_text stores it, checked for length (and presence when required)."""
        raw = self.source(fld)
        if raw is None:  # several columns joined, or none: the row-level rule per combination
            values, _, _ = self.per_value((fld,), lambda row: row.text(fld, limit, required=required))
            return pd.Series(values, dtype="str")
        array = pa.array(raw.to_numpy(dtype=object), type=pa.string()) if raw.dtype == object else pa.array(raw)
        plain_ascii = _all_printable_ascii(array)
        if plain_ascii and _already_neutral(array):
            text = raw.reset_index(drop=True).astype("str")  # nothing to change: share the file's text buffers
        else:
            trimmed = pc.utf8_trim(array, " \t\n")
            trimmed = pc.if_else(pc.match_substring_regex(trimmed, MISSING_TEXT), "", trimmed)
            text = trimmed.to_pandas()
        if not plain_ascii:
            plain = pc.match_substring_regex(array, PRINTABLE_ASCII)
            others = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
            cleaned = {v: neutral_text(v, 10**9)[0] for v in dict.fromkeys(raw.iloc[others].tolist())}
            text.iloc[others] = [cleaned[v] for v in raw.iloc[others].tolist()]
        lengths = text.str.len().to_numpy()
        for index in np.flatnonzero(lengths > limit).tolist():
            self.add(
                index,
                fld,
                raw.iloc[index],
                f"{fld} is {int(lengths[index]):,} characters long; at most {limit:,} are allowed",
                "error",
            )
            text.iloc[index] = text.iloc[index][:limit]
        if required:
            for index in np.flatnonzero(lengths == 0).tolist():
                self.add(index, fld, raw.iloc[index], f"{fld} is required and is empty", "error")
        return text

    def urls(self, fld: str, rule: Callable[[RowCheck], list[str]], limit: int) -> np.ndarray:
        """Lists of web addresses. A cell holding one plain http(s) address (no spaces, quotes, backslashes or a
        trailing ';') is that address; every other cell goes through the row-level rule, once per distinct value."""
        raw = self.source(fld)
        if raw is None:
            return self.per_value((fld,), rule)[0]
        array = pa.array(raw)
        simple = pc.and_(
            pc.match_substring_regex(array, r"^https?://[!#-&(-\[\]-~]*[!#-&(-:<-\[\]-~]$"),
            pc.less_equal(pc.utf8_length(array), limit),
        ).to_numpy(zero_copy_only=False)
        empty = pc.equal(pc.utf8_trim_whitespace(array), "").to_numpy(zero_copy_only=False)
        out = np.empty(self.n, dtype=object)
        out[simple] = objects([[u] for u in raw[simple].tolist()])
        none: list[str] = []
        out[empty & ~simple] = objects([none] * int((empty & ~simple).sum()))
        rest = np.flatnonzero(~simple & ~empty)
        if len(rest):
            sub = Columns(self.frame.iloc[rest], self.mapping, self.make_row)
            sub.numbers = self.numbers[rest]
            values, _, _ = sub.per_value((fld,), rule)
            out[rest] = values
            self.issues += sub.issues
        return out

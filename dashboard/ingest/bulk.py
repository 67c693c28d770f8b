"""Bulk writes inside a commit's transaction: COPY on PostgreSQL, one prepared executemany on SQLite.

Columns come in as whole arrays (never a dict per row); values are converted once per distinct value where they
repeat (dates, numbers), with vectorised string functions where they do not. Table and column names are our own
constants, never input.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy.orm import Session

from dashboard.models import Base

CHUNK = 100_000  # rows per COPY block or executemany call: bounds memory whatever the upload size
JSON_UNSAFE = r'["\\\x00-\x1f]'  # characters that need escaping inside a JSON string


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def by_value(series: pd.Series, convert: Callable[[Any], Any], missing: Any = None) -> np.ndarray:
    """convert() applied once per distinct value; missing values become `missing`."""
    codes, uniques = pd.factorize(series.to_numpy(dtype=object) if series.dtype == object else series)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[: len(uniques)] = [convert(u) for u in uniques]  # type: ignore[union-attr]
    table[-1] = missing
    return table[codes]


def text(series: pd.Series, default: str = "") -> np.ndarray:
    """Text, with missing (and, given a default, empty) values as the default."""
    return by_value(series, lambda v: default if _missing(v) or str(v) == "" else str(v), missing=default)


def _iso(value: Any) -> str | None:
    if _missing(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)[:10]


def dates(series: pd.Series) -> np.ndarray:
    """Dates as ISO text (what SQLite stores and PostgreSQL's COPY reads)."""
    out = by_value(series, _iso)
    out[pd.isna(series).to_numpy()] = None
    return out


def integers(series: pd.Series) -> np.ndarray:
    """Whole numbers as Python ints, missing as None."""
    out = by_value(series, lambda v: None if _missing(v) else int(v))
    out[pd.isna(series).to_numpy()] = None
    return out


def constant(value: object, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def _as_list(value: Any) -> list:
    if isinstance(value, list | tuple | np.ndarray):
        return list(value)
    return []


def json_lists(series: pd.Series) -> np.ndarray:
    """Lists of strings as JSON text. A one-item list of a plain string is written without the JSON encoder."""
    values = series.to_numpy(dtype=object)
    lengths = np.fromiter((len(v) if isinstance(v, list | tuple) else -1 for v in values), dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    single = np.flatnonzero(lengths == 1)
    if len(single):
        firsts = pa.array([str(values[i][0]) for i in single.tolist()], type=pa.string())
        safe = pc.invert(pc.match_substring_regex(firsts, JSON_UNSAFE)).to_numpy(zero_copy_only=False)
        quoted = pc.binary_join_element_wise('["', firsts, '"]', "").to_numpy(zero_copy_only=False)
        out[single[safe]] = quoted[safe]
    out[lengths == 0] = "[]"
    rest = np.flatnonzero(pd.isna(pd.Series(out)).to_numpy())
    out[rest] = [json.dumps(_as_list(values[i])) for i in rest.tolist()]
    return out


def json_objects(series: pd.Series) -> np.ndarray:
    """Dicts as JSON text (missing or empty as {})."""
    out = np.empty(len(series), dtype=object)
    out[:] = [json.dumps(v) if isinstance(v, dict) and v else "{}" for v in series.to_numpy(dtype=object).tolist()]
    return out


def explode(owners: np.ndarray, series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(owner id, item) pairs of a column of lists; each item once per owner."""
    values = series.to_numpy(dtype=object)
    lists = [list(dict.fromkeys(v)) if isinstance(v, list | tuple | np.ndarray) else [] for v in values.tolist()]
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    items = np.empty(int(lengths.sum()), dtype=object)
    items[:] = [item for sub in lists for item in sub]
    return np.repeat(owners, lengths), items


def insert(session: Session, table: str, columns: dict[str, np.ndarray | Iterable]) -> None:
    """Insert the rows given as equal-length columns into the table, inside the session's transaction."""
    names = list(columns)
    known = Base.metadata.tables.get(table)
    if known is None or not set(names) <= set(known.columns.keys()):
        raise ValueError(f"not a table and columns of our schema: {table} {names}")
    arrays = [np.asarray(columns[c]) if not isinstance(columns[c], np.ndarray) else columns[c] for c in names]
    n = len(arrays[0]) if arrays else 0
    if n == 0:
        return
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        with dbapi.cursor() as cursor:
            statement = f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
            with cursor.copy(statement) as copy:
                for start in range(0, n, CHUNK):
                    copy.write(_csv_block([a[start : start + CHUNK] for a in arrays]))
        return
    placeholders = ", ".join("?" * len(names))
    statement = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})"  # noqa: S608 - checked above
    cursor = dbapi.cursor()
    try:
        for start in range(0, n, CHUNK):
            block = [a[start : start + CHUNK].tolist() for a in arrays]
            cursor.executemany(statement, zip(*block, strict=True))
    finally:
        cursor.close()


def _csv_block(arrays: list[np.ndarray]) -> bytes:
    """Rows as CSV for COPY: values quoted, NULL as an unquoted empty field."""
    table = pa.table(
        {str(i): pa.array(a.tolist() if a.dtype == object else a) for i, a in enumerate(arrays)},
    )
    table = table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    return sink.getvalue()

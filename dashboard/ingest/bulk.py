"""Bulk writes inside a commit's transaction: COPY on PostgreSQL, one prepared executemany on SQLite.

Columns come in as whole arrays (never a dict per row); values are converted once per distinct value where they
repeat (dates, numbers), with vectorised string functions where they do not. Table and column names are our own
constants, never input.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import bindparam, func, select
from sqlalchemy import insert as insert_statement
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from dashboard.store.models import Base

SQLITE_CACHE_KB = 64 * 1024  # page cache of the connection doing a bulk insert
CHUNK = 100_000  # rows per COPY block or executemany call: bounds memory whatever the upload size
REBUILD_MIN_ROWS = 50_000  # SQLite: below this, inserting into the indexes directly is as fast as rebuilding them
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


def text(series: pd.Series, default: str = "") -> np.ndarray | pd.Series:
    """Text, with missing (and, given a default, empty) values as the default."""
    if isinstance(series.dtype, pd.StringDtype):  # checked uploads: stays Arrow text until written, block by block
        filled = series.fillna(default).reset_index(drop=True)
        return filled.where(filled != "", default) if default else filled
    return by_value(series, lambda v: default if _missing(v) or str(v) == "" else str(v), missing=default)


def _iso(value: Any) -> str | None:
    if _missing(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)[:10]


def dates(series: pd.Series) -> np.ndarray:
    """Dates as ISO text (what SQLite stores and PostgreSQL's COPY reads)."""
    return by_value(series, _iso)


def integers(series: pd.Series) -> np.ndarray:
    """Whole numbers as Python ints, missing as None."""
    return by_value(series, lambda v: None if _missing(v) else int(v))


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
    values = series.to_numpy(dtype=object).tolist()
    unique: dict[int, list] = {}  # rows of a checked upload share their list objects: dedupe each list once
    lists = [unique[id(v)] if id(v) in unique else unique.setdefault(id(v), _distinct(v)) for v in values]
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    items = np.empty(int(lengths.sum()), dtype=object)
    items[:] = [item for sub in lists for item in sub]
    return np.repeat(owners, lengths), items


def _distinct(value: Any) -> list:
    return list(dict.fromkeys(value)) if isinstance(value, list | tuple | np.ndarray) else []


def insert(session: Session, table: str, columns: dict[str, np.ndarray | pd.Series | PerBlock | Iterable]) -> None:
    """Insert the rows given as equal-length columns into the table, inside the session's transaction."""
    names = list(columns)
    known = Base.metadata.tables.get(table)
    if known is None or not set(names) <= set(known.columns.keys()):
        raise ValueError(f"not a table and columns of our schema: {table} {names}")
    arrays = [c if isinstance(c, np.ndarray | pd.Series | PerBlock) else np.asarray(c) for c in columns.values()]
    n = len(arrays[0]) if arrays else 0
    if n == 0:
        return
    connection = session.connection()
    _check_references(connection, table, columns)
    try:
        if connection.dialect.name == "postgresql":
            _copy(connection, table, names, arrays)
        else:
            _sqlite_insert(connection, table, names, arrays)
    except connection.dialect.dbapi.Error as exc:  # raw driver errors, as SQLAlchemy would have raised them
        raise DBAPIError.instance(f"bulk insert into {table}", None, exc, connection.dialect.dbapi.Error) from exc


def _copy(connection: Any, table: str, names: list[str], arrays: list) -> None:
    n = len(arrays[0])
    with connection.connection.dbapi_connection.cursor() as cursor:
        _skip_row_triggers(cursor)
        with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, n, CHUNK):
                copy.write(_csv_block([_block(a, start) for a in arrays]))


# Tables written by the same commit (their keys are allocated there): references to them are right by construction.
WRITTEN_TOGETHER = {"incidents", "partnerships", "dataset_versions"}


def _check_references(connection: Any, table: str, columns: dict[str, Any]) -> None:
    """Every value of a column that refers to a reference table (countries, sectors, markings, ...) exists there:
    one set comparison per column, instead of a trigger per row."""
    for fk in Base.metadata.tables[table].foreign_keys:
        target = fk.column.table
        name = fk.parent.name
        if target.name in WRITTEN_TOGETHER or name not in columns:
            continue
        column = columns[name]
        values = (column if isinstance(column, pd.Series) else pd.Series(np.asarray(column, dtype=object))).dropna()
        values = values.unique()
        known = set(connection.execute(select(fk.column)).scalars())
        unknown = sorted({str(v) for v in values} - {str(k) for k in known})
        if unknown:
            raise IntegrityError(
                f"{table}.{name} refers to values missing from {target.name}: {', '.join(unknown[:5])}", None, None
            )


def _skip_row_triggers(cursor: Any) -> None:
    """PostgreSQL checks foreign keys with a trigger per row, two thirds of a big COPY's time. Where the role may,
    this transaction skips them (`session_replication_role = replica`, undone at its end); _check_references has
    checked the same references for the whole block. Without the privilege, the triggers run as usual."""
    import psycopg

    cursor.execute("SAVEPOINT bulk_triggers")
    try:
        cursor.execute("SET LOCAL session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        cursor.execute("ROLLBACK TO SAVEPOINT bulk_triggers")
    else:
        cursor.execute("RELEASE SAVEPOINT bulk_triggers")


def _sqlite_insert(connection: Any, table: str, names: list[str], arrays: list) -> None:
    """executemany in blocks. When the rows at least double the table, its secondary indexes are dropped first and
    built again at the end (sorting once is cheaper than a million random B-tree inserts); SQLite's DDL is part of
    the transaction, so a failure restores them and readers never see the table without them."""
    n = len(arrays[0])
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")  # index pages of big tables stay in memory
    indexes: list[tuple[str, str]] = []
    if n >= REBUILD_MIN_ROWS:
        existing = connection.execute(select(func.count()).select_from(Base.metadata.tables[table])).scalar()
        if n >= existing:
            indexes = list(
                connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    (table,),
                ).all()
            )
            for name, _sql in indexes:
                connection.exec_driver_sql(f'DROP INDEX "{name}"')
    compiled = (
        insert_statement(Base.metadata.tables[table])
        .values({name: bindparam(name) for name in names})
        .compile(connection)
    )
    statement, order = str(compiled), [names.index(name) for name in compiled.positiontup]
    arrays = [arrays[i] for i in order]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        for start in range(0, n, CHUNK):
            block = [_block(a, start).tolist() for a in arrays]
            cursor.executemany(statement, zip(*block, strict=True))
    finally:
        cursor.close()
    for _name, sql in indexes:
        connection.exec_driver_sql(sql)


@dataclass(frozen=True)
class PerBlock:
    """A column converted block by block as it is written (JSON text, dates): never all at once in memory."""

    series: pd.Series
    convert: Callable[[pd.Series], np.ndarray]

    def __len__(self) -> int:
        return len(self.series)

    def __getitem__(self, rows: slice) -> PerBlock:
        return PerBlock(self.series.iloc[rows], self.convert)


def per_block(convert: Callable[[pd.Series], np.ndarray], series: pd.Series) -> PerBlock:
    return PerBlock(series.reset_index(drop=True), convert)


def _block(values: np.ndarray | pd.Series | PerBlock, start: int) -> np.ndarray | pd.Series:
    if isinstance(values, PerBlock):
        return values.convert(values.series.iloc[start : start + CHUNK])
    return values.iloc[start : start + CHUNK] if isinstance(values, pd.Series) else values[start : start + CHUNK]


def _csv_block(arrays: list[np.ndarray]) -> bytes:
    """Rows as CSV for COPY: values quoted, NULL as an unquoted empty field."""
    table = pa.table(
        {str(i): pa.array(a.tolist() if a.dtype == object else a, from_pandas=True) for i, a in enumerate(arrays)},
    )
    table = table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    return sink.getvalue()


def source_keys(preset: str, source_ids: pd.Series) -> np.ndarray:
    """'<source>:<source id>' per row ('' without a source id): the key under which copies count once."""
    source = preset or "template"
    ids = text(source_ids)
    return np.array([f"{source}:{s}" if s else "" for s in ids], dtype=object)

"""Packed reads: a column of many rows read as one joined string from the database and parsed by numpy.

Reading one joined string per column is many times faster than fetching a million rows through the driver; the
columnar snapshot (dashboard/read/snapshot.py) is read this way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Connection, Text, cast, func, literal, literal_column, select, table


def joined(column: ColumnElement, dialect: str, sep: str = ",") -> ColumnElement[str]:
    """The values of a column over each group (or all rows) joined with sep, as text, by the database."""
    if dialect == "postgresql":
        return func.string_agg(cast(column, Text), literal(sep, literal_execute=True))
    return func.group_concat(column, literal(sep, literal_execute=True))


def columns(conn: Connection, exprs: list[tuple[str, str]], source: str, where: ColumnElement) -> list[str | None]:
    """Several aggregates over the same rows in one query, so their values stay in the same row order.

    Reading one joined string per column and parsing it with numpy is many times faster than fetching a million
    rows through the driver. Parallel aggregation is switched off on PostgreSQL to keep the orders equal.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
    aggregates = [joined(literal_column(expr), dialect, sep) for expr, sep in exprs]
    return list(conn.execute(select(*aggregates).select_from(table(source)).where(where)).one())


def ints(joined: str | None) -> np.ndarray:
    """Integers joined with commas, as an int64 array."""
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(joined, dtype=np.int64, sep=",")


def iso_days(joined: str) -> np.ndarray | None:
    """Day numbers of 'YYYY-MM-DD' dates joined without separator (None when the text is not such dates).

    The 'YYYY-MM-' prefix of each date is factorised (a few hundred distinct months), so only the day of the
    month is computed per row.
    """
    raw = np.frombuffer(joined.encode("ascii", errors="replace"), dtype=np.uint8).reshape(-1, 10)
    digits = raw[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    if not (((digits >= 48) & (digits <= 57)).all() and (raw[:, 4] == 45).all() and (raw[:, 7] == 45).all()):
        return None
    prefix = np.ascontiguousarray(raw[:, :8]).view("<u8").ravel()
    codes, months = pd.factorize(prefix)
    try:
        starts = np.array(
            [np.datetime64(np.array([m]).view("S8")[0].decode()[:7], "M").astype("datetime64[D]") for m in months],
            dtype="datetime64[D]",
        ).astype(np.int64)
    except ValueError:
        return None
    day_of_month = raw[:, 8].astype(np.int64) * 10 + raw[:, 9] - 528
    return starts[codes] + day_of_month - 1


def positions(ids: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A function from incident ids to their positions in ids (-1 when absent): a direct table for dense ids."""
    if len(ids) == 0:
        return lambda wanted: np.full(len(wanted), -1, dtype=np.int64)
    low, high = int(ids.min()), int(ids.max())
    if low >= 0 and high <= max(4 * len(ids), 1_000_000):
        table = np.full(high + 1, -1, dtype=np.int32)
        table[ids] = np.arange(len(ids), dtype=np.int32)

        def direct(wanted: np.ndarray) -> np.ndarray:
            inside = (wanted >= 0) & (wanted <= high)
            return np.where(inside, table[np.where(inside, wanted, 0)], -1).astype(np.int64)

        return direct
    by_id = np.argsort(ids, kind="stable")
    sorted_ids = ids[by_id]

    def searched(wanted: np.ndarray) -> np.ndarray:
        slot = np.minimum(np.searchsorted(sorted_ids, wanted), len(ids) - 1)
        return np.where(sorted_ids[slot] == wanted, by_id[slot], -1).astype(np.int64)

    return searched

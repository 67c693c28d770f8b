"""Parallel lists in one export row: EuRepoC writes each attribution and each response as the n-th item of several
"; "-joined columns (attribution_date, attribution_basis, attributing_country, ...). Some items hold "; " inside
brackets ("Lord Ahmad (Minister ...; GBR)"), and missing items are written as "Not available", "Unknown", "None" or
left empty. These helpers split such columns and line their items up into one dict per event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

MISSING = frozenset({"", "not available", "unknown", "none", "n/a", "nan", "[]", "['not available']"})


def split_top(text: object) -> list[str]:
    """Split on ";" outside brackets; items are stripped, and an empty cell gives no items."""
    if not isinstance(text, str) or not text.strip():
        return []
    items, depth, current = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch == ";" and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return items


def present(value: str | None) -> str:
    """The value, or "" for the ways exports write "missing"."""
    return "" if value is None or value.strip().casefold() in MISSING else value.strip()


def aligned(row: Mapping[str, object], columns: Mapping[str, str], count: int = 0) -> list[dict[str, str]]:
    """One dict per event: field -> the n-th item of its column (missing items as ""). There are as many events as
    the longest of the columns, and at least `count` (the export's own number of events, when it gives one)."""
    lists = {fld: split_top(row.get(col)) for fld, col in columns.items()}
    n = max([count, *(len(items) for items in lists.values())])
    return [{fld: present(items[i]) if i < len(items) else "" for fld, items in lists.items()} for i in range(n)]


def parse_date(value: str) -> dt.date | None:
    """An ISO date or timestamp ("2018-02-15", "2018-02-15 00:00:00"); None when missing or not a date."""
    if not value:
        return None
    stamp = pd.to_datetime(value, errors="coerce", format="ISO8601")
    return None if pd.isna(stamp) else stamp.date()


def count_of(value: object) -> int:
    """An export's own event count ("3", "3.0", ""), 0 when missing."""
    try:
        return max(0, int(float(str(value))))
    except ValueError:
        return 0


def first_url(values: Sequence[str]) -> str:
    """The first http(s) address among the values, or ""."""
    return next((v for v in values if v.startswith(("http://", "https://"))), "")

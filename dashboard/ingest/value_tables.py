"""Value tables: a source's codes or labels translated to our ids, cell by cell, before validation.

A hand mapping (page or `--mapping FILE.json`) may carry them beside its columns, and a preset may ship them:

    {"incident_type": "Kind", "target_countries": "Victim",
     "values": {"incident_type": {"DDoS": "disruption", "Leak": "hack-and-leak"},
                "target_countries": {"Ruritania": "RUS"}}}

A table applies to the columns mapped to its field. A cell whose whole text is a key becomes the table's value; in a
list field (target countries, sectors, ...) each item is looked up on its own and the cell is written back joined with
'; '. Keys match ignoring case and surrounding spaces, and a whole number matches however it is written ("3", "3.0").
Values that are not in the table pass through unchanged, so validation reports them as it would without a table. The
translated cells go into a new column, "<column> -> <field>", so the source's own value is kept with the record.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pandas as pd

from dashboard.ingest.normalise import is_missing, split_list
from dashboard.ingest.templates import TEMPLATES

ValueTables = dict[str, dict[str, str]]  # our field -> {source value -> our value}
VALUES_KEY = "values"
_WHOLE = re.compile(r"[+-]?\d+(?:\.0*)?")


class ValueTableError(ValueError):
    """A value table is not an object of objects of text; the message says how it should look."""


def key(value: object) -> str:
    """The form a source value is matched in: trimmed, case-folded, a whole number without its '.0'."""
    text = str(value).strip().casefold()
    if _WHOLE.fullmatch(text):
        number = float(text)
        if math.isfinite(number):  # '1' * 400 is a whole number too large for a float: matched as written
            return str(int(number))
    return text


def parse(payload: object) -> ValueTables:
    """The value tables of a mapping's "values" object, checked: {field: {source value: our value}}."""
    if payload is None:
        return {}
    example = 'for example "values": {"incident_type": {"DDoS": "disruption"}}'
    if not isinstance(payload, Mapping):
        raise ValueTableError(f'"{VALUES_KEY}" must be an object of value tables, {example}.')
    tables: ValueTables = {}
    for fld, table in payload.items():
        if not isinstance(table, Mapping) or not all(isinstance(v, str | int | float) for v in table.values()):
            raise ValueTableError(f'The value table for "{fld}" must map source values to our values, {example}.')
        tables[str(fld)] = {str(k): str(v) for k, v in table.items()}
    return tables


def split_mapping(
    mapping: Mapping[str, object] | None,
) -> tuple[dict[str, str | list[str]], ValueTables]:
    """A hand mapping as its columns (our field -> column or columns) and its value tables."""
    if not mapping:
        return {}, {}
    columns = {k: v for k, v in mapping.items() if k != VALUES_KEY}
    return columns, parse(mapping.get(VALUES_KEY))  # type: ignore[return-value]


def merged(*layers: ValueTables | None) -> ValueTables:
    """Tables laid over each other field by field: a later table's entry wins (a hand mapping over a preset)."""
    out: ValueTables = {}
    for tables in layers:
        for fld, table in (tables or {}).items():
            out.setdefault(fld, {}).update(table)
    return out


def list_fields(layer: str) -> frozenset[str]:
    """The fields of a layer whose cells hold lists (looked up item by item)."""
    return frozenset(c.name for c in TEMPLATES.get(layer, ()) if c.is_list)


def translate(value: object, table: Mapping[str, str], *, is_list: bool) -> object:
    """One cell through a table keyed by key(): the whole cell, or in a list field each item; else unchanged."""
    if is_missing(value):
        return value
    found = table.get(key(value))
    if found is not None:
        return found
    if not is_list:
        return value
    items = split_list(value)
    mapped = [table.get(key(item), item) for item in items]
    return "; ".join(mapped) if mapped != items else value


def apply(
    frame: pd.DataFrame, mapping: dict[str, tuple[str, ...]], tables: ValueTables, *, layer: str
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The frame with each tabled field's columns translated into new columns, and the mapping pointing at them.

    Each distinct cell of a column is translated once. Fields without a table, and tables for fields the mapping
    does not use, change nothing."""
    tabled = {fld: t for fld, t in tables.items() if t and any(c in frame.columns for c in mapping.get(fld, ()))}
    if not tabled:
        return frame, mapping
    frame, mapping = frame.copy(), dict(mapping)
    lists = list_fields(layer)
    for fld, table in tabled.items():
        by_key = {key(k): v for k, v in table.items()}
        renamed = []
        for column in mapping[fld]:
            if column not in frame.columns:
                continue
            source = frame[column]
            lookup = {v: translate(v, by_key, is_list=fld in lists) for v in pd.unique(source.dropna())}
            target = f"{column} -> {fld}"
            frame[target] = source.map(lookup).where(source.notna(), source).astype(source.dtype)
            renamed.append(target)
        mapping[fld] = tuple(renamed)
    return frame, mapping

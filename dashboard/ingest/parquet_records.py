"""Reading a Parquet upload within the input limits (dashboard.ingest.limits).

A Parquet file compresses repeated values to almost nothing: a few hundred kilobytes can declare twenty million rows,
or one long text repeated on every row. So the file is measured before its data is read, from its metadata (the
footer): columns, rows, cells (every item of a list cell counts), and the uncompressed size of its pages. Text columns
are then read with their dictionaries kept (each distinct value once, and a small index per row), so the text they
would expand to is summed, and the longest value measured, before a single value is copied out per row.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.ingest.limits import (
    MAX_CELL_CHARS,
    MAX_EXPANDED_BYTES,
    ReadError,
    check_cell,
    check_columns,
    check_expanded,
    check_size,
    check_values,
)

SHORT_VALUE_BYTES = 24  # the text of a number, date or flag, at most


def read_frame(data: bytes) -> pd.DataFrame:
    """The table of a Parquet file with every text dictionary expanded, or a ReadError before it is expanded."""
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))  # reads the footer only
        meta, names = parquet.metadata, parquet.schema_arrow.names
        leaves = [parquet.schema.column(i) for i in range(meta.num_columns)]
    except Exception as exc:
        raise ReadError(f"The Parquet file could not be read: {_first_line(exc)}.") from None
    check_columns(len(names))
    check_size(meta.num_rows, len(names))
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    check_values(sum(g.column(j).num_values for g in groups for j in range(g.num_columns)), "Parquet file")
    check_expanded(sum(g.total_byte_size for g in groups), "Parquet file")
    text_leaves = [leaf.path for leaf in leaves if leaf.physical_type == "BYTE_ARRAY"]
    try:
        table = pq.ParquetFile(pa.BufferReader(data), read_dictionary=text_leaves).read()
    except Exception as exc:
        raise ReadError(f"The Parquet file could not be read: {_first_line(exc)}.") from None
    check_size(table.num_rows, table.num_columns)  # what the data holds, whatever the footer said
    total = 0
    for name, column in zip(table.column_names, table.columns, strict=True):
        size, longest = _text_size(column)
        check_cell(longest, name)
        total += size
        check_expanded(total, "Parquet file")
    try:
        return table.cast(pa.schema([pa.field(f.name, _expanded(f.type)) for f in table.schema])).to_pandas()
    except (pa.ArrowException, ValueError) as exc:
        raise ReadError(f"The Parquet file could not be read: {_first_line(exc)}.") from None


def _text_size(column: pa.ChunkedArray) -> tuple[int, int]:
    """The bytes of text a column expands to, and its longest value, from dictionaries and indices (never expanded)."""
    total = longest = 0
    for chunk in column.chunks:
        size, top = _array_size(chunk)
        total, longest = total + size, max(longest, top)
        if total > MAX_EXPANDED_BYTES or longest > MAX_CELL_CHARS:
            break
    return total, longest


def _array_size(array: pa.Array) -> tuple[int, int]:
    kind = array.type
    if pa.types.is_dictionary(kind):
        lengths = _array_lengths(array.dictionary)
        if lengths is None:
            return len(array) * SHORT_VALUE_BYTES, 0
        used = pc.take(lengths, array.indices)
        return int(pc.sum(used).as_py() or 0), int(pc.max(used).as_py() or 0)
    lengths = _array_lengths(array)
    if lengths is not None:
        return int(pc.sum(lengths).as_py() or 0), int(pc.max(lengths).as_py() or 0)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _array_size(array.flatten())
    if pa.types.is_struct(kind):
        parts = [_array_size(array.field(i)) for i in range(kind.num_fields)]
        return sum(p[0] for p in parts), max((p[1] for p in parts), default=0)
    if pa.types.is_map(kind):
        keys, items = _array_size(array.keys), _array_size(array.items)
        return keys[0] + items[0], max(keys[1], items[1])
    return len(array) * SHORT_VALUE_BYTES, 0


def _array_lengths(array: pa.Array) -> pa.Array | None:
    """Byte lengths of a text or binary array (0 for missing values); None for other types."""
    kind = array.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)):
        if not (pa.types.is_large_binary(kind) or pa.types.is_string_view(kind) or pa.types.is_binary_view(kind)):
            return None
    return pc.fill_null(pc.binary_length(array), 0)


def _expanded(kind: pa.DataType) -> pa.DataType:
    """The type with every dictionary replaced by its values' type."""
    if pa.types.is_dictionary(kind):
        return _expanded(kind.value_type)
    if pa.types.is_list(kind):
        return pa.list_(_expanded(kind.value_type))
    if pa.types.is_large_list(kind):
        return pa.large_list(_expanded(kind.value_type))
    if pa.types.is_fixed_size_list(kind):
        return pa.list_(_expanded(kind.value_type), kind.list_size)
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _expanded(f.type)) for f in kind])
    if pa.types.is_map(kind):
        return pa.map_(_expanded(kind.key_type), _expanded(kind.item_type))
    return kind


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

"""How much an upload may hold once it is expanded, and the checks that refuse it before it is expanded.

The upload size limit (DASHBOARD_MAX_UPLOAD_MB, dashboard.core.settings) counts the bytes of the file. A small file
can still unpack to far more: a Parquet file of a few hundred kilobytes can declare twenty million rows, a JSON file
can nest a list a hundred thousand levels deep, a CSV header can name sixty thousand columns. Each reader measures
the file from what it says about itself before it builds the table (the header line of a CSV file, the metadata of a
Parquet file, the dimension of a worksheet, a scan of the brackets of a JSON file) and refuses it with one of the
messages below when it is past a limit. Every limit is here, by name.

MAX_CELLS lets a million rows of our 18-column incidents template through (the size `python -m dashboard bench`
measures); nothing in the real exports of ../shared/datasets comes near any of these limits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

MB = 1024 * 1024
MAX_COLUMNS = 300  # columns of a table (our widest template has 18, the widest tracker export about 80)
MAX_ROWS = 1_000_000  # rows of a table
MAX_CELLS = 20_000_000  # rows x columns; for a Parquet file also every item of a list cell
MAX_CELL_CHARS = 1_000_000  # characters in one cell: fifty times the longest field (20,000, cells.TEXT_LIMIT)
MAX_EXPANDED_BYTES = 500 * MB  # what a workbook may unzip to; the text a Parquet file may expand to
MAX_ZIP_RATIO = 100  # unzipped size / zipped size of a workbook
MAX_JSON_DEPTH = 16  # nesting of a JSON file: a list of records is 2 deep, a list in a record's cell 3
MAX_JSON_CONTAINERS = 2 * MAX_ROWS  # objects and lists in a JSON file (each costs a Python object when read)
MAX_JSON_VALUES = MAX_CELLS  # keys and list items in a JSON file


class ReadError(ValueError):
    """The file cannot be read as a table; the message says why, in words a coordinator can act on."""


SPLIT_IT = "Split it into smaller files, or check that it is the right file."


def check_columns(count: int) -> None:
    """Refuse a table with more than MAX_COLUMNS columns (before any per-column work)."""
    if count > MAX_COLUMNS:
        raise ReadError(
            f"The file has {count:,} columns; at most {MAX_COLUMNS} are supported. "
            "Is it the right file, or is the delimiter wrong?"
        )


def check_header(names: Iterable[object]) -> None:
    """Refuse too many columns, then repeated column names before a reader renames them ('x', 'x.1') and one is
    silently ignored. Linear in the number of names."""
    names = list(names)
    check_columns(len(names))
    cleaned = [str(n).replace("\ufeff", "").strip() for n in names if n is not None and str(n).strip()]
    repeated = sorted(name for name, count in Counter(cleaned).items() if count > 1)
    if repeated:
        raise ReadError(f"Column names appear twice: {', '.join(repeated)}. Each column needs its own name.")


def check_size(rows: int, columns: int, *, at_least: bool = False) -> None:
    """Refuse more than MAX_ROWS rows or MAX_CELLS cells; `at_least` when the reader stopped counting early."""
    more = "at least " if at_least else ""
    if rows > MAX_ROWS:
        raise ReadError(f"The file has {more}{rows:,} rows; at most {MAX_ROWS:,} are supported. {SPLIT_IT}")
    if rows * columns > MAX_CELLS:
        raise ReadError(
            f"The file has {more}{rows:,} rows of {columns:,} columns ({rows * columns:,} cells); at most "
            f"{MAX_CELLS:,} cells are supported. {SPLIT_IT}"
        )


def rows_allowed(columns: int) -> int:
    """The most rows a table of this many columns may have."""
    return min(MAX_ROWS, MAX_CELLS // max(1, columns))


def check_values(count: int, what: str) -> None:
    """Refuse a file that holds more than MAX_CELLS values in all (cells and the items of list cells)."""
    if count > MAX_CELLS:
        raise ReadError(f"The {what} holds {count:,} values; at most {MAX_CELLS:,} are supported. {SPLIT_IT}")


def check_cell(length: int, column: object = None, row: int | None = None, *, at_least: bool = False) -> None:
    """Refuse a cell longer than MAX_CELL_CHARS; row is the spreadsheet row (the header is row 1)."""
    if length > MAX_CELL_CHARS:
        if row is not None:
            where = f"Row {row:,}" + (f", column '{column}'" if column is not None else "")
        else:
            where = f"Column '{column}'" if column is not None else "The file"
        size = f"more than {MAX_CELL_CHARS:,}" if at_least else f"{length:,}"
        raise ReadError(
            f"{where} holds a cell of {size} characters; a cell may hold at most {MAX_CELL_CHARS:,} (the longest "
            "field takes 20,000). Is a quote missing, so that much of the file was read as one cell?"
        )


def check_expanded(size: int, what: str) -> None:
    """Refuse a file that expands to more than MAX_EXPANDED_BYTES."""
    if size > MAX_EXPANDED_BYTES:
        raise ReadError(
            f"The {what} would expand to {size / MB:,.0f} MB; at most {MAX_EXPANDED_BYTES / MB:,.0f} MB are "
            f"supported (a file that unpacks to far more than its size is refused unopened). {SPLIT_IT}"
        )


def check_frame_cells(frame: Any) -> None:
    """Refuse a table (pandas) with a cell longer than MAX_CELL_CHARS, naming its row and column."""
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if column.dtype.kind in "biufcmM":  # numbers and dates: short
            continue
        if column.dtype == object:
            lengths = column.map(lambda v: len(v) if isinstance(v, str) else 0)
        else:
            lengths = column.str.len()
        lengths = lengths.to_numpy(dtype=float, na_value=0)
        if len(lengths) and lengths.max() > MAX_CELL_CHARS:
            index = int((lengths > MAX_CELL_CHARS).argmax())
            check_cell(int(lengths[index]), frame.columns[position], row=index + 2)

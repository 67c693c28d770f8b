"""Reading an uploaded file into a table of text cells, or a clear reason why it cannot be read.

Formats are recognised from the content (not the file name): CSV/TSV text in UTF-8, UTF-16 or Windows-1252
(dashboard.ingest.decoding), XLSX (never macro workbooks or zip bombs), Parquet (dashboard.ingest.parquet_records)
and JSON (dashboard.ingest.json_records). Every cell comes back as text; meaning is checked later. Each reader
measures the file against the input limits (dashboard.ingest.limits) before it builds the table, and any failure of a
reader is a ReadError with a message, never a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.ingest import json_records, parquet_records
from dashboard.ingest.decoding import decode
from dashboard.ingest.limits import (
    MAX_CELL_CHARS,
    MAX_EXPANDED_BYTES,
    MAX_ZIP_RATIO,
    MB,
    ReadError,
    check_cell,
    check_frame_cells,
    check_header,
    check_size,
    rows_allowed,
)

LOG = logging.getLogger(__name__)
# The csv module stops at a cell past the cell limit as soon as it gets there, instead of buffering all of it (a
# 40 MB cell took 380 MB to read); _check_rows turns that into a refusal naming the row.
csv.field_size_limit(MAX_CELL_CHARS)
SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old-style Office file (.xls/.doc); save it as .xlsx or CSV",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"MZ": "a program",
    b"\x7fELF": "a program",
}


@dataclass
class RawTable:
    """The cells of an upload as text, and how they were read."""

    frame: pd.DataFrame
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_upload(name: str, data: bytes, *, sheet: str | None = None, max_bytes: int) -> RawTable:
    """Read an uploaded file (CSV, XLSX, Parquet or JSON) into text cells."""
    if len(data) > max_bytes:
        raise ReadError(_too_big(len(data), max_bytes))
    if not data[: 1 << 16].strip() and not data.strip():
        raise ReadError("The file is empty.")
    for magic, what in SIGNATURES.items():
        if data.startswith(magic):
            raise ReadError(f"This is {what}, not a data file. Upload CSV, XLSX, Parquet or JSON.")
    with _refusal_on_failure(name):
        if data.startswith(b"PK"):
            table = _read_xlsx(data, sheet)
        elif data.startswith(b"PAR1"):
            table = _read_parquet(data)
        elif _looks_like_json(data):
            table = _read_json(data)
        else:
            table = _read_text(data)
        return _tidy(table)


@contextmanager
def _refusal_on_failure(name: str) -> Iterator[None]:
    """Any failure of a reader becomes a ReadError (a refusal with a message), never a traceback in the page."""
    try:
        yield
    except ReadError:
        raise
    except MemoryError:
        raise ReadError(
            "The file needs more memory to read than the server has free. Split it into smaller files."
        ) from None
    except Exception as exc:  # a reader's own failure (a library's error on a malformed file)
        LOG.warning("upload %r could not be read", name, exc_info=True)
        raise ReadError(
            f"The file could not be read: {_first_line(exc)}. Check that it is a CSV, XLSX, "
            "Parquet or JSON file as saved by the program that made it."
        ) from None


def _looks_like_json(data: bytes) -> bool:
    """JSON starts with [ or { once any byte-order mark and white space are skipped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:64].decode("utf-16", errors="ignore")
    else:
        head = data[:64].removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="ignore")
    return head.lstrip()[:1] in ("[", "{")


def _tidy(table: RawTable) -> RawTable:
    frame = table.frame
    check_header(frame.columns)  # the column limit first, then repeated names (linear)
    check_size(len(frame), len(frame.columns))
    columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if not any(columns):
        raise ReadError("The file has no column names in its first row.")
    frame.columns = columns
    frame = frame.fillna("").astype(str)
    frame = frame[~(frame == "").all(axis=1)].reset_index(drop=True)  # blank lines are not rows
    if frame.empty:
        raise ReadError("The file has column names but no rows.")
    table.frame = frame
    return table


def _read_text(data: bytes) -> RawTable:
    fast = _read_plain_csv(data)
    if fast is not None:
        return fast
    text, encoding, notes = decode(data)
    if "\x00" in text or sum(1 for ch in text[:2000] if ord(ch) < 32 and ch not in "\r\n\t") > 20:
        raise ReadError("This does not look like a text (CSV) file: it contains binary data.")
    if "\r" in text:  # Windows and old Mac line ends (no copy of a big text that has none)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        delimiter = ","
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    check_header(header)
    _check_rows(text, delimiter, header)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)  # empty trailing cells, checked above
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                engine="python",
                quotechar='"',
                skip_blank_lines=True,
                on_bad_lines="error",
                index_col=False,
            )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise ReadError(
            f"The file could not be read as CSV: {_first_line(exc)}. Check for unbalanced quotes or "
            "rows with more cells than the header."
        ) from None
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    if delimiter != ",":
        notes.append(f"Columns are separated by {names[delimiter]}s.")
    return RawTable(frame, "CSV", encoding=encoding, delimiter=names[delimiter], notes=notes)


def _read_plain_csv(data: bytes, source: bytes | Path | None = None) -> RawTable | None:
    """The common case read by Arrow's multithreaded parser: comma-separated UTF-8 with one header row, Unix line
    ends and every row as wide as the header. Anything else (other encodings or delimiters, Windows line ends,
    ragged rows, bad quoting) returns None and goes through the careful reader, which explains what is wrong.

    `data` is the whole file, or (with `source`, a path whose bytes were already checked for '\\r') its start."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bom = data[:3] == b"\xef\xbb\xbf"
    body = data.removeprefix(b"\xef\xbb\xbf")
    if b"\n" not in body and source is not None:
        return None  # a header line longer than the sample: let the careful reader deal with it
    first_line = body[: body.find(b"\n")] if b"\n" in body else body
    if (
        (source is None and b"\r" in body)
        or b"\x00" in body[:4096]
        or first_line.count(b",") < max(1, *(first_line.count(d) for d in b";\t|"))
    ):
        return None
    try:
        header = next(csv.reader(io.StringIO(first_line.decode("utf-8"))), [])
        check_header(header)  # before Arrow makes a column of each name
        table = pacsv.read_csv(
            str(source) if isinstance(source, Path) else io.BytesIO(body),
            read_options=pacsv.ReadOptions(block_size=1 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, csv.Error):
        return None
    if table.num_columns != len(header):
        return None
    check_size(table.num_rows, table.num_columns)
    _check_arrow_cells(table)
    frame = table.to_pandas()
    del table
    return RawTable(frame, "CSV", encoding="UTF-8 (with BOM)" if bom else "UTF-8", delimiter="comma")


def _check_arrow_cells(table: object) -> None:
    """Refuse a cell past the cell limit (naming its row and column) before the table becomes Python strings."""
    import pyarrow.compute as pc

    for name, column in zip(table.column_names, table.columns, strict=True):
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py() or 0
        if longest > MAX_CELL_CHARS:
            check_cell(longest, name, row=pc.index(lengths, longest).as_py() + 2)


def read_path(path: Path, *, sheet: str | None = None, max_bytes: int) -> tuple[RawTable, str]:
    """Read an upload from a file on disk (the command line) and return it with its SHA-256.

    A plain CSV file is parsed straight from disk and its bytes are never held in memory at once, so a file of a
    million rows needs no more memory than its table; any other file is read as `read_upload` reads it."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ReadError(_too_big(size, max_bytes))
    digest = hashlib.sha256()
    carriage_return = False
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
        digest.update(head)
        carriage_return = b"\r" in head
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            carriage_return = carriage_return or b"\r" in block
    plain = (
        head.strip()
        and not carriage_return
        and not head.startswith((b"PK", b"PAR1", *SIGNATURES))
        and not _looks_like_json(head)
    )
    with _refusal_on_failure(path.name):
        table = _read_plain_csv(head, path) if plain else None
        if table is not None:
            return _tidy(table), digest.hexdigest()
    return read_upload(path.name, path.read_bytes(), sheet=sheet, max_bytes=max_bytes), digest.hexdigest()


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"The file is {size / MB:.1f} MB; uploads are limited to {max_bytes / MB:.0f} MB "
        "(setting DASHBOARD_MAX_UPLOAD_MB). Split it, or ask an administrator."
    )


def _check_rows(text: str, delimiter: str, header: list[str]) -> None:
    """Before a table is built: refuse rows with more filled cells than the header (they would shift or lose data;
    empty trailing cells from a delimiter at the end of each line are fine), a cell past the cell limit, and more
    rows than the limits allow for this many columns."""
    width, allowed, rows, number = len(header), rows_allowed(len(header)), 0, 0
    try:
        reader = csv.reader(_lines(text), delimiter=delimiter)
        for number, cells in enumerate(reader, start=1):
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                raise ReadError(
                    f"Row {number} has more cells than the header ({len(cells)} cells for {width} "
                    "columns). Check for an unquoted delimiter in a cell, or a missing column name."
                )
            longest = max(map(len, cells), default=0)
            if longest > MAX_CELL_CHARS:
                index = [len(c) for c in cells].index(longest)
                check_cell(longest, header[index] if index < width else f"#{index + 1}", row=number)
            rows += bool(cells)
            if rows - 1 > allowed:
                check_size(rows - 1, width, at_least=True)
    except csv.Error as exc:
        if "field limit" in str(exc):  # the csv module stopped at a cell past the limit (csv.field_size_limit)
            check_cell(MAX_CELL_CHARS + 1, row=number + 1, at_least=True)
        raise ReadError(f"The file could not be read as CSV: {exc}. Check for unbalanced quotes.") from None


def _lines(text: str) -> Iterator[str]:
    """The lines of a text with their line ends, one at a time (io.StringIO would hold a copy at 4 bytes a
    character)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _read_xlsx(data: bytes, sheet: str | None) -> RawTable:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ReadError("The file starts like a ZIP/XLSX file but is damaged.") from None
    infos = archive.infolist()
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ReadError("This is a ZIP archive, not an Excel workbook. Upload the CSV or XLSX inside it.")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ReadError(
            "This workbook contains macros (.xlsm). Macros are never opened: save it as a plain .xlsx or as CSV."
        )
    unzipped = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unzipped > MAX_EXPANDED_BYTES or unzipped / packed > MAX_ZIP_RATIO:
        raise ReadError("This workbook would unpack to an implausible size (a 'zip bomb'); it was not opened.")
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        sheets = list(book.sheet_names)
        chosen = sheet or sheets[0]
        if chosen not in sheets:
            raise ReadError(f"The workbook has no sheet called '{chosen}'. Sheets: {', '.join(sheets)}.")
        declared_rows = book.book[chosen].max_row  # from the sheet's dimension, before any cell is read
        first = pd.read_excel(book, sheet_name=chosen, header=None, nrows=1) if declared_rows else None
        check_header(list(first.iloc[0]) if first is not None else [])  # the column limit before the rows
        width = len(first.columns) if first is not None else 0
        allowed = rows_allowed(width)
        if declared_rows and declared_rows - 1 > allowed:
            check_size(declared_rows - 1, width)
        frame = pd.read_excel(book, sheet_name=chosen, dtype=str, keep_default_na=False, nrows=allowed + 1)
        if len(frame) > allowed:  # the dimension understated the rows: reading stopped one row past the limit
            check_size(len(frame), width, at_least=True)
        check_frame_cells(frame)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"The workbook could not be read: {_first_line(exc)}.") from None
    notes = ["Cells with formulas were read as their last computed values; formulas are never run."]
    if len(sheets) > 1:
        notes.append(f"Read sheet '{chosen}' of {len(sheets)} ({', '.join(sheets)}).")
    return RawTable(frame, "XLSX", sheet=chosen, sheets=sheets, notes=notes)


def _read_parquet(data: bytes) -> RawTable:
    frame = parquet_records.read_frame(data)  # measured from its metadata and dictionaries before it is expanded
    frame = frame.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else _cell(v))
    return RawTable(frame, "Parquet")


def _cell(value: object) -> str:
    if isinstance(value, list | tuple) or (hasattr(value, "tolist") and not isinstance(value, str)):
        items = value.tolist() if hasattr(value, "tolist") else value
        return "; ".join(str(v) for v in items) if isinstance(items, list) else str(items)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def _read_json(data: bytes) -> RawTable:
    text, encoding, notes = decode(data)
    payload = json_records.records(text)  # depth, keys and size measured before any object is built
    del text
    frame = pd.DataFrame(payload)
    frame = frame.map(lambda v: "" if v is None else _cell(v) if not isinstance(v, dict) else json.dumps(v))
    check_frame_cells(frame)
    return RawTable(frame, "JSON", encoding=encoding, notes=notes)

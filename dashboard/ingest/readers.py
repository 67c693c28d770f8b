"""Reading an uploaded file into a table of text cells, or a clear reason why it cannot be read.

Formats are recognised from the content (not the file name): CSV/TSV text in UTF-8, UTF-16 or Windows-1252,
XLSX (never macro workbooks or zip bombs), Parquet and JSON. Every cell comes back as text; meaning is checked later.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

MB = 1024 * 1024
csv.field_size_limit(sys.maxsize)  # a 10 MB cell is read (and refused later by the length check), not a crash
MAX_COLUMNS = 300
MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
MAX_ZIP_RATIO = 100
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


class ReadError(ValueError):
    """The file cannot be read as a table; the message says why, in words a coordinator can act on."""


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
    if data.startswith(b"PK"):
        table = _read_xlsx(data, sheet)
    elif data.startswith(b"PAR1"):
        table = _read_parquet(data)
    elif _looks_like_json(data):
        table = _read_json(data)
    else:
        table = _read_text(data)
    return _tidy(table)


def _looks_like_json(data: bytes) -> bool:
    """JSON starts with [ or { once any byte-order mark and white space are skipped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:64].decode("utf-16", errors="ignore")
    else:
        head = data[:64].removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="ignore")
    return head.lstrip()[:1] in ("[", "{")


def _tidy(table: RawTable) -> RawTable:
    frame = table.frame
    if len(frame.columns) > MAX_COLUMNS:
        raise ReadError(
            f"The file has {len(frame.columns):,} columns; at most {MAX_COLUMNS} are supported. "
            "Is it the right file, or is the delimiter wrong?"
        )
    columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if not any(columns):
        raise ReadError("The file has no column names in its first row.")
    duplicates = sorted({c for c in columns if columns.count(c) > 1 and c})
    if duplicates:
        raise ReadError(f"Column names appear twice: {', '.join(duplicates)}. Each column needs its own name.")
    frame.columns = columns
    frame = frame.fillna("").astype(str)
    frame = frame[~(frame == "").all(axis=1)].reset_index(drop=True)  # blank lines are not rows
    if frame.empty:
        raise ReadError("The file has column names but no rows.")
    table.frame = frame
    return table


def _decode(data: bytes) -> tuple[str, str, list[str]]:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "UTF-16", []
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8", errors="strict"), "UTF-8 (with BOM)", []
    except UnicodeDecodeError as exc:
        encoding = "UTF-8" if data.startswith(b"\xef\xbb\xbf") else "UTF-16"
        raise ReadError(
            f"The file starts with a {encoding} byte-order mark but byte "
            f"{exc.start:,} is not valid in that encoding. Save it again as UTF-8 (CSV UTF-8 in Excel)."
        ) from None
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 4:  # UTF-16 without a BOM
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if text.isprintable() or "\n" in text:
                return text, "UTF-16 (no BOM)", []
    try:
        return data.decode("utf-8"), "UTF-8", []
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        return text, "Windows-1252", ["The file is not UTF-8; it was read as Windows-1252 (Western European)."]


def _read_text(data: bytes) -> RawTable:
    fast = _read_plain_csv(data)
    if fast is not None:
        return fast
    text, encoding, notes = _decode(data)
    if "\x00" in text or sum(1 for ch in text[:2000] if ord(ch) < 32 and ch not in "\r\n\t") > 20:
        raise ReadError("This does not look like a text (CSV) file: it contains binary data.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows and old Mac line ends
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        delimiter = ","
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    _check_header(header)
    _check_row_widths(text, delimiter, len(header))
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
        _check_header(header)
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
    frame = table.to_pandas()
    del table
    return RawTable(frame, "CSV", encoding="UTF-8 (with BOM)" if bom else "UTF-8", delimiter="comma")


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
    table = _read_plain_csv(head, path) if plain else None
    if table is None:
        return read_upload(path.name, path.read_bytes(), sheet=sheet, max_bytes=max_bytes), digest.hexdigest()
    return _tidy(table), digest.hexdigest()


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"The file is {size / MB:.1f} MB; uploads are limited to {max_bytes / MB:.0f} MB "
        "(setting DASHBOARD_MAX_UPLOAD_MB). Split it, or ask an administrator."
    )


def _check_header(names: list[object]) -> None:
    """Refuse repeated column names before a reader renames them ('x', 'x.1') and one is silently ignored."""
    cleaned = [str(n).replace("\ufeff", "").strip() for n in names if n is not None and str(n).strip()]
    repeated = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if repeated:
        raise ReadError(f"Column names appear twice: {', '.join(repeated)}. Each column needs its own name.")


def _check_row_widths(text: str, delimiter: str, width: int) -> None:
    """Refuse rows with more filled cells than the header (they would shift or lose data); empty trailing cells
    from a delimiter at the end of each line are fine."""
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                raise ReadError(
                    f"Row {number} has more cells than the header ({len(cells)} cells for {width} "
                    "columns). Check for an unquoted delimiter in a cell, or a missing column name."
                )
    except csv.Error as exc:
        raise ReadError(f"The file could not be read as CSV: {exc}. Check for unbalanced quotes.") from None


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
    if unzipped > MAX_UNZIPPED_BYTES or unzipped / packed > MAX_ZIP_RATIO:
        raise ReadError("This workbook would unpack to an implausible size (a 'zip bomb'); it was not opened.")
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        sheets = list(book.sheet_names)
        chosen = sheet or sheets[0]
        if chosen not in sheets:
            raise ReadError(f"The workbook has no sheet called '{chosen}'. Sheets: {', '.join(sheets)}.")
        first = pd.read_excel(book, sheet_name=chosen, header=None, nrows=1) if book.book[chosen].max_row else None
        _check_header(list(first.iloc[0]) if first is not None else [])
        frame = pd.read_excel(book, sheet_name=chosen, dtype=str, keep_default_na=False)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"The workbook could not be read: {_first_line(exc)}.") from None
    notes = ["Cells with formulas were read as their last computed values; formulas are never run."]
    if len(sheets) > 1:
        notes.append(f"Read sheet '{chosen}' of {len(sheets)} ({', '.join(sheets)}).")
    return RawTable(frame, "XLSX", sheet=chosen, sheets=sheets, notes=notes)


def _read_parquet(data: bytes) -> RawTable:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:
        raise ReadError(f"The Parquet file could not be read: {_first_line(exc)}.") from None
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
    text, encoding, notes = _decode(data)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"The JSON file is not valid JSON: {exc.msg} at line {exc.lineno}.") from None
    if isinstance(payload, dict):
        lists = [v for v in payload.values() if isinstance(v, list)]
        payload = lists[0] if len(lists) == 1 else [payload]
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise ReadError("The JSON file must hold a list of records (objects), one per row.")
    frame = pd.DataFrame(payload)
    frame = frame.map(lambda v: "" if v is None else _cell(v) if not isinstance(v, dict) else json.dumps(v))
    return RawTable(frame, "JSON", encoding=encoding, notes=notes)

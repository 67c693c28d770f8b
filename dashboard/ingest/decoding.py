"""Decoding an uploaded text file (CSV, JSON): UTF-8, UTF-16 or Windows-1252, line by line where they are mixed.

The rule: a file with a UTF-16 byte-order mark, or that looks like UTF-16 without one, is UTF-16. Otherwise each
line of the file that is valid UTF-8 is read as UTF-8, and each line that is not is read as Windows-1252 (Western
European, the encoding of Excel's "CSV" on Windows). A file where every line with an accent is Windows-1252 gets the
note "not UTF-8"; a UTF-8 file with some Windows-1252 lines (rows pasted in from an older export) gets a note naming
those lines, so that nothing is turned into "ZÃ¼rich" silently and nothing valid is read in the wrong encoding.
"""

from __future__ import annotations

import re

from dashboard.ingest.limits import ReadError

WINDOWS_1252 = "Windows-1252"
NOT_UTF8 = "The file is not UTF-8; it was read as Windows-1252 (Western European)."
_LINE_END = re.compile(rb"(\r\n|\n|\r)")
_NAMED_LINES = 10  # line numbers named in the note; the rest are counted


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """The text of an upload, the encoding it was read in, and notes on any guess that was made."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "UTF-16", []
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"The file starts with a UTF-16 byte-order mark but byte {exc.start:,} is not valid in that encoding. "
            "Save it again as UTF-8 (CSV UTF-8 in Excel)."
        ) from None
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    if not bom:
        sample = data[:4096]
        if sample.count(b"\x00") > len(sample) // 4:  # UTF-16 without a BOM
            for codec in ("utf-16-le", "utf-16-be"):
                try:
                    text = data.decode(codec)
                except UnicodeDecodeError:
                    continue
                if text.isprintable() or "\n" in text:
                    return text, "UTF-16 (no BOM)", []
    utf8 = "UTF-8 (with BOM)" if bom else "UTF-8"
    try:
        return body.decode("utf-8"), utf8, []
    except UnicodeDecodeError as exc:
        return _by_line(body, exc.start, utf8, bom)


def _by_line(body: bytes, first_error: int, utf8: str, bom: bool) -> tuple[str, str, list[str]]:
    """Lines that are UTF-8 as UTF-8, the others as Windows-1252, with a note on which were which."""
    start = max(body.rfind(b"\n", 0, first_error), body.rfind(b"\r", 0, first_error)) + 1
    head = body[:start].decode("utf-8")  # everything before the first line with an error is UTF-8
    line = len(_LINE_END.findall(body[:start])) + 1
    parts = [head]
    accented_utf8 = not head.isascii()
    windows: list[int] = []
    for index, piece in enumerate(_LINE_END.split(body[start:])):
        if index % 2:  # a line end
            parts.append(piece.decode("ascii"))
            line += 1
            continue
        try:
            text = piece.decode("utf-8")
            accented_utf8 = accented_utf8 or not text.isascii()
        except UnicodeDecodeError:
            text = piece.decode("cp1252", errors="replace")
            windows.append(line)
        parts.append(text)
    text = "".join(parts)
    if not accented_utf8:  # every accented line is Windows-1252: the file is, whatever its first bytes say
        note = NOT_UTF8 if not bom else NOT_UTF8.replace("not UTF-8", "not UTF-8 despite its UTF-8 byte-order mark")
        return text, WINDOWS_1252, [note]
    named = ", ".join(str(n) for n in windows[:_NAMED_LINES])
    more = f" and {len(windows) - _NAMED_LINES:,} more" if len(windows) > _NAMED_LINES else ""
    which = f"line {named}, which is" if len(windows) == 1 else f"lines {named}{more}, which are"
    that = "that line was" if len(windows) == 1 else "those lines were"
    note = (
        f"The file is UTF-8 except {which} not; {that} read as Windows-1252 (Western European). "
        "Check the accented letters there."
    )
    return text, f"{utf8} with {WINDOWS_1252} lines", [note]

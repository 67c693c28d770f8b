"""The norm-evidence ledger export: one A4 PDF page and a CSV of every line (no Streamlit)."""

from __future__ import annotations

from dashboard.export import tables
from dashboard.export.ledger.lines import (
    COLUMNS,
    CSV_COLUMNS,
    NO_LINK,
    SECTIONS,
    LedgerLines,
    item_label,
    ledger_frame,
    ledger_lines,
)
from dashboard.export.ledger.pdf import LedgerPdf, render_ledger_pdf

__all__ = [
    "COLUMNS",
    "CSV_COLUMNS",
    "NO_LINK",
    "SECTIONS",
    "LedgerLines",
    "LedgerPdf",
    "file_stem",
    "item_label",
    "ledger_csv",
    "ledger_frame",
    "ledger_lines",
    "render_ledger_pdf",
]


def ledger_csv(lines: LedgerLines) -> bytes:
    """Every line of the ledger as CSV (formulas neutralised, UTF-8 with BOM like every download)."""
    return tables.to_csv_bytes(ledger_frame(lines))


def file_stem(iso3: str, item_id: str) -> str:
    """'ledger_RUS_un-norms-f': the start of the file names (tables.file_name adds the marking and the date)."""
    return f"ledger_{iso3}_{item_id.replace(':', '-')}"

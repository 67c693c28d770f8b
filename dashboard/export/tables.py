"""Downloads: CSV and XLSX of what a page shows, with spreadsheet formulas neutralised and the TLP marking stamped."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.core.tlp import TLP_LABELS

if TYPE_CHECKING:
    from dashboard.ingest.pipeline import Prepared

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


INTEGER_COLUMNS = ("severity",)  # whole numbers that may be missing: written as 3 or empty, never 3.0 or None


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its INTEGER_COLUMNS as nullable integers (a missing severity is 'not rated', an empty cell)."""
    out = frame
    for column in INTEGER_COLUMNS:
        if column in out.columns and not isinstance(out[column].dtype, pd.Int64Dtype):
            values = pd.to_numeric(out[column].replace({"": None, "None": None}), errors="coerce")
            known = values.dropna()
            given = out[column].replace({"": None, "None": None}).notna().sum()
            if len(known) == given and bool((known % 1 == 0).all()):
                out = out.assign(**{column: values.astype("Int64")})
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (CSV injection) with an apostrophe."""
    out = whole_numbers(frame).copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    return out


def file_name(stem: str, tlp: str | None, ext: str, today: dt.date | None = None) -> str:
    """A download name that carries the marking: incidents_TLP-AMBER_2026-11-27.csv."""
    marking = TLP_LABELS[tlp].replace(":", "-") if tlp else "TLP-CLEAR"
    return f"{stem}_{marking}_{(today or dt.date.today()).isoformat()}.{ext}"


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheet programs read accents correctly) of the neutralised frame."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, *, sheet: str, tlp: str | None, title: str) -> bytes:
    """An XLSX workbook: the rows on one sheet, and an About sheet with the marking, title and time."""
    buffer = io.BytesIO()
    about = pd.DataFrame(
        {
            "field": ["marking", "title", "rows", "generated (UTC)"],
            "value": [
                TLP_LABELS[tlp] if tlp else "TLP:CLEAR",
                title,
                len(frame),
                dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
            ],
        }
    )
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralise_formulas(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
        about.to_excel(writer, sheet_name="About", index=False)
    return buffer.getvalue()


def report_csv(prepared: Prepared) -> bytes:
    """An upload's check report as CSV (formulas neutralised), for the coordinator to download."""
    report = prepared.report_frame()
    severity = report["column"] == "severity"
    if severity.any():  # a whole-number severity the spreadsheet gave as 3.0 is written 3, a missing one empty
        report.loc[severity, "value"] = report.loc[severity, "value"].map(_whole_text)
    return to_csv_bytes(report)


def _whole_text(value: object) -> object:
    """'3' for 3, 3.0 or '3.0'; '' for None, NaN or 'None'; anything else unchanged."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value in ("None", "nan", "NaN"):
        return ""
    try:
        number = float(str(value))
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else value

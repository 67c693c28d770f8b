"""Downloads: formulas neutralised in CSV and XLSX, marking carried in the name and the workbook."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from dashboard.export import tables as exports

PAYLOADS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain", "a=b"]


def test_csv_neutralises_formulas_but_not_numbers() -> None:
    frame = pd.DataFrame({"title": PAYLOADS, "severity": [-1, 2, 3, 4, 5, 0, 1]})
    back = pd.read_csv(io.BytesIO(exports.to_csv_bytes(frame)), encoding="utf-8-sig")
    assert back["title"].tolist()[:5] == ["'" + p for p in PAYLOADS[:4]] + ["'\tTAB"]
    assert back["title"].tolist()[5:] == ["plain", "a=b"]
    assert back["severity"].tolist() == [-1, 2, 3, 4, 5, 0, 1]


def test_xlsx_has_rows_and_an_about_sheet_with_the_marking() -> None:
    frame = pd.DataFrame({"title": PAYLOADS})
    data = exports.to_xlsx_bytes(frame, sheet="incidents", tlp="amber", title="Incidents")
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert set(sheets) == {"incidents", "About"}
    assert sheets["incidents"]["title"].tolist()[0] == "'" + PAYLOADS[0]
    about = dict(zip(sheets["About"]["field"], sheets["About"]["value"]))
    assert about["marking"] == "TLP:AMBER" and about["rows"] == len(PAYLOADS)


def test_file_names_carry_the_marking() -> None:
    day = dt.date(2026, 11, 27)
    assert exports.file_name("incidents", "amber+strict", "csv", day) == "incidents_TLP-AMBER+STRICT_2026-11-27.csv"
    assert exports.file_name("x", None, "xlsx", day) == "x_TLP-CLEAR_2026-11-27.xlsx"

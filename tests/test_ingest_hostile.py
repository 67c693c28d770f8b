"""Uploads past the input limits (dashboard/ingest/limits.py), through the path the upload page uses
(pipeline.prepare with the bytes) and the path `python -m dashboard ingest` uses (pipeline.prepare with a file).

The files are built at test time by tests/fixtures/ingest/make_hostile.py (never committed): Parquet files of 5 and
20 million dictionary-encoded rows, a Parquet value that expands a thousandfold, JSON nested 100,000 deep and with
200,000 keys, CSV files with 60,000 and 200,000 columns, a 40 MB cell. Each is refused with a message that says
which limit and by how much, and nothing is written. How fast and in how little memory: `python -m benchmarks.hostile`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from dashboard.ingest import json_records, limits, pipeline, validate
from dashboard.ingest.limits import ReadError
from tests.fixtures.ingest import make_hostile
from tests.test_ingest_corpus import ADMIN, CORPUS, EE, _seed, by_source, table_checksums

MAX_BYTES = 50 * 1024 * 1024
REFUSED = {
    "parquet_5m_rows.parquet": ("The file has 5,000,000 rows; at most 1,000,000 are supported",),
    "parquet_20m_rows.parquet": ("The file has 20,000,000 rows; at most 1,000,000 are supported",),
    "parquet_long_values.parquet": (
        "Column 'description' holds a cell of 2,000,000 characters; a cell may hold at most 1,000,000",
    ),
    "json_100k_deep.json": ("The JSON file is nested 100,002 levels deep; at most 16 are supported",),
    "json_200k_keys.json": ("An object in the JSON file has 200,000 keys; at most 300 are supported",),
    "csv_60k_columns.csv": ("The file has 60,000 columns; at most 300 are supported", "delimiter wrong"),
    "csv_200k_columns.csv": ("The file has 200,000 columns; at most 300 are supported",),
    "csv_40mb_cell.csv": ("Row 2 holds a cell of more than 1,000,000 characters", "Is a quote missing"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile files, built once for this module."""
    folder = tmp_path_factory.mktemp("hostile")
    make_hostile.write(folder)
    return folder


def _upload(engine: Engine, path: Path, via: str, **options) -> pipeline.Prepared:
    source = {"data": path.read_bytes()} if via == "page" else {"path": path}
    return pipeline.prepare(
        engine, ADMIN, layer="incidents", track=EE, file_name=path.name, max_bytes=MAX_BYTES, **source, **options
    )


def _refused(engine: Engine, path: Path, via: str, words: tuple[str, ...], **options) -> str:
    """The upload is refused with all these words in a one-line message, and no table changes."""
    _seed(engine)
    before = table_checksums(engine)
    with pytest.raises(pipeline.UploadRefused) as refused:
        _upload(engine, path, via, **options)
    message = str(refused.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "\n" not in message and "Traceback" not in message
    assert table_checksums(engine) == before, "a refused upload changed the database"
    return message


@pytest.mark.parametrize("via", ["page", "cli"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_file_past_the_input_limits_is_refused(engine: Engine, hostile: Path, name: str, via: str) -> None:
    _refused(engine, hostile / name, via, REFUSED[name])


def test_parquet_limits_are_read_from_the_metadata_before_any_data(
    engine: Engine, hostile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_data(*_args, **_kwargs):
        raise AssertionError("the data of a Parquet file past the limits was read")

    monkeypatch.setattr(pq.ParquetFile, "read", no_data)
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", no_data)
    monkeypatch.setattr(pq, "read_table", no_data)
    _refused(engine, hostile / "parquet_20m_rows.parquet", "page", ("20,000,000 rows",))


@pytest.mark.parametrize(
    ("file", "options"),
    [
        ("valid.csv", {}),  # the fast (Arrow) CSV reader
        ("semicolon.csv", {}),  # the careful CSV reader
        ("two_sheets.xlsx", {"sheet": "Incidents"}),
        ("records.json", {}),
        ("incidents.parquet", {}),
    ],
)
def test_the_cell_limit_holds_for_every_format(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, file: str, options: dict
) -> None:
    monkeypatch.setattr(limits, "MAX_CELLS", 50)  # each file has 3 rows of 18 columns: 54 cells
    message = _refused(engine, CORPUS / file, "page", ("rows of 18 columns", "at most 50 cells"), **options)
    assert "3 rows" in message


def test_the_column_limit_comes_before_the_check_for_repeated_names() -> None:
    with pytest.raises(ReadError, match="The file has 400 columns; at most 300"):
        limits.check_header(["same"] * 400)
    with pytest.raises(ReadError, match="Column names appear twice: a, b"):
        limits.check_header(["b", "a", " a", "c", "b\ufeff", None, ""])
    limits.check_header([f"column_{i}" for i in range(300)])  # at the limit: fine


def test_a_wide_workbook_is_refused_for_its_columns(engine: Engine, tmp_path: Path) -> None:
    from tests.fixtures.ingest.make_corpus import workbook

    path = tmp_path / "wide.xlsx"
    path.write_bytes(workbook({"Sheet": [["same"] * 400, ["x"] * 400]}))
    _refused(engine, path, "page", ("The file has 400 columns; at most 300 are supported",))


def test_a_parquet_file_that_expands_past_the_limit_is_refused(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_EXPANDED_BYTES", 1000)
    _refused(engine, CORPUS / "incidents.parquet", "page", ("The Parquet file would expand to", "MB are supported"))


# ---------------------------------------------------------------------------------------------- the JSON scan


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 17 + "]" * 17, "nested 17 levels deep"),
        ("[{" + ", ".join(f'"k{i}": {i}' for i in range(301)) + "}]", "has 301 keys"),
        ('{"a": [{}, {"b": {' + ", ".join(f'"k{i}": {i}' for i in range(301)) + "}}]}", "has 301 keys"),
    ],
)
def test_the_json_scan_refuses_depth_and_keys(text: str, words: str) -> None:
    with pytest.raises(ReadError, match=words):
        json_records.scan(text)


def test_the_json_scan_ignores_brackets_colons_and_quotes_inside_strings() -> None:
    many = ", ".join(f'\\"k{i}\\": [[[[{i}' for i in range(400)) + "\\\\"
    text = '[{"title": "' + many + '", "x": "{[:,]}\\\\\\"", "y": [[1], [2]]}]'
    json_records.scan(text)  # one record of three keys, 4 deep: within the limits
    assert json_records.records(text)[0]["y"] == [[1], [2]]
    assert json_records.scan("[" * 16 + "]" * 16) is None  # at the depth limit: fine


def test_a_json_file_with_more_records_than_the_limits_allow_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    with pytest.raises(ReadError, match="The file has 3 rows; at most 2 are supported"):
        json_records.records('[{"a": 1}, {"a": 2}, {"a": 3}]')


# ---------------------------------------------------------------------------------------------- values and faults


@pytest.mark.parametrize("via", ["page", "cli"])
def test_an_infinite_severity_is_a_row_error_not_a_traceback(engine: Engine, hostile: Path, via: str) -> None:
    _seed(engine)
    before = table_checksums(engine)
    prepared = _upload(engine, hostile / "severity_inf.csv", via)
    assert table_checksums(engine) == before
    assert [(i.row, i.column, i.level) for i in prepared.issues] == [
        (2, "severity", "error"),
        (3, "severity", "error"),
        (4, "severity", "error"),
    ]
    assert [i.message for i in prepared.issues] == [
        "severity 'inf' is not a finite number",
        "severity '-Infinity' is not a finite number",
        "severity '1e999' is not a finite number",
    ]
    with pytest.raises(pipeline.UploadRefused, match="3 of 4 rows have errors"):
        pipeline.commit(engine, prepared, ADMIN)
    assert table_checksums(engine) == before
    pipeline.commit(engine, prepared, ADMIN, skip_invalid=True)
    assert by_source(engine)["INC-4"]["severity"] == 3


def test_an_infinite_eurepoc_intensity_is_a_row_error(engine: Engine) -> None:
    header = "ID,name,start_date,incident_type,receiver_country,initiator_country,weighted_cyber_intensity\n"
    rows = "".join(
        f"{n},Ministry phishing {n},2021-03-0{n},Data theft,['Ukraine'],['Russia'],{value}\n"
        for n, value in ((1, "inf"), (2, "4.5"))
    )
    data = (header + rows).encode()
    prepared = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=EE, file_name="e.csv", data=data, max_bytes=MAX_BYTES, preset="eurepoc"
    )
    errors = [(i.row, i.message) for i in prepared.issues if i.level == "error"]
    assert errors == [(2, "weighted cyber intensity 'inf' is not a finite number")]


def test_a_utf8_file_with_one_windows_1252_line_is_decoded_line_by_line(engine: Engine, hostile: Path) -> None:
    prepared = _upload(engine, hostile / "utf8_one_cp1252_line.csv", "page")
    assert prepared.checked.rows["title"].tolist() == [
        "Zürich water utility – pumps stopped",
        "Düsseldorf Straße: señal perdida",
        "Kyiv – Київ: énergie coupée",
    ]
    assert prepared.table.encoding == "UTF-8 with Windows-1252 lines"
    assert prepared.table.notes == [
        "The file is UTF-8 except line 3, which is not; that line was read as Windows-1252 (Western European). "
        "Check the accented letters there."
    ]


def test_a_failing_check_is_a_refusal_and_writes_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args, **_kwargs):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setitem(validate.VALIDATORS, "incidents", broken)
    message = _refused(
        engine,
        CORPUS / "valid.csv",
        "page",
        ("The file could not be checked", "OverflowError: cannot convert float infinity to integer", "Nothing was"),
    )
    assert "administrator" in message


@pytest.mark.parametrize(("file", "reader"), [("semicolon.csv", "_read_text"), ("records.json", "_read_json")])
def test_a_failing_reader_is_a_refusal_and_writes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, file: str, reader: str
) -> None:
    from dashboard.ingest import readers

    def broken(*_args, **_kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(readers, reader, broken)
    _refused(engine, CORPUS / file, "page", ("The file could not be read: maximum recursion depth exceeded",))
    _refused(engine, CORPUS / file, "cli", ("The file could not be read: maximum recursion depth exceeded",))


def test_the_hostile_files_are_generated_not_committed() -> None:
    committed = {p.name for p in CORPUS.iterdir()}
    assert not committed & set(make_hostile.HOSTILE)
    assert make_hostile.parquet_rows(1000) == make_hostile.parquet_rows(1000), "the generator must be deterministic"

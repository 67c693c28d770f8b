"""Value tables in a mapping (source value -> our id), the DCID preset on a small made-up workbook, and the code
tables DCID is read through (data/reference/cow_countries.csv, dcid_codes.csv, dcid_severity.csv)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from dashboard.core.access import local_admin
from dashboard.core.vocabulary import read_rows
from dashboard.ingest import dcid, padding, pipeline, presets, value_tables
from tests.conftest import Database
from tests.test_cli import run

ADMIN = local_admin("Dialogue Secretariat")
EE, IP = "eastern-europe", "indo-pacific"
OWN = "Ref,Headline,When,Kind,Victim,Level\n"


# --- the tables themselves (no page, no database) ---------------------------------------------------------------


def test_keys_match_ignoring_case_spaces_and_how_a_whole_number_is_written() -> None:
    assert value_tables.key(" Russia ") == value_tables.key("RUSSIA") == "russia"
    assert value_tables.key("3.0") == value_tables.key("3") == value_tables.key(" 3 ") == "3"
    assert value_tables.key("4.2") == "4.2"


def test_translate_whole_cells_list_items_and_passes_unknown_values_through() -> None:
    table = {"ruritania": "RUS", "3": "disruption"}
    assert value_tables.translate("Ruritania", table, is_list=False) == "RUS"
    assert value_tables.translate("3.0", table, is_list=False) == "disruption"
    assert value_tables.translate("Narnia", table, is_list=False) == "Narnia"  # validation reports it
    assert value_tables.translate("Ruritania; EST", table, is_list=True) == "RUS; EST"
    assert value_tables.translate("['Ruritania', 'Narnia']", table, is_list=True) == "RUS; Narnia"
    assert value_tables.translate("Narnia; EST", table, is_list=True) == "Narnia; EST"  # untouched when none match
    assert value_tables.translate("", table, is_list=True) == ""


def test_apply_writes_new_columns_keeps_the_source_and_leaves_untabled_fields_alone() -> None:
    frame = pd.DataFrame({"Kind": ["DDoS", "Leak", "odd"], "Victim": ["Ruritania", "EST", "Ruritania; LVA"]})
    mapping = {"incident_type": ("Kind",), "target_countries": ("Victim",), "title": ("Kind",)}
    tables = {
        "incident_type": {"ddos": "disruption", "Leak": "hack-and-leak"},
        "target_countries": {"Ruritania": "RUS"},
    }
    out, used = value_tables.apply(frame, mapping, tables, layer="incidents")
    assert used["incident_type"] == ("Kind -> incident_type",) and used["title"] == ("Kind",)
    assert out["Kind -> incident_type"].tolist() == ["disruption", "hack-and-leak", "odd"]
    assert out["Victim -> target_countries"].tolist() == ["RUS", "EST", "RUS; LVA"]
    assert out["Kind"].tolist() == ["DDoS", "Leak", "odd"]  # the source's own values stay
    same, same_map = value_tables.apply(frame, mapping, {"severity": {"x": "1"}}, layer="incidents")
    assert same is frame and same_map is mapping


def test_hand_tables_lay_over_the_presets_and_bad_tables_are_refused_with_an_example() -> None:
    merged = value_tables.merged({"severity": {"1": "1", "2": "1"}}, {"severity": {"2": "2"}, "sectors": {"a": "b"}})
    assert merged == {"severity": {"1": "1", "2": "2"}, "sectors": {"a": "b"}}
    columns, tables = value_tables.split_mapping({"title": "Headline", "values": {"severity": {"High": 3}}})
    assert columns == {"title": "Headline"} and tables == {"severity": {"High": "3"}}
    for bad in ('{"title": "H", "values": ["x"]}', '{"title": "H", "values": {"severity": {"High": ["3"]}}}'):
        with pytest.raises(pipeline.UploadRefused, match=r'"values"|value table'):
            pipeline.read_mapping_file(bad)
    assert pipeline.read_mapping_file('{"title": "H", "values": {"severity": {"High": "3"}}}')["values"]


def test_padding_rows_are_reported_under_their_own_row_numbers() -> None:
    frame = pd.DataFrame({"a": ["x", "0", "y", "0"]})
    kept_frame, kept, dropped = padding.drop(frame, (frame["a"] == "0").to_numpy())
    assert kept_frame["a"].tolist() == ["x", "y"] and kept.tolist() == [2, 4] and dropped == [3, 5]


# --- a hand mapping with value tables, through the pipeline and the CLI ------------------------------------------


def _mapping(values: dict) -> dict:
    return {
        "source_id": "Ref",
        "title": "Headline",
        "start_date": "When",
        "incident_type": "Kind",
        "target_countries": "Victim",
        "severity": "Level",
        "values": values,
    }


def test_a_hand_mapping_with_value_tables_is_applied_before_validation(engine: Engine) -> None:
    data = (
        OWN + "R1,Port outage,2026-10-02,Outage,Ruritania,Grave\n"
        "R2,Phish,2026-10-03,Phish,Ruritania; Baltia,Minor\n"
        "R3,Odd,2026-10-04,Unheard,EST,Grave\n"
    ).encode()
    values = {
        "incident_type": {"Outage": "disruption", "Phish": "espionage"},
        "target_countries": {"Ruritania": "EST", "Baltia": "LVA"},
        "severity": {"grave": "4", "minor": "1"},
    }
    prepared = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=EE, file_name="own.csv", data=data, mapping=_mapping(values),
        max_bytes=10**7,
    )  # fmt: skip
    rows = prepared.checked.rows.set_index("source_id")
    assert rows.loc["R1", "incident_type"] == "disruption" and list(rows.loc["R1", "target_countries"]) == ["EST"]
    assert list(rows.loc["R2", "target_countries"]) == ["EST", "LVA"] and rows.loc["R2", "severity"] == 1
    assert rows.loc["R1", "severity"] == 4
    assert prepared.mapped_by_hand and "with your column mapping" in prepared.format_label
    # "Unheard" is in no table: it passes through and is checked as it is (no silent mapping)
    assert any(i.row == 4 and "Unheard" in i.value for i in prepared.issues)


def test_cli_mapping_file_with_a_value_table(database: Database, tmp_path: Path) -> None:
    assert run("init", url=database.url).returncode == 0
    own = tmp_path / "own_codes.csv"
    own.write_text(OWN + "R1,Port outage,2026-10-02,D,Ruritania,5\nR2,Phish,2026-10-03,E,EST,2\n")
    mapping = tmp_path / "mapping.json"
    values = {"incident_type": {"D": "disruption", "E": "espionage"}, "target_countries": {"Ruritania": "LVA"}}
    mapping.write_text(json.dumps(_mapping(values)))
    done = run("ingest", "incidents", str(own), "--track", EE, "--mapping", str(mapping), url=database.url)
    assert done.returncode == 0, done.stderr
    assert "2 rows stored" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_mapping({"incident_type": "disruption"})))
    refused = run("ingest", "incidents", str(own), "--track", EE, "--mapping", str(bad), url=database.url)
    assert refused.returncode == 1 and "value table" in refused.stderr


# --- DCID: code tables and the preset on a made-up workbook --------------------------------------------------------


def test_cow_table_covers_dcids_states_with_known_iso3_codes() -> None:
    cow = dcid.cow_to_iso3()
    iso3 = {r["iso3"] for r in read_rows("countries.csv")}
    assert len(cow) >= 190 and set(cow.values()) <= iso3
    assert len(set(cow.values())) == len(cow)  # one COW state per country
    known = {
        "2": "USA", "20": "CAN", "200": "GBR", "220": "FRA", "255": "DEU", "365": "RUS", "369": "UKR", "370": "BLR",
        "366": "EST", "367": "LVA", "368": "LTU", "290": "POL", "359": "MDA", "372": "GEO", "371": "ARM",
        "373": "AZE", "630": "IRN", "666": "ISR", "652": "SYR", "710": "CHN", "713": "TWN", "731": "PRK",
        "732": "KOR", "740": "JPN", "750": "IND", "770": "PAK", "900": "AUS", "920": "NZL", "840": "PHL",
        "816": "VNM", "850": "IDN", "820": "MYS", "830": "SGP", "800": "THA", "775": "MMR", "811": "KHM",
        "812": "LAO", "835": "BRN", "640": "TUR", "645": "IRQ", "660": "LBN", "670": "SAU", "692": "BHR",
        "700": "AFG",
    }  # fmt: skip
    assert {k: cow[k] for k in known} == known


def test_dcid_code_tables_name_our_ids_and_every_severity_has_a_reason() -> None:
    types = {r["id"] for r in read_rows("incident_types.csv")}
    sectors = {r["id"] for r in read_rows("sectors.csv")}
    for row in read_rows("dcid_codes.csv"):
        assert row["reason"].strip()
        allowed = types if row["field"] == "incident_type" else sectors
        assert row["our_value"] in allowed, row
    bands = read_rows("dcid_severity.csv")
    assert [int(b["dcid_severity"]) for b in bands] == list(range(1, 11))
    levels = [int(b["severity"]) for b in bands]
    assert levels == sorted(levels) and set(levels) <= set(range(6)) and all(b["why"].strip() for b in bands)


def test_target_is_the_other_state_of_the_dyad() -> None:
    assert dcid.other_state("2365", "2") == "365" and dcid.other_state("2365", "365") == "2"
    assert dcid.other_state("710732", "732") == "710"
    assert dcid.other_state("640645", "630").startswith("unknown")


def _workbook() -> bytes:
    first = pd.DataFrame(
        {
            "Cyberincidentnum": [1, 2, 3],
            "Dyadpair": [2365, 365369, 630666],
            "StateA": ["US", "Russia", "Iran"],
            "StateB": ["Russia", "Ukraine", "Israel"],
            "Name": ["Probe", "Grid attack", "Wiper"],
            "interactionstartdate": pd.to_datetime(["2015-01-02", "2015-12-23", "2020-05-01"]),
            "interactionenddate": pd.to_datetime(["2015-02-01", "2015-12-24", None]),
            "method": [3.0, 4.1, 4.2],
            "targettype": [2, 1, 3],
            "initiator": [2, 365, 630],
            "cyber_objective": [2, 4, 1],
            "severity": [3, 6, 4],
            "Ransomware": [0, 0, 1],
            "Sources1": ["https://example.org/a", "", ""],
        }
    )
    second = pd.DataFrame(
        {
            "Cyberincidentnum": [1, 1, 2],
            "Dyadpair": [2365, 2365, 2365],
            "StateA": ["US", "US", "US"],
            "StateB": ["Russia", "Russia", "Russia"],
            "Name": ["Probe", "Duke", "No Cyber"],
            "interactionstartdate": pd.to_datetime(["2015-01-02", "2015-03-02", "2015-04-01"]),
            "method": [3.0, 2.0, 0.0],
            "targettype": [2, 2, 0],
            "initiator": [2, 365, 2],
            "target": [365, 2, 365],
            "cyber_objective": [2, 1, 0],
            "severity": [3, 2, 0],
        }
    )
    out = io.BytesIO()
    with pd.ExcelWriter(out) as writer:
        first.to_excel(writer, sheet_name="public", index=False)
        second.to_excel(writer, sheet_name="update", index=False)
    return out.getvalue()


def test_dcid_preset_reads_both_sheets_through_its_tables(engine: Engine) -> None:
    data = _workbook()
    first = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=EE, file_name="dcid.xlsx", data=data, sheet="public", max_bytes=10**7
    )
    assert first.preset is presets.DCID  # recognised by its headers
    rows = first.checked.rows.set_index("source_id")
    assert list(rows.loc["1", "target_countries"]) == ["RUS"] and list(rows.loc["1", "initiator_countries"]) == ["USA"]
    assert rows.loc["1", "incident_type"] == "espionage" and rows.loc["1", "severity"] == 2
    assert list(rows.loc["1", "sectors"]) == ["government"]
    original = rows.loc["1", "original"]  # the source's codes are kept with the record, beside their translation
    assert original["severity"] == "3" and original["severity -> severity"] == "2" and original["initiator"] == "2"
    assert list(rows.loc["2", "target_countries"]) == ["UKR"] and rows.loc["2", "incident_type"] == "disruption"
    assert rows.loc["2", "severity"] == 4 and list(rows.loc["2", "sectors"]) == ["private-sector"]
    assert rows.loc["3", "incident_type"] == "ransomware"  # the Ransomware flag outranks the method
    assert str(rows.loc["2", "start_date"]) == "2015-12-23" and str(rows.loc["2", "end_date"]) == "2015-12-24"
    assert first.counts["outside"] == 1  # Iran-Israel involves no member of Eastern Europe
    second = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=EE, file_name="dcid.xlsx", data=data, sheet="update", max_bytes=10**7
    )
    counts = second.counts
    assert counts["total"] == 3 and counts["padding"] == 1 and counts["errors"] == 0 and counts["valid"] == 2
    assert [(i.row, i.level) for i in second.issues] == [(4, padding.PADDING)]
    assert sorted(second.checked.rows["source_id"]) == ["1/Duke", "1/Probe"]  # the number repeats in this sheet
    indo = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=IP, file_name="dcid.xlsx", data=data, preset="dcid", sheet="update",
        max_bytes=10**7,
    )  # fmt: skip
    assert indo.counts["valid"] == 2  # the United States is in the Indo-Pacific track


def test_a_whole_number_too_large_for_a_float_is_matched_as_written() -> None:
    """Issue 12: '1' * 400 raised OverflowError (a traceback on the page) before validation could refuse it."""
    assert value_tables.key("1" * 400) == "1" * 400
    assert value_tables.key(" 12.0 ") == "12"

"""Responses to incidents (dashboard.ingest.responses): hand-made rows for the keyword table and missing values, and
the real public exports in ../shared/datasets/ (never copied into the repository; each file is read once for the
module, and its tests skip with a message when it is absent). The exports are third-party: EuRepoC, CFR Cyber
Operations Tracker, DCID 2.0 (see ../shared/datasets/README.md for their licences).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pycountry
import pytest

from dashboard import PROJECT_ROOT
from dashboard.core.vocabulary import read_rows
from dashboard.ingest import dcid
from dashboard.ingest.event_lists import count_of, split_top
from dashboard.ingest.responses import (
    CFR_KINDS,
    CFR_NOT_RESPONSES,
    DCID_COLUMNS,
    KIND_NAMES,
    KINDS,
    LAYERS,
    Response,
    cfr_responses,
    dcid_responses,
    eurepoc_kind,
    eurepoc_responses,
    responses_of,
)

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
EUREPOC = DATASETS / "EuRepoC_Global_Database_1.1.csv"
CFR = DATASETS / "CFR_cyber_operations_incidents_2005-2022.csv"
DCID = DATASETS / "DCID_2.0_Release_update_February_2023.xlsx"
PUBLIC, UPDATE = "DCID_2.0_Release_public_June_20", "DCID_2.0_Release_update_Februar"
ISO3 = {c.alpha_3 for c in pycountry.countries} | {r["iso3"] for r in read_rows("countries.csv")}


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"the real export {path.name} is not in {DATASETS} (see ../shared/datasets/README.md)")


@pytest.fixture(scope="module")
def eurepoc() -> pd.DataFrame:
    _need(EUREPOC)
    return pd.read_csv(EUREPOC, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def cfr() -> pd.DataFrame:
    _need(CFR)
    return pd.read_csv(CFR, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def dcid_sheets() -> dict[str, pd.DataFrame]:
    _need(DCID)
    return pd.read_excel(DCID, sheet_name=[PUBLIC, UPDATE], dtype=str, keep_default_na=False)


def _events(frame: pd.DataFrame, preset: str) -> list[tuple[dict, list[Response]]]:
    return [(row, responses_of(preset, row)) for row in frame.to_dict("records")]


def _check_well_formed(events: list[Response]) -> None:
    for event in events:
        assert event.kind in KINDS, event
        assert event.layer in LAYERS, event
        assert event.date is None or isinstance(event.date, dt.date), event
        assert event.responder_country == "" or event.responder_country in ISO3, event
        assert not (event.responder_country and event.responder_region), event
        assert all(part in ISO3 for part in event.target.split("; ") if event.target), event
        assert event.responder or event.date or event.source_kind or event.link or event.target, f"empty: {event}"


# ---------------------------------------------------------------------------------------------------------------
# Hand-made rows
# ---------------------------------------------------------------------------------------------------------------


def test_kinds_have_one_display_name_each() -> None:
    assert tuple(KIND_NAMES) == KINDS
    assert KIND_NAMES["demarche"] == "Démarche"
    assert Response(None, "", "", "", "sanctions", "", "", "", "legal").kind_name == "Sanctions"


@pytest.mark.parametrize(
    ("response_type", "subcode", "kind"),
    [
        ("State Actors: Stabilizing measures", "Statement by head of state/head of government", "statement"),
        ("EU member states: Stabilizing measures", "Statements by foreign ministers", "statement"),
        ("EU: Stabilizing measures", "Declaration of HR", "statement"),
        ("Peaceful means: Retorsion (International Law)", "Economic sanctions", "sanctions"),
        ("Peaceful means: Retorsion (International Law)", "Severance of diplomatic relations", "expulsion"),
        ("State Actors: Cooperative measures", "Diplomatic protest notes", "demarche"),
        ("", "Summoning of the ambassador", "demarche"),
        ("", "Démarche", "demarche"),
        ("", "Diplomats expelled", "expulsion"),
        ("", "Expulsion of diplomats", "expulsion"),
        ("", "Indictment of GRU officers", "indictment"),
        ("", "Criminal charges", "indictment"),
        ("", "Arrest of suspects", "indictment"),
        ("Other legal measures on national level (e.g. law enforcement investigations, arrests)", "", "other"),
        ("State Actors: Preventive measures", "Awareness raising", "other"),
        ("State Actors: Stabilizing measures", "", "other"),  # the type alone says nothing of the measure
        ("N", "", "other"),
        ("", "", "other"),
    ],
)
def test_eurepoc_keyword_table(response_type: str, subcode: str, kind: str) -> None:
    assert eurepoc_kind(response_type, subcode) == kind


def _eurepoc_row(layer: str = "political", count: str = "1", **cells: str) -> dict[str, str]:
    fields = ("date", "type", "type_subcode", "country", "actor")
    row = {f"{layer}_response_{f}": "" for f in fields}
    row |= {f"{layer}_response_{f}": v for f, v in cells.items()}
    return {f"number_of_{layer}_responses": count, **row}


def test_eurepoc_missing_values_and_empty_rows() -> None:
    assert eurepoc_responses({}) == []
    assert eurepoc_responses(_eurepoc_row(count="0")) == []
    # counted, but every item missing in one of the ways EuRepoC writes it
    missing = _eurepoc_row(
        count="2", date="Not available; ", type="Not available; none", country="Unknown; ", actor="; Not available"
    )
    assert eurepoc_responses(missing) == []
    # stray cells in rows that count none: a lone country, a lone label (EuRepoC IDs 1797, 2053)
    assert eurepoc_responses(_eurepoc_row(count="0", country="Russia")) == []
    assert eurepoc_responses(_eurepoc_row("legal", "0", type="No justification under IL")) == []
    # an uncounted item that names who and what is kept (EuRepoC IDs 1859, 1889)
    kept = eurepoc_responses(_eurepoc_row("legal", "0", type="Economic sanctions", country="Italy"))
    assert [(e.kind, e.responder_country, e.layer, e.date) for e in kept] == [("sanctions", "ITA", "legal", None)]


def test_eurepoc_items_line_up_and_dates_parse() -> None:
    row = _eurepoc_row(
        count="3",
        date="2023-01-30 00:00:00; NaT; Not available",
        type="State Actors: Stabilizing measures; EU: Stabilizing measures; N",
        type_subcode="Statement by minister of foreign affairs; Declaration of HR; ",
        country="Korea, Republic of; EU (region); ",
        actor="Ministry (Seoul; KOR); HR/VP; Some agency",
    )
    events = eurepoc_responses(row)
    assert [(e.date, e.responder, e.responder_country, e.responder_region, e.kind) for e in events] == [
        (dt.date(2023, 1, 30), "Korea, Republic of", "KOR", "", "statement"),
        (None, "EU (region)", "", "EU (region)", "statement"),
        (None, "Some agency", "", "", "other"),  # no country: the actor names the responder
    ]
    assert events[0].source_kind == "State Actors: Stabilizing measures / Statement by minister of foreign affairs"
    assert events[2].source_kind == "N"
    _check_well_formed(events)


def test_cfr_keywords_on_hand_made_cells() -> None:
    def one(response: str, sponsor: str = "Russian Federation") -> list[tuple[str, str, str, str]]:
        return [
            (e.kind, e.source_kind, e.target, e.link) for e in cfr_responses({"Response": response, "Sponsor": sponsor})
        ]

    url = "https://home.treasury.gov/news/press-releases/sm0410"
    assert one(f"Sanctions   {url}") == [("sanctions", "Sanctions", "RUS", url)]
    assert one("Denouncement", "China, Russian Federation") == [("statement", "Denouncement", "CHN; RUS", "")]
    assert one("Criminal charges   https://x.example/a?b=1&amp;c=2") == [
        ("indictment", "Criminal charges", "RUS", "https://x.example/a?b=1&c=2")
    ]
    assert one("Hack Back   https://x.example/", "Iran (Islamic Republic of)")[0][:3] == ("other", "Hack Back", "IRN")
    assert one("Sanctions", "Government, Military") == [("sanctions", "Sanctions", "", "")]  # a misaligned Sponsor
    # not responses by others (see CFR_NOT_RESPONSES), nothing known, missing, or a misaligned cell
    for cell in ("Denial   https://x.example/", "Confirmation", "Unknown", "", " Pakistan", "Not available"):
        assert one(cell) == [], cell
    assert {"denial", "confirmation"} <= set(CFR_NOT_RESPONSES)
    assert not set(CFR_NOT_RESPONSES) & set(CFR_KINDS)
    # CFR does not name the responder, nor date the response
    (event,) = cfr_responses({"Response": "Sanctions", "Sponsor": "China", "Date": "3/15/2018"})
    assert (event.responder, event.responder_country, event.date, event.layer) == ("", "", None, "political")


def test_dcid_hand_made_rows() -> None:
    base = {"Dyadpair": "2365", "StateA": "US", "StateB": "Russia", "initiator": "365", "target": "2"}
    base |= {"method": "3", "targettype": "2", "cyber_objective": "3"}
    base |= {column: "0" for column in DCID_COLUMNS}
    assert dcid_responses(base) == []
    row = base | {"Eemb/sanc-": "2", "Dthreat/demand-": "5", "Cyber_escalation": "1", "Dnegotiate+": "17"}
    events = dcid_responses(row)
    assert [(e.source_kind, e.kind) for e in events] == [
        ("Dthreat/demand-", "demarche"),
        ("Eemb/sanc-", "sanctions"),
        ("Cyber_escalation", "other"),
    ]
    assert {(e.responder, e.responder_country, e.target, e.date) for e in events} == {("US", "USA", "RUS", None)}
    padding = row | {"method": "0", "targettype": "0", "cyber_objective": "0"}  # "No Cyber": no incident
    assert dcid_responses(padding) == []
    assert dcid_responses({"Dyadpair": "2365", "initiator": "365", "method": "3"}) == []  # the public sheet


def test_responses_of_dispatches_on_the_preset() -> None:
    row = {"Response": "Sanctions", "Sponsor": "China"}
    assert responses_of("cfr", row) == cfr_responses(row)
    assert responses_of("eurepoc", {}) == [] and responses_of("dcid", {}) == []
    with pytest.raises(ValueError, match="template"):
        responses_of("template", row)


# ---------------------------------------------------------------------------------------------------------------
# EuRepoC 1.1
# ---------------------------------------------------------------------------------------------------------------

# Every type and subcode in EuRepoC 1.1's response columns, with the kind we give it (a subcode decides over the
# bare type it comes with; a bare type alone is "other").
EUREPOC_LABELS = {
    "Statement by other ministers/members of parliament": "statement",
    "Statement by head of state/head of government": "statement",
    "Statement by minister of foreign affairs": "statement",
    "Statement by secretary-general or similar": "statement",
    "Statements by foreign ministers": "statement",
    "Declaration of HR": "statement",
    "Diplomatic protest notes": "demarche",
    "Economic sanctions": "sanctions",
    "Severance of diplomatic relations": "expulsion",
    "Awareness raising": "other",
    "Parliamentary investigation committee": "other",
    "Capacity building in third countries": "other",
    "Resignation": "other",
    "Confidence and security-building Dialogues": "other",
    "Legislative initiative": "other",
    "Removal from office": "other",
    "Other legal measures on national level (e.g. law enforcement investigations, arrests)": "other",
    "Proclamation of public emergency (national level)": "other",
    "No justification under IL": "other",
}


def test_eurepoc_labels_in_the_file_are_mapped_sensibly(eurepoc: pd.DataFrame) -> None:
    print()
    seen = set()
    for layer in LAYERS:
        for column in (f"{layer}_response_type", f"{layer}_response_type_subcode"):
            counts = Counter(item for cell in eurepoc[column] for item in split_top(cell))
            print(f"{column}:")
            for label, n in counts.most_common():
                kind = eurepoc_kind("", label)
                print(f"  {n:4d}  {label!r:95s} -> {kind}")
                seen.add(label)
                if label in EUREPOC_LABELS:
                    assert kind == EUREPOC_LABELS[label], label
                else:  # a bare type ("State Actors: Stabilizing measures"), "N", "Not available" or empty
                    assert kind == "other", label
    assert set(EUREPOC_LABELS) <= seen  # the table above describes this file, not an imagined one
    events = [e for _, found in _events(eurepoc, "eurepoc") for e in found]
    kinds = {e.source_kind: e.kind for e in events}
    print("type / subcode pairs of the events:")
    for label, n in Counter(e.source_kind for e in events).most_common():
        print(f"  {n:4d}  {label!r:120s} -> {kinds[label]}")


def test_notpetya_responses(eurepoc: pd.DataFrame) -> None:
    (row,) = eurepoc[eurepoc["ID"] == "1032"].to_dict("records")
    events = responses_of("eurepoc", row)
    political = [e for e in events if e.layer == "political"]
    legal = [e for e in events if e.layer == "legal"]
    assert len(political) >= 6 and len(legal) >= 3
    found = {(e.layer, e.kind, e.responder_country or e.responder_region, e.date) for e in events}
    assert {
        ("legal", "sanctions", "EU (region)", dt.date(2020, 7, 30)),
        ("legal", "sanctions", "USA", dt.date(2018, 3, 15)),
        ("political", "statement", "USA", dt.date(2018, 2, 15)),
        ("political", "statement", "GBR", dt.date(2018, 2, 15)),
        ("political", "statement", "CAN", dt.date(2018, 2, 16)),
        ("political", "statement", "AUS", dt.date(2018, 2, 16)),
        ("political", "statement", "NZL", dt.date(2018, 2, 16)),
    } <= found
    uk = next(e for e in events if e.responder_country == "GBR")
    assert uk.responder == "United Kingdom"
    assert (
        uk.source_kind == "EU member states: Stabilizing measures / Statement by other ministers/members of parliament"
    )


def test_eurepoc_counts_are_covered(eurepoc: pd.DataFrame) -> None:
    print()
    events = _events(eurepoc, "eurepoc")
    for layer in LAYERS:
        counted = [(row, found) for row, found in events if count_of(row[f"number_of_{layer}_responses"]) > 0]
        covered = [
            row["ID"]
            for row, found in counted
            if sum(e.layer == layer for e in found) >= count_of(row[f"number_of_{layer}_responses"])
        ]
        short = sorted({row["ID"] for row, _ in counted} - set(covered))
        total = sum(e.layer == layer for _, found in events for e in found)
        print(
            f"{layer}: {len(covered)}/{len(counted)} rows with responses covered "
            f"({len(covered) / len(counted):.1%}), {total} events, short: {short}"
        )
        assert len(covered) >= 0.9 * len(counted)


def test_eurepoc_events_are_well_formed(eurepoc: pd.DataFrame) -> None:
    events = [e for _, found in _events(eurepoc, "eurepoc") for e in found]
    assert events
    _check_well_formed(events)
    print(f"\nEuRepoC kinds: {Counter((e.layer, e.kind) for e in events)}")


# ---------------------------------------------------------------------------------------------------------------
# CFR Cyber Operations Tracker
# ---------------------------------------------------------------------------------------------------------------


def test_cfr_kinds_over_the_file(cfr: pd.DataFrame) -> None:
    events = _events(cfr, "cfr")
    found = [e for _, evs in events for e in evs]
    keywords = Counter(" ".join(c.split("http")[0].split()) for c in cfr["Response"])
    print(f"\nCFR Response keywords: {dict(keywords.most_common())}")
    print(f"CFR kinds: {dict(Counter(e.kind for e in found).most_common())}")
    print(f"CFR targets: {dict(Counter(e.target for e in found).most_common())}")
    _check_well_formed(found)
    assert Counter(e.kind for e in found) == {
        kind: sum(n for word, n in keywords.items() if CFR_KINDS.get(word.casefold()) == kind)
        for kind in set(CFR_KINDS.values())
    }
    for row, evs in events:  # Denial and Confirmation rows give nothing
        if row["Response"].split()[:1] in (["Denial"], ["Confirmation"]):
            assert evs == [], row["Title"]
    assert all(e.responder == "" and e.date is None for e in found)


def test_cfr_sanctions_target_the_sponsor(cfr: pd.DataFrame) -> None:
    (row,) = cfr[cfr["Title"] == "Compromise of Sony Pictures Entertainment"].to_dict("records")
    (event,) = responses_of("cfr", row)
    assert (event.kind, event.target) == ("sanctions", "PRK")  # Sponsor "Korea (Democratic People's Republic of)"
    assert event.link.startswith("https://www.whitehouse.gov/")
    sanctions = [(row, evs) for row, evs in _events(cfr, "cfr") if row["Response"].startswith("Sanctions")]
    assert len(sanctions) >= 5
    for row, evs in sanctions:
        assert [e.kind for e in evs] == ["sanctions"] and evs[0].target, row["Title"]


def test_cfr_misaligned_rows_give_no_response(cfr: pd.DataFrame) -> None:
    # 43 rows have shifted cells; their Response holds a sponsor or a victim ("Pakistan", "Norwegian politicians")
    shifted = cfr[cfr["Title"].isin(["Chrysene", "Targeting of Hungary's foreign ministry networks"])]
    assert len(shifted) == 2
    assert all(responses_of("cfr", row) == [] for row in shifted.to_dict("records"))


# ---------------------------------------------------------------------------------------------------------------
# DCID 2.0
# ---------------------------------------------------------------------------------------------------------------


def test_dcid_responses_from_the_update_sheet(dcid_sheets: dict[str, pd.DataFrame]) -> None:
    update = dcid_sheets[UPDATE]
    events = _events(update, "dcid")
    found = [e for _, evs in events for e in evs]
    assert found
    _check_well_formed(found)
    print("\nDCID column -> kind (rows of the update sheet with the flag set, events):")
    kinds = Counter(e.source_kind for e in found)
    for column, kind in DCID_COLUMNS.items():
        print(f"  {column:18s} -> {kind:10s} {kinds[column]:4d}")
    print(f"DCID kinds: {dict(Counter(e.kind for e in found).most_common())}")
    padding = dcid.padding(update)
    assert all(not evs for (_, evs), pad in zip(events, padding, strict=True) if pad)  # "No Cyber" rows
    assert all(e.responder_country and e.target and e.responder_country != e.target for e in found)
    # Agent.bz/CENTCOM: Russia (365) on the US (2), escalation in cyberspace afterwards
    (row,) = update[update["Name"].str.strip() == "Agent.bz/CENTCOM"].to_dict("records")
    assert {(e.responder, e.responder_country, e.target, e.kind, e.source_kind) for e in dcid_responses(row)} >= {
        ("US", "USA", "RUS", "other", "Cyber_escalation")
    }
    assert all(not evs for _, evs in _events(dcid_sheets[PUBLIC], "dcid"))  # no response columns there

"""The sources' sector labels to ours (data/reference/sector_crosswalk.csv): every label is mapped or reported.

The tests on the real exports in ../shared/datasets/ skip with a message when that folder is absent.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard import PROJECT_ROOT
from dashboard.core.access import local_admin
from dashboard.core.vocabulary import load, read_rows
from dashboard.ingest import pipeline
from dashboard.ingest.issues import UNMATCHED, RowCheck, Validated
from dashboard.ingest.normalise import _fold
from dashboard.ingest.presets import CFR as CFR_PRESET
from dashboard.ingest.presets import EUREPOC as EUREPOC_PRESET
from dashboard.ingest.sectors import (
    GENERAL_CI,
    SEPARATORS,
    UNMATCHED_KEY,
    cell_labels,
    crosswalk,
    label_ids,
    source_sectors,
)
from dashboard.ingest.validate import validate
from dashboard.ops.bootstrap import initialise
from dashboard.store.models import Incident, IncidentSector
from tests.conftest import HOST_ORG, Database

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
EUREPOC = DATASETS / "EuRepoC_Global_Database_1.1.csv"
CFR = DATASETS / "CFR_cyber_operations_incidents_2005-2022.csv"
TRACK = "eastern-europe"
SECTORS = {s["id"]: s for s in load("sectors.csv")}
CRITICAL = {k for k, s in SECTORS.items() if s["critical_infrastructure"]}
real_exports = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists()),
    reason=f"the real exports are not in {DATASETS} (see ../shared/datasets/README.md)",
)


def _ids() -> set[str]:
    return set(SECTORS)


def _by_name() -> dict[str, str]:
    return {_fold(s["name"]): k for k, s in SECTORS.items()}


def _row(cells: dict[str, str], columns: tuple[str, ...]) -> RowCheck:
    return RowCheck(2, cells, {"sectors": columns})


# -- the crosswalk file -----------------------------------------------------------------------------------------------


def test_every_crosswalk_sector_id_exists_and_every_row_says_why() -> None:
    rows = read_rows("sector_crosswalk.csv")
    assert {r["source"] for r in rows} >= {"eurepoc", "cfr"}
    keys = [(r["source"], _fold(r["label"])) for r in rows]
    assert len(keys) == len(set(keys)), "a label is listed twice for one source"
    for r in rows:
        ids = [s.strip() for s in r["sector_ids"].split(";") if s.strip()]
        assert set(ids) <= set(SECTORS), f"{r['label']!r} names unknown sector ids {ids}"
        assert r["note"].strip(), f"{r['label']!r} has no note"


def test_new_sector_ids_are_flagged_truthfully() -> None:
    assert SECTORS[GENERAL_CI]["critical_infrastructure"] is True
    for sid in ("private-sector", "individuals", "international-organisation", "political-parties", "intelligence"):
        assert SECTORS[sid]["critical_infrastructure"] is False and SECTORS[sid]["name"]


# -- the rule, on small cells -----------------------------------------------------------------------------------------


def test_list_literal_cells_keep_blank_entries_in_place() -> None:
    assert cell_labels("[['Critical infrastructure', 'Media'], ['Social groups']]") == [
        "Critical infrastructure",
        "Media",
        "Social groups",
    ]
    assert cell_labels("[['Energy', ''], ['Not available']]") == ["Energy", "", ""]
    assert cell_labels("Government, Private sector", SEPARATORS["cfr"]) == ["Government", "Private sector"]
    assert cell_labels("") == [] and cell_labels("Not available") == []


@pytest.mark.parametrize(
    ("subcode", "category", "expected"),
    [
        ("[['Energy']]", "[['Critical infrastructure']]", ["energy"]),  # a CI subcode: no general CI id
        ("[['Defence industry']]", "[['Critical infrastructure']]", ["defence", GENERAL_CI]),  # defence is not CI
        ("[['']]", "[['Critical infrastructure']]", [GENERAL_CI]),
        ("[['', 'Energy']]", "[['Critical infrastructure', 'Critical infrastructure']]", ["energy"]),
        ("[['Police']]", "[['State institutions / political system']]", ["law-enforcement"]),  # the subcode decides
        ("", "[['State institutions / political system', 'Media']]", ["government", "media"]),
        (
            "",
            "[['Corporate Targets (corporate targets only coded if the respective company is not part of the "
            "critical infrastructure definition)']]",
            ["private-sector"],
        ),
    ],
)
def test_eurepoc_receivers_pair_category_and_subcode(subcode: str, category: str, expected: list[str]) -> None:
    row = _row(
        {"receiver_category_subcode": subcode, "receiver_category": category},
        ("receiver_category_subcode", "receiver_category"),
    )
    found, unmatched = source_sectors(row, "eurepoc", _ids(), _by_name())
    assert found == expected and unmatched == [] and row.issues == []


def test_an_unmatched_label_is_reported_once_per_row_and_returned() -> None:
    row = _row({"receiver_category": "[['Other', 'Media', 'Other']]"}, ("receiver_category",))
    found, unmatched = source_sectors(row, "eurepoc", _ids(), _by_name())
    assert found == ["media"] and unmatched == ["Other"]
    assert [(i.level, i.value) for i in row.issues] == [(UNMATCHED, "'Other'")]


def test_cfr_categories_split_on_commas_and_web_addresses_are_warned_not_mapped() -> None:
    row = _row({"Category": "Government, Private sector, Civil society, Military"}, ("Category",))
    assert source_sectors(row, "cfr", _ids(), _by_name()) == (
        ["government", "private-sector", "civil-society", "defence"],
        [],
    )
    row = _row({"Category": "https://www.bbc.com/news/world-europe-54518106"}, ("Category",))
    assert source_sectors(row, "cfr", _ids(), _by_name()) == ([], [])
    assert [i.level for i in row.issues] == ["warning"] and "web address" in row.issues[0].message


def test_labels_outside_the_crosswalk_fall_back_to_ids_names_and_keywords() -> None:
    assert label_ids("other-tracker", "health", _ids(), _by_name()) == ("health",)
    assert label_ids("other-tracker", "Civil society", _ids(), _by_name()) == ("civil-society",)
    assert label_ids("other-tracker", "Hospitals", _ids(), _by_name()) == ("health",)
    assert label_ids("other-tracker", "Astrology", _ids(), _by_name()) is None
    assert label_ids("eurepoc", "Other", _ids(), _by_name()) is None  # the crosswalk says: no sector of ours


# -- the real exports -------------------------------------------------------------------------------------------------


@functools.cache
def _frame(name: str) -> pd.DataFrame:
    return pd.read_csv(DATASETS / name, dtype=str, keep_default_na=False)


@functools.cache
def _checked(name: str) -> Validated:
    preset = EUREPOC_PRESET if name == EUREPOC.name else CFR_PRESET
    return validate(
        "incidents", _frame(name), preset, preset.mapping, track=TRACK, default_tlp="amber", organisation=HOST_ORG
    )


def _source_labels(name: str) -> dict[str, tuple[str, collections.Counter]]:
    """Every distinct sector label of a real file per column, with the source it belongs to."""
    source = "eurepoc" if name == EUREPOC.name else "cfr"
    columns = ("receiver_category", "receiver_category_subcode") if source == "eurepoc" else ("Category",)
    out: dict[str, tuple[str, collections.Counter]] = {}
    for column in columns:
        counter: collections.Counter = collections.Counter()
        for value in _frame(name)[column]:
            counter.update(label for label in cell_labels(value, SEPARATORS.get(source, (";",))) if label)
        out[column] = (source, counter)
    return out


@real_exports
@pytest.mark.parametrize("name", [EUREPOC.name, CFR.name])
def test_every_real_label_is_in_the_crosswalk_or_reported(name: str) -> None:
    checked = _checked(name)
    reported = set(checked.unmatched_labels)
    warned = {i.value for i in checked.issues if i.level == "warning" and "web address" in i.message}
    for source, counter in _source_labels(name).values():
        for label in counter:
            in_crosswalk = (source, _fold(label)) in crosswalk()
            assert in_crosswalk or label in reported or label[:197] in {w[:197] for w in warned}, label
            if in_crosswalk and not crosswalk()[(source, _fold(label))]:
                assert label in reported, f"{label!r} maps to no sector and is not reported"


@real_exports
@pytest.mark.parametrize("name", [EUREPOC.name, CFR.name])
def test_no_real_label_is_dropped(name: str) -> None:
    """Every label occurrence either gives a sector of the row or is kept in the row's source values and counted."""
    checked = _checked(name)
    rows = checked.rows
    dropped = 0
    for sectors, original in zip(rows["sectors"], rows["original"], strict=True):
        kept = set(original.get(UNMATCHED_KEY, []))
        source = "eurepoc" if name == EUREPOC.name else "cfr"
        columns = ("receiver_category", "receiver_category_subcode") if source == "eurepoc" else ("Category",)
        for column in columns:
            for label in cell_labels(original.get(column, ""), SEPARATORS.get(source, (";",))):
                if not label or label.startswith("http"):
                    continue
                ids = label_ids(source, label, _ids(), _by_name())
                if ids is None:
                    dropped += label not in kept
                elif GENERAL_CI not in ids:  # the subcode may decide over its category; the general id may be pruned
                    dropped += not (set(ids) & set(sectors)) and column != "receiver_category"
    assert dropped == 0
    unmatched_rows = {i.row for i in checked.issues if i.level == UNMATCHED}
    assert len(unmatched_rows) == sum(1 for o in rows["original"] if o.get(UNMATCHED_KEY))


@real_exports
def test_real_eurepoc_figures() -> None:
    checked = _checked(EUREPOC.name)
    assert checked.unmatched_labels == {"Other": 43}  # EuRepoC's residual category: reported, kept
    rows = checked.rows
    critical_rows = rows[_frame(EUREPOC.name)["receiver_category"].str.contains("Critical infrastructure").to_numpy()]
    assert len(critical_rows) > 0
    assert all(set(s) & CRITICAL for s in critical_rows["sectors"]), "a Critical infrastructure row without CI sector"
    counts = collections.Counter(s for sectors in rows["sectors"] for s in sectors)
    assert counts["private-sector"] == 338 and counts[GENERAL_CI] == 61 and counts["individuals"] == 88


@real_exports
def test_real_cfr_categories_all_map() -> None:
    checked = _checked(CFR.name)
    assert checked.unmatched_labels == {"Espionage": 1}  # an operation type in a shifted Category cell
    frame, rows = _frame(CFR.name), checked.rows
    private = frame["Category"].str.contains("Private sector").to_numpy()
    assert private.sum() == 348 and all("private-sector" in s for s in rows["sectors"][private])
    several = frame["Category"].str.contains(",").to_numpy() & ~frame["Category"].str.contains("http").to_numpy()
    assert all(len(s) >= 2 for s in rows["sectors"][several])
    assert sum(i.column == "Category" and "web address" in i.message for i in checked.issues) == 5


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The real EuRepoC export loaded into Eastern Europe on SQLite (with --skip-invalid), and its prepared check."""
    if not EUREPOC.exists():
        pytest.skip(f"the real exports are not in {DATASETS} (see ../shared/datasets/README.md)")
    db = Database("sqlite", tmp_path_factory.mktemp("sectors"))
    initialise(db.engine)
    admin = local_admin(HOST_ORG)
    prepared = pipeline.prepare(
        db.engine,
        admin,
        layer="incidents",
        track=TRACK,
        file_name=EUREPOC.name,
        data=EUREPOC.read_bytes(),
        max_bytes=10**8,
    )
    pipeline.commit(db.engine, prepared, admin, skip_invalid=True)
    yield db.engine, prepared
    db.drop()


@real_exports
def test_notpetya_is_stored_with_the_sectors_the_source_gives(stored) -> None:
    engine, prepared = stored
    with engine.connect() as conn:
        found = conn.execute(select(Incident.id, Incident.original).where(Incident.title.like("%NotPetya%"))).all()
        assert found, "NotPetya is not stored into Eastern Europe"
        sectors = set(
            conn.execute(select(IncidentSector.sector_id).where(IncidentSector.incident_id == found[0].id)).scalars()
        )
    # EuRepoC: Critical infrastructure (Energy, Transportation, Finance) and corporate targets
    assert sectors == {"energy", "transport", "banking", "private-sector"}
    assert prepared.counts["unmatched"] == len(
        {i.row for i in prepared.checked.issues if i.level == UNMATCHED}
        - prepared.checked.error_rows
        - prepared.checked.outside_rows  # counted among the rows that are stored
    )

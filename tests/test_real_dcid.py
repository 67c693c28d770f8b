"""The real DCID 2.0 workbook in ../shared/datasets/ (never copied into the repository), read with the DCID preset.

Both sheets are loaded into each track, as a coordinator would with --skip-invalid; the tests skip with a message
when the workbook is absent. DCID is third-party data (Maness, Valeriano, Hedgecock, Macias, Jensen; licence unknown,
see ../shared/datasets/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import func, select

from dashboard import PROJECT_ROOT
from dashboard.core.access import local_admin
from dashboard.ingest import dcid, pipeline, presets
from dashboard.ops.bootstrap import initialise
from dashboard.store.models import DatasetVersion, Incident
from tests.conftest import BACKENDS, HOST_ORG, Database

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
WORKBOOK = DATASETS / "DCID_2.0_Release_update_February_2023.xlsx"
PUBLIC, UPDATE = "DCID_2.0_Release_public_June_20", "DCID_2.0_Release_update_Februar"
TRACKS = ("eastern-europe", "indo-pacific")
ADMIN = local_admin(HOST_ORG)

pytestmark = pytest.mark.skipif(
    not WORKBOOK.exists(), reason=f"the real DCID 2.0 workbook is not in {DATASETS} (see ../shared/datasets/README.md)"
)

# Ten incidents of the public sheet, as the source codes them (COW numbers in the comments), and what we make of them.
SPOT_CHECKS = {  # Cyberincidentnum: (initiator, target, our type, start, end)
    1: ("USA", "RUS", "espionage", "2008-02-01", "2011-03-01"),  # Regin: 2 on 365, intrusion, long-term espionage
    227: ("RUS", "GEO", "espionage", "2007-01-01", "2016-07-15"),  # Georgia GeoPol Attack: 365 on 372
    175: ("RUS", "FRA", "espionage", "2015-01-23", "2015-04-09"),  # TV5Monde recon: 365 on 220, short-term espionage
    295: ("PAK", "AFG", "espionage", "2018-04-01", "2018-05-15"),  # Stealth Mango: 770 on 700
    140: ("PRK", "USA", "disruption", "2009-07-04", "2009-07-07"),  # Fourth of July_A: 731 on 2, DDoS
    240: ("RUS", "KOR", "disruption", "2017-12-01", "2018-02-10"),  # Olympic Destroyer: 365 on 732, DDoS
    296: ("CHN", "TWN", "disruption", "2001-03-01", "2001-03-03"),  # DPP hack: 710 on 713, intrusion to disrupt
    396: ("KOR", "JPN", "disruption", "2001-04-01", "2001-04-01"),  # Textbook hack: 732 on 740, DDoS
    197: ("RUS", "UKR", "espionage", "2005-01-01", "2014-05-08"),  # Snake/Turla_B: 365 on 369
    294: ("ISR", "LBN", "espionage", "2011-09-01", "2012-08-08"),  # Gauss: 666 on 660, virus for espionage
}


def _prepare(engine, sheet: str, track: str) -> pipeline.Prepared:
    return pipeline.prepare(
        engine, ADMIN, layer="incidents", track=track, file_name=WORKBOOK.name, path=WORKBOOK, sheet=sheet,
        max_bytes=10**8,
    )  # fmt: skip


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A database per backend with both sheets loaded into both tracks, and each load's check and stored count."""
    db = Database(request.param, tmp_path_factory.mktemp("dcid"))
    initialise(db.engine)
    results = {}
    for track in TRACKS:
        for sheet in (PUBLIC, UPDATE):
            prepared = _prepare(db.engine, sheet, track)
            results[sheet, track] = (prepared, pipeline.commit(db.engine, prepared, ADMIN, skip_invalid=True))
    yield db.engine, results
    db.drop()


def test_both_sheets_are_recognised_as_dcid(loaded) -> None:
    _, results = loaded
    assert {prepared.preset.name for prepared, _ in results.values()} == {presets.DCID.name}


@pytest.mark.parametrize("track", TRACKS)
@pytest.mark.parametrize("sheet", [PUBLIC, UPDATE])
def test_nearly_every_incident_is_stored_or_outside_the_track(loaded, sheet: str, track: str) -> None:
    engine, results = loaded
    prepared, done = results[sheet, track]
    counts = prepared.counts
    incidents = counts["total"] - counts["padding"]
    print(f"{sheet} -> {track}: {counts} stored {done.stored}")
    assert counts["padding"] == (373 if sheet == UPDATE else 0)  # the update sheet's "No Cyber" rows
    assert counts["total"] == (862 if sheet == UPDATE else 429)
    assert done.stored == counts["valid"] == counts["new"]
    assert (done.stored + counts["outside"]) / incidents >= 0.95
    assert counts["errors"] <= 0.05 * incidents
    with engine.connect() as conn:
        in_db = conn.execute(
            select(func.count()).select_from(Incident).where(Incident.dataset_version_id == done.version_id)
        ).scalar_one()
        assert (
            conn.execute(select(DatasetVersion.preset).where(DatasetVersion.id == done.version_id)).scalar() == "dcid"
        )
    assert in_db == done.stored


@pytest.mark.parametrize("sheet", [PUBLIC, UPDATE])
def test_countries_come_through_the_cow_table(loaded, sheet: str) -> None:
    _, results = loaded
    prepared, _ = results[sheet, TRACKS[0]]
    source = pd.read_excel(WORKBOOK, sheet_name=sheet, dtype=str, keep_default_na=False)
    cow = dcid.cow_to_iso3()
    rows, errors = prepared.checked.rows, prepared.checked.error_rows
    not_in_dyad = {  # the source names an initiator that is neither state of the dyad: reported, not guessed
        i + 2
        for i, (dyad, initiator) in enumerate(zip(source["Dyadpair"], source["initiator"], strict=True))
        if dcid.other_state(dyad.strip(), initiator.strip()).startswith("unknown")
    }
    assert errors == not_in_dyad and len(errors) == (4 if sheet == PUBLIC else 1)
    for number, initiators, targets in zip(rows["row"], rows["initiator_countries"], rows["target_countries"]):
        if int(number) in errors:
            continue
        raw = source.iloc[int(number) - 2]
        assert list(initiators) == [cow[raw["initiator"].strip()]]
        assert list(targets) == [cow[dcid.other_state(raw["Dyadpair"].strip(), raw["initiator"].strip())]]
        if sheet == UPDATE and raw["target"].strip() != raw["initiator"].strip():
            assert list(targets) == [cow[raw["target"].strip()]] or raw["Dyadpair"] == "710732"


def test_ten_incidents_match_the_source(loaded) -> None:
    _, results = loaded
    prepared, _ = results[PUBLIC, TRACKS[0]]
    source = pd.read_excel(WORKBOOK, sheet_name=PUBLIC)
    ours = prepared.checked.rows.set_index("source_id")
    cow = {iso3: code for code, iso3 in dcid.cow_to_iso3().items()}
    for number, (initiator, target, itype, start, end) in SPOT_CHECKS.items():
        raw = source[source["Cyberincidentnum"] == number].iloc[0]
        assert str(raw["initiator"]) == cow[initiator]  # the source says what the expectation says
        assert {str(raw["Dyadpair"])} & {cow[initiator] + cow[target], cow[target] + cow[initiator]}
        assert raw["interactionstartdate"].date().isoformat() == start
        assert raw["interactionenddate"].date().isoformat() == end
        row = ours.loc[str(number)]
        assert row["title"] == str(raw["Name"]).strip()
        assert list(row["initiator_countries"]) == [initiator] and list(row["target_countries"]) == [target]
        assert row["incident_type"] == itype, number
        assert str(row["start_date"]) == start and str(row["end_date"]) == end
        assert row["original"]["Cyberincidentnum"] == str(number)


def test_severity_sectors_and_sources_follow_the_code_tables(loaded) -> None:
    _, results = loaded
    prepared, _ = results[PUBLIC, TRACKS[0]]
    rows = prepared.checked.rows.set_index("source_id")
    regin = rows.loc["1"]
    assert regin["severity"] == 3  # DCID 4, a targeted attack on critical infrastructure or the military: High
    assert list(regin["sectors"]) == ["government"]  # targettype 2, government non-military
    assert len(regin["source_urls"]) == 3 and regin["source_urls"][0].startswith("https://www.symantec.com/")
    assert set(rows["severity"].dropna().astype(int)) <= {0, 1, 2, 3, 4, 5}
    assert set(rows["incident_type"]) <= {"espionage", "disruption", "defacement", "ransomware"}

"""Reference vocabularies: contents, stable ids, and consistency with the boundaries we ship."""

from __future__ import annotations

import json

import pytest

from dashboard import DATA_DIR
from dashboard.core.vocabulary import load, read_rows, track_members
from dashboard.store.reference import VOCABULARIES

LOCK = DATA_DIR / "reference" / "ids.lock.json"


def _ids() -> dict[str, list[str]]:
    out = {v.file: sorted(str(r[v.key]) for r in read_rows(v.file)) for v in VOCABULARIES}
    out["track_members.csv"] = sorted(f"{r['track_id']}/{r['iso3']}" for r in read_rows("track_members.csv"))
    return out


@pytest.mark.parametrize("vocab", VOCABULARIES, ids=lambda v: v.file)
def test_ids_are_unique(vocab) -> None:
    ids = [r[vocab.key] for r in read_rows(vocab.file)]
    assert len(ids) == len(set(ids))
    assert all(str(i).strip() for i in ids)


def test_ids_never_disappear() -> None:
    """Ids are referenced by stored rows: a file may gain ids (update ids.lock.json) but never lose or rename one."""
    locked = json.loads(LOCK.read_text())
    current = _ids()
    for file, ids in locked.items():
        if file == "track_members.csv":
            continue  # membership is editable data, not ids
        missing = set(ids) - set(current[file])
        assert not missing, f"{file} lost ids {sorted(missing)}"
    for file, ids in current.items():
        assert set(ids) <= set(locked.get(file, [])), f"{file} has new ids: add them to {LOCK.name}"


def test_frameworks_have_the_published_items() -> None:
    items = load("framework_items.csv")
    by_fw: dict[str, list[str]] = {}
    for item in items:
        by_fw.setdefault(item["framework_id"], []).append(item["code"])
    assert by_fw["un-norms"] == list("abcdefghijk")
    assert by_fw["osce-cbms"] == [str(i) for i in range(1, 17)]
    assert "POC" in by_fw["arf-measures"]


def test_tlp_and_severity_scales() -> None:
    tlp = sorted(load("tlp_levels.csv"), key=lambda r: r["rank"])
    assert [t["id"] for t in tlp] == ["clear", "green", "amber", "amber+strict", "red"]
    assert [t["shareable_by_link"] for t in tlp] == [True, True, True, False, False]
    sev = load("severity_levels.csv")
    assert [s["level"] for s in sev] == [0, 1, 2, 3, 4, 5]
    assert [s["level"] for s in sev if s["significant"]] == [3, 4, 5]


def test_tracks_hold_the_expected_states_and_every_member_can_be_drawn() -> None:
    members = track_members()
    assert {"SGP", "IDN", "VNM", "AUS", "JPN", "IND", "USA", "FJI", "TON", "TLS"} <= set(members["indo-pacific"])
    assert {"EST", "LVA", "LTU", "UKR", "MDA", "GEO", "ARM", "AZE", "BLR", "RUS", "SRB", "POL"} <= set(
        members["eastern-europe"]
    )
    countries = {c["iso3"]: c for c in load("countries.csv")}
    for track, codes in members.items():
        for iso3 in codes:
            c = countries[iso3]
            assert c["lat"] is not None and c["lon"] is not None, f"{track} member {iso3} has no coordinates"


def test_small_states_are_markers_and_shapes_match_the_boundaries_file() -> None:
    countries = {c["iso3"]: c for c in load("countries.csv")}
    for iso3 in ["SGP", "PLW", "TON", "TUV", "NRU", "MHL", "KIR", "WSM", "FSM", "MDV"]:
        assert countries[iso3]["has_shape"] is False
    geo = json.loads((DATA_DIR / "boundaries" / "countries_110m.geojson").read_text())
    shaped = {f["properties"]["iso3"] for f in geo["features"]}
    assert {"FRA", "NOR", "UKR", "AUS"} <= shaped  # France and Norway are -99 in Natural Earth: fixed by name
    assert shaped == {k for k, c in countries.items() if c["has_shape"]}


# Drawn inside a neighbour's 1:110m shape on purpose: enclaves and states too small to have a shape of their own,
# and French Guiana, which Natural Earth's low-resolution France includes.
INSIDE_A_NEIGHBOUR = {
    "AND": "FRA",
    "GIB": "ESP",
    "GUF": "FRA",
    "HKG": "CHN",
    "LIE": "AUT",
    "MCO": "FRA",
    "SGP": "MYS",
    "SJM": "NOR",
    "SMR": "ITA",
    "VAT": "ITA",
}


def test_every_marker_is_where_its_country_is() -> None:
    """Markers come from geocoded capitals; a namesake elsewhere (St. John's, Canada for Antigua) is caught here."""
    import geopandas as gpd
    from shapely.geometry import Point

    shapes = gpd.read_file(DATA_DIR / "boundaries" / "countries_110m.geojson").set_index("iso3").geometry
    for c in load("countries.csv"):
        assert c["lat"] is not None and c["lon"] is not None, f"{c['iso3']} has no marker coordinates"
        assert -90 <= c["lat"] <= 90 and -180 <= c["lon"] <= 180, c
        point = Point(c["lon"], c["lat"])
        if c["has_shape"]:
            # within 2 degrees of its own shape (islands the 1:110m map leaves out, such as Bioko, are close by)
            assert shapes[c["iso3"]].distance(point) < 2, f"{c['iso3']} marker is far from its own shape"
        else:
            inside = [iso3 for iso3, shape in shapes.items() if shape.contains(point)]
            assert inside in ([], [INSIDE_A_NEIGHBOUR.get(c["iso3"])]), f"{c['iso3']} marker lies in {inside}"


def test_sector_crosswalk_and_incident_type_crosswalk() -> None:
    sectors = {s["id"]: s for s in load("sectors.csv")}
    assert sectors["energy"]["cisa_sector"] == "Energy" and sectors["energy"]["critical_infrastructure"]
    assert {"government", "defence", "elections", "media", "civil-society", "education"} <= set(sectors)
    types = {t["id"]: t for t in load("incident_types.csv")}
    assert types["ransomware"]["enisa_class"] == "Malicious Code"


@pytest.mark.parametrize("vocab", VOCABULARIES, ids=lambda v: v.file)
def test_vocabulary_files_read_by_core_are_typed_like_the_models(vocab) -> None:
    """core.vocabulary.load (no models) gives the same values as the typing by the models that fills the database."""
    from dashboard.core.vocabulary import load
    from dashboard.store.reference import typed_rows

    assert list(load(vocab.file)) == typed_rows(vocab)

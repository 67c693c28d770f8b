"""One incident across sources (issue 14, first part): threat-actor aliases resolve to one actor, the matcher's
precision and recall on hand-labelled pairs of the real EuRepoC and CFR exports (tests/fixtures/linkage), and the
matcher between CFR and DCID (a third source)."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from dashboard import PROJECT_ROOT
from dashboard.analysis import linkage
from dashboard.core.access import local_admin
from dashboard.core.threat_actors import actors, normalise, resolve
from dashboard.ingest import pipeline
from dashboard.ops.bootstrap import initialise
from tests.conftest import HOST_ORG, Database

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
EUREPOC = DATASETS / "EuRepoC_Global_Database_1.1.csv"
CFR = DATASETS / "CFR_cyber_operations_incidents_2005-2022.csv"
DCID = DATASETS / "DCID_2.0_Release_update_February_2023.xlsx"
DCID_SHEET = "DCID_2.0_Release_update_Februar"
LABELS = Path(__file__).parent / "fixtures" / "linkage" / "eurepoc_cfr_pairs.csv"
real_exports = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists()), reason=f"the real exports are not in {DATASETS}"
)
real_dcid = pytest.mark.skipif(
    not (CFR.exists() and DCID.exists()), reason=f"the real DCID 2.0 workbook is not in {DATASETS}"
)


@pytest.mark.parametrize(
    ("label", "actor"),
    [
        ("APT28", "apt28"),
        ("Fancy Bear", "apt28"),
        ("Sofacy", "apt28"),
        ("APT 28", "apt28"),
        ("Fancy Bear/APT28/Sofacy/Sednit/G0007 (GRU, Unit 26165)", "apt28"),  # EuRepoC: several aliases, a sponsor
        ("Believed to be the work of APT28", "apt28"),  # CFR's lead-in
        ("Cozy Bear, APT 29", "apt29"),
        ("Nobelium", "apt29"),  # left out of MISP's table as ambiguous; our override says why
        ("Midnight Blizzard", "apt29"),
        ("Sandworm Team", "sandworm"),
        ("Lazarus Group", "lazarus-group"),
    ],
)
def test_aliases_resolve_to_one_actor(label: str, actor: str) -> None:
    assert resolve(label) == {actor}


def test_actors_carry_their_suspected_state_and_unknown_names_resolve_to_none() -> None:
    assert actors()["apt28"].state == "RUS" and actors()["lazarus-group"].state == "PRK"
    assert resolve("Ukrainian IT Army") == set() and resolve("") == set()
    assert normalise("APT-28 ") == normalise("apt 28") == "apt28"


def _record(key: str, **kw) -> linkage.Record:
    return linkage.Record(key=key, title=kw.pop("title", key), **kw)


def test_a_pair_is_scored_on_stated_evidence_and_each_record_matches_once() -> None:
    day = dt.date(2017, 6, 27)
    eu = [
        _record(
            "1032",
            title="Sandworm wiper campaign",
            text="NotPetya wiper hits Ukraine",
            start=day,
            targets=frozenset({"UKR"}),
            initiators=frozenset({"RUS"}),
            actors=frozenset({"sandworm"}),
        ),
        _record("9", title="Phishing of a ministry", start=day, targets=frozenset({"UKR"})),
    ]
    cfr = [
        _record(
            "NotPetya",
            text="NotPetya",
            start=day + dt.timedelta(days=4),
            targets=frozenset({"UKR"}),
            initiators=frozenset({"RUS"}),
            actors=frozenset({"sandworm"}),
        ),
    ]
    evidence = linkage.compare(eu[0], cfr[0], linkage.rare_words(eu, cfr))
    assert evidence.score >= linkage.THRESHOLD
    assert any("notpetya" in r for r in evidence.reasons) and any("same actor" in r for r in evidence.reasons)
    matches = linkage.match(eu, cfr)
    assert [(m.left, m.right) for m in matches] == [("1032", "NotPetya")]
    far = _record("NotPetya", start=day + dt.timedelta(days=900), targets=frozenset({"FRA"}))
    assert linkage.compare(eu[0], far).score < 0


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The normalised rows of the real exports, as an upload would check them (nothing stored); DCID's update sheet
    through the DCID preset, as tests/test_real_dcid.py reads it."""
    db = Database("sqlite", tmp_path_factory.mktemp("linkage"))
    initialise(db.engine)
    rows = {}
    if DCID.exists():
        rows[DCID.name] = pipeline.prepare(
            db.engine,
            local_admin(HOST_ORG),
            layer="incidents",
            track="eastern-europe",
            file_name=DCID.name,
            path=DCID,
            sheet=DCID_SHEET,
            max_bytes=10**8,
        ).checked.rows
    for path in (EUREPOC, CFR):
        if not path.exists():
            continue
        prepared = pipeline.prepare(
            db.engine,
            local_admin(HOST_ORG),
            layer="incidents",
            track="eastern-europe",
            file_name=path.name,
            data=path.read_bytes(),
            max_bytes=10**8,
        )
        rows[path.name] = prepared.checked.rows
    db.drop()
    return rows


def _cfr_keys(rows: pd.DataFrame) -> list[str]:
    """The fixture's CFR key of each row: "Title|M/D/YYYY", with #0, #1 in file order where two rows share it."""
    keys = [f"{o.get('Title')}|{o.get('Date')}" for o in rows["original"]]
    counts, seen, out = Counter(keys), Counter(), []
    for key in keys:
        out.append(f"{key}#{seen[key]}" if counts[key] > 1 else key)
        seen[key] += 1
    return out


@real_exports
def test_the_matcher_on_hand_labelled_pairs_of_the_real_exports(sources, capsys) -> None:
    eu, cfr = sources[EUREPOC.name], sources[CFR.name]
    eu_records, cfr_records = linkage.records(eu), linkage.records(cfr)
    cfr_keys_of: dict[str, set[str]] = {}  # two CFR rows with one title and date share a record key
    for record, key in zip(cfr_records, _cfr_keys(cfr), strict=True):
        cfr_keys_of.setdefault(record.key, set()).add(key)
    started, cpu = time.perf_counter(), time.process_time()
    matches = linkage.match(eu_records, cfr_records)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    found = {(m.left, key) for m in matches for key in cfr_keys_of[m.right]}
    labels = pd.read_csv(LABELS, dtype=str)
    labels = labels[labels["label"] != "unsure"]
    assert len(labels) >= 100 and set(labels["cfr_key"]) <= set().union(*cfr_keys_of.values())
    predicted = [(e, c) in found for e, c in zip(labels["eurepoc_id"], labels["cfr_key"], strict=True)]
    truth = (labels["label"] == "same").tolist()
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    precision, recall = tp / max(sum(predicted), 1), tp / sum(truth)
    with capsys.disabled():
        print(
            f"\nlinkage on {len(labels)} labelled pairs ({sum(truth)} same): precision {precision:.3f}, "
            f"recall {recall:.3f}, {len(found)} matches in all; match() took {took:.2f} s ({cpu:.2f} s CPU) for "
            f"{len(eu_records)} x {len(cfr_records)} records"
        )
    assert precision >= 0.95
    assert recall >= 0.85
    assert ("1032", "NotPetya|7/1/2017") in found
    # SolarWinds: EuRepoC's start (September 2019) and CFR's disclosure (December 2020) are 465 days apart
    assert ("1254", "Targeting of SolarWinds customers|12/9/2020") in found


@real_exports
def test_the_matcher_is_the_same_whichever_source_is_left(sources) -> None:
    """The upload path matches sources in name order (CFR before EuRepoC): the rules must not depend on it."""
    eu, cfr = linkage.records(sources[EUREPOC.name]), linkage.records(sources[CFR.name])
    one_way = {(m.left, m.right) for m in linkage.match(eu, cfr)}
    other_way = {(m.right, m.left) for m in linkage.match(cfr, eu)}
    assert one_way == other_way


@real_dcid
def test_cfr_and_dcid_records_of_one_operation_match(sources, capsys) -> None:
    """A third source: DCID names an operation once per pair of states ("NotPetya_A": Russia-Ukraine, "WannaCry- IK
    NHS"), so the upload path (dashboard/ingest/merges.py) lets each DCID record join its best CFR partner, several
    to one."""
    cfr, dcid = sources[CFR.name], sources[DCID.name]
    cfr_records, dcid_records = linkage.records(cfr), linkage.records(dcid)
    cfr_key = dict(zip((r.key for r in cfr_records), _cfr_keys(cfr), strict=True))
    dcid_title = dict(zip(dcid["source_id"].astype(str), dcid["title"], strict=True))
    one_to_one = {(cfr_key[m.left], dcid_title[m.right]) for m in linkage.match(cfr_records, dcid_records)}
    matches = linkage.match(cfr_records, dcid_records, one_to_one=False)
    found = {(cfr_key[m.left], dcid_title[m.right]) for m in matches}
    with capsys.disabled():
        print(
            f"\nlinkage CFR x DCID ({len(cfr_records)} x {len(dcid_records)} records): {len(one_to_one)} matches one "
            f"to one, {len(found)} several to one"
        )
    for found_here in (one_to_one, found):
        assert any(c == "WannaCry|6/14/2017" and "wannacry" in d.lower() for c, d in found_here)
        assert ("NotPetya|7/1/2017", "NotPetya_A") in found_here
    wannacry = {d for c, d in found if c == "WannaCry|6/14/2017"}
    assert wannacry == {"WannaCry- US Critical Infrastructure", "WannaCry- IK NHS"}  # both dyads, nothing else
    assert one_to_one <= found and len(found) < len(dcid_records) / 3  # DCID's rival dyads overlap CFR in part only

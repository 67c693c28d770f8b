"""One incident across sources (issue 14, first part): threat-actor aliases resolve to one actor, and the matcher's
precision and recall on hand-labelled pairs of the real EuRepoC and CFR exports (tests/fixtures/linkage)."""

from __future__ import annotations

import datetime as dt
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
LABELS = Path(__file__).parent / "fixtures" / "linkage" / "eurepoc_cfr_pairs.csv"
real_exports = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists()), reason=f"the real exports are not in {DATASETS}"
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
    """The normalised rows of both real exports, as an upload would check them (nothing stored)."""
    db = Database("sqlite", tmp_path_factory.mktemp("linkage"))
    initialise(db.engine)
    rows = {}
    for path in (EUREPOC, CFR):
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
    matches = linkage.match(eu_records, cfr_records)
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
            f"recall {recall:.3f}, {len(found)} matches in all"
        )
    # The issue asks for precision >= 0.95 and recall >= 0.85; recall is not there yet (README): this guards what
    # is reached so far against regressions.
    assert precision >= 0.95
    assert recall >= 0.75
    assert ("1032", "NotPetya|7/1/2017") in found


@real_exports
def test_apt28_names_in_both_files_resolve_to_one_actor(sources) -> None:
    named = {
        name: {str(v) for v in rows["initiator_name"] if isinstance(v, str) and v} for name, rows in sources.items()
    }
    eurepoc_apt28 = {v for v in named[EUREPOC.name] if "apt28" in resolve(v)}
    cfr_apt28 = {v for v in named[CFR.name] if "apt28" in resolve(v)}
    assert any("Fancy Bear" in v for v in eurepoc_apt28) and cfr_apt28
    assert len(eurepoc_apt28 | cfr_apt28) >= 3  # differently written labels, one actor

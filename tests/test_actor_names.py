"""Actor names from imports (issue 14, item 3): names the alias table resolves are one actor whatever the upload calls
it; unknown names become candidates that a coordinator merges into a reference actor (then they resolve to it) or
keeps distinct; the decision is refused and audited for anyone else."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, read
from dashboard.accounts.actor_decisions import ActorDecisionError, mark_distinct, merge_candidate
from dashboard.accounts.guard import AccessDenied
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.ingest import actor_names as ingest_names
from dashboard.ingest import pipeline
from dashboard.ops.bootstrap import initialise
from dashboard.read import actor_names as names_read
from dashboard.store.actor_models import ActorName, known_actors, label_key
from dashboard.store.db import transaction, write_count
from dashboard.store.models import AuditEvent
from tests.conftest import BACKENDS, HOST_ORG, Database, sign_in

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
EUREPOC = DATASETS / "EuRepoC_Global_Database_1.1.csv"
CFR = DATASETS / "CFR_cyber_operations_incidents_2005-2022.csv"
EE, IP = "eastern-europe", "indo-pacific"
ADMIN = local_admin(HOST_ORG)
COORD = Viewer(name="coord-ee", role=Role.COORDINATOR, tracks=frozenset({EE}), tlp_ceiling="red", organisation=HOST_ORG)
IP_COORD = Viewer(
    name="coord-ip", role=Role.COORDINATOR, tracks=frozenset({IP}), tlp_ceiling="red", organisation=HOST_ORG
)
OFFICIAL = Viewer(
    name="official", role=Role.OFFICIAL, tracks=frozenset({EE}), tlp_ceiling="amber", organisation=HOST_ORG
)
PARTNER = Viewer(name="partner", role=Role.PARTNER, tracks=frozenset({EE}), tlp_ceiling="green", organisation="ISAC")
HEADER = "source_id,title,start_date,incident_type,target_countries,initiator_countries,initiator_name,tlp\n"


def _upload(engine: Engine, rows: list[tuple[str, str]], *, track: str = EE, name: str = "upload.csv") -> None:
    """Upload incidents of our template, one per (source id, initiator_name), into Estonia (or Japan)."""
    target, initiator = ("EST", "RUS") if track == EE else ("JPN", "CHN")
    body = "".join(
        f'{sid},Operation {sid},2024-03-0{i % 9 + 1},espionage,{target},{initiator},"{actor}",amber\n'
        for i, (sid, actor) in enumerate(rows)
    )
    prepared = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=track, file_name=name, data=(HEADER + body).encode(), max_bytes=10**7
    )
    pipeline.commit(engine, prepared, ADMIN)


def _stored(engine: Engine) -> dict[str, ActorName]:
    with engine.connect() as conn:
        return {row.label: row for row in conn.execute(select(ActorName)).all()}


def _audit(engine: Engine, action: str) -> list[AuditEvent]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all())


# ---------------------------------------------------------------- the rule for what becomes a candidate


@pytest.mark.parametrize(
    "label",
    [
        "",
        "Not available",
        "Unknown",
        "none",
        "unknown hackers",
        "Unattributed cluster",
        "Chinese government",
        "Government of the UAE",
        "Believed to be the work of Russia's government",
        "Believed to be the work of Chinese state-sponsored hackers.",
        "Russia",
        "Turkish Hackers",
        "Saudi and Emirati governments",
        "Believed to use similar tools as DragonOK",
        "This incident is believed to be the work of APT 28. The Dukes were also found in the DNC's networks.",
        "Believed to be behind the Singapore health-care breach in July 2018.",
    ],
)
def test_missing_values_generic_phrases_and_free_text_are_not_actor_names(label: str) -> None:
    assert not ingest_names.candidate_key(label)


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Killnet", "killnet"),
        ("Bangladesh Cyber Army", "bangladeshcyberarmy"),
        ("Anonymous Sudan", "anonymoussudan"),
        ("Believed to be the work of Hamas.", "hamas"),
        ("Dr. Torjan", "drtorjan"),
        ("Li Xiaoyu/Oro01xy", "lixiaoyuoro01xy"),
    ],
)
def test_unknown_names_are_candidates_under_their_normalised_key(label: str, key: str) -> None:
    assert ingest_names.candidate_key(label) == key


@pytest.mark.parametrize(
    "label",
    [
        "APT28",
        "Fancy Bear",
        "Sofacy",
        "APT 28",
        "Believed to be the work of?APT 28",
        "Suspected to be the work of the Lazarus Group.",
        "Cozy Bear, APT 29",
        "Fancy Bear/APT28/Sofacy/Pawn Storm (GRU, Military Unit 26165)",
    ],
)
def test_known_aliases_resolve_and_are_never_candidates(label: str) -> None:
    assert known_actors(label) and not ingest_names.candidate_key(label)


def test_candidates_are_counted_once_per_incident_and_keep_their_first_spelling() -> None:
    cells = pd.Series(["Killnet; KILLNET", "Killnet", "killnet; APT28", "Not available", None, "Fancy Bear"])
    counts, shown = ingest_names.candidates_in(cells)
    assert counts == {"killnet": 3} and shown == {"killnet": "Killnet"}


def test_recording_a_million_rows_works_on_distinct_labels_only(engine: Engine, capsys) -> None:
    rng = np.random.default_rng(7)
    pool = np.array([f"Group {i} Crew" for i in range(2_000)] + ["APT28", "Sofacy", "Not available", ""], dtype=object)
    cells = pd.Series(pool[rng.integers(0, len(pool), 1_000_000)], dtype=object)
    started = time.perf_counter()
    with transaction(engine) as session:
        recorded = ingest_names.record_candidates(session, cells)
    took = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nrecord_candidates: 1,000,000 rows, 2,004 distinct labels: {took:.2f} s ({recorded})")
    assert recorded.new == 2_000  # the time is printed; timings are not pass/fail (README, Performance)
    assert sum(r.incidents for r in _stored(engine).values()) == int(cells.str.contains("Crew").sum())


# ---------------------------------------------------------------- uploads, decisions, resolution


def test_an_upload_with_an_unknown_actor_creates_a_candidate_and_a_later_one_updates_its_count(engine: Engine) -> None:
    _upload(engine, [("a1", "Killnet"), ("a2", "Killnet; APT28"), ("a3", "Not available"), ("a4", "unknown hackers")])
    stored = _stored(engine)
    assert list(stored) == ["killnet"]
    first = stored["killnet"]
    assert (first.shown, first.incidents, first.status, first.actor_id) == ("Killnet", 2, "candidate", "")
    _upload(engine, [("b1", "KILLNET"), ("b2", "Believed to be the work of Killnet"), ("b3", "Killnet")], name="b.csv")
    again = _stored(engine)["killnet"]
    assert (again.shown, again.incidents, again.first_seen) == ("Killnet", 3, first.first_seen)


def test_apt28_fancy_bear_and_sofacy_in_different_uploads_are_one_actor_and_no_candidate(engine: Engine) -> None:
    for i, name in enumerate(("APT28", "Fancy Bear", "Sofacy")):
        _upload(engine, [(f"x{i}", name)], name=f"{name}.csv")
    assert _stored(engine) == {}
    merged = names_read.merged_names(engine)
    assert {names_read.resolve_with_decisions(engine, n, merged) for n in ("APT28", "Fancy Bear", "Sofacy")} == {
        frozenset({"apt28"})
    }


def test_a_merge_makes_the_name_resolve_to_the_actor_everywhere_and_is_audited(engine: Engine) -> None:
    _upload(engine, [("m1", "Pawn Storm Redux"), ("m2", "Killnet")])
    assert names_read.resolve_with_decisions(engine, "Pawn Storm Redux") == frozenset()
    stamp = read.data_stamp(engine)
    with engine.connect() as conn:
        writes = write_count(conn)
    assert merge_candidate(engine, COORD, "Pawn Storm Redux", "apt28") == "pawnstormredux"
    assert names_read.resolve_with_decisions(engine, "pawn storm redux") == frozenset({"apt28"})
    actors, spellings = names_read.actor_search_terms(engine, "Fancy Bear")
    assert actors == frozenset({"apt28"}) and spellings == ("pawn storm redux",)
    assert names_read.actor_search_terms(engine, "Pawn Storm Redux") == (frozenset({"apt28"}), ("pawn storm redux",))
    row = _stored(engine)["pawnstormredux"]
    assert (row.status, row.actor_id, row.decided_by) == ("merged", "apt28", "coord-ee") and row.decided_at
    with engine.connect() as conn:
        assert write_count(conn) == writes + 1
    assert read.data_stamp(engine) != stamp
    [event] = _audit(engine, "actor.merge")
    assert (event.actor, event.object_type, event.object_id) == ("coord-ee", "actor_name", "pawnstormredux")
    assert event.detail["actor_id"] == "apt28" and event.detail["before"] == "candidate"

    assert mark_distinct(engine, ADMIN, "killnet") == "killnet"
    assert _stored(engine)["killnet"].status == "distinct"
    assert names_read.resolve_with_decisions(engine, "Killnet") == frozenset()
    [event] = _audit(engine, "actor.distinct")
    assert event.actor == ADMIN.name and event.detail["shown"] == "Killnet"
    _upload(engine, [("m3", "Killnet")], name="again.csv")  # a later upload keeps the decision
    assert _stored(engine)["killnet"].status == "distinct"


@pytest.mark.parametrize("viewer", [PARTNER, OFFICIAL, "someone"], ids=["partner", "official", "bare-name"])
def test_partners_and_officials_are_refused_and_the_attempt_audited(engine: Engine, viewer: object) -> None:
    _upload(engine, [("r1", "Killnet")])
    with pytest.raises(AccessDenied):
        merge_candidate(engine, viewer, "killnet", "apt28")
    with pytest.raises(AccessDenied):
        mark_distinct(engine, viewer, "killnet")
    with pytest.raises(AccessDenied):
        merge_candidate(engine, viewer, "killnet", "no-such-actor")  # refused before the input is judged
    assert _stored(engine)["killnet"].status == "candidate"
    denied = _audit(engine, "access.denied")
    assert [e.detail["operation"] for e in denied] == ["actor.merge", "actor.distinct", "actor.merge"]
    if isinstance(viewer, Viewer):
        assert {e.actor for e in denied} == {viewer.name}
        with pytest.raises(names_read.ActorNamesDenied):
            names_read.actor_names(engine, viewer)
    assert not _audit(engine, "actor.merge")


def test_unknown_names_and_actors_are_errors_that_change_nothing(engine: Engine) -> None:
    _upload(engine, [("e1", "Killnet")])
    with pytest.raises(ActorDecisionError, match="no reference actor"):
        merge_candidate(engine, COORD, "killnet", "no-such-actor")
    with pytest.raises(ActorDecisionError, match="no actor name"):
        merge_candidate(engine, COORD, "Never Uploaded", "apt28")
    assert _stored(engine)["killnet"].status == "candidate" and not _audit(engine, "actor.merge")


def test_a_coordinator_sees_only_the_names_their_incidents_carry(engine: Engine) -> None:
    _upload(engine, [("t1", "Killnet"), ("t2", "Killnet")])
    _upload(engine, [("t3", "Honker Union")], track=IP, name="ip.csv")
    mine = names_read.actor_names(engine, COORD)
    assert mine[["shown", "visible", "incidents"]].values.tolist() == [["Killnet", 2, 2]]
    assert names_read.candidates(engine, IP_COORD)["shown"].tolist() == ["Honker Union"]
    assert set(names_read.actor_names(engine, ADMIN)["shown"]) == {"Killnet", "Honker Union"}


def test_the_reference_actors_are_searchable_by_alias_and_state() -> None:
    found = names_read.reference_actors("fancy bear")
    assert "apt28" in set(found["actor_id"])
    row = found[found["actor_id"] == "apt28"].iloc[0]
    assert row["state"] == "RUS" and "Sofacy" in row["aliases"]
    assert len(names_read.reference_actors()) > 600 and names_read.reference_actors("zz-no-such-actor").empty


def test_names_and_decisions_survive_a_backup_and_restore(engine: Engine, tmp_path) -> None:
    from dashboard.ops import backup
    from tests.conftest import TEST_SECRET

    _upload(engine, [("k1", "Pawn Storm Redux"), ("k2", "Killnet")])
    merge_candidate(engine, COORD, "Pawn Storm Redux", "apt28")
    before = {k: (r.shown, r.status, r.actor_id, r.incidents) for k, r in _stored(engine).items()}
    backup.backup(engine, tmp_path / "b.zip", secret_key=TEST_SECRET, actor=ADMIN)
    mark_distinct(engine, COORD, "killnet")
    backup.restore(engine, tmp_path / "b.zip", secret_key=TEST_SECRET, actor=ADMIN)
    assert {k: (r.shown, r.status, r.actor_id, r.incidents) for k, r in _stored(engine).items()} == before
    assert names_read.resolve_with_decisions(engine, "Pawn Storm Redux") == frozenset({"apt28"})


# ---------------------------------------------------------------- the Datasets page


def test_a_coordinator_merges_a_candidate_on_the_datasets_page(app_engine: Engine) -> None:
    _upload(app_engine, [("p1", "Pawn Storm Redux"), ("p2", "Pawn Storm Redux"), ("p3", "Killnet")])
    at = sign_in(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60), COORD)
    at.switch_page("pages/datasets.py")
    at.run()
    assert not at.exception
    assert "Threat actors" in [s.value for s in at.subheader]
    waiting = next(t.value for t in at.dataframe if "visible" in t.value.columns)
    assert waiting["shown"].tolist() == ["Pawn Storm Redux", "Killnet"]
    at.selectbox(key="actors_candidate").set_value("pawnstormredux")
    next(s for s in at.selectbox if s.label == "Reference actor").set_value("apt28").run()
    at.button(key="actors_merge").click().run()
    assert not at.exception and not at.error
    assert "“Pawn Storm Redux” now resolves to APT28" in at.success[0].value
    assert _stored(app_engine)["pawnstormredux"].actor_id == "apt28"
    assert at.selectbox(key="actors_candidate").options == ["Killnet"]
    assert next(s for s in at.selectbox if s.label == "Reference actor").value is None  # none chosen for the next
    assert at.button(key="actors_merge").disabled
    assert [e.actor for e in _audit(app_engine, "actor.merge")] == ["coord-ee"]


def test_an_official_sees_the_reference_actors_but_no_candidates(app_engine: Engine) -> None:
    _upload(app_engine, [("o1", "Killnet")])
    at = sign_in(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60), OFFICIAL)
    at.switch_page("pages/datasets.py")
    at.run()
    assert not at.exception
    assert not [b for b in at.button if b.key in {"actors_merge", "actors_distinct"}]
    at.text_input(key="actors_search").input("Sofacy").run()
    [actors] = [t.value for t in at.dataframe if "aliases" in t.value.columns]
    assert "APT28" in set(actors["name"]) and "Killnet" not in " ".join(map(str, at.markdown))


# ---------------------------------------------------------------- the real exports

real_exports = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists()), reason=f"the real exports are not in {DATASETS}"
)
KNOWN = (
    "APT28",
    "Fancy Bear",
    "Sofacy",
    "APT 29",
    "Cozy Bear",
    "Lazarus Group",
    "Sandworm",
    "Turla",
    "APT 10",
    "Kimsuky",
    "MuddyWater",
    "Charming Kitten",
    "Gamaredon",
    "Equation Group",
)


@real_exports
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_real_exports_create_candidates_but_never_for_known_aliases(backend, tmp_path, capsys) -> None:
    db = Database(backend, tmp_path)
    try:
        initialise(db.engine)
        found = {}
        for path in (EUREPOC, CFR):  # into both tracks: an upload stores only the rows of its track
            before = set(_stored(db.engine))
            for track in (EE, IP):
                prepared = pipeline.prepare(
                    db.engine,
                    ADMIN,
                    layer="incidents",
                    track=track,
                    file_name=path.name,
                    data=path.read_bytes(),
                    max_bytes=10**8,
                )
                pipeline.commit(db.engine, prepared, ADMIN, skip_invalid=True)
            found[path.name] = set(_stored(db.engine)) - before
        stored = _stored(db.engine)
        with capsys.disabled():
            print(
                f"\nactor-name candidates ({backend}): EuRepoC {len(found[EUREPOC.name])}, CFR {len(found[CFR.name])} "
                f"more ({len(stored)} in all); most named: "
                + ", ".join(
                    f"{r.shown} ({r.incidents})" for r in sorted(stored.values(), key=lambda r: -r.incidents)[:8]
                )
            )
        assert len(found[EUREPOC.name]) > 50 and len(found[CFR.name]) > 5
        assert not {label_key(n) for n in KNOWN} & set(stored)
        assert all(not known_actors(r.shown) for r in stored.values())  # nothing the alias table resolves
        assert {"killnet", "anonymous", "gchq"} <= set(stored)
        assert not {"unknown", "notavailable", "chinesegovernment", "russia"} & set(stored)
    finally:
        db.drop()

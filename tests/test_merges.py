"""One incident across sources (issue 14): the same real-world incident in several uploads becomes one incident with
each source's record kept; the views count it once; a coordinator confirms or splits a merge, the decision outlives
re-uploads and is audited; members above a viewer's ceiling are never shown."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text, update

from dashboard import PROJECT_ROOT, read
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.filters import IncidentFilter
from dashboard.ingest import merges as merge_writes
from dashboard.ingest import pipeline
from dashboard.ops.bootstrap import initialise
from dashboard.read import merges
from dashboard.read.snapshot import clear_cache
from dashboard.store.models import AuditEvent, Incident
from tests.conftest import BACKENDS, HOST_ORG, Database
from tests.factories import incident, store_incidents

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
EUREPOC = DATASETS / "EuRepoC_Global_Database_1.1.csv"
CFR = DATASETS / "CFR_cyber_operations_incidents_2005-2022.csv"
DCID = DATASETS / "DCID_2.0_Release_update_February_2023.xlsx"
ADMIN = local_admin(HOST_ORG)
EE, IP = "eastern-europe", "indo-pacific"
real_exports = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists() and DCID.exists()), reason=f"the real exports are not in {DATASETS}"
)
# The merges the matcher must find on the real exports, by source key.
EXPECTED = {
    "NotPetya": ("eurepoc:1032", "cfr:NotPetya"),
    "SolarWinds": ("eurepoc:1254", "cfr:Targeting of SolarWinds customers"),
}


def coordinator(track: str = EE, name: str = "coord") -> Viewer:
    return Viewer(name=name, role=Role.COORDINATOR, tracks=frozenset({track}), tlp_ceiling="red", organisation=HOST_ORG)


def _upload(engine: Engine, path, track: str, mode: str = "append") -> pipeline.Committed:
    prepared = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=track, file_name=path.name, data=path.read_bytes(), max_bytes=10**8
    )
    return pipeline.commit(engine, prepared, ADMIN, mode=mode, skip_invalid=True)


def _count(engine: Engine, viewer: Viewer = ADMIN, tracks: frozenset[str] = frozenset()) -> int:
    clear_cache()
    return int(read.incident_summary(engine, viewer, IncidentFilter(tracks=tracks))["incidents"])


def _id(engine: Engine, key: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(Incident.id).where(Incident.source_key == key).order_by(Incident.id)))


def _group(engine: Engine, key: str) -> set[str]:
    with engine.connect() as conn:
        group = conn.scalar(text("SELECT group_key FROM source_groups WHERE source_key = :k"), {"k": key})
        return set(conn.scalars(text("SELECT source_key FROM source_groups WHERE group_key = :g"), {"g": group}))


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """EuRepoC, then CFR, into Eastern Europe (counting before and after CFR); then CFR into Indo-Pacific and DCID
    into both tracks."""
    if not (EUREPOC.exists() and CFR.exists() and DCID.exists()):
        pytest.skip(f"the real exports are not in {DATASETS}")
    db = Database(request.param, tmp_path_factory.mktemp("merges"))
    initialise(db.engine)
    _upload(db.engine, EUREPOC, EE)
    before = _count(db.engine, tracks=frozenset({EE}))
    cfr = _upload(db.engine, CFR, EE)
    after = _count(db.engine, tracks=frozenset({EE}))
    with db.engine.connect() as conn:
        matched = conn.execute(text("SELECT left_key, right_key FROM incident_merges WHERE status = 'matched'")).all()
    figures = {"before": before, "after": after, "cfr_stored": cfr.stored, "pairs": matched}
    _upload(db.engine, CFR, IP)  # WannaCry (North Korea) belongs to Indo-Pacific
    for track in (EE, IP):
        _upload(db.engine, DCID, track)
    clear_cache()
    yield db.engine, figures
    db.drop()


@real_exports
def test_the_expected_incidents_are_one_incident_with_two_sources(loaded) -> None:
    engine, figures = loaded
    for name, (eurepoc, cfr) in EXPECTED.items():
        assert {eurepoc, cfr} <= _group(engine, eurepoc), name
        members = merges.members(engine, ADMIN, _id(engine, eurepoc))
        assert {"EuRepoC", "CFR"} <= set(members["source"]), name
    assert figures["pairs"], "the matcher found nothing"
    # CFR and DCID name WannaCry (EuRepoC 1.1 has no WannaCry record of its own).
    wannacry = _group(engine, "cfr:WannaCry")
    assert any(k.startswith("dcid:") for k in wannacry), wannacry


@real_exports
def test_counts_drop_by_the_number_of_merged_pairs(loaded, capsys) -> None:
    _, figures = loaded
    pairs = len(figures["pairs"])  # one-to-one between two sources: each pair joins two records into one
    with capsys.disabled():
        print(
            f"\nEuRepoC in Eastern Europe: {figures['before']} incidents; CFR adds {figures['cfr_stored']} records, "
            f"{pairs} of them merged: {figures['after']} incidents"
        )
    assert figures["after"] == figures["before"] + figures["cfr_stored"] - pairs


@real_exports
def test_the_snapshot_and_sql_count_a_merged_incident_once(loaded) -> None:
    engine, _ = loaded
    flt = IncidentFilter(tracks=frozenset({EE}), start=dt.date(2017, 6, 1), end=dt.date(2017, 7, 31))
    clear_cache()
    rows = read.incident_rows(engine, ADMIN, flt, None)
    assert int(read.incident_summary(engine, ADMIN, flt)["incidents"]) == len(rows)
    notpetya = [t for t in rows["title"] if "notpetya" in t.casefold()]
    assert len(notpetya) == 1, notpetya


@real_exports
def test_sources_disagree_where_they_do(loaded) -> None:
    engine, _ = loaded
    solarwinds = merges.members(engine, ADMIN, _id(engine, "eurepoc:1254"))
    found = dict(merges.disagreements(solarwinds))
    assert "date" in found and "2019-09-01" in found["date"] and "2020-12-09" in found["date"]
    with engine.connect() as conn:
        alone = conn.scalar(
            text(
                "SELECT min(id) FROM incidents WHERE source_key LIKE 'eurepoc:%' "
                "AND source_key NOT IN (SELECT source_key FROM source_groups)"
            )
        )
    one = merges.members(engine, ADMIN, int(alone))
    assert len(one) == 1 and merges.disagreements(one) == []


@real_exports
def test_merged_events_are_read_together(loaded) -> None:
    engine, _ = loaded
    ids = tuple(int(i) for i in merges.members(engine, ADMIN, _id(engine, "eurepoc:1032"))["id"])
    alone = read.incident_attributions(engine, ADMIN, _id(engine, "eurepoc:1032"))
    together = read.incident_attributions(engine, ADMIN, ids)
    assert len(together) > len(alone) and set(together["incident_id"]) > {_id(engine, "eurepoc:1032")}


# ------------------------------------------------------------------ decisions (small data, both backends)


def _two_sources(engine: Engine) -> tuple[int, int]:
    """The same operation in two sources' uploads (template and CFR source ids), one Eastern Europe track."""
    base = incident("Wiper hits Kyiv power grid", when="2022-02-20", targets=("UKR",), initiators=("RUS",))
    store_incidents(engine, EE, [{**base, "source_id": "T-1", "initiator_name": "Sandworm"}])
    from dashboard.ingest.commit import VersionMeta, commit_version

    meta = VersionMeta(
        layer="incidents", track_id=EE, uploaded_by="tester", file_name="cfr.csv", sha256="1" * 64, preset="cfr"
    )
    other = {
        **base,
        "title": "Kyiv power grid wiper attack",
        "source_id": "Kyiv grid",
        "initiator_name": "Sandworm Team",
        "start_date": "2022-02-24",
    }
    commit_version(engine, meta, pd.DataFrame([other]))
    return _id(engine, "template:T-1"), _id(engine, "cfr:Kyiv grid")


@pytest.fixture(params=BACKENDS)
def pair(request: pytest.FixtureRequest, tmp_path) -> tuple[Engine, int, int]:
    db = Database(request.param, tmp_path)
    initialise(db.engine)
    first, second = _two_sources(db.engine)
    yield db.engine, first, second
    db.drop()


def test_two_uploads_of_one_operation_count_once_and_a_split_holds_across_re_uploads(pair) -> None:
    engine, first, second = pair
    assert _count(engine) == 1
    assert merge_writes.decide_for(engine, coordinator(), first, second, "split") == "matched"
    assert _count(engine) == 2
    # the matcher runs again at the next upload: the split stays
    store_incidents(engine, EE, [incident("Unrelated phishing", when="2020-01-01", targets=("EST",))])
    assert _count(engine) == 3
    merge_writes.decide_for(engine, coordinator(), second, first, "confirmed")
    store_incidents(engine, EE, [incident("Another unrelated event", when="2019-01-01", targets=("EST",))])
    assert _count(engine) == 3  # 2 unrelated + the confirmed merge
    with engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action == "incident.merge")
        ).all()
    assert [e.detail["status"] for e in events] == ["split", "confirmed"]
    assert events[1].detail["before"] == "split" and events[1].detail["keys"] == ["cfr:Kyiv grid", "template:T-1"]


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (
            Viewer(name="o", role=Role.OFFICIAL, tracks=frozenset({EE}), tlp_ceiling="red", organisation=HOST_ORG),
            "only coordinators",
        ),
        (coordinator(IP, "ip-coord"), "not visible"),
    ],
    ids=["official", "other-track coordinator"],
)
def test_others_may_not_decide_and_the_refusal_is_audited(pair, who: Viewer, why: str) -> None:
    engine, first, second = pair
    with pytest.raises(merge_writes.MergeRefused, match=why):
        merge_writes.decide_for(engine, who, first, second, "split")
    assert _count(engine) == 1
    with engine.connect() as conn:
        refused = conn.execute(select(AuditEvent.actor).where(AuditEvent.action == "incident.merge_refused")).all()
    assert [r.actor for r in refused] == [who.name]


def test_a_member_above_the_ceiling_is_never_listed(pair) -> None:
    engine, first, second = pair
    with engine.begin() as conn:
        conn.execute(update(Incident).where(Incident.id == second).values(tlp="red"))
    clear_cache()
    green = Viewer(name="g", role=Role.OFFICIAL, tracks=frozenset({EE}), tlp_ceiling="green", organisation=HOST_ORG)
    assert merges.members(engine, green, first)["id"].tolist() == [first]
    assert merges.members(engine, green, second).empty
    assert merges.members(engine, ADMIN, first)["id"].tolist() == [first, second]


@real_exports
def test_the_cli_lists_a_merged_incident_once_with_its_sources(loaded) -> None:
    import json

    from tests.test_cli import run

    engine, _ = loaded
    if engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough for the command line")
    found = run("incidents", "--search", "SolarWinds", "--json", "--limit", "50", url=str(engine.url))
    assert found.returncode == 0, found.stderr
    incidents = json.loads(found.stdout)
    solarwinds = [i for i in incidents if {"eurepoc:1254"} <= {s["source"] for s in i["sources"]}]
    assert len(solarwinds) == 1  # found by both records' text, listed once
    item = solarwinds[0]
    assert {s["source"] for s in item["sources"]} >= set(EXPECTED["SolarWinds"])
    assert any(d["field"] == "date" for d in item["disagreements"])
    assert len(item["attributions"]) > 1
    text_out = run("incidents", "--search", "SolarWinds", "--limit", "50", url=str(engine.url))
    listed = text_out.stdout
    assert "eurepoc:1254" in listed and "cfr:Targeting of SolarWinds customers" in listed and "    also " in listed
    assert "sources disagree on date" in listed


def test_a_coordinator_splits_a_merge_in_the_incident_details(pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest: the details of the merged incident list both sources; the coordinator splits the merge there, the
    table then counts two incidents, and an official sees no confirm or split controls."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import TEST_SECRET, sign_in

    engine, first, _ = pair
    if engine.dialect.name != "sqlite":
        pytest.skip("the page is the same on both backends; the decision is tested on both above")
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_DEMO_MODE", "false")
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", TEST_SECRET)

    def details(viewer: Viewer) -> AppTest:
        st.cache_resource.clear()
        st.cache_data.clear()
        at = sign_in(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90), viewer)
        at.switch_page("pages/incidents.py")
        at.query_params.update({"track": EE, "period": "all"})
        at.run()
        chooser = next(s for s in at.selectbox if s.label.startswith("Incident details"))
        chooser.set_value(first).run()
        return at

    official = details(
        Viewer(name="o", role=Role.OFFICIAL, tracks=frozenset({EE}), tlp_ceiling="red", organisation=HOST_ORG)
    )
    shown = " ".join(str(m.value) for m in official.markdown)
    assert "Sources** (2)" in shown
    assert not [b for b in official.button if b.label.startswith("Split")]
    at = details(coordinator())
    at.button(key=next(b.key for b in at.button if b.label.startswith("Split"))).click().run()
    assert any("Merge split" in str(s.value) for s in at.success), [str(e.value) for e in at.error]
    assert _count(engine) == 2
    with engine.connect() as conn:
        assert conn.scalar(select(AuditEvent.detail).where(AuditEvent.action == "incident.merge"))["status"] == "split"
    st.cache_resource.clear()
    st.cache_data.clear()

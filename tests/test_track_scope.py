"""Track scope lives in the data: an incident belongs to a track by its countries, and a source record counts once.

Each read is checked on the columnar snapshot (the pages' path) and in SQL (tests/oracle.py, the downloads' path).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select, text

from dashboard import read
from dashboard.core.access import Role, Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.ingest.commit import VersionMeta, commit_version
from dashboard.read import snapshot as facts
from dashboard.read.norms import norm_conditions
from dashboard.store.models import NormAssessment
from tests import oracle
from tests.factories import incident, norm, store_incidents

EE, IP = "eastern-europe", "indo-pacific"
BOTH = (EE, IP)


def viewer(tracks=BOTH, ceiling: str = "red", org: str = "Dialogue Secretariat") -> Viewer:
    return Viewer(name="v", role=Role.OFFICIAL, tracks=frozenset(tracks), tlp_ceiling=ceiling, organisation=org)


def titles(engine: Engine, v: Viewer, tracks: tuple[str, ...] = ()) -> list[str]:
    """Titles of the visible incidents, on the snapshot; the SQL read must give the same ids."""
    flt = IncidentFilter(tracks=frozenset(tracks))
    rows = read.incident_rows(engine, v, flt)
    sql = oracle.incident_rows(engine, v, flt)
    assert sorted(rows["id"]) == sorted(sql["id"])
    assert read.incident_summary(engine, v, flt)["incidents"] == len(rows)
    return sorted(rows["title"])


def test_an_incident_shows_in_every_track_one_of_its_countries_belongs_to(engine: Engine) -> None:
    # Uploaded into Indo-Pacific, but Russia (an Eastern Europe member) is the initiator.
    store_incidents(engine, IP, [incident("RUS on JPN", targets=("JPN",), initiators=("RUS",))])
    store_incidents(engine, IP, [incident("CHN on AUS", targets=("AUS",), initiators=("CHN",))])
    store_incidents(engine, EE, [incident("on EST", targets=("EST",))])
    assert titles(engine, viewer((EE,))) == ["RUS on JPN", "on EST"]
    assert titles(engine, viewer((IP,))) == ["CHN on AUS", "RUS on JPN"]
    assert titles(engine, viewer(), (EE,)) == ["RUS on JPN", "on EST"]
    assert titles(engine, viewer()) == ["CHN on AUS", "RUS on JPN", "on EST"]


def test_an_incident_without_any_country_stays_in_the_track_it_was_uploaded_into(engine: Engine) -> None:
    store_incidents(engine, EE, [incident("target not identified", targets=())])
    assert titles(engine, viewer((EE,))) == ["target not identified"]
    assert titles(engine, viewer((IP,))) == []


def test_the_same_source_record_in_both_tracks_counts_once(engine: Engine) -> None:
    record = incident("NotPetya", targets=("UKR", "AUS"), initiators=("RUS",))
    store_incidents(engine, EE, [record, incident("only EE", targets=("EST",))])
    store_incidents(engine, IP, [record])
    assert titles(engine, viewer()) == ["NotPetya", "only EE"]
    assert titles(engine, viewer((EE,))) == ["NotPetya", "only EE"]
    assert titles(engine, viewer((IP,))) == ["NotPetya"]
    counts = dict(zip(*read.incident_counts_by_country(engine, viewer()).pipe(lambda f: (f["iso3"], f["incidents"]))))
    assert counts["UKR"] == 1 and counts["AUS"] == 1


def test_a_copy_the_viewer_may_not_see_does_not_hide_the_one_they_may(engine: Engine) -> None:
    store_incidents(engine, EE, [incident("Viasat", targets=("UKR",), tlp="red")])
    store_incidents(engine, IP, [incident("Viasat", targets=("UKR",), tlp="green")])
    green = viewer(ceiling="green")
    rows = read.incident_rows(engine, green, IncidentFilter())
    assert rows["title"].tolist() == ["Viasat"] and rows["tlp"].tolist() == ["green"]
    assert titles(engine, green) == ["Viasat"]
    assert titles(engine, viewer()) == ["Viasat"]  # the RED copy (lower id) for a RED reader, still once


def test_the_views_follow_a_change_of_membership_without_a_reupload(engine: Engine) -> None:
    store_incidents(engine, IP, [incident("on USA", targets=("USA",))])
    before = facts.snapshot(engine).stamp
    assert titles(engine, viewer((IP,))) == ["on USA"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM track_members WHERE track_id = 'indo-pacific' AND iso3 = 'USA'"))
    assert facts.snapshot(engine).stamp != before
    assert titles(engine, viewer((IP,))) == []
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO track_members (track_id, iso3, basis) VALUES ('eastern-europe', 'USA', 'test')"))
    assert titles(engine, viewer((EE,))) == ["on USA"]


def test_a_track_filter_outside_the_viewers_tracks_shows_nothing(engine: Engine) -> None:
    store_incidents(engine, IP, [incident("CHN on AUS", targets=("AUS",), initiators=("CHN",))])
    assert titles(engine, viewer((EE,)), (IP,)) == []


def test_replaced_norm_assessments_are_hidden_while_the_replacing_version_is_active(engine: Engine) -> None:
    def upload(status: str, replaces: list[int] | None = None) -> int:
        meta = VersionMeta(layer="norms", track_id=EE, uploaded_by="t", file_name=f"{status}.csv", sha256="0" * 64)
        frame = pd.DataFrame([norm("EST", "un-norms:f", "2024-01-01", status)])
        return commit_version(engine, meta, frame, replaces=replaces)

    first = upload("implemented")
    with engine.connect() as conn:
        old_id = conn.scalar(text("SELECT id FROM norm_assessments WHERE dataset_version_id = :v"), {"v": first})
    second = upload("in_progress", [old_id])
    with engine.connect() as conn:
        shown = (
            conn.execute(select(NormAssessment.status).where(*norm_conditions(viewer(), frozenset({EE}), None)))
            .scalars()
            .all()
        )
        stored = conn.scalar(text("SELECT count(*) FROM norm_assessments"))
    assert shown == ["in_progress"]
    assert stored == 2  # nothing is deleted: a rollback shows the first row again
    assert second > first


def test_an_upload_checks_the_membership_the_database_holds(engine: Engine) -> None:
    """The views and the upload's 'outside the track' check follow the same, editable, membership."""
    from dashboard.core.access import local_admin
    from dashboard.ingest import pipeline
    from dashboard.ingest.issues import OUTSIDE

    admin = local_admin("Dialogue Secretariat")
    data = (
        b"title,start_date,incident_type,target_countries\n"
        b"Grid outage,2025-01-10,disruption,USA\n"
        b"Ministry leak,2025-01-11,hack-and-leak,JPN\n"
    )

    def outside_rows() -> list[int]:
        prepared = pipeline.prepare(
            engine, admin, layer="incidents", track=IP, file_name="t.csv", data=data, max_bytes=10**6
        )
        report = prepared.report_frame()
        return report[report["level"] == OUTSIDE]["row"].tolist()

    assert outside_rows() == []
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM track_members WHERE track_id = 'indo-pacific' AND iso3 = 'USA'"))
    assert outside_rows() == [2]

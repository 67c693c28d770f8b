"""Uploads see only what the uploader may see, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

The track holds rows the coordinator may see (CLEAR, AMBER, their own organisation's AMBER+STRICT) and rows they may
not (RED; another organisation's AMBER+STRICT). A probe file of guessed ids must learn nothing about the hidden rows
(no 'changed' or 'unchanged' for them, only "this id is already used"), the counts and the replace warning cover only
the visible rows, and no commit or rollback can replace or hide a hidden row. The comparison is made under the
commit's lock, so parallel uploads never store one key twice. Refused uploads are audited.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from dashboard import PROJECT_ROOT, read
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.filters import IncidentFilter
from dashboard.ingest import pipeline
from dashboard.ingest.compare import ID_TAKEN
from dashboard.ingest.versions import rollback
from dashboard.read.scope import Scope, current_rows
from dashboard.store.models import AuditEvent, Incident, NormAssessment, Partnership
from tests.conftest import HOST_ORG, Database
from tests.factories import incident, norm, partnership, store, store_incidents

TRACK = "eastern-europe"
OTHER_ORG = "Grid ISAC"
COORDINATOR = Viewer(
    name="coord", role=Role.COORDINATOR, tracks=frozenset({TRACK}), tlp_ceiling="amber+strict", organisation=HOST_ORG
)
RED_READER = Viewer(name="red", role=Role.OFFICIAL, tracks=frozenset({TRACK}), tlp_ceiling="red", organisation=HOST_ORG)
OTHER_STRICT_READER = Viewer(
    name="isac", role=Role.OFFICIAL, tracks=frozenset({TRACK}), tlp_ceiling="amber+strict", organisation=OTHER_ORG
)
ADMIN = local_admin(HOST_ORG)
HEADER = ["source_id", "title", "start_date", "incident_type", "target_countries", "severity", "tlp"]
VISIBLE = ["V-CLEAR", "V-AMBER", "V-OWN-STRICT"]
HIDDEN = ["H-RED", "H-STRICT"]


def _csv(rows: list[tuple[str, str, str]]) -> bytes:
    """A template incidents file: (source id, title, marking) per row, the other fields as the planted rows'."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    for source_id, title, tlp in rows:
        writer.writerow([source_id, title, "2025-03-10", "disruption", "EST", 3, tlp])
    return buf.getvalue().encode()


def _plant(engine: Engine) -> int:
    """The track's first version: three rows the coordinator may see and two they may not; returns its id."""
    return store_incidents(
        engine,
        TRACK,
        [
            incident("V-CLEAR", tlp="clear"),
            incident("V-AMBER", tlp="amber"),
            incident("V-OWN-STRICT", tlp="amber+strict", owner=HOST_ORG),
            incident("H-RED", tlp="red"),
            incident("H-STRICT", tlp="amber+strict", owner=OTHER_ORG),
        ],
    )


def _prepare(engine: Engine, viewer: Viewer, data: bytes, name: str = "probe.csv") -> pipeline.Prepared:
    return pipeline.prepare(
        engine, viewer, layer="incidents", track=TRACK, file_name=name, data=data, max_bytes=1 << 24
    )


def _seen(engine: Engine, viewer: Viewer) -> dict[str, tuple[str, str]]:
    """source id -> (title, marking) of every incident of the track the viewer sees, through the page's read."""
    rows = read.incident_rows(engine, viewer, IncidentFilter(tracks=frozenset({TRACK})), None)
    assert not rows["source_id"].duplicated().any(), f"a source id shown twice: {sorted(rows['source_id'])}"
    return {s: (t, m) for s, t, m in zip(rows["source_id"], rows["title"], rows["tlp"], strict=True)}


def _current_in_sql(engine: Engine, viewer: Viewer) -> list[str]:
    """Source ids of the current incident rows stored into the track whose marking the viewer may see, in SQL, every
    copy (the views show copies of one source record once, so they would hide a duplicate)."""
    stmt = select(Incident.source_id).where(
        current_rows(Incident), Scope.of(viewer).marking_clause(Incident), Incident.track_id == TRACK
    )
    with engine.connect() as conn:
        return sorted(conn.scalars(stmt))


def _events(engine: Engine, action: str) -> list[dict]:
    with engine.connect() as conn:
        return [
            {"actor": a, "object_id": o, **d}
            for a, o, d in conn.execute(
                select(AuditEvent.actor, AuditEvent.object_id, AuditEvent.detail)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            ).all()
        ]


# ---------------------------------------------------------------- the probe file


def test_a_probe_file_learns_nothing_about_rows_above_the_uploaders_clearance(engine: Engine) -> None:
    _plant(engine)
    probe = _csv(
        [
            ("V-CLEAR", "V-CLEAR", "clear"),  # as stored: unchanged
            ("V-AMBER", "V-AMBER edited", "amber"),  # changed
            # as the hidden RED row but marked within the coordinator's clearance (a RED row is refused outright,
            # see test_upload_clearance.py): must not say 'changed'
            ("H-RED", "H-RED", "amber"),
            ("H-STRICT", "H-STRICT edited", "clear"),  # differs from the other organisation's row: not 'changed'
            ("NEW-1", "A new incident", "clear"),
        ]
    )
    prepared = _prepare(engine, COORDINATOR, probe)
    assert prepared.status == ["unchanged", "changed", "error", "error", "new"]
    counts = prepared.counts
    assert (counts["new"], counts["changed"], counts["unchanged"], counts["errors"]) == (1, 1, 1, 2)
    assert prepared.existing_rows == len(VISIBLE)
    assert counts["removed_in_replace"] == 1  # V-OWN-STRICT; the two hidden rows are not counted
    hidden_issues = [i for i in prepared.issues if i.value in HIDDEN]
    assert [(i.row, i.level, i.message) for i in hidden_issues] == [(4, "error", ID_TAKEN), (5, "error", ID_TAKEN)]
    report = prepared.report_frame().to_csv()
    assert "red" not in report.lower().replace("h-red", "") and "strict" not in report.lower().replace("h-strict", "")
    assert OTHER_ORG not in report
    assert list(prepared.preview()["outcome"]) == prepared.status
    # Someone cleared for RED (an administrator of the host organisation) matches the RED row as usual.
    admin_view = _prepare(engine, ADMIN, probe)
    assert admin_view.status[2] == "changed" and admin_view.existing_rows == 4  # not the other org's STRICT row


def test_the_replace_count_is_what_the_coordinator_sees(engine: Engine) -> None:
    _plant(engine)
    store_incidents(engine, TRACK, [incident(f"H-RED-{i}", tlp="red") for i in range(4)])
    prepared = _prepare(engine, COORDINATOR, _csv([("V-CLEAR", "V-CLEAR", "clear")]))
    seen = _seen(engine, COORDINATOR)
    assert len(seen) == len(VISIBLE)
    assert prepared.existing_rows == len(seen)
    assert prepared.counts["removed_in_replace"] == len(seen) - 1


@pytest.mark.parametrize(
    ("layer", "plant", "file_text"),
    [
        (
            "norms",
            lambda e: store(e, "norms", TRACK, [norm("EST", "un-norms:a", "2025-01-10", "implemented", tlp="red")]),
            "iso3,item_id,assessed_on,status,tlp\nEST,un-norms:a,2025-01-10,in_progress,clear\n",
        ),
        (
            "partnerships",
            lambda e: store(e, "partnerships", TRACK, [partnership("H-RED-MOU", "mou", ("EST", "LVA"), tlp="red")]),
            "source_id,name,kind,countries,status,tlp\nH-RED-MOU,Other name,mou,EST; LVA,active,clear\n",
        ),
    ],
)
def test_every_layer_refuses_a_key_held_by_a_hidden_row(engine: Engine, layer: str, plant, file_text: str) -> None:
    plant(engine)
    prepared = pipeline.prepare(
        engine,
        COORDINATOR,
        layer=layer,
        track=TRACK,
        file_name=f"{layer}.csv",
        data=file_text.encode(),
        max_bytes=1 << 20,
    )
    assert prepared.status == ["error"]
    assert [i.message for i in prepared.issues if i.level == "error"] == [ID_TAKEN]
    assert prepared.existing_rows == 0 and prepared.counts["removed_in_replace"] == 0
    with pytest.raises(pipeline.UploadRefused, match="1 of 1 rows have errors"):
        pipeline.commit(engine, prepared, COORDINATOR)
    model = {"norms": NormAssessment, "partnerships": Partnership}[layer]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(model)) == 1  # nothing written


# ---------------------------------------------------------------- commits and rollbacks


def test_an_append_cannot_replace_a_hidden_row(engine: Engine) -> None:
    _plant(engine)
    data = _csv([("H-RED", "Harmless CLEAR text", "clear"), ("V-AMBER", "V-AMBER edited", "amber")])
    prepared = _prepare(engine, COORDINATOR, data)
    with pytest.raises(pipeline.UploadRefused, match="1 of 2 rows have errors"):
        pipeline.commit(engine, prepared, COORDINATOR)
    done = pipeline.commit(engine, prepared, COORDINATOR, skip_invalid=True)
    assert (done.stored, done.superseded, done.counts["changed"], done.counts["errors"]) == (1, 1, 1, 1)
    assert _seen(engine, RED_READER)["H-RED"] == ("H-RED", "red")
    assert _current_in_sql(engine, RED_READER).count("H-RED") == 1
    assert _seen(engine, COORDINATOR)["V-AMBER"] == ("V-AMBER edited", "amber")
    audit = _events(engine, "dataset.commit")[-1]
    assert audit["object_id"] == str(done.version_id)
    assert {k: audit[k] for k in ("rows_stored", "rows_new", "rows_changed", "rows_unchanged", "rows_superseded")} == {
        "rows_stored": 1,
        "rows_new": 0,
        "rows_changed": 1,
        "rows_unchanged": 0,
        "rows_superseded": 1,
    }


def test_a_replace_keeps_hidden_rows_current_through_rollbacks(engine: Engine) -> None:
    first = _plant(engine)
    before = {v: _seen(engine, v) for v in (COORDINATOR, RED_READER, OTHER_STRICT_READER)}
    assert "H-RED" in before[RED_READER] and "H-STRICT" in before[OTHER_STRICT_READER]
    data = _csv([("V-CLEAR", "V-CLEAR edited", "clear"), ("NEW-1", "A new incident", "green")])
    prepared = _prepare(engine, COORDINATOR, data)
    assert prepared.counts["removed_in_replace"] == 2  # V-AMBER and V-OWN-STRICT, not the hidden rows
    done = pipeline.commit(engine, prepared, COORDINATOR, mode="replace")
    assert done.superseded == len(VISIBLE)
    after = {
        COORDINATOR: {"V-CLEAR": ("V-CLEAR edited", "clear"), "NEW-1": ("A new incident", "green")},
        RED_READER: {
            "V-CLEAR": ("V-CLEAR edited", "clear"),
            "NEW-1": ("A new incident", "green"),
            "H-RED": ("H-RED", "red"),
        },
        OTHER_STRICT_READER: {
            "V-CLEAR": ("V-CLEAR edited", "clear"),
            "NEW-1": ("A new incident", "green"),
            "H-STRICT": ("H-STRICT", "amber+strict"),
        },
    }
    for viewer, expected in after.items():
        assert _seen(engine, viewer) == expected, viewer.name
        assert _current_in_sql(engine, viewer) == sorted(expected), viewer.name
    audit = _events(engine, "dataset.commit")[-1]
    assert (audit["mode"], audit["rows_removed"], audit["rows_superseded"]) == ("replace", 2, 3)

    rollback(engine, first, COORDINATOR)  # back to before the replace: exactly as it was
    for viewer, expected in before.items():
        assert _seen(engine, viewer) == expected, viewer.name
    rollback(engine, done.version_id, COORDINATOR)  # and forward again
    for viewer, expected in after.items():
        assert _seen(engine, viewer) == expected, viewer.name

    # A second replace by the coordinator: the hidden rows still stay, and both rollbacks still hold.
    again = pipeline.commit(
        engine, _prepare(engine, COORDINATOR, _csv([("NEW-2", "Another", "clear")])), COORDINATOR, mode="replace"
    )
    assert again.superseded == 2 and again.counts["removed_in_replace"] == 2
    assert _seen(engine, RED_READER) == {"NEW-2": ("Another", "clear"), "H-RED": ("H-RED", "red")}
    assert _seen(engine, OTHER_STRICT_READER) == {
        "NEW-2": ("Another", "clear"),
        "H-STRICT": ("H-STRICT", "amber+strict"),
    }
    rollback(engine, done.version_id, COORDINATOR)
    for viewer, expected in after.items():
        assert _seen(engine, viewer) == expected, viewer.name
    rollback(engine, first, COORDINATOR)
    for viewer, expected in before.items():
        assert _seen(engine, viewer) == expected, viewer.name


def test_a_replace_after_changes_above_the_ceiling_keeps_exactly_the_current_hidden_rows(engine: Engine) -> None:
    """Hidden rows changed twice by a RED uploader: the replace keeps the newest copy, and no older one returns."""
    _plant(engine)
    for title in ("H-RED second", "H-RED third"):
        red = _prepare(engine, ADMIN, _csv([("H-RED", title, "red")]))
        assert red.status == ["changed"]
        pipeline.commit(engine, red, ADMIN)
    done = pipeline.commit(
        engine, _prepare(engine, COORDINATOR, _csv([("NEW-1", "New", "clear")])), COORDINATOR, mode="replace"
    )
    assert done.superseded == len(VISIBLE)
    assert _seen(engine, RED_READER) == {"NEW-1": ("New", "clear"), "H-RED": ("H-RED third", "red")}
    assert _current_in_sql(engine, RED_READER) == ["H-RED", "NEW-1"]
    assert _seen(engine, OTHER_STRICT_READER) == {"NEW-1": ("New", "clear"), "H-STRICT": ("H-STRICT", "amber+strict")}


def test_a_replace_that_sees_every_row_deactivates_the_earlier_versions(engine: Engine) -> None:
    first = store_incidents(engine, TRACK, [incident("V-CLEAR"), incident("V-AMBER", tlp="amber")])
    done = pipeline.commit(
        engine, _prepare(engine, COORDINATOR, _csv([("NEW-1", "New", "clear")])), COORDINATOR, mode="replace"
    )
    active = rollback(engine, done.version_id, COORDINATOR)  # the version's own active set
    assert active == [done.version_id] and first not in active
    assert _seen(engine, RED_READER) == {"NEW-1": ("New", "clear")}


# ---------------------------------------------------------------- one comparison per lock


def test_a_commit_compares_again_when_the_data_changed_after_the_check(engine: Engine) -> None:
    first = _prepare(engine, COORDINATOR, _csv([("DUP-1", "First wording", "clear")]), "first.csv")
    second = _prepare(engine, COORDINATOR, _csv([("DUP-1", "Second wording", "clear")]), "second.csv")
    same = _prepare(engine, COORDINATOR, _csv([("DUP-1", "Second wording", "clear")]), "same.csv")
    assert first.status == second.status == same.status == ["new"]
    done = pipeline.commit(engine, first, COORDINATOR)
    assert not done.rechecked and done.counts["new"] == 1
    later = pipeline.commit(engine, second, COORDINATOR)
    assert later.rechecked and later.counts["changed"] == 1 and later.counts["new"] == 0 and later.superseded == 1
    with pytest.raises(pipeline.UploadRefused, match="already in the current data"):
        pipeline.commit(engine, same, COORDINATOR)
    assert _current_in_sql(engine, RED_READER) == ["DUP-1"]
    assert _seen(engine, RED_READER) == {"DUP-1": ("Second wording", "clear")}


def test_a_commit_refuses_a_key_taken_by_a_hidden_row_after_the_check(engine: Engine) -> None:
    prepared = _prepare(engine, COORDINATOR, _csv([("LATE-1", "Guess", "clear"), ("OK-1", "Fine", "clear")]))
    assert prepared.status == ["new", "new"]
    store_incidents(engine, TRACK, [incident("LATE-1", tlp="red")])  # stored meanwhile, above the ceiling
    with pytest.raises(pipeline.UploadRefused, match="1 of 2 rows have errors"):
        pipeline.commit(engine, prepared, COORDINATOR)
    done = pipeline.commit(engine, prepared, COORDINATOR, skip_invalid=True)
    assert done.stored == 1 and done.superseded == 0
    assert _seen(engine, RED_READER)["LATE-1"] == ("LATE-1", "red")


def test_eight_parallel_cli_uploads_of_the_same_ids_store_each_id_once(
    engine: Engine, database: Database, tmp_path: Path
) -> None:
    """Eight `ingest` processes append one file (2,000 rows, so that the commits overlap the others' checks): one
    stores it, the others find every row unchanged when they compare again under the lock, and each id is current
    once (before the fix, several processes stored all 2,000 rows)."""
    path = tmp_path / "same.csv"
    ids = [f"DUP-{i}" for i in range(2000)]
    path.write_bytes(_csv([(s, f"The same incident {s}", "clear") for s in ids]))
    cmd = [sys.executable, "-m", "dashboard", "--database-url", database.url, "ingest", "incidents", str(path)]
    procs = [
        subprocess.Popen(
            [*cmd, "--track", TRACK], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert all("Traceback" not in err for _, _, err in results), [err for _, _, err in results]
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Incident))
    assert _current_in_sql(engine, ADMIN) == sorted(ids), f"{stored} rows stored for {len(ids)} ids"
    assert stored == len(ids)
    assert sorted(code for code, _, _ in results) == [0] + [1] * 7, results
    assert sum("already in the current data" in err for _, _, err in results) == 7


# ---------------------------------------------------------------- refused uploads are audited


def test_refused_uploads_are_audited_with_file_track_layer_reason_and_counts(engine: Engine) -> None:
    _plant(engine)
    outsider = Viewer(
        name="ipc",
        role=Role.COORDINATOR,
        tracks=frozenset({"indo-pacific"}),
        tlp_ceiling="amber",
        organisation=HOST_ORG,
    )
    with pytest.raises(pipeline.UploadRefused):
        _prepare(engine, outsider, _csv([("X-1", "x", "clear")]), "../../wrong track.csv")
    prepared = _prepare(engine, COORDINATOR, _csv([("H-RED", "probe", "clear"), ("N-1", "n", "clear")]), "probe.csv")
    with pytest.raises(pipeline.UploadRefused):
        pipeline.commit(engine, prepared, COORDINATOR, mode="replace")
    events = _events(engine, "upload_refused")
    assert [(e["actor"], e["file_name"], e["layer"], e["track"]) for e in events] == [
        ("ipc", "wrong track.csv", "incidents", TRACK),
        ("coord", "probe.csv", "incidents", TRACK),
    ]
    assert "only to your own tracks" in events[0]["reason"] and events[0]["counts"] == {}
    assert events[1]["reason"].startswith("1 of 2 rows have errors") and events[1]["mode"] == "replace"
    assert {k: events[1]["counts"][k] for k in ("total", "errors", "new", "changed", "unchanged")} == {
        "total": 2,
        "errors": 1,
        "new": 1,
        "changed": 0,
        "unchanged": 0,
    }
    assert events[1]["counts"]["removed_in_replace"] == len(VISIBLE)


def test_refused_cli_uploads_are_audited(engine: Engine, database: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "source_id,title,start_date,incident_type,target_countries,severity,tlp\nB1,Bad,31/02/2021,x,EST,1,\n"
    )
    odd = tmp_path / "odd.csv"
    odd.write_text("Ref,Headline\nR1,Port outage\n")
    base = [sys.executable, "-m", "dashboard", "--database-url", database.url, "ingest", "incidents"]
    for path in (bad, odd, tmp_path / "missing.csv"):
        result = subprocess.run(
            [*base, str(path), "--track", TRACK], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr
    events = _events(engine, "upload_refused")
    assert [(e["actor"], e["file_name"], e["track"], e["layer"]) for e in events] == [
        ("local-admin", name, TRACK, "incidents") for name in ("bad.csv", "odd.csv", "missing.csv")
    ]
    assert events[0]["reason"].startswith("1 of 1 rows have errors") and events[0]["counts"]["errors"] == 1
    assert "not recognised" in events[1]["reason"]
    assert "cannot read" in events[2]["reason"]


def _upload_page_script() -> None:
    """What the upload page does with a file (AppTest runs this source as a page script)."""
    import streamlit as st

    from dashboard.app import upload_panel
    from dashboard.core.access import Role, Viewer
    from dashboard.ingest import pipeline

    viewer = Viewer(
        name="ipc", role=Role.COORDINATOR, tracks=frozenset({"indo-pacific"}), tlp_ceiling="amber", organisation="x"
    )
    data = b"source_id,title,start_date,incident_type,target_countries,severity\nX-1,x,2025-03-10,disruption,EST,3\n"
    try:
        upload_panel.prepare_upload(
            viewer,
            layer="incidents",
            track="eastern-europe",
            name="page upload.csv",
            data=data,
            preset="auto",
            sheet=None,
            mapping=None,
            default_tlp="amber",
            store_unidentified=False,
        )
    except pipeline.UploadRefused as exc:
        st.error(str(exc))


def test_a_refused_upload_on_the_page_is_audited_once(app_engine: Engine) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_upload_page_script, default_timeout=60).run()
    assert not at.exception and "only to your own tracks" in at.error[0].value
    at.run()  # a rerun (any widget) shows the same refusal without checking, or auditing, the file again
    assert not at.exception and "only to your own tracks" in at.error[0].value
    events = _events(app_engine, "upload_refused")
    assert [(e["actor"], e["file_name"], e["layer"], e["track"]) for e in events] == [
        ("ipc", "page upload.csv", "incidents", TRACK)
    ]

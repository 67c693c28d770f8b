"""Faults on the upload path: concurrent uploads (threads and processes), readers during a commit, a process killed
inside its commit, rollback to every earlier state, and the cache stamp. Runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from dashboard import PROJECT_ROOT, read
from dashboard.core.access import local_admin
from dashboard.core.filters import IncidentFilter
from dashboard.ingest import bulk, pipeline
from dashboard.ingest.pipeline import Committed, Prepared, UploadRefused
from dashboard.ingest.versions import rollback
from dashboard.store.models import AuditEvent, DatasetVersion, Incident, IncidentTarget
from tests.conftest import HOST_ORG, Database
from tests.test_db import table_checksums

TRACK = "eastern-europe"
ADMIN = local_admin(HOST_ORG)
HEADER = [
    "source_id",
    "title",
    "description",
    "start_date",
    "end_date",
    "incident_type",
    "severity",
    "target_countries",
    "initiator_countries",
    "initiator_name",
    "initiator_category",
    "sectors",
    "norms",
    "attribution_basis",
    "confidence",
    "source_urls",
    "tlp",
    "owner_org",
]
TYPES = ["disruption", "ransomware", "espionage", "defacement", "hack-and-leak"]
TARGETS = ["EST", "LVA", "LTU", "POL", "UKR", "MDA", "GEO"]


def incidents_csv(prefix: str, n: int, *, start: int = 0, title: str = "incident") -> bytes:
    """A template-format incidents file with n rows and distinct source ids `prefix-000000`..."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    base = dt.date(2025, 1, 1)
    for i in range(start, start + n):
        writer.writerow(
            [
                f"{prefix}-{i:06d}",
                f"{prefix} {title} {i}",
                "",
                (base + dt.timedelta(days=i % 300)).isoformat(),
                "",
                TYPES[i % len(TYPES)],
                i % 6,
                TARGETS[i % len(TARGETS)],
                "",
                "",
                "",
                "energy",
                "",
                "",
                "unknown",
                "",
                "clear",
                "",
            ]
        )
    return buf.getvalue().encode()


def prepare(engine: Engine, data: bytes, name: str) -> Prepared:
    """Check an incidents file for the Eastern Europe track as the local administrator."""
    prepared = pipeline.prepare(
        engine, ADMIN, layer="incidents", track=TRACK, file_name=name, data=data, max_bytes=1 << 30
    )
    assert prepared.counts["errors"] == 0, prepared.issues[:3]
    return prepared


def upload(engine: Engine, data: bytes, name: str, mode: str = "append") -> Committed:
    """Prepare and commit one file."""
    return pipeline.commit(engine, prepare(engine, data, name), ADMIN, mode=mode)


def visible_count(engine: Engine) -> int:
    """Incidents of the track a reader sees now (active versions, not replaced), counted directly in SQL."""
    stmt = select(func.count()).select_from(Incident).where(read.scope_clause(Incident, ADMIN))
    with engine.connect() as conn:
        return int(conn.scalar(stmt.where(Incident.track_id == TRACK)))


def visible_rows(engine: Engine) -> set[tuple[str, str]]:
    """(source_id, title) of every incident of the track a reader sees now, through the page's own query."""
    rows = read.incident_rows(engine, ADMIN, IncidentFilter(tracks=frozenset({TRACK})), None)
    return set(zip(rows["source_id"], rows["title"]))


def count_rows(engine: Engine, model: type) -> int:
    """Every stored row of a table, visible or not."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)))


def audit_count(engine: Engine, action: str) -> int:
    """Audit events of one kind."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)))


def stored_versions(engine: Engine) -> list[tuple[int, int, str, int, str]]:
    """(id, number, status, rows_stored, file_name) of the incident versions of the track, by number."""
    stmt = (
        select(
            DatasetVersion.id,
            DatasetVersion.number,
            DatasetVersion.status,
            DatasetVersion.rows_stored,
            DatasetVersion.file_name,
        )
        .where(DatasetVersion.layer == "incidents", DatasetVersion.track_id == TRACK)
        .order_by(DatasetVersion.number)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt).all()]


def visible_prefixes(engine: Engine) -> dict[str, int]:
    """Visible incidents per source-id prefix (one prefix per uploaded file)."""
    out: dict[str, int] = {}
    for source_id, _ in visible_rows(engine):
        prefix = source_id.rsplit("-", 1)[0]
        out[prefix] = out.get(prefix, 0) + 1
    return out


def assert_consistent(engine: Engine, committed_files: dict[str, int]) -> None:
    """Versions numbered 1..n without gaps, each audited, and exactly the committed files' rows visible."""
    versions = stored_versions(engine)
    assert [v[1] for v in versions] == list(range(1, len(versions) + 1)), versions
    assert {v[4] for v in versions} == set(committed_files), "a refused upload left a version row behind"
    assert all(v[2] == "active" for v in versions)
    assert sum(v[3] for v in versions) == visible_count(engine) == count_rows(engine, Incident)
    assert count_rows(engine, IncidentTarget) == count_rows(engine, Incident), "child rows without their incident"
    assert audit_count(engine, "dataset.commit") == len(versions)
    expected = {Path(name).stem.split("_", 1)[1]: rows for name, rows in committed_files.items()}
    assert visible_prefixes(engine) == expected, "rows of a refused upload are visible, or a commit lost rows"


# ---------------------------------------------------------------- concurrent uploads


def test_eight_uploads_at_once_in_threads_are_each_committed_or_cleanly_refused(engine: Engine) -> None:
    files = {f"threads_T{i}.csv": incidents_csv(f"T{i}", 200) for i in range(8)}
    prepared = {name: prepare(engine, data, name) for name, data in files.items()}
    barrier = threading.Barrier(len(prepared))
    outcomes: dict[str, object] = {}

    def run(name: str) -> None:
        barrier.wait()
        try:
            outcomes[name] = pipeline.commit(engine, prepared[name], ADMIN)
        except (UploadRefused, DBAPIError) as exc:  # refused by the app, or by the database's constraints
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in prepared]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 8, "an upload neither finished nor failed (a thread hung or died)"
    committed = {name: o for name, o in outcomes.items() if isinstance(o, Committed)}
    assert len(committed) == 8, f"uploads to one layer and track are serialised, so all commit: {outcomes}"
    assert sorted(c.number for c in committed.values()) == list(range(1, len(committed) + 1))
    assert len({c.version_id for c in committed.values()}) == len(committed)
    assert all(c.stored == 200 for c in committed.values())
    assert_consistent(engine, {name: 200 for name in committed})
    print(f"{engine.dialect.name}: {len(committed)} of 8 threaded uploads committed; the rest refused")


def test_an_upload_that_overlaps_another_commit_is_stored_as_the_next_version(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic form of the race above: the second commit starts while the first holds its transaction."""
    first = prepare(engine, incidents_csv("F", 50), "first.csv")
    second = prepare(engine, incidents_csv("S", 50), "second.csv")
    first_inside, release = threading.Event(), threading.Event()
    second_numbered = threading.Event()
    original = bulk.insert

    def held_bulk(session, table, columns) -> None:
        original(session, table, columns)
        if table == "incidents" and threading.current_thread().name == "first":
            first_inside.set()
            release.wait(60)

    def on_execute(conn, cursor, statement, *args) -> None:
        if threading.current_thread().name == "second" and statement.lstrip().startswith(
            "INSERT INTO dataset_versions"
        ):
            second_numbered.set()  # its number is computed; the insert is about to run

    monkeypatch.setattr(bulk, "insert", held_bulk)
    outcomes: dict[str, object] = {}

    def run(name: str, prepared: Prepared) -> None:
        try:
            outcomes[name] = pipeline.commit(engine, prepared, ADMIN)
        except Exception as exc:
            outcomes[name] = exc

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        one = threading.Thread(target=run, args=("first", first), name="first")
        one.start()
        assert first_inside.wait(60)
        two = threading.Thread(target=run, args=("second", second), name="second")
        two.start()
        # With a lock taken before numbering (a fixed app) the second commit waits here instead; go on after 3 s.
        second_numbered.wait(3)
        release.set()
        one.join(60)
        two.join(60)
    finally:
        release.set()
        event.remove(engine, "before_cursor_execute", on_execute)
    assert isinstance(outcomes["first"], Committed) and outcomes["first"].number == 1
    outcome = outcomes["second"]
    assert isinstance(outcome, Committed) and outcome.number == 2, f"the second upload ended with {outcome!r}"


def test_eight_cli_uploads_at_once_in_processes_are_each_committed_or_cleanly_refused(
    engine: Engine, database: Database, tmp_path: Path
) -> None:
    paths = []
    for i in range(8):
        path = tmp_path / f"procs_P{i}.csv"
        path.write_bytes(incidents_csv(f"P{i}", 200))
        paths.append(path)
    env = {**os.environ}
    env.pop("DASHBOARD_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "dashboard", "--database-url", database.url, "ingest", "incidents"]
    procs = {
        path.name: subprocess.Popen(
            [*cmd, str(path), "--track", TRACK],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in paths
    }
    results = {name: (p.wait(timeout=120), *p.communicate()) for name, p in procs.items()}
    codes = {name: r[0] for name, r in results.items()}
    assert set(codes.values()) <= {0, 1}, results
    for code, out, err in results.values():
        assert "Traceback" not in out + err
        if code == 0:
            assert "committed as dataset version" in out and "200 rows stored" in out
        else:
            assert err.startswith(("refused:", "error:")) and len(err.strip().splitlines()) == 1, err
    committed = [name for name, code in codes.items() if code == 0]
    assert len(committed) == 8, results  # serialised by the write lock, none needs refusing
    for name, (code, _, err) in sorted(results.items()):
        if code:
            print(f"{name}: {err.strip()[:160]}")
    assert_consistent(engine, {name: 200 for name in committed})
    print(f"{engine.dialect.name}: {len(committed)} of 8 CLI uploads committed; the rest refused")


# ---------------------------------------------------------------- readers during a commit


def test_readers_never_see_half_an_upload(engine: Engine) -> None:
    upload(engine, incidents_csv("BASE", 500), "base.csv")
    big = prepare(engine, incidents_csv("BIG", 20_000), "big.csv")
    before, after = 500, 20_500
    flt = IncidentFilter(tracks=frozenset({TRACK}))
    done = threading.Event()
    failure: list[BaseException] = []

    def write() -> None:
        try:
            pipeline.commit(engine, big, ADMIN)
        except BaseException as exc:
            failure.append(exc)
        finally:
            done.set()

    observed: list[tuple[bool, int, int, int]] = []
    writer = threading.Thread(target=write)
    writer.start()
    while True:
        during = not done.is_set()
        summary = read.incident_summary(engine, ADMIN, flt)["incidents"]
        direct = visible_count(engine)
        by_country = int(read.incident_counts_by_country(engine, ADMIN, flt)["incidents"].sum())
        observed.append((during, summary, direct, by_country))
        if not during:
            break
    writer.join()
    assert not failure, failure
    seen = {v for _, *values in observed for v in values}
    assert seen <= {before, after}, f"a reader saw a partial upload: {sorted(seen - {before, after})}"
    assert observed[-1][1:] == (after, after, after)
    overlapping = sum(1 for o in observed if o[0])
    assert overlapping >= 3, "too few reads overlapped the commit to prove anything"
    print(f"{engine.dialect.name}: {overlapping} reads overlapped the 20,000-row commit, each saw {before} or {after}")


# ---------------------------------------------------------------- a process killed inside its commit


def _pg_backends(engine: Engine, app_name: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.scalars(text("SELECT state FROM pg_stat_activity WHERE application_name = :a"), {"a": app_name})
        )


def test_a_process_killed_inside_its_commit_leaves_the_previous_version_and_the_retry_succeeds(
    engine: Engine, database: Database, tmp_path: Path
) -> None:
    first = upload(engine, incidents_csv("OLD", 300), "old.csv")
    before = table_checksums(engine)
    path = tmp_path / "crash_C.csv"
    path.write_bytes(incidents_csv("C", 12_000))
    ready = tmp_path / "ready"
    app_name = f"crash-{uuid.uuid4().hex[:8]}"
    url = database.url
    if database.backend == "postgresql":
        url = make_url(url).update_query_dict({"application_name": app_name}).render_as_string(hide_password=False)
    helper = subprocess.Popen(
        [sys.executable, "-m", "tests.fault_helpers.crash_commit", url, str(path), str(ready)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert helper.poll() is None, f"the helper ended before the halt: {helper.communicate()[0]}"
            assert time.monotonic() < deadline, "the helper never reached the middle of its commit"
            time.sleep(0.05)
        # The helper is inside an open transaction that has written rows: prove it before killing it.
        if database.backend == "sqlite":
            probe = sqlite3.connect(make_url(database.url).database, timeout=0.1)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                probe.execute("BEGIN IMMEDIATE")
            probe.close()
        else:
            assert "idle in transaction" in _pg_backends(engine, app_name)
        assert stored_versions(engine) == [(first.version_id, 1, "active", 300, "old.csv")]
    finally:
        os.kill(helper.pid, signal.SIGKILL)
        helper.wait(timeout=30)
    assert helper.returncode == -signal.SIGKILL
    if database.backend == "postgresql":  # the server notices the closed connection and rolls back
        deadline = time.monotonic() + 30
        while _pg_backends(engine, app_name):
            assert time.monotonic() < deadline, "the killed client's backend is still there"
            time.sleep(0.1)
    else:
        with engine.connect() as conn:
            assert conn.scalar(text("PRAGMA integrity_check")) == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    assert table_checksums(engine) == before, "the killed commit left something behind"
    assert stored_versions(engine) == [(first.version_id, 1, "active", 300, "old.csv")]
    assert visible_count(engine) == 300

    retry = upload(engine, path.read_bytes(), path.name)
    assert (retry.number, retry.stored) == (2, 12_000)
    assert visible_count(engine) == count_rows(engine, Incident) == 12_300
    assert audit_count(engine, "dataset.commit") == 2
    assert visible_prefixes(engine) == {"OLD": 300, "C": 12_000}


# ---------------------------------------------------------------- rollback and the cache stamp


def test_rollback_to_each_earlier_version_shows_exactly_its_rows_and_deletes_nothing(engine: Engine) -> None:
    snapshots: dict[int, set[tuple[str, str]]] = {}
    stamps = [read.data_stamp(engine)]
    v1 = upload(engine, incidents_csv("A", 50), "a.csv")
    snapshots[v1.version_id] = visible_rows(engine)
    stamps.append(read.data_stamp(engine))
    # The second append adds 30 rows and changes the titles of 10 rows of the first.
    v2_file = incidents_csv("A", 10, title="changed") + b"".join(incidents_csv("B", 30).splitlines(True)[1:])
    v2 = upload(engine, v2_file, "b.csv")
    assert (v2.counts["new"], v2.counts["changed"]) == (30, 10)
    snapshots[v2.version_id] = visible_rows(engine)
    stamps.append(read.data_stamp(engine))
    v3 = upload(engine, incidents_csv("C", 40), "c.csv", mode="replace")
    snapshots[v3.version_id] = visible_rows(engine)
    stamps.append(read.data_stamp(engine))
    assert len(set(stamps)) == len(stamps), f"a commit did not change the cache stamp: {stamps}"

    assert len(snapshots[v1.version_id]) == 50
    assert len(snapshots[v2.version_id]) == 80
    assert ("A-000003", "A changed 3") in snapshots[v2.version_id]
    assert ("A-000003", "A incident 3") not in snapshots[v2.version_id]
    assert {s for s, _ in snapshots[v3.version_id]} == {f"C-{i:06d}" for i in range(40)}

    stored = {m: count_rows(engine, m) for m in (Incident, IncidentTarget, DatasetVersion)}
    assert stored[Incident] == 50 + 40 + 40
    rollbacks = 0
    for target in (v1, v2, v3, v1, v3, v2):
        stamp = read.data_stamp(engine)
        rollback(engine, target.version_id, ADMIN)
        rollbacks += 1
        assert visible_rows(engine) == snapshots[target.version_id], f"rollback to version {target.number}"
        assert read.data_stamp(engine) != stamp, f"rollback to version {target.number} kept the cache stamp"
        assert audit_count(engine, "dataset.rollback") == rollbacks
        assert {m: count_rows(engine, m) for m in stored} == stored, "a rollback deleted rows"
    with engine.connect() as conn:
        last = conn.execute(
            select(AuditEvent.actor, AuditEvent.object_id, AuditEvent.detail)
            .where(AuditEvent.action == "dataset.rollback")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).one()
    assert last.actor == ADMIN.name and last.object_id == str(v2.version_id)
    assert last.detail["active_after"] == [v1.version_id, v2.version_id]
    assert audit_count(engine, "dataset.commit") == 3


def test_the_cache_stamp_changes_after_a_commit_and_after_a_rollback(engine: Engine) -> None:
    empty = read.data_stamp(engine)
    v1 = upload(engine, incidents_csv("A", 20), "a.csv")
    one = read.data_stamp(engine)
    v2 = upload(engine, incidents_csv("B", 20), "b.csv")
    two = read.data_stamp(engine)
    rollback(engine, v1.version_id, ADMIN)
    back = read.data_stamp(engine)
    rollback(engine, v2.version_id, ADMIN)
    forward = read.data_stamp(engine)
    # every write is a new stamp (the write counter), even one back to an earlier active state
    assert len({empty, one, two, back, forward}) == 5


def test_the_cache_stamp_changes_after_a_rollback_to_a_set_with_the_same_size_and_id_sum(engine: Engine) -> None:
    """Active sets {2, 5} and {3, 4}: a stamp made of max id, count and id sum could not tell them apart."""
    upload(engine, incidents_csv("A", 5), "a.csv")
    v2 = upload(engine, incidents_csv("B", 5), "b.csv", mode="replace")  # active {2}
    upload(engine, incidents_csv("C", 5), "c.csv", mode="replace")  # active {3}
    v4 = upload(engine, incidents_csv("D", 5), "d.csv")  # active {3, 4}
    rollback(engine, v2.version_id, ADMIN)  # active {2}
    upload(engine, incidents_csv("E", 5), "e.csv")  # active {2, 5}
    shown = visible_prefixes(engine)
    stamp = read.data_stamp(engine)
    rollback(engine, v4.version_id, ADMIN)  # active {3, 4}
    assert visible_prefixes(engine) != shown == {"B": 5, "E": 5}
    assert read.data_stamp(engine) != stamp, "different data, same cache key"

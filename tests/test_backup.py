"""Backups are signed, checked completely before anything is deleted, written 0600, and keep the audit trail.

Every test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text, update
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, accounts
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.pages import PAGES
from dashboard.ops import backup as bk
from dashboard.ops.bootstrap import initialise
from dashboard.read import snapshot
from dashboard.store.db import write_count
from dashboard.store.models import AuditEvent, User
from tests.conftest import HOST_ORG, TEST_SECRET, Database, sign_in
from tests.factories import incident, store_incidents
from tests.test_cli import run
from tests.test_db import table_checksums

ADMIN = local_admin(HOST_ORG)
EE = "eastern-europe"
OTHER_SECRET = "another-deployment-secret-key-9876543210"
INTRUDER_PASSWORD = "Intruder-Pass-4711-long"


def seed(engine: Engine) -> None:
    """Two CLEAR and three RED incidents, a coordinator account (audited), recent enough for the default period."""
    day = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    rows = [incident(f"Open {i}", when=day) for i in range(2)]
    rows += [incident(f"Secret {i}", tlp="red", when=day) for i in range(3)]
    store_incidents(engine, EE, rows)
    accounts.create_user(
        engine,
        "bob",
        role="coordinator",
        tracks=[EE],
        organisation=HOST_ORG,
        tlp_ceiling="amber",
        password="Bob-password-long-1234",
        actor=ADMIN,
    )


@pytest.fixture
def made(engine: Engine, tmp_path: Path) -> Path:
    """A seeded database and its genuine backup."""
    seed(engine)
    out = tmp_path / "backup.zip"
    bk.backup(engine, out, secret_key=TEST_SECRET, actor=ADMIN)
    return out


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(src: Path, dst: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """A copy of a backup with its members changed in place by `change`."""
    files = members(src)
    change(files)
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return dst


def resign(files: dict[str, bytes], secret: str = TEST_SECRET) -> None:
    """What someone holding the key could do: make the manifest match the changed tables and sign it again."""
    manifest = json.loads(files["manifest.json"])
    for name, entry in manifest["tables"].items():
        data = files.get(f"{name}.jsonl")
        if data is not None:
            entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
            entry["rows"] = len([line for line in data.split(b"\n") if line])
    manifest["key_id"] = bk.key_id(secret)
    files["manifest.json"] = json.dumps(manifest).encode()
    files["manifest.sig"] = bk.sign(secret, files["manifest.json"]).encode()


def add_admin(files: dict[str, bytes]) -> None:
    lines = files["users.jsonl"].decode().splitlines()
    row = json.loads(lines[-1])
    row.update(
        id=row["id"] + 100, username="intruder", role="admin", password_hash=accounts.hash_password(INTRUDER_PASSWORD)
    )
    files["users.jsonl"] += (json.dumps(row) + "\n").encode()


def red_to_clear(files: dict[str, bytes]) -> None:
    files["incidents.jsonl"] = files["incidents.jsonl"].replace(b'"tlp": "red"', b'"tlp": "clear"')


def empty_audit(files: dict[str, bytes]) -> None:
    files["audit_events.jsonl"] = b""


def restore(engine: Engine, path: Path, secret: str = TEST_SECRET) -> bk.Restored:
    return bk.restore(engine, path, secret_key=secret, actor=ADMIN)


def intruder_signs_in(engine: Engine) -> bool:
    result = accounts.authenticate(engine, "intruder", INTRUDER_PASSWORD, max_failures=5, lockout_minutes=15)
    return result.viewer is not None


def events(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEvent).order_by(AuditEvent.id)).all()
    return [(r.id, r.actor, r.action, r.object_id, r.detail) for r in rows]


# ---------------------------------------------------------------- refused files change nothing


@pytest.mark.parametrize("tamper", [add_admin, red_to_clear, empty_audit])
@pytest.mark.parametrize("resigned_manifest", [False, True], ids=["tables-only", "manifest-updated"])
def test_a_tampered_backup_is_refused_before_anything_changes(
    engine: Engine, made: Path, tmp_path: Path, tamper: Callable, resigned_manifest: bool
) -> None:
    def change(files: dict[str, bytes]) -> None:
        tamper(files)
        if resigned_manifest:  # counts and hashes fixed up, but without the key the signature cannot be
            resign(files, secret=OTHER_SECRET)
            manifest = json.loads(files["manifest.json"])
            manifest["key_id"] = bk.key_id(TEST_SECRET)  # even claiming our key
            files["manifest.json"] = json.dumps(manifest).encode()

    forged = rewrite(made, tmp_path / "forged.zip", change)
    before = table_checksums(engine)
    with pytest.raises(bk.BackupError) as refused:
        restore(engine, forged)
    wanted = "signature does not match" if resigned_manifest else "does not match the signed manifest"
    assert wanted in str(refused.value)
    assert table_checksums(engine) == before
    assert not intruder_signs_in(engine)


def test_an_unsigned_backup_is_refused(engine: Engine, made: Path, tmp_path: Path) -> None:
    unsigned = rewrite(made, tmp_path / "unsigned.zip", lambda files: files.pop("manifest.sig"))
    old = rewrite(
        made,
        tmp_path / "old.zip",
        lambda files: files.update(
            {"manifest.json": json.dumps({**json.loads(files["manifest.json"]), "format": 1}).encode()}
        ),
    )
    before = table_checksums(engine)
    for path in (unsigned, old):
        with pytest.raises(bk.BackupError, match="is not signed"):
            restore(engine, path)
    assert table_checksums(engine) == before


def test_a_backup_signed_under_another_key_is_refused(engine: Engine, made: Path, tmp_path: Path) -> None:
    before = table_checksums(engine)
    with pytest.raises(bk.BackupError, match="signed with another secret key"):
        restore(engine, made, secret=OTHER_SECRET)
    # a backup re-signed by someone with another deployment's key, even after tampering
    foreign = rewrite(made, tmp_path / "foreign.zip", lambda files: (add_admin(files), resign(files, OTHER_SECRET)))
    with pytest.raises(bk.BackupError, match="signed with another secret key"):
        restore(engine, foreign)
    assert table_checksums(engine) == before
    assert not intruder_signs_in(engine)


def _bad_type(files: dict[str, bytes]) -> None:
    files["incidents.jsonl"] = files["incidents.jsonl"].replace(b'"severity": 3', b'"severity": "high"', 1)


def _missing_column(files: dict[str, bytes]) -> None:
    first, rest = files["incidents.jsonl"].split(b"\n", 1)
    row = json.loads(first)
    del row["title"]
    files["incidents.jsonl"] = json.dumps(row).encode() + b"\n" + rest


def _no_table_in_manifest(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    del manifest["tables"]["incidents"]
    files["manifest.json"] = json.dumps(manifest).encode()
    files["manifest.sig"] = bk.sign(TEST_SECRET, files["manifest.json"]).encode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda files: files.pop("incidents.jsonl"), "the backup has no incidents.jsonl"),
        (lambda files: files.update({"incidents.jsonl": b"{not json\n"}), "does not match the signed manifest"),
        (lambda files: (files.update({"incidents.jsonl": b"{not json\n"}), resign(files)), "line 1: not valid JSON"),
        (lambda files: (files.update({"incidents.jsonl": b"[1, 2]\n"}), resign(files)), "line 1: not a row"),
        (lambda files: (_bad_type(files), resign(files)), "severity 'high' is not of type int"),
        (lambda files: (_missing_column(files), resign(files)), "missing: ['title']"),
        (_no_table_in_manifest, "missing: incidents"),
        (lambda files: files.update({"manifest.json": b"{oops", "manifest.sig": b"00"}), "not valid JSON"),
        (lambda files: files.pop("manifest.json"), "has no manifest.json"),
    ],
    ids=[
        "no-table-file",
        "bad-json",
        "bad-json-signed",
        "not-an-object",
        "wrong-type",
        "missing-column",
        "table-not-in-manifest",
        "bad-manifest",
        "no-manifest",
    ],
)
def test_a_broken_backup_gets_a_clear_message_and_changes_nothing(
    engine: Engine, made: Path, tmp_path: Path, change: Callable, message: str
) -> None:
    broken = rewrite(made, tmp_path / "broken.zip", change)
    before = table_checksums(engine)
    with pytest.raises(bk.BackupError) as refused:
        restore(engine, broken)
    assert message in str(refused.value)
    assert table_checksums(engine) == before


def test_cli_refuses_a_tampered_or_broken_backup_with_one_line(database: Database, tmp_path: Path) -> None:
    initialise(database.engine)
    seed(database.engine)
    genuine = tmp_path / "genuine.zip"
    made = run("backup", str(genuine), url=database.url)
    assert made.returncode == 0, made.stderr
    forged = rewrite(genuine, tmp_path / "forged.zip", add_admin)
    broken = rewrite(
        genuine, tmp_path / "broken.zip", lambda files: (files.pop("norm_assessments.jsonl"), resign(files))
    )
    for path, says in [(forged, "was altered"), (broken, "no norm_assessments.jsonl")]:
        result = run("restore", str(path), url=database.url)
        assert result.returncode == 1
        assert says in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    foreign = run("restore", str(genuine), url=database.url, DASHBOARD_SECRET_KEY=OTHER_SECRET)
    assert foreign.returncode == 1 and "another secret key" in foreign.stderr
    assert not intruder_signs_in(database.engine)
    partner = run("restore", str(genuine), "--user", "bob", url=database.url)
    assert partner.returncode == 1 and "only administrators" in partner.stderr


# ---------------------------------------------------------------- the file, the audit trail, the write counter


def test_a_backup_is_written_0600_from_the_start(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    out = folder / "backup.zip"
    out.write_bytes(b"an older file, readable by all")
    out.chmod(0o644)
    old_umask = os.umask(0)
    try:
        bk.backup(engine, out, secret_key=TEST_SECRET, actor=ADMIN)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["backup.zip"]  # no partial file left beside it
    names = set(members(out))
    assert {"manifest.json", "manifest.sig", "users.jsonl", "audit_events.jsonl"} <= names
    assert "write_counter.jsonl" not in names
    assert "write_counter" not in json.loads(members(out)["manifest.json"])["tables"]


def test_backup_needs_an_administrator(engine: Engine, tmp_path: Path) -> None:
    official = Viewer(name="olga", role=Role.OFFICIAL, tracks=frozenset({EE}), tlp_ceiling="amber", organisation="x")
    with pytest.raises(bk.BackupError, match="only administrators"):
        bk.backup(engine, tmp_path / "b.zip", secret_key=TEST_SECRET, actor=official)
    assert not (tmp_path / "b.zip").exists()


def test_restore_keeps_the_audit_trail_and_records_itself(engine: Engine, made: Path) -> None:
    backed_up = events(engine)
    assert backed_up[-1][2] == "database.backup" and backed_up[-1][3] == "backup.zip"
    accounts.set_active(engine, "bob", False, actor=ADMIN)  # after the backup: must survive the restore
    before = events(engine)

    done = restore(engine, made)

    after = events(engine)
    assert after[: len(before)] == before  # nothing deleted, nothing renumbered
    assert done.audit_events_added == 0  # the backup's events were all there already
    assert len(after) == len(before) + 1
    _, actor, action, object_id, detail = after[-1]
    assert (actor, action, object_id) == ("local-admin", "database.restore", "backup.zip")
    manifest = json.loads(members(made)["manifest.json"])
    assert detail["created"] == manifest["created"] and detail["file"] == "backup.zip"
    assert detail["rows"]["incidents"] == 5 and detail["rows"]["users"] == len(accounts.list_users(engine))
    assert next(u for u in accounts.list_users(engine) if u["username"] == "bob")["active"]  # the backup's data

    restore(engine, made)  # a second restore adds only its own event
    assert len(events(engine)) == len(after) + 1


def test_restore_into_another_database_appends_the_backup_events_under_new_ids(
    backend: str, made: Path, tmp_path: Path
) -> None:
    other = Database(backend, tmp_path)
    try:
        initialise(other.engine)
        accounts.create_user(
            other.engine, "carol", role="official", tracks=[EE], organisation=HOST_ORG,
            tlp_ceiling="amber", password="Carol-password-long-1234", actor=replace(ADMIN, name="someone-else"),
        )  # fmt: skip
        own = events(other.engine)
        backup_events = [json.loads(line) for line in members(made)["audit_events.jsonl"].splitlines()]
        assert {e["id"] for e in backup_events} & {e[0] for e in own}  # the ids collide

        done = restore(other.engine, made)

        after = events(other.engine)
        assert after[: len(own)] == own
        assert done.audit_events_added == len(backup_events)
        brought = after[len(own) : len(own) + len(backup_events)]
        for (new_id, actor, action, object_id, detail), original in zip(brought, backup_events, strict=True):
            assert new_id > max(e[0] for e in own)
            assert (actor, action, object_id) == (original["actor"], original["action"], original["object_id"])
            assert detail[bk.FROM_BACKUP] == {
                "file": "backup.zip",
                "created": json.loads(members(made)["manifest.json"])["created"],
                "id": original["id"],
            }
            assert {k: v for k, v in detail.items() if k != bk.FROM_BACKUP} == original["detail"]
        with other.engine.connect() as conn:
            times = conn.execute(select(AuditEvent.at).where(AuditEvent.id.in_([b[0] for b in brought]))).scalars()
            kept = sorted(t.replace(tzinfo=t.tzinfo or dt.UTC).astimezone(dt.UTC) for t in times)
        originals = sorted(dt.datetime.fromisoformat(e["at"]["__date__"]) for e in backup_events)
        assert kept == [t.replace(tzinfo=t.tzinfo or dt.UTC).astimezone(dt.UTC) for t in originals]
        assert after[-1][2] == "database.restore" and after[-1][4]["audit_events_added"] == len(backup_events)
        assert len(after) == len(own) + len(backup_events) + 1
        restore(other.engine, made)  # restoring again brings nothing twice
        assert len(events(other.engine)) == len(after) + 1
    finally:
        other.drop()


def counter_triggers_off(engine: Engine) -> None:
    """As when PostgreSQL runs writes with triggers off: only an explicit bump raises the write counter then."""
    with engine.begin() as conn:
        for table in ("dataset_versions", "row_replacements", "track_members"):
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"DROP TRIGGER {table}_written ON {table}"))
            else:
                for event in ("insert", "update", "delete"):
                    conn.execute(text(f"DROP TRIGGER {table}_{event}_written"))


def test_restore_ends_every_open_session(engine: Engine, made: Path) -> None:
    def epochs() -> dict[int, int]:
        with engine.connect() as conn:
            return dict(conn.execute(select(User.id, User.session_epoch)).all())

    backed_up = epochs()
    accounts.set_password(engine, "bob", "Bob-new-password-long-5678", actor=ADMIN)  # bob's epoch rises
    with engine.begin() as conn:  # someone with database access makes bob an administrator, epoch untouched
        conn.execute(update(User).where(User.username == "bob").values(role="admin"))
    before = epochs()
    assert before != backed_up

    restore(engine, made)

    after = epochs()
    assert set(after) == set(backed_up)
    assert all(after[i] > max(before.get(i, 0), backed_up[i]) for i in after)  # no session's epoch matches


@pytest.mark.parametrize("triggers", ["on", "off"])
def test_restore_raises_the_write_counter_and_leaves_it_out(engine: Engine, made: Path, triggers: str) -> None:
    if triggers == "off":
        counter_triggers_off(engine)
    with engine.connect() as conn:
        before = write_count(conn)
        stamp = snapshot.stamp_of(conn)
    restore(engine, made)
    with engine.connect() as conn:
        assert write_count(conn) > before
        assert snapshot.stamp_of(conn) != stamp
        assert conn.execute(select(func.count()).select_from(text("write_counter"))).scalar() == 1


# ---------------------------------------------------------------- a running session sees the restored data


@pytest.mark.parametrize("triggers", ["on", "off"])
def test_a_partner_session_stops_seeing_tampered_rows_once_the_backup_is_restored(
    app_engine: Engine, tmp_path: Path, triggers: str
) -> None:
    engine = app_engine
    seed(engine)
    genuine = tmp_path / "genuine.zip"
    bk.backup(engine, genuine, secret_key=TEST_SECRET, actor=ADMIN)
    partner = Viewer(name="p", role=Role.PARTNER, tracks=frozenset({EE}), tlp_ceiling="green", organisation="ISAC")
    at = sign_in(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60), partner)
    at.switch_page(next(p for p in PAGES if p.key == "incidents").script)

    def shown() -> tuple[int, set[str]]:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        count = int(next(m.value for m in at.metric if m.label == "Incidents").replace(",", ""))
        titles = set().union(*(set(d.value["title"]) for d in at.dataframe if "title" in d.value.columns))
        return count, titles

    assert shown() == (2, {"Open 0", "Open 1"})
    with engine.begin() as conn:  # someone with database access: RED rewritten as CLEAR, same version ids
        conn.execute(text("UPDATE incidents SET tlp = 'clear' WHERE tlp = 'red'"))
        conn.execute(text("UPDATE dataset_versions SET status = status"))  # a new data stamp, as a restart would
    count, titles = shown()
    assert count == 5 and {"Secret 0", "Secret 1", "Secret 2"} <= titles  # the setup: the partner sees them

    if triggers == "off":  # then only restore's own bump of the write counter changes the data stamp
        counter_triggers_off(engine)
    restore(engine, genuine)
    assert shown() == (2, {"Open 0", "Open 1"})

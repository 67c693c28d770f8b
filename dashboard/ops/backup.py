"""Whole-database backup and restore: a signed ZIP of JSON lines per table, portable between SQLite and PostgreSQL.

A backup holds one `<table>.jsonl` per table, a `manifest.json` (format, schema revision, time, and each table's row
count, size and SHA-256) and `manifest.sig`, an HMAC-SHA256 of the manifest's bytes under a key derived from
DASHBOARD_SECRET_KEY. Restore checks the signature, every table's bytes and rows and every value's type before it
deletes anything, so an unsigned, altered, foreign or broken file changes nothing. It never deletes the audit trail:
the backup's events that are missing are appended (new ids, marked as restored), then a restore event. The write
counter is neither backed up nor restored (it only grows); restore raises it so every cached read is read again,
and raises every account's session epoch so every open session signs in again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import text as sql
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from dashboard.accounts.guard import AccessDenied, require
from dashboard.core.access import Permission, Viewer
from dashboard.store import audit
from dashboard.store.db import bump_write_counter, current_revision, lock_for_write, transaction
from dashboard.store.models import Base, User, WebSession, utcnow

FORMAT = 2
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
NOT_BACKED_UP = frozenset({"write_counter", "web_sessions"})  # the counter only grows (a restore raises it);
# sessions belong to the running deployment: a restore ends them all (see restore)
AUDIT = "audit_events"
FROM_BACKUP = "from_backup"  # detail key marking an audit event that a restore brought back
_MAX_MANIFEST_BYTES = 1_000_000
_CHUNK = 5000
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


class BackupError(ValueError):
    """A backup or restore was refused; the message says why."""


@dataclass(frozen=True)
class Restored:
    """What a restore did: rows per table from the backup, when the backup was made, audit events appended."""

    tables: dict[str, int]
    created: str
    audit_events_added: int


def tables() -> list[Table]:
    """The tables a backup holds, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_BACKED_UP]


# ---------------------------------------------------------------- signing


def _key(secret_key: str) -> bytes:
    # A key of its own, so a backup signature can never stand in for a share-link token hash.
    return hmac.new(secret_key.encode(), b"cyber-dialogue-dashboard backup v2", hashlib.sha256).digest()


def key_id(secret_key: str) -> str:
    """A short public name of the signing key, so restore can tell a foreign key from an altered file."""
    return hmac.new(_key(secret_key), b"key id", hashlib.sha256).hexdigest()[:16]


def sign(secret_key: str, manifest: bytes) -> str:
    """The signature of a manifest's bytes (HMAC-SHA256, hex)."""
    return hmac.new(_key(secret_key), manifest, hashlib.sha256).hexdigest()


def _ensure_admin(engine: Engine, actor: Viewer, operation: str, what: str) -> None:
    """Administrators only (a backup holds every account); a refused attempt is audited."""
    try:
        require(engine, actor, Permission.MANAGE_USERS, operation, f"only administrators can {what}")
    except AccessDenied as exc:
        raise BackupError(f"{exc}: a backup holds every account") from None


# ---------------------------------------------------------------- backup


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return {"__date__": value.isoformat(), "datetime": isinstance(value, dt.datetime)}
    return value


@contextmanager
def _read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees one consistent state of every table while the backup reads them."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        else:
            conn.exec_driver_sql("BEGIN")  # pysqlite would not begin a transaction for reads
        yield conn


def _write_table(conn: Connection, table: Table, archive: zipfile.ZipFile) -> dict[str, Any]:
    digest, size, rows = hashlib.sha256(), 0, 0
    query = select(table).order_by(*table.primary_key.columns).execution_options(yield_per=_CHUNK)
    with archive.open(f"{table.name}.jsonl", "w", force_zip64=True) as member:  # the size is not known in advance
        for row in conn.execute(query).mappings():
            line = (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n").encode()
            member.write(line)
            digest.update(line)
            size, rows = size + len(line), rows + 1
    return {"rows": rows, "bytes": size, "sha256": digest.hexdigest()}


def backup(engine: Engine, out: Path, *, secret_key: str, actor: Viewer) -> dict[str, int]:
    """Write every table to a signed ZIP file readable by its owner only (0600); returns rows per table."""
    _ensure_admin(engine, actor, "database.backup", "make a backup")
    revision = current_revision(engine)
    if revision is None:
        raise BackupError("the database has no schema: nothing to back up")
    out.parent.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC).isoformat()
    # mkstemp creates the file with mode 0600, so the password hashes are never readable by others, not even briefly;
    # the finished file then replaces `out` in one step.
    handle, part = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            with _read_snapshot(engine) as conn:
                entries = {table.name: _write_table(conn, table, zf) for table in tables()}
            manifest = {"format": FORMAT, "revision": revision, "created": created, "key_id": key_id(secret_key)}
            data = json.dumps({**manifest, "tables": entries}, indent=1).encode()
            zf.writestr(MANIFEST, data)
            zf.writestr(SIGNATURE, sign(secret_key, data) + "\n")
        os.replace(part, out)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    counts = {name: entry["rows"] for name, entry in entries.items()}
    with transaction(engine) as session:
        audit.record(
            session, actor.name, "database.backup", "backup", out.name, file=str(out), created=created, rows=counts
        )
    return counts


# ---------------------------------------------------------------- checking a backup


def _member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """A member's bytes (None if absent), refusing one larger than `limit` before it is inflated."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit:
        raise BackupError(f"{name} is larger than it may be ({info.file_size:,} bytes): the file was altered")
    try:
        return archive.read(info)
    except _UNREADABLE as exc:
        raise BackupError(f"{name} in the backup cannot be read: {exc}") from None


def _manifest(archive: zipfile.ZipFile, name: str, secret_key: str) -> dict[str, Any]:
    """The manifest, once its signature is checked under our key, and its shape."""
    raw = _member(archive, MANIFEST, _MAX_MANIFEST_BYTES)
    if raw is None:
        raise BackupError(f"{name} has no manifest.json: not a dashboard backup")
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise BackupError(f"{name}: manifest.json is not valid JSON: not a dashboard backup") from None
    if not isinstance(manifest, dict):
        raise BackupError(f"{name}: manifest.json is not a manifest: not a dashboard backup")
    signature = _member(archive, SIGNATURE, 1000)
    if signature is None or manifest.get("format") == 1:
        raise BackupError(f"{name} is not signed, so it cannot be trusted; make a new backup with this version")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not supported")
    if manifest.get("key_id") != key_id(secret_key):
        raise BackupError(
            f"{name} was signed with another secret key: restore it where its DASHBOARD_SECRET_KEY is set"
        )
    if not hmac.compare_digest(signature.strip(), sign(secret_key, raw).encode()):
        raise BackupError(f"{name}: the signature does not match the manifest: the file was altered after the backup")
    _check_shape(manifest, name)
    return manifest


def _check_shape(manifest: dict[str, Any], name: str) -> None:
    entries = manifest.get("tables")
    if not isinstance(manifest.get("revision"), str) or not isinstance(manifest.get("created"), str):
        raise BackupError(f"{name}: the manifest lacks its schema revision or time")
    if not isinstance(entries, dict):
        raise BackupError(f"{name}: the manifest lists no tables")
    wanted = {t.name for t in tables()}
    missing, extra = sorted(wanted - set(entries)), sorted(set(entries) - wanted)
    if missing or extra:
        raise BackupError(
            f"{name}: the manifest's tables differ from this database's"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unexpected: {', '.join(extra)}" if extra else "")
        )
    for table, entry in entries.items():
        if not (
            isinstance(entry, dict)
            and all(isinstance(entry.get(k), int) and entry[k] >= 0 for k in ("rows", "bytes"))
            and isinstance(entry.get("sha256"), str)
        ):
            raise BackupError(f"{name}: the manifest entry of {table} is not a row count, size and SHA-256")


def _value(column: Column, value: Any, where: str) -> Any:
    """A value of the backup as the column takes it, or a BackupError naming the row and column."""
    if value is None:
        if not column.nullable:
            raise BackupError(f"{where}: {column.name} is empty but must have a value")
        return None
    kind = column.type
    if isinstance(kind, JSON):
        return value
    if isinstance(kind, DateTime | Date):
        written = value.get("__date__") if isinstance(value, dict) else None
        try:
            parsed = dt.datetime.fromisoformat(written) if isinstance(written, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise BackupError(f"{where}: {column.name} {value!r} is not a date")
        return parsed if isinstance(kind, DateTime) else parsed.date()
    expected = kind.python_type
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise BackupError(f"{where}: {column.name} {value!r} is not of type {expected.__name__}")
    return value


def _row(table: Table, obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise BackupError(f"{where}: not a row (a JSON object)")
    names = set(table.columns.keys())
    if set(obj) != names:
        missing, extra = sorted(names - set(obj)), sorted(set(obj) - names)
        raise BackupError(f"{where}: columns differ from the table's (missing: {missing}, unexpected: {extra})")
    return {c.name: _value(c, obj[c.name], where) for c in table.columns}


def _rows(archive: zipfile.ZipFile, table: Table, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A table's rows, after its bytes and row count were checked against the signed manifest."""
    name = f"{table.name}.jsonl"
    try:
        if archive.getinfo(name).file_size != entry["bytes"]:  # refused before it is inflated
            raise BackupError(f"{name} does not match the signed manifest: the file was altered")
    except KeyError:
        raise BackupError(f"the backup has no {name}: the file is incomplete") from None
    data = _member(archive, name, entry["bytes"]) or b""
    if len(data) != entry["bytes"] or not hmac.compare_digest(hashlib.sha256(data).hexdigest(), entry["sha256"]):
        raise BackupError(f"{name} does not match the signed manifest: the file was altered")
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise BackupError(f"{name} is not UTF-8 text") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise BackupError(f"{name} line {number}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
        rows.append(_row(table, obj, f"{name} line {number}"))
    if len(rows) != entry["rows"]:
        raise BackupError(f"{name} holds {len(rows)} rows but the manifest says {entry['rows']}")
    return rows


@contextmanager
def _opened(source: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a backup file: {exc}") from None
    with archive:
        yield archive


def _verified(engine: Engine, archive: zipfile.ZipFile, name: str, secret_key: str) -> dict[str, Any]:
    """Check a backup completely (signature, schema revision, every table's bytes, rows and values); its manifest."""
    manifest = _manifest(archive, name, secret_key)
    revision = current_revision(engine)
    if revision != manifest["revision"]:
        raise BackupError(
            f"the backup is of schema {manifest['revision']} but the database is at {revision}: "
            "run `python -m dashboard init` on a database of the same version first"
        )
    for table in tables():
        _rows(archive, table, manifest["tables"][table.name])
    return manifest


# ---------------------------------------------------------------- restore


def _event_key(row: dict[str, Any]) -> tuple[str, ...]:
    """What makes two audit events the same event, whatever their ids (a restored one's marker left out)."""
    at = row["at"]
    at = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    detail = row["detail"]
    if isinstance(detail, dict):
        detail = {k: v for k, v in detail.items() if k != FROM_BACKUP}
    fields = (row["actor"], row["action"], row["object_type"], row["object_id"])
    return (at, *map(str, fields), json.dumps(detail, sort_keys=True, default=str))


def _merge_audit(session: Session, events: list[dict[str, Any]], mark: dict[str, Any]) -> int:
    """Append the backup's audit events the database lacks, under new ids; returns how many."""
    table = Base.metadata.tables[AUDIT]
    present = Counter(_event_key(dict(r)) for r in session.execute(select(table)).mappings())
    added = []
    for event in events:
        key = _event_key(event)
        if present[key]:
            present[key] -= 1
            continue
        detail = event["detail"] if isinstance(event["detail"], dict) else {"value": event["detail"]}
        added.append(
            {
                **{k: v for k, v in event.items() if k != "id"},
                "detail": {**detail, FROM_BACKUP: {**mark, "id": event["id"]}},
            }
        )
    for start in range(0, len(added), _CHUNK):
        session.execute(insert(table), added[start : start + _CHUNK])
    return len(added)


def _end_sessions(session: Session, before: dict[int, int]) -> int:
    """Every open session ends at its next page run: each account's session epoch becomes higher than both its
    restored value and the value it had before, so no session's epoch matches (sessions compare for equality)."""
    for user_id, epoch in session.execute(select(User.id, User.session_epoch)).all():
        higher = max(epoch or 0, before.get(user_id, 0)) + 1
        session.execute(update(User).where(User.id == user_id).values(session_epoch=higher))
    # Browser sessions (accounts and share links) end too, as the ids they name may now differ; the restore's audit
    # event counts them (sessions_ended). Returns that count.
    return session.execute(
        update(WebSession)
        .where(WebSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason="database restored")
    ).rowcount


def _restart_sequences(session: Session, restored: list[Table]) -> None:
    """PostgreSQL: id sequences continue after the restored ids."""
    for table in restored:
        column = table.c.get("id")
        if column is None or not isinstance(column.type, Integer) or column.autoincrement is False:
            continue
        top = session.scalar(select(func.max(column))) or 0
        session.execute(
            sql("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v, false)"), {"t": table.name, "v": top + 1}
        )


def restore(engine: Engine, source: Path, *, secret_key: str, actor: Viewer) -> Restored:
    """Replace every row but the audit trail with the backup's, in one transaction, after checking it completely.

    The audit trail is kept: the backup's events the database lacks are appended, then a restore event.
    """
    _ensure_admin(engine, actor, "database.restore", "restore a backup")
    replaced = [t for t in tables() if t.name != AUDIT]
    counts: dict[str, int] = {}
    with _opened(source) as archive:
        manifest = _verified(engine, archive, source.name, secret_key)  # everything is checked before any delete
        try:
            with transaction(engine) as session:
                lock_for_write(session, "restore")
                epochs = dict(session.execute(select(User.id, User.session_epoch)).all())
                for table in reversed(replaced):
                    session.execute(delete(table))
                for table in replaced:  # read again, and checked again against the manifest, as it is written
                    rows = _rows(archive, table, manifest["tables"][table.name])
                    for start in range(0, len(rows), _CHUNK):
                        session.execute(insert(table), rows[start : start + _CHUNK])
                    counts[table.name] = len(rows)
                sessions_ended = _end_sessions(session, epochs)
                events = _rows(archive, Base.metadata.tables[AUDIT], manifest["tables"][AUDIT])
                counts[AUDIT] = len(events)
                mark = {"file": source.name, "created": manifest["created"]}
                added = _merge_audit(session, events, mark)
                if engine.dialect.name == "postgresql":
                    _restart_sequences(session, replaced)
                bump_write_counter(session)  # new data under the same version ids: every data stamp must change
                audit.record(
                    session,
                    actor.name,
                    "database.restore",
                    "backup",
                    source.name,
                    file=source.name,
                    created=manifest["created"],
                    revision=manifest["revision"],
                    rows=counts,
                    sessions_ended=sessions_ended,
                    audit_events_added=added,
                )
        except (IntegrityError, DataError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
            raise BackupError(f"the backup cannot be written to this database, nothing was changed: {reason}") from None
    return Restored(tables=counts, created=manifest["created"], audit_events_added=added)

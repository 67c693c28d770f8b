"""Whole-database backup and restore: one ZIP of JSON lines per table, portable between SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Integer, delete, func, insert, select, text

from dashboard.store.db import current_revision, transaction
from dashboard.store.models import Base

FORMAT = 1


class BackupError(ValueError):
    """A backup or restore was refused; the message says why."""


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return {"__date__": value.isoformat(), "datetime": isinstance(value, dt.datetime)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "__date__" in value:
        parsed = dt.datetime.fromisoformat(value["__date__"])
        return parsed if value.get("datetime") else parsed.date()
    return value


def backup(engine: Engine, out: Path) -> dict[str, int]:
    """Write every table to a ZIP file; returns rows per table."""
    counts: dict[str, int] = {}
    revision = current_revision(engine)
    if revision is None:
        raise BackupError("the database has no schema: nothing to back up")
    out.parent.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            lines = [json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) for row in rows]
            archive.writestr(f"{table.name}.jsonl", "\n".join(lines))
            counts[table.name] = len(lines)
        manifest = {
            "format": FORMAT,
            "revision": revision,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "tables": counts,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
    return counts


def restore(engine: Engine, source: Path) -> dict[str, int]:
    """Replace every row of the database with the backup's, in one transaction (schema revisions must match)."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, FileNotFoundError, IsADirectoryError) as exc:
        raise BackupError(f"{source} is not a backup file: {exc}") from None
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except KeyError:
            raise BackupError(f"{source} has no manifest.json: not a dashboard backup") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"backup format {manifest.get('format')} is not supported")
        revision = current_revision(engine)
        if revision != manifest["revision"]:
            raise BackupError(
                f"the backup is of schema {manifest['revision']} but the database is at {revision}: "
                "run `python -m dashboard init` on a database of the same version first"
            )
        counts: dict[str, int] = {}
        with transaction(engine) as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(delete(table))
            for table in Base.metadata.sorted_tables:
                payload = archive.read(f"{table.name}.jsonl").decode("utf-8")
                rows = [{k: _decode(v) for k, v in json.loads(line).items()} for line in payload.splitlines() if line]
                for start in range(0, len(rows), 5000):
                    session.execute(insert(table), rows[start : start + 5000])
                counts[table.name] = len(rows)
            if engine.dialect.name == "postgresql":  # restart id sequences after the restored ids
                for table in Base.metadata.sorted_tables:
                    column = table.c.get("id")
                    if column is None or not isinstance(column.type, Integer):
                        continue
                    top = session.scalar(select(func.max(column))) or 0
                    session.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v, false)"),
                        {"t": table.name, "v": top + 1},
                    )
        return counts

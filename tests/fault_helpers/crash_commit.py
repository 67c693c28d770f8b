"""Fault helper: prepare an upload, start committing it, and stop inside the open transaction until killed.

Usage: python -m tests.fault_helpers.crash_commit DATABASE_URL FILE READY_FILE

`dashboard.ingest.bulk.insert` is wrapped so that, once the first block of incident rows has been inserted (the
version row is already written, nothing is committed yet), the script writes READY_FILE and sleeps. The test then
kills it with SIGKILL, so the kill always lands in the middle of the commit transaction.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dashboard.core.access import local_admin
from dashboard.ingest import bulk, pipeline
from dashboard.store.db import get_engine

HOST_ORG = "Dialogue Secretariat"
TRACK = "eastern-europe"


def main(url: str, file: Path, ready: Path) -> int:
    """Prepare and commit `file`, halting inside the transaction after the first batch of incidents."""
    engine = get_engine(url)
    viewer = local_admin(HOST_ORG)
    prepared = pipeline.prepare(
        engine,
        viewer,
        layer="incidents",
        track=TRACK,
        file_name=file.name,
        data=file.read_bytes(),
        max_bytes=1 << 30,
    )
    original = bulk.insert

    def halting_insert(session: Session, table: str, columns: dict[str, Any]) -> None:
        if table != "incidents":
            original(session, table, columns)
            return
        original(session, table, {name: values[: bulk.CHUNK // 10] for name, values in columns.items()})
        partial = ready.with_suffix(".tmp")
        partial.write_text(f"{os.getpid()} {len(columns['id'])}\n")
        partial.replace(ready)  # atomic: the test never reads a half-written file
        time.sleep(3600)  # the test kills us long before this ends
        raise SystemExit("not killed")

    bulk.insert = halting_insert
    pipeline.commit(engine, prepared, viewer)
    return 3  # the halt was never reached: the test fails on this exit code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))

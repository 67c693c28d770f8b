"""CLI: ingest, versions, rollback, backup and restore, as a coordinator would run them; templates validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from dashboard import DATA_DIR
from dashboard.core.access import local_admin
from dashboard.ingest import pipeline
from dashboard.store.models import AuditEvent, Incident, User
from tests.conftest import Database
from tests.test_cli import run
from tests.test_db import table_checksums as all_table_checksums

ADMIN = local_admin("Dialogue Secretariat")
ROWS = "source_id,title,start_date,incident_type,target_countries,severity,tlp\n"


def table_checksums(engine: Engine) -> dict[str, str]:
    """A checksum of every table but the audit log: a refused upload is audited (`upload_refused`), nothing else."""
    sums = all_table_checksums(engine)
    sums.pop("audit_events", None)
    return sums


@pytest.mark.parametrize("layer", ["incidents", "norms", "partnerships"])
def test_our_templates_pass_their_own_checks(engine: Engine, layer: str) -> None:
    data = (DATA_DIR / "templates" / f"{layer}.csv").read_bytes()
    prepared = pipeline.prepare(
        engine, ADMIN, layer=layer, track="eastern-europe", file_name=f"{layer}.csv", data=data, max_bytes=10_000_000
    )
    assert prepared.preset.name == "template"
    assert [i for i in prepared.issues if i.level == "error"] == []
    assert pipeline.commit(engine, prepared, ADMIN).stored == 2


def test_ingest_dry_run_commit_refuse_versions_rollback(database: Database, tmp_path: Path) -> None:
    assert run("init", url=database.url).returncode == 0
    good = tmp_path / "good.csv"
    good.write_text(
        ROWS + "A1,Grid outage,2026-10-02,disruption,EST,4,green\nA2,Phishing,2026-10-03,espionage,LVA,2,\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(ROWS + "B1,Ok row,2026-10-02,disruption,EST,1,clear\nB2,Bad,31/02/2021,espionage,Narnia,9,purple\n")

    dry = run("ingest", "incidents", str(good), "--track", "eastern-europe", "--dry-run", url=database.url)
    assert dry.returncode == 0 and "dry run: nothing written" in dry.stdout
    before = table_checksums(database.engine)
    refused = run(
        "ingest",
        "incidents",
        str(bad),
        "--track",
        "eastern-europe",
        "--report",
        str(tmp_path / "r.csv"),
        url=database.url,
    )
    assert refused.returncode == 1 and "Nothing was written" in refused.stderr
    assert "row 3: error" in refused.stdout
    assert table_checksums(database.engine) == before
    report = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "31/02/2021" in report and "Narnia" in report and "purple" in report

    first = run("ingest", "incidents", str(good), "--track", "eastern-europe", url=database.url)
    assert first.returncode == 0, first.stderr
    assert re.search(r"committed as dataset version \d+ .*number 1\): 2 rows stored", first.stdout)
    second = run("ingest", "incidents", str(bad), "--track", "eastern-europe", "--skip-invalid", url=database.url)
    assert second.returncode == 0 and "1 rows stored" in second.stdout
    again = run("ingest", "incidents", str(good), "--track", "eastern-europe", url=database.url)
    assert again.returncode == 1 and "already in the current data" in again.stderr

    listing = run("versions", "incidents", "--track", "eastern-europe", url=database.url)
    assert listing.returncode == 0 and "good.csv" in listing.stdout and "bad.csv" in listing.stdout
    first_id = re.search(r"version (\d+)", first.stdout).group(1)
    back = run("rollback", first_id, url=database.url)
    assert back.returncode == 0 and f"active versions now {first_id}" in back.stdout
    with database.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Incident)) == 3  # nothing deleted
    missing = run("rollback", "999", url=database.url)
    assert missing.returncode == 1 and "no dataset version 999" in missing.stderr


def test_ingest_refuses_unknown_users_wrong_tracks_and_missing_files(database: Database, tmp_path: Path) -> None:
    assert run("init", url=database.url).returncode == 0
    good = tmp_path / "good.csv"
    good.write_text(ROWS + "A1,Grid outage,2026-10-02,disruption,EST,4,green\n")
    assert (
        run("user", "add", "ipc", "--role", "coordinator", "--track", "indo-pacific", url=database.url).returncode == 0
    )
    wrong_track = run("ingest", "incidents", str(good), "--track", "eastern-europe", "--user", "ipc", url=database.url)
    assert wrong_track.returncode == 1 and "only to your own tracks" in wrong_track.stderr
    nobody = run("ingest", "incidents", str(good), "--track", "eastern-europe", "--user", "nobody", url=database.url)
    assert nobody.returncode == 1 and "no active user" in nobody.stderr
    missing = run("ingest", "incidents", str(tmp_path / "none.csv"), "--track", "eastern-europe", url=database.url)
    assert missing.returncode == 1 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
    usage = run("ingest", "spaceships", str(good), "--track", "eastern-europe", url=database.url)
    assert usage.returncode == 2


def test_unrecognised_headers_are_refused_with_cli_advice_then_mapped(database: Database, tmp_path: Path) -> None:
    assert run("init", url=database.url).returncode == 0
    own = tmp_path / "own_headers.csv"
    own.write_text("Ref,Headline,When,Kind,Victim,Level\nR1,Port outage,2026-10-02,disruption,EST,3\n")
    before = table_checksums(database.engine)
    refused = run("ingest", "incidents", str(own), "--track", "eastern-europe", url=database.url)
    assert refused.returncode == 1
    assert "not recognised as our incidents template" in refused.stderr
    assert "--mapping FILE.json" in refused.stderr and "by hand" not in refused.stderr
    assert table_checksums(database.engine) == before
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        '{"source_id": "Ref", "title": "Headline", "start_date": "When", "incident_type": "Kind",'
        ' "target_countries": "Victim", "severity": "Level"}'
    )
    mapped = run(
        "ingest", "incidents", str(own), "--track", "eastern-europe", "--mapping", str(mapping), url=database.url
    )
    assert mapped.returncode == 0, mapped.stderr
    assert "1 rows stored" in mapped.stdout
    assert "Our incidents template with your column mapping" in mapped.stdout


def _data_checksums(engine: Engine) -> dict[str, str]:
    """Every table, but not what a restore raises or keeps: the audit trail (kept), the write counter and the
    accounts' session epochs (raised)."""
    sums = {k: v for k, v in table_checksums(engine).items() if k not in {"audit_events", "write_counter", "users"}}
    with engine.connect() as conn:
        users = conn.execute(select(User).order_by(User.id)).mappings().all()
    sums["users"] = repr([{k: v for k, v in u.items() if k != "session_epoch"} for u in users])
    return sums


def test_backup_and_restore_round_trip(database: Database, tmp_path: Path) -> None:
    assert run("init", "--demo", "--incidents", "150", "--seed", "3", url=database.url).returncode == 0
    before = _data_checksums(database.engine)
    archive = tmp_path / "backup.zip"
    assert run("backup", str(archive), url=database.url).returncode == 0
    good = tmp_path / "good.csv"
    good.write_text(ROWS + "A1,Grid outage,2026-10-02,disruption,EST,4,green\n")
    assert run("ingest", "incidents", str(good), "--track", "eastern-europe", url=database.url).returncode == 0
    assert _data_checksums(database.engine) != before
    with database.engine.connect() as conn:
        trail = conn.execute(select(AuditEvent.id, AuditEvent.action).order_by(AuditEvent.id)).all()
    restored = run("restore", str(archive), url=database.url)
    assert restored.returncode == 0, restored.stderr
    assert "audit trail kept" in restored.stdout
    assert _data_checksums(database.engine) == before
    with database.engine.connect() as conn:
        after = conn.execute(select(AuditEvent.id, AuditEvent.action).order_by(AuditEvent.id)).all()
    assert after[: len(trail)] == trail  # the upload made after the backup is still in the audit trail
    assert "database.backup" in [a for _, a in trail[-2:]]
    assert [a for _, a in after[len(trail) :]] == ["database.restore"]
    after = run("ingest", "incidents", str(good), "--track", "eastern-europe", url=database.url)
    assert after.returncode == 0, after.stderr  # id sequences continue after a restore
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    bad = run("restore", str(junk), url=database.url)
    assert bad.returncode == 1 and "not a backup file" in bad.stderr

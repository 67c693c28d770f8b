"""The database commands: `init`, `demo` files, `stats`, `backup` and `restore`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from dashboard.cli.context import EXIT_OK, Refused, actor, engine_for, positive, ready_engine
from dashboard.core.access import local_admin
from dashboard.core.settings import Settings
from dashboard.ops import backup as backup_module
from dashboard.ops import demo
from dashboard.ops.bootstrap import DemoRefused, check_demo_allowed, initialise
from dashboard.read import active_versions, layer_counts


def add_init_parser(sub: argparse._SubParsersAction) -> None:
    """The `init` command."""
    p = sub.add_parser(
        "init",
        help="create or upgrade the schema, load reference data, optionally seed demo data",
        description="Create or upgrade the schema, load the reference vocabularies and, with --demo, "
        "seed synthetic demo data into an empty database. Running it twice changes nothing.",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="seed synthetic demo data if the database holds no data yet, and create the demo accounts (demo mode "
        "only; refused on a database with real data)",
    )
    p.add_argument("--seed", type=positive, default=None, help="random seed of the demo data (default: setting)")
    p.add_argument("--incidents", type=positive, default=None, help="number of demo incidents (default: setting)")


def add_demo_parser(sub: argparse._SubParsersAction) -> None:
    """The `demo` command."""
    p = sub.add_parser(
        "demo",
        help="write demo data as upload files in our template format",
        description="Write synthetic demo data as incidents.csv, norms.csv and partnerships.csv "
        "in our template format (see README). Does not touch the database.",
    )
    p.add_argument("--incidents", type=positive, required=True, help="number of incidents to generate")
    p.add_argument("--seed", type=positive, default=42, help="random seed (default 42)")
    p.add_argument("--out", type=Path, required=True, help="directory to write the files to")


def add_backup_parsers(sub: argparse._SubParsersAction) -> None:
    """The `backup` and `restore` commands."""
    p = sub.add_parser(
        "backup",
        help="write the whole database to a signed file",
        description="Write every table to a ZIP of JSON lines (portable between SQLite and PostgreSQL), signed "
        "under DASHBOARD_SECRET_KEY and readable by its owner only (mode 0600): it holds password hashes. "
        "The backup is audited.",
    )
    p.add_argument("out", type=Path, help="backup file to write")
    p.add_argument("--user", default="local-admin", help="administrator making the backup (default: local-admin)")
    p = sub.add_parser(
        "restore",
        help="replace the whole database with a signed backup",
        description="Check the backup completely (signature under DASHBOARD_SECRET_KEY, every table's bytes and "
        "row count, every value), then replace every row with the backup's in one transaction. The audit trail is "
        "kept: the backup's missing events are added and the restore is recorded. The database must be at the "
        "same schema revision as the backup (run init first).",
    )
    p.add_argument("source", type=Path, help="backup file to read")
    p.add_argument("--user", default="local-admin", help="administrator doing the restore (default: local-admin)")


def add_stats_parser(sub: argparse._SubParsersAction) -> None:
    """The `stats` command."""
    p = sub.add_parser(
        "stats",
        help="row counts per layer and track, and the active dataset versions",
        description="Show visible row counts per layer and track and the active dataset versions.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Create or upgrade the schema, load reference data and optionally seed demo data."""
    engine = engine_for(args, settings)
    if args.demo:
        try:
            check_demo_allowed(engine, settings.demo_mode)
        except DemoRefused as exc:
            raise Refused(f"init --demo: {exc}; nothing was changed") from None
    report = initialise(
        engine,
        seed_demo=args.demo,
        seed=settings.demo_seed if args.seed is None else args.seed,
        incidents=settings.demo_incidents if args.incidents is None else args.incidents,
        demo_accounts=True if args.demo else (False if not settings.demo_mode else None),
    )
    if report.schema_before != report.schema_after:
        print(f"schema: {report.schema_before or 'empty'} -> {report.schema_after}")
    else:
        print(f"schema: up to date ({report.schema_after})")
    added = {k: v for k, v in report.reference_added.items() if v}
    print("reference data: " + (", ".join(f"{k} +{v}" for k, v in added.items()) if added else "up to date"))
    if report.demo_accounts_created:
        print(f"demo accounts: created {', '.join(report.demo_accounts_created)} (passwords on the sign-in page)")
    if report.demo_accounts_removed:
        why = report.demo_accounts_skipped_reason or "demo mode is off"
        print(f"demo accounts: removed {report.demo_accounts_removed} ({why})")
    if args.demo:
        if report.demo_versions:
            print(f"demo data: seeded as dataset versions {', '.join(map(str, report.demo_versions))} (synthetic)")
        else:
            print(f"demo data: not seeded ({report.demo_skipped_reason})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, _settings: Settings) -> int:
    """Write synthetic demo data as upload files."""
    started = time.perf_counter()
    data = demo.generate(seed=args.seed, incidents=args.incidents)
    try:
        paths = demo.write_template_files(data, args.out)
    except OSError as exc:
        raise Refused(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    for layer, path in paths.items():
        print(f"{path}: {len(getattr(data, layer))} {layer} rows (synthetic)")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Row counts per layer and track, and the active dataset versions."""
    engine = ready_engine(args, settings)
    viewer = local_admin(settings.organisation)
    counts = layer_counts(engine, viewer)
    versions = active_versions(engine, viewer)
    if args.json:
        payload = {
            "counts": counts.to_dict("records"),
            "active_versions": json.loads(versions.to_json(orient="records", date_format="iso")),
        }
        print(json.dumps(payload, indent=2))
        return EXIT_OK
    table = counts.pivot(index="track", columns="layer", values="rows")
    print(table.to_string())
    print()
    if versions.empty:
        print("no active dataset versions")
    else:
        shown = versions[["id", "layer", "track_id", "number", "mode", "rows_stored", "file_name", "synthetic"]]
        print(shown.to_string(index=False))
    return EXIT_OK


def _signing_key(settings: Settings) -> str:
    """The secret key backups are signed with; the published default is refused outside demo mode."""
    settings.check_secret()
    if settings.uses_default_secret:
        print(
            "warning: DASHBOARD_SECRET_KEY is the published default (demo mode): anyone could sign a backup under it",
            file=sys.stderr,
        )
    return settings.secret_key


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Write the whole database to a signed file."""
    engine = ready_engine(args, settings)
    key = _signing_key(settings)
    try:
        counts = backup_module.backup(engine, args.out, secret_key=key, actor=actor(engine, args.user, settings))
    except (backup_module.BackupError, OSError) as exc:
        raise Refused(str(exc)) from None
    print(f"backup written to {args.out} (signed, mode 0600): {sum(counts.values()):,} rows in {len(counts)} tables")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Replace the whole database with a signed backup, keeping the audit trail."""
    engine = ready_engine(args, settings)
    key = _signing_key(settings)
    try:
        done = backup_module.restore(engine, args.source, secret_key=key, actor=actor(engine, args.user, settings))
    except backup_module.BackupError as exc:
        raise Refused(str(exc)) from None
    rows = sum(n for name, n in done.tables.items() if name != backup_module.AUDIT)
    print(
        f"restored {rows:,} rows in {len(done.tables) - 1} tables from {args.source} (made {done.created}); "
        f"audit trail kept, {done.audit_events_added:,} events added from the backup"
    )
    return EXIT_OK

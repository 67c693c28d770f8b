"""Command-line interface: `python -m dashboard COMMAND`. Exit codes: 0 success, 1 refused, 2 usage error."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from dashboard import __version__, demo
from dashboard.access import local_admin
from dashboard.bootstrap import initialise
from dashboard.db import DatabaseUrlError, get_engine, schema_is_current
from dashboard.queries import active_versions, layer_counts
from dashboard.settings import Settings, SettingsError, load_settings

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class Refused(Exception):
    """The operation was refused; the message says why (exit code 1)."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command and its --help."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="Cyber Dialogue Dashboard: set up the database, generate demo data, show statistics.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to use (default: DASHBOARD_DATABASE_URL, else the embedded SQLite file)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "init",
        help="create or upgrade the schema, load reference data, optionally seed demo data",
        description="Create or upgrade the schema, load the reference vocabularies and, with --demo, "
        "seed synthetic demo data into an empty database. Running it twice changes nothing.",
    )
    p.add_argument("--demo", action="store_true", help="seed synthetic demo data if the database holds no data yet")
    p.add_argument("--seed", type=_positive, default=None, help="random seed of the demo data (default: setting)")
    p.add_argument("--incidents", type=_positive, default=None, help="number of demo incidents (default: setting)")

    p = sub.add_parser(
        "demo",
        help="write demo data as upload files in our template format",
        description="Write synthetic demo data as incidents.csv, norms.csv and partnerships.csv "
        "in our template format (see README). Does not touch the database.",
    )
    p.add_argument("--incidents", type=_positive, required=True, help="number of incidents to generate")
    p.add_argument("--seed", type=_positive, default=42, help="random seed (default 42)")
    p.add_argument("--out", type=Path, required=True, help="directory to write the files to")

    p = sub.add_parser(
        "stats",
        help="row counts per layer and track, and the active dataset versions",
        description="Show visible row counts per layer and track and the active dataset versions.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _engine(args: argparse.Namespace, settings: Settings) -> Engine:
    return get_engine(args.database_url or settings.resolved_database_url)


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(args, settings)
    report = initialise(
        engine,
        seed_demo=args.demo,
        seed=settings.demo_seed if args.seed is None else args.seed,
        incidents=settings.demo_incidents if args.incidents is None else args.incidents,
    )
    if report.schema_before != report.schema_after:
        print(f"schema: {report.schema_before or 'empty'} -> {report.schema_after}")
    else:
        print(f"schema: up to date ({report.schema_after})")
    added = {k: v for k, v in report.reference_added.items() if v}
    print("reference data: " + (", ".join(f"{k} +{v}" for k, v in added.items()) if added else "up to date"))
    if args.demo:
        if report.demo_versions:
            print(f"demo data: seeded as dataset versions {', '.join(map(str, report.demo_versions))} (synthetic)")
        else:
            print(f"demo data: not seeded ({report.demo_skipped_reason})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, _settings: Settings) -> int:
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
    engine = _engine(args, settings)
    if not schema_is_current(engine):
        raise Refused("the database has no current schema: run `python -m dashboard init` first")
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


COMMANDS = {"init": cmd_init, "demo": cmd_demo, "stats": cmd_stats}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
        return COMMANDS[args.command](args, settings)
    except (DatabaseUrlError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        print(f"error: cannot use the database: {reason}", file=sys.stderr)
        return EXIT_REFUSED

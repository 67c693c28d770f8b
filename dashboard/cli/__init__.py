"""Command-line interface: `python -m dashboard COMMAND`. Exit codes: 0 success, 1 refused, 2 usage error."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DBAPIError, OperationalError

from dashboard import __version__
from dashboard.cli import accounts, audit, briefing, database, datasets, incidents, sessions
from dashboard.cli.context import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Refused
from dashboard.core.settings import Settings, SettingsError, load_settings
from dashboard.store.db import DatabaseUrlError

__all__ = ["COMMANDS", "EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "Refused", "build_parser", "main"]

# Each command's parser, in the order --help lists them.
PARSERS: list[Callable[[argparse._SubParsersAction], None]] = [
    database.add_init_parser,
    database.add_demo_parser,
    accounts.add_user_parser,
    accounts.add_share_parser,
    datasets.add_ingest_parser,
    datasets.add_versions_parser,
    datasets.add_rollback_parser,
    database.add_backup_parsers,
    database.add_stats_parser,
    briefing.add_briefing_parser,
    audit.add_audit_parser,
    sessions.add_session_parser,
    incidents.add_incidents_parser,
    briefing.add_bench_parser,
]

COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "init": database.cmd_init,
    "demo": database.cmd_demo,
    "stats": database.cmd_stats,
    "user": accounts.cmd_user,
    "share": accounts.cmd_share,
    "ingest": datasets.cmd_ingest,
    "versions": datasets.cmd_versions,
    "rollback": datasets.cmd_rollback,
    "backup": database.cmd_backup,
    "restore": database.cmd_restore,
    "briefing": briefing.cmd_briefing,
    "audit": audit.cmd_audit,
    "session": sessions.cmd_session,
    "incidents": incidents.cmd_incidents,
    "bench": briefing.cmd_bench,
}


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
    for add_parser in PARSERS:
        add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)  # exits 2 on a usage error
    if args.command == "bench":
        args.bench_args = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
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
    except BrokenPipeError:  # output piped into `head` and closed early
        return EXIT_OK
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        print(f"error: cannot use the database: {reason}", file=sys.stderr)
        return EXIT_REFUSED

"""The `audit` command: read the audit trail (administrators), filtered by actor, action and time; print or CSV."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from dashboard.cli.context import EXIT_OK, Refused, actor, iso_date, positive, ready_engine
from dashboard.core.settings import Settings
from dashboard.export import tables
from dashboard.read.audit import AuditAccessDenied, AuditFilter, audit_count, audit_events, detail_text
from dashboard.store import audit
from dashboard.store.db import transaction

# Names in the trail are anyone's to choose (a failed sign-in records the name typed): never print their control
# characters, which a terminal would obey.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def add_audit_parser(sub: argparse._SubParsersAction) -> None:
    """The `audit` command."""
    p = sub.add_parser(
        "audit",
        help="read the audit trail (administrators)",
        description="Print the audit trail, newest first: sign-ins and failures, account and share-link changes, "
        "share-link uses, uploads, rollbacks, downloads and briefing exports. Filter by actor, action and days "
        "(UTC); write every matching event to a CSV file with --csv (that export is itself audited).",
    )
    p.add_argument("--actor", help="only this actor: an account name, share:<link id> or anonymous")
    p.add_argument(
        "--action",
        action="append",
        default=[],
        help="only this action (repeat for several); a group such as `auth` matches every auth.* action",
    )
    p.add_argument("--since", type=iso_date, metavar="DATE", help="from this day on, YYYY-MM-DD (UTC)")
    p.add_argument("--until", type=iso_date, metavar="DATE", help="up to and including this day, YYYY-MM-DD (UTC)")
    p.add_argument("--limit", type=positive, default=100, help="print at most this many events (default 100; 0: all)")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write every matching event to FILE as CSV")
    p.add_argument("--user", default="local-admin", help="administrator account to read as (default: local-admin)")


def _printable(value: object) -> str:
    return _CONTROL.sub("?", str(value))


def _lines(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "at (UTC)": events["at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "actor": events["actor"].map(_printable),
            "action": events["action"].map(_printable),
            "object": [_printable(f"{t} {i}".strip()) for t, i in zip(events["object_type"], events["object_id"])],
            "detail": events["detail"].map(lambda d: _printable(detail_text(d))),
        }
    )


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Print the matching events, or write them all to a CSV file."""
    if args.since and args.until and args.since > args.until:
        raise Refused("--since is after --until")
    engine = ready_engine(args, settings)
    viewer = actor(engine, args.user, settings)
    flt = AuditFilter(actor=args.actor or None, actions=tuple(args.action), since=args.since, until=args.until)
    try:
        total = audit_count(engine, viewer, flt)
        events = audit_events(engine, viewer, flt, None if args.csv or not args.limit else args.limit)
    except AuditAccessDenied as exc:
        raise Refused(f"{viewer.name}: {exc}") from None
    if args.csv:
        frame = events.assign(detail=events["detail"].map(detail_text))
        try:
            args.csv.write_bytes(tables.to_csv_bytes(frame))
        except OSError as exc:
            raise Refused(f"cannot write {args.csv}: {exc.strerror or exc}") from None
        chosen = {"actor": flt.actor or "", "actions": list(flt.actions)}
        chosen |= {"since": str(flt.since or ""), "until": str(flt.until or "")}
        with transaction(engine) as session:  # the trail leaving the database is itself an event
            audit.record(
                session,
                viewer.name,
                "download",
                "file",
                args.csv.name[:120],
                file_name=args.csv.name,
                rows=len(frame),
                source="cli",
                filter=chosen,
            )
        print(f"{args.csv}: {len(frame):,} events")
        return EXIT_OK
    if events.empty:
        print("no matching events")
        return EXIT_OK
    print(_lines(events).to_string(index=False))
    if total > len(events):
        print(f"(the newest {len(events):,} of {total:,} events; --limit 0 prints them all, --csv FILE writes them)")
    return EXIT_OK

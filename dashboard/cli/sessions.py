"""The `session` command: list open browser sessions and end them (administrators), as on the Accounts page."""

from __future__ import annotations

import argparse

from dashboard.accounts import AccessDenied, sessions
from dashboard.cli.context import EXIT_OK, Refused, actor, ready_engine
from dashboard.core.settings import Settings


def add_session_parser(sub: argparse._SubParsersAction) -> None:
    """The `session list|end` command."""
    p = sub.add_parser(
        "session",
        help="list or end open browser sessions (administrators)",
        description="List the open sessions (accounts and share links: who, since when, last active, from where), "
        "or end some by id: each browser tab using one is signed out at its next action. Ending is audited.",
    )
    actions = p.add_subparsers(dest="session_action", required=True)
    listing = actions.add_parser("list", help="list the open sessions, latest activity first")
    end = actions.add_parser("end", help="end sessions by id")
    end.add_argument("ids", type=int, nargs="+", metavar="ID")
    for action in (listing, end):
        action.add_argument(
            "--user", default="local-admin", help="administrator account to act as (default: local-admin)"
        )


def cmd_session(args: argparse.Namespace, settings: Settings) -> int:
    engine = ready_engine(args, settings)
    viewer = actor(engine, args.user, settings)
    try:
        if args.session_action == "list":
            rows = sessions.list_open(engine, viewer, idle_minutes=settings.session_idle_minutes)
            for r in rows:
                print(
                    f"{r['id']:>6}  {r['who']}  ({r['role']})  started {r['started']:%Y-%m-%d %H:%M}  "
                    f"last active {r['last_active']:%Y-%m-%d %H:%M} UTC  from {r['client']}"
                )
            print(f"{len(rows)} open session{'s' if len(rows) != 1 else ''}")
        else:
            ended = sessions.end_sessions(engine, args.ids, actor=viewer)
            print(f"ended {ended} of {len(args.ids)} session{'s' if len(args.ids) != 1 else ''}")
    except AccessDenied as exc:
        raise Refused(f"{viewer.name}: {exc}") from None
    return EXIT_OK

"""The account commands: `user` (local accounts) and `share` (read-only links for partners)."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from sqlalchemy import Engine

from dashboard import accounts
from dashboard.accounts import share_urls, sharing
from dashboard.accounts.sharing import SHAREABLE_PAGES, SHAREABLE_TLP
from dashboard.cli.context import EXIT_OK, Refused, actor, positive, ready_engine
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.pages import PAGES
from dashboard.core.settings import Settings, SettingsError
from dashboard.core.tlp import TLP_ORDER
from dashboard.core.vocabulary import TRACK_IDS


def add_user_parser(sub: argparse._SubParsersAction) -> None:
    """The `user` command and its actions."""
    p = sub.add_parser(
        "user",
        help="manage accounts: add, update, passwd, disable, enable, list",
        description="Manage local accounts. Passwords are read from standard input, or generated "
        "and printed once; only an argon2id hash is stored.",
    )
    user = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    q = user.add_parser("add", help="create an account", description="Create an account.")
    q.add_argument("name", help="username")
    q.add_argument("--role", required=True, choices=[r.value for r in Role], help="what the account may do")
    q.add_argument(
        "--track",
        action="append",
        choices=list(TRACK_IDS),
        dest="tracks",
        help="a track the account sees (repeat for both; default both)",
    )
    q.add_argument("--org", default=None, help="organisation (default: the setting DASHBOARD_ORGANISATION)")
    q.add_argument("--tlp-ceiling", default="amber", choices=list(TLP_ORDER), help="highest marking it sees")
    q.add_argument(
        "--page",
        action="append",
        dest="pages",
        choices=[p.key for p in PAGES],
        help="limit the account to these pages (repeat; default all pages of the role)",
    )
    q.add_argument("--sso", action="store_true", help="single-sign-on account: no password, signs in through OIDC")
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    q = user.add_parser(
        "update",
        help="change an account's role, tracks, organisation, TLP ceiling or pages",
        description="Change an account's access. Its open sessions end at their next page run.",
    )
    q.add_argument("name", help="username")
    q.add_argument("--role", choices=[r.value for r in Role], help="new role")
    q.add_argument("--track", action="append", choices=list(TRACK_IDS), dest="tracks", help="new tracks (repeat)")
    q.add_argument("--org", default=None, help="new organisation")
    q.add_argument("--tlp-ceiling", choices=list(TLP_ORDER), help="new highest marking it sees")
    pages = q.add_mutually_exclusive_group()
    pages.add_argument(
        "--page", action="append", dest="pages", choices=[p.key for p in PAGES], help="limit to these pages (repeat)"
    )
    pages.add_argument("--all-pages", action="store_true", help="every page of the role (removes a page limit)")
    for action, text in (
        ("passwd", "set a new password (ends the account's open sessions)"),
        ("disable", "disable an account (ends its open sessions)"),
        ("enable", "re-enable an account"),
    ):
        q = user.add_parser(action, help=text, description=text.capitalize() + ".")
        q.add_argument("name", help="username")
        if action == "passwd":
            q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_parser("list", help="list accounts", description="List accounts (never passwords).")


def add_share_parser(sub: argparse._SubParsersAction) -> None:
    """The `share` command and its actions."""
    p = sub.add_parser(
        "share",
        help="share links for partners: create, list, revoke",
        description="Read-only links for a partner organisation, limited to tracks, pages and a "
        "TLP ceiling. The token is printed once and stored only as an HMAC.",
    )
    share = p.add_subparsers(dest="share_command", metavar="ACTION", required=True)
    q = share.add_parser(
        "create",
        help="create a link and print its URL",
        description="Create a share link and print it once: DASHBOARD_PUBLIC_URL/?share=TOKEN, or only the path "
        "(with a note) when DASHBOARD_PUBLIC_URL is not set.",
    )
    q.add_argument("--org", required=True, help="organisation the link is for")
    q.add_argument(
        "--track",
        action="append",
        required=True,
        choices=list(TRACK_IDS),
        dest="tracks",
        help="track to share (repeat for both)",
    )
    q.add_argument(
        "--page",
        action="append",
        dest="pages",
        choices=list(SHAREABLE_PAGES),
        help="page to share (repeat; default all read pages)",
    )
    q.add_argument("--tlp", required=True, choices=list(SHAREABLE_TLP), help="highest marking the link shows")
    q.add_argument("--days", type=positive, default=30, help="days until the link expires (default 30)")
    q.add_argument("--user", default="local-admin", help="account creating the link (default: local administrator)")
    q.add_argument("--note", default="", help="free-text note")
    share.add_parser("list", help="list links", description="List share links (never tokens).")
    q = share.add_parser("revoke", help="revoke a link", description="Revoke a share link at once.")
    q.add_argument("id", type=positive, help="link id (from `share list`)")


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password from standard input, or a generated one (returned with generated=True)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise Refused("no password on standard input")
        return password, False
    return accounts.generate_password(), True


def _operator(settings: Settings) -> Viewer:
    """Whoever runs the command line holds the database: an administrator of everything, audited as `cli`."""
    return dataclasses.replace(local_admin(settings.organisation), name="cli")


def _update(engine: Engine, args: argparse.Namespace, operator: Viewer) -> None:
    changes = accounts.update_user(
        engine,
        args.name,
        actor=operator,
        role=args.role,
        tracks=args.tracks,
        organisation=args.org,
        tlp_ceiling=args.tlp_ceiling,
        pages=[] if args.all_pages else args.pages,
    )
    if not changes:
        raise Refused(f"nothing to change for {args.name}: name a new --role, --track, --org, --tlp-ceiling or --page")
    for field, (before, after) in changes.items():
        print(f"{field}: {before} -> {after}")
    print(f"user {args.name} updated; its open sessions end at their next page run")


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    """Add, change, disable, enable or list local accounts."""
    engine = ready_engine(args, settings)
    operator = _operator(settings)
    try:
        if args.user_command == "add":
            if args.role == Role.PARTNER and not args.org:
                raise Refused("a partner account needs --org: its organisation decides what it may see")
            password, generated = (None, False) if args.sso else _read_password(args.password_stdin)
            accounts.create_user(
                engine,
                args.name,
                role=args.role,
                tracks=args.tracks or list(TRACK_IDS),
                organisation=args.org if args.org is not None else settings.organisation,
                tlp_ceiling=args.tlp_ceiling,
                password=password,
                actor=operator,
                pages=args.pages or (),
                auth_source="oidc" if args.sso else "local",
            )
            print(f"user {args.name} created ({args.role})")
            if generated:
                print(f"password (shown once): {password}")
        elif args.user_command == "update":
            _update(engine, args, operator)
        elif args.user_command == "passwd":
            password, generated = _read_password(args.password_stdin)
            accounts.set_password(engine, args.name, password, actor=operator)
            print(
                f"password of {args.name} changed, its open sessions end"
                + (f"; new password (shown once): {password}" if generated else "")
            )
        elif args.user_command in {"disable", "enable"}:
            accounts.set_active(engine, args.name, args.user_command == "enable", actor=operator)
            print(f"user {args.name} {args.user_command}d")
        else:
            for u in accounts.list_users(engine):
                state = "active" if u["active"] else "disabled"
                print(
                    f"{u['username']:<24} {u['role']:<12} {','.join(u['tracks']):<30} {u['tlp_ceiling']:<13} "
                    f"{state:<9} {u['organisation']}{' (demo)' if u['demo'] else ''}"
                )
    except accounts.AccountError as exc:
        raise Refused(str(exc)) from None
    return EXIT_OK


def cmd_share(args: argparse.Namespace, settings: Settings) -> int:
    """Create, revoke or list share links."""
    engine = ready_engine(args, settings)
    try:
        settings.check_secret()
    except SettingsError as exc:
        raise Refused(str(exc)) from None
    try:
        if args.share_command == "create":
            creator = actor(engine, args.user, settings)
            link = sharing.create_link(
                engine,
                creator,
                organisation=args.org,
                tracks=args.tracks,
                pages=args.pages or SHAREABLE_PAGES,
                tlp_ceiling=args.tlp,
                days=args.days,
                secret_key=settings.secret_key,
                note=args.note,
            )
            print(f"share link {link.id} for {args.org}, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC:")
            base = share_urls.choose_base(settings.public_url)  # no request here: only the setting says the address
            print(sharing.share_url(base.url, link.token))
            if not base.url:
                print(
                    "note: DASHBOARD_PUBLIC_URL is not set, so this is only the path: put the dashboard's address "
                    "in front of it (e.g. https://dialogue.example.org/?share=...), or set DASHBOARD_PUBLIC_URL to "
                    "the address partners use",
                    file=sys.stderr,
                )
            elif base.warning:
                print(f"note: {base.warning}", file=sys.stderr)
        elif args.share_command == "revoke":
            sharing.revoke_link(engine, args.id, actor=local_admin(settings.organisation))
            print(f"share link {args.id} revoked")
        else:
            links = sharing.list_links(engine, local_admin(settings.organisation))
            if not links:
                print("no share links")
            for link in links:
                state = "revoked" if link["revoked_at"] else f"until {link['expires_at']:%Y-%m-%d}"
                print(
                    f"{link['id']:>4} {link['organisation']:<32} {link['tracks']:<30} {link['tlp_ceiling']:<6} "
                    f"{state:<17} uses {link['uses']}"
                )
    except sharing.ShareError as exc:
        raise Refused(str(exc)) from None
    return EXIT_OK

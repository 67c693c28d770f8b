"""Command-line interface: `python -m dashboard COMMAND`. Exit codes: 0 success, 1 refused, 2 usage error."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from dashboard import __version__, accounts
from dashboard.accounts import sharing
from dashboard.accounts.sharing import SHAREABLE_PAGES, SHAREABLE_TLP
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.pages import PAGES
from dashboard.core.settings import Settings, SettingsError, load_settings
from dashboard.core.tlp import TLP_ORDER
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.export import tables
from dashboard.ingest import pipeline, versions
from dashboard.ingest.pipeline import LAYERS, MODES
from dashboard.ops import backup as backup_module
from dashboard.ops import demo
from dashboard.ops.bootstrap import initialise
from dashboard.read import active_versions, layer_counts
from dashboard.store.db import DatabaseUrlError, get_engine, schema_is_current

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
        "user",
        help="manage accounts: add, passwd, disable, enable, list",
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
    for action, text in (
        ("passwd", "set a new password"),
        ("disable", "disable an account"),
        ("enable", "re-enable an account"),
    ):
        q = user.add_parser(action, help=text, description=text.capitalize() + ".")
        q.add_argument("name", help="username")
        if action == "passwd":
            q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_parser("list", help="list accounts", description="List accounts (never passwords).")

    p = sub.add_parser(
        "share",
        help="share links for partners: create, list, revoke",
        description="Read-only links for a partner organisation, limited to tracks, pages and a "
        "TLP ceiling. The token is printed once and stored only as an HMAC.",
    )
    share = p.add_subparsers(dest="share_command", metavar="ACTION", required=True)
    q = share.add_parser("create", help="create a link and print its URL", description="Create a share link.")
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
    q.add_argument("--days", type=_positive, default=30, help="days until the link expires (default 30)")
    q.add_argument("--user", default="local-admin", help="account creating the link (default: local administrator)")
    q.add_argument("--note", default="", help="free-text note")
    share.add_parser("list", help="list links", description="List share links (never tokens).")
    q = share.add_parser("revoke", help="revoke a link", description="Revoke a share link at once.")
    q.add_argument("id", type=_positive, help="link id (from `share list`)")

    p = sub.add_parser(
        "ingest",
        help="validate an upload file and store it as a new dataset version",
        description="Read, map, validate and compare a file with the current data, then store the "
        "valid rows as one numbered dataset version (or, with --dry-run, only report). "
        "Exit 0: committed; 1: refused, nothing written.",
    )
    p.add_argument("layer", choices=list(LAYERS), help="which data the file holds")
    p.add_argument("file", type=Path, help="CSV, XLSX, Parquet or JSON file")
    p.add_argument("--track", required=True, choices=list(TRACK_IDS), help="track the rows belong to")
    p.add_argument(
        "--preset",
        default="auto",
        choices=["auto", "template", "eurepoc", "cfr"],
        help="column preset (default: recognise from the headers)",
    )
    p.add_argument("--mapping", type=Path, help="JSON file mapping our fields to the file's columns")
    p.add_argument("--mode", default="append", choices=list(MODES), help="append (default) or replace the track's data")
    p.add_argument("--sheet", help="XLSX sheet to read (default: the first)")
    p.add_argument("--default-tlp", default="amber", choices=list(TLP_ORDER), help="marking of unmarked rows")
    p.add_argument("--skip-invalid", action="store_true", help="store the valid rows and skip rows with errors")
    p.add_argument("--dry-run", action="store_true", help="validate and compare only; write nothing")
    p.add_argument("--report", type=Path, help="write the validation report (CSV) here")
    p.add_argument("--user", default="local-admin", help="account the upload is made as (default: local administrator)")

    p = sub.add_parser("versions", help="list dataset versions", description="List dataset versions, newest first.")
    p.add_argument("layer", nargs="?", choices=list(LAYERS), help="only this layer")
    p.add_argument("--track", choices=list(TRACK_IDS), help="only this track")

    p = sub.add_parser(
        "rollback",
        help="re-activate an earlier dataset version",
        description="Make a layer and track look exactly as right after the given version was "
        "committed. Nothing is deleted; a later rollback can undo it.",
    )
    p.add_argument("version_id", type=_positive, help="version id (from `versions`)")
    p.add_argument("--user", default="local-admin", help="account doing the rollback")

    p = sub.add_parser(
        "backup",
        help="write the whole database to a file",
        description="Write every table to a ZIP of JSON lines (portable between SQLite and PostgreSQL).",
    )
    p.add_argument("out", type=Path, help="backup file to write")
    p = sub.add_parser(
        "restore",
        help="replace the whole database with a backup",
        description="Replace every row with the backup's, in one transaction. The database must be at "
        "the same schema revision as the backup (run init first).",
    )
    p.add_argument("source", type=Path, help="backup file to read")

    p = sub.add_parser(
        "stats",
        help="row counts per layer and track, and the active dataset versions",
        description="Show visible row counts per layer and track and the active dataset versions.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_briefing_parser(sub)

    sub.add_parser(  # its options live with the benchmark (benchmarks/bench.py), imported only when it runs
        "bench",
        add_help=False,
        help="measure ingest, pages and the PDF briefing at growing data sizes",
    )
    return parser


BENCH_DESCRIPTION = (
    "Benchmark: for each size, generate that many synthetic incidents of one track, ingest them "
    "into a fresh SQLite and PostgreSQL database through the upload path, open every read page and export the "
    "PDF briefing, and compare the ingest with sqlite-utils. Prints a table and writes JSON. "
    "Uses its own databases (--database-url is ignored). Exit 1 if any step failed or stored the wrong rows."
)


def _engine(args: argparse.Namespace, settings: Settings) -> Engine:
    return get_engine(args.database_url or settings.resolved_database_url)


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(args, settings)
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
        print(f"demo accounts: removed {report.demo_accounts_removed} (demo mode is off)")
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
    engine = _ready(args, settings)
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


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password from standard input, or a generated one (returned with generated=True)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise Refused("no password on standard input")
        return password, False
    return accounts.generate_password(), True


def _ready(args: argparse.Namespace, settings: Settings) -> Engine:
    engine = _engine(args, settings)
    if not schema_is_current(engine):
        raise Refused("the database has no current schema: run `python -m dashboard init` first")
    return engine


def _actor(engine: Engine, name: str, settings: Settings) -> Viewer:
    """The viewer a command acts as: the local administrator, or a named account."""
    if name == "local-admin":
        return local_admin(settings.organisation)
    found = [u for u in accounts.list_users(engine) if u["username"] == name and u["active"]]
    if not found:
        raise Refused(f"no active user called {name!r}")
    u = found[0]
    return Viewer(
        name=name,
        role=Role(u["role"]),
        tracks=frozenset(u["tracks"]),
        tlp_ceiling=u["tlp_ceiling"],
        organisation=u["organisation"],
    )


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    engine = _ready(args, settings)
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
                actor="cli",
                pages=args.pages or (),
                auth_source="oidc" if args.sso else "local",
            )
            print(f"user {args.name} created ({args.role})")
            if generated:
                print(f"password (shown once): {password}")
        elif args.user_command == "passwd":
            password, generated = _read_password(args.password_stdin)
            accounts.set_password(engine, args.name, password, actor="cli")
            print(
                f"password of {args.name} changed" + (f"; new password (shown once): {password}" if generated else "")
            )
        elif args.user_command in {"disable", "enable"}:
            accounts.set_active(engine, args.name, args.user_command == "enable", actor="cli")
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
    engine = _ready(args, settings)
    try:
        settings.check_secret()
    except SettingsError as exc:
        raise Refused(str(exc)) from None
    try:
        if args.share_command == "create":
            creator = _actor(engine, args.user, settings)
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
            print(sharing.share_url(settings.public_url, link.token))
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


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    engine = _ready(args, settings)
    actor = _actor(engine, args.user, settings)
    if not args.file.is_file():
        raise Refused(
            f"cannot read {args.file}: {'is a directory' if args.file.is_dir() else 'No such file or directory'}"
        )
    try:
        mapping = pipeline.read_mapping_file(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
        prepared = pipeline.prepare(
            engine,
            actor,
            layer=args.layer,
            track=args.track,
            file_name=args.file.name,
            path=args.file,
            preset=args.preset,
            mapping=mapping,
            sheet=args.sheet,
            default_tlp=args.default_tlp,
            max_bytes=settings.max_upload_mb * 1024 * 1024,
        )
    except OSError as exc:
        raise Refused(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except pipeline.ColumnsNotRecognised as exc:
        raise Refused(
            f"{exc} Choose the format with --preset, or map the columns with --mapping FILE.json "
            '(our field -> your column, for example {"title": "Headline", "start_date": "Date"}).'
        ) from None
    except pipeline.UploadRefused as exc:
        raise Refused(str(exc)) from None
    counts = prepared.counts
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"{args.file.name}: {prepared.format_label}; {summary}")
    for note in prepared.table.notes:
        print(f"note: {note}")
    for issue in prepared.issues[:20]:
        print(f"row {issue.row}: {issue.level}: {issue.message}")
    if len(prepared.issues) > 20:
        print(f"... and {len(prepared.issues) - 20} more issues (use --report FILE.csv for all)")
    if args.report:
        args.report.write_bytes(tables.report_csv(prepared))
        print(f"report written to {args.report}")
    if args.dry_run:
        print("dry run: nothing written")
        return EXIT_OK
    try:
        done = pipeline.commit(engine, prepared, actor, mode=args.mode, skip_invalid=args.skip_invalid)
    except pipeline.UploadRefused as exc:
        raise Refused(f"{exc} Nothing was written.") from None
    print(
        f"committed as dataset version {done.version_id} ({args.layer}, {args.track}, number {done.number}): "
        f"{done.stored} rows stored, mode {args.mode}"
    )
    return EXIT_OK


def cmd_versions(args: argparse.Namespace, settings: Settings) -> int:
    engine = _ready(args, settings)
    frame = versions.list_versions(engine, local_admin(settings.organisation), args.layer, args.track)
    if frame.empty:
        print("no dataset versions")
        return EXIT_OK
    shown = frame[
        [
            "id",
            "layer",
            "track_id",
            "number",
            "status",
            "mode",
            "rows_stored",
            "rows_skipped",
            "uploaded_by",
            "uploaded_at",
            "file_name",
        ]
    ].copy()
    shown["uploaded_at"] = pd.to_datetime(shown["uploaded_at"]).dt.strftime("%Y-%m-%d %H:%M")
    print(shown.to_string(index=False))
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    engine = _ready(args, settings)
    try:
        active = versions.rollback(engine, args.version_id, _actor(engine, args.user, settings))
    except versions.VersionError as exc:
        raise Refused(str(exc)) from None
    print(f"rolled back: active versions now {', '.join(map(str, active))}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    engine = _ready(args, settings)
    try:
        counts = backup_module.backup(engine, args.out)
    except (backup_module.BackupError, OSError) as exc:
        raise Refused(str(exc)) from None
    print(f"backup written to {args.out}: {sum(counts.values()):,} rows in {len(counts)} tables")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    engine = _ready(args, settings)
    try:
        counts = backup_module.restore(engine, args.source)
    except backup_module.BackupError as exc:
        raise Refused(str(exc)) from None
    print(f"restored {sum(counts.values()):,} rows in {len(counts)} tables from {args.source}")
    return EXIT_OK


def _iso_date(text: str) -> object:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _add_briefing_parser(sub) -> None:
    p = sub.add_parser(
        "briefing",
        help="export a track briefing as PDF or HTML",
        description="Export the track briefing (headline figures, map, trend, watchlist, norms, partnerships, "
        "provenance) as an A4 PDF of at most four pages or one self-contained HTML file, marked with the "
        "strictest TLP of the data it holds. Only rows the --user may see are included.",
    )
    p.add_argument("--track", required=True, choices=[*TRACK_IDS, "both"], help="track to brief on, or both")
    p.add_argument("--out", type=Path, required=True, help="file to write: FILE.pdf or FILE.html")
    p.add_argument("--as-of", type=_iso_date, help="last day of the period (default: today, or the newest incident)")
    p.add_argument("--period-days", type=_positive, default=365, help="length of the period in days (default 365)")
    p.add_argument("--user", default="local-admin", help="account whose view is exported (default: local-admin)")


def cmd_briefing(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.core.access import Permission
    from dashboard.core.tlp import TLP_LABELS
    from dashboard.export import briefing as briefing_export

    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in {"pdf", "html"}:
        raise Refused(f"--out must end in .pdf or .html, not {args.out.name!r}")
    engine = _ready(args, settings)
    viewer = _actor(engine, args.user, settings)
    if not viewer.can(Permission.VIEW_BRIEFING):
        raise Refused(f"{viewer.name} may not read briefings")
    as_of = args.as_of or briefing_export.default_as_of(engine, viewer)
    started = time.perf_counter()
    try:
        done = briefing_export.export_briefing(
            engine,
            viewer,
            fmt=fmt,
            track=args.track,
            as_of=as_of,
            period_days=args.period_days,
            thresholds=settings.watchlist_thresholds(),
        )
        args.out.write_bytes(done.data)
    except briefing_export.ExportError as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise Refused(f"cannot write {args.out}: {exc.strerror or exc}") from None
    pages = f", {done.pages} pages" if done.pages else ""
    print(
        f"{args.out}: {fmt.upper()} briefing as of {as_of}, {TLP_LABELS[done.marking]}{pages}, "
        f"{len(done.data) / 1024:,.0f} KB, in {time.perf_counter() - started:.1f} s"
    )
    return EXIT_OK


def cmd_bench(args: argparse.Namespace, _settings: Settings) -> int:
    from benchmarks import bench  # the benchmark lives outside the runtime package

    parser = argparse.ArgumentParser(prog="python -m dashboard bench", description=BENCH_DESCRIPTION)
    bench.add_arguments(parser)
    try:
        return bench.run(parser.parse_args(args.bench_args))
    except bench.BenchError as exc:
        raise Refused(str(exc)) from None


COMMANDS = {
    "init": cmd_init,
    "demo": cmd_demo,
    "stats": cmd_stats,
    "user": cmd_user,
    "share": cmd_share,
    "ingest": cmd_ingest,
    "versions": cmd_versions,
    "rollback": cmd_rollback,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "briefing": cmd_briefing,
    "bench": cmd_bench,
}


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

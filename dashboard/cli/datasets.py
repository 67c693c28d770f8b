"""The dataset commands: `ingest` an upload file, list `versions`, `rollback` to an earlier one."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from dashboard.cli.context import EXIT_OK, Refused, actor, positive, ready_engine
from dashboard.core.access import Viewer, local_admin
from dashboard.core.settings import Settings
from dashboard.core.tlp import TLP_ORDER
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.export import tables
from dashboard.ingest import pipeline, versions
from dashboard.ingest.pipeline import LAYERS, MODES
from dashboard.ingest.refusals import record_refusal


def add_ingest_parser(sub: argparse._SubParsersAction) -> None:
    """The `ingest` command."""
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
        choices=["auto", "template", "eurepoc", "cfr", "dcid"],
        help="column preset (default: recognise from the headers)",
    )
    p.add_argument(
        "--mapping",
        type=Path,
        help="JSON file mapping our fields to the file's columns, optionally with value tables "
        '("values": {field: {source value: our value}})',
    )
    p.add_argument("--mode", default="append", choices=list(MODES), help="append (default) or replace the track's data")
    p.add_argument("--sheet", help="XLSX sheet to read (default: the first)")
    p.add_argument("--default-tlp", default="amber", choices=list(TLP_ORDER), help="marking of unmarked rows")
    p.add_argument("--skip-invalid", action="store_true", help="store the valid rows and skip rows with errors")
    p.add_argument(
        "--store-unidentified",
        action="store_true",
        help="store incident rows that name no target and no initiator country as 'target not identified' "
        "(counted in the track's totals with a note, placed on no map); without it they are errors",
    )
    p.add_argument("--dry-run", action="store_true", help="validate and compare only; write nothing")
    p.add_argument("--report", type=Path, help="write the validation report (CSV) here")
    p.add_argument("--user", default="local-admin", help="account the upload is made as (default: local administrator)")


def add_versions_parser(sub: argparse._SubParsersAction) -> None:
    """The `versions` command."""
    p = sub.add_parser("versions", help="list dataset versions", description="List dataset versions, newest first.")
    p.add_argument("layer", nargs="?", choices=list(LAYERS), help="only this layer")
    p.add_argument("--track", choices=list(TRACK_IDS), help="only this track")


def add_rollback_parser(sub: argparse._SubParsersAction) -> None:
    """The `rollback` command."""
    p = sub.add_parser(
        "rollback",
        help="re-activate an earlier dataset version",
        description="Make a layer and track look exactly as right after the given version was "
        "committed. Nothing is deleted; a later rollback can undo it.",
    )
    p.add_argument("version_id", type=positive, help="version id (from `versions`)")
    p.add_argument("--user", default="local-admin", help="account doing the rollback")


def _prepare(args: argparse.Namespace, settings: Settings, engine: Engine, viewer: Viewer) -> pipeline.Prepared:
    """Read, map, validate and compare the file; any reason it cannot be read is a refusal (audited: the pipeline
    audits its own refusals, this function those it makes)."""

    def refuse(message: str) -> Refused:
        record_refusal(engine, viewer, file_name=args.file.name, layer=args.layer, track=args.track, reason=message)
        return Refused(message)

    if not args.file.is_file():
        raise refuse(
            f"cannot read {args.file}: {'is a directory' if args.file.is_dir() else 'No such file or directory'}"
        )
    try:
        mapping = pipeline.read_mapping_file(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
        return pipeline.prepare(
            engine,
            viewer,
            layer=args.layer,
            track=args.track,
            file_name=args.file.name,
            path=args.file,
            preset=args.preset,
            mapping=mapping,
            sheet=args.sheet,
            default_tlp=args.default_tlp,
            max_bytes=settings.max_upload_mb * 1024 * 1024,
            store_unidentified=args.store_unidentified,
        )
    except OSError as exc:
        raise refuse(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except pipeline.ColumnsNotRecognised as exc:  # the page asks for a mapping; here it is a refusal
        raise refuse(
            f"{exc} Choose the format with --preset, or map the columns with --mapping FILE.json "
            '(our field -> your column, for example {"title": "Headline", "start_date": "Date"}).'
        ) from None
    except pipeline.UploadRefused as exc:
        raise Refused(str(exc)) from None


def _print_validation(args: argparse.Namespace, prepared: pipeline.Prepared) -> None:
    """The counts, notes and first issues of a prepared upload, and the full report if --report asks for it."""
    summary = ", ".join(f"{k} {v}" for k, v in prepared.counts.items())
    print(f"{args.file.name}: {prepared.format_label}; {summary}")
    if prepared.checked.unmatched_labels:  # source labels that map to none of ours: kept with the rows, reported
        tally = ", ".join(f"{label!r} {rows}" for label, rows in prepared.checked.unmatched_labels.items())
        print(f"unmatched labels (rows of the file, kept in the source values): {tally}")
    for note in prepared.table.notes:
        print(f"note: {note}")
    for issue in prepared.issues[:20]:
        print(f"row {issue.row}: {issue.level}: {issue.message}")
    if len(prepared.issues) > 20:
        print(f"... and {len(prepared.issues) - 20} more issues (use --report FILE.csv for all)")
    if args.report:
        args.report.write_bytes(tables.report_csv(prepared))
        print(f"report written to {args.report}")


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Validate an upload file and, unless --dry-run, store it as a new dataset version."""
    engine = ready_engine(args, settings)
    viewer = actor(engine, args.user, settings)
    prepared = _prepare(args, settings, engine, viewer)
    _print_validation(args, prepared)
    if args.dry_run:
        print("dry run: nothing written")
        return EXIT_OK
    try:
        done = pipeline.commit(engine, prepared, viewer, mode=args.mode, skip_invalid=args.skip_invalid)
    except pipeline.UploadRefused as exc:
        raise Refused(f"{exc} Nothing was written.") from None
    if done.rechecked:
        print("note: the data changed after the check; the file was compared again when it was stored")
    counts = done.counts
    print(
        f"committed as dataset version {done.version_id} ({args.layer}, {args.track}, number {done.number}): "
        f"{done.stored} rows stored, mode {args.mode}; against the current rows you may see: new {counts['new']}, "
        f"changed {counts['changed']}, unchanged {counts['unchanged']}"
        + (f", not in the file {counts['removed_in_replace']}" if args.mode == "replace" else "")
        + f"; {done.superseded} current rows superseded"
    )
    return EXIT_OK


def cmd_versions(args: argparse.Namespace, settings: Settings) -> int:
    """List dataset versions, newest first."""
    engine = ready_engine(args, settings)
    frame = versions.list_versions(engine, local_admin(settings.organisation), args.layer, args.track)
    if frame.empty:
        print("no dataset versions")
        return EXIT_OK
    listed = [*versions.KEY_COLUMNS, "rows_stored", "rows_skipped", "uploaded_by", "uploaded_at", "file_name"]
    shown = frame[listed].copy()
    shown["uploaded_at"] = pd.to_datetime(shown["uploaded_at"]).dt.strftime("%Y-%m-%d %H:%M")
    print(shown.to_string(index=False))
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    """Re-activate an earlier dataset version."""
    engine = ready_engine(args, settings)
    try:
        active = versions.rollback(engine, args.version_id, actor(engine, args.user, settings))
    except versions.VersionError as exc:
        raise Refused(str(exc)) from None
    print(f"rolled back: active versions now {', '.join(map(str, active))}")
    return EXIT_OK

"""The report commands: export a track `briefing`, run the `bench`mark."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dashboard.cli.context import EXIT_OK, Refused, actor, iso_date, positive, ready_engine
from dashboard.core.settings import Settings
from dashboard.core.vocabulary import TRACK_IDS

BENCH_DESCRIPTION = (
    "Benchmark: for each size, generate that many synthetic incidents of one track, ingest them "
    "into a fresh SQLite and PostgreSQL database through the upload path, open every read page and export the "
    "PDF briefing, and compare the ingest with sqlite-utils. Prints a table and writes JSON. "
    "Uses its own databases (--database-url is ignored). Exit 1 if any step failed or stored the wrong rows."
)


def add_briefing_parser(sub: argparse._SubParsersAction) -> None:
    """The `briefing` command."""
    p = sub.add_parser(
        "briefing",
        help="export a track briefing as PDF or HTML",
        description="Export the track briefing (headline figures, map, trend, watchlist, norms, partnerships, "
        "provenance) as an A4 PDF of at most four pages or one self-contained HTML file, marked with the "
        "strictest TLP of the data it holds. Only rows the --user may see are included.",
    )
    p.add_argument("--track", required=True, choices=[*TRACK_IDS, "both"], help="track to brief on, or both")
    p.add_argument("--out", type=Path, required=True, help="file to write: FILE.pdf or FILE.html")
    p.add_argument("--as-of", type=iso_date, help="last day of the period (default: today, or the newest incident)")
    p.add_argument("--period-days", type=positive, default=365, help="length of the period in days (default 365)")
    p.add_argument("--user", default="local-admin", help="account whose view is exported (default: local-admin)")


def add_bench_parser(sub: argparse._SubParsersAction) -> None:
    """The `bench` command; its options live with the benchmark (benchmarks/bench.py), imported only when it runs."""
    sub.add_parser("bench", add_help=False, help="measure ingest, pages and the PDF briefing at growing data sizes")


def cmd_briefing(args: argparse.Namespace, settings: Settings) -> int:
    """Export a track briefing as PDF or HTML."""
    from dashboard.core.access import Permission
    from dashboard.core.tlp import TLP_LABELS
    from dashboard.export import briefing as briefing_export

    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in {"pdf", "html"}:
        raise Refused(f"--out must end in .pdf or .html, not {args.out.name!r}")
    engine = ready_engine(args, settings)
    viewer = actor(engine, args.user, settings)
    if not viewer.can(Permission.EXPORT_BRIEFING):
        raise Refused(f"{viewer.name} ({viewer.role.value}) may not export briefings")
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
    _record_export(engine, viewer.name, args, done, as_of)
    pages = f", {done.pages} pages" if done.pages else ""
    print(
        f"{args.out}: {fmt.upper()} briefing as of {as_of}, {TLP_LABELS[done.marking]}{pages}, "
        f"{len(done.data) / 1024:,.0f} KB, in {time.perf_counter() - started:.1f} s"
    )
    return EXIT_OK


def _record_export(engine: Engine, actor_name: str, args: argparse.Namespace, done: Any, as_of: dt.date) -> None:
    """Audit the export as the app does (action briefing.export): file, marking, format, track, period, pages."""
    from dashboard.core.tlp import TLP_LABELS
    from dashboard.store import audit
    from dashboard.store.db import transaction

    with transaction(engine) as session:
        audit.record(
            session,
            actor_name,
            "briefing.export",
            "file",
            args.out.name[:120],
            file_name=args.out.name,
            marking=TLP_LABELS[done.marking] if done.marking else "",
            format=args.out.suffix.lower().lstrip("."),
            track=args.track,
            as_of=str(as_of),
            period_days=args.period_days,
            pages=done.pages,
            source="cli",
        )


def cmd_bench(args: argparse.Namespace, _settings: Settings) -> int:
    """Run the benchmark with the arguments that follow `bench`."""
    from benchmarks import bench  # the benchmark lives outside the runtime package

    parser = argparse.ArgumentParser(prog="python -m dashboard bench", description=BENCH_DESCRIPTION)
    bench.add_arguments(parser)
    try:
        return bench.run(parser.parse_args(args.bench_args))
    except bench.BenchError as exc:
        raise Refused(str(exc)) from None

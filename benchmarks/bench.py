"""Benchmark: ingest, pages and the PDF briefing at growing data sizes, on SQLite and PostgreSQL.

`python -m dashboard bench` (README, "Performance"). For each size N it writes N synthetic incidents of one track
(plus that track's norms and partnerships) in our template format, then for each backend creates a fresh database
with the project's own `init`, ingests the three files through the real upload path (`pipeline.prepare` then
`pipeline.commit`, as the local administrator, like `python -m dashboard ingest`), opens every read page through
Streamlit's AppTest and exports the PDF briefing. A peer tool, `sqlite-utils insert FILE.db incidents FILE.csv --csv`,
loads the same CSV for comparison.

Every measured step runs in a subprocess of its own, so its peak memory (VmHWM) is its own:
`python -m benchmarks.bench _ingest ...` and `python -m benchmarks.bench _pages ...` are those children (internal).
Only the standard library is imported at module level, so the CLI stays quick to start.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
BACKENDS = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
LAYERS = ("incidents", "norms", "partnerships")
LAYER_TABLES = {"incidents": "incidents", "norms": "norm_assessments", "partnerships": "partnerships"}
WARM_FILTER = (
    "Track filter changed from 'Both tracks' to the track holding the data "
    "(same rows, so every query that depends on the filter runs again)"
)
PEER = "sqlite-utils insert PEER.db incidents FILE.csv --csv"
SIZE_SUFFIXES = {"k": 1_000, "m": 1_000_000}


class BenchError(Exception):
    """The benchmark cannot run as asked; the message says why."""


# ---------------------------------------------------------------- options


def parse_sizes(text: str) -> list[int]:
    """'10000,100000,1M' or '10k,100k' -> [10000, 100000, 1000000]."""
    sizes = []
    for part in text.split(","):
        token = part.strip().lower().replace("_", "")
        if not token:
            continue
        factor = SIZE_SUFFIXES.get(token[-1], 1)
        number = token[:-1] if token[-1] in SIZE_SUFFIXES else token
        try:
            value = float(number) * factor
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part.strip()!r} is not a size (e.g. 10000, 100k, 1M)") from None
        if value < 1 or value != int(value):
            raise argparse.ArgumentTypeError(f"{part.strip()!r} is not a positive whole number of rows")
        sizes.append(int(value))
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one size")
    return sizes


def parse_backends(text: str) -> list[str]:
    """'sqlite,postgresql' -> ['sqlite', 'postgresql'] (also 'pg', 'postgres')."""
    aliases = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql", "pg": "postgresql"}
    chosen = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in aliases:
            raise argparse.ArgumentTypeError(f"unknown backend {name!r}: use sqlite and/or postgresql")
        if aliases[name] not in chosen:
            chosen.append(aliases[name])
    if not chosen:
        raise argparse.ArgumentTypeError("give at least one backend")
    return chosen


def _database_name(text: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", text):
        raise argparse.ArgumentTypeError(f"{text!r}: use lower-case letters, digits and _ (a PostgreSQL identifier)")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python -m dashboard bench`."""
    from dashboard.core.vocabulary import TRACK_IDS

    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        metavar="N,N,...",
        help="incident counts to measure (default 10000,100000,1000000; 10k and 1M work too)",
    )
    parser.add_argument(
        "--backends",
        type=parse_backends,
        default=list(BACKENDS),
        metavar="B,B",
        help="sqlite and/or postgresql (default both; PostgreSQL is skipped with a note if unreachable)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG_URL,
        metavar="URL",
        help="PostgreSQL server to use; the benchmark works in a database of its own there "
        f"(default: BENCH_DATABASE_URL, else {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--pg-database",
        type=_database_name,
        default="dashboard_bench",
        metavar="NAME",
        help="database (or, without CREATE DATABASE rights, schema) dropped and created for each size "
        "(default dashboard_bench)",
    )
    parser.add_argument(
        "--work", type=Path, metavar="DIR", help="scratch directory for files and SQLite databases (default: temporary)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench-results.json"), help="results file (default bench-results.json)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed of the synthetic data (default 42)")
    parser.add_argument(
        "--track", default="indo-pacific", choices=list(TRACK_IDS), help="track holding the data (default indo-pacific)"
    )
    parser.add_argument("--skip-pages", action="store_true", help="do not open the pages")
    parser.add_argument("--skip-pdf", action="store_true", help="do not export the PDF briefing")
    parser.add_argument("--skip-peer", action="store_true", help="do not run the peer tool (sqlite-utils)")
    parser.add_argument(
        "--page-timeout", type=float, default=600, metavar="S", help="longest a page run may take (default 600 s)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also write cProfile files of each ingest and page process to the work directory (slows them down)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory and the PostgreSQL database afterwards"
    )


# ---------------------------------------------------------------- small helpers


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _say(text: str) -> None:
    print(text, flush=True)


def _proc_status_kb(field_name: str) -> int | None:
    """A memory figure of this process from /proc/self/status, in kB (Linux); None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far (VmHWM), in MB."""
    kb = _proc_status_kb("VmHWM")
    if kb is None:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)


def current_rss_mb() -> float | None:
    """Resident memory of this process now (VmRSS), in MB."""
    kb = _proc_status_kb("VmRSS")
    return None if kb is None else round(kb / 1024, 1)


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], check=False, cwd=ROOT, capture_output=True, text=True, timeout=20
        ).stdout.rstrip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    import sqlite3
    from importlib import metadata

    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total_mb = round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    versions = {}
    for package in ("streamlit", "pandas", "pyarrow", "SQLAlchemy", "psycopg", "plotly", "kaleido", "sqlite-utils"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": _now(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_mb": mem_total_mb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "git_commit": _git("rev-parse", "HEAD").strip(),
        "git_dirty": bool(dirty),
        "git_dirty_files": dirty.splitlines()[:50],
        "packages": versions,
    }


@dataclass
class ChildRun:
    """A finished subprocess: exit code, wall time, CPU time, and the JSON it wrote."""

    code: int
    wall_s: float
    cpu_s: float
    result: dict[str, Any] | None
    log: Path

    def error(self) -> str | None:
        """Why it failed (the end of its log), or None."""
        if self.code == 0 and self.result is not None:
            return None
        tail = self.log.read_text(errors="replace").strip().splitlines()[-8:] if self.log.exists() else []
        return f"exit code {self.code}" + (": " + " | ".join(tail) if tail else "")


def run_child(argv: Sequence[str], *, env: dict[str, str], log: Path, result: Path | None = None) -> ChildRun:
    """Run a subprocess to the end; wait4 gives its CPU time (with its own subprocesses').

    Its ru_maxrss is not used: on Linux it starts from this (forking) process's size, so the children report
    their own peak (VmHWM) in their JSON instead.
    """
    if result is not None and result.exists():
        result.unlink()
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(list(argv), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    payload = None
    if result is not None and result.exists():
        try:
            payload = json.loads(result.read_text())
        except json.JSONDecodeError:
            payload = None
    return ChildRun(
        code=proc.returncode,
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        result=payload,
        log=log,
    )


def _python_env(url: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: this database, demo mode off, a secret key, the project on the path."""
    from dashboard.core.settings import setting

    env = dict(os.environ)
    if url is not None:
        env["DASHBOARD_DATABASE_URL"] = url
    env["DASHBOARD_DEMO_MODE"] = "false"
    default_secret = setting("secret_key").default
    if not env.get("DASHBOARD_SECRET_KEY") or env["DASHBOARD_SECRET_KEY"] == default_secret:
        env["DASHBOARD_SECRET_KEY"] = "bench-" + secrets.token_urlsafe(32)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra or {})
    return env


# ---------------------------------------------------------------- data


def write_data(size: int, seed: int, track: str, out_dir: Path) -> dict[str, Any]:
    """N incidents of one track, and that track's norms and partnerships, as our template CSV files."""
    from dashboard.ops import demo

    started = time.perf_counter()
    data = demo.generate(seed=seed, incidents=size, incident_tracks=(track,))
    data = demo.DemoData(
        incidents=data.incidents,
        norms=data.norms[data.norms["track"] == track].reset_index(drop=True),
        partnerships=data.partnerships[data.partnerships["track"] == track].reset_index(drop=True),
    )
    paths = demo.write_template_files(data, out_dir)
    rows = {layer: len(getattr(data, layer)) for layer in LAYERS}
    targets = data.incidents["target_countries"].explode().value_counts()
    if rows["incidents"] != size:
        raise BenchError(f"the generator wrote {rows['incidents']} incidents, not {size}")
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "files": {layer: str(path) for layer, path in paths.items()},
        "rows": rows,
        "bytes": {layer: path.stat().st_size for layer, path in paths.items()},
        "top_country": str(targets.index[0]) if len(targets) else "",
    }


# ---------------------------------------------------------------- databases


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@dataclass
class PgTarget:
    """The benchmark's own place on the PostgreSQL server: a database, or a schema when databases cannot be made."""

    base_url: str
    name: str
    kind: str = ""  # "database" | "schema" | "" (unreachable)
    server: str = ""
    note: str = ""

    def _admin(self):
        from sqlalchemy import create_engine

        from dashboard.store.db import normalise_url

        return create_engine(
            normalise_url(self.base_url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
        )

    def probe(self) -> bool:
        """True when the server answers; otherwise `note` says why."""
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        engine = self._admin()
        try:
            with engine.connect() as conn:
                self.server = str(conn.scalar(text("SHOW server_version")))
            return True
        except (DBAPIError, OSError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            self.note = f"PostgreSQL at {_hide_password(self.base_url)} is unreachable ({reason})"
            return False
        finally:
            engine.dispose()

    def fresh(self) -> str:
        """Drop and create the benchmark's database (or schema); returns its URL."""
        from sqlalchemy import text
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import DBAPIError

        from dashboard.store.db import normalise_url

        base = make_url(normalise_url(self.base_url))
        engine = self._admin()
        try:
            with engine.connect() as conn:
                if self.kind in ("", "database"):
                    try:
                        self._drop_database(conn)
                        conn.execute(text(f'CREATE DATABASE "{self.name}"'))
                        self.kind = "database"
                    except DBAPIError as exc:
                        if self.kind == "database":
                            raise
                        self.kind = "schema"
                        self.note = (
                            f"cannot create a database ({str(exc.orig).strip().splitlines()[0]}); "
                            f"using schema {self.name} in {base.database}"
                        )
                if self.kind == "schema":
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
                    conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        finally:
            engine.dispose()
        if self.kind == "database":
            url = base.set(database=self.name)
        else:
            url = base.update_query_dict({"options": f"-csearch_path={self.name}"})
        return url.render_as_string(hide_password=False)

    def _drop_database(self, conn) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        try:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        except DBAPIError:  # before PostgreSQL 13
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))

    def drop(self) -> None:
        """Remove the benchmark's database or schema."""
        from sqlalchemy import text

        if not self.kind:
            return
        engine = self._admin()
        try:
            with engine.connect() as conn:
                if self.kind == "database":
                    self._drop_database(conn)
                else:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        finally:
            engine.dispose()


def _fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


# ---------------------------------------------------------------- the run


@dataclass
class Bench:
    """One benchmark run: options, results so far, and where they are written."""

    args: argparse.Namespace
    work: Path
    results: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def save(self) -> None:
        self.results["problems"] = self.problems
        self.results["finished"] = _now()
        out = self.args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(self.results, indent=2, default=str) + "\n")
        tmp.replace(out)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        _say(f"!!! {text}")

    def child(self, kind: str, argv: Sequence[str], *, env: dict[str, str], tag: str) -> ChildRun:
        result = self.work / "logs" / f"{tag}.json"
        result.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "benchmarks.bench", kind, *argv, "--result", str(result)]
        if self.args.profile:
            command += ["--profile", str(self.work / "profiles" / f"{tag}.prof")]
            (self.work / "profiles").mkdir(parents=True, exist_ok=True)
        return run_child(command, env=env, log=self.work / "logs" / f"{tag}.log", result=result)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark as the options say; returns 0, or 1 when any step failed or stored the wrong rows."""
    own_work = args.work is None
    work = Path(tempfile.mkdtemp(prefix="dashboard-bench-")) if own_work else args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, work)
    bench.results = {
        "benchmark": "python -m dashboard bench",
        "started": _now(),
        "machine": machine_info(),
        "options": {
            "sizes": args.sizes,
            "backends": args.backends,
            "pg_url": _hide_password(args.pg_url),
            "pg_database": args.pg_database,
            "track": args.track,
            "seed": args.seed,
            "skip_pages": args.skip_pages,
            "skip_pdf": args.skip_pdf,
            "skip_peer": args.skip_peer,
            "page_timeout_s": args.page_timeout,
            "profile": args.profile,
            "work": str(work),
        },
        "method": {
            "ingest": "python -m benchmarks.bench _ingest: file read + pipeline.prepare + pipeline.commit as the local "
            "administrator (what `python -m dashboard ingest` does), in a fresh process per file; phases are timed "
            "by wrapping the functions prepare and commit call (read_path, validate, _compare, "
            "read.current_rows_for_diff, write_version)",
            "peak_rss": "VmHWM of the measuring process (PostgreSQL server memory not included)",
            "pages": "streamlit AppTest of app.py, switch_page to each page, signed in as the local administrator; "
            "caches cleared before each page; cold = first run, warm = run after the filter change below, "
            "rerun = one more run with nothing changed (everything cached)",
            "warm_filter": WARM_FILTER,
            "warm_filter_datasets": "plain rerun (the page has no filters)",
            "country_page": "opened with ?country= the most frequent target country of the data",
            "pdf": "briefing_export.export_briefing(fmt='pdf', track='both', period_days=365), in the page process",
            "peer": PEER + " (in a fresh SQLite file; seconds exclude Python start and the import of sqlite_utils.cli, "
            "like the ingest's total_s; wall_s counts the whole process)",
        },
        "runs": [],
        "notes": [],
    }
    pg: PgTarget | None = None
    if "postgresql" in args.backends:
        pg = PgTarget(args.pg_url, args.pg_database)
        if not pg.probe():
            note = f"{pg.note}: PostgreSQL skipped"
            _say(f"note: {note}")
            bench.results["notes"].append(note)
            pg = None
        else:
            bench.results["machine"]["postgresql"] = pg.server
    _say(f"benchmark: sizes {', '.join(f'{n:,}' for n in args.sizes)}; backends {', '.join(args.backends)}")
    _say(f"work directory: {work}; results: {args.out}")
    try:
        for size in args.sizes:
            _run_size(bench, size, pg)
    except KeyboardInterrupt:
        bench.problem("interrupted")
    finally:
        if pg is not None and pg.note and pg.note not in bench.results["notes"]:
            bench.results["notes"].append(pg.note)
        bench.save()
        if pg is not None and not args.keep:
            try:
                pg.drop()
            except Exception as exc:
                _say(f"note: could not drop {pg.kind} {pg.name}: {exc}")
        if own_work and not args.keep and not args.profile:
            shutil.rmtree(work, ignore_errors=True)
    _say("")
    _say(format_tables(bench.results))
    _say(f"\nresults written to {args.out}")
    if args.profile:
        _say(f"profiles in {work / 'profiles'} (python -m pstats FILE)")
    if bench.problems:
        _say(f"{len(bench.problems)} problem(s):")
        for text in bench.problems:
            _say(f"  - {text}")
        return 1
    return 0


def _run_size(bench: Bench, size: int, pg: PgTarget | None) -> None:
    args = bench.args
    size_dir = bench.work / f"n{size}"
    _say(f"\n== {size:,} incidents ({args.track}) ==")
    data = write_data(size, args.seed, args.track, size_dir / "files")
    _say(
        f"generated {size:,} incidents, {data['rows']['norms']:,} norm assessments, "
        f"{data['rows']['partnerships']:,} partnerships in {data['seconds']:.1f} s "
        f"(incidents.csv {data['bytes']['incidents'] / 1e6:,.1f} MB)"
    )
    csv = Path(data["files"]["incidents"])
    peer = None
    if not args.skip_peer:
        peer = run_peer(csv, size_dir / "peer.db", size_dir / "peer.log")
        if peer.get("error"):
            bench.problem(f"{size:,}: peer failed: {peer['error']}")
        elif peer.get("skipped"):
            _say(f"note: peer skipped: {peer['skipped']}")
        else:
            _say(
                f"peer ({PEER}): {peer['seconds']:.2f} s ({peer['wall_s']:.2f} s with process start), "
                f"{peer['rows']:,} rows, peak {peer['peak_rss_mb']:,.0f} MB"
            )
            if peer["rows"] != size:
                bench.problem(f"{size:,}: the peer stored {peer['rows']:,} rows, not {size:,}")
    for backend in args.backends:
        if backend == "postgresql" and pg is None:
            continue
        record: dict[str, Any] = {"size": size, "backend": backend, "track": args.track, "data": data}
        bench.results["runs"].append(record)
        try:
            _run_backend(bench, record, size_dir, pg if backend == "postgresql" else None)
        except BenchError as exc:
            bench.problem(f"{size:,} {backend}: {exc}")
        if backend == "sqlite" and peer is not None:
            record["peer"] = peer
            ours = (record.get("ingest") or {}).get("total_s")
            if ours and peer.get("seconds"):
                record["peer_ratio"] = round(ours / peer["seconds"], 2)
                record["peer_ratio_wall"] = round(record["ingest"]["wall_s"] / peer["wall_s"], 2)
                _say(
                    f"our SQLite ingest / peer: {record['peer_ratio']:.1f}x "
                    f"({record['peer_ratio_wall']:.1f}x counting process start and imports)"
                )
        bench.save()


def _run_backend(bench: Bench, record: dict[str, Any], size_dir: Path, pg: PgTarget | None) -> None:
    args = bench.args
    size, backend = record["size"], record["backend"]
    tag = f"n{size}-{backend}"
    if pg is None:
        url = _fresh_sqlite(size_dir / backend / "dashboard.sqlite")
        record["database"] = url
    else:
        url = pg.fresh()
        record["database"] = f"{pg.kind} {pg.name} on {_hide_password(pg.base_url)}"
        if pg.note:
            _say(f"note: {pg.note}")
    from dashboard.core.settings import load_settings

    settings = load_settings()
    csv_mb = max(data_bytes for data_bytes in record["data"]["bytes"].values()) / (1024 * 1024)
    upload_mb = max(settings.max_upload_mb, math.ceil(csv_mb) + 1)
    if upload_mb != settings.max_upload_mb:
        record["max_upload_mb"] = upload_mb
        record.setdefault("notes", []).append(
            f"DASHBOARD_MAX_UPLOAD_MB raised from {settings.max_upload_mb} to {upload_mb} for the ingest "
            f"(incidents.csv is {csv_mb:,.0f} MB)"
        )
    env = _python_env(url, {"DASHBOARD_MAX_UPLOAD_MB": str(upload_mb)})
    prefix = f"[{size:,} {backend}]"

    init = run_child(
        [sys.executable, "-m", "dashboard", "--database-url", url, "init"],
        env=env,
        log=bench.work / "logs" / f"{tag}-init.log",
    )
    record["init"] = {"wall_s": init.wall_s, "error": init.error() if init.code else None}
    if init.code:
        raise BenchError(f"init failed: {init.error()}")
    _say(f"{prefix} init: {init.wall_s:.1f} s")

    files = record["data"]["files"]
    for layer in ("incidents", "norms", "partnerships"):
        done = bench.child(
            "_ingest",
            ["--database-url", url, "--layer", layer, "--file", files[layer], "--track", args.track],
            env=env,
            tag=f"{tag}-ingest-{layer}",
        )
        result = done.result or {}
        result.update(wall_s=done.wall_s, process_cpu_s=done.cpu_s)
        if done.error() or result.get("error"):
            result["error"] = result.get("error") or done.error()
            if layer == "incidents":
                record["ingest"] = result
            else:
                record.setdefault("other_layers", {})[layer] = result
            raise BenchError(f"ingest of {layer} failed: {result['error']}")
        expected = record["data"]["rows"][layer]
        result["expected"] = expected
        result["stored_ok"] = result.get("stored") == expected
        if layer == "incidents":
            record["ingest"] = result
            phases = result["phases"]
            _say(
                f"{prefix} ingest incidents: {result['total_s']:.2f} s ({result['rows_per_s']:,.0f} rows/s; "
                + ", ".join(f"{k.removesuffix('_s')} {v:.2f}" for k, v in phases.items() if v is not None)
                + f"), peak {result['peak_rss_mb']:,.0f} MB, {result['stored']:,} rows stored"
            )
        else:
            record.setdefault("other_layers", {})[layer] = result
            _say(f"{prefix} ingest {layer}: {result['total_s']:.2f} s, {result['stored']:,} rows stored")
        if not result["stored_ok"]:
            bench.problem(
                f"{size:,} {backend}: {layer}: {result.get('stored')} rows stored, expected {expected:,} "
                f"(counts {result.get('counts')})"
            )
    record["database_bytes"] = result.get("database_bytes")  # after all three layers
    bench.save()

    if args.skip_pages and args.skip_pdf:
        return
    argv = ["--database-url", url, "--track", args.track, "--timeout", str(args.page_timeout)]
    argv += ["--country", record["data"]["top_country"]] if record["data"]["top_country"] else []
    argv += ["--skip-pages"] if args.skip_pages else []
    argv += ["--skip-pdf"] if args.skip_pdf else []
    done = bench.child("_pages", argv, env=env, tag=f"{tag}-pages")
    result = done.result or {}
    result.update(wall_s=done.wall_s, process_cpu_s=done.cpu_s)
    if done.error():
        result["error"] = done.error()
        bench.problem(f"{size:,} {backend}: the page process failed: {done.error()}")
    record["pages"] = result.get("pages", {})
    record["app"] = {k: v for k, v in result.items() if k not in {"pages", "pdf"}}
    if "pdf" in result:
        record["pdf"] = result["pdf"]
    for key, page in record["pages"].items():
        timings = f"cold {_s(page.get('cold_s'))}, warm {_s(page.get('warm_s'))}, rerun {_s(page.get('rerun_s'))}"
        largest = page.get("largest_chart_bytes") or 0
        _say(f"{prefix} page {key}: {timings}; largest figure {largest / 1024:,.0f} KB")
        if page.get("errors"):
            bench.problem(f"{size:,} {backend}: page {key}: {'; '.join(page['errors'])}")
    if record["pages"]:
        _say(f"{prefix} app peak memory {record['app'].get('peak_rss_mb', 0):,.0f} MB")
    pdf = record.get("pdf")
    if pdf:
        if pdf.get("error"):
            bench.problem(f"{size:,} {backend}: PDF briefing failed: {pdf['error']}")
        else:
            _say(f"{prefix} PDF briefing: {pdf['seconds']:.1f} s, {pdf['pages']} pages, {pdf['bytes'] / 1024:,.0f} KB")


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def run_peer(csv: Path, db: Path, log: Path) -> dict[str, Any]:
    """Time the peer tool loading the same CSV into a fresh SQLite file (run by a thin wrapper that reports memory)."""
    import sqlite3

    exe = Path(sys.executable).with_name("sqlite-utils")
    found = str(exe) if exe.exists() else shutil.which("sqlite-utils")
    if not found:
        return {"skipped": "sqlite-utils is not installed (pip install -r requirements-dev.txt)"}
    db.unlink(missing_ok=True)
    result = log.with_suffix(".json")
    command = [sys.executable, "-m", "benchmarks.bench", "_peer", "--result", str(result), "--exe", found]
    command += ["--preimport", "sqlite_utils.cli"]
    done = run_child(
        [*command, "--", "insert", str(db), "incidents", str(csv), "--csv"],
        env=_python_env(None),
        log=log,
        result=result,
    )
    if done.error() or (done.result or {}).get("error"):
        return {"error": (done.result or {}).get("error") or done.error(), "wall_s": done.wall_s}
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    version = subprocess.run([found, "--version"], check=False, capture_output=True, text=True).stdout.strip()
    return {
        "command": PEER,
        "tool": version,
        "seconds": done.result["seconds"],
        "wall_s": done.wall_s,
        "cpu_s": done.cpu_s,
        "peak_rss_mb": done.result["peak_rss_mb"],
        "rows": rows,
        "database_bytes": db.stat().st_size,
    }


def child_peer(ns: argparse.Namespace) -> dict[str, Any]:
    """Run a console script (the peer tool) in this process, timing it and reporting its peak memory."""
    import importlib
    import runpy

    for module in ns.preimport:  # like the dashboard's own modules, imported before the clock starts
        importlib.import_module(module)
    sys.argv = [ns.exe, *ns.args]
    started = time.perf_counter()
    code: object = 0
    try:
        runpy.run_path(ns.exe, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"seconds": round(seconds, 3), "peak_rss_mb": peak_rss_mb()}
    if code not in (0, None):
        out["error"] = f"{Path(ns.exe).name} exited with {code}"
    return out


# ---------------------------------------------------------------- the table


def format_tables(results: dict[str, Any]) -> str:
    """The results as two plain-text tables: ingest and resources, then page times."""
    runs = results.get("runs", [])
    if not runs:
        return "no results"
    head = [
        "size",
        "backend",
        "ingest s",
        "rows/s",
        "read",
        "valid.",
        "compare",
        "commit",
        "peer s",
        "ratio",
        "ingest MB",
        "app MB",
        "fig KB",
        "PDF s",
    ]
    rows = []
    for r in runs:
        ingest = r.get("ingest") or {}
        phases = ingest.get("phases") or {}
        pages = r.get("pages") or {}
        largest = max((p.get("largest_chart_bytes") or 0 for p in pages.values()), default=None)
        peer = r.get("peer") or {}
        rows.append(
            [
                f"{r['size']:,}",
                r["backend"],
                _num(ingest.get("total_s"), 1),
                _num(ingest.get("rows_per_s"), 0),
                _num(phases.get("read_s"), 1),
                _num(phases.get("validate_s"), 1),
                _num(phases.get("compare_s"), 1),
                _num(phases.get("commit_s"), 1),
                _num(peer.get("seconds"), 1),
                f"{r['peer_ratio']:.1f}x" if r.get("peer_ratio") else "",
                _num(ingest.get("peak_rss_mb"), 0),
                _num((r.get("app") or {}).get("peak_rss_mb"), 0),
                _num(largest / 1024 if largest else None, 0),
                _num((r.get("pdf") or {}).get("seconds"), 1),
            ]
        )
    text = _table(head, rows)
    page_keys: list[str] = []
    for r in runs:
        for key in r.get("pages") or {}:
            if key not in page_keys:
                page_keys.append(key)
    if page_keys:
        page_rows = []
        for r in runs:
            pages = r.get("pages") or {}
            cells = []
            for key in page_keys:
                p = pages.get(key) or {}
                cell = f"{_num(p.get('cold_s'), 1)}/{_num(p.get('warm_s'), 1)}" if p else ""
                cells.append(cell + ("!" if p.get("errors") else ""))
            page_rows.append([f"{r['size']:,}", r["backend"], *cells])
        text += "\n\npages, cold/warm seconds (! = errors; warm = after changing the Track filter, datasets: rerun):\n"
        text += _table(["size", "backend", *page_keys], page_rows)
    return text


def _num(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    return "\n".join(
        "  ".join(str(c).rjust(w) if i > 1 else str(c).ljust(w) for i, (c, w) in enumerate(zip(line, widths)))
        for line in [head, *rows]
    )


# ---------------------------------------------------------------- child processes


class PhaseTimer:
    """Wraps functions by name in a module so each call's duration adds to a named phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.missing: list[str] = []

    def wrap(self, module: Any, name: str, phase: str) -> None:
        original = getattr(module, name, None)
        if not callable(original):
            self.missing.append(f"{module.__name__}.{name}")
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)

    def get(self, phase: str) -> float | None:
        value = self.seconds.get(phase)
        return None if value is None else round(value, 3)


class _Profiler:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.profile = None

    def __enter__(self) -> _Profiler:
        if self.path:
            import cProfile

            self.profile = cProfile.Profile()
            self.profile.enable()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.profile is not None:
            self.profile.disable()
            self.profile.dump_stats(self.path)


def _database_bytes(engine) -> int | None:
    from sqlalchemy import text

    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) or None
    with engine.connect() as conn:
        size = conn.scalar(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            )
        )
    return None if size is None else int(size)  # PostgreSQL's sum() is a Decimal


def child_ingest(ns: argparse.Namespace) -> dict[str, Any]:
    """Ingest one file as `python -m dashboard ingest LAYER FILE --track T` does, timing the phases."""
    from sqlalchemy import column, func, select, table

    from dashboard import read
    from dashboard.core.access import local_admin
    from dashboard.core.settings import load_settings
    from dashboard.ingest import pipeline
    from dashboard.store.db import get_engine, schema_is_current

    settings = load_settings()
    engine = get_engine(ns.database_url)
    if not schema_is_current(engine):
        return {"error": "the database has no current schema"}
    # The synthetic files hold AMBER+STRICT rows of several organisations: the benchmark loads them as an operator
    # who may read (and so store) every organisation's rows; a real uploader may mark only their own.
    actor = dataclasses.replace(local_admin(settings.organisation), all_organisations=True)
    timer = PhaseTimer()
    timer.wrap(pipeline, "read_path", "read")
    timer.wrap(pipeline, "validate", "validate")
    timer.wrap(pipeline, "_compare", "compare")
    timer.wrap(read, "current_rows_for_diff", "compare_query")
    timer.wrap(pipeline, "write_version", "commit_write")
    path = Path(ns.file)
    out: dict[str, Any] = {"layer": ns.layer, "file": str(path), "file_bytes": path.stat().st_size}
    cpu_before = time.process_time()
    with _Profiler(ns.profile):
        started = time.perf_counter()
        file_read = 0.0  # the ingest command hands the path over: the file is read while it is parsed
        try:
            prepared = pipeline.prepare(
                engine,
                actor,
                layer=ns.layer,
                track=ns.track,
                file_name=path.name,
                path=path,
                preset="auto",
                mapping=None,
                sheet=None,
                default_tlp="amber",
                max_bytes=settings.max_upload_mb * 1024 * 1024,
            )
            prepared_at = time.perf_counter()
            done = pipeline.commit(engine, prepared, actor, mode="append", skip_invalid=False)
        except pipeline.UploadRefused as exc:
            out["error"] = f"refused: {exc}"
            out["peak_rss_mb"] = peak_rss_mb()
            return out
        finished = time.perf_counter()
    total = finished - started
    prepare_s = prepared_at - started - file_read
    inner = [timer.get(p) for p in ("read", "validate", "compare")]
    out["total_s"] = round(total, 3)
    out["cpu_s"] = round(time.process_time() - cpu_before, 3)
    out["phases"] = {
        "read_s": None if inner[0] is None else round(file_read + inner[0], 3),
        "validate_s": inner[1],
        "compare_s": inner[2],
        "commit_s": round(finished - prepared_at, 3),
    }
    out["detail"] = {
        "file_read_s": round(file_read, 3),
        "prepare_s": round(prepare_s, 3),
        "prepare_other_s": None if None in inner else round(prepare_s - sum(inner), 3),
        "compare_query_s": timer.get("compare_query"),
        "commit_write_s": timer.get("commit_write"),
    }
    if timer.missing:
        out["notes"] = [f"not found, phase not measured: {', '.join(timer.missing)}"]
    out["counts"] = prepared.counts
    out["version_id"] = done.version_id
    out["committed_rows"] = done.stored
    stored_table = table(LAYER_TABLES[ns.layer], column("dataset_version_id"))
    with engine.connect() as conn:
        out["stored"] = conn.scalar(
            select(func.count()).select_from(stored_table).where(column("dataset_version_id") == done.version_id)
        )
    out["rows_per_s"] = round(out["stored"] / total, 1) if total else None
    out["peak_rss_mb"] = peak_rss_mb()
    out["database_bytes"] = _database_bytes(engine)
    return out


def child_pages(ns: argparse.Namespace) -> dict[str, Any]:
    """Open every read page through AppTest (cold, warm after a filter change, cached rerun); then the PDF."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard import read
    from dashboard.core.access import local_admin
    from dashboard.core.pages import DATA_PAGES, PAGES
    from dashboard.core.settings import load_settings
    from dashboard.read import snapshot as facts

    settings = load_settings()
    viewer = local_admin(settings.organisation)
    app = str(ROOT / "app.py")
    out: dict[str, Any] = {"pages": {}}

    def fresh(page_script: str, params: dict[str, str] | None = None) -> AppTest:
        st.cache_data.clear()
        st.cache_resource.clear()
        facts.clear_cache()  # cold means the incident snapshot is loaded again too, as after a data change
        read.clear_cache()  # and the norm statuses and partnerships kept per data stamp
        at = AppTest.from_file(app, default_timeout=ns.timeout)
        at.session_state["viewer"] = viewer
        at.switch_page(page_script)
        at.query_params.update(params or {})
        return at

    def timed_run(at: AppTest, label: str, record: dict[str, Any]) -> bool:
        """Run once, store the seconds under `label`_s and any error; False when the run itself failed."""
        started = time.perf_counter()
        try:
            at.run()
        except Exception as exc:  # a timeout, or the script runner failing
            record[f"{label}_s"] = round(time.perf_counter() - started, 3)
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            record["errors"].append(f"{label}: {type(exc).__name__}: {first_line}")
            return False
        record[f"{label}_s"] = round(time.perf_counter() - started, 3)
        for e in at.exception:
            message = str(e.message).strip().splitlines()[-1] if e.message else "exception"
            text = f"{label}: exception on page: {message}"
            if text not in record["errors"]:
                record["errors"].append(text)
        return True

    # Page exceptions carry their message (the app's config redacts them for users; this is a test process).
    st.set_option("client.showErrorDetails", "full")
    with _Profiler(ns.profile):
        if not ns.skip_pages:
            # Untimed: import every module the pages use, so the first measured page does not pay for imports.
            started = time.perf_counter()
            try:
                fresh(next(p.script for p in PAGES if p.key == "datasets")).run()
            except Exception as exc:
                out["warmup_error"] = f"{type(exc).__name__}: {exc}"
            out["imports_warmup_s"] = round(time.perf_counter() - started, 3)
            for page in DATA_PAGES:  # the upload page needs a file: the ingest steps measure that path
                record: dict[str, Any] = {"errors": []}
                rss_before = current_rss_mb()
                params = {"country": ns.country} if page.key == "country" and ns.country else {}
                if params:
                    record["query_params"] = params
                at = fresh(page.script, params)
                ok = timed_run(at, "cold", record)
                charts = [len(c.proto.spec.encode()) for c in at.get("plotly_chart")]
                record["charts"] = len(charts)
                record["chart_bytes"] = charts
                record["largest_chart_bytes"] = max(charts, default=0)
                record["tables"] = len(at.dataframe)
                record["table_bytes"] = sum(t.proto.ByteSize() for t in at.dataframe)
                if ok:
                    tracks = [s for s in at.selectbox if s.key == "f_track"]
                    if tracks:
                        tracks[0].set_value(ns.track)
                        record["warm_change"] = f"track: both -> {ns.track}"
                    else:
                        record["warm_change"] = "none (no filters on this page)"
                    ok = timed_run(at, "warm", record)
                if ok:
                    timed_run(at, "rerun", record)
                record["rss_before_mb"] = rss_before
                record["rss_after_mb"] = current_rss_mb()
                out["pages"][page.key] = record
                del at
            out["peak_rss_mb"] = peak_rss_mb()
        if not ns.skip_pdf:
            out["pdf"] = _pdf(ns, viewer, settings)
            out["peak_rss_with_pdf_mb"] = peak_rss_mb()
    return out


def _pdf(ns: argparse.Namespace, viewer, settings) -> dict[str, Any]:
    from dashboard.export import briefing as briefing_export
    from dashboard.store.db import get_engine

    engine = get_engine(ns.database_url)
    started = time.perf_counter()
    try:
        as_of = briefing_export.default_as_of(engine, viewer)
        done = briefing_export.export_briefing(
            engine,
            viewer,
            fmt="pdf",
            track="both",
            as_of=as_of,
            period_days=365,
            thresholds=settings.watchlist_thresholds(),
        )
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "seconds": round(time.perf_counter() - started, 3)}
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "bytes": len(done.data),
        "pages": done.pages,
        "as_of": as_of.isoformat(),
        "track": "both",
    }


def _child_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description="Benchmark child processes.")
    sub = parser.add_subparsers(dest="kind", required=True)
    p = sub.add_parser("_peer")
    p.add_argument("--result", required=True, type=Path)
    p.add_argument("--exe", required=True)
    p.add_argument("--preimport", action="append", default=[])
    p.add_argument("args", nargs=argparse.REMAINDER)
    for kind in ("_ingest", "_pages"):
        p = sub.add_parser(kind)
        p.add_argument("--database-url", required=True)
        p.add_argument("--track", required=True)
        p.add_argument("--result", required=True, type=Path)
        p.add_argument("--profile", default=None)
        if kind == "_ingest":
            p.add_argument("--layer", required=True, choices=LAYERS)
            p.add_argument("--file", required=True)
        else:
            p.add_argument("--timeout", type=float, default=600)
            p.add_argument("--country", default="", help="country of the country profile page")
            p.add_argument("--skip-pages", action="store_true")
            p.add_argument("--skip-pdf", action="store_true")
    return parser


CHILDREN: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "_ingest": child_ingest,
    "_pages": child_pages,
    "_peer": child_peer,
}


def child_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the child processes: run one step and write its JSON result."""
    import logging

    ns = _child_parser().parse_args(argv)
    if ns.kind == "_peer" and ns.args[:1] == ["--"]:
        ns.args = ns.args[1:]
    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    result = CHILDREN[ns.kind](ns)
    ns.result.write_text(json.dumps(result, indent=2, default=str))
    return 1 if result.get("error") else 0


if __name__ == "__main__":
    sys.exit(child_main())

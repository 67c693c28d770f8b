"""How fast, and in how little memory, each hostile upload is refused: `python -m benchmarks.hostile`.

For every file of tests/fixtures/ingest/make_hostile.py (Parquet and JSON decompression bombs, CSV files with tens
of thousands of columns, a 40 MB cell, infinite severities, a file of mixed encodings) it runs the upload path
`pipeline.prepare` in a fresh Python process of its own, as the upload page calls it (`--via page`: the uploaded
bytes are in memory) and as `python -m dashboard ingest` calls it (`--via cli`: a file on disk), on a SQLite
database made by the project's own `initialise`. It prints the outcome, the seconds `prepare` took and its peak
resident memory above the process's baseline (the resident memory just before `prepare`, with the imports loaded,
the engine open and the page's copy of the upload held). The peak is the kernel's high-water mark (VmHWM), reset to
the baseline just before `prepare` (/proc/self/clear_refs) so nothing measured earlier counts.

This prints figures; it never fails on them. The target of the hardening (under 5 s, under 500 MB above the
baseline) is shown next to each figure. Each child runs under a memory cap (--max-memory-mb) and a time limit
(--timeout), so that measuring an unprotected build cannot take the shared machine down with it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0
TARGET_MB = 500.0
VIAS = ("page", "cli")


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{name} is not in /proc/self/status (Linux only)")


def measure(path: Path, via: str, database_url: str) -> dict:
    """Run the upload check on one file in this process; its outcome, seconds and memory figures."""
    from dashboard.core.access import local_admin
    from dashboard.ingest import pipeline
    from dashboard.store.db import get_engine

    engine = get_engine(database_url)
    admin = local_admin("Dialogue Secretariat")
    data = path.read_bytes() if via == "page" else None  # the page holds the uploaded bytes; the CLI reads the path
    source = {"data": data} if via == "page" else {"path": path}
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current resident memory
        reset = True
    except OSError:
        reset = False
    baseline = _status_kb("VmRSS")
    started = time.perf_counter()
    try:
        prepared = pipeline.prepare(
            engine,
            admin,
            layer="incidents",
            track="eastern-europe",
            file_name=path.name,
            max_bytes=50 * 1024 * 1024,
            **source,
        )
    except pipeline.UploadRefused as exc:
        outcome = f"refused: {exc}"
    except Exception as exc:  # what an unprotected build does: a traceback in the page
        outcome = f"CRASH {type(exc).__name__}: {str(exc)[:160]}"
    else:
        counts = prepared.counts
        first = prepared.issues[0].message if prepared.issues else ""
        outcome = f"checked: {counts['total']} rows, {counts['errors']} with errors. {first}".strip()
        if prepared.table.notes:
            outcome += " Note: " + " ".join(prepared.table.notes)
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    return {
        "seconds": round(seconds, 3),
        "baseline_mb": round(baseline / 1024, 1),
        "peak_over_baseline_mb": round(max(0, peak - baseline) / 1024, 1),
        "peak_reset": reset,
        "outcome": outcome,
    }


def _child(path: Path, via: str, url: str, timeout: float, max_memory_mb: int) -> dict:
    """measure() in a fresh process, under a time limit and a memory cap."""

    def cap() -> None:
        import resource

        limit = max_memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-m", "benchmarks.hostile", "_measure", str(path), via, url]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, preexec_fn=cap, check=False
        )
    except subprocess.TimeoutExpired:
        return {"outcome": f"STOPPED after {timeout:.0f} s (still running)", "seconds": None}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"outcome": f"CRASH (exit {done.returncode}): {tail[:160]}", "seconds": None}
    record = json.loads(lines[-1])
    record["process_s"] = round(time.perf_counter() - started, 2)
    return record


def run(args: argparse.Namespace) -> int:
    """Generate each hostile file, measure it by each route and print a table of the figures."""
    from tests.fixtures.ingest import make_hostile

    names = args.files or list(make_hostile.HOSTILE)
    unknown = sorted(set(names) - set(make_hostile.HOSTILE))
    if unknown:
        print(f"unknown file(s): {', '.join(unknown)}; choose from {', '.join(make_hostile.HOSTILE)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dashboard-hostile-", dir=args.work) as work:
        folder = Path(work)
        from dashboard.ops.bootstrap import initialise
        from dashboard.store.db import dispose_engine, get_engine

        url = f"sqlite:///{folder / 'hostile.sqlite'}"
        initialise(get_engine(url))
        dispose_engine(url)
        results = []
        print(f"target: refused in under {TARGET_SECONDS:.0f} s, peak under {TARGET_MB:.0f} MB over the baseline")
        print(f"{'file':<28} {'bytes':>11} {'via':<4} {'seconds':>8} {'peak MB':>8} {'base MB':>8}  outcome")
        for name in names:
            path = make_hostile.write(folder, [name])[0]
            for via in args.via:
                record = _child(path, via, url, args.timeout, args.max_memory_mb)
                record.update(file=name, what=make_hostile.HOSTILE[name][0], bytes=path.stat().st_size, via=via)
                results.append(record)
                seconds = record.get("seconds")
                peak = record.get("peak_over_baseline_mb")
                within = seconds is not None and seconds < TARGET_SECONDS and (peak or 0) < TARGET_MB
                print(
                    f"{name:<28} {record['bytes']:>11,} {via:<4} "
                    f"{'-' if seconds is None else f'{seconds:.2f}':>8} {'-' if peak is None else f'{peak:.1f}':>8} "
                    f"{record.get('baseline_mb', '-'):>8}  {'' if within else '[OVER TARGET] '}"
                    f"{record['outcome'][:150]}",
                    flush=True,
                )
            path.unlink()
    if args.out:
        args.out.write_text(json.dumps({"target": [TARGET_SECONDS, TARGET_MB], "results": results}, indent=1))
        print(f"written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_measure"]:  # the child process
        _, path, via, url = argv
        print(json.dumps(measure(Path(path), via, url)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hostile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="*", help="only these hostile files (default: all)")
    parser.add_argument("--via", nargs="+", choices=VIAS, default=list(VIAS), help="the routes to measure")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a child is stopped")
    parser.add_argument("--max-memory-mb", type=int, default=4096, help="address-space cap of each child")
    parser.add_argument("--work", type=Path, default=None, help="folder for the generated files (default: temp)")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")
    sys.exit(main())

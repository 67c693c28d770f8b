"""The benchmark command: a real run at a tiny size (SQLite always, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

import pytest

from benchmarks import bench
from dashboard.cli import main
from dashboard.core.pages import DATA_PAGES
from dashboard.ops import demo
from tests.conftest import BACKENDS, PG_URL

SIZE = 300
READ_PAGES = [p.key for p in DATA_PAGES]
# The benchmark loads its data through the CSV templates, which carry no attribution or response events.
CHARTLESS = {"datasets", "watchlist", "responses"}


def test_bench_smoke_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    argv = ["bench", "--sizes", str(SIZE), "--backends", ",".join(BACKENDS), "--work", str(tmp_path / "work")]
    argv += ["--out", str(out)]
    if PG_URL:
        argv += ["--pg-url", PG_URL, "--pg-database", f"dashboard_bench_test_{uuid.uuid4().hex[:8]}"]

    code = main(argv)

    printed = capsys.readouterr().out
    results = json.loads(out.read_text())
    assert code == 0, results["problems"] or printed
    assert results["problems"] == []
    assert results["machine"]["cpu_count"] >= 1 and results["machine"]["python"]
    assert [(r["size"], r["backend"]) for r in results["runs"]] == [(SIZE, b) for b in BACKENDS]
    for run in results["runs"]:
        where = f"{run['backend']}"
        ingest = run["ingest"]
        assert ingest["stored"] == SIZE and ingest["stored_ok"], where
        assert ingest["total_s"] > 0 and ingest["rows_per_s"] > 0 and ingest["peak_rss_mb"] > 0, where
        for phase in ("read_s", "validate_s", "compare_s", "commit_s"):  # None: a function bench.py wraps is gone
            assert ingest["phases"][phase] is not None and ingest["phases"][phase] >= 0, (where, phase, ingest)
        assert isinstance(run["database_bytes"], int) and run["database_bytes"] > 0, where
        assert run["other_layers"]["norms"]["stored_ok"] and run["other_layers"]["partnerships"]["stored_ok"], where
        assert sorted(run["pages"]) == sorted(READ_PAGES), where
        for key, page in run["pages"].items():
            assert page["errors"] == [], (where, key, page["errors"])
            assert page["cold_s"] > 0 and page["warm_s"] > 0 and page["rerun_s"] > 0, (where, key)
            if key not in CHARTLESS:
                assert page["largest_chart_bytes"] > 0, (where, key)
        assert run["app"]["peak_rss_mb"] > 0, where
        assert run["pdf"]["seconds"] > 0 and run["pdf"]["pages"] >= 1, where
    sqlite_run = results["runs"][0]
    assert sqlite_run["peer"]["rows"] == SIZE
    assert sqlite_run["peer"]["seconds"] > 0 and sqlite_run["peer_ratio"] > 0
    assert "rows/s" in printed and "our SQLite ingest / peer" in printed
    if PG_URL:  # the benchmark's own database is gone afterwards
        from sqlalchemy import text

        from dashboard.store.db import get_engine

        with get_engine(PG_URL).connect() as conn:
            name = argv[argv.index("--pg-database") + 1]
            assert not conn.scalar(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name})


def test_sizes_and_backends_options() -> None:
    assert bench.parse_sizes("10000,100k,1M") == [10_000, 100_000, 1_000_000]
    assert bench.parse_backends("pg,sqlite") == ["postgresql", "sqlite"]
    for bad in ("0", "ten", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench.parse_sizes(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        bench.parse_backends("mysql")


def test_unreachable_postgresql_is_skipped_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    unreachable = "postgresql://nobody@127.0.0.1:1/none"
    argv = ["bench", "--sizes", "50", "--backends", "postgresql", "--pg-url", unreachable, "--skip-peer"]
    code = main([*argv, "--work", str(tmp_path / "work"), "--out", str(out)])
    assert code == 0
    results = json.loads(out.read_text())
    assert results["runs"] == [] and "unreachable" in results["notes"][0]
    assert "PostgreSQL skipped" in capsys.readouterr().out


def test_demo_incidents_in_one_track_keep_the_default_output() -> None:
    one = demo.generate(seed=3, incidents=500, incident_tracks=("eastern-europe",))
    assert len(one.incidents) == 500 and set(one.incidents["track"]) == {"eastern-europe"}
    assert one.incidents["start_date"].max() > demo.END.replace(year=demo.END.year - 1)  # spans the whole range
    both = demo.generate(seed=3, incidents=500)
    assert both.incidents.equals(demo.generate(seed=3, incidents=500, incident_tracks=demo.TRACKS).incidents)
    assert set(both.incidents["track"]) == set(demo.TRACKS)

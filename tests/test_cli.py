"""The command-line interface, run as a user runs it: a subprocess with exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard import PROJECT_ROOT
from tests.conftest import Database


def run(
    *args: str, url: str | None = None, input_text: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    full_env.pop("DASHBOARD_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "dashboard"]
    if url:
        cmd += ["--database-url", url]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, cwd=PROJECT_ROOT, env=full_env, timeout=120, input=input_text
    )


@pytest.mark.parametrize(
    "command", [[], ["init"], ["demo"], ["stats"], ["user"], ["user", "add"], ["share"], ["share", "create"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: python -m dashboard" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("not a url", 2, "not a database URL"),
        ("mysql://root@127.0.0.1/x", 2, "unsupported database"),
        ("postgresql://nobody@127.0.0.1:1/none", 1, "cannot use the database"),
    ],
)
def test_bad_database_urls_get_one_line_and_an_exit_code(url: str, code: int, message: str) -> None:
    result = run("stats", url=url)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_stats_before_init_is_refused(database: Database) -> None:
    result = run("stats", url=database.url)
    assert result.returncode == 1
    assert "run `python -m dashboard init`" in result.stderr


def test_init_demo_then_stats_then_init_again(database: Database) -> None:
    first = run("init", "--demo", "--seed", "5", "--incidents", "120", url=database.url)
    assert first.returncode == 0, first.stderr
    assert "demo data: seeded" in first.stdout
    stats = run("stats", "--json", url=database.url)
    assert stats.returncode == 0, stats.stderr
    payload = json.loads(stats.stdout)
    incidents = sum(c["rows"] for c in payload["counts"] if c["layer"] == "incidents")
    assert 100 <= incidents <= 120
    assert len(payload["active_versions"]) == 6
    assert all(v["synthetic"] for v in payload["active_versions"])
    again = run("init", "--demo", url=database.url)
    assert again.returncode == 0
    assert "schema: up to date" in again.stdout and "reference data: up to date" in again.stdout
    assert "not seeded (the database already holds data)" in again.stdout
    table = run("stats", url=database.url)
    assert "Eastern Europe" in table.stdout and "Indo-Pacific" in table.stdout


def test_demo_writes_template_files(tmp_path) -> None:
    result = run("demo", "--incidents", "300", "--seed", "1", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    for name in ("incidents.csv", "norms.csv", "partnerships.csv"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert (tmp_path / "out" / "incidents.csv").read_text().count("\n") == 301


def test_demo_refuses_a_bad_number_and_an_unwritable_directory(tmp_path) -> None:
    bad = run("demo", "--incidents", "lots", "--out", str(tmp_path))
    assert bad.returncode == 2 and "not a whole number" in bad.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    refused = run("demo", "--incidents", "5", "--out", str(blocker / "sub"))
    assert refused.returncode == 1 and "cannot write" in refused.stderr and "Traceback" not in refused.stderr


def test_a_bad_setting_is_a_usage_error() -> None:
    result = run("stats", DASHBOARD_DEMO_SEED="many")
    assert result.returncode == 2
    assert "DASHBOARD_DEMO_SEED" in result.stderr

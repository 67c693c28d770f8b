"""CLI for accounts and share links, run as a subprocess like an administrator would."""

from __future__ import annotations

import re

from dashboard import accounts
from dashboard.accounts import sharing
from dashboard.core.settings import DEFAULT_SECRET
from tests.conftest import Database
from tests.test_cli import run

SECRET = {"DASHBOARD_SECRET_KEY": "a-long-random-secret-for-tests-only", "DASHBOARD_DEMO_MODE": "false"}


def test_user_lifecycle(database: Database) -> None:
    assert run("init", url=database.url).returncode == 0
    added = run(
        "user",
        "add",
        "alice",
        "--role",
        "coordinator",
        "--track",
        "eastern-europe",
        "--password-stdin",
        url=database.url,
        input_text="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    generated = run("user", "add", "bob", "--role", "official", url=database.url)
    password = re.search(r"password \(shown once\): (\S+)", generated.stdout).group(1)
    assert accounts.authenticate(database.engine, "bob", password, max_failures=5, lockout_minutes=1).viewer
    partner = run("user", "add", "pat", "--role", "partner", url=database.url)
    assert partner.returncode == 1 and "needs --org" in partner.stderr
    red = run("user", "add", "pat", "--role", "partner", "--org", "ISAC", "--tlp-ceiling", "red", url=database.url)
    assert red.returncode == 1 and "TLP:AMBER at most" in red.stderr
    assert run("user", "disable", "bob", url=database.url).returncode == 0
    assert accounts.authenticate(database.engine, "bob", password, max_failures=5, lockout_minutes=1).viewer is None
    listing = run("user", "list", url=database.url).stdout
    assert "alice" in listing and "disabled" in listing and "$argon2" not in listing
    missing = run("user", "passwd", "nobody", url=database.url)
    assert missing.returncode == 1 and "no user called" in missing.stderr


def test_share_links(database: Database) -> None:
    assert run("init", url=database.url).returncode == 0
    created = run(
        "share",
        "create",
        "--org",
        "Grid ISAC",
        "--track",
        "eastern-europe",
        "--tlp",
        "green",
        "--days",
        "10",
        url=database.url,
        **SECRET,
    )
    assert created.returncode == 0, created.stderr
    token = re.search(r"/\?share=(\S+)", created.stdout).group(1)
    opened = sharing.open_link(database.engine, token, secret_key=SECRET["DASHBOARD_SECRET_KEY"])
    assert opened.viewer is not None and opened.viewer.tlp_ceiling == "green"
    listing = run("share", "list", url=database.url, **SECRET).stdout
    assert "Grid ISAC" in listing and token not in listing
    assert run("share", "revoke", "1", url=database.url, **SECRET).returncode == 0
    again = run("share", "revoke", "1", url=database.url, **SECRET)
    assert again.returncode == 1 and "already revoked" in again.stderr
    red = run("share", "create", "--org", "X", "--track", "eastern-europe", "--tlp", "red", url=database.url, **SECRET)
    assert red.returncode == 2  # not a choice: usage error


def test_share_refuses_the_default_secret_outside_demo_mode(database: Database) -> None:
    assert run("init", url=database.url).returncode == 0
    result = run(
        "share",
        "create",
        "--org",
        "X",
        "--track",
        "eastern-europe",
        "--tlp",
        "green",
        url=database.url,
        DASHBOARD_DEMO_MODE="false",
        DASHBOARD_SECRET_KEY=DEFAULT_SECRET,
    )
    assert result.returncode == 1 and "DASHBOARD_SECRET_KEY" in result.stderr

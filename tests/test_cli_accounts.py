"""CLI for accounts and share links, run as a subprocess like an administrator would."""

from __future__ import annotations

import re

from dashboard import accounts
from dashboard.accounts import sharing
from dashboard.core.settings import DEFAULT_SECRET
from tests.conftest import Database
from tests.factories import incident, store_incidents
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


def test_share_create_without_a_public_url_prints_the_path_and_says_so(database: Database) -> None:
    """No request on the command line: never an invented localhost:8501, but the path and what to do about it."""
    assert run("init", url=database.url).returncode == 0
    args = ("share", "create", "--org", "Grid ISAC", "--track", "eastern-europe", "--tlp", "green")
    unset = run(*args, url=database.url, DASHBOARD_PUBLIC_URL="", **SECRET)
    assert unset.returncode == 0, unset.stderr
    assert unset.stdout.splitlines()[-1].startswith("/?share=")
    assert "localhost" not in unset.stdout
    assert "DASHBOARD_PUBLIC_URL is not set" in unset.stderr and "in front of it" in unset.stderr
    public = run(*args, url=database.url, DASHBOARD_PUBLIC_URL="https://dialogue.example.org/", **SECRET)
    assert public.returncode == 0, public.stderr
    assert public.stdout.splitlines()[-1].startswith("https://dialogue.example.org/?share=")
    assert "note:" not in public.stderr


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


def _add(database: Database, name: str, *extra: str) -> None:
    added = run(
        "user", "add", name, *extra, "--password-stdin", url=database.url, input_text="a long enough password\n"
    )
    assert added.returncode == 0, added.stderr


def test_briefing_export_is_refused_to_a_role_without_export_permission(database: Database, tmp_path) -> None:
    assert run("init", url=database.url).returncode == 0
    _add(database, "pat", "--role", "partner", "--org", "Grid ISAC", "--tlp-ceiling", "green")
    refused = run(
        "briefing", "--track", "eastern-europe", "--out", str(tmp_path / "b.html"), "--user", "pat", url=database.url
    )
    assert refused.returncode == 1 and "may not export briefings" in refused.stderr
    assert not (tmp_path / "b.html").exists()
    _add(database, "olga", "--role", "official", "--track", "eastern-europe", "--tlp-ceiling", "green")
    done = run(
        "briefing", "--track", "eastern-europe", "--out", str(tmp_path / "o.html"), "--user", "olga", url=database.url
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o.html").stat().st_size > 1000


def test_init_demo_is_refused_outside_demo_mode(database: Database) -> None:
    refused = run("init", "--demo", url=database.url, DASHBOARD_DEMO_MODE="false")
    assert refused.returncode == 1 and "demo mode is off" in refused.stderr
    assert "DASHBOARD_DEMO_MODE" in refused.stderr
    assert run("init", url=database.url, DASHBOARD_DEMO_MODE="false").returncode == 0
    assert not [u for u in accounts.list_users(database.engine) if u["demo"]]
    assert (
        accounts.authenticate(
            database.engine, "demo-admin", "demo-admin-pass", max_failures=5, lockout_minutes=1, allow_demo=True
        ).viewer
        is None
    )


def test_init_demo_is_refused_when_real_data_is_present(database: Database) -> None:
    assert run("init", url=database.url).returncode == 0
    store_incidents(database.engine, "eastern-europe", [incident("a real incident")])
    refused = run("init", "--demo", url=database.url, DASHBOARD_DEMO_MODE="true")
    assert refused.returncode == 1 and "real (not synthetic) data" in refused.stderr
    assert not [u for u in accounts.list_users(database.engine) if u["demo"]]


def test_user_update_changes_access_and_ends_sessions(database: Database) -> None:
    assert run("init", url=database.url).returncode == 0
    _add(database, "olga", "--role", "official", "--track", "eastern-europe")
    before = accounts.authenticate(database.engine, "olga", "a long enough password", max_failures=5, lockout_minutes=1)
    updated = run(
        "user",
        "update",
        "olga",
        "--role",
        "coordinator",
        "--track",
        "indo-pacific",
        "--tlp-ceiling",
        "green",
        url=database.url,
    )
    assert updated.returncode == 0, updated.stderr
    assert "open sessions end" in updated.stdout
    [olga] = accounts.list_users(database.engine)
    assert (olga["role"], olga["tracks"], olga["tlp_ceiling"]) == ("coordinator", ["indo-pacific"], "green")
    status = accounts.session_status(database.engine, before.viewer.user_id)
    assert status.epoch == before.epoch + 1
    nothing = run("user", "update", "olga", url=database.url)
    assert nothing.returncode == 1 and "nothing to change" in nothing.stderr


def test_sessions_are_listed_and_ended_by_administrators_only(database: Database) -> None:
    from dashboard.accounts import sessions
    from dashboard.core.access import local_admin

    assert run("init", url=database.url).returncode == 0
    accounts.create_user(
        database.engine,
        "olga",
        role="official",
        tracks=["eastern-europe"],
        organisation="Secretariat",
        tlp_ceiling="amber",
        password="a long enough password",
        actor=local_admin("Secretariat"),
    )
    olga = accounts.authenticate(database.engine, "olga", "a long enough password", max_failures=5, lockout_minutes=1)
    started = sessions.start(database.engine, olga.viewer, secret_key=SECRET["DASHBOARD_SECRET_KEY"], client="10.0.0.9")
    listing = run("session", "list", url=database.url, **SECRET)
    assert listing.returncode == 0, listing.stderr
    assert re.search(rf"^\s*{started.id}\s+olga\s+\(official\).*from 10\.0\.0\.9$", listing.stdout, re.M)
    refused = run("session", "end", str(started.id), "--user", "olga", url=database.url, **SECRET)
    assert refused.returncode == 1 and "only administrators" in refused.stderr
    assert sessions.is_open(database.engine, started.id)
    ended = run("session", "end", str(started.id), url=database.url, **SECRET)
    assert ended.returncode == 0 and "ended 1 of 1 session" in ended.stdout
    assert not sessions.is_open(database.engine, started.id)
    assert "0 open sessions" in run("session", "list", url=database.url, **SECRET).stdout

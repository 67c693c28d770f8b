"""Accounts: argon2id hashes, sign-in, lockout, audit; the viewer of each role."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, text

from dashboard import accounts
from dashboard.accounts.users import AccountError, authenticate, create_user
from dashboard.core.access import Permission, Role
from dashboard.store.models import AuditEvent, User

PASSWORD = "correct horse battery"


def _user(engine: Engine, name: str = "alice", role: str = "coordinator", **kw) -> int:
    args = {
        "tracks": ["eastern-europe"],
        "organisation": "Secretariat",
        "tlp_ceiling": "amber",
        "password": PASSWORD,
        "actor": "test",
    } | kw
    return create_user(engine, name, role=role, **args)


def _events(engine: Engine, action: str) -> list[AuditEvent]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_password_is_stored_only_as_an_argon2id_hash(engine: Engine) -> None:
    _user(engine)
    with engine.connect() as conn:
        stored = conn.scalar(select(User.password_hash))
        dump = "\n".join(str(r) for r in conn.execute(text("SELECT * FROM users")).all())
        audit = "\n".join(str(r) for r in conn.execute(text("SELECT * FROM audit_events")).all())
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in dump and PASSWORD not in audit


def test_sign_in_gives_the_viewer_of_the_account(engine: Engine) -> None:
    _user(engine, pages=["incidents", "briefing"])
    result = authenticate(engine, "alice", PASSWORD, max_failures=5, lockout_minutes=15)
    viewer = result.viewer
    assert viewer is not None and viewer.role is Role.COORDINATOR
    assert viewer.tracks == frozenset({"eastern-europe"}) and viewer.tlp_ceiling == "amber"
    assert viewer.can(Permission.VIEW_INCIDENTS) and not viewer.can(Permission.VIEW_NORMS)
    assert len(_events(engine, "auth.sign_in")) == 1


def test_wrong_password_unknown_user_and_disabled_user_are_refused_alike(engine: Engine) -> None:
    _user(engine)
    _user(engine, "bob")
    accounts.set_active(engine, "bob", False, actor="test")
    for name, password in (("alice", "wrong password!"), ("nobody", PASSWORD), ("bob", PASSWORD)):
        result = authenticate(engine, name, password, max_failures=5, lockout_minutes=15)
        assert result.viewer is None and result.message == "Wrong username or password."
    assert len(_events(engine, "auth.failure")) == 3


def test_lockout_after_repeated_failures_then_unlock_after_the_wait(engine: Engine) -> None:
    _user(engine)
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    for _ in range(3):
        authenticate(engine, "alice", "nope nope nope", max_failures=3, lockout_minutes=15, now=now)
    locked = authenticate(engine, "alice", PASSWORD, max_failures=3, lockout_minutes=15, now=now)
    assert locked.viewer is None and "locked" in locked.message
    later = authenticate(
        engine, "alice", PASSWORD, max_failures=3, lockout_minutes=15, now=now + dt.timedelta(minutes=16)
    )
    assert later.viewer is not None


def test_bad_accounts_are_refused(engine: Engine) -> None:
    _user(engine)
    with pytest.raises(AccountError, match="already exists"):
        _user(engine)
    with pytest.raises(AccountError, match="at least 12"):
        _user(engine, "carol", password="short")
    with pytest.raises(AccountError, match="unknown role"):
        _user(engine, "dave", role="emperor")
    with pytest.raises(AccountError, match="TLP:AMBER at most"):
        _user(engine, "erin", role="partner", tlp_ceiling="red")
    with pytest.raises(AccountError, match="tracks must be"):
        _user(engine, "fay", tracks=["atlantis"])


def test_password_change_and_demo_accounts(engine: Engine) -> None:
    _user(engine)
    accounts.set_password(engine, "alice", "a brand new passphrase", actor="test")
    assert authenticate(engine, "alice", PASSWORD, max_failures=5, lockout_minutes=15).viewer is None
    assert authenticate(engine, "alice", "a brand new passphrase", max_failures=5, lockout_minutes=15).viewer
    created = accounts.ensure_demo_accounts(engine)
    assert len(created) == len(accounts.DEMO_ACCOUNTS) and accounts.ensure_demo_accounts(engine) == []
    for demo in accounts.DEMO_ACCOUNTS:
        viewer = authenticate(engine, demo.username, demo.password, max_failures=5, lockout_minutes=15).viewer
        assert viewer is not None and viewer.role is demo.role
    assert accounts.remove_demo_accounts(engine) == len(accounts.DEMO_ACCOUNTS)
    assert [u["username"] for u in accounts.list_users(engine)] == ["alice"]


def test_single_sign_on_maps_accounts_first_then_claims(engine: Engine) -> None:
    create_user(
        engine,
        "olga@example.org",
        role="official",
        tracks=["indo-pacific"],
        organisation="Secretariat",
        tlp_ceiling="amber",
        password=None,
        actor="test",
        auth_source="oidc",
    )
    mapped = accounts.sso_sign_in(engine, {"sub": "x1", "email": "olga@example.org", "dashboard_role": "admin"})
    assert mapped.viewer.role is Role.OFFICIAL and mapped.viewer.tracks == frozenset({"indo-pacific"})
    claimed = accounts.sso_sign_in(
        engine,
        {
            "email": "pat@isac.example",
            "dashboard_role": "partner",
            "dashboard_tracks": ["eastern-europe"],
            "dashboard_tlp": "green",
            "dashboard_org": "ISAC",
        },
    )
    assert claimed.viewer.role is Role.PARTNER and claimed.viewer.organisation == "ISAC"
    too_high = accounts.sso_sign_in(
        engine, {"email": "p2@isac.example", "dashboard_role": "partner", "dashboard_tlp": "red"}
    )
    assert too_high.viewer is None and "not valid" in too_high.message
    stranger = accounts.sso_sign_in(engine, {"email": "who@example.org"})
    assert stranger.viewer is None and "no access" in stranger.message
    accounts.set_active(engine, "olga@example.org", False, actor="test")
    assert accounts.sso_sign_in(engine, {"email": "olga@example.org"}).viewer is None
    assert len(_events(engine, "auth.failure")) == 3

"""Accounts: argon2id hashes, sign-in, lockout, audit; the viewer of each role."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text

from dashboard import accounts
from dashboard.accounts import AccessDenied, AccountError, authenticate, create_user
from dashboard.core.access import Permission, Role, Viewer, local_admin
from dashboard.store.models import AuditEvent, User

PASSWORD = "correct horse battery"
ADMIN = local_admin("Secretariat")


def _user(engine: Engine, name: str = "alice", role: str = "coordinator", **kw) -> int:
    args = {
        "tracks": ["eastern-europe"],
        "organisation": "Secretariat",
        "tlp_ceiling": "amber",
        "password": PASSWORD,
        "actor": ADMIN,
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
    accounts.set_active(engine, "bob", False, actor=ADMIN)
    for name, password in (("alice", "wrong password!"), ("nobody", PASSWORD), ("bob", PASSWORD)):
        result = authenticate(engine, name, password, max_failures=5, lockout_minutes=15)
        assert result.viewer is None and result.message == accounts.SIGN_IN_REFUSED
    assert len(_events(engine, "auth.failure")) == 3


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
    accounts.set_password(engine, "alice", "a brand new passphrase", actor=ADMIN)
    assert authenticate(engine, "alice", PASSWORD, max_failures=5, lockout_minutes=15).viewer is None
    assert authenticate(engine, "alice", "a brand new passphrase", max_failures=5, lockout_minutes=15).viewer
    created = accounts.ensure_demo_accounts(engine)
    assert len(created) == len(accounts.DEMO_ACCOUNTS) and accounts.ensure_demo_accounts(engine) == []
    for demo in accounts.DEMO_ACCOUNTS:
        viewer = authenticate(
            engine, demo.username, demo.password, max_failures=5, lockout_minutes=15, allow_demo=True
        ).viewer
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
        actor=ADMIN,
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
    accounts.set_active(engine, "olga@example.org", False, actor=ADMIN)
    assert accounts.sso_sign_in(engine, {"email": "olga@example.org"}).viewer is None
    assert len(_events(engine, "auth.failure")) == 3


# ---------------------------------------------------------------- permission checks in the data layer

COORDINATOR = Viewer(
    name="coord", role=Role.COORDINATOR, tracks=frozenset({"eastern-europe"}), tlp_ceiling="amber", organisation="S"
)
PARTNER = Viewer(
    name="pat", role=Role.PARTNER, tracks=frozenset({"eastern-europe"}), tlp_ceiling="green", organisation="I"
)


def _epoch(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(User.session_epoch).where(User.username == name))


@pytest.mark.parametrize("who", [COORDINATOR, PARTNER, "an administrator's name as a string"])
def test_only_administrators_change_accounts(engine: Engine, who) -> None:
    _user(engine)
    changes = {
        "create": lambda: _user(engine, "mallory", role="admin", tlp_ceiling="red", actor=who),
        "reset": lambda: accounts.set_password(engine, "alice", "attacker chosen pass", actor=who),
        "disable": lambda: accounts.set_active(engine, "alice", False, actor=who),
        "update": lambda: accounts.update_user(engine, "alice", actor=who, role="admin"),
    }
    for name, change in changes.items():
        with pytest.raises(AccessDenied, match="administrator") as refused:
            change()
        assert isinstance(refused.value, PermissionError), name
    assert [u["username"] for u in accounts.list_users(engine)] == ["alice"]
    assert accounts.list_users(engine)[0]["role"] == "coordinator" and accounts.list_users(engine)[0]["active"]
    assert authenticate(engine, "alice", PASSWORD, max_failures=5, lockout_minutes=1).viewer is not None
    assert _epoch(engine, "alice") == 0
    denied = _events(engine, "access.denied")
    assert len(denied) == 4 and {e.detail["operation"] for e in denied} == {
        "user.create",
        "user.password",
        "user.disable",
        "user.update",
    }


def test_an_administrator_cannot_grant_above_their_own_ceiling_or_disable_themselves(engine: Engine) -> None:
    amber_admin = Viewer(
        name="amy", role=Role.ADMIN, tracks=frozenset({"eastern-europe"}), tlp_ceiling="amber", organisation="S"
    )
    _user(engine, "amy", role="admin", tlp_ceiling="amber")
    with pytest.raises(AccessDenied, match="your own TLP ceiling"):
        _user(engine, "rita", role="official", tlp_ceiling="red", actor=amber_admin)
    _user(engine, "bob")
    with pytest.raises(AccessDenied, match="your own TLP ceiling"):
        accounts.update_user(engine, "bob", actor=amber_admin, tlp_ceiling="red")
    with pytest.raises(AccountError, match="your own account"):
        accounts.set_active(engine, "amy", False, actor=amber_admin)
    assert all(u["active"] for u in accounts.list_users(engine))


def test_account_changes_raise_the_session_epoch_and_are_audited(engine: Engine) -> None:
    _user(engine)
    signed = authenticate(engine, "alice", PASSWORD, max_failures=5, lockout_minutes=1)
    assert signed.epoch == 0
    accounts.set_password(engine, "alice", "a brand new passphrase", actor=ADMIN)
    assert _epoch(engine, "alice") == 1
    accounts.update_user(
        engine, "alice", actor=ADMIN, tracks=["indo-pacific"], tlp_ceiling="green", pages=["incidents"]
    )
    assert _epoch(engine, "alice") == 2
    user = accounts.list_users(engine)[0]
    assert (user["tracks"], user["tlp_ceiling"], user["pages"]) == (["indo-pacific"], "green", "incidents")
    accounts.update_user(engine, "alice", actor=ADMIN, tracks=["indo-pacific"])  # no change: nothing to end
    assert _epoch(engine, "alice") == 2
    accounts.set_active(engine, "alice", False, actor=ADMIN)
    assert _epoch(engine, "alice") == 3
    status = accounts.session_status(engine, signed.viewer.user_id)
    assert status is not None and (status.active, status.epoch) == (False, 3)
    [update] = _events(engine, "user.update")
    assert update.actor == "local-admin" and update.detail["changes"]["tlp_ceiling"] == ["amber", "green"]
    assert [e.detail["epoch"] for e in _events(engine, "user.password")] == [1]
    with pytest.raises(AccountError, match="partners can be cleared up to TLP:AMBER"):
        accounts.update_user(engine, "alice", actor=ADMIN, role="partner", tlp_ceiling="red")

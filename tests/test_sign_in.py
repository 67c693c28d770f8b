"""Sign-in: one message and the same work for every refusal, a growing delay per source and account, sessions
that end when an administrator changes the account, and demo accounts only while demo mode shows synthetic data."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, accounts
from dashboard.core.access import local_admin
from dashboard.store.models import AuditEvent, User, utcnow
from tests.factories import incident, store_incidents

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
ADMIN = local_admin(HOST)
PASSWORD = "correct horse battery"
ATTACKER, OWNER = "198.51.100.7", "203.0.113.9"


def _user(engine: Engine, name: str = "alice", **kw) -> None:
    args = {
        "role": "official",
        "tracks": ["eastern-europe"],
        "organisation": HOST,
        "tlp_ceiling": "amber",
        "password": PASSWORD,
        "actor": ADMIN,
    } | kw
    accounts.create_user(engine, name, **args)


def _try(engine: Engine, name: str, password: str, **kw) -> accounts.SignIn:
    return accounts.authenticate(engine, name, password, max_failures=3, lockout_minutes=15, **kw)


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 hash a password is checked against, in order."""
    seen: list[str] = []
    original = PasswordHasher.verify

    def spy(self, hash_, password):
        seen.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return seen


def test_locked_unknown_and_wrong_password_are_refused_alike_and_do_the_same_work(
    engine: Engine, verified: list[str]
) -> None:
    _user(engine)
    _user(engine, "bob")
    accounts.set_active(engine, "bob", False, actor=ADMIN)
    for _ in range(3):
        _try(engine, "alice", "not the password")
    with engine.connect() as conn:
        alice_hash = conn.scalar(select(User.password_hash).where(User.username == "alice"))
    outcomes, checked = {}, {}
    for case, name, password in (
        ("locked, right password", "alice", PASSWORD),
        ("locked, wrong password", "alice", "still not it"),
        ("unknown", "nobody", PASSWORD),
        ("disabled", "bob", PASSWORD),
    ):
        verified.clear()
        result = _try(engine, name, password)
        outcomes[case], checked[case] = (result.viewer, result.message, len(verified)), list(verified)
    wrong = _try(engine, "carol-unknown", "x")
    assert set(outcomes.values()) == {(None, wrong.message, 1)}, outcomes
    assert "Wrong username or password" in wrong.message and "locked" not in wrong.message
    # The locked account's attempts really ran argon2, on a dummy hash: its own is never checked while locked.
    assert (
        checked["locked, right password"] == checked["unknown"] and alice_hash not in checked["locked, right password"]
    )


def test_a_locked_account_takes_as_long_to_refuse_as_a_wrong_password(engine: Engine) -> None:
    _user(engine)
    for _ in range(3):
        _try(engine, "alice", "not the password", source=ATTACKER)

    def timed(name: str, password: str, source: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            _try(engine, name, password, source=source)
            times.append(time.perf_counter() - started)
        return sorted(times)[1]

    locked = timed("alice", PASSWORD, ATTACKER)
    unknown = timed("nobody", PASSWORD, ATTACKER)
    assert locked > 0.4 * unknown, (locked, unknown)  # before: 1 ms against about 200 ms


def test_the_delay_is_per_source_grows_and_ends(engine: Engine) -> None:
    _user(engine)
    start = utcnow()
    for _ in range(3):
        assert _try(engine, "alice", "guess guess", source=ATTACKER, now=start).viewer is None
    # The attacker's address waits; the owner, from another address, signs in at once.
    assert _try(engine, "alice", PASSWORD, source=ATTACKER, now=start + dt.timedelta(seconds=30)).viewer is None
    assert _try(engine, "alice", PASSWORD, source=OWNER, now=start + dt.timedelta(seconds=30)).viewer is not None
    # After the first minute the attacker may try again; one more failure doubles the wait.
    assert _try(engine, "alice", "guess again", source=ATTACKER, now=start + dt.timedelta(seconds=61)).viewer is None
    assert _try(engine, "alice", PASSWORD, source=ATTACKER, now=start + dt.timedelta(seconds=150)).viewer is None
    assert _try(engine, "alice", PASSWORD, source=ATTACKER, now=start + dt.timedelta(seconds=190)).viewer is not None
    with engine.connect() as conn:
        reasons = [
            e.detail.get("reason")
            for e in conn.execute(select(AuditEvent).where(AuditEvent.action == "auth.failure")).all()
        ]
    assert reasons.count("throttled") == 2 and reasons.count("wrong password") == 4


def test_the_delay_never_exceeds_the_lockout_setting_and_a_reset_ends_it(engine: Engine) -> None:
    _user(engine)
    start = utcnow()
    for i in range(8):  # waits of 1, 2, 4, 8, 16 (capped at 15) minutes, each attempt made once the wait is over
        _try(engine, "alice", "guess", now=start + dt.timedelta(minutes=40 * i))
    last = start + dt.timedelta(minutes=40 * 7)
    assert _try(engine, "alice", PASSWORD, now=last + dt.timedelta(minutes=14)).viewer is None
    assert _try(engine, "alice", PASSWORD, now=last + dt.timedelta(minutes=16)).viewer is not None
    later = last + dt.timedelta(minutes=30)
    for _ in range(3):
        _try(engine, "alice", "guess", now=later)
    assert _try(engine, "alice", PASSWORD, now=later).viewer is None
    accounts.set_password(engine, "alice", "a brand new passphrase", actor=ADMIN)  # also unlocks
    assert _try(engine, "alice", "a brand new passphrase", now=later).viewer is not None


def test_piling_up_refused_attempts_does_not_reset_the_count(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.accounts import signin

    monkeypatch.setattr(signin, "_LOOKBACK", 5)  # as if many more refusals than the rows read per attempt
    _user(engine)
    start = utcnow()
    for _ in range(3):
        _try(engine, "alice", "guess", source=ATTACKER, now=start)
    for _ in range(6):
        _try(engine, "alice", "guess", source=ATTACKER, now=start + dt.timedelta(seconds=10))
    assert _try(engine, "alice", PASSWORD, source=ATTACKER, now=start + dt.timedelta(seconds=20)).viewer is None
    assert _try(engine, "alice", PASSWORD, source=ATTACKER, now=start + dt.timedelta(seconds=61)).viewer is not None


# ---------------------------------------------------------------- sessions end when the account changes


def _sign_in_form(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in_user").input(username)
    at.text_input(key="sign_in_password").input(password)
    return at.button(key="FormSubmitter:sign_in-Sign in").click().run()


def _signed_in(at: AppTest) -> bool:
    return at.session_state["viewer"] is not None if "viewer" in at.session_state else False


@pytest.mark.parametrize(
    "change",
    ["password reset", "role", "tracks", "tlp ceiling", "organisation", "pages", "disabled"],
)
def test_an_account_change_ends_the_users_open_session(app_engine: Engine, change: str) -> None:
    _user(app_engine, "olga")
    at = AppTest.from_file(APP, default_timeout=60).run()
    _sign_in_form(at, "olga", PASSWORD)
    assert not at.exception and _signed_in(at)
    at.run()
    assert _signed_in(at)  # an unchanged account stays signed in
    if change == "password reset":
        accounts.set_password(app_engine, "olga", "a new password for olga", actor=ADMIN)
    elif change == "disabled":
        accounts.set_active(app_engine, "olga", False, actor=ADMIN)
    else:
        key, value = {
            "role": ("role", "partner"),
            "tracks": ("tracks", ["indo-pacific"]),
            "tlp ceiling": ("tlp_ceiling", "green"),
            "organisation": ("organisation", "Another Ministry"),
            "pages": ("pages", ["incidents"]),
        }[change]
        accounts.update_user(app_engine, "olga", actor=ADMIN, **{key: value})
    at.run()
    assert not at.exception
    assert not _signed_in(at)
    assert at.text_input(key="sign_in_user") is not None and not at.metric
    notice = " ".join(i.value for i in at.info)
    assert ("disabled" if change == "disabled" else "sign in again") in notice


# ---------------------------------------------------------------- demo accounts only with demo mode and synthetic data


@pytest.fixture
def demo_app(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The app in demo mode on this test's database (small synthetic data)."""
    monkeypatch.setenv("DASHBOARD_DEMO_MODE", "true")
    monkeypatch.setenv("DASHBOARD_DEMO_INCIDENTS", "60")
    return app_engine


def _listed_demo_accounts(at: AppTest) -> bool:
    return any(h.value == "Demo accounts" for h in at.subheader) or "demo-admin-pass" in str(
        [t.value for t in at.table]
    )


def test_demo_accounts_are_listed_and_sign_in_only_while_the_data_is_synthetic(demo_app: Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and _listed_demo_accounts(at)
    _sign_in_form(at, "demo-admin", "demo-admin-pass")
    assert _signed_in(at)
    store_incidents(demo_app, "eastern-europe", [incident("a real incident")])  # real data arrives
    at.run()
    assert not _signed_in(at) and "demo" in " ".join(i.value for i in at.info).lower()
    assert not _listed_demo_accounts(at)
    _sign_in_form(at, "demo-admin", "demo-admin-pass")
    assert not _signed_in(at)
    assert (
        accounts.authenticate(
            demo_app, "demo-admin", "demo-admin-pass", max_failures=5, lockout_minutes=1, allow_demo=True
        ).viewer
        is None
    )


def test_demo_accounts_are_not_listed_or_created_when_real_data_is_present(
    demo_app: Engine,
) -> None:
    store_incidents(demo_app, "eastern-europe", [incident("a real incident")])
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not _listed_demo_accounts(at)
    _sign_in_form(at, "demo-admin", "demo-admin-pass")
    assert not _signed_in(at)
    assert not [u for u in accounts.list_users(demo_app) if u["demo"]]


def test_demo_accounts_do_not_sign_in_outside_demo_mode(engine: Engine) -> None:
    from dashboard.ops.demo import seed_database

    seed_database(engine, incidents=40)
    accounts.ensure_demo_accounts(engine)
    kwargs = {"max_failures": 5, "lockout_minutes": 1}
    assert accounts.authenticate(engine, "demo-admin", "demo-admin-pass", allow_demo=True, **kwargs).viewer
    refused = accounts.authenticate(engine, "demo-admin", "demo-admin-pass", allow_demo=False, **kwargs)
    assert refused.viewer is None and refused.message == accounts.SIGN_IN_REFUSED

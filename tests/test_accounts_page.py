"""The Accounts page (AppTest, administrators only): create an account, reset a password, disable and enable."""

from __future__ import annotations

from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, accounts
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.store.models import AuditEvent, User
from tests.conftest import sign_in

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
ADMIN = local_admin(HOST)


def _open(viewer: Viewer) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, viewer)
    at.switch_page("pages/accounts.py")
    return at.run()


def _sign_in(engine: Engine, username: str, password: str) -> accounts.SignIn:
    return accounts.authenticate(engine, username, password, max_failures=100, lockout_minutes=1)


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        actions = conn.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
        return [a for a in actions if a.startswith("user.")]  # account changes (sign-ins are audited too)


def test_an_administrator_creates_an_account_that_can_sign_in(app_engine: Engine) -> None:
    at = _open(ADMIN)
    assert not at.exception and at.title[0].value == "Accounts"
    at.text_input[0].input("olga")
    at.selectbox[1].set_value("green")  # TLP ceiling
    at.multiselect[0].set_value(["eastern-europe"])
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert "shown only this once" in at.success[0].value
    password = at.code[0].value
    signed = _sign_in(app_engine, "olga", password)
    assert signed.viewer is not None
    assert (signed.viewer.role, signed.viewer.tracks, signed.viewer.tlp_ceiling) == (
        Role.OFFICIAL,
        frozenset({"eastern-europe"}),
        "green",
    )
    with app_engine.connect() as conn:
        stored = conn.scalar(select(User.password_hash).where(User.username == "olga"))
    assert password not in stored and stored.startswith("$argon2id$")
    assert "olga" in at.dataframe[0].value["username"].tolist()
    assert _actions(app_engine)[-1] == "user.create"


def test_bad_input_creates_nothing_and_says_why(app_engine: Engine) -> None:
    at = _open(ADMIN)
    at.button[0].click().run()  # no username
    assert "No account was created: a username needs 1 to 120 characters." in at.error[0].value
    at.text_input[0].input("pat")
    at.selectbox[0].set_value("partner")
    at.selectbox[1].set_value("red")
    at.button[0].click().run()
    assert "partners can be cleared up to TLP:AMBER at most" in at.error[0].value.replace("\\", "")  # as displayed
    assert [u["username"] for u in accounts.list_users(app_engine)] == []
    assert not at.code


def test_reset_a_password_then_disable_and_enable(app_engine: Engine) -> None:
    accounts.create_user(
        app_engine,
        "olga",
        role="official",
        tracks=["eastern-europe"],
        organisation=HOST,
        tlp_ceiling="green",
        password="old password 123",
        actor=ADMIN,
    )
    at = _open(ADMIN)
    assert at.selectbox(key="account_chosen").value == "olga"
    at.button(key="account_reset").click().run()
    new = at.code[0].value
    assert _sign_in(app_engine, "olga", "old password 123").viewer is None
    assert _sign_in(app_engine, "olga", new).viewer is not None
    at.button(key="account_toggle").click().run()
    assert "olga disabled" in at.success[0].value
    assert at.dataframe[0].value["state"].tolist() == ["disabled"]
    assert _sign_in(app_engine, "olga", new).viewer is None
    assert at.button(key="account_toggle").label == "Enable"
    at.button(key="account_toggle").click().run()
    assert _sign_in(app_engine, "olga", new).viewer is not None
    assert _actions(app_engine) == ["user.create", "user.password", "user.disable", "user.enable"]


def test_an_administrator_cannot_disable_their_own_account(app_engine: Engine) -> None:
    accounts.create_user(
        app_engine,
        "alice",
        role="admin",
        tracks=["eastern-europe", "indo-pacific"],
        organisation=HOST,
        tlp_ceiling="red",
        password="alice password 123",
        actor=ADMIN,
    )
    alice = _sign_in(app_engine, "alice", "alice password 123").viewer
    at = _open(alice)
    at.button(key="account_toggle").click().run()
    assert "cannot disable your own account" in at.error[0].value
    assert accounts.list_users(app_engine)[0]["active"] is True


def test_only_administrators_open_the_page(app_engine: Engine) -> None:
    coordinator = Viewer(
        name="c", role=Role.COORDINATOR, tracks=frozenset({"eastern-europe"}), tlp_ceiling="amber", organisation=HOST
    )
    at = _open(coordinator)
    assert any("do not have access" in e.value for e in at.error)
    assert not at.dataframe and not at.text_input

"""AppTest: signing in or opening a share link starts a server-side session; the Accounts page lists open sessions
and ends them; an ended session signs its tab out at the next run with a notice, and an ended shared view names
whom to ask and never shows a sign-in form (issue 13)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, accounts
from dashboard.accounts import sessions, sharing
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.store.models import AuditEvent, User, WebSession
from tests.conftest import TEST_SECRET

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
PASSWORD = "correct horse battery"


def _account(engine: Engine, name: str, role: str = "official") -> None:
    accounts.create_user(
        engine,
        name,
        role=role,
        tracks=["eastern-europe"],
        organisation=HOST,
        tlp_ceiling="amber",
        password=PASSWORD,
        actor=local_admin(HOST),
    )


def _signed_in_app(name: str, page: str = "") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if page:
        at.switch_page(page)
    at.run()
    at.text_input(key="sign_in_user").input(name)
    at.text_input(key="sign_in_password").input(PASSWORD)
    return at.button(key="FormSubmitter:sign_in-Sign in").click().run()


def _open(engine: Engine, name: str) -> list[int]:
    with engine.connect() as conn:
        uid = conn.scalar(select(User.id).where(User.username == name))
        return list(conn.scalars(select(WebSession.id).where(WebSession.user_id == uid, WebSession.ended_at.is_(None))))


def _texts(at: AppTest) -> str:
    """Messages as shown (outside text is Markdown-escaped with backslashes, which the page does not display)."""
    return " ".join(str(e.value) for kind in (at.info, at.error, at.warning, at.success) for e in kind).replace(
        "\\", ""
    )


def test_signing_in_starts_one_audited_server_side_session(app_engine: Engine) -> None:
    _account(app_engine, "olga")
    at = _signed_in_app("olga")
    assert not at.exception
    (sid,) = _open(app_engine, "olga")
    assert at.session_state["_web_session"] == sid
    with app_engine.connect() as conn:
        row = conn.execute(select(WebSession).where(WebSession.id == sid)).one()
        started = conn.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "session.start", AuditEvent.object_id == str(sid))
        )
    assert row.token_hash is None and row.ticket_hash  # the browser has not fetched its cookie yet
    assert started == 1
    at.run()
    assert _open(app_engine, "olga") == [sid]  # later runs use the same session


def test_an_administrator_ends_a_session_on_the_accounts_page(app_engine: Engine) -> None:
    _account(app_engine, "olga")
    _account(app_engine, "ada", role="admin")
    olga = _signed_in_app("olga")
    (olga_session,) = _open(app_engine, "olga")
    admin = _signed_in_app("ada", "pages/accounts.py")
    assert not admin.exception
    assert any(s.value == "Open sessions" for s in admin.subheader)
    chooser = admin.multiselect(key="sessions_chosen")
    assert any(option.startswith(f"#{olga_session} olga · last active") for option in chooser.options), chooser.options
    chooser.select(olga_session)
    admin.button(key="FormSubmitter:end_sessions-End the chosen sessions").click().run()
    assert "1 session ended." in _texts(admin)
    assert _open(app_engine, "olga") == []
    assert len(_open(app_engine, "ada")) == 1  # the administrator's own session goes on

    olga.run()
    assert "An administrator ended your session" in _texts(olga)
    assert olga.text_input(key="sign_in_user") is not None
    with app_engine.connect() as conn:
        reason = conn.scalar(select(WebSession.end_reason).where(WebSession.id == olga_session))
    assert reason == sessions.BY_ADMIN


def test_only_administrators_list_or_end_sessions(app_engine: Engine) -> None:
    official = Viewer(
        name="x", role=Role.OFFICIAL, tracks=frozenset({"eastern-europe"}), tlp_ceiling="amber", organisation=HOST
    )
    for call in (
        lambda: sessions.list_open(app_engine, official, idle_minutes=30),
        lambda: sessions.end_sessions(app_engine, [1], actor=official),
    ):
        try:
            call()
        except accounts.AccessDenied:
            pass
        else:
            raise AssertionError("a non-administrator listed or ended sessions")


def test_a_revoked_share_link_ends_the_shared_view_with_whom_to_ask(app_engine: Engine) -> None:
    _account(app_engine, "cora", role="coordinator")
    cora = accounts.authenticate(app_engine, "cora", PASSWORD, max_failures=5, lockout_minutes=15).viewer
    link = sharing.create_link(
        app_engine,
        cora,
        organisation="Grid ISAC",
        tracks=["eastern-europe"],
        tlp_ceiling="green",
        days=7,
        secret_key=TEST_SECRET,
    )
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["share"] = link.token
    at.run()
    assert not at.exception
    assert "Shared with" in _texts(at)
    with app_engine.connect() as conn:
        share_sessions = conn.scalar(
            select(func.count()).select_from(WebSession).where(WebSession.share_link_id == link.id)
        )
    assert share_sessions == 1

    sharing.revoke_link(app_engine, link.id, actor=cora)
    at.query_params.clear()  # as in the browser, where the hand-off took the token out of the address bar
    at.run()
    assert f"This shared view has ended; ask cora ({HOST}) for a new link." in _texts(at)
    assert not [t for t in at.text_input if t.key == "sign_in_password"]
    assert "Demo accounts" not in " ".join(str(s.value) for s in at.subheader)

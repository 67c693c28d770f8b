"""Server-side browser sessions (accounts/sessions.py), the share-link helpers they use (sharing.link_viewer and
link_contact), the cookie routes (web/session_routes.py) and the security-header middleware (web/headers.py).

Every database test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, event, func, select, text, update
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from dashboard import accounts
from dashboard.accounts import AccessDenied, sessions, sharing
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.ops import backup as bk
from dashboard.store.db import session_factory
from dashboard.store.models import AuditEvent, User, UserTrack, WebSession, as_utc
from dashboard.web.headers import SecurityHeaders
from dashboard.web.session_routes import safe_next, session_routes
from tests.conftest import HOST_ORG, TEST_SECRET

ADMIN = local_admin(HOST_ORG)
EE, WB = "eastern-europe", "indo-pacific"
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
IDLE = 30  # minutes
SEC, MIN, HOUR, DAY = (dt.timedelta(seconds=1), dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1))
COORD = Viewer(name="coord", role=Role.COORDINATOR, tracks=frozenset({EE}), tlp_ceiling="amber", organisation=HOST_ORG)


def _viewer(engine: Engine, name: str) -> Viewer:
    with session_factory(engine)() as s:
        user = s.scalar(select(User).where(User.username == name))
        return accounts.viewer_for(user, s.scalars(select(UserTrack.track_id).where(UserTrack.user_id == user.id)))


def _account(engine: Engine, name: str = "alice", role: str = "official", **kw) -> Viewer:
    args = {"tracks": [EE], "organisation": HOST_ORG, "tlp_ceiling": "amber", "password": None} | kw
    accounts.create_user(engine, name, role=role, actor=ADMIN, **args)
    return _viewer(engine, name)


def _link(engine: Engine, days: int = 30, creator: Viewer = COORD, now: dt.datetime | None = NOW) -> sharing.NewLink:
    return sharing.create_link(
        engine, creator, organisation="Grid ISAC", tracks=[EE], tlp_ceiling="green", days=days,
        secret_key=TEST_SECRET, now=now,
    )  # fmt: skip


def _partner(engine: Engine, days: int = 30, now: dt.datetime | None = NOW) -> Viewer:
    return sharing.open_link(engine, _link(engine, days, now=now).token, secret_key=TEST_SECRET, now=now).viewer


def _start(engine: Engine, viewer: Viewer, now: dt.datetime | None = NOW) -> sessions.Started:
    epoch = accounts.session_status(engine, viewer.user_id).epoch if viewer.user_id is not None else 0
    return sessions.start(engine, viewer, secret_key=TEST_SECRET, epoch=epoch, client="203.0.113.9", now=now)


def _redeem(engine: Engine, ticket: str, now: dt.datetime = NOW) -> str | None:
    return sessions.redeem_ticket(engine, ticket, secret_key=TEST_SECRET, now=now)


def _check(engine: Engine, now: dt.datetime = NOW, demo: bool = True, **which) -> sessions.Check:
    return sessions.check(
        engine, secret_key=TEST_SECRET, idle_minutes=IDLE, demo_allowed=lambda: demo, now=now, **which
    )


def _row(engine: Engine, sid: int):
    with engine.connect() as conn:
        return conn.execute(select(WebSession.__table__).where(WebSession.id == sid)).one()


def _events(engine: Engine, action: str) -> list:
    with engine.connect() as conn:
        query = select(AuditEvent.__table__).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(conn.execute(query).all())


def _dump(engine: Engine) -> str:
    tables = ("web_sessions", "audit_events")
    with engine.connect() as conn:
        return "\n".join(str(r) for t in tables for r in conn.execute(text(f"SELECT * FROM {t}")))


def _assert_ended(engine: Engine, sid: int, reason: str, actor: str) -> None:
    row = _row(engine, sid)
    assert row.ended_at is not None and row.end_reason == reason and not sessions.is_open(engine, sid)
    ends = [e for e in _events(engine, "session.end") if e.object_id == str(sid)]
    assert [(e.actor, e.detail["reason"]) for e in ends] == [(actor, reason)]


# ---------------------------------------------------------------- start and the handoff ticket


def test_start_stores_only_the_ticket_hash_and_is_audited(engine: Engine) -> None:
    """A new session row holds the ticket's HMAC (one minute), no token hash yet, and a session.start event."""
    alice = _account(engine)
    started = _start(engine, alice)
    row = _row(engine, started.id)
    assert row.ticket_hash == sharing.token_hash(TEST_SECRET, started.ticket) and row.token_hash is None
    assert as_utc(row.ticket_expires_at) == NOW + sessions.TICKET_SECONDS * SEC
    assert (row.user_id, row.share_link_id, row.client, row.ended_at) == (alice.user_id, None, "203.0.113.9", None)
    [event] = _events(engine, "session.start")
    assert (event.actor, event.object_type, event.object_id) == ("alice", "web_session", str(started.id))
    assert event.detail["kind"] == "account"


def test_a_ticket_gives_a_token_once_and_neither_is_stored(engine: Engine) -> None:
    """Redeeming gives a token whose HMAC replaces the ticket's; a second redeem gives nothing; no raw secret in
    the database (sessions or audit trail)."""
    started = _start(engine, _account(engine))
    token = _redeem(engine, started.ticket, NOW + 5 * SEC)
    assert token and token != started.ticket
    row = _row(engine, started.id)
    assert row.token_hash == sharing.token_hash(TEST_SECRET, token) and row.ticket_hash is None
    assert _redeem(engine, started.ticket, NOW + 6 * SEC) is None
    assert _row(engine, started.id).token_hash == row.token_hash  # the reuse did not replace the token
    dump = _dump(engine)
    assert started.ticket not in dump and token not in dump


@pytest.mark.parametrize("when", ["expired", "ended"])
def test_a_stale_ended_or_unknown_ticket_gives_no_token(engine: Engine, when: str) -> None:
    """An unknown, empty or oversized ticket, an expired one (61 s), or one of an ended session is refused."""
    started = _start(engine, _account(engine))
    for wrong in ("", "x" * 201, started.ticket + "x", started.ticket[1:]):
        assert _redeem(engine, wrong) is None
    if when == "ended":
        assert sessions.end(engine, started.id, sessions.SIGNED_OUT, actor="alice", now=NOW)
    assert _redeem(engine, started.ticket, NOW + (61 if when == "expired" else 1) * SEC) is None
    assert _row(engine, started.id).token_hash is None


def test_a_ticket_is_redeemed_only_by_the_browser_it_was_made_for(engine: Engine) -> None:
    """A ticket made for one browser (bound to its XSRF cookie) and carried to another in a link signs nobody in
    there, and is used up; the right browser gets its token."""
    viewer = _account(engine)
    bound = sessions.start(engine, viewer, secret_key=TEST_SECRET, binding="xsrf-of-alices-browser", now=NOW)
    for other in ("", "xsrf-of-another-browser"):
        assert sessions.redeem_ticket(engine, bound.ticket, secret_key=TEST_SECRET, binding=other, now=NOW) is None
    assert _row(engine, bound.id).token_hash is None and _row(engine, bound.id).ticket_hash is None
    again = sessions.start(engine, viewer, secret_key=TEST_SECRET, binding="xsrf-of-alices-browser", now=NOW)
    token = sessions.redeem_ticket(
        engine, again.ticket, secret_key=TEST_SECRET, binding="xsrf-of-alices-browser", now=NOW
    )
    assert token and _check(engine, token=token).viewer is not None


def test_two_concurrent_redeems_of_one_ticket_give_one_token(engine: Engine) -> None:
    """A ticket is good for one redeem even when two arrive together (both look the row up before either writes)."""
    started = _start(engine, _account(engine))
    barrier, tokens = threading.Barrier(2, timeout=3), {}

    def pause(conn, cursor, statement, *args) -> None:  # each redeemer waits after its lookup for the other's
        if threading.current_thread().name == "redeem" and statement.lstrip().upper().startswith("SELECT"):
            with contextlib.suppress(threading.BrokenBarrierError):  # a locking lookup: no interleaving, no wait
                barrier.wait()

    def redeem(n: int) -> None:
        tokens[n] = _redeem(engine, started.ticket)

    event.listen(engine, "after_cursor_execute", pause)
    threads = [threading.Thread(target=redeem, args=(n,), name="redeem") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    event.remove(engine, "after_cursor_execute", pause)
    assert sorted(t is None for t in tokens.values()) == [False, True]


# ---------------------------------------------------------------- check


def test_check_by_token_and_by_id_gives_the_accounts_current_viewer(engine: Engine) -> None:
    """The viewer is built from the account's row and tracks as they are now, not as they were at start. An
    unknown token or id gives no viewer and no end reason (the sign-in page shows no notice), and ends nothing."""
    alice = _account(engine)
    started = _start(engine, alice)
    token = _redeem(engine, started.ticket)
    assert _check(engine, token="not-a-token") == sessions.Check(viewer=None, ended="")
    assert _check(engine, session_id=999_999) == _check(engine) == sessions.Check(None)
    assert _events(engine, "session.end") == []
    by_token, by_id = _check(engine, token=token), _check(engine, session_id=started.id)
    assert by_token == by_id == sessions.Check(alice, started.id, "", None, 0)
    with engine.begin() as conn:  # changed behind the epoch's back: the check still reads the current state
        conn.execute(delete(UserTrack).where(UserTrack.user_id == alice.user_id))
        conn.execute(UserTrack.__table__.insert().values(user_id=alice.user_id, track_id=WB))
    assert _check(engine, token=token).viewer.tracks == frozenset({WB})


def test_check_of_a_share_link_session_gives_the_partner_viewer(engine: Engine) -> None:
    """A share-link session checks as the link's read-only partner viewer; its start is audited as a share link."""
    partner = _partner(engine)
    started = _start(engine, partner)
    token = _redeem(engine, started.ticket)
    result = _check(engine, token=token)
    assert result.viewer == partner == sharing.link_viewer(engine, partner.share_link_id, NOW)
    assert result.viewer.role is Role.PARTNER and result.share_link_id == partner.share_link_id
    assert _events(engine, "session.start")[0].detail["kind"] == "share link"


def test_an_idle_account_session_ends_and_says_why(engine: Engine) -> None:
    """Idle for longer than idle_minutes: ended "idle", the row closed and audited; later checks give the reason."""
    started = _start(engine, _account(engine))
    assert _check(engine, NOW + IDLE * MIN, session_id=started.id).viewer is not None
    idle = NOW + IDLE * MIN + (IDLE * MIN + SEC)
    assert _check(engine, idle, session_id=started.id) == sessions.Check(None, started.id, sessions.IDLE, None, 0)
    _assert_ended(engine, started.id, sessions.IDLE, "alice")
    assert _check(engine, idle, session_id=started.id).ended == sessions.IDLE  # not ended (or audited) twice
    _assert_ended(engine, started.id, sessions.IDLE, "alice")


def test_an_account_session_ends_at_the_longest_life_however_active(engine: Engine) -> None:
    """Used every few minutes, an account session still ends after MAX_HOURS."""
    started = _start(engine, _account(engine))
    when = NOW
    while when < NOW + sessions.MAX_HOURS * HOUR:
        assert _check(engine, when, session_id=started.id).viewer is not None
        when += 20 * MIN
    assert _check(engine, when, session_id=started.id).viewer is not None  # exactly MAX_HOURS: still open
    assert _check(engine, when + SEC, session_id=started.id).ended == sessions.TOO_OLD
    _assert_ended(engine, started.id, sessions.TOO_OLD, "alice")


@pytest.mark.parametrize("change", ["disable", "password", "update", "demo off"])
def test_a_changed_account_ends_its_session(engine: Engine, change: str) -> None:
    """Disabled -> "account disabled"; new password or new grant (epoch raised) -> "account changed"; a demo
    account while demo accounts are off -> "demo accounts off"."""
    started = _start(engine, _account(engine))
    demo = True
    if change == "disable":
        accounts.set_active(engine, "alice", False, actor=ADMIN)
    elif change == "password":
        accounts.set_password(engine, "alice", "a brand new passphrase", actor=ADMIN)
    elif change == "update":
        accounts.update_user(engine, "alice", tracks=[EE, WB], actor=ADMIN)
    else:
        with engine.begin() as conn:
            conn.execute(update(User).where(User.username == "alice").values(is_demo=True))
        assert _check(engine, session_id=started.id).viewer is not None  # allowed while demo accounts are on
        demo = False
    expected = {"disable": sessions.DISABLED, "demo off": sessions.DEMO_OFF}.get(change, sessions.CHANGED)
    assert _check(engine, NOW + MIN, demo, session_id=started.id).ended == expected
    _assert_ended(engine, started.id, expected, "alice")


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_a_share_link_session_lasts_as_long_as_its_link(engine: Engine, how: str) -> None:
    """No idle timeout and no longest life for a share link: nearly two days idle still works, until the link
    expires or is revoked ("link expired or revoked")."""
    partner = _partner(engine, days=2)
    started = _start(engine, partner)
    assert _check(engine, NOW + DAY + 23 * HOUR, session_id=started.id).viewer == partner
    if how == "revoked":
        sharing.revoke_link(engine, partner.share_link_id, actor=COORD, now=NOW + DAY + 23 * HOUR)
    ended = NOW + (2 * DAY if how == "expired" else DAY + 23 * HOUR + MIN)
    assert _check(engine, ended, session_id=started.id).ended == sessions.LINK_ENDED
    _assert_ended(engine, started.id, sessions.LINK_ENDED, "Grid ISAC (shared link)")


def test_last_seen_is_written_at_most_every_touch_seconds(engine: Engine) -> None:
    """A check within TOUCH_SECONDS of the last write leaves last_seen_at alone; a later one moves it."""
    started = _start(engine, _account(engine))
    touch = sessions.TOUCH_SECONDS * SEC

    def last_seen() -> dt.datetime:
        return as_utc(_row(engine, started.id).last_seen_at)

    _check(engine, NOW + touch, session_id=started.id)
    assert last_seen() == NOW
    _check(engine, NOW + touch + SEC, session_id=started.id)
    assert last_seen() == NOW + touch + SEC
    _check(engine, NOW + 2 * touch, session_id=started.id)
    assert last_seen() == NOW + touch + SEC


# ---------------------------------------------------------------- end, list, end by an administrator


def test_end_is_idempotent_and_end_by_token_works(engine: Engine) -> None:
    """end() is True once then False, with one audit event; end_by_token ends the session its token names."""
    alice = _account(engine)
    first, second = _start(engine, alice), _start(engine, alice)
    assert sessions.is_open(engine, first.id) and not sessions.is_open(engine, 999_999)
    assert sessions.end(engine, first.id, sessions.SIGNED_OUT, actor="alice", now=NOW)
    assert not sessions.end(engine, first.id, sessions.BY_ADMIN, actor="local-admin", now=NOW)
    _assert_ended(engine, first.id, sessions.SIGNED_OUT, "alice")
    assert _check(engine, session_id=first.id) == sessions.Check(None, first.id, sessions.SIGNED_OUT, None, 0)
    token = _redeem(engine, second.ticket)
    assert not sessions.end_by_token(engine, "unknown", sessions.SIGNED_OUT, secret_key=TEST_SECRET)
    assert sessions.end_by_token(engine, token, sessions.SIGNED_OUT, secret_key=TEST_SECRET)
    assert not sessions.end_by_token(engine, token, sessions.SIGNED_OUT, secret_key=TEST_SECRET)
    _assert_ended(engine, second.id, sessions.SIGNED_OUT, "alice")


def test_list_open_leaves_out_ended_and_idle_account_sessions(engine: Engine) -> None:
    """Open account sessions and open share-link sessions (however idle), newest activity first."""
    alice, bob = _account(engine), _account(engine, "bob", role="coordinator")
    idle = _start(engine, alice, NOW - 2 * HOUR)
    ended = _start(engine, alice, NOW - MIN)
    sessions.end(engine, ended.id, sessions.SIGNED_OUT, actor="alice")
    link = _start(engine, _partner(engine), NOW - DAY)
    fresh, recent = _start(engine, bob, NOW - 2 * MIN), _start(engine, alice, NOW - MIN)
    listed = sessions.list_open(engine, ADMIN, idle_minutes=IDLE, now=NOW)
    assert [s["id"] for s in listed] == [recent.id, fresh.id, link.id]
    assert idle.id not in {s["id"] for s in listed}
    assert listed[1] == {
        "id": fresh.id, "who": "bob", "role": "coordinator", "started": NOW - 2 * MIN,
        "last_active": NOW - 2 * MIN, "client": "203.0.113.9",
    }  # fmt: skip
    who = f"Grid ISAC (shared link {_row(engine, link.id).share_link_id})"
    assert (listed[2]["who"], listed[2]["role"]) == (who, "partner")


def test_only_administrators_list_and_end_sessions(engine: Engine) -> None:
    """Others get AccessDenied (audited access.denied, nothing ended); an administrator ends the chosen sessions
    ("ended by an administrator"), the others stay open, an already ended one counts 0."""
    alice = _account(engine)
    one, two, three = (_start(engine, alice) for _ in range(3))
    with pytest.raises(AccessDenied):
        sessions.list_open(engine, COORD, idle_minutes=IDLE, now=NOW)
    with pytest.raises(AccessDenied):
        sessions.end_sessions(engine, [one.id], actor=COORD)
    denied = _events(engine, "access.denied")
    assert [(e.actor, e.detail["operation"]) for e in denied] == [("coord", "session.list"), ("coord", "session.end")]
    assert sessions.is_open(engine, one.id) and _events(engine, "session.end") == []
    assert sessions.end_sessions(engine, [one.id, str(two.id)], actor=ADMIN) == 2
    assert sessions.end_sessions(engine, [one.id], actor=ADMIN) == 0
    _assert_ended(engine, one.id, sessions.BY_ADMIN, "local-admin")
    _assert_ended(engine, two.id, sessions.BY_ADMIN, "local-admin")
    assert sessions.is_open(engine, three.id)
    assert _check(engine, session_id=one.id).ended == sessions.BY_ADMIN


def test_cookie_max_age(engine: Engine) -> None:
    """MAX_HOURS for an account session (or an unknown token); the link's remaining lifetime for a share link."""
    account = _redeem(engine, _start(engine, _account(engine)).ticket)
    shared = _redeem(engine, _start(engine, _partner(engine, days=3)).ticket)
    assert sessions.cookie_max_age(engine, account, secret_key=TEST_SECRET, now=NOW) == sessions.MAX_HOURS * 3600
    assert sessions.cookie_max_age(engine, "unknown", secret_key=TEST_SECRET, now=NOW) == sessions.MAX_HOURS * 3600
    assert sessions.cookie_max_age(engine, shared, secret_key=TEST_SECRET, now=NOW + DAY) == 2 * 86400
    assert sessions.cookie_max_age(engine, shared, secret_key=TEST_SECRET, now=NOW + 4 * DAY) == 0


# ---------------------------------------------------------------- sharing helpers


def test_link_viewer_only_while_the_link_is_valid(engine: Engine) -> None:
    """link_viewer: the partner viewer until expiry or revocation; None after, and for an unknown link."""
    link = _link(engine, days=2)
    viewer = sharing.link_viewer(engine, link.id, NOW + DAY)
    assert viewer == sharing.open_link(engine, link.token, secret_key=TEST_SECRET, now=NOW).viewer
    assert viewer.share_link_id == link.id and viewer.expires_at == NOW + 2 * DAY
    assert sharing.link_viewer(engine, link.id, NOW + 2 * DAY) is None
    assert sharing.link_viewer(engine, 999_999, NOW) is None
    sharing.revoke_link(engine, link.id, actor=COORD, now=NOW)
    assert sharing.link_viewer(engine, link.id, NOW + SEC) is None


def test_link_contact_names_the_creator(engine: Engine) -> None:
    """The creating account by display name and organisation; the bare name if no such account; a fallback."""
    carol = _account(engine, "carol", role="coordinator")
    by_account, by_name = _link(engine, creator=carol), _link(engine)
    assert sharing.link_contact(engine, by_account.id) == f"carol ({HOST_ORG})"
    with engine.begin() as conn:
        conn.execute(update(User).where(User.username == "carol").values(display_name="Carol C", organisation=""))
    assert sharing.link_contact(engine, by_account.id) == "Carol C"
    assert sharing.link_contact(engine, by_name.id) == "coord"
    assert sharing.link_contact(engine, 999_999) == "the person who shared it"


# ---------------------------------------------------------------- restore


def test_a_restore_ends_every_open_web_session(engine: Engine, tmp_path: Path) -> None:
    """Account and share-link sessions open at the restore are ended ("database restored"), kept for the record."""
    account, shared = _start(engine, _account(engine), None), _start(engine, _partner(engine), None)
    out = tmp_path / "backup.zip"
    bk.backup(engine, out, secret_key=TEST_SECRET, actor=ADMIN)
    bk.restore(engine, out, secret_key=TEST_SECRET, actor=ADMIN)
    for started in (account, shared):
        assert _row(engine, started.id).end_reason == "database restored"
        assert not sessions.is_open(engine, started.id)
        assert _check(engine, dt.datetime.now(dt.UTC), session_id=started.id).ended == "database restored"
    with engine.connect() as conn:
        detail = conn.scalar(
            select(AuditEvent.detail).where(AuditEvent.action == "database.restore").order_by(AuditEvent.id.desc())
        )
    assert (json.loads(detail) if isinstance(detail, str) else detail)["sessions_ended"] == 2


def test_ended_sessions_are_deleted_after_ninety_days_but_their_audit_stays(engine: Engine) -> None:
    """Ended sessions are kept KEEP_ENDED_DAYS for the Accounts page, then deleted at the next sign-in anywhere;
    their session.start and session.end events stay in the audit trail. Open sessions are never deleted."""
    viewer = _account(engine)
    old, recent, still_open = (_start(engine, viewer, NOW) for _ in range(3))
    sessions.end(engine, old.id, sessions.SIGNED_OUT, actor="alice", now=NOW)
    sessions.end(engine, recent.id, sessions.SIGNED_OUT, actor="alice", now=NOW + 10 * DAY)
    _start(engine, viewer, NOW + (sessions.KEEP_ENDED_DAYS + 1) * DAY)
    with engine.connect() as conn:
        ids = set(conn.scalars(select(WebSession.id)))
        ended_events = conn.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "session.end", AuditEvent.object_id == str(old.id))
        )
    assert old.id not in ids and {recent.id, still_open.id} <= ids
    assert ended_events == 1


# ---------------------------------------------------------------- the routes and the headers


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The session routes behind the security headers, on this test's database."""
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("DASHBOARD_PUBLIC_URL", raising=False)
    with TestClient(_app(), follow_redirects=False) as test_client:
        yield test_client


def _app() -> Starlette:
    return Starlette(routes=session_routes(), middleware=[Middleware(SecurityHeaders)])


def _assert_headers(response) -> None:
    assert response.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def _cookie_parts(response) -> list[str]:
    [cookie] = response.headers.get_list("set-cookie")
    return [part.strip() for part in cookie.split(";")]


def test_start_route_sets_the_session_cookie_and_goes_to_next(client: TestClient, engine: Engine) -> None:
    """A good ticket: 303 to `next`, an HttpOnly, SameSite=Strict, Path=/ cookie (not Secure over plain http)
    holding the token the session's row knows. A bad or reused ticket: the same 303, no cookie."""
    started = _start(engine, _account(engine), None)
    for bad in ("", "not-a-ticket", "x" * 300):
        refused = client.get("/_session/start", params={"ticket": bad, "next": "/briefing"})
        assert (refused.status_code, refused.headers["location"]) == (303, "/briefing")
        assert "set-cookie" not in refused.headers and _row(engine, started.id).token_hash is None
    response = client.get("/_session/start", params={"ticket": started.ticket, "next": "/incidents?track=x"})
    assert response.status_code == 303 and response.headers["location"] == "/incidents?track=x"
    assert response.headers["cache-control"] == "no-store"
    _assert_headers(response)
    parts = _cookie_parts(response)
    name, token = parts[0].split("=", 1)
    assert name == sessions.COOKIE and _row(engine, started.id).token_hash == sharing.token_hash(TEST_SECRET, token)
    lower = {p.lower() for p in parts[1:]}
    assert {"httponly", "path=/", "samesite=strict", f"max-age={sessions.MAX_HOURS * 3600}"} <= lower
    assert "secure" not in lower
    again = client.get("/_session/start", params={"ticket": started.ticket, "next": "/incidents"})
    assert again.status_code == 303 and again.headers["location"] == "/incidents"
    assert "set-cookie" not in again.headers
    _assert_headers(again)


@pytest.mark.parametrize("how", ["public url", "https request"])
def test_the_cookie_is_secure_over_https(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, client: TestClient, how: str
) -> None:
    """Secure when DASHBOARD_PUBLIC_URL is https or the request itself is https."""
    started = _start(engine, _account(engine), None)
    if how == "public url":
        monkeypatch.setenv("DASHBOARD_PUBLIC_URL", "https://dialogue.example.org")
        response = client.get("/_session/start", params={"ticket": started.ticket})
    else:
        with TestClient(_app(), base_url="https://testserver", follow_redirects=False) as secure_client:
            response = secure_client.get("/_session/start", params={"ticket": started.ticket})
    assert response.headers["location"] == "/"
    assert "secure" in {p.lower() for p in _cookie_parts(response)}


def test_a_share_link_cookie_lives_as_long_as_the_link(client: TestClient, engine: Engine) -> None:
    """The cookie of a share-link session expires with the link (30 days here), not after MAX_HOURS."""
    partner = _partner(engine, days=30, now=None)
    response = client.get("/_session/start", params={"ticket": _start(engine, partner, None).ticket})
    [max_age] = [p for p in _cookie_parts(response) if p.lower().startswith("max-age=")]
    assert 30 * 86400 - 60 <= int(max_age.split("=")[1]) <= 30 * 86400


OFFSITE = ["//evil.example", "https://evil.example/", "/\\evil", "javascript:alert(1)"]
OFFSITE += ["/\t/evil.example", "/\r\n/x.example"]  # browsers drop tabs and newlines: "//evil.example"


@pytest.mark.parametrize("target", [*OFFSITE, "evil.example", "", None])
def test_safe_next_keeps_only_paths_of_this_site(target: str | None) -> None:
    """Another host, a scheme, a backslash, a path that browsers turn into "//host" by dropping tabs and newlines,
    or a relative value becomes "/"; a path (with its query) is kept."""
    assert safe_next(target) == "/"
    assert safe_next("/incidents?track=x&tlp=green") == "/incidents?track=x&tlp=green"


@pytest.mark.parametrize("target", OFFSITE)
def test_the_routes_never_redirect_off_site(client: TestClient, engine: Engine, target: str) -> None:
    """Both routes send an off-site `next` to "/" (the start route still sets the cookie)."""
    started = _start(engine, _account(engine), None)
    start = client.get("/_session/start", params={"ticket": started.ticket, "next": target})
    end = client.get("/_session/end", params={"next": target})
    assert start.headers["location"] == end.headers["location"] == "/"
    assert start.headers["set-cookie"].startswith(f"{sessions.COOKIE}=")


def test_end_route_ends_the_session_and_deletes_the_cookie(client: TestClient, engine: Engine) -> None:
    """With the cookie: the row is ended "signed out" (audited), the cookie deleted (Max-Age=0), 303 to next."""
    started = _start(engine, _account(engine), None)
    token = client.get("/_session/start", params={"ticket": started.ticket}).cookies[sessions.COOKIE]
    client.cookies.clear()
    response = client.get("/_session/end", params={"next": "/"}, headers={"cookie": f"{sessions.COOKIE}={token}"})
    assert (response.status_code, response.headers["location"]) == (303, "/")
    _assert_headers(response)
    _assert_ended(engine, started.id, sessions.SIGNED_OUT, "alice")
    parts = {p.lower() for p in _cookie_parts(response)}
    assert _cookie_parts(response)[0].split("=")[0] == sessions.COOKIE
    assert {"max-age=0", "httponly", "path=/", "samesite=strict"} <= parts
    without = client.get("/_session/end")  # no cookie: nothing to end, the cookie is still cleared
    assert without.status_code == 303 and "max-age=0" in without.headers["set-cookie"].lower()


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    """Even an unknown path or a refused method gets the headers."""
    for response in (client.get("/nowhere"), client.post("/_session/start")):
        assert response.status_code in {404, 405}
        _assert_headers(response)

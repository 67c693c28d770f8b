"""Browser sessions held server-side, so that a reload, a new tab or a bookmark keeps a viewer signed in.

- A session belongs to an account or to a share link. It is a row of `web_sessions`; the browser holds a random
  token in an HttpOnly, SameSite=Strict cookie (set by `dashboard/web/session_routes.py`), the database only its
  HMAC under the secret key. Several app processes over one database therefore share every session.
- Signing in cannot set a cookie (the page talks over a WebSocket), so it creates the session with a one-time
  handoff ticket (one minute). The page sends the browser to the session route, which redeems the ticket for the
  token and sets the cookie. The tab that signed in knows its session by id in the meantime.
- Every page run checks the session: ended (signed out in any tab, by an administrator, or by a restore), idle
  for longer than the idle timeout (account sessions), older than the longest session, the account disabled or
  changed, a demo account while demo accounts are off, or the share link expired or revoked. A failed check ends
  the session with its reason, and every start and end is audited.
- Share-link sessions have no idle timeout: they last as long as the link, so a partner's bookmark keeps working
  until the link expires or is revoked (the link itself is a bearer token for that long anyway).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update

from dashboard.accounts.guard import require
from dashboard.accounts.sharing import link_viewer, token_hash
from dashboard.accounts.users import viewer_for
from dashboard.core.access import Permission, Viewer
from dashboard.store import audit
from dashboard.store.db import session_factory, transaction
from dashboard.store.models import ShareLink, User, UserTrack, WebSession, as_utc, utcnow

COOKIE = "cdd_session"
TICKET_SECONDS = 60
TOUCH_SECONDS = 30  # last_seen_at is written at most this often (one write per half minute of use, not per click)
MAX_HOURS = 12  # an account session ends after this long, however active; the cookie lives as long
KEEP_ENDED_DAYS = 90  # ended sessions are deleted after this long (their start and end stay in the audit trail)

# End reasons (stored, audited, and turned into the notice the sign-in page shows).
SIGNED_OUT = "signed out"
IDLE = "idle"
BY_ADMIN = "ended by an administrator"
TOO_OLD = "longest session reached"
DISABLED = "account disabled"
CHANGED = "account changed"
DEMO_OFF = "demo accounts off"
LINK_ENDED = "link expired or revoked"


@dataclass(frozen=True)
class Started:
    """A new session: its id (for the tab that started it) and the one-time ticket that gets the browser its cookie."""

    id: int
    ticket: str


@dataclass(frozen=True)
class Check:
    """The state of a session at a page run: a viewer while it is open, else why it ended (empty if unknown)."""

    viewer: Viewer | None
    session_id: int | None = None
    ended: str = ""
    share_link_id: int | None = None
    epoch: int = 0


def _hash(secret_key: str, value: str) -> str:
    return token_hash(secret_key, value)


def start(
    engine: Engine,
    viewer: Viewer,
    *,
    secret_key: str,
    epoch: int = 0,
    client: str = "",
    binding: str = "",
    now: dt.datetime | None = None,
) -> Started:
    """Open a session for a signed-in account or an opened share link, with a one-time handoff ticket.

    binding: a value only the signing-in browser sends (its Streamlit XSRF cookie); the ticket is then redeemed only
    by a request that carries it, so a ticket passed to another browser (in a link) does not sign that browser in.
    """
    now = now or utcnow()
    ticket = secrets.token_urlsafe(32)
    with transaction(engine) as session:
        row = WebSession(
            ticket_hash=_hash(secret_key, ticket),
            ticket_expires_at=now + dt.timedelta(seconds=TICKET_SECONDS),
            ticket_binding=_hash(secret_key, binding) if binding else None,
            user_id=viewer.user_id,
            share_link_id=viewer.share_link_id,
            epoch=epoch,
            client=client[:100],
            created_at=now,
            last_seen_at=now,
            end_reason="",
        )
        session.add(row)
        session.execute(delete(WebSession).where(WebSession.ended_at < now - dt.timedelta(days=KEEP_ENDED_DAYS)))
        session.flush()
        kind = "share link" if viewer.share_link_id is not None else "account"
        audit.record(session, viewer.name[:120], "session.start", "web_session", str(row.id), kind=kind, client=client)
        return Started(row.id, ticket)


def redeem_ticket(
    engine: Engine, ticket: str, *, secret_key: str, binding: str = "", now: dt.datetime | None = None
) -> str | None:
    """Exchange a handoff ticket for the cookie's token: once (two requests at the same time get one token), within a
    minute, while its session is open, and from the browser it was made for (see start)."""
    if not ticket or len(ticket) > 200:
        return None
    now = now or utcnow()
    digest = _hash(secret_key, ticket)
    token = secrets.token_urlsafe(32)
    with transaction(engine) as session:
        row = session.execute(
            select(WebSession.id, WebSession.ticket_expires_at, WebSession.ended_at, WebSession.ticket_binding).where(
                WebSession.ticket_hash == digest
            )
        ).one_or_none()
        if row is None:
            return None
        expires = as_utc(row.ticket_expires_at)
        bound = row.ticket_binding is None or (bool(binding) and _hash(secret_key, binding) == row.ticket_binding)
        usable = expires is not None and expires > now and row.ended_at is None and bound
        values: dict[str, object] = {"ticket_hash": None, "ticket_expires_at": None, "ticket_binding": None}
        if usable:
            values["token_hash"] = _hash(secret_key, token)
        # One use, whatever the outcome; the condition on the ticket makes a second, simultaneous request a no-op.
        done = session.execute(
            update(WebSession).where(WebSession.id == row.id, WebSession.ticket_hash == digest).values(**values)
        ).rowcount
        return token if usable and done == 1 else None


def cookie_max_age(engine: Engine, token: str, *, secret_key: str, now: dt.datetime | None = None) -> int:
    """Seconds the cookie should live: an account session's longest life, a share-link session's link lifetime."""
    now = now or utcnow()
    with session_factory(engine)() as session:
        row = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(secret_key, token)))
        expires = None
        if row is not None and row.share_link_id is not None:
            expires = as_utc(session.scalar(select(ShareLink.expires_at).where(ShareLink.id == row.share_link_id)))
    if expires is not None:
        return max(0, int((expires - now).total_seconds()))
    return MAX_HOURS * 3600


def check(
    engine: Engine,
    *,
    secret_key: str,
    idle_minutes: int,
    demo_allowed: Callable[[], bool],
    token: str | None = None,
    session_id: int | None = None,
    now: dt.datetime | None = None,
) -> Check:
    """Check the session named by the cookie's token (or, in the tab that started it, by id) and return its viewer;
    end it, with the reason, when it may no longer be used."""
    now = now or utcnow()
    with session_factory(engine)() as session:
        if token:
            row = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(secret_key, token)))
        elif session_id is not None:
            row = session.get(WebSession, session_id)
        else:
            row = None
        if row is None:
            return Check(None)
        sid, link_id, user_id, epoch = row.id, row.share_link_id, row.user_id, row.epoch
        if row.ended_at is not None:
            return Check(None, sid, row.end_reason or SIGNED_OUT, link_id, epoch)
        last_seen, created = as_utc(row.last_seen_at), as_utc(row.created_at)
    reason, viewer = "", None
    if link_id is not None:
        viewer = link_viewer(engine, link_id, now)
        reason = LINK_ENDED if viewer is None else ""
    elif now - last_seen > dt.timedelta(minutes=idle_minutes):
        reason = IDLE
    elif now - created > dt.timedelta(hours=MAX_HOURS):
        reason = TOO_OLD
    else:
        viewer, reason = _account_viewer(engine, user_id, epoch, demo_allowed)
    if reason:
        end(engine, sid, reason, actor=viewer.name if viewer else _who(engine, user_id, link_id), now=now)
        return Check(None, sid, reason, link_id, epoch)
    if now - last_seen > dt.timedelta(seconds=TOUCH_SECONDS):
        with transaction(engine) as session:
            session.execute(update(WebSession).where(WebSession.id == sid).values(last_seen_at=now))
    return Check(viewer, sid, "", link_id, epoch)


def _account_viewer(
    engine: Engine, user_id: int | None, epoch: int, demo_allowed: Callable[[], bool]
) -> tuple[Viewer | None, str]:
    """The account's viewer as it is now, read once per page run (one row and its tracks), or why it may not go on."""
    if user_id is None:
        return None, DISABLED
    with session_factory(engine)() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None, DISABLED
        if int(user.session_epoch or 0) != epoch:
            return None, CHANGED
        if user.is_demo and not demo_allowed():
            return None, DEMO_OFF
        tracks = session.scalars(select(UserTrack.track_id).where(UserTrack.user_id == user_id)).all()
        return viewer_for(user, tracks), ""


def _who(engine: Engine, user_id: int | None, link_id: int | None) -> str:
    with session_factory(engine)() as session:
        if user_id is not None:
            user = session.get(User, user_id)
            return user.username if user else f"user:{user_id}"
        link = session.get(ShareLink, link_id) if link_id is not None else None
        return f"{link.organisation} (shared link)" if link else f"share:{link_id}"


def end(engine: Engine, session_id: int, reason: str, *, actor: str, now: dt.datetime | None = None) -> bool:
    """End an open session (every tab that uses it is signed out at its next action); audited. False if it had
    already ended."""
    with transaction(engine) as session:
        done = session.execute(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
            .values(ended_at=now or utcnow(), end_reason=reason[:80], ticket_hash=None)
        ).rowcount
        if done:
            audit.record(session, actor[:120] or "?", "session.end", "web_session", str(session_id), reason=reason)
    return bool(done)


def is_open(engine: Engine, session_id: int) -> bool:
    """True while the session has not ended (a download pressed later checks this)."""
    with engine.connect() as conn:
        ended = conn.execute(select(WebSession.ended_at).where(WebSession.id == session_id)).one_or_none()
    return ended is not None and ended[0] is None


def end_by_token(engine: Engine, token: str, reason: str, *, secret_key: str) -> bool:
    """End the session a cookie names (the sign-out route)."""
    with session_factory(engine)() as session:
        row = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(secret_key, token)))
        if row is None:
            return False
        sid, user_id, link_id = row.id, row.user_id, row.share_link_id
    return end(engine, sid, reason, actor=_who(engine, user_id, link_id))


def list_open(engine: Engine, actor: Viewer, *, idle_minutes: int, now: dt.datetime | None = None) -> list[dict]:
    """Open sessions, newest activity first, for administrators: who, how, since when, last active, from where.
    Sessions that end at their next use are left out: account sessions idle for longer than the timeout or older than
    MAX_HOURS, share-link sessions whose link was revoked or has expired."""
    require(engine, actor, Permission.MANAGE_USERS, "session.list", "only administrators can list sessions")
    now = now or utcnow()
    with session_factory(engine)() as session:
        rows = session.execute(
            select(
                WebSession, User.username, User.role, ShareLink.organisation, ShareLink.revoked_at, ShareLink.expires_at
            )
            .outerjoin(User, User.id == WebSession.user_id)
            .outerjoin(ShareLink, ShareLink.id == WebSession.share_link_id)
            .where(WebSession.ended_at.is_(None))
            .order_by(WebSession.last_seen_at.desc())
        ).all()
    out = []
    for row, username, role, organisation, revoked, expires in rows:
        shared = row.share_link_id is not None
        if shared and (revoked is not None or as_utc(expires) <= now):
            continue
        if not shared and (
            now - as_utc(row.last_seen_at) > dt.timedelta(minutes=idle_minutes)
            or now - as_utc(row.created_at) > dt.timedelta(hours=MAX_HOURS)
        ):
            continue
        out.append(
            {
                "id": row.id,
                "who": f"{organisation} (shared link {row.share_link_id})" if shared else username,
                "role": "partner" if shared else role,
                "started": as_utc(row.created_at),
                "last_active": as_utc(row.last_seen_at),
                "client": row.client or "local",
            }
        )
    return out


def end_sessions(engine: Engine, ids: Iterable[int], *, actor: Viewer) -> int:
    """An administrator ends sessions; each tab using one is signed out at its next action. Returns how many ended."""
    require(engine, actor, Permission.MANAGE_USERS, "session.end", "only administrators can end sessions")
    return sum(end(engine, int(sid), BY_ADMIN, actor=actor.name) for sid in ids)

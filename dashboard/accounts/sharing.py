"""Share links for partner organisations: random tokens stored only as an HMAC, revocable, every use audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from dashboard.accounts.guard import ShareError, deny, require
from dashboard.accounts.share_urls import share_link
from dashboard.core.access import ROLE_PERMISSIONS, Permission, Role, Viewer
from dashboard.core.pages import PAGES
from dashboard.core.tlp import tlp_rank
from dashboard.store import audit
from dashboard.store.db import session_factory, transaction
from dashboard.store.models import ShareLink, User, as_utc, utcnow

SHAREABLE_TLP = ("clear", "green", "amber")
SHAREABLE_PAGES = tuple(p.key for p in PAGES if p.permission in ROLE_PERMISSIONS[Role.PARTNER])
MAX_DAYS = 365
SHARERS_ONLY = "only coordinators and administrators can {} share links"


def token_hash(secret_key: str, token: str) -> str:
    """HMAC-SHA256 of a token under the secret key: what the database stores instead of the token."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def share_url(base_url: str, token: str) -> str:
    """The link a partner opens (the base address is chosen in share_urls)."""
    return share_link(base_url, token)


@dataclass(frozen=True)
class NewLink:
    """A created link: its id and the token (shown once, never stored)."""

    id: int
    token: str
    expires_at: dt.datetime


def create_link(
    engine: Engine,
    creator: Viewer,
    *,
    organisation: str,
    tracks: Iterable[str],
    pages: Iterable[str] = SHAREABLE_PAGES,
    tlp_ceiling: str,
    days: int,
    secret_key: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> NewLink:
    """Create a read-only link for an organisation (coordinators and administrators; coordinators only for their
    own tracks, never above their own TLP ceiling)."""
    require(engine, creator, Permission.SHARE, "share.create", SHARERS_ONLY.format("create"))
    tracks, pages = sorted(set(tracks)), [p for p in SHAREABLE_PAGES if p in set(pages)]
    if not organisation.strip():
        raise ShareError("name the organisation the link is for")
    if not tracks:
        raise ShareError("choose at least one track")
    outside = set(tracks) - set(creator.tracks)
    if outside:
        raise deny(
            engine, creator, "share.create", f"you cannot share tracks that are not yours: {', '.join(sorted(outside))}"
        )
    if tlp_ceiling not in SHAREABLE_TLP:
        raise ShareError("a share link can carry TLP:CLEAR, TLP:GREEN or TLP:AMBER only (never AMBER+STRICT or RED)")
    if tlp_rank(tlp_ceiling) > tlp_rank(creator.tlp_ceiling):
        raise deny(engine, creator, "share.create", "you cannot share above your own TLP ceiling")
    if not pages:
        raise ShareError(f"choose at least one page among {', '.join(SHAREABLE_PAGES)}")
    if not 1 <= days <= MAX_DAYS:
        raise ShareError(f"a link lasts 1 to {MAX_DAYS} days")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(days=days)
    with transaction(engine) as session:
        link = ShareLink(
            token_hash=token_hash(secret_key, token),
            organisation=organisation.strip(),
            tracks=";".join(tracks),
            pages=";".join(pages),
            tlp_ceiling=tlp_ceiling,
            created_by=creator.name,
            created_at=now,
            expires_at=expires,
            note=note,
        )
        session.add(link)
        session.flush()
        audit.record(
            session,
            creator.name,
            "share.create",
            "share_link",
            str(link.id),
            organisation=organisation,
            tracks=tracks,
            pages=pages,
            tlp_ceiling=tlp_ceiling,
            expires_at=expires.isoformat(),
        )
        return NewLink(link.id, token, expires)


@dataclass(frozen=True)
class Resolved:
    """The outcome of opening a link: a partner viewer, or the reason it was refused."""

    viewer: Viewer | None
    message: str


def open_link(engine: Engine, token: str, *, secret_key: str, now: dt.datetime | None = None) -> Resolved:
    """Check a token: refused if unknown (tampered), revoked or expired; each use is counted and audited."""
    now = now or utcnow()
    if not token or len(token) > 200:
        return Resolved(None, "This share link is not valid. Ask the person who shared it for a new one.")
    digest = token_hash(secret_key, token)
    with transaction(engine) as session:
        link = session.scalar(select(ShareLink).where(ShareLink.token_hash == digest))
        if link is None:
            audit.record(session, "anonymous", "share.refused", "share_link", "", reason="unknown token")
            return Resolved(None, "This share link is not valid. Ask the person who shared it for a new one.")
        if link.revoked_at is not None:
            audit.record(session, "anonymous", "share.refused", "share_link", str(link.id), reason="revoked")
            return Resolved(None, "This share link has been revoked. Ask the person who shared it for a new one.")
        expires = as_utc(link.expires_at)
        if expires <= now:
            audit.record(session, "anonymous", "share.refused", "share_link", str(link.id), reason="expired")
            return Resolved(None, f"This share link expired on {expires:%d %b %Y}. Ask for a new one.")
        link.use_count += 1
        link.last_used_at = now
        audit.record(
            session, f"share:{link.id}", "share.use", "share_link", str(link.id), organisation=link.organisation
        )
        return Resolved(_viewer_of(link), "")


def _viewer_of(link: ShareLink) -> Viewer:
    """The read-only partner viewer a link grants."""
    pages = set(link.pages.split(";"))
    return Viewer(
        name=f"{link.organisation} (shared link)",
        role=Role.PARTNER,
        tracks=frozenset(link.tracks.split(";")),
        tlp_ceiling=link.tlp_ceiling,
        organisation=link.organisation,
        permissions=frozenset(p.permission for p in PAGES if p.key in pages),
        share_link_id=link.id,
        expires_at=as_utc(link.expires_at),
    )


def link_viewer(engine: Engine, link_id: int, now: dt.datetime | None = None) -> Viewer | None:
    """The viewer of a link that is still valid (neither revoked nor expired), for a session it started; else None."""
    now = now or utcnow()
    with session_factory(engine)() as session:
        link = session.get(ShareLink, link_id)
        if link is None or link.revoked_at is not None or as_utc(link.expires_at) <= now:
            return None
        return _viewer_of(link)


def link_contact(engine: Engine, link_id: int) -> str:
    """Whom a partner asks for a new link: the account that created it, by name and organisation."""
    with session_factory(engine)() as session:
        link = session.get(ShareLink, link_id)
        if link is None:
            return "the person who shared it"
        creator = session.scalar(select(User).where(User.username == link.created_by))
    if creator is None:
        return link.created_by or "the person who shared it"
    name = creator.display_name or creator.username
    return f"{name} ({creator.organisation})" if creator.organisation else name


def is_still_valid(engine: Engine, viewer: Viewer, now: dt.datetime | None = None) -> bool:
    """For a session opened through a link: the link is neither revoked nor expired now."""
    if viewer.share_link_id is None:
        return True
    now = now or utcnow()
    with engine.connect() as conn:
        row = conn.execute(
            select(ShareLink.revoked_at, ShareLink.expires_at).where(ShareLink.id == viewer.share_link_id)
        ).one_or_none()
    return row is not None and row.revoked_at is None and as_utc(row.expires_at) > now


def revoke_link(engine: Engine, link_id: int, *, actor: Viewer, now: dt.datetime | None = None) -> None:
    """Revoke a link at once (coordinators for their own tracks, administrators); sessions opened with it end at
    their next action."""
    require(engine, actor, Permission.SHARE, "share.revoke", SHARERS_ONLY.format("revoke"))
    with transaction(engine) as session:
        link = session.get(ShareLink, link_id)
        if link is None:
            raise ShareError(f"no share link {link_id}")
        allowed = actor.may_act_on(*link.tracks.split(";"))
        if allowed:
            if link.revoked_at is not None:
                raise ShareError(f"share link {link_id} is already revoked")
            session.execute(
                update(ShareLink)
                .where(ShareLink.id == link_id)
                .values(revoked_at=now or utcnow(), revoked_by=actor.name)
            )
            audit.record(session, actor.name, "share.revoke", "share_link", str(link_id))
    if not allowed:
        raise deny(engine, actor, "share.revoke", "you can only revoke links for your own tracks", link=link_id)


def list_links(engine: Engine, viewer: Viewer) -> list[dict[str, object]]:
    """Links of the viewer's tracks (all for an administrator), newest first; tokens are never shown. Only for those
    who may share."""
    require(engine, viewer, Permission.SHARE, "share.list", SHARERS_ONLY.format("list"))
    with session_factory(engine)() as session:
        links = list(session.scalars(select(ShareLink).order_by(ShareLink.id.desc())))
    out = []
    for link in links:
        tracks = set(link.tracks.split(";"))
        if not viewer.may_act_on(*tracks):
            continue
        out.append(
            {
                "id": link.id,
                "organisation": link.organisation,
                "tracks": link.tracks,
                "pages": link.pages,
                "tlp_ceiling": link.tlp_ceiling,
                "created_by": link.created_by,
                "created_at": link.created_at,
                "expires_at": link.expires_at,
                "revoked_at": link.revoked_at,
                "uses": link.use_count,
            }
        )
    return out

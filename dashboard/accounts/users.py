"""Accounts: create, change, reset and disable them (administrators only, checked here), and the Viewer of a user.

Every change that alters what a user may do (password, role, tracks, TLP ceiling, organisation, pages,
deactivation) raises the account's session epoch: sessions signed in under an older epoch end at their next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from dashboard.accounts.guard import AccountError, deny, require
from dashboard.accounts.passwords import check_password_strength, generate_password, hash_password
from dashboard.core.access import ROLE_PERMISSIONS, Permission, Role, Viewer
from dashboard.core.pages import PAGES
from dashboard.core.tlp import TLP_ORDER, tlp_rank
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.store import audit
from dashboard.store.db import transaction
from dashboard.store.models import User, UserTrack

ADMINS_ONLY = "only administrators can manage accounts"


def validate(role: str, tracks: Iterable[str], tlp_ceiling: str, pages: Iterable[str]) -> None:
    """Refuse an unknown role, track, TLP ceiling or page, and partners cleared above TLP:AMBER."""
    if role not in {r.value for r in Role}:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}")
    bad = set(tracks) - set(TRACK_IDS)
    if bad or not list(tracks):
        raise AccountError(f"tracks must be among {', '.join(TRACK_IDS)}")
    if tlp_ceiling not in TLP_ORDER:
        raise AccountError(f"unknown TLP ceiling {tlp_ceiling!r}: use one of {', '.join(TLP_ORDER)}")
    if role == Role.PARTNER and tlp_ceiling in {"amber+strict", "red"}:
        raise AccountError("partners can be cleared up to TLP:AMBER at most")
    unknown_pages = set(pages) - {p.key for p in PAGES}
    if unknown_pages:
        raise AccountError(f"unknown pages {sorted(unknown_pages)}")


def _within_ceiling(engine: Engine | None, actor: Viewer, tlp_ceiling: str, operation: str) -> None:
    if tlp_ceiling in TLP_ORDER and tlp_rank(tlp_ceiling) > tlp_rank(actor.tlp_ceiling):
        raise deny(engine, actor, operation, "you cannot grant more than your own TLP ceiling", tlp_ceiling=tlp_ceiling)


def add_user(
    session: Session,
    username: str,
    *,
    role: str,
    tracks: list[str],
    organisation: str,
    tlp_ceiling: str,
    password: str | None,
    actor_name: str,
    pages: list[str],
    is_demo: bool = False,
    auth_source: str = "local",
) -> int:
    """Insert a validated account and audit it, in the caller's transaction (no permission check: callers check)."""
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"a user called {username!r} already exists")
    user = User(
        username=username,
        display_name=username,
        role=role,
        organisation=organisation,
        tlp_ceiling=tlp_ceiling,
        pages=";".join(pages),
        password_hash=hash_password(password) if password else None,
        auth_source=auth_source,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    session.add_all(UserTrack(user_id=user.id, track_id=t) for t in tracks)
    audit.record(
        session,
        actor_name,
        "user.create",
        "user",
        str(user.id),
        username=username,
        role=role,
        tracks=tracks,
        tlp_ceiling=tlp_ceiling,
        organisation=organisation,
        pages=pages,
        auth_source=auth_source,
        demo=is_demo,
    )
    return user.id


def _clean_name(username: str) -> str:
    username = username.strip()
    if not username or len(username) > 120:
        raise AccountError("a username needs 1 to 120 characters")
    return username


def create_user(
    engine: Engine,
    username: str,
    *,
    role: str,
    tracks: Iterable[str],
    organisation: str,
    tlp_ceiling: str,
    password: str | None,
    actor: Viewer,
    pages: Iterable[str] = (),
    auth_source: str = "local",
) -> int:
    """Create an account (administrators, up to their own TLP ceiling); returns its id. The password is stored only
    as an argon2id hash; None for a single-sign-on account."""
    require(engine, actor, Permission.MANAGE_USERS, "user.create", ADMINS_ONLY)
    tracks, pages = list(dict.fromkeys(tracks)), list(dict.fromkeys(pages))
    username = _clean_name(username)
    validate(role, tracks, tlp_ceiling, pages)
    _within_ceiling(engine, actor, tlp_ceiling, "user.create")
    if password is not None:
        check_password_strength(password)
    with transaction(engine) as session:
        return add_user(
            session,
            username,
            role=role,
            tracks=tracks,
            organisation=organisation,
            tlp_ceiling=tlp_ceiling,
            password=password,
            actor_name=actor.name,
            pages=pages,
            auth_source=auth_source,
        )


def create_partner_account(
    engine: Engine,
    creator: Viewer,
    username: str,
    *,
    organisation: str,
    tracks: Iterable[str],
    tlp_ceiling: str,
) -> str:
    """A partner account made by a coordinator (own tracks, up to TLP:AMBER and their own ceiling) or an
    administrator, instead of a share link. Returns the generated password (shown once)."""
    require(
        engine,
        creator,
        Permission.SHARE,
        "user.create_partner",
        "only coordinators and administrators can create partner accounts",
    )
    tracks = list(dict.fromkeys(tracks))
    if not organisation.strip():
        raise AccountError("name the partner's organisation")
    outside = set(tracks) - set(creator.tracks)
    if outside:
        raise deny(
            engine,
            creator,
            "user.create_partner",
            f"you cannot grant tracks that are not yours: {', '.join(sorted(outside))}",
        )
    _within_ceiling(engine, creator, tlp_ceiling, "user.create_partner")
    username = _clean_name(username)
    validate(Role.PARTNER.value, tracks, tlp_ceiling, ())
    password = generate_password()
    with transaction(engine) as session:
        add_user(
            session,
            username,
            role=Role.PARTNER.value,
            tracks=tracks,
            organisation=organisation.strip(),
            tlp_ceiling=tlp_ceiling,
            password=password,
            actor_name=creator.name,
            pages=[],
        )
    return password


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user called {username!r}")
    return user


def _end_sessions(user: User) -> int:
    """Raise the account's session epoch: every session signed in before ends at its next page run."""
    user.session_epoch = (user.session_epoch or 0) + 1
    return user.session_epoch


def _tracks_of(session: Session, user_id: int) -> list[str]:
    return sorted(session.scalars(select(UserTrack.track_id).where(UserTrack.user_id == user_id)))


def update_user(
    engine: Engine,
    username: str,
    *,
    actor: Viewer,
    role: str | None = None,
    tracks: Iterable[str] | None = None,
    organisation: str | None = None,
    tlp_ceiling: str | None = None,
    pages: Iterable[str] | None = None,
) -> dict[str, list[object]]:
    """Change an account's role, tracks, organisation, TLP ceiling or pages (None: unchanged; pages=[]: all pages
    of the role). Administrators only, up to their own ceiling. Ends the user's sessions if anything changed.
    Returns the changes as {field: [before, after]}."""
    require(engine, actor, Permission.MANAGE_USERS, "user.update", ADMINS_ONLY)
    if tlp_ceiling is not None:
        _within_ceiling(engine, actor, tlp_ceiling, "user.update")
    with transaction(engine) as session:
        user = _get(session, username)
        before = {
            "role": user.role,
            "tracks": _tracks_of(session, user.id),
            "organisation": user.organisation,
            "tlp_ceiling": user.tlp_ceiling,
            "pages": [p for p in user.pages.split(";") if p],
        }
        after = dict(before)
        if role is not None:
            after["role"] = role
        if tracks is not None:
            after["tracks"] = sorted(dict.fromkeys(tracks))
        if organisation is not None:
            after["organisation"] = organisation.strip()
        if tlp_ceiling is not None:
            after["tlp_ceiling"] = tlp_ceiling
        if pages is not None:
            after["pages"] = list(dict.fromkeys(pages))
        validate(after["role"], after["tracks"], after["tlp_ceiling"], after["pages"])
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if not changes:
            return {}
        user.role, user.organisation, user.tlp_ceiling = after["role"], after["organisation"], after["tlp_ceiling"]
        user.pages = ";".join(after["pages"])
        if "tracks" in changes:
            session.execute(delete(UserTrack).where(UserTrack.user_id == user.id))
            session.add_all(UserTrack(user_id=user.id, track_id=t) for t in after["tracks"])
        epoch = _end_sessions(user)
        audit.record(
            session, actor.name, "user.update", "user", str(user.id), username=username, changes=changes, epoch=epoch
        )
        return changes


def set_password(engine: Engine, username: str, password: str, *, actor: Viewer) -> None:
    """Replace a user's password (administrators only): unlocks the account and ends its open sessions."""
    require(engine, actor, Permission.MANAGE_USERS, "user.password", ADMINS_ONLY)
    check_password_strength(password)
    with transaction(engine) as session:
        user = _get(session, username)
        user.password_hash = hash_password(password)
        user.failed_attempts = 0
        user.locked_until = None
        epoch = _end_sessions(user)  # also starts a fresh count of failed sign-ins (see signin.py)
        audit.record(session, actor.name, "user.password", "user", str(user.id), username=username, epoch=epoch)


def set_active(engine: Engine, username: str, active: bool, *, actor: Viewer) -> None:
    """Disable (or re-enable) an account (administrators only, never their own); disabling ends its sessions."""
    operation = "user.enable" if active else "user.disable"
    require(engine, actor, Permission.MANAGE_USERS, operation, ADMINS_ONLY)
    if not active and username == actor.name:
        raise AccountError("you cannot disable your own account")
    with transaction(engine) as session:
        user = _get(session, username)
        user.is_active = active
        epoch = _end_sessions(user)
        audit.record(session, actor.name, operation, "user", str(user.id), username=username, epoch=epoch)


def viewer_for(user: User, tracks: Iterable[str]) -> Viewer:
    """The Viewer of an account: its role's permissions, narrowed to its pages if it has a page list."""
    permissions: frozenset[Permission] = frozenset()
    if user.pages:
        keys = set(user.pages.split(";"))
        allowed = ROLE_PERMISSIONS[Role(user.role)]
        permissions = frozenset(p.permission for p in PAGES if p.key in keys and p.permission in allowed)
    return Viewer(
        name=user.username,
        role=Role(user.role),
        tracks=frozenset(tracks),
        tlp_ceiling=user.tlp_ceiling,
        organisation=user.organisation,
        permissions=permissions,
        user_id=user.id,
    )


def list_users(engine: Engine) -> list[dict[str, object]]:
    """Every account with its tracks (no password hashes)."""
    with transaction(engine) as session:
        users = list(session.scalars(select(User).order_by(User.username)))
        tracks: dict[int, list[str]] = {}
        for uid, track in session.execute(select(UserTrack.user_id, UserTrack.track_id)):
            tracks.setdefault(uid, []).append(track)
        return [
            {
                "username": u.username,
                "role": u.role,
                "tracks": sorted(tracks.get(u.id, [])),
                "organisation": u.organisation,
                "tlp_ceiling": u.tlp_ceiling,
                "active": u.is_active,
                "demo": u.is_demo,
                "pages": u.pages,
                "last_sign_in_at": u.last_sign_in_at,
            }
            for u in users
        ]


@dataclass(frozen=True)
class SessionStatus:
    """What a page run checks about the signed-in account: still active, the epoch, and whether it is a demo one."""

    active: bool
    epoch: int
    is_demo: bool


def session_status(engine: Engine, user_id: int) -> SessionStatus | None:
    """The account's state for the per-run session check; None when the account no longer exists."""
    with engine.connect() as conn:
        row = conn.execute(
            select(User.is_active, User.session_epoch, User.is_demo).where(User.id == user_id)
        ).one_or_none()
    return None if row is None else SessionStatus(bool(row.is_active), int(row.session_epoch or 0), bool(row.is_demo))


def is_active(engine: Engine, user_id: int) -> bool:
    """True while the account exists and is not disabled."""
    status = session_status(engine, user_id)
    return status is not None and status.active

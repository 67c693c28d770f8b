"""Local accounts: argon2id password hashes, sign-in with lockout, demo accounts, and the Viewer of a user."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, select

from dashboard.core.access import ROLE_PERMISSIONS, Permission, Role, Viewer
from dashboard.core.pages import PAGES
from dashboard.core.tlp import TLP_ORDER, tlp_rank
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.store import audit
from dashboard.store.db import transaction
from dashboard.store.models import User, UserTrack, as_utc, utcnow

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _HASHER.hash("timing-equaliser")
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """An account operation was refused; the message says why."""


@dataclass(frozen=True)
class DemoAccount:
    """A demo account listed on the sign-in page (demo mode only; the passwords are public on purpose)."""

    username: str
    password: str
    role: Role
    tracks: tuple[str, ...]
    organisation: str
    tlp_ceiling: str
    description: str


DEMO_ACCOUNTS = (
    DemoAccount(
        "demo-admin",
        "demo-admin-pass",
        Role.ADMIN,
        TRACK_IDS,
        "Dialogue Secretariat",
        "red",
        "Administrator: everything, cleared for TLP:RED",
    ),
    DemoAccount(
        "demo-official",
        "demo-official-pass",
        Role.OFFICIAL,
        TRACK_IDS,
        "Dialogue Secretariat",
        "amber+strict",
        "Senior official: reads both tracks up to TLP:AMBER+STRICT",
    ),
    DemoAccount(
        "demo-coordinator-ee",
        "demo-coordinator-pass",
        Role.COORDINATOR,
        ("eastern-europe",),
        "Dialogue Secretariat",
        "amber+strict",
        "Coordinator for Eastern Europe: uploads and shares",
    ),
    DemoAccount(
        "demo-coordinator-ip",
        "demo-coordinator-pass",
        Role.COORDINATOR,
        ("indo-pacific",),
        "Dialogue Secretariat",
        "amber+strict",
        "Coordinator for the Indo-Pacific: uploads and shares",
    ),
    DemoAccount(
        "demo-partner",
        "demo-partner-pass",
        Role.PARTNER,
        ("eastern-europe",),
        "Baltic Energy ISAC (synthetic)",
        "green",
        "Partner (Eastern Europe, TLP:GREEN), read only",
    ),
)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHER.hash(password)


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")


def generate_password() -> str:
    """A random password for a new account (shown once)."""
    return secrets.token_urlsafe(15)


def _validate(role: str, tracks: Iterable[str], tlp_ceiling: str, pages: Iterable[str]) -> None:
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


def create_user(
    engine: Engine,
    username: str,
    *,
    role: str,
    tracks: Iterable[str],
    organisation: str,
    tlp_ceiling: str,
    password: str | None,
    actor: str,
    pages: Iterable[str] = (),
    is_demo: bool = False,
    auth_source: str = "local",
) -> int:
    """Create an account; returns its id. The password is stored only as an argon2id hash."""
    tracks, pages = list(dict.fromkeys(tracks)), list(dict.fromkeys(pages))
    username = username.strip()
    if not username or len(username) > 120:
        raise AccountError("a username needs 1 to 120 characters")
    _validate(role, tracks, tlp_ceiling, pages)
    if password is not None and not is_demo:
        check_password_strength(password)
    with transaction(engine) as session:
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
            actor,
            "user.create",
            "user",
            str(user.id),
            username=username,
            role=role,
            tracks=tracks,
            tlp_ceiling=tlp_ceiling,
            organisation=organisation,
        )
        return user.id


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
    tracks = list(dict.fromkeys(tracks))
    if not creator.can(Permission.SHARE):
        raise AccountError("only coordinators and administrators can create partner accounts")
    if not organisation.strip():
        raise AccountError("name the partner's organisation")
    outside = set(tracks) - set(creator.tracks)
    if outside:
        raise AccountError(f"you cannot grant tracks that are not yours: {', '.join(sorted(outside))}")
    if tlp_ceiling in TLP_ORDER and tlp_rank(tlp_ceiling) > tlp_rank(creator.tlp_ceiling):
        raise AccountError("you cannot grant more than your own TLP ceiling")
    password = generate_password()
    create_user(
        engine,
        username,
        role=Role.PARTNER.value,
        tracks=tracks,
        organisation=organisation.strip(),
        tlp_ceiling=tlp_ceiling,
        password=password,
        actor=creator.name,
    )
    return password


def set_password(engine: Engine, username: str, password: str, *, actor: str) -> None:
    """Replace a user's password (and unlock the account)."""
    check_password_strength(password)
    with transaction(engine) as session:
        user = _get(session, username)
        user.password_hash = hash_password(password)
        user.failed_attempts = 0
        user.locked_until = None
        audit.record(session, actor, "user.password", "user", str(user.id), username=username)


def set_active(engine: Engine, username: str, active: bool, *, actor: str) -> None:
    """Disable (or re-enable) an account; disabled accounts cannot sign in."""
    with transaction(engine) as session:
        user = _get(session, username)
        user.is_active = active
        audit.record(
            session, actor, "user.enable" if active else "user.disable", "user", str(user.id), username=username
        )


def _get(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user called {username!r}")
    return user


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


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a viewer, or a message for the person at the keyboard."""

    viewer: Viewer | None
    message: str


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    max_failures: int,
    lockout_minutes: int,
    now: dt.datetime | None = None,
) -> SignIn:
    """Check a username and password; count failures, lock after too many, and audit every attempt."""
    now = now or utcnow()
    refused = "Wrong username or password."
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None or not user.is_active or user.password_hash is None:
            _verify(_DUMMY_HASH, password)  # same work as a real check: no timing hint that the name is unknown
            audit.record(session, username[:120] or "?", "auth.failure", "user", "", reason="unknown or disabled")
            return SignIn(None, refused)
        locked_until = as_utc(user.locked_until)
        if locked_until and locked_until > now:
            audit.record(session, user.username, "auth.failure", "user", str(user.id), reason="locked")
            minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
            return SignIn(None, f"Too many failed attempts: this account is locked for {minutes} more minutes.")
        if not _verify(user.password_hash, password):
            user.failed_attempts += 1
            detail = {"reason": "wrong password", "failed_attempts": user.failed_attempts}
            if user.failed_attempts >= max_failures:
                user.locked_until = now + dt.timedelta(minutes=lockout_minutes)
                user.failed_attempts = 0
                detail["locked_until"] = user.locked_until.isoformat()
                audit.record(session, user.username, "auth.failure", "user", str(user.id), **detail)
                return SignIn(None, f"Too many failed attempts: this account is locked for {lockout_minutes} minutes.")
            audit.record(session, user.username, "auth.failure", "user", str(user.id), **detail)
            return SignIn(None, refused)
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_attempts = 0
        user.locked_until = None
        user.last_sign_in_at = now
        tracks = list(session.scalars(select(UserTrack.track_id).where(UserTrack.user_id == user.id)))
        audit.record(session, user.username, "auth.sign_in", "user", str(user.id))
        return SignIn(viewer_for(user, tracks), "")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def record_sign_out(engine: Engine, viewer: Viewer, reason: str) -> None:
    """Audit a sign-out (by the user, or by the idle timeout)."""
    with transaction(engine) as session:
        audit.record(session, viewer.name, "auth.sign_out", "user", str(viewer.user_id or ""), reason=reason)


def ensure_demo_accounts(engine: Engine) -> list[str]:
    """Create the demo accounts that do not exist yet; returns the names created."""
    created = []
    with transaction(engine) as session:
        existing = set(session.scalars(select(User.username)))
    for account in DEMO_ACCOUNTS:
        if account.username not in existing:
            create_user(
                engine,
                account.username,
                role=account.role,
                tracks=account.tracks,
                organisation=account.organisation,
                tlp_ceiling=account.tlp_ceiling,
                password=account.password,
                actor="demo-setup",
                is_demo=True,
            )
            created.append(account.username)
    return created


def remove_demo_accounts(engine: Engine) -> int:
    """Delete the demo accounts (when demo mode is turned off); returns how many were removed."""
    with transaction(engine) as session:
        ids = list(session.scalars(select(User.id).where(User.is_demo.is_(True))))
        if ids:
            session.execute(delete(UserTrack).where(UserTrack.user_id.in_(ids)))
            session.execute(delete(User).where(User.id.in_(ids)))
            audit.record(session, "demo-setup", "user.remove_demo", "user", "", count=len(ids))
        return len(ids)


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


def is_active(engine: Engine, user_id: int) -> bool:
    """True while the account exists and is not disabled (checked on every page run)."""
    with engine.connect() as conn:
        return bool(conn.scalar(select(User.is_active).where(User.id == user_id)))


def _claim_list(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [v for v in str(value or "").replace(";", " ").replace(",", " ").split() if v]


def sso_sign_in(engine: Engine, claims: dict[str, object], *, now: dt.datetime | None = None) -> SignIn:
    """Map a single-sign-on identity to a viewer: an `--sso` account of the same name (the mapping table) first,
    else the claims `dashboard_role`, `dashboard_tracks`, `dashboard_tlp` and `dashboard_org` from the provider."""
    identity = str(claims.get("email") or claims.get("sub") or "").strip()
    if not identity:
        return SignIn(None, "The identity provider did not say who you are (no email or subject claim).")
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == identity, User.auth_source == "oidc"))
        if user is not None:
            if not user.is_active:
                audit.record(session, identity, "auth.failure", "user", str(user.id), reason="disabled", source="oidc")
                return SignIn(None, "Your account has been disabled. Ask an administrator.")
            user.last_sign_in_at = now or utcnow()
            tracks = list(session.scalars(select(UserTrack.track_id).where(UserTrack.user_id == user.id)))
            audit.record(session, identity, "auth.sign_in", "user", str(user.id), source="oidc")
            return SignIn(viewer_for(user, tracks), "")
        role = str(claims.get("dashboard_role") or "")
        if not role:
            audit.record(
                session, identity, "auth.failure", "user", "", reason="no account or role claim", source="oidc"
            )
            return SignIn(
                None,
                f"{identity} has no access to this dashboard yet. Ask an administrator to add the "
                "account for single sign-on.",
            )
        tracks = _claim_list(claims.get("dashboard_tracks")) or list(TRACK_IDS)
        tlp = str(claims.get("dashboard_tlp") or "green")
        organisation = str(claims.get("dashboard_org") or "")
        try:
            _validate(role, tracks, tlp, ())
        except AccountError as exc:
            audit.record(session, identity, "auth.failure", "user", "", reason=f"bad claims: {exc}", source="oidc")
            return SignIn(None, f"The identity provider's access claims are not valid: {exc}.")
        audit.record(session, identity, "auth.sign_in", "user", "", source="oidc", role=role, tracks=tracks, tlp=tlp)
        viewer = Viewer(
            name=identity, role=Role(role), tracks=frozenset(tracks), tlp_ceiling=tlp, organisation=organisation
        )
        return SignIn(viewer, "")

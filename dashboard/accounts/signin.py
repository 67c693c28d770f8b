"""Sign-in: local passwords with a growing delay after repeated failures, single sign-on, sign-out; all audited.

Every refusal (wrong password, unknown or disabled name, a delay still running, a demo account outside demo mode)
gives the same message after the same argon2 work, so neither the answer nor its timing says which it was.

Repeated failures slow down the source that makes them rather than locking the account: after
`max_failures` wrong passwords in a row for one account from one client address, each further attempt from that
address must wait 1 minute, then 2, 4, 8 ... up to `lockout_minutes`; attempts during the wait are refused without
their password being checked. Other addresses (the owner at their desk) are not slowed. Without a known client
address the count is per account. The count lives in the audit trail (failures since the last success from that
address, within a day), so every replica behind a load balancer sees the same one; a password reset starts it afresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.orm import Session

from dashboard.accounts.demo import REAL_DATA
from dashboard.accounts.guard import AccountError
from dashboard.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify
from dashboard.accounts.users import validate, viewer_for
from dashboard.core.access import Role, Viewer
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.store import audit
from dashboard.store.db import transaction
from dashboard.store.models import AuditEvent, User, UserTrack, as_utc, utcnow

SIGN_IN_REFUSED = "Wrong username or password. After several failed attempts, wait a few minutes before trying again."
FIRST_DELAY_SECONDS = 60
COUNT_WINDOW = dt.timedelta(days=1)
_LOOKBACK = 200  # audit events read per attempt: far more failures than it takes to reach the longest delay


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a viewer (and the session epoch it signed in under), or a message."""

    viewer: Viewer | None
    message: str
    epoch: int = 0


def _failures(session: Session, name: str, client: str, epoch: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Wrong passwords in a row for this account from this client address (since its last success there, in this
    session epoch, within a day) and the time of the latest."""
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.at, AuditEvent.detail)
        .where(
            AuditEvent.actor == name,
            AuditEvent.at >= now - COUNT_WINDOW,
            AuditEvent.detail["client"].as_string() == client,
            # Only what the count depends on: refusals during a wait are not read, so piling them up cannot push
            # the wrong passwords out of the rows read.
            or_(
                AuditEvent.action == "auth.sign_in",
                and_(AuditEvent.action == "auth.failure", AuditEvent.detail["reason"].as_string() == "wrong password"),
            ),
        )
        .order_by(AuditEvent.id.desc())
        .limit(_LOOKBACK)
    ).all()
    count, latest = 0, None
    for action, at, detail in rows:
        if action == "auth.sign_in" or detail.get("epoch", epoch) != epoch:
            break  # a success, or a failure from before the last password reset or account change
        count += 1
        latest = latest or as_utc(at)
    return count, latest


def delay_seconds(failures: int, max_failures: int, lockout_minutes: int) -> int:
    """How long the next attempt must wait after `failures` wrong passwords in a row: nothing before
    `max_failures`, then 1 minute, doubling with each further failure, never longer than `lockout_minutes`."""
    if failures < max_failures:
        return 0
    return min(lockout_minutes * 60, FIRST_DELAY_SECONDS * 2 ** min(failures - max_failures, 30))


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    max_failures: int,
    lockout_minutes: int,
    source: str = "",
    allow_demo: bool = False,
    now: dt.datetime | None = None,
) -> SignIn:
    """Check a username and password; slow repeated failures from one source down, and audit every attempt.

    source: the client's address ("" when unknown: then failures count per account). allow_demo: demo mode is on;
    demo accounts sign in only then, and only while no real data is stored.
    """
    now = now or utcnow()
    name = username.strip()
    client = source[:64]
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == name))
        epoch = int(user.session_epoch or 0) if user is not None else 0
        failures, latest = _failures(session, name, client, epoch, now)  # run for every name: the same work
        wait = delay_seconds(failures, max_failures, lockout_minutes)
        refusal = ""
        if user is None:
            refusal = "unknown user"
        elif not user.is_active:
            refusal = "disabled"
        elif user.password_hash is None:
            refusal = "no local password"
        elif user.is_demo and not (allow_demo and not session.scalar(REAL_DATA)):
            refusal = "demo account outside demo mode"
        elif latest is not None and wait and now < latest + dt.timedelta(seconds=wait):
            refusal = "throttled"
        if refusal:
            verify(DUMMY_HASH, password)  # same work as a real check: no timing hint of which refusal this is
            detail: dict[str, object] = {"reason": refusal, "client": client, "epoch": epoch}
            if refusal == "throttled":
                detail["retry_after"] = (latest + dt.timedelta(seconds=wait)).isoformat()
            audit.record(
                session, name[:120] or "?", "auth.failure", "user", str(user.id) if user else "", at=now, **detail
            )
            return SignIn(None, SIGN_IN_REFUSED)
        if not verify(user.password_hash, password):
            user.failed_attempts = failures + 1
            audit.record(
                session,
                user.username,
                "auth.failure",
                "user",
                str(user.id),
                at=now,
                reason="wrong password",
                client=client,
                epoch=epoch,
                failures_in_a_row=failures + 1,
                next_delay_seconds=delay_seconds(failures + 1, max_failures, lockout_minutes),
            )
            return SignIn(None, SIGN_IN_REFUSED)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_attempts = 0
        user.locked_until = None
        user.last_sign_in_at = now
        tracks = list(session.scalars(select(UserTrack.track_id).where(UserTrack.user_id == user.id)))
        audit.record(session, user.username, "auth.sign_in", "user", str(user.id), at=now, client=client, epoch=epoch)
        return SignIn(viewer_for(user, tracks), "", epoch)


def record_sign_out(engine: Engine, viewer: Viewer, reason: str) -> None:
    """Audit a sign-out (by the user, the idle timeout, or because the account changed)."""
    with transaction(engine) as session:
        audit.record(session, viewer.name, "auth.sign_out", "user", str(viewer.user_id or ""), reason=reason)


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
            epoch = int(user.session_epoch or 0)
            audit.record(session, identity, "auth.sign_in", "user", str(user.id), source="oidc", epoch=epoch)
            return SignIn(viewer_for(user, tracks), "", epoch)
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
            validate(role, tracks, tlp, ())
        except AccountError as exc:
            audit.record(session, identity, "auth.failure", "user", "", reason=f"bad claims: {exc}", source="oidc")
            return SignIn(None, f"The identity provider's access claims are not valid: {exc}.")
        audit.record(session, identity, "auth.sign_in", "user", "", source="oidc", role=role, tracks=tracks, tlp=tlp)
        viewer = Viewer(
            name=identity, role=Role(role), tracks=frozenset(tracks), tlp_ceiling=tlp, organisation=organisation
        )
        return SignIn(viewer, "")

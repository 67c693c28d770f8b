"""Sign-in, sign-out, share links, idle timeout, the router, and the access guard every page calls first."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboard import accounts
from dashboard.accounts import sessions, sharing
from dashboard.app import browser_session
from dashboard.app.context import engine, settings
from dashboard.app.widgets import plain
from dashboard.core.access import Permission, Viewer
from dashboard.core.pages import PAGES, pages_for
from dashboard.core.settings import SettingsError
from dashboard.core.tlp import TLP_LABELS

__all__ = ["Permission", "current_viewer", "require", "route"]

_VIEWER = "viewer"
_LAST_SEEN = "_last_seen"
_NOTICE = "_auth_notice"
_TOKEN = "_share_token"
_ROUTING = "_routing"
_REFUSAL = "_share_refusal"
_SSO = "_sso"
_SSO_REFUSAL = "_sso_refusal"
_EPOCH = "_session_epoch"  # the account's session epoch this session signed in under
_SESSION = "_web_session"  # id of the server-side session this tab uses (accounts/sessions.py)
_DEAD = "_dead_session_token"  # a cookie token already found ended: not checked (nor announced) again
_ENDED_SHARE = "_ended_share"  # "This shared view has ended; ask ..." for a share visitor


def _sign_out(reason: str, notice: str | None = None) -> None:
    """End this tab's sign-in: its server-side session too (so every tab using it is signed out at its next
    action), or, for a session that lives only in this tab, record the sign-out."""
    viewer = st.session_state.get(_VIEWER)
    sid = st.session_state.get(_SESSION)
    if sid is not None:
        sessions.end(engine(), sid, reason, actor=viewer.name if viewer else "?")
    elif viewer is not None:
        accounts.record_sign_out(engine(), viewer, reason)
    _forget(notice)


def _forget(notice: str | None = None) -> None:
    """Drop this tab's sign-in; the browser's cookie (if any) names an ended session from now on."""
    st.session_state[_DEAD] = browser_session.cookie_token()
    for key in (_VIEWER, _LAST_SEEN, _TOKEN, _SSO, _EPOCH, _SESSION):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[_NOTICE] = notice


def _start_session(viewer: Viewer, epoch: int, next_path: str | None) -> None:
    """Hold this sign-in server-side; with next_path, hand the browser its cookie so reloads and new tabs keep it."""
    started = sessions.start(
        engine(),
        viewer,
        secret_key=settings().secret_key,
        epoch=epoch,
        client=client_address(),
        binding=browser_session.binding(),
    )
    st.session_state.pop(_ENDED_SHARE, None)
    st.session_state[_VIEWER] = viewer
    st.session_state[_EPOCH] = epoch
    st.session_state[_SESSION] = started.id
    if next_path is not None:
        browser_session.hand_off_to_cookie(started.ticket, next_path)


def _session_viewer() -> Viewer | None:
    """The viewer of this tab's server-side session (found by id, or by the browser's cookie on a new tab or a
    reload), checked against the database on every run; None (with a notice) once it has ended."""
    sid = st.session_state.get(_SESSION)
    token = None
    if sid is None:
        token = browser_session.cookie_token()
        if token is None or token == st.session_state.get(_DEAD):
            return None
    cfg = settings()
    result = sessions.check(
        engine(),
        secret_key=cfg.secret_key,
        idle_minutes=cfg.session_idle_minutes,
        demo_allowed=demo_accounts_on,
        token=token,
        session_id=sid,
    )
    if result.viewer is None:
        was_sso = st.session_state.get(_SSO)
        _forget()
        if result.share_link_id is not None:
            contact = sharing.link_contact(engine(), result.share_link_id)
            st.session_state[_ENDED_SHARE] = f"This shared view has ended; ask {contact} for a new link."
        elif result.ended:
            st.session_state[_NOTICE] = browser_session.ended_notice(result.ended, cfg.session_idle_minutes)
        if was_sso:
            st.logout()  # the identity cookie would otherwise sign the session straight back in
        return None
    st.session_state[_VIEWER] = result.viewer
    st.session_state[_EPOCH] = result.epoch
    st.session_state[_SESSION] = result.session_id
    return result.viewer


def current_viewer() -> Viewer | None:
    """The signed-in viewer of this browser session, or None (after an idle timeout, a revoked link, ...)."""
    viewer: Viewer | None = st.session_state.get(_VIEWER)
    if st.session_state.get(_SESSION) is not None or viewer is None:
        return _session_viewer()
    # A viewer held only by this tab (no server-side session): tests and tools that set one directly.
    now = time.time()
    idle = settings().session_idle_minutes
    last = st.session_state.get(_LAST_SEEN, now)
    if now - last > idle * 60:
        _sign_out("idle", f"You were signed out after {idle} minutes without activity.")
        return None
    if viewer.share_link_id is not None and not sharing.is_still_valid(engine(), viewer):
        _sign_out("link no longer valid", "This share link has expired or been revoked.")
        return None
    if viewer.user_id is not None and not _account_unchanged(viewer):
        return None
    st.session_state[_LAST_SEEN] = now
    return viewer


def current_session_id() -> int | None:
    """The id of this tab's server-side session (None for a viewer held only by the tab)."""
    return st.session_state.get(_SESSION)


def session_grant() -> tuple[Viewer | None, int, int | None]:
    """The viewer of this browser session, the account epoch it signed in under and its server-side session (for
    checks made later, outside a page run: see download_guard)."""
    return st.session_state.get(_VIEWER), int(st.session_state.get(_EPOCH, 0)), st.session_state.get(_SESSION)


def _account_unchanged(viewer: Viewer) -> bool:
    """Check the signed-in account against the database on every run; sign out (with a notice) if it was disabled
    or removed, changed since signing in (password reset, role, tracks, TLP ceiling, organisation, pages), or is a
    demo account while demo accounts are off."""
    status = accounts.session_status(engine(), viewer.user_id)
    if status is None or not status.active:
        _sign_out("account disabled", "Your account has been disabled.")
        return False
    if status.epoch != st.session_state.get(_EPOCH, 0):
        _sign_out(
            "account changed",
            "An administrator changed your account (its password or its access): please sign in again.",
        )
        return False
    if status.is_demo and not demo_accounts_on():
        _sign_out(
            "demo accounts off",
            "Demo accounts are switched off (demo mode is off or real data is stored): sign in with your own account.",
        )
        return False
    return True


def demo_accounts_on() -> bool:
    """Demo accounts are listed and may sign in: demo mode is on and every stored dataset is synthetic."""
    return accounts.demo_allowed(engine(), settings().demo_mode)


def client_address() -> str:
    """The client's address for counting failed sign-ins: the last address in the header named by
    DASHBOARD_CLIENT_IP_HEADER (set by your reverse proxy), else the connection's; "" when unknown (local)."""
    header = settings().client_ip_header
    if header:
        value = st.context.headers.get(header)
        forwarded = [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else []
        if forwarded:
            return forwarded[-1]
    address = st.context.ip_address
    return address if isinstance(address, str) else ""  # not a string in AppTest, which has no real connection


def _open_share_link(token: str) -> str | None:
    """Sign this session in through a share link, on the same server-side session as an account; the browser is
    then sent on without the token in its address bar. Returns a refusal message, or None on success."""
    if st.session_state.get(_TOKEN) == token and st.session_state.get(_VIEWER) is not None:
        return None
    result = sharing.open_link(engine(), token, secret_key=settings().secret_key)
    if result.viewer is None:
        _sign_out("share link refused")
        return result.message
    if st.session_state.get(_VIEWER) is not None:
        _sign_out(sessions.SIGNED_OUT)  # whoever was signed in here gives way to the link that was opened
    _start_session(result.viewer, 0, browser_session.current_path())
    st.session_state[_TOKEN] = token
    return None


def sso_configured() -> bool:
    """True when `[auth]` is configured in secrets.toml: then `st.login` with that OIDC provider is offered."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, StreamlitAPIException):
        return False


def _sso_viewer() -> tuple[Viewer | None, str | None]:
    """The viewer of a single-sign-on session (or a refusal), mapped once per session and audited."""
    if not sso_configured() or not st.user.is_logged_in:
        return None, None
    result = accounts.sso_sign_in(engine(), dict(st.user.to_dict()))
    if result.viewer is None:
        return None, result.message
    if result.viewer.user_id is not None:  # an account: held server-side like any other (no cookie of ours: the
        _start_session(result.viewer, result.epoch, None)  # provider's identity cookie keeps reloads signed in)
    else:  # access from the provider's claims, with no account to check again: this tab holds it
        st.session_state[_VIEWER] = result.viewer
        st.session_state[_LAST_SEEN] = time.time()
    st.session_state[_SSO] = True
    return result.viewer, None


def _sign_in_page() -> None:
    st.title("Cyber Dialogue Dashboard")
    st.caption("Cyber incidents, norm adherence and partnerships for the Indo-Pacific and Eastern Europe tracks.")
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(plain(notice))
    cfg = settings()
    if sso_configured():
        refusal = st.session_state.get(_SSO_REFUSAL)
        if refusal:
            st.error(plain(refusal))  # may name the identity the provider sent
            st.button("Sign out of single sign-on", on_click=st.logout, key="sso_logout")
        else:
            st.button("Sign in with single sign-on", on_click=st.login, type="primary", key="sso_login")
        st.caption("Or sign in with a local account:")
    with st.form("sign_in", clear_on_submit=False, width=420):
        username = st.text_input("Username", key="sign_in_user")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    st.caption(
        f"After signing in you stay signed in across reloads, new tabs and bookmarks in this browser until you sign "
        f"out (which signs out every tab), after {cfg.session_idle_minutes} minutes without activity, or after "
        f"{sessions.MAX_HOURS} hours at most. The browser keeps only a random session key, in a cookie no script "
        "can read; an administrator can end any session."
    )
    if submitted:
        result = accounts.authenticate(
            engine(),
            username,
            password,
            max_failures=cfg.max_failed_sign_ins,
            lockout_minutes=cfg.lockout_minutes,
            source=client_address(),
            allow_demo=demo_accounts_on(),
        )
        if result.viewer is None:
            st.error(plain(result.message))
        else:
            _start_session(result.viewer, result.epoch, browser_session.current_path())
            st.rerun()
    if demo_accounts_on():
        st.subheader("Demo accounts")
        st.caption(
            "Demo mode is on and the data is synthetic: these accounts exist so you can try every view. They are "
            "switched off as soon as real data is stored. "
            "Turn demo mode off for a real deployment (see README)."
        )
        st.table(  # a plain HTML table: readable by screen readers and copyable
            pd.DataFrame(
                [{"Username": a.username, "Password": a.password, "Can": a.description} for a in accounts.DEMO_ACCOUNTS]
            ).set_index("Username")
        )


def _refused_page(message: str) -> None:
    st.title("Cyber Dialogue Dashboard")
    st.error(plain(message))


def _partner_banner(viewer: Viewer) -> None:
    if viewer.share_link_id is None:
        return
    expires = f"{viewer.expires_at:%d %b %Y}" if viewer.expires_at else "no date"
    st.info(
        f"Shared with **{plain(viewer.organisation)}** · read-only · data up to **{TLP_LABELS[viewer.tlp_ceiling]}** · "
        f"link valid until **{expires}**. Downloads are marked {TLP_LABELS[viewer.tlp_ceiling]}; "
        "handle them accordingly."
    )


def route() -> None:
    """Page config, sign-in (or a share link), then the pages this viewer may open.

    Without a viewer every page URL stays routable but hidden: the page's guard shows the sign-in form instead
    of the page, so a deep link (with its filters) is kept through signing in.
    """
    st.set_page_config(page_title="Cyber Dialogue Dashboard", page_icon="🛰️", layout="wide")
    cfg = settings()
    try:
        cfg.check_secret()
    except SettingsError as exc:
        st.error(f"The dashboard is not configured safely and will not start: {plain(exc)}.")
        st.stop()
    token = st.query_params.get("share")
    refusal = _open_share_link(str(token)) if token else None
    st.session_state[_REFUSAL] = refusal
    viewer = None if refusal else current_viewer()
    st.session_state[_SSO_REFUSAL] = None
    if viewer is None and not refusal:
        viewer, st.session_state[_SSO_REFUSAL] = _sso_viewer()
    allowed = pages_for(viewer) if viewer else []
    if viewer is not None and not allowed:
        st.error("Your account has no pages. Ask an administrator for access.")
        st.stop()
    # Every page stays routable, so a link to a page this viewer may not open gets the guard's refusal (not
    # Streamlit's "page not found"); the menu lists only the allowed pages.
    default = allowed[0] if allowed else PAGES[0]
    pages = {
        spec.key: st.Page(
            spec.path, title=spec.title, icon=spec.icon or None, url_path=spec.url_path, default=spec is default
        )
        for spec in PAGES
    }
    navigation = st.navigation(list(pages.values()), position="hidden")
    if viewer is not None:
        with st.sidebar:
            for spec in allowed:
                st.page_link(pages[spec.key], label=spec.title)
            st.divider()
            st.caption(
                f"Signed in as **{plain(viewer.name)}** ({viewer.role.value}) · {TLP_LABELS[viewer.tlp_ceiling]}"
            )
            label = "Close shared view" if viewer.share_link_id is not None else "Sign out"
            if st.button(label, key="sign_out"):
                was_sso = st.session_state.get(_SSO)
                shared = viewer.share_link_id is not None
                _sign_out(sessions.SIGNED_OUT)
                if token:
                    st.query_params.clear()
                if shared:  # the visitor sees "this shared view has ended", never a sign-in page
                    st.session_state[_ENDED_SHARE] = "You closed this shared view. To open it again, use the link."
                elif not was_sso:  # single sign-on sessions have no cookie of ours
                    browser_session.hand_off_to_sign_out()  # clears the cookie
                if was_sso:
                    st.logout()  # also clears the identity cookie, then reruns
                st.rerun()
        _partner_banner(viewer)
    browser_session.run_hand_off()
    st.session_state[_ROUTING] = True
    try:
        navigation.run()
    finally:
        st.session_state[_ROUTING] = False


def require(permission: Permission) -> Viewer:
    """Return the viewer if they hold the permission; otherwise show sign-in or a refusal and stop the page.

    A deep link can make Streamlit run a page script directly, without app.py. Then the guard runs the router
    itself (which runs this page again, guarded) and stops the direct run.
    """
    if not st.session_state.get(_ROUTING):
        route()
        st.stop()
    viewer = current_viewer()
    if viewer is None:
        refusal = st.session_state.get(_REFUSAL) or st.session_state.get(_ENDED_SHARE)
        _refused_page(refusal) if refusal else _sign_in_page()
        st.stop()
    if not viewer.can(permission):
        st.error(
            "You do not have access to this page. Sign in with an account that has access, or ask an administrator."
        )
        st.stop()
    return viewer

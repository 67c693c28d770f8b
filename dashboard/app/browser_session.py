"""The browser's side of a session: the cookie the page reads, the hand-offs that set and clear it, and what a
signed-out viewer is told. The session itself lives in the database (accounts/sessions.py); the cookie is set and
cleared by the routes in dashboard/web, because a page (which talks over a WebSocket) cannot set an HttpOnly cookie.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

import streamlit as st

from dashboard.accounts import sessions
from dashboard.web import BINDING_COOKIE, END_PATH, START_PATH

_HANDOFF = "_session_handoff"  # a URL the browser is sent to at the end of this run


def _cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except (AttributeError, RuntimeError):
        return None
    return value if isinstance(value, str) and value else None


def cookie_token() -> str | None:
    """The session token the browser sent when this tab connected (None in AppTest, which has no browser)."""
    return _cookie(sessions.COOKIE)


def binding() -> str:
    """What binds a hand-off ticket to this browser (its Streamlit XSRF cookie; empty without one)."""
    return _cookie(BINDING_COOKIE) or ""


def _base() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def current_path(drop: tuple[str, ...] = ("share",)) -> str:
    """This page's path and query (without a share token), to come back to after a hand-off."""
    url = st.context.url
    path = urlsplit(url).path if isinstance(url, str) and url else "/"
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in drop}
    return (path or "/") + (f"?{urlencode(params)}" if params else "")


def hand_off_to_cookie(ticket: str, next_path: str) -> None:
    """After this run, send the browser to the route that swaps the one-time ticket for the session cookie."""
    st.session_state[_HANDOFF] = f"{_base()}{START_PATH}?{urlencode({'ticket': ticket, 'next': next_path})}"


def hand_off_to_sign_out() -> None:
    """After this run, send the browser to the route that clears the session cookie."""
    st.session_state[_HANDOFF] = f"{_base()}{END_PATH}?{urlencode({'next': _base() + '/'})}"


def run_hand_off() -> None:
    """Navigate the browser if a hand-off is pending (the script is ours; the URL is JSON-escaped), with a plain
    link for a browser that runs no scripts."""
    target = st.session_state.pop(_HANDOFF, None)
    if not target:
        return
    literal = json.dumps(target).replace("<", "\\u003c")
    st.html(f"<script>window.location.replace({literal});</script>", unsafe_allow_javascript=True)
    st.caption(f"[Continue]({target}) if this page does not move on by itself.")


def ended_notice(reason: str, idle_minutes: int) -> str:
    """What the sign-in page says about a session that ended."""
    return {
        sessions.SIGNED_OUT: "You signed out (in this tab or another one).",
        sessions.IDLE: f"You were signed out after {idle_minutes} minutes without activity.",
        sessions.BY_ADMIN: "An administrator ended your session: please sign in again.",
        sessions.TOO_OLD: f"Sessions last at most {sessions.MAX_HOURS} hours: please sign in again.",
        sessions.DISABLED: "Your account has been disabled.",
        sessions.CHANGED: "An administrator changed your account (its password or its access): please sign in again.",
        sessions.DEMO_OFF: (
            "Demo accounts are switched off (demo mode is off or real data is stored): sign in with your own account."
        ),
        "database restored": "The database was restored from a backup: please sign in again.",
    }.get(reason, "Your session has ended: please sign in again.")

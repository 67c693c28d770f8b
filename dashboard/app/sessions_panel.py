"""Open sessions on the Accounts page (administrators): who is signed in, through what, since when and from where;
end any of them (each tab that uses one is signed out at its next action). Audited in accounts/sessions.py."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.accounts import sessions
from dashboard.app.auth import current_session_id
from dashboard.app.context import engine, settings
from dashboard.app.widgets import table
from dashboard.core.access import Viewer

_FLASH = "_sessions_flash"


def _when(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.strftime("%d %b %Y, %H:%M")


def sessions_panel(viewer: Viewer) -> None:
    """The open sessions, newest activity first, and a form to end the chosen ones."""
    st.subheader("Open sessions")
    idle = settings().session_idle_minutes
    st.caption(
        f"An account's session ends after {idle} minutes without activity, after {sessions.MAX_HOURS} hours in any "
        "case, when its user signs out (in any tab), or when you end it here. A share link's session lasts until the "
        "link expires or is revoked. Times are UTC."
    )
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash)
    rows = sessions.list_open(engine(), viewer, idle_minutes=idle)
    if not rows:
        st.write("No open sessions.")
        return
    mine = current_session_id()
    frame = pd.DataFrame(rows)
    frame["who"] = [f"{w} (you, this session)" if i == mine else w for w, i in zip(frame["who"], frame["id"])]
    frame["started"], frame["last_active"] = _when(frame["started"]), _when(frame["last_active"])
    table(
        frame[["id", "who", "role", "started", "last_active", "client"]],
        height=320,
        column_config={
            "id": "Session",
            "who": "Who",
            "role": "Role",
            "started": "Started",
            "last_active": "Last active",
            "client": "From",
        },
    )
    labels = {int(r["id"]): f"#{r['id']} {r['who']} · last active {r['last_active']}" for r in frame.to_dict("records")}
    with st.form("end_sessions", border=False):
        chosen = st.multiselect("Sessions to end", list(labels), format_func=labels.__getitem__, key="sessions_chosen")
        pressed = st.form_submit_button("End the chosen sessions")
    if pressed:
        if not chosen:
            st.warning("Choose at least one session to end.")
            return
        ended = sessions.end_sessions(engine(), chosen, actor=viewer)
        own = " Your own session was among them: you will be signed out at your next action." if mine in chosen else ""
        st.session_state[_FLASH] = f"{ended} session{'s' if ended != 1 else ''} ended.{own}"
        st.rerun()

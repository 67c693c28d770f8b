"""Who is signed in, the router, and the access guard that every page calls first. Uses Streamlit session state."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Permission, Viewer, local_admin
from dashboard.navigation import pages_for
from dashboard.ui import settings

__all__ = ["Permission", "current_viewer", "require", "route"]

_VIEWER_KEY = "viewer"
_ROUTING = "_routing"


def current_viewer() -> Viewer | None:
    """The viewer of this browser session. Until accounts exist, everyone is the local administrator."""
    viewer = st.session_state.get(_VIEWER_KEY)
    if viewer is None:
        viewer = local_admin(settings().organisation)
        st.session_state[_VIEWER_KEY] = viewer
    return viewer


def route() -> None:
    """Page config, the menu of pages this viewer may open (st.navigation), and the chosen page."""
    st.set_page_config(page_title="Cyber Dialogue Dashboard", page_icon="🛰️", layout="wide")
    viewer = current_viewer()
    specs = pages_for(viewer) if viewer else []
    navigation = st.navigation(
        [st.Page(s.path, title=s.title, icon=s.icon or None, url_path=s.url_path, default=s.default) for s in specs]
    )
    with st.sidebar:
        st.caption(f"Signed in as **{viewer.name}** ({viewer.role.value})" if viewer else "Not signed in")
    st.session_state[_ROUTING] = True
    try:
        navigation.run()
    finally:
        st.session_state[_ROUTING] = False


def require(permission: Permission) -> Viewer:
    """Return the viewer if they hold the permission; otherwise show a refusal and stop the page.

    A deep link can make Streamlit run a page script directly, without app.py. Then the guard runs the router
    itself (which runs this page again, guarded) and stops the direct run.
    """
    if not st.session_state.get(_ROUTING):
        route()
        st.stop()
    viewer = current_viewer()
    if viewer is None or not viewer.can(permission):
        st.error(
            "You do not have access to this page. Sign in with an account that has access, or ask an administrator."
        )
        st.stop()
    return viewer

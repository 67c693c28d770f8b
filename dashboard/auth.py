"""Who is signed in, and the access guard that every page calls first. Uses Streamlit session state."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Permission, Viewer, local_admin
from dashboard.ui import settings

__all__ = ["Permission", "current_viewer", "require"]

_VIEWER_KEY = "viewer"


def current_viewer() -> Viewer | None:
    """The viewer of this browser session. Until accounts exist, everyone is the local administrator."""
    viewer = st.session_state.get(_VIEWER_KEY)
    if viewer is None:
        viewer = local_admin(settings().organisation)
        st.session_state[_VIEWER_KEY] = viewer
    return viewer


def require(permission: Permission) -> Viewer:
    """Return the viewer if they hold the permission; otherwise show a refusal and stop the page."""
    viewer = current_viewer()
    if viewer is None or not viewer.can(permission):
        st.error(
            "You do not have access to this page. Sign in with an account that has access, or ask an administrator."
        )
        st.stop()
    return viewer

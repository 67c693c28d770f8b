"""The HTTP layer around the Streamlit app: the routes a page cannot serve over its WebSocket (setting and clearing
the session cookie) and the security headers of every response. `app.py` mounts them with `st.App`.

It uses Starlette (Streamlit's own server) and never imports `streamlit`.
"""

from __future__ import annotations

from dashboard.web.headers import SecurityHeaders
from dashboard.web.session_routes import BINDING_COOKIE, END_PATH, START_PATH, session_routes

__all__ = ["BINDING_COOKIE", "END_PATH", "START_PATH", "SecurityHeaders", "session_routes"]

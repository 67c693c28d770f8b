"""Router: page config, sign-in, and st.navigation built from the page registry for this viewer.

`streamlit run app.py` finds `app` below and serves it as an ASGI app (st.App): Streamlit plus the session routes
and security headers of dashboard/web. Each browser session then runs this file as the router script.
"""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":  # a page run (Streamlit runs the script as __main__)
    from dashboard.app.auth import route

    route()
else:  # imported by the server
    from starlette.middleware import Middleware

    from dashboard.web import SecurityHeaders, session_routes

    app = st.App(__file__, routes=session_routes(), middleware=[Middleware(SecurityHeaders)])

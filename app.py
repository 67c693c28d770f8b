"""Router: page config, sign-in, and st.navigation built from the page registry for this viewer."""

from __future__ import annotations

from dashboard.app.auth import route

route()

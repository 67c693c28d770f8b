"""Router: page config, the viewer, and st.navigation built from the page registry for this viewer."""

from __future__ import annotations

import streamlit as st

from dashboard.auth import current_viewer
from dashboard.navigation import pages_for

st.set_page_config(page_title="Cyber Dialogue Dashboard", page_icon="🛰️", layout="wide")

viewer = current_viewer()
specs = pages_for(viewer) if viewer else []
navigation = st.navigation(
    [st.Page(s.path, title=s.title, icon=s.icon, url_path=s.url_path, default=s.default) for s in specs]
)
with st.sidebar:
    st.caption(f"Signed in as **{viewer.name}** ({viewer.role.value})" if viewer else "Not signed in")
navigation.run()

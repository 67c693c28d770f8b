"""Share links: read-only links for partner organisations (coordinators for their own tracks, administrators)."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.SHARE)

import streamlit as st

from dashboard.app import sharing_panel

st.title("Share links")
st.caption(
    "A link opens chosen pages of chosen tracks, read only, for one organisation, up to a TLP marking, until it "
    "expires or is revoked. Every use is audited; downloads carry the marking."
)
sharing_panel.create_form(viewer)
sharing_panel.partner_account_form(viewer)
sharing_panel.links_panel(viewer)

"""Audit trail (administrators): sign-ins, account and share-link changes, uploads, rollbacks and downloads."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_AUDIT)

import streamlit as st

from dashboard.app import audit_panel

st.title("Audit trail")
st.caption(
    "Who did what, and when: sign-ins and their failures, account and share-link changes, uses of share links, "
    "uploads, rollbacks, downloads and briefing exports. The command line offers the same (`python -m dashboard "
    "audit`)."
)
audit_panel.audit_panel(viewer)

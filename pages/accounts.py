"""Accounts (administrators): who can sign in, with which role, tracks and TLP ceiling."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.MANAGE_USERS)

import streamlit as st

from dashboard.app import accounts_panel, sessions_panel

st.title("Accounts")
st.caption(
    "Local accounts sign in with a password (stored only as an argon2id hash); single sign-on accounts through your "
    "identity provider. Every change is audited. The command line offers the same (`python -m dashboard user`)."
)
accounts_panel.create_form(viewer)
accounts_panel.accounts_panel(viewer)
sessions_panel.sessions_panel(viewer)

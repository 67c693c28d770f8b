"""The Accounts page (administrators): create accounts, reset passwords, disable and enable; passwords shown once.

Everything goes through dashboard.accounts.users, which checks the acting viewer may manage accounts, hashes
passwords (argon2id), ends the sessions of a changed account and audits every change.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import accounts
from dashboard.app.context import engine
from dashboard.app.widgets import plain, show_once, table
from dashboard.core.access import Role, Viewer
from dashboard.core.tlp import TLP_LABELS, TLP_ORDER
from dashboard.core.vocabulary import TRACK_IDS
from dashboard.present.labels import NEVER_SIGNED_IN, TRACK_NAMES

ROLE_NAMES = {
    Role.ADMIN.value: "Administrator",
    Role.OFFICIAL.value: "Official (reads briefings and pages)",
    Role.COORDINATOR.value: "Coordinator (also uploads and shares)",
    Role.PARTNER.value: "Partner (read only, up to TLP:AMBER)",
}


def _show_password(username: str, password: str, what: str) -> None:
    show_once(f"{what} for {plain(username)}. Hand the password over safely: it is shown only this once.", password)


def create_form(viewer: Viewer) -> None:
    """A new local or single sign-on account; a local one gets a generated password, shown once."""
    with st.form("account_create"):
        st.subheader("New account")
        left, right = st.columns(2)
        username = left.text_input("Username (an e-mail address for single sign-on)", max_chars=120)
        role = right.selectbox("Role", list(ROLE_NAMES), index=1, format_func=ROLE_NAMES.get)
        left, right = st.columns(2)
        tracks = left.multiselect("Tracks", list(TRACK_IDS), default=list(TRACK_IDS), format_func=TRACK_NAMES.get)
        ceiling = right.selectbox(
            "TLP ceiling",
            TLP_ORDER,
            index=TLP_ORDER.index("amber"),
            format_func=TLP_LABELS.get,
            help="The highest marking this account sees; TLP:RED means explicitly cleared for RED.",
        )
        organisation = st.text_input("Organisation", value=viewer.organisation, max_chars=200)
        sso = st.checkbox("Signs in with single sign-on (no local password)")
        submitted = st.form_submit_button("Create account", type="primary")
    if not submitted:
        return
    password = None if sso else accounts.generate_password()
    try:
        accounts.create_user(
            engine(),
            username,
            role=role,
            tracks=tracks,
            organisation=organisation.strip(),
            tlp_ceiling=ceiling,
            password=password,
            actor=viewer,
            auth_source="oidc" if sso else "local",
        )
    except accounts.AccountError as exc:
        st.error(f"No account was created: {plain(exc)}.")
        return
    if password:
        _show_password(username.strip(), password, "Account created")
    else:
        st.success(f"Account created for {plain(username.strip())}: it signs in through single sign-on.")


def accounts_panel(viewer: Viewer) -> None:
    """Every account, then reset a password or disable/enable the chosen one."""
    st.subheader("Accounts")
    flash = st.session_state.pop("_account_flash", None)
    if flash:
        st.success(plain(flash))  # names the account
    users = accounts.list_users(engine())
    if not users:
        st.write("No accounts yet.")
        return
    frame = pd.DataFrame(users)
    frame["tracks"] = [", ".join(TRACK_NAMES.get(t, t) for t in ts) for ts in frame["tracks"]]
    frame["tlp_ceiling"] = frame["tlp_ceiling"].map(TLP_LABELS)
    frame["state"] = ["active" if a else "disabled" for a in frame["active"]]
    signed_in = pd.to_datetime(frame["last_sign_in_at"], errors="coerce", utc=True)
    frame["last_sign_in"] = signed_in.dt.strftime("%d %b %Y, %H:%M").fillna(NEVER_SIGNED_IN)
    table(
        frame[["username", "role", "organisation", "tracks", "tlp_ceiling", "state", "demo", "last_sign_in"]],
        height=360,
        column_config={
            "username": "Username",
            "role": "Role",
            "organisation": "Organisation",
            "tracks": "Tracks",
            "tlp_ceiling": "TLP ceiling",
            "state": "State",
            "demo": st.column_config.CheckboxColumn("Demo"),
            "last_sign_in": "Last sign-in (UTC)",
        },
    )
    names = [u["username"] for u in users]
    left, middle, right = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Account", names, key="account_chosen")
    user = next(u for u in users if u["username"] == chosen)
    if middle.button("Reset password", key="account_reset", width="stretch"):
        password = accounts.generate_password()
        try:
            accounts.set_password(engine(), chosen, password, actor=viewer)
        except accounts.AccountError as exc:
            st.error(f"{plain(exc)}.")
        else:
            _show_password(chosen, password, "New password set (the account is unlocked and its open sessions end)")
    label = "Disable" if user["active"] else "Enable"
    if right.button(label, key="account_toggle", width="stretch"):
        if chosen == viewer.name and user["active"]:
            st.error("You cannot disable your own account.")
            return
        try:
            accounts.set_active(engine(), chosen, not user["active"], actor=viewer)
        except accounts.AccountError as exc:
            st.error(f"{plain(exc)}.")
            return
        st.session_state["_account_flash"] = (
            f"{chosen} {'disabled: it can no longer sign in' if user['active'] else 'enabled'}."
        )
        st.rerun()

"""The Share links page: create a read-only link for a partner organisation, list the links of your tracks, revoke.

The token is shown once, right after it is created; only its hash is stored (dashboard.accounts.sharing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import accounts
from dashboard.accounts import share_urls, sharing
from dashboard.accounts.sharing import MAX_DAYS, SHAREABLE_PAGES, SHAREABLE_TLP
from dashboard.app.context import engine, settings
from dashboard.app.widgets import plain, show_once, table
from dashboard.core.access import Viewer
from dashboard.core.pages import PAGES
from dashboard.core.tlp import TLP_LABELS, tlp_rank
from dashboard.present.labels import TRACK_NAMES
from dashboard.store.models import as_utc, utcnow

PAGE_TITLES = {p.key: p.title for p in PAGES}
SHARING_PATH = next(p.url_path for p in PAGES if p.key == "sharing")


def link_base() -> share_urls.LinkBase:
    """Where links start: DASHBOARD_PUBLIC_URL, else the address this page is served at, as Streamlit reports it
    (the browser's address; else the request's Host header, and the X-Forwarded-* headers only when trusted)."""
    cfg = settings()
    url = st.context.url
    served = share_urls.served_base(
        url if isinstance(url, str) else None,
        SHARING_PATH,
        st.context.headers,
        trust_proxy_headers=cfg.trust_proxy_headers,
        tls=bool(st.get_option("server.sslCertFile")),
    )
    return share_urls.choose_base(cfg.public_url, served)


def _track_choice(container: Any, viewer: Viewer) -> list[str]:
    """The viewer's own tracks, all chosen by default."""
    return container.multiselect(
        "Tracks", sorted(viewer.tracks), default=sorted(viewer.tracks), format_func=TRACK_NAMES.get
    )


def _marking_choice(container: Any, viewer: Viewer, **kwargs: Any) -> str:
    """The highest marking a partner may see: CLEAR, GREEN or AMBER, never above the viewer's own ceiling."""
    ceilings = [t for t in SHAREABLE_TLP if tlp_rank(t) <= tlp_rank(viewer.tlp_ceiling)]
    return container.selectbox(
        "Highest marking shown",
        ceilings,
        index=ceilings.index("green") if "green" in ceilings else 0,
        format_func=TLP_LABELS.get,
        **kwargs,
    )


def create_form(viewer: Viewer) -> None:
    """Organisation, tracks, pages, marking and lifetime; on submit the full link, shown once. A doubt about the
    address the link starts with is shown before the form, so it is read before the link is created."""
    base = link_base()
    if base.warning:
        st.warning(plain(base.warning))
    with st.form("share_create", clear_on_submit=False):
        st.subheader("New link")
        organisation = st.text_input("Organisation the link is for", max_chars=120, key="share_org")
        left, right = st.columns(2)
        tracks = _track_choice(left, viewer)
        pages = right.multiselect(
            "Pages", list(SHAREABLE_PAGES), default=list(SHAREABLE_PAGES), format_func=PAGE_TITLES.get
        )
        left, right = st.columns(2)
        tlp = _marking_choice(left, viewer, help="TLP:AMBER+STRICT and TLP:RED rows are never shown through a link.")
        days = right.number_input("Valid for (days)", min_value=1, max_value=MAX_DAYS, value=30, step=1)
        note = st.text_input("Note (optional, for your records)", max_chars=200)
        submitted = st.form_submit_button("Create link", type="primary")
    if not submitted:
        return
    try:
        link = sharing.create_link(
            engine(),
            viewer,
            organisation=organisation,
            tracks=tracks,
            pages=pages,
            tlp_ceiling=tlp,
            days=int(days),
            secret_key=settings().secret_key,
            note=note,
        )
    except sharing.ShareError as exc:
        st.error(f"No link was created: {plain(exc)}.")
        return
    show_once(
        f"Link {link.id:d} for {plain(organisation.strip())}, valid until {link.expires_at:%d %b %Y %H:%M} UTC. "
        "Copy it now: it is shown only this once (only a hash of it is stored).",
        sharing.share_url(base.url, link.token),
    )


def _state(row: dict[str, object], now: dt.datetime) -> str:
    if row["revoked_at"] is not None:
        return "revoked"
    return "expired" if as_utc(row["expires_at"]) <= now else "active"


def links_panel(viewer: Viewer) -> None:
    """The links of the viewer's tracks (all for an administrator), newest first, and revoking one."""
    st.subheader("Links")
    flash = st.session_state.pop("_share_flash", None)
    if flash:
        st.success(plain(flash))
    links = sharing.list_links(engine(), viewer)
    if not links:
        st.write("No share links yet.")
        return
    now = utcnow()
    frame = pd.DataFrame(links)
    frame["state"] = [_state(row, now) for row in links]
    frame["tracks"] = [", ".join(TRACK_NAMES.get(t, t) for t in str(v).split(";")) for v in frame["tracks"]]
    frame["pages"] = [", ".join(PAGE_TITLES.get(p, p) for p in str(v).split(";")) for v in frame["pages"]]
    frame["tlp_ceiling"] = frame["tlp_ceiling"].map(TLP_LABELS)
    table(
        frame[["id", "organisation", "state", "tracks", "pages", "tlp_ceiling", "expires_at", "uses", "created_by"]],
        height=320,
        column_config={
            "id": "Link",
            "organisation": "Organisation",
            "state": "State",
            "tracks": "Tracks",
            "pages": "Pages",
            "tlp_ceiling": "Highest marking",
            "expires_at": st.column_config.DatetimeColumn("Expires (UTC)", format="D MMM YYYY, HH:mm"),
            "uses": "Uses",
            "created_by": "Created by",
        },
    )
    active = [row for row, state in zip(links, frame["state"]) if state == "active"]
    if not active:
        return
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Revoke a link",
        [row["id"] for row in active],
        format_func=lambda i: next(f"Link {i}: {r['organisation']}" for r in active if r["id"] == i),
        key="share_revoke_id",
    )
    if right.button("Revoke", key="share_revoke"):
        try:
            sharing.revoke_link(engine(), int(chosen), actor=viewer)
        except sharing.ShareError as exc:
            st.error(f"{plain(exc)}.")
        else:
            st.session_state["_share_flash"] = (
                f"Link {chosen} revoked: sessions opened with it end at their next action."
            )
            st.rerun()


def partner_account_form(viewer: Viewer) -> None:
    """Instead of a link: a partner account of its own (role partner, the creator's tracks, up to TLP:AMBER)."""
    with st.expander("Or create a partner account instead of a link"):
        with st.form("partner_account"):
            left, right = st.columns(2)
            username = left.text_input("Username", max_chars=120, key="partner_user")
            organisation = right.text_input("Organisation", max_chars=200, key="partner_org")
            left, right = st.columns(2)
            tracks = _track_choice(left, viewer)
            tlp = _marking_choice(right, viewer, key="partner_tlp")
            submitted = st.form_submit_button("Create partner account")
        if not submitted:
            return
        try:
            password = accounts.create_partner_account(
                engine(), viewer, username, organisation=organisation, tracks=tracks, tlp_ceiling=tlp
            )
        except accounts.AccountError as exc:
            st.error(f"No account was created: {plain(exc)}.")
            return
        show_once(
            f"Partner account {plain(username.strip())} created for {plain(organisation.strip())}. Hand the "
            "password over safely: it is shown only this once.",
            password,
        )

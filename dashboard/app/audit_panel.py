"""The Audit trail page (administrators): filter the trail by who, what and when, read it, download it as CSV.

Reads go through dashboard.read.audit, which refuses anyone but an administrator. Nothing is cached: the trail grows
with every sign-in, share-link use and download, and the data stamp that keys the page caches does not follow it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.app.context import fetch
from dashboard.app.download_audit import audited
from dashboard.app.widgets import table
from dashboard.core.access import Viewer
from dashboard.export import tables as exports
from dashboard.read import audit

SHOWN = 1000  # the newest events on the page; the CSV holds every match
EVERYONE = ""
# The trail names accounts, organisations and files of every track: for the administrators' organisation only.
MARKING = "amber+strict"


def audit_filter(viewer: Viewer) -> audit.AuditFilter:
    """Who (one actor, or everyone), which actions, and the days from - to (UTC, both included)."""
    actors = fetch(audit.audit_actors, viewer)
    actions = fetch(audit.audit_actions, viewer)
    left, middle, right = st.columns([2, 3, 2])
    actor = left.selectbox(
        "Actor",
        [EVERYONE, *actors],
        format_func=lambda a: a or "Everyone",
        accept_new_options=True,
        key="audit_actor",
        help="An account name, `share:<link id>` for a share link, or anonymous. Type a name that is not listed.",
    )
    chosen = middle.multiselect("Actions", actions, key="audit_actions", placeholder="Every action")
    today = dt.date.today()
    picked = right.date_input("From - to (UTC)", value=(today - dt.timedelta(days=30), today), key="audit_days")
    since, until = (picked[0], picked[-1]) if isinstance(picked, tuple | list) and picked else (None, None)
    return audit.AuditFilter(actor=actor or None, actions=tuple(chosen), since=since, until=until)


def _shown(events: pd.DataFrame) -> pd.DataFrame:
    return events.assign(
        object=[f"{t} {i}".strip() for t, i in zip(events["object_type"], events["object_id"], strict=True)],
        detail=events["detail"].map(audit.detail_text),
    )


def _csv(viewer: Viewer, flt: audit.AuditFilter) -> bytes:
    events = fetch(audit.audit_events, viewer, flt, None)
    return exports.to_csv_bytes(events.assign(detail=events["detail"].map(audit.detail_text)))


def audit_panel(viewer: Viewer) -> None:
    """The filters, the newest matching events and a CSV download of all of them (itself audited)."""
    flt = audit_filter(viewer)
    total = fetch(audit.audit_count, viewer, flt)
    if total == 0:
        st.info("No events match these filters. Widen the dates or choose another actor or action.")
        return
    events = fetch(audit.audit_events, viewer, flt, SHOWN)
    label = f"All {total:,} matching events." if total <= SHOWN else f"The newest {SHOWN:,} of {total:,} events."
    st.caption(f"{label} Times are UTC; the CSV holds every matching event.")
    table(
        _shown(events),
        height=520,
        column_order=["at", "actor", "action", "object", "detail"],
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "actor": "Actor",
            "action": "Action",
            "object": "Object",
            "detail": st.column_config.TextColumn("Detail", width="large"),
        },
    )
    name = exports.file_name("audit_trail", MARKING, "csv")
    st.download_button(
        "Download these events (CSV)",
        lambda: _csv(viewer, flt),
        file_name=name,
        mime="text/csv",
        key="audit_csv",
        **audited(name, MARKING, rows=total, filter=_filter_detail(flt)),
    )


def _filter_detail(flt: audit.AuditFilter) -> dict[str, object]:
    return {
        "actor": flt.actor or "",
        "actions": list(flt.actions),
        "since": flt.since.isoformat() if flt.since else "",
        "until": flt.until.isoformat() if flt.until else "",
    }

"""'New since my last visit' on the watchlist: each visit is an audit event of the viewer (an account, or
`share:<link id>` for a share link) holding the fingerprints of the signals it showed; the next visit marks the
signals whose fingerprint the previous visit did not hold. Fingerprints are hashes, so the audit trail names nothing
from the data. A visit is one session's first view of the page: reruns (a search, a filter) keep the same baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from dashboard.analysis.watchlist import Signal
from dashboard.analysis.watchlist_triage import signal_key
from dashboard.app.context import engine
from dashboard.app.download_audit import actor_name
from dashboard.core.access import Viewer
from dashboard.store import audit
from dashboard.store.db import transaction

VIEW = "watchlist.view"


@dataclass(frozen=True)
class LastVisit:
    """When the viewer last opened the watchlist (None: never) and the signals it showed then."""

    at: dt.datetime | None
    seen: frozenset[str]

    def is_new(self, signal: Signal) -> bool:
        """Whether the signal was not on the watchlist at the last visit (nothing is new on a first visit)."""
        return self.at is not None and signal_key(signal) not in self.seen


def last_visit(viewer: Viewer, signals: Sequence[Signal]) -> LastVisit:
    """The viewer's previous visit; on the session's first view, this visit (with `signals`) is recorded."""
    actor = actor_name(viewer)[:120]
    state_key = f"wl_last_visit:{actor}"
    if state_key not in st.session_state:
        with transaction(engine()) as session:
            previous = audit.last_event(session, actor, VIEW)
            visit = (
                LastVisit(previous.at, frozenset((previous.detail or {}).get("seen", ())))
                if previous is not None
                else LastVisit(None, frozenset())
            )
            audit.record(session, actor, VIEW, "page", "watchlist", seen=sorted({signal_key(s) for s in signals}))
        st.session_state[state_key] = visit
    return st.session_state[state_key]

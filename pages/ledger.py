"""Norm-evidence ledger: for one state and one norm, its own assessment rounds, the incidents linked to the norm with
the state as initiator or target, and their attributions and responses, each line with its source; PDF and CSV."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_NORMS)

import streamlit as st

from dashboard.app import ledger_panel
from dashboard.app.context import cached
from dashboard.app.filter_bar import filter_bar
from dashboard.app.widgets import plain, synthetic_notice, tlp_banner
from dashboard.export.ledger import item_label, ledger_lines
from dashboard.present.labels import TRACK_NAMES
from dashboard.read.ledger import norm_ledger

view = filter_bar(viewer, fields=("track",))
tracks = view.tracks(viewer)
st.title("Norm-evidence ledger")
state = ledger_panel.pick_state(viewer, tracks)
if state is None:
    st.info("No states in these tracks.")
    st.stop()
iso3, name = state
item = ledger_panel.pick_item(tracks)
tracks_label = ", ".join(TRACK_NAMES.get(t, t) for t in sorted(tracks))
st.caption(f"{plain(name)} · {plain(item_label(item))} ({plain(item)}) · {plain(tracks_label)} · all dates")
ledger = cached(norm_ledger, viewer, iso3, item, tracks, ledger_panel.PAGE_LIMIT)
if ledger.empty:
    st.info(
        f"Nothing recorded for {plain(name)} on this item in these tracks: no assessment round and no incident "
        "linked to it. Pick another state or item, or another track."
    )
    st.stop()
synthetic_notice(viewer, ("incidents", "norms"))
tlp_banner(ledger.marking)
lines = ledger_lines(ledger)
ledger_panel.downloads(viewer, lines, tracks_label, tracks)
if ledger.limited:
    st.caption(
        f"The {ledger_panel.PAGE_LIMIT} most recent incidents are shown here, with their attributions and responses; "
        "the PDF and the CSV cover all of them."
    )
ledger_panel.ledger_chart(lines)
ledger_panel.sections(lines)

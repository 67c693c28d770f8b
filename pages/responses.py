"""Attributions and responses: who attributed incidents to whom and what states did next, on a timeline and in a
table with source links and downloads."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_INCIDENTS)

import streamlit as st

from dashboard.app import responses_panel
from dashboard.app.context import as_of_date, cached
from dashboard.app.filter_bar import filter_bar
from dashboard.app.widgets import kpi_row, pick_one, synthetic_notice, tlp_banner
from dashboard.core.tlp import strictest_in
from dashboard.present.labels import track_label
from dashboard.read import event_timeline

view = filter_bar(viewer, fields=("track", "period"))
period = view.window(as_of_date(viewer))
scoped = event_timeline.EventFilter(tracks=view.tracks(viewer), start=period.start, end=period.end)
events = cached(event_timeline.event_rows, viewer, scoped)
choice = responses_panel.event_filters(event_timeline.states_named(events))
shown = event_timeline.select_events(events, choice.kinds, choice.states, choice.role)
tlp = strictest_in(shown)

st.title("Attributions and responses")
st.caption(f"{track_label(view.track)} · {period.start:%d %b %Y} – {period.end:%d %b %Y}")
synthetic_notice(viewer, ("incidents",))
tlp_banner(tlp)
if shown.empty:
    st.info(
        "No attribution or response recorded for these filters. Widen the period or remove a filter in the sidebar; "
        "events come with EuRepoC and CFR imports."
    )
    st.stop()
attributions = shown[shown["event"] == "attribution"]
kpi_row(
    [
        ("Attributions", f"{len(attributions):,}", None),
        ("By governments", f"{int((attributions['kind'] == 'government').sum()):,}", None),
        ("Responses", f"{int((shown['event'] == 'response').sum()):,}", None),
        ("Incidents", f"{shown['incident_id'].nunique():,}", "Incidents these events belong to."),
    ]
)
rows = pick_one("Timeline rows", responses_panel.ROWS, key="ev_rows")
responses_panel.timeline(shown, rows, choice.role, tlp=tlp, key="ev_timeline")

st.subheader("Events")
responses_panel.event_table(
    shown, stem="attributions_and_responses", tlp=tlp, title="Attributions and responses", key="ev_table"
)

"""Norms and CBMs: status matrix with evidence, adherence map, trajectories, CBM tracker, changes since last round."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_NORMS)

import streamlit as st

from dashboard import read
from dashboard.analysis import analytics
from dashboard.app import norms_panel
from dashboard.app.chart_panel import chart, downloads
from dashboard.app.context import cached
from dashboard.app.filter_bar import filter_bar
from dashboard.app.widgets import synthetic_notice, tlp_banner
from dashboard.core.filters import IncidentFilter
from dashboard.core.tlp import strictest_in, strictest_marking
from dashboard.present import charts, maps
from dashboard.present.labels import track_label

view = filter_bar(viewer, fields=("track", "countries"))
tracks = view.tracks(viewer)
countries = frozenset(view.countries)
status = cached(read.norm_status_as_of, viewer, None, tracks, countries)
rounds = cached(read.norm_rounds, viewer, tracks)

st.title("Norms and CBMs")
st.caption(f"{track_label(view.track)} · UN norms of responsible state behaviour, OSCE cyber CBMs, ARF measures")
synthetic_notice(viewer, ("norms",))
# The map, trajectories and matrices are built from every round's assessments, the incident section from incidents:
# the page and its downloads carry the strictest marking of all of them.
marking = cached(read.norm_marking, viewer, tracks, countries)
if viewer.can(Permission.VIEW_INCIDENTS):
    marking = strictest_marking(
        marking, cached(read.incident_marking, viewer, IncidentFilter(tracks=tracks, countries=countries))
    )
tlp_banner(marking)
if status.empty:
    st.info("No norm or CBM assessments for these tracks and countries yet. Coordinators can upload them.")
    st.stop()

shares = cached(read.norm_round_shares, viewer, tracks, countries)
latest = analytics.latest_shares(shares)
st.caption(f"Latest status per state and item; {len(rounds)} assessment rounds, the last on {rounds[-1]:%d %b %Y}.")

left, right = st.columns([3, 2])
with left:
    track_countries = cached(read.track_countries, viewer, tracks)
    figure = maps.build_country_map(
        latest.assign(percent=(latest["share"] * 100).round(0)),
        "percent",
        title="Share of items implemented",
        countries=track_countries,
        hover_cols={"implemented": "Implemented", "assessed": "Assessed"},
        colorbar_title="% implemented",
    )
    chart(figure, latest, key="norm_map", tlp=marking, stem="norm_adherence")
with right:
    trajectory = analytics.trajectory(shares)
    norms_panel.trajectory_chart(trajectory, key="norm_trajectory", tlp=marking)

items = norms_panel.framework_items()
for framework, label in norms_panel.framework_tabs(tracks):
    with st.expander(label, expanded=framework == "un-norms"):
        part = status[status["framework_id"] == framework]
        figure = charts.build_norm_matrix(part, items=items, countries=track_countries, title=label)
        chart(figure, part, key=f"norm_matrix_{framework}", tlp=marking, stem=f"norm_status_{framework}")

st.subheader("What changed since the previous round")
if len(rounds) < 2:
    st.write("Only one assessment round so far.")
else:
    before = cached(read.norm_status_as_of, viewer, rounds[-2], tracks, countries)
    after = cached(read.norm_status_as_of, viewer, rounds[-1], tracks, countries)
    changes = analytics.norm_changes(before, after)
    ups, downs = (changes["direction"] == "up").sum(), (changes["direction"] == "down").sum()
    st.markdown(
        f"{rounds[-2]:%d %b %Y} → {rounds[-1]:%d %b %Y}: **{ups:,} items moved forward**, **{downs:,} moved back**."
    )
    norms_panel.norm_changes_table(changes)

st.subheader("Evidence")
norms_panel.evidence_table(status)
downloads(
    lambda: status,
    stem="norm_status",
    tlp=strictest_in(status),
    title="Norm and CBM status",
    key="norm_rows",
    rows=len(status),
)

if viewer.can(Permission.VIEW_INCIDENTS):
    st.subheader("Incidents implicating each item")
    links = cached(read.incident_norm_counts, viewer, IncidentFilter(tracks=tracks, countries=countries))
    norms_panel.incident_links(links)

"""Country profile: one state across incidents received and initiated, norms and CBMs, and partnerships."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_COUNTRY)

import streamlit as st

from dashboard import read
from dashboard.analysis import analytics
from dashboard.app import country_panel, responses_panel
from dashboard.app.chart_panel import chart
from dashboard.app.context import as_of_date, cached
from dashboard.app.filter_bar import country_picker, filter_bar
from dashboard.app.incidents_panel import incident_details, monthly_counts
from dashboard.app.norms_panel import evidence_table
from dashboard.app.partnerships_panel import partnership_table
from dashboard.app.widgets import plain, synthetic_notice, tlp_banner
from dashboard.core.tlp import strictest_in, strictest_marking
from dashboard.present import charts
from dashboard.present.labels import TYPE_NAMES

view = filter_bar(viewer, fields=("track", "period"))
tracks = view.tracks(viewer)
country = country_picker(viewer, tracks)
if country is None:
    st.title("Country profile")
    st.info("No countries in these tracks.")
    st.stop()
iso3, name, member_of = country
as_of = as_of_date(viewer)
period = view.window(as_of)
received_filter = view.incident_filter(viewer, period, countries=frozenset({iso3}))
received = cached(read.incident_summary, viewer, received_filter)
initiated = cached(read.incident_initiated_counts, viewer, view.incident_filter(viewer, period), iso3)
initiated_tlp = cached(read.incident_marking, viewer, view.incident_filter(viewer, period), iso3)
status = cached(read.norm_status_as_of, viewer, None, tracks, frozenset({iso3}))
partnerships = cached(read.partnership_rows, viewer, tracks, frozenset({iso3}))
events = country_panel.state_event_frames(viewer, iso3, tracks, period)

st.title(plain(name))
st.caption(f"Member of: {plain(member_of)} · {period.start:%d %b %Y} – {period.end:%d %b %Y}")
synthetic_notice(viewer)
norms_tlp = cached(read.norm_marking, viewer, tracks, frozenset({iso3}))  # the shares use every round
events_tlp = responses_panel.state_events_marking(events)
tlp_banner(strictest_marking(received["tlp"], initiated_tlp, norms_tlp, strictest_in(partnerships), events_tlp))
nothing = received["incidents"] == 0 and status.empty and partnerships.empty and initiated.empty
if nothing and all(frame.empty for frame in events.values()):
    st.info(
        f"Nothing recorded for {plain(name)} in these tracks and this period. Try a longer period or another track."
    )
    st.stop()
shares = analytics.latest_shares(cached(read.norm_round_shares, viewer, tracks, frozenset({iso3})))
country_panel.country_kpis(received, initiated, shares, partnerships)

left, right = st.columns([3, 2])
with left:
    monthly = monthly_counts(viewer, received_filter, "type", period)
    figure = charts.build_trend_figure(
        monthly,
        stack_col="type",
        title="Incidents received per month",
        labels=TYPE_NAMES,
        height=460,
        legend_below=True,
    )
    chart(figure, monthly, key="cp_trend", tlp=received["tlp"], stem=f"{iso3}_incidents_by_month")
with right:
    country_panel.initiated_chart(name, iso3, initiated, initiated_tlp)

country_panel.state_events(events, iso3)

st.subheader("Norms and CBMs")
if status.empty:
    st.write("No assessments for this state in these tracks.")
else:
    evidence_table(status)

st.subheader("Partnerships and hotlines")
if partnerships.empty:
    st.write("No partnerships recorded for this state in these tracks.")
else:
    partnership_table(partnerships)

st.subheader("Recent incidents received")
incident_details(
    viewer,
    received_filter,
    200,
    stem=f"{iso3}_incidents",
    tlp=received["tlp"],
    title=f"Incidents received: {name}",
    key="cp_rows",
)

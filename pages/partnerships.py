"""Partnerships: map with hotlines between capitals, project timeline, counts by kind, focus and partner type."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_PARTNERSHIPS)

import streamlit as st

from dashboard import read
from dashboard.analysis import analytics
from dashboard.app import partnerships_panel
from dashboard.app.chart_panel import chart, downloads
from dashboard.app.context import as_of_date, cached
from dashboard.app.filter_bar import filter_bar
from dashboard.app.widgets import kpi_row, synthetic_notice, tlp_banner
from dashboard.core.tlp import strictest_in
from dashboard.present import charts, maps
from dashboard.present.labels import KIND_NAMES, track_label

view = filter_bar(viewer, fields=("track", "countries"))
tracks = view.tracks(viewer)
rows = cached(read.partnership_rows, viewer, tracks, frozenset(view.countries))
as_of = as_of_date(viewer)
tlp = strictest_in(rows)

st.title("Partnerships")
st.caption(
    f"{track_label(view.track)} · public-private partnerships, capacity building, hotlines, PoC networks, "
    f"MoUs and exercises · as of {as_of:%d %b %Y}"
)
synthetic_notice(viewer, ("partnerships",))
tlp_banner(tlp)
if rows.empty:
    st.info("No partnerships for these tracks and countries yet. Coordinators can upload them.")
    st.stop()

hotlines = analytics.hotline_ages(rows, as_of)
stale = int((hotlines["days"].isna() | (hotlines["days"] > 365)).sum())
kpi_row(
    [
        ("Partnerships", f"{len(rows):,}", None),
        ("Active", f"{(rows['status'] == 'active').sum():,}", None),
        ("Hotlines", f"{len(hotlines):,}", None),
        ("Hotlines untested > 12 months", f"{stale:,}", "Never tested, or last tested more than 365 days ago."),
    ]
)

country_counts = cached(read.partnership_counts_by_country, viewer, tracks)
if view.countries:
    country_counts = country_counts[country_counts["iso3"].isin(view.countries)]
track_countries = cached(read.track_countries, viewer, tracks)
figure = maps.build_hotline_map(
    hotlines,
    track_countries,
    as_of=as_of,
    country_counts=country_counts,
    title="Partnerships per country, and hotlines by time since last test",
)
chart(figure, hotlines, key="pp_map", tlp=tlp, stem="hotlines", caption="Hotlines behind this map")

projects = rows[rows["kind"] != "hotline"]
figure = charts.build_timeline(projects, as_of=as_of, labels=KIND_NAMES, title="Projects and partnerships over time")
chart(
    figure,
    projects[["name", "kind", "start_date", "end_date", "status"]],
    key="pp_timeline",
    tlp=tlp,
    stem="partnership_timeline",
)

columns = st.columns(3)
for column, (frame, category, title, names) in zip(columns, partnerships_panel.partnership_breakdowns(rows)):
    with column:
        figure = charts.build_count_bar(frame, category, "partnerships", labels=names, title=title)
        chart(figure, frame, key=f"pp_{category}", tlp=tlp, stem=f"partnerships_by_{category}")

st.subheader("All partnerships")
partnerships_panel.partnership_table(rows)
downloads(lambda: rows, stem="partnerships", tlp=tlp, title="Partnerships", key="pp_rows", rows=len(rows))

"""Incidents: map, monthly trend, sector x type heatmap, top dyads, and the filtered table with downloads."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_INCIDENTS)

import streamlit as st

from dashboard import read
from dashboard.app import incidents_panel
from dashboard.app.chart_panel import chart
from dashboard.app.context import as_of_date, cached
from dashboard.app.filter_bar import filter_bar
from dashboard.app.widgets import kpi_row, pick_one, synthetic_notice, tlp_banner
from dashboard.present import charts, maps
from dashboard.present.labels import SECTOR_NAMES, SEVERITY_UNKNOWN, TYPE_NAMES, summary_note, track_label

view = filter_bar(viewer, fields=("track", "period", "countries", "sectors", "types", "severity"))
as_of = as_of_date(viewer)
period = view.window(as_of)
flt = view.incident_filter(viewer, period)
summary = cached(read.incident_summary, viewer, flt)

st.title("Incidents")
st.caption(f"{track_label(view.track)} · {period.start:%d %b %Y} – {period.end:%d %b %Y}")
synthetic_notice(viewer, ("incidents",))
tlp_banner(summary["tlp"])
if summary["incidents"] == 0:
    st.info("No incidents match these filters. Widen the period or remove a filter in the sidebar.")
    st.stop()
kpi_row(
    [
        ("Incidents", f"{summary['incidents']:,}", None),
        ("Significant (severity 3+)", f"{summary['significant']:,}", None),
        ("Countries affected", f"{summary['countries']:,}", None),
    ]
)
st.caption(summary_note(summary))

measure = pick_one(
    "Map shows", {"incidents": "Number of incidents", "severity_weighted": "Severity-weighted"}, key="map_measure"
)
by_country = cached(read.incident_counts_by_country, viewer, flt)
countries = cached(read.track_countries, viewer, view.tracks(viewer))
figure = maps.build_country_map(
    by_country,
    measure,
    title="Incidents by target country",
    countries=countries,
    hover_cols={"incidents": "Incidents", "significant": "Significant", "severity_weighted": "Severity-weighted"},
    colorbar_title="Incidents" if measure == "incidents" else "Severity sum",
)
chart(figure, by_country, key="inc_map", tlp=summary["tlp"], stem="incidents_by_country")
if measure == "severity_weighted":
    st.caption(f"Sum of the incidents' severity levels; incidents {SEVERITY_UNKNOWN.lower()} add nothing.")

stack = pick_one("Trend stacked by", {"type": "Incident type", "sector": "Sector"}, key="trend_stack")
monthly = incidents_panel.monthly_counts(viewer, flt, stack, period)
figure = charts.build_trend_figure(
    monthly,
    stack_col=stack,
    title=f"Incidents per month by {stack}, with 3-month rolling mean",
    labels=TYPE_NAMES if stack == "type" else SECTOR_NAMES,
)
chart(figure, monthly, key="inc_trend", tlp=summary["tlp"], stem=f"incidents_by_month_{stack}")

matrix = cached(read.sector_type_counts, viewer, flt)
figure = charts.build_heatmap(
    matrix,
    "type_id",
    "sector_id",
    "incidents",
    x_labels=TYPE_NAMES,
    y_labels=SECTOR_NAMES,
    title="Sector × incident type",
    height=640,
)
chart(figure, matrix, key="inc_heatmap", tlp=summary["tlp"], stem="sector_by_type")
incidents_panel.dyad_chart(cached(read.dyad_counts, viewer, flt, 15), key="inc_dyads", tlp=summary["tlp"])

st.subheader("Incident details")
incidents_panel.incident_details(
    viewer,
    flt,
    500,
    total=summary["incidents"],
    stem="incidents",
    tlp=summary["tlp"],
    title="Incidents",
    key="inc_rows",
)

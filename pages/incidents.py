"""Incidents: map, monthly trend, sector x type heatmap, top dyads, and the filtered table with downloads."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_INCIDENTS)

import streamlit as st

from dashboard.analysis import analytics
from dashboard.app import ui
from dashboard.present import charts, maps

view = ui.filter_bar(viewer, fields=("track", "period", "countries", "sectors", "types", "severity"))
as_of = ui.as_of(viewer)
period = view.window(as_of)
flt = view.incident_filter(viewer, period)
summary = ui.query("queries.incident_summary", viewer, flt)

st.title("Incidents")
st.caption(f"{ui.track_label(view)} · {period.start:%d %b %Y} – {period.end:%d %b %Y}")
ui.synthetic_notice(viewer)
ui.tlp_banner(summary["tlp"])
if summary["incidents"] == 0:
    st.info("No incidents match these filters. Widen the period or remove a filter in the sidebar.")
    st.stop()
ui.kpi_row(
    [
        ("Incidents", f"{summary['incidents']:,}", None),
        ("Significant (severity 3+)", f"{summary['significant']:,}", None),
        ("Countries affected", f"{summary['countries']:,}", None),
    ]
)

measure = st.radio(
    "Map shows",
    ["incidents", "severity_weighted"],
    horizontal=True,
    key="map_measure",
    format_func={"incidents": "Number of incidents", "severity_weighted": "Severity-weighted"}.get,
)
by_country = ui.query("queries.incident_counts_by_country", viewer, flt)
countries = ui.query("queries.track_countries", viewer, view.tracks(viewer))
figure = maps.build_country_map(
    by_country,
    measure,
    title="Incidents by target country",
    countries=countries,
    hover_cols={"incidents": "Incidents", "significant": "Significant", "severity_weighted": "Severity-weighted"},
    colorbar_title="Incidents" if measure == "incidents" else "Severity sum",
)
ui.chart(figure, by_country, key="inc_map", tlp=summary["tlp"], stem="incidents_by_country")

stack = st.radio(
    "Trend stacked by",
    ["type", "sector"],
    horizontal=True,
    key="trend_stack",
    format_func={"type": "Incident type", "sector": "Sector"}.get,
)
monthly = ui.query("queries.incident_counts_by_month_and", viewer, flt, stack).rename(columns={"key": stack})
start = period.start if period.days < 3650 else analytics.first_month(monthly, period.end)
monthly = analytics.complete_months(monthly, start, period.end, key=stack)
figure = charts.build_trend_figure(
    monthly,
    stack_col=stack,
    title=f"Incidents per month by {stack}, with 3-month rolling mean",
    labels=ui.TYPE_NAMES if stack == "type" else ui.SECTOR_NAMES,
)
ui.chart(figure, monthly, key="inc_trend", tlp=summary["tlp"], stem=f"incidents_by_month_{stack}")

matrix = ui.query("queries.sector_type_counts", viewer, flt)
figure = charts.build_heatmap(
    matrix,
    "type_id",
    "sector_id",
    "incidents",
    x_labels=ui.TYPE_NAMES,
    y_labels=ui.SECTOR_NAMES,
    title="Sector × incident type",
    height=640,
)
ui.chart(figure, matrix, key="inc_heatmap", tlp=summary["tlp"], stem="sector_by_type")

dyads = ui.query("queries.dyad_counts", viewer, flt, 15)
dyads = dyads.rename(
    columns={
        "initiator": "initiator_iso3",
        "target": "target_iso3",
        "initiator_name": "initiator",
        "target_name": "target",
    }
)
ui.chart(charts.build_dyad_bar(dyads, top=15), dyads, key="inc_dyads", tlp=summary["tlp"], stem="dyads")

st.subheader("Incident details")
rows = ui.query("queries.incident_rows", viewer, flt, 500)
st.caption(
    f"All {len(rows):,} matching incidents."
    if len(rows) == summary["incidents"]
    else f"The {len(rows):,} most recent of {summary['incidents']:,} matching incidents; downloads hold them all."
)
ui.incident_table(rows)
ui.downloads(
    lambda: ui.fetch("queries.incident_rows", viewer, flt, None),
    stem="incidents",
    tlp=summary["tlp"],
    title="Incidents",
    key="inc_rows",
)

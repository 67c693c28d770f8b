"""Track briefing (landing page): what changed in the period, where incidents surge, norms and partnerships."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_BRIEFING)

import streamlit as st

from dashboard.app import ui
from dashboard.present import charts, maps

view = ui.filter_bar(viewer, fields=("track", "period"))
as_of = ui.as_of(viewer)
brief = ui.query("briefing.build_briefing", viewer, view, as_of)

st.title("Track briefing")
st.caption(
    f"{ui.track_label(view)} · {brief.period.start:%d %b %Y} – {brief.period.end:%d %b %Y}, "
    f"compared with the {brief.period.days} days before · as of {as_of:%d %b %Y}"
)
ui.synthetic_notice(viewer)
ui.tlp_banner(brief.tlp)
if brief.empty:
    st.info(
        "Nothing to brief on yet for these tracks. Coordinators can upload incidents, norm assessments and "
        "partnerships; try a longer period if data exists for earlier years."
    )
    st.stop()

ui.headline_row(brief.headlines)
ui.briefing_downloads(viewer, view, as_of, brief.period.days, brief.tlp)

left, right = st.columns([3, 2])
with left:
    countries = ui.query("queries.track_countries", viewer, view.tracks(viewer))
    figure = maps.build_country_map(
        brief.by_country,
        "incidents",
        title="Incidents by target country",
        countries=countries,
        hover_cols={"significant": "Significant"},
        colorbar_title="Incidents",
    )
    ui.chart(figure, brief.by_country, key="brief_map", tlp=brief.tlp, stem="incidents_by_country")
with right:
    trend = charts.build_trend_figure(
        brief.monthly,
        stack_col="type",
        title="Incidents per month by type",
        labels=ui.TYPE_NAMES,
        height=520,
        legend_below=True,
    )
    ui.chart(trend, brief.monthly, key="brief_trend", tlp=brief.tlp, stem="incidents_by_month")

left, right = st.columns(2)
with left:
    figure = charts.build_movers_bar(brief.country_movers, "name", "change", "Countries: largest change")
    ui.chart(figure, brief.country_movers, key="brief_country_movers", tlp=brief.tlp, stem="country_movers")
with right:
    movers = brief.sector_movers.assign(sector=brief.sector_movers["sector_id"].map(ui.SECTOR_NAMES))
    figure = charts.build_movers_bar(movers, "sector", "change", "Sectors: largest change")
    ui.chart(figure, movers, key="brief_sector_movers", tlp=brief.tlp, stem="sector_movers")

st.subheader("Watchlist")
ui.signal_list(ui.watchlist_signals(viewer, view.tracks(viewer), as_of), limit=5)
ui.link("/watchlist", "All signals on the watchlist page")

left, right = st.columns(2)
with left:
    st.subheader("Norm adherence")
    ui.norm_summary(brief)
with right:
    st.subheader("Partnerships and hotlines")
    ui.partnership_summary(brief)

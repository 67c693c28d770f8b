"""Track briefing (landing page): what changed in the period, where incidents surge, norms and partnerships."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_BRIEFING)

import streamlit as st

from dashboard import read
from dashboard.analysis import briefing
from dashboard.app import briefing_panel, watchlist_panel
from dashboard.app.chart_panel import chart
from dashboard.app.context import as_of_date, cached
from dashboard.app.filter_bar import filter_bar
from dashboard.app.widgets import link, synthetic_notice, tlp_banner
from dashboard.present import charts, maps
from dashboard.present.labels import SECTOR_NAMES, TYPE_NAMES, track_label

view = filter_bar(viewer, fields=("track", "period"))
as_of = as_of_date(viewer)
brief = cached(briefing.build_briefing, viewer, view, as_of)

st.title("Track briefing")
st.caption(
    f"{track_label(view.track)} · {brief.period.start:%d %b %Y} – {brief.period.end:%d %b %Y}, "
    f"compared with the {brief.period.days:,} days before · as of {as_of:%d %b %Y}"
)
synthetic_notice(viewer)
tlp_banner(brief.tlp)
if brief.empty:
    st.info(
        "Nothing to brief on yet for these tracks. Coordinators can upload incidents, norm assessments and "
        "partnerships; try a longer period if data exists for earlier years."
    )
    st.stop()

briefing_panel.headline_row(brief.headlines)
briefing_panel.events_line(brief)
briefing_panel.briefing_downloads(viewer, view, as_of, brief.period.days, brief.tlp)

left, right = st.columns([3, 2])
with left:
    countries = cached(read.track_countries, viewer, view.tracks(viewer))
    figure = maps.build_country_map(
        brief.by_country,
        "incidents",
        title="Incidents by target country",
        countries=countries,
        hover_cols={"significant": "Significant"},
        colorbar_title="Incidents",
    )
    chart(figure, brief.by_country, key="brief_map", tlp=brief.tlp, stem="incidents_by_country")
with right:
    trend = charts.build_trend_figure(
        brief.monthly,
        stack_col="type",
        title="Incidents per month by type",
        labels=TYPE_NAMES,
        height=520,
        legend_below=True,
    )
    chart(trend, brief.monthly, key="brief_trend", tlp=brief.tlp, stem="incidents_by_month")

left, right = st.columns(2)
with left:
    figure = charts.build_movers_bar(brief.country_movers, "name", "change", "Countries: largest change")
    chart(figure, brief.country_movers, key="brief_country_movers", tlp=brief.tlp, stem="country_movers")
with right:
    movers = brief.sector_movers.assign(sector=brief.sector_movers["sector_id"].map(SECTOR_NAMES))
    figure = charts.build_movers_bar(movers, "sector", "change", "Sectors: largest change")
    chart(figure, movers, key="brief_sector_movers", tlp=brief.tlp, stem="sector_movers")

st.subheader("Watchlist")
watchlist_panel.signal_list(watchlist_panel.watchlist_signals(viewer, view.tracks(viewer), as_of), limit=5)
link("/watchlist", "All signals on the watchlist page")

left, right = st.columns(2)
with left:
    st.subheader("Norm adherence")
    briefing_panel.norm_summary(brief)
with right:
    st.subheader("Partnerships and hotlines")
    briefing_panel.partnership_summary(brief)

"""Country profile: one state across incidents received and initiated, norms and CBMs, and partnerships."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_COUNTRY)

import streamlit as st

from dashboard.analysis import analytics
from dashboard.app import ui
from dashboard.present import charts

view = ui.filter_bar(viewer, fields=("track", "period"))
tracks = view.tracks(viewer)
country = ui.country_picker(viewer, tracks)
if country is None:
    st.title("Country profile")
    st.info("No countries in these tracks.")
    st.stop()
iso3, name, member_of = country
as_of = ui.as_of(viewer)
period = view.window(as_of)
received_filter = view.incident_filter(viewer, period, countries=frozenset({iso3}))
received = ui.query("queries.incident_summary", viewer, received_filter)
initiated = ui.query("queries.incident_initiated_counts", viewer, view.incident_filter(viewer, period), iso3)
status = ui.query("queries.norm_status_as_of", viewer, None, tracks, frozenset({iso3}))
partnerships = ui.query("queries.partnership_rows", viewer, tracks, frozenset({iso3}))

st.title(name)
st.caption(f"Member of: {member_of} · {period.start:%d %b %Y} – {period.end:%d %b %Y}")
ui.synthetic_notice(viewer)
ui.tlp_banner(ui.strictest_of(received["tlp"], ui.strictest(status), ui.strictest(partnerships)))
if received["incidents"] == 0 and status.empty and partnerships.empty and initiated.empty:
    st.info(f"Nothing recorded for {name} in these tracks and this period. Try a longer period or another track.")
    st.stop()
shares = analytics.latest_shares(ui.query("queries.norm_round_shares", viewer, tracks, frozenset({iso3})))
ui.kpi_row(
    [
        ("Incidents received", f"{received['incidents']:,}", "Incidents that hit this country in the period."),
        ("Significant received", f"{received['significant']:,}", "Severity 3 or above."),
        (
            "Initiated (suspected)",
            f"{int(initiated['incidents'].sum()):,}",
            "Incidents in which this state is named as the suspected initiator, by target.",
        ),
        (
            "Items implemented",
            f"{shares['share'].iloc[0]:.0%}" if not shares.empty else "–",
            "Share of assessed items implemented in the latest round.",
        ),
        ("Partnerships", f"{len(partnerships):,}", None),
    ]
)

left, right = st.columns([3, 2])
with left:
    monthly = ui.query("queries.incident_counts_by_month_and", viewer, received_filter, "type")
    monthly = monthly.rename(columns={"key": "type"})
    start = period.start if period.days < 3650 else analytics.first_month(monthly, period.end)
    monthly = analytics.complete_months(monthly, start, period.end, key="type")
    figure = charts.build_trend_figure(
        monthly,
        stack_col="type",
        title="Incidents received per month",
        labels=ui.TYPE_NAMES,
        height=460,
        legend_below=True,
    )
    ui.chart(figure, monthly, key="cp_trend", tlp=received["tlp"], stem=f"{iso3}_incidents_by_month")
with right:
    if initiated.empty:
        st.markdown("**Suspected as initiator**")
        st.write(f"{name} is not named as the suspected initiator of any visible incident in this period.")
    else:
        figure = charts.build_count_bar(
            initiated.head(15), "target_name", "incidents", title="Suspected as initiator: targets"
        )
        ui.chart(figure, initiated, key="cp_initiated", stem=f"{iso3}_initiated")

st.subheader("Norms and CBMs")
if status.empty:
    st.write("No assessments for this state in these tracks.")
else:
    ui.evidence_table(status)

st.subheader("Partnerships and hotlines")
if partnerships.empty:
    st.write("No partnerships recorded for this state in these tracks.")
else:
    ui.partnership_table(partnerships)

st.subheader("Recent incidents received")
rows = ui.query("queries.incident_rows", viewer, received_filter, 200)
ui.incident_table(rows)
ui.downloads(
    lambda: ui.fetch("queries.incident_rows", viewer, received_filter, None),
    stem=f"{iso3}_incidents",
    tlp=received["tlp"],
    title=f"Incidents received: {name}",
    key="cp_rows",
)

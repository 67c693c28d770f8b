"""Norms and CBMs: status matrix with evidence, adherence map, trajectories, CBM tracker, changes since last round."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_NORMS)

import streamlit as st

from dashboard.analysis import analytics
from dashboard.app import ui
from dashboard.present import charts, maps

view = ui.filter_bar(viewer, fields=("track", "countries"))
tracks = view.tracks(viewer)
countries = frozenset(view.countries)
status = ui.query("queries.norm_status_as_of", viewer, None, tracks, countries)
rounds = ui.query("queries.norm_rounds", viewer, tracks)

st.title("Norms and CBMs")
st.caption(f"{ui.track_label(view)} · UN norms of responsible state behaviour, OSCE cyber CBMs, ARF measures")
ui.synthetic_notice(viewer)
ui.tlp_banner(ui.strictest(status))
if status.empty:
    st.info("No norm or CBM assessments for these tracks and countries yet. Coordinators can upload them.")
    st.stop()

shares = ui.query("queries.norm_round_shares", viewer, tracks, countries)
latest = analytics.latest_shares(shares)
st.caption(f"Latest status per state and item; {len(rounds)} assessment rounds, the last on {rounds[-1]:%d %b %Y}.")

left, right = st.columns([3, 2])
with left:
    track_countries = ui.query("queries.track_countries", viewer, tracks)
    figure = maps.build_country_map(
        latest.assign(percent=(latest["share"] * 100).round(0)),
        "percent",
        title="Share of items implemented",
        countries=track_countries,
        hover_cols={"implemented": "Implemented", "assessed": "Assessed"},
        colorbar_title="% implemented",
    )
    ui.chart(figure, latest, key="norm_map", stem="norm_adherence")
with right:
    trajectory = analytics.trajectory(shares)
    ui.trajectory_chart(trajectory, key="norm_trajectory")

items = ui.framework_items()
for framework, label in ui.framework_tabs(tracks):
    with st.expander(label, expanded=framework == "un-norms"):
        part = status[status["framework_id"] == framework]
        figure = charts.build_norm_matrix(part, items=items, countries=track_countries, title=label)
        ui.chart(figure, part, key=f"norm_matrix_{framework}", stem=f"norm_status_{framework}")

st.subheader("What changed since the previous round")
if len(rounds) < 2:
    st.write("Only one assessment round so far.")
else:
    before = ui.query("queries.norm_status_as_of", viewer, rounds[-2], tracks, countries)
    after = ui.query("queries.norm_status_as_of", viewer, rounds[-1], tracks, countries)
    changes = analytics.norm_changes(before, after)
    ups, downs = (changes["direction"] == "up").sum(), (changes["direction"] == "down").sum()
    st.markdown(
        f"{rounds[-2]:%d %b %Y} → {rounds[-1]:%d %b %Y}: **{ups} items moved forward**, **{downs} moved back**."
    )
    ui.norm_changes_table(changes)

st.subheader("Evidence")
ui.evidence_table(status)
ui.downloads(lambda: status, stem="norm_status", tlp=ui.strictest(status), title="Norm and CBM status", key="norm_rows")

"""Watchlist: signals of tension building (surges, norms under strain, hotline gaps, partnership lapses)."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_WATCHLIST)

import streamlit as st

from dashboard.app import ui

view = ui.filter_bar(viewer, fields=("track",))
tracks = view.tracks(viewer)
as_of = ui.as_of(viewer)
signals = ui.watchlist_signals(viewer, tracks, as_of)
th = ui.settings().watchlist_thresholds()

st.title("Watchlist")
st.caption(
    f"{ui.track_label(view)} · as of {as_of:%d %b %Y} · surges: the last {th.recent_days} days against the "
    f"{th.baseline_days} days before, one-sided Poisson test, at least {th.min_count} incidents, "
    f"{th.min_rate_ratio:g}x the usual rate and p ≤ {th.max_p_value:g}"
)
ui.synthetic_notice(viewer)
ui.tlp_banner(ui.query("queries.strictest_tlp", viewer))
shown = ui.signal_filter(signals)
ui.signal_list(shown)
ui.signal_download(shown, ui.query("queries.strictest_tlp", viewer))

"""Watchlist: signals of tension building (surges, norms under strain, hotline gaps, partnership lapses)."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_WATCHLIST)

import streamlit as st

from dashboard import read
from dashboard.app import watchlist_panel, watchlist_visits
from dashboard.app.context import as_of_date, cached, settings
from dashboard.app.filter_bar import filter_bar
from dashboard.app.widgets import synthetic_notice, tlp_banner
from dashboard.present.labels import track_label

view = filter_bar(viewer, fields=("track",))
tracks = view.tracks(viewer)
as_of = as_of_date(viewer)
every = watchlist_panel.tracked_signals(viewer, as_of)  # all the viewer's tracks: a visit remembers them all
visit = watchlist_visits.last_visit(viewer, every)
signals = [s for s in every if s.track in tracks]
th = settings().watchlist_thresholds()

st.title("Watchlist")
st.caption(
    f"{track_label(view.track)} · as of {as_of:%d %b %Y} · surges: the last {th.recent_days:,} days against the "
    f"{th.baseline_days:,} days before, one-sided Poisson test, at least {th.min_count:,} incidents, "
    f"{th.min_rate_ratio:g}x the usual rate and p ≤ {th.max_p_value:g}"
)
watchlist_panel.priority_caption(signals, visit)
synthetic_notice(viewer)
tlp_banner(cached(read.strictest_tlp, viewer))
shown, searching = watchlist_panel.signal_search(watchlist_panel.signal_filter(signals))
watchlist_panel.signal_groups(shown, as_of, visit, searching=searching)
watchlist_panel.signal_download(shown, cached(read.strictest_tlp, viewer))

"""Watchlist: signals of tension building (surges, norms under strain, hotline gaps, partnership lapses)."""

from __future__ import annotations

from dashboard.auth import Permission, require

viewer = require(Permission.VIEW_WATCHLIST)

import pandas as pd
import streamlit as st

from dashboard import ui

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
counts = pd.Series([s.kind for s in signals]).value_counts() if signals else pd.Series(dtype=int)
ui.kpi_row([(label, f"{int(counts.get(kind, 0)):,}", None) for kind, label in ui.SIGNAL_KINDS.items()])
kinds = st.multiselect(
    "Show", list(ui.SIGNAL_KINDS), default=list(ui.SIGNAL_KINDS), format_func=ui.SIGNAL_KINDS.get, key="wl_kinds"
)
shown = [s for s in signals if s.kind in kinds]
ui.signal_list(shown)
if shown:
    table = pd.DataFrame(
        [
            {
                "kind": ui.SIGNAL_KINDS[s.kind],
                "subject": s.subject,
                "strength": round(s.strength, 1),
                "explanation": s.explanation,
                **{f"figure_{k}": v for k, v in s.figures.items()},
            }
            for s in shown
        ]
    )
    ui.downloads(
        lambda: table, stem="watchlist", tlp=ui.query("queries.strictest_tlp", viewer), title="Watchlist", key="wl_rows"
    )

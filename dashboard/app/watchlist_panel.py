"""The watchlist: signals for the viewer (cached with the data), their list, a filter by kind and a download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.analysis import watchlist
from dashboard.app.chart_panel import downloads
from dashboard.app.context import cached, settings
from dashboard.app.widgets import kpi_row, link, plain
from dashboard.core.access import Viewer
from dashboard.present.labels import SIGNAL_KINDS


def watchlist_signals(viewer: Viewer, tracks: frozenset[str], as_of: dt.date) -> list[Any]:
    """The viewer's watchlist (cached with the data)."""
    return cached(watchlist.build_watchlist, viewer, tracks, as_of, settings().watchlist_thresholds())


def signal_list(signals: Sequence[Any], *, limit: int | None = None) -> None:
    """Signals, strongest first: what, why (with the figures) and a link to the view behind it."""
    if not signals:
        st.info("No signals: nothing in these tracks stands out against its own history.")
        return
    for s in signals[:limit]:
        with st.container(border=True):
            st.markdown(f"**{SIGNAL_KINDS[s.kind]}: {plain(s.subject)}**")
            st.text(s.explanation)  # plain text: subjects come from data
            if s.link:
                link(s.link, "Open the view behind this signal")


def signal_filter(signals: Sequence[Any]) -> list[Any]:
    """Counts per kind of signal, and a choice of which kinds to show."""
    counts = pd.Series([s.kind for s in signals]).value_counts() if signals else pd.Series(dtype=int)
    kpi_row([(label, f"{int(counts.get(kind, 0)):,}", None) for kind, label in SIGNAL_KINDS.items()])
    kinds = st.multiselect(
        "Show", list(SIGNAL_KINDS), default=list(SIGNAL_KINDS), format_func=SIGNAL_KINDS.get, key="wl_kinds"
    )
    return [s for s in signals if s.kind in kinds]


def signal_download(signals: Sequence[Any], tlp: str | None) -> None:
    """The shown signals with their figures, as CSV and XLSX."""
    if not signals:
        return
    frame = pd.DataFrame(
        [
            {
                "kind": SIGNAL_KINDS[s.kind],
                "subject": s.subject,
                "strength": round(s.strength, 1),
                "explanation": s.explanation,
                **{f"figure_{k}": v for k, v in s.figures.items()},
            }
            for s in signals
        ]
    )
    downloads(lambda: frame, stem="watchlist", tlp=tlp, title="Watchlist", key="wl_rows", rows=len(frame))

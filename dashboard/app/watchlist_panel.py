"""The watchlist: signals for the viewer (cached with the data), their list, a filter by kind, a search, groups by
kind and track in priority order, and a download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.analysis import watchlist, watchlist_triage
from dashboard.analysis.watchlist_triage import KIND_SEVERITY, PRIORITY_FORMULA
from dashboard.app.chart_panel import downloads
from dashboard.app.context import cached, settings
from dashboard.app.watchlist_visits import LastVisit
from dashboard.app.widgets import kpi_row, link, plain
from dashboard.core.access import Viewer
from dashboard.present.labels import NEW_SIGNAL, SIGNAL_KINDS, track_label
from dashboard.present.palette import NEW_BADGE


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
                "track": track_label(s.track) if s.track else "",
                "subject": s.subject,
                "strength": round(s.strength, 1),
                "explanation": s.explanation,
                **{f"figure_{k}": v for k, v in s.figures.items()},
            }
            for s in signals
        ]
    )
    downloads(lambda: frame, stem="watchlist", tlp=tlp, title="Watchlist", key="wl_rows", rows=len(frame))


def tracked_signals(viewer: Viewer, as_of: dt.date) -> list[Any]:
    """The watchlist of each of the viewer's tracks, every signal naming its track (cached with the data)."""
    th = settings().watchlist_thresholds()
    return cached(watchlist_triage.tracked_watchlist, viewer, frozenset(viewer.tracks), as_of, th)


def priority_caption(signals: Sequence[Any], visit: LastVisit) -> None:
    """How signals are ranked (the formula, once) and how many are new since the viewer's last visit."""
    weights = ", ".join(f"{SIGNAL_KINDS[k].lower()} {w:g}" for k, w in KIND_SEVERITY.items())
    if visit.at is None:
        since = "This is your first visit: later visits mark the signals that appeared since."
    else:
        new = sum(visit.is_new(s) for s in signals)
        since = f"{new:,} new since your last visit ({visit.at:%d %b %Y %H:%M} UTC)."
    st.caption(f"{PRIORITY_FORMULA} ({weights}). {since}")


def signal_search(signals: Sequence[Any]) -> tuple[list[Any], bool]:
    """A search box: the signals whose country, sector, dyad or hotline (subject or explanation) hold the text,
    and whether a search narrows them."""
    text = st.text_input("Search", key="wl_search", placeholder="Country, sector, dyad or hotline")
    return [s for s in signals if watchlist_triage.matches(s, text)], bool(text.strip())


def signal_groups(signals: Sequence[Any], as_of: dt.date, visit: LastVisit, *, searching: bool = False) -> None:
    """Signals grouped by kind and track, highest priority first; groups collapsed unless a search narrows them."""
    if not signals:
        st.info(
            "No signal matches the search."
            if searching
            else "No signals: nothing in these tracks stands out against its own history."
        )
        return
    for group in watchlist_triage.groups(signals, as_of):
        new = sum(visit.is_new(s) for s in group.signals)
        header = (
            f"{SIGNAL_KINDS[group.kind]} · {track_label(group.track)} · {len(group.signals):,} "
            f"signal{'s' if len(group.signals) != 1 else ''} · top priority {group.top:.1f}"
            + (f" · {new:,} {NEW_SIGNAL.lower()}" if new else "")
        )
        with st.expander(header, expanded=searching):
            for s in group.signals:
                _signal_card(s, as_of, visit)


def _signal_card(s: Any, as_of: dt.date, visit: LastVisit) -> None:
    with st.container(border=True):
        if visit.is_new(s):
            st.badge(NEW_SIGNAL, color=NEW_BADGE)
        st.markdown(f"**{SIGNAL_KINDS[s.kind]}: {plain(s.subject)}**")
        st.text(s.explanation)  # plain text: subjects come from data
        st.caption(f"Priority {watchlist_triage.priority(s, as_of):.1f}")
        if s.link:
            link(s.link, "Open the view behind this signal")

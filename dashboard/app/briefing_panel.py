"""Parts of the track briefing: headline metrics, norm and partnership summaries, and the briefing downloads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.app.context import engine
from dashboard.app.download_audit import BRIEFING_EXPORT, audited
from dashboard.app.norms_panel import named_changes
from dashboard.app.widgets import columns_table
from dashboard.core.access import Viewer
from dashboard.core.filters import TRACK_BOTH, ViewFilter
from dashboard.export import tables as exports
from dashboard.present.labels import KIND_NAMES, KIND_PLURALS, inferred_links_note, period_events_line
from dashboard.present.markdown import escape_markdown


def headline_row(headlines: Sequence[Any]) -> None:
    """Metrics with their change against the previous period (more incidents shown as bad)."""
    bad_when_up = {"Incidents", "Significant incidents", "Countries affected"}
    for column, h in zip(st.columns(len(headlines)), headlines):
        delta = h.delta
        column.metric(
            h.label,
            f"{h.current:,}",
            delta=delta.label() if delta else None,
            delta_color=("inverse" if h.label in bad_when_up else "normal") if delta and delta.change else "off",
            help=h.help,
        )


def events_line(brief: Any) -> None:
    """The one line on new attributions and responses in the period (the same words as the PDF and the HTML)."""
    counts = getattr(brief, "event_counts", None)
    if counts is not None:
        st.markdown(escape_markdown(period_events_line(counts)))  # our words and numbers; escaped all the same


def norm_summary(brief: Any) -> None:
    """A short norm-adherence summary: strongest and weakest states, and downgrades since the previous round."""
    shares = brief.norm_shares
    if getattr(brief, "inferred_norm_links", 0):
        st.caption(inferred_links_note(brief.inferred_norm_links))
    if shares.empty:
        st.write("No norm or CBM assessments in these tracks yet.")
        return
    top = ", ".join(f"{escape_markdown(r.country)} ({r.share:.0%})" for r in shares.head(3).itertuples())
    bottom = ", ".join(f"{escape_markdown(r.country)} ({r.share:.0%})" for r in shares.tail(3).iloc[::-1].itertuples())
    st.markdown(
        f"Median share of norm and CBM items implemented in the latest round: **{shares['share'].median():.0%}** "
        f"across {len(shares)} states.  \nMost advanced: {top}.  \nLeast advanced: {bottom}."
    )
    downgrades = brief.norm_downgrades
    if downgrades.empty:
        st.write("No state moved back on any item since the previous round.")
        return
    st.markdown(f"**{len(downgrades)} items moved back** since the previous round:")
    columns_table(
        named_changes(downgrades),
        {"country": "Country", "code": "Item", "framework_id": "Framework", "before": "Before", "after": "Now"},
        height=180,
    )


def partnership_summary(brief: Any) -> None:
    """A short partnership summary: active ones by kind, and hotlines not tested in over 12 months."""
    kinds = brief.partnership_kinds
    if kinds.empty:
        st.write("No active partnerships in these tracks.")
    else:
        st.markdown(
            "Active now: "
            + ", ".join(
                f"**{r.partnerships:,}** {KIND_PLURALS[r.kind] if r.partnerships != 1 else KIND_NAMES[r.kind].lower()}"
                for r in kinds.itertuples()
            )
            + "."
        )
    stale = brief.stale_hotlines
    if stale.empty:
        st.write("Every hotline was tested in the last 12 months.")
        return
    st.markdown(f"**{len(stale)} hotlines** not tested in the last 12 months or never tested:")
    shown = stale.assign(last=stale["last_tested"].map(lambda d: "never" if d is None or pd.isna(d) else str(d)))
    columns_table(shown, {"name": "Hotline", "status": "Status", "last": "Last tested"}, height=180)


def briefing_downloads(viewer: Viewer, view: ViewFilter, as_of: dt.date, period_days: int, tlp: str | None) -> None:
    """PDF and HTML downloads of the briefing (rendered when pressed; charts drawn offline)."""
    from dashboard.app.download_guard import when_still_valid
    from dashboard.core.access import Permission
    from dashboard.export.briefing import export_briefing

    if not viewer.can(Permission.EXPORT_BRIEFING):
        return
    track = None if view.track == TRACK_BOTH else view.track
    stem = f"briefing_{view.track}_{as_of.isoformat()}"
    left, right, _ = st.columns([1, 1, 4])
    for column, fmt, mime in ((left, "pdf", "application/pdf"), (right, "html", "text/html")):
        name = exports.file_name(stem, tlp, fmt)
        column.download_button(
            f"Briefing ({fmt.upper()})",
            when_still_valid(
                lambda fmt=fmt: (
                    export_briefing(engine(), viewer, fmt=fmt, track=track, as_of=as_of, period_days=period_days).data
                )
            ),
            file_name=name,
            mime=mime,
            key=f"briefing_{fmt}",
            width="stretch",
            **audited(
                name,
                tlp,
                action=BRIEFING_EXPORT,
                format=fmt,
                track=view.track,
                as_of=as_of.isoformat(),
                period_days=period_days,
            ),
        )

"""Parts of the country profile: its headline metrics and the targets of incidents it is suspected of initiating."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.app.chart_panel import chart
from dashboard.app.widgets import kpi_row
from dashboard.core.access import Viewer
from dashboard.core.periods import Period
from dashboard.present.markdown import escape_markdown


def country_kpis(
    received: dict[str, Any], initiated: pd.DataFrame, shares: pd.DataFrame, partnerships: pd.DataFrame
) -> None:
    """Incidents received and initiated, the share of items implemented, and the number of partnerships."""
    kpi_row(
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


def initiated_chart(name: str, iso3: str, initiated: pd.DataFrame, tlp: str | None) -> None:
    """The targets of incidents in which this state is the suspected initiator (or a sentence saying there are none)."""
    from dashboard.present import charts

    if initiated.empty:
        st.markdown("**Suspected as initiator**")
        st.write(
            f"{escape_markdown(name)} is not named as the suspected initiator of any visible incident in this period."
        )
        return
    figure = charts.build_count_bar(
        initiated.head(15), "target_name", "incidents", title="Suspected as initiator: targets"
    )
    chart(figure, initiated, key="cp_initiated", tlp=tlp, stem=f"{iso3}_initiated")


def state_event_frames(viewer: Viewer, iso3: str, tracks: frozenset[str], period: Period) -> dict[str, pd.DataFrame]:
    """The state's attributions and responses in the period (read/event_timeline.state_events), cached."""
    from dashboard.app.context import cached
    from dashboard.read import event_timeline

    flt = event_timeline.EventFilter(tracks=tracks, start=period.start, end=period.end)
    return cached(event_timeline.state_events, viewer, iso3, flt)


def state_events(frames: dict[str, pd.DataFrame], iso3: str) -> None:
    """Attributed by / attributed to, and responses made / received, each with its events and source links."""
    from dashboard.app import responses_panel

    responses_panel.state_events(frames, iso3)

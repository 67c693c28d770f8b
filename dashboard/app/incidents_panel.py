"""Parts of the incident pages: the incident table with its downloads, monthly counts and the top dyads chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import read
from dashboard.analysis import analytics
from dashboard.app.chart_panel import chart, downloads
from dashboard.app.context import cached, fetch
from dashboard.app.widgets import columns_table
from dashboard.core.access import Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.core.periods import Period
from dashboard.core.tlp import TLP_LABELS
from dashboard.present.labels import TYPE_NAMES


def incident_table(rows: pd.DataFrame) -> None:
    """Incident details with readable names and a clickable first source link (text is never rendered as HTML)."""
    shown = rows.assign(
        type=rows["type"].map(TYPE_NAMES),
        source=rows["source_urls"].str.split("; ").str[0].replace("", None),
        tlp=rows["tlp"].map(TLP_LABELS),
    )
    columns_table(
        shown,
        {
            "start_date": st.column_config.DateColumn("Start"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "type": "Type",
            "severity": st.column_config.NumberColumn("Severity", format="%d"),
            "targets": "Targets",
            "initiators": "Suspected initiator states",
            "sectors": "Sectors",
            "initiator_name": "Suspected actor",
            "confidence": "Confidence",
            "tlp": "Marking",
            "source": st.column_config.LinkColumn("Source"),
            "track": "Track",
        },
        height=420,
    )


def incident_details(
    viewer: Viewer,
    flt: IncidentFilter,
    limit: int,
    *,
    stem: str,
    tlp: str | None,
    title: str,
    key: str,
    total: int | None = None,
) -> None:
    """The most recent `limit` matching incidents (said how many of `total` when given), with downloads of all."""
    rows = cached(read.incident_rows, viewer, flt, limit)
    if total is not None:
        st.caption(
            f"All {len(rows):,} matching incidents."
            if len(rows) == total
            else f"The {len(rows):,} most recent of {total:,} matching incidents; downloads hold them all."
        )
    incident_table(rows)
    downloads(lambda: fetch(read.incident_rows, viewer, flt, None), stem=stem, tlp=tlp, title=title, key=key)


def monthly_counts(viewer: Viewer, flt: IncidentFilter, by: str, period: Period) -> pd.DataFrame:
    """Incidents per month and `by` value, every month present (from the first with data for ten-year periods)."""
    monthly = cached(read.incident_counts_by_month_and, viewer, flt, by).rename(columns={"key": by})
    start = period.start if period.days < 3650 else analytics.first_month(monthly, period.end)
    return analytics.complete_months(monthly, start, period.end, key=by)


def dyad_chart(dyads: pd.DataFrame, *, key: str, tlp: str | None, top: int = 15) -> None:
    """The top initiator-target pairs as a bar chart, with the table behind it."""
    from dashboard.present import charts

    dyads = dyads.rename(
        columns={
            "initiator": "initiator_iso3",
            "target": "target_iso3",
            "initiator_name": "initiator",
            "target_name": "target",
        }
    )
    chart(charts.build_dyad_bar(dyads, top=top), dyads, key=key, tlp=tlp, stem="dyads")

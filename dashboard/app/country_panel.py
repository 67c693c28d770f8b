"""Parts of the country profile: its headline metrics and the targets of incidents it is suspected of initiating."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.app.chart_panel import chart
from dashboard.app.widgets import kpi_row
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

"""Parts of the partnerships page: counts by kind, focus and partner type, and the partnership table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.app.widgets import columns_table
from dashboard.core.tlp import TLP_LABELS
from dashboard.present.labels import KIND_NAMES, PARTY_TYPE_NAMES


def _count(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Partnerships per non-empty value of one column."""
    frame = frame[frame[column].notna() & (frame[column] != "")]
    return frame.groupby(column, as_index=False).size().rename(columns={"size": "partnerships"})


def partnership_breakdowns(rows: pd.DataFrame) -> list[tuple[pd.DataFrame, str, str, dict[str, str] | None]]:
    """Counts by kind, by focus and by partner type (a partnership counts once per type): frame, column, title."""
    parties = rows.assign(party_type=rows["party_types"].str.split("; ")).explode("party_type")
    return [
        (_count(rows, "kind"), "kind", "By kind", KIND_NAMES),
        (_count(rows, "focus"), "focus", "By focus", None),
        (_count(parties, "party_type"), "party_type", "By partner type", PARTY_TYPE_NAMES),
    ]


def partnership_table(rows: pd.DataFrame) -> None:
    """Partnerships with readable kinds and links."""
    shown = rows.assign(kind=rows["kind"].map(KIND_NAMES), tlp=rows["tlp"].map(TLP_LABELS))
    columns_table(
        shown,
        {
            "name": st.column_config.TextColumn("Name", width="large"),
            "kind": "Kind",
            "status": "Status",
            "countries": "Countries",
            "parties": "Parties",
            "focus": "Focus",
            "start_date": st.column_config.DateColumn("Start"),
            "end_date": st.column_config.DateColumn("End"),
            "last_tested": st.column_config.DateColumn("Last tested"),
            "funding_usd": st.column_config.NumberColumn("Funding (USD)", format="%,.0f"),
            "tlp": "Marking",
            "url": st.column_config.LinkColumn("Link"),
        },
        height=400,
    )

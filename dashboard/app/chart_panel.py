"""A figure with its accessible alternative (the table behind it, as CSV), and CSV/XLSX download buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.app.widgets import table
from dashboard.export import tables as exports


def downloads(fetch: Callable[[], pd.DataFrame], *, stem: str, tlp: str | None, title: str, key: str) -> None:
    """CSV and XLSX download buttons; the rows are fetched only when a button is pressed."""
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "Download CSV",
        lambda: exports.to_csv_bytes(fetch()),
        file_name=exports.file_name(stem, tlp, "csv"),
        mime="text/csv",
        key=f"{key}_csv",
        width="stretch",
    )
    right.download_button(
        "Download XLSX",
        lambda: exports.to_xlsx_bytes(fetch(), sheet=stem, tlp=tlp, title=title),
        file_name=exports.file_name(stem, tlp, "xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        width="stretch",
    )


def chart(
    figure: Any,
    data: pd.DataFrame,
    *,
    key: str,
    tlp: str | None,
    caption: str | None = None,
    stem: str | None = None,
) -> None:
    """A figure with its accessible alternative: the table behind it, and a CSV download of that table.

    tlp: the strictest marking of the rows the table is built from (None only when there are none); required, so
    that no download is marked TLP:CLEAR by default."""
    from dashboard.present.maps import PLOTLY_CONFIG

    st.plotly_chart(figure, config=PLOTLY_CONFIG, key=key, width="stretch", theme=None)
    with st.expander(caption or "Table behind this chart"):
        table(data)
        st.download_button(
            "Download this table (CSV)",
            lambda: exports.to_csv_bytes(data),  # written when pressed, not on every run of the page
            file_name=exports.file_name(stem or key, tlp, "csv"),
            mime="text/csv",
            key=f"{key}_table_csv",
        )

"""A figure with its accessible alternative (the table behind it, as CSV), and CSV/XLSX download buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.app.download_audit import audited
from dashboard.app.download_guard import when_still_valid
from dashboard.app.widgets import table
from dashboard.export import tables as exports


def downloads(
    fetch: Callable[[], pd.DataFrame], *, stem: str, tlp: str | None, title: str, key: str, rows: int | None = None
) -> None:
    """CSV and XLSX download buttons; the rows are fetched only when a button is pressed, and each press is audited
    (with `rows`, the number of rows the file holds, when the caller knows it)."""
    left, right, _ = st.columns([1, 1, 4])
    csv_name, xlsx_name = exports.file_name(stem, tlp, "csv"), exports.file_name(stem, tlp, "xlsx")
    left.download_button(
        "Download CSV",
        when_still_valid(lambda: exports.to_csv_bytes(fetch())),
        file_name=csv_name,
        mime="text/csv",
        key=f"{key}_csv",
        width="stretch",
        **audited(csv_name, tlp, rows),
    )
    right.download_button(
        "Download XLSX",
        when_still_valid(lambda: exports.to_xlsx_bytes(fetch(), sheet=stem, tlp=tlp, title=title)),
        file_name=xlsx_name,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        width="stretch",
        **audited(xlsx_name, tlp, rows),
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
        name = exports.file_name(stem or key, tlp, "csv")
        st.download_button(
            "Download this table (CSV)",
            when_still_valid(lambda: exports.to_csv_bytes(data)),  # written when pressed, not on every run
            file_name=name,
            mime="text/csv",
            key=f"{key}_table_csv",
            **audited(name, tlp, rows=len(data)),
        )

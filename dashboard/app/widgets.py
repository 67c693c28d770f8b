"""Small shared widgets: the synthetic-data notice, the TLP banner, escaped text, metrics, tables and page links."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import read
from dashboard.app.context import cached
from dashboard.core.access import Viewer
from dashboard.core.tlp import TLP_LABELS
from dashboard.present.markdown import escape_markdown
from dashboard.present.palette import TLP_COLOURS

ALL_LAYERS = ("incidents", "norms", "partnerships")


def synthetic_notice(viewer: Viewer, layers: tuple[str, ...] = ALL_LAYERS) -> None:
    """Say plainly when the rows this page shows (of these layers) come from synthetic demo data, wholly or partly."""
    share = cached(read.synthetic_share, viewer, layers)
    if share == "all":
        st.info(
            "**Synthetic demo data.** The figures on this page come from generated records, not real events. "
            "Upload real datasets or start with `DASHBOARD_DEMO_MODE=false` for a deployment.",
        )
    elif share == "partly":
        st.info(
            "**Partly synthetic demo data.** Real datasets are loaded beside generated demo records, and the "
            "figures on this page count both. Replace the demo data (upload in replace mode) before relying on them.",
        )


def tlp_banner(tlp: str | None) -> None:
    """Show the strictest TLP marking among the rows on the page."""
    if tlp is None:
        return
    colour = TLP_COLOURS[tlp]
    st.markdown(
        f"<div style='background:#000;padding:4px 10px;border-radius:4px;display:inline-block'>"
        f"<span style='color:{colour};font-weight:700;font-family:monospace'>{TLP_LABELS[tlp]}</span>"
        f"<span style='color:#fff;font-size:0.85em'> &nbsp;strictest marking of the data on this page</span></div>",
        unsafe_allow_html=True,
    )


# The one escaping helper (dashboard/present/markdown.py) under the app's short name: text from the URL, the data,
# uploads or users, shown literally through Markdown (no link, image, formatting or auto-linked address).
plain = escape_markdown


def kpi_row(items: list[tuple[str, Any, str | None]]) -> None:
    """A row of metrics: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(items)), items):
        column.metric(label, value, help=help_text)


def pick_one(label: str, names: dict[str, str], key: str) -> str:
    """A horizontal radio over the keys of `names`, shown by their names."""
    return st.radio(label, list(names), horizontal=True, key=key, format_func=names.get)


def show_once(message: str, secret: str) -> None:
    """A success message and a secret (a link, a password) to copy now: it is never stored or shown again."""
    st.success(message)
    st.code(secret, language=None)


def table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """A read-only table without the index; a short table is not padded to the requested height."""
    if "height" in kwargs:
        kwargs["height"] = min(kwargs["height"], 38 + 35 * max(len(frame), 1))
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)


def columns_table(frame: pd.DataFrame, columns: dict[str, Any], **kwargs: Any) -> None:
    """A table of just the given columns, in their order, each with its heading or column config."""
    table(frame[list(columns)], column_config=columns, **kwargs)


def link(target: str, label: str) -> None:
    """A link to another page of the app that keeps the session (a plain link would reload and sign out)."""
    from urllib.parse import parse_qsl, urlsplit

    from dashboard.core.pages import PAGES

    parts = urlsplit(target)
    spec = next((p for p in PAGES if p.url_path == parts.path.strip("/")), None)
    if spec is None:
        return
    st.page_link(str(spec.path), label=label, query_params=dict(parse_qsl(parts.query)) or None)

"""The few shared Streamlit pieces: cached settings and engine, cached scoped queries, banners, KPI rows."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard import queries
from dashboard.access import Viewer
from dashboard.bootstrap import initialise
from dashboard.db import get_engine, schema_is_current
from dashboard.reference import TLP_LABELS
from dashboard.settings import Settings, load_settings

TLP_STYLE = {
    "clear": ("#ffffff", "#1f1f1f"),
    "green": ("#33ff00", "#000000"),
    "amber": ("#ffc000", "#000000"),
    "amber+strict": ("#ffc000", "#000000"),
    "red": ("#ff2b2b", "#000000"),
}


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Settings of this process (read once)."""
    return load_settings()


@st.cache_resource(show_spinner="Preparing the database…")
def engine() -> Engine:
    """The shared engine; on first use the schema is created or upgraded and, in demo mode, demo data seeded."""
    cfg = settings()
    eng = get_engine(cfg.resolved_database_url)
    if not schema_is_current(eng) or cfg.demo_mode:
        initialise(eng, seed_demo=cfg.demo_mode, seed=cfg.demo_seed, incidents=cfg.demo_incidents)
    return eng


@st.cache_data(ttl=600, max_entries=512, show_spinner=False)
def _cached_query(name: str, stamp: str, viewer: Viewer, args: tuple[Any, ...]) -> Any:
    return getattr(queries, name)(engine(), viewer, *args)


def query(name: str, viewer: Viewer, *args: Any) -> Any:
    """Run a function of dashboard.queries for the viewer, cached until the active dataset versions change."""
    stamp = queries.data_stamp(engine())
    return _cached_query(name, stamp, viewer, args)


def synthetic_notice(viewer: Viewer) -> None:
    """Say plainly when the figures come from synthetic demo data."""
    if query("shows_synthetic_data", viewer):
        st.info(
            "**Synthetic demo data.** The figures on this page come from generated records, not real events. "
            "Upload real datasets or start with `DASHBOARD_DEMO_MODE=false` for a deployment.",
        )


def tlp_banner(tlp: str | None) -> None:
    """Show the strictest TLP marking among the rows on the page."""
    if tlp is None:
        return
    background, _colour = TLP_STYLE[tlp]
    st.markdown(
        f"<div style='background:#000;padding:4px 10px;border-radius:4px;display:inline-block'>"
        f"<span style='color:{background};font-weight:700;font-family:monospace'>{TLP_LABELS[tlp]}</span>"
        f"<span style='color:#fff;font-size:0.85em'> &nbsp;strictest marking of the data on this page</span></div>",
        unsafe_allow_html=True,
    )


def kpi_row(items: list[tuple[str, Any, str | None]]) -> None:
    """A row of metrics: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(items)), items):
        column.metric(label, value, help=help_text)


def table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """A read-only table without the index."""
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)

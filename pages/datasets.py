"""Datasets: visible rows per track and layer, and the dataset versions behind them."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_DATASETS)

import streamlit as st

from dashboard import read
from dashboard.app.actors_panel import actors_section
from dashboard.app.context import cached
from dashboard.app.widgets import columns_table, kpi_row, synthetic_notice, tlp_banner
from dashboard.core.access import Role
from dashboard.present.labels import WITHHELD_REASONS

st.title("Datasets")
st.caption("Cyber incidents, norm adherence and partnerships for the Indo-Pacific and Eastern Europe dialogue tracks.")
synthetic_notice(viewer)

counts = cached(read.layer_counts, viewer)
tlp_banner(cached(read.strictest_tlp, viewer))

if counts["rows"].sum() == 0:
    st.info("No data yet. A coordinator can upload incidents, norm assessments and partnerships for a track.")

labels = {"incidents": "Incidents", "norms": "Norm assessments", "partnerships": "Partnerships"}
for track, part in counts.groupby("track", sort=True):
    st.subheader(str(track))
    kpi_row([(labels[r.layer], f"{r.rows:,}", None) for r in part.itertuples()])

if viewer.role == Role.ADMIN:  # only administrators are told that stored rows are not counted, and why
    for layer, hidden in cached(read.withheld_rows, viewer).items():
        are = "row is" if hidden == 1 else "rows are"
        st.caption(f"{labels[layer]}: {hidden:,} stored {are} not counted here: {WITHHELD_REASONS[layer]}.")

if viewer.can(Permission.UPLOAD):  # upload counts include rows a reader may not see
    st.subheader("Dataset versions in use")
    versions = cached(read.active_versions, viewer)
    if versions.empty:
        st.write("No dataset versions yet.")
    else:
        columns_table(
            versions,
            {
                "layer": "Layer",
                "track_id": "Track",
                "number": "Version",
                "file_name": "File",
                "uploaded_by": "Uploaded by",
                "uploaded_at": "Uploaded at",
                "rows_visible": "Rows you can see",
                "synthetic": "Synthetic",
            },
        )

actors_section(viewer)

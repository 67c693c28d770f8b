"""Datasets: visible rows per track and layer, and the dataset versions behind them."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.VIEW_DATASETS)

import streamlit as st

from dashboard.app import ui

st.title("Datasets")
st.caption("Cyber incidents, norm adherence and partnerships for the Indo-Pacific and Eastern Europe dialogue tracks.")
ui.synthetic_notice(viewer)

counts = ui.query("layer_counts", viewer)
ui.tlp_banner(ui.query("strictest_tlp", viewer))

if counts["rows"].sum() == 0:
    st.info("No data yet. A coordinator can upload incidents, norm assessments and partnerships for a track.")

labels = {"incidents": "Incidents", "norms": "Norm assessments", "partnerships": "Partnerships"}
for track, part in counts.groupby("track", sort=True):
    st.subheader(str(track))
    ui.kpi_row([(labels[r.layer], f"{r.rows:,}", None) for r in part.itertuples()])

if viewer.can(Permission.UPLOAD):  # upload counts include rows a reader may not see
    st.subheader("Dataset versions in use")
    versions = ui.query("active_versions", viewer)
    if versions.empty:
        st.write("No dataset versions yet.")
    else:
        ui.table(
            versions[
                ["layer", "track_id", "number", "file_name", "uploaded_by", "uploaded_at", "rows_stored", "synthetic"]
            ],
            column_config={
                "layer": "Layer",
                "track_id": "Track",
                "number": "Version",
                "file_name": "File",
                "uploaded_by": "Uploaded by",
                "uploaded_at": "Uploaded at",
                "rows_stored": "Rows stored",
                "synthetic": "Synthetic",
            },
        )

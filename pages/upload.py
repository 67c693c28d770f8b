"""Upload data: choose layer and track, check a file row by row, review the change, commit; versions and rollback."""

from __future__ import annotations

from dashboard.app.auth import Permission, require

viewer = require(Permission.UPLOAD)

import streamlit as st

from dashboard.app import upload_panel
from dashboard.app.context import engine, settings
from dashboard.app.widgets import plain
from dashboard.core.tlp import TLP_LABELS, TLP_ORDER
from dashboard.ingest import pipeline
from dashboard.ingest.clearance import may_mark
from dashboard.present.labels import TRACK_NAMES

st.title("Upload data")
st.caption(
    "Incidents, norm assessments and partnerships for your tracks: CSV, XLSX, Parquet or JSON; our templates, "
    "EuRepoC, CFR Cyber Operations Tracker and DCID 2.0 exports are recognised from their headers."
)

left, middle, right = st.columns(3)
layer = left.selectbox("Layer", pipeline.LAYERS, key="up_layer", format_func=str.capitalize)
track = middle.selectbox("Track", sorted(viewer.tracks), key="up_track", format_func=TRACK_NAMES.get)
markings = [t for t in TLP_ORDER if may_mark(viewer, t)]  # only what the uploader could read back
default_tlp = right.selectbox(
    "Marking of unmarked rows",
    markings,
    index=markings.index("amber") if "amber" in markings else len(markings) - 1,
    key="up_tlp",
    format_func=TLP_LABELS.get,
)
upload_panel.template_downloads(layer)

# One limit: the app's setting, and never more than the server takes (server.maxUploadSize, .streamlit/config.toml).
limit_mb = min(settings().max_upload_mb, int(st.get_option("server.maxUploadSize")))
upload = st.file_uploader(
    "File",
    type=["csv", "tsv", "txt", "xlsx", "parquet", "json"],
    key="up_file",
    help=f"Files up to {limit_mb:,} MB; larger ones are refused before they are read.",
)
st.caption(f"Upload limit: {limit_mb:,} MB a file (setting DASHBOARD_MAX_UPLOAD_MB).")
if upload is None:
    upload_panel.versions_panel(viewer, layer, track)
    st.stop()

data = upload.getvalue()
preset, sheet, mapping = upload_panel.mapping_controls(layer, key="up")
unidentified = upload_panel.unidentified_option(layer, key="up")
try:
    with st.spinner("Checking every row…"):
        prepared = upload_panel.prepare_upload(
            viewer,
            layer=layer,
            track=track,
            name=upload.name,
            data=data,
            preset=preset,
            sheet=sheet,
            mapping=mapping,
            default_tlp=default_tlp,
            store_unidentified=unidentified,
        )
except pipeline.UploadRefused as exc:
    hint = ' Map the columns by hand under "Format, sheet and column mapping" above.'
    st.error(plain(exc) + (hint if isinstance(exc, pipeline.ColumnsNotRecognised) else ""))
    upload_panel.versions_panel(viewer, layer, track)
    st.stop()

upload_panel.upload_report(prepared)
mode = st.radio(
    "How to store it",
    pipeline.MODES,
    horizontal=True,
    key="up_mode",
    format_func={
        "append": "Append: add new rows, update changed ones",
        "replace": "Replace: this file becomes the track's whole layer",
    }.get,
)
counts = prepared.counts
if counts["outside"]:
    st.caption(
        f"{counts['outside']:,} rows involve no member of {TRACK_NAMES[track]}: they are listed in the report "
        '(level "outside the track") and are never stored into this track.'
    )
if counts["profiles"]:
    st.caption(
        f"{counts['profiles']:,} rows profile a threat actor rather than an incident: listed in the report, not stored."
    )
skip = False
if counts["errors"]:
    skip = st.checkbox(
        f"Store the {counts['valid']:,} valid rows and skip the {counts['errors']:,} with errors", key="up_skip"
    )
if mode == "replace" and counts["removed_in_replace"]:
    st.warning(
        f"Replace mode: {counts['removed_in_replace']:,} current rows that are not in this file will no "
        "longer be shown (they stay stored; a rollback brings them back)."
    )
if st.button("Commit as a new version", type="primary", key="up_commit", disabled=bool(counts["errors"]) and not skip):
    progress = st.progress(0.1, text="Storing rows in one transaction…")
    try:
        done = pipeline.commit(engine(), prepared, viewer, mode=mode, skip_invalid=skip)
    except pipeline.UploadRefused as exc:
        progress.empty()
        st.error(f"{plain(exc)} Nothing was written.")
    else:
        progress.progress(1.0, text="Done")
        st.success(upload_panel.committed_message(done, layer, track))
upload_panel.versions_panel(viewer, layer, track)

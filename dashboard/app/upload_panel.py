"""Parts of the upload page: templates, format and mapping controls, the checked upload, its report, versions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import read
from dashboard.app.context import engine, settings
from dashboard.app.download_audit import audited
from dashboard.app.widgets import columns_table, kpi_row, plain, table
from dashboard.core.access import Viewer
from dashboard.export import tables as exports
from dashboard.present.labels import TRACK_NAMES

_PRESETS = {
    "auto": "Recognise from the headers",
    "template": "Our template",
    "eurepoc": "EuRepoC export",
    "cfr": "CFR Cyber Operations Tracker",
    "dcid": "DCID 2.0 (Dyadic Cyber Incident and Campaign Dataset)",
}


def template_downloads(layer: str) -> None:
    """Download our template for the layer, with its documented columns."""
    from dashboard import DATA_DIR
    from dashboard.ingest.templates import EVENT_TEMPLATES, TEMPLATES, incidents_workbook

    with st.expander(f"Our {layer} template: columns and a file to start from"):
        st.download_button(
            f"Download {layer}.csv template",
            (DATA_DIR / "templates" / f"{layer}.csv").read_bytes(),
            file_name=f"{layer}_template.csv",
            mime="text/csv",
            key=f"template_{layer}",
        )
        if layer == "incidents":
            st.download_button(
                "Download the incidents workbook (XLSX: incidents, attributions, responses)",
                incidents_workbook(DATA_DIR / "templates"),
                file_name="incidents_template.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key=f"template_{layer}_xlsx",
            )
            st.caption(
                "In the workbook, the attributions and responses sheets add events to the incidents of the first "
                "sheet by their source_id; they are checked with the rest of the upload and stored with it."
            )
        table(
            pd.DataFrame(
                [
                    {
                        "column": c.name,
                        "required": "yes" if c.required else "",
                        "list": "yes ('; ')" if c.is_list else "",
                        "meaning": c.help,
                    }
                    for c in TEMPLATES[layer]
                ]
            )
        )
        for sheet, columns in EVENT_TEMPLATES.items() if layer == "incidents" else ():
            st.markdown(f"The **{plain(sheet)}** sheet")
            table(
                pd.DataFrame(
                    [{"column": c.name, "required": "yes" if c.required else "", "meaning": c.help} for c in columns]
                )
            )


def mapping_controls(layer: str, *, key: str) -> tuple[str, str | None, dict[str, list[str]] | None]:
    """Preset, XLSX sheet and a column mapping (typed, or loaded from a saved JSON file)."""
    from dashboard.ingest import pipeline

    with st.expander("Format, sheet and column mapping"):
        preset = st.selectbox("Format", list(_PRESETS), key=f"{key}_preset", format_func=_PRESETS.get)
        sheet = st.text_input("XLSX sheet (empty: the first)", key=f"{key}_sheet").strip() or None
        saved = st.file_uploader("Load a saved mapping (JSON)", type=["json"], key=f"{key}_mapping_file")
        text = st.text_area(
            "Mapping: our field -> your column, as JSON",
            key=f"{key}_mapping",
            placeholder='{"title": "Headline", "start_date": "Date", "target_countries": "Victim",\n'
            ' "values": {"target_countries": {"Ruritania": "RUS"}}}',
            help='Optional "values": per field, a table from the file\'s values to ours (ids of data/reference), '
            "applied before the checks; values not in a table are checked as they are.",
        )
        mapping = None
        try:
            if saved is not None:
                mapping = pipeline.read_mapping_file(saved.getvalue().decode("utf-8", errors="replace"))
            elif text.strip():
                mapping = pipeline.read_mapping_file(text)
        except pipeline.UploadRefused as exc:
            st.error(plain(exc))
        if mapping:
            st.download_button(
                "Save this mapping (JSON)",
                json.dumps(mapping, indent=1),
                file_name=f"{layer}_mapping.json",
                mime="application/json",
                key=f"{key}_mapping_save",
            )
    return preset, sheet, mapping


def unidentified_option(layer: str, *, key: str) -> bool:
    """The choice to store incident rows that name no country at all as 'target not identified' (incidents only)."""
    if layer != "incidents":
        return False
    return st.checkbox(
        "Store rows with no country as 'target not identified'",
        key=f"{key}_unidentified",
        help="Some rows name no target country and no initiator country anywhere (not even in the title or "
        "description). By default they are errors. When ticked, they are stored in the chosen track with no "
        "country: they count in its totals, with a note saying how many, and are placed on no map. Rows whose "
        "countries are all outside the track are still never stored.",
    )


def prepare_upload(viewer: Viewer, **kwargs: Any) -> Any:
    """Check an upload once per file, options and data version (kept in the session, not shared)."""
    from dashboard.ingest import pipeline

    data = kwargs.pop("data")
    name = kwargs.pop("name")
    mapping = kwargs.get("mapping")
    cache_key = (
        "upload",
        hashlib.sha256(data).hexdigest(),
        name,
        json.dumps(mapping, sort_keys=True),
        *(str(kwargs.get(k)) for k in ("layer", "track", "preset", "sheet", "default_tlp", "store_unidentified")),
        read.data_stamp(engine()),
    )
    kept = st.session_state.get("_upload_prepared")
    if kept and kept[0] == cache_key:
        if isinstance(kept[1], pipeline.UploadRefused):  # refused (and audited) once; a rerun does not check again
            raise kept[1]
        return kept[1]
    try:
        prepared = pipeline.prepare(
            engine(), viewer, file_name=name, data=data, max_bytes=settings().max_upload_mb * 1024 * 1024, **kwargs
        )
    except pipeline.UploadRefused as exc:
        st.session_state["_upload_prepared"] = (cache_key, exc)
        raise
    st.session_state["_upload_prepared"] = (cache_key, prepared)
    return prepared


def committed_message(done: Any, layer: str, track: str) -> str:
    """What a commit stored, with the comparison it was stored on (only current rows the uploader may see)."""
    counts = done.counts
    again = "The data changed while you were reviewing: the file was compared again as it was stored. "
    again = again if done.rechecked else ""
    return (
        f"{again}Stored {done.stored:,} rows as version {done.number} of {layer} for {TRACK_NAMES[track]} "
        f"(id {done.version_id}): {counts['new']:,} new, {counts['changed']:,} changed, {counts['unchanged']:,} "
        f"unchanged; {done.superseded:,} current rows superseded. Every page now shows it."
    )


def upload_report(prepared: Any) -> None:
    """What the check found: format, notes, counts, row-level issues (downloadable) and the change preview."""
    counts = prepared.counts
    st.markdown(f"**{plain(prepared.file_name)}** · {prepared.table.file_format} · {prepared.format_label}")
    for note in prepared.table.notes:
        st.caption(note)
    kpi_row(
        [
            ("Rows", f"{counts['total']:,}", None),
            ("With errors", f"{counts['errors']:,}", "Cannot be stored"),
            ("With warnings", f"{counts['warnings']:,}", "Stored, with the warning in the report"),
            (
                "Outside",
                f"{counts['outside']:,}",
                f"Involve no member of {TRACK_NAMES[prepared.track]} (no target or initiator country): reported, "
                "never stored into it",
            ),
            *(
                [
                    (
                        "Target not identified",
                        f"{counts['unidentified']:,}",
                        "Name no target country: stored, counted in totals with a note, placed on no target map",
                    )
                ]
                if counts.get("unidentified")
                else []
            ),
            *(
                [("Padding", f"{counts['padding']:,}", "Rows that hold no incident (every code 0 or blank): skipped")]
                if counts.get("padding")
                else []
            ),
            ("New", f"{counts['new']:,}", None),
            ("Changed", f"{counts['changed']:,}", None),
            ("Unchanged", f"{counts['unchanged']:,}", "Already stored; not stored again in append mode"),
        ]
    )
    if counts.get("unidentified"):
        st.caption(
            f"{counts['unidentified']:,} rows name no target country: they are listed in the report (level "
            '"target not identified") and stored without one. A row with an initiator country belongs to the tracks '
            "of that country; a row without any country (stored only when you choose so) to this track."
        )
    if counts.get("unmatched"):  # source labels that map to none of ours: stored with the row, never dropped
        tally = ", ".join(f"{plain(label)} ({rows:,})" for label, rows in prepared.checked.unmatched_labels.items())
        st.caption(
            f'{counts["unmatched"]:,} rows name source labels that match none of our sectors (level "unmatched '
            f'label" in the report): they keep those labels in their source values. Labels, by rows of the file: '
            f"{tally}."
        )
    report = prepared.report_frame()
    if report.empty:
        st.success("Every row passed the checks.")
    else:
        st.subheader("Validation report")
        table(
            report,
            height=320,
            column_config={
                "row": st.column_config.NumberColumn("Row", format="%d"),
                "column": "Column",
                "value": "Value",
                "level": "Level",
                "message": st.column_config.TextColumn("Message", width="large"),
            },
        )
        name = f"{prepared.file_name}_report.csv"
        st.download_button(
            "Download the report (CSV)",
            exports.report_csv(prepared),
            file_name=name,
            mime="text/csv",
            key="up_report",
            **audited(name, None, rows=len(report)),  # the uploader's own file, with its values: unmarked
        )
    with st.expander("Preview of the change against the current data"):
        preview = prepared.preview()
        table(preview.astype(str).head(1000), height=360)


_VERSION_COLUMNS = {
    "number": "Version",
    "state": "State",
    "mode": "Mode",
    "file_name": "File",
    "uploaded_by": "By",
    "uploaded_at": "When",
    "rows_stored": "Stored",
    "rows_new": "New",
    "rows_changed": "Changed",
    "rows_skipped": "Skipped",
    "id": "Id",
}


def version_states(frame: pd.DataFrame) -> list[str]:
    """Each version's state: 'current' (the newest active), 'active (kept by #N)' beside it, or 'inactive'."""
    active = frame[frame["status"] == "active"]
    if active.empty:
        return ["inactive"] * len(frame)
    current = active.loc[active["id"].idxmax()]

    def state(version_id: int, status: str) -> str:
        if status != "active":
            return "inactive"
        return "current" if version_id == current["id"] else f"active (kept by #{current['number']})"

    return [state(v, s) for v, s in zip(frame["id"], frame["status"])]


def version_label(row: Any) -> str:
    """A rollback choice that says what the version is: number, mode, file, when and by whom, and its state."""
    when = pd.Timestamp(row.uploaded_at)
    uploaded = f"{when:%d %b %Y %H:%M} UTC" if not pd.isna(when) else "unknown time"
    return f"#{row.number} · {row.mode} · {row.file_name} · {uploaded} by {row.uploaded_by} · {row.state}"


def versions_panel(viewer: Viewer, layer: str, track: str) -> None:
    """Versions of this layer and track, newest first, with rollback."""
    from dashboard.ingest import versions

    st.subheader(f"Versions of {layer} for {TRACK_NAMES[track]}")
    flash = st.session_state.pop("_rollback_flash", None)
    if flash:
        st.success(plain(flash))
    frame = versions.list_versions(engine(), viewer, layer, track)
    if frame.empty:
        st.write("No versions yet.")
        return
    frame = frame.assign(state=version_states(frame))
    columns_table(frame, _VERSION_COLUMNS, height=260)
    labels_by_id = {int(r.id): version_label(r) for r in frame.itertuples()}
    left, right = st.columns([3, 1])
    target = left.selectbox("Roll back to", list(labels_by_id), format_func=labels_by_id.get, key="rb_target")
    numbers = dict(zip(frame["id"].astype(int), frame["number"]))
    if right.button("Roll back", key="rb_go"):
        try:
            active = versions.rollback(engine(), int(target), viewer)
        except versions.VersionError as exc:
            st.error(plain(exc))
        else:
            st.session_state["_rollback_flash"] = (
                f"Rolled back: version {numbers[int(target)]} is current again "
                f"(active versions {', '.join(map(str, active))}). Every page now shows it."
            )
            st.rerun()

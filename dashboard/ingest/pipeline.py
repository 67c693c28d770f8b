"""The upload path shared by the page and the CLI: prepare (read, map, validate, diff) then commit.

`prepare` writes nothing: it returns a report of every row. `commit` stores the valid rows as one numbered dataset
version in one transaction, or refuses and changes nothing. Both audit a refusal (`upload_refused`). The comparison
covers only the rows the uploader may see (dashboard.ingest.compare) and is made again under the commit's lock
when the data changed after the check.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from dashboard import read
from dashboard.core.access import Permission, Viewer
from dashboard.core.tlp import TLP_LABELS, TLP_ORDER
from dashboard.core.vocabulary import TRACK_IDS, labels
from dashboard.ingest import event_sheets, padding, presets, value_tables
from dashboard.ingest.clearance import check_clearance, may_mark
from dashboard.ingest.commit import VersionMeta, locked, write_version
from dashboard.ingest.compare import compare
from dashboard.ingest.issues import INFERRED, NOT_STORED, OUTSIDE, PROFILE, UNIDENTIFIED, UNMATCHED, Issue, Validated
from dashboard.ingest.readers import RawTable, ReadError, read_path, read_upload
from dashboard.ingest.refusals import record_refusal
from dashboard.ingest.validate import CheckFailed, validate
from dashboard.read.scope import Scope
from dashboard.store.db import write_count

LAYERS = ("incidents", "norms", "partnerships")
MODES = ("append", "replace")


class UploadRefused(ValueError):
    """The upload cannot go ahead; the message says why. Nothing was written."""


class ColumnsNotRecognised(UploadRefused):
    """The headers match no preset and no mapping was given: the caller says how to map them (page or CLI)."""


@dataclass
class Prepared:
    """A checked upload, ready to review and commit."""

    layer: str
    track: str
    file_name: str
    sha256: str
    table: RawTable
    preset: presets.Preset
    mapping: dict[str, tuple[str, ...]]
    checked: Validated
    keys: list[str] = field(default_factory=list)  # per canonical row
    status: list[str] = field(default_factory=list)  # new | changed | unchanged | error | outside | profile
    replaces: dict[int, int] = field(default_factory=dict)  # canonical row index -> existing row id
    # The comparison covers only the current rows the uploader may see (dashboard.ingest.compare).
    removed_in_replace: int = 0  # visible current rows not in the file
    existing_rows: int = 0  # visible current rows
    mapped_by_hand: bool = False  # a column mapping was given (page or --mapping)
    basis: int = -1  # the write counter the comparison was made at: the commit compares again if it has moved
    compare_issues: list[Issue] = field(default_factory=list)  # the comparison's own issues (within checked.issues)

    @property
    def format_label(self) -> str:
        """The format the file was read as: 'EuRepoC export', 'Our incidents template with your column mapping'."""
        return self.preset.label + (" with your column mapping" if self.mapped_by_hand else "")

    @property
    def issues(self) -> list[Issue]:
        """Every problem found, in file order. A row in error is not also reported as outside the track, and a row
        that is not stored (error, outside, profile) is not also reported as stored with its target not identified."""
        errors = self.checked.error_rows
        left_out = errors | self.checked.outside_rows | self.checked.rows_at(PROFILE)
        shown = [
            i
            for i in self.checked.issues
            if not (i.level in NOT_STORED and i.row in errors) and not (i.level == UNIDENTIFIED and i.row in left_out)
        ]
        return sorted(shown, key=lambda i: (i.row, i.level != "error", i.column))

    @property
    def counts(self) -> dict[str, int]:
        """Rows by outcome: total, errors, warnings, outside the track, stored with the target not identified, and
        against current data new, changed, unchanged."""
        found = self.checked.rows_by_level()  # one pass over the issues, not one per figure
        errors = found.get("error", set())
        outside, profiles, inferred, unidentified, unmatched = (
            found.get(level, set()) - errors for level in (OUTSIDE, PROFILE, INFERRED, UNIDENTIFIED, UNMATCHED)
        )
        left_out = errors | outside | profiles
        inferred, unidentified, unmatched = (rows - left_out for rows in (inferred, unidentified, unmatched))
        total = self.checked.rows_total
        return {
            "total": total,
            "errors": len(errors),
            "warnings": len(found.get("warning", set()) - left_out),
            "outside": len(outside),
            "profiles": len(profiles),
            "inferred": len(inferred),
            "unidentified": len(unidentified),
            "unmatched": len(unmatched),  # rows with a source label that maps to none of ours (kept, reported)
            "padding": len(found.get(padding.PADDING, set())),  # rows that hold no record (DCID): skipped
            "valid": total - len(errors) - len(outside) - len(profiles) - len(found.get(padding.PADDING, set())),
            "new": self.status.count("new"),
            "changed": self.status.count("changed"),
            "unchanged": self.status.count("unchanged"),
            "removed_in_replace": self.removed_in_replace,
        }

    def report_frame(self) -> pd.DataFrame:
        """The validation report: one line per issue (row, column, value, level, message)."""
        return pd.DataFrame(
            [
                {"row": i.row, "column": i.column, "value": i.value, "level": i.level, "message": i.message}
                for i in self.issues
            ],
            columns=["row", "column", "value", "level", "message"],
        )

    def preview(self) -> pd.DataFrame:
        """Each file row with its outcome against the current data."""
        frame = self.checked.rows.copy()
        frame.insert(0, "outcome", self.status)
        return frame.drop(columns=[c for c in ("original",) if c in frame.columns])


def _track_name(track: str) -> str:
    return labels("tracks.csv").get(track, track)


def _sha256(data: bytes | None) -> str:
    return hashlib.sha256(data or b"").hexdigest()


def safe_file_name(name: str) -> str:
    """The file's own name without any directory part (never a path from the upload)."""
    base = PurePath(name.replace("\\", "/")).name.strip() or "upload"
    return "".join(ch for ch in base if ch.isprintable())[:200]


def prepare(engine: Engine, viewer: Viewer, *, layer: str, track: str, file_name: str, **options: Any) -> Prepared:
    """Read, map, validate and compare an upload with the current data (options: those of `_prepare`). Writes
    nothing but, when the upload is refused, an `upload_refused` audit event. Headers that match no preset are not a
    refusal here: the caller asks how to map them."""
    try:
        return _prepare(engine, viewer, layer=layer, track=track, file_name=file_name, **options)
    except ColumnsNotRecognised:
        raise
    except UploadRefused as exc:
        record_refusal(engine, viewer, file_name=safe_file_name(file_name), layer=layer, track=track, reason=exc)
        raise


def _prepare(
    engine: Engine,
    viewer: Viewer,
    *,
    layer: str,
    track: str,
    file_name: str,
    data: bytes | None = None,
    path: Path | None = None,
    preset: str = "auto",
    mapping: dict[str, str | list[str]] | None = None,
    sheet: str | None = None,
    default_tlp: str = "amber",
    max_bytes: int,
    store_unidentified: bool = False,
) -> Prepared:
    """Read, map, validate and compare an upload with the current data. Writes nothing.

    With store_unidentified, incident rows that name no target and no initiator country anywhere are kept (level
    UNIDENTIFIED in the report) instead of refused."""
    if not viewer.can(Permission.UPLOAD):
        raise UploadRefused("Only coordinators and administrators can upload.")
    if layer not in LAYERS:
        raise UploadRefused(f"Unknown layer '{layer}': choose incidents, norms or partnerships.")
    if track not in TRACK_IDS:
        raise UploadRefused(f"Unknown track '{track}'.")
    if not viewer.may_act_on(track):
        raise UploadRefused(f"You can upload only to your own tracks; {track} is not one of them.")
    if default_tlp not in TLP_ORDER:
        raise UploadRefused(f"Unknown default TLP '{default_tlp}'.")
    if not may_mark(viewer, default_tlp):
        raise UploadRefused(
            f"You cannot mark rows {TLP_LABELS[default_tlp]}: it is above your clearance "
            f"({TLP_LABELS[viewer.tlp_ceiling]}). Choose a marking you can see."
        )
    try:
        if path is not None:  # a file on disk (command line): its bytes are never all held in memory
            table, sha256 = read_path(path, sheet=sheet, max_bytes=max_bytes)
        else:
            table, sha256 = read_upload(file_name, data or b"", sheet=sheet, max_bytes=max_bytes), _sha256(data)
    except ReadError as exc:
        raise UploadRefused(str(exc)) from None
    mapping, hand_values = _split_mapping(mapping)  # our field -> column(s); value tables (source value -> id)
    columns = list(table.frame.columns)
    if preset == "auto":
        chosen, problem = presets.detect(columns, layer)
        if chosen is None and not mapping:
            raise ColumnsNotRecognised(problem)
        chosen = chosen or presets.template(layer)
    elif preset == "template":
        chosen = presets.template(layer)
    elif preset in presets.PRESETS:
        chosen = presets.PRESETS[preset]
        if chosen.layer != layer:
            raise UploadRefused(f"The {chosen.label} holds {chosen.layer}, not {layer}.")
    else:
        raise UploadRefused(f"Unknown preset '{preset}': use auto, template, eurepoc, cfr or dcid.")
    if chosen.derive:  # columns the preset computes (DCID: the target, the type code, the record id)
        table.frame = chosen.derive(table.frame)
        columns = list(table.frame.columns)
    used = dict(chosen.mapping)
    for fld, source in (mapping or {}).items():
        sources = (source,) if isinstance(source, str) else tuple(source)
        missing = [s for s in sources if s and s not in columns]
        if missing:
            raise UploadRefused(f"The mapping names columns the file does not have: {', '.join(missing)}.")
        used[fld] = tuple(s for s in sources if s)
    required = {c.name for c in presets.TEMPLATES[layer] if c.required}
    unmapped = sorted(f for f in required if not any(c in columns for c in used.get(f, ())))
    if unmapped:
        raise UploadRefused(f"No column of the file is mapped to the required field(s) {', '.join(unmapped)}.")
    frame, kept, skipped = padding.drop(table.frame, chosen.padding(table.frame) if chosen.padding else None)
    tables = value_tables.merged(chosen.values() if chosen.values else None, hand_values)
    frame, translated = value_tables.apply(frame, used, tables, layer=layer)  # before validation, after mapping
    try:
        checked = validate(
            layer,
            frame,
            chosen,
            translated,
            track=track,
            default_tlp=default_tlp,
            organisation=viewer.organisation,
            store_unidentified=store_unidentified,
            members=frozenset(read.track_countries(engine, viewer, frozenset({track}))["iso3"]),
        )
    except CheckFailed as exc:  # a check that failed (not a problem it found): a refusal, never a traceback
        raise UploadRefused(str(exc)) from None
    sheets = event_sheets.wanted(table.sheets) if layer == "incidents" and chosen.name == "template" else {}
    if sheets:  # our workbook's attributions and responses sheets, joined to the incidents by source_id
        try:
            frames = {
                name: (
                    read_path(path, sheet=sheet, max_bytes=max_bytes)[0]
                    if path is not None
                    else read_upload(file_name, data or b"", sheet=sheet, max_bytes=max_bytes)
                ).frame
                for name, sheet in sheets.items()
            }
            checked.rows = event_sheets.attach(checked.rows, frames)
        except (ReadError, event_sheets.EventSheetProblems) as exc:
            raise UploadRefused(str(exc)) from None
    check_clearance(checked, viewer)  # rows marked above what the uploader could read back are errors
    checked = padding.restore(checked, kept, skipped)
    prepared = Prepared(layer, track, safe_file_name(file_name), sha256, table, chosen, used, checked)
    prepared.mapped_by_hand = bool(mapping or hand_values)
    del frame
    table.frame = table.frame.iloc[:0]  # the checked rows are all that is needed from here: free the raw cells
    pa.default_memory_pool().release_unused()  # and give the memory back to the system
    _compare(engine, viewer, prepared)
    return prepared


def _compare(engine: Engine, viewer: Viewer, prepared: Prepared) -> None:
    """Compare the upload with the current rows the uploader may see (again, when called again: the issues of the
    earlier comparison are replaced by those of this one)."""
    earlier = {id(issue) for issue in prepared.compare_issues}
    prepared.checked.issues = [issue for issue in prepared.checked.issues if id(issue) not in earlier]
    found = compare(engine, viewer, prepared.layer, prepared.track, prepared.checked, source=prepared.preset.name)
    prepared.checked.issues.extend(found.issues)
    prepared.compare_issues = found.issues
    prepared.status, prepared.replaces, prepared.basis = found.status, found.replaces, found.basis
    prepared.removed_in_replace, prepared.existing_rows = found.removed, found.existing


@dataclass(frozen=True)
class Committed:
    """A stored upload: its version id and number, and what it holds."""

    version_id: int
    number: int
    stored: int
    counts: dict[str, int]  # as compared when stored: only current rows the uploader may see
    superseded: int = 0  # current rows this version replaced or hid (rows the uploader may see, and no others)
    rechecked: bool = False  # the data changed after the check: the comparison was made again under the write lock


def commit(
    engine: Engine, prepared: Prepared, viewer: Viewer, *, mode: str = "append", skip_invalid: bool = False
) -> Committed:
    """Store the valid rows as a new dataset version in one transaction, or refuse, write nothing and audit the
    refusal (`upload_refused`).

    The comparison and the write hold the same lock: when anything was written since the check, the upload is
    compared again inside the write transaction, and what it stores and supersedes follows that comparison."""
    try:
        return _commit(engine, prepared, viewer, mode=mode, skip_invalid=skip_invalid)
    except UploadRefused as exc:
        record_refusal(
            engine,
            viewer,
            file_name=prepared.file_name,
            layer=prepared.layer,
            track=prepared.track,
            reason=exc,
            counts=prepared.counts,
            mode=mode,
        )
        raise


def _commit(engine: Engine, prepared: Prepared, viewer: Viewer, *, mode: str, skip_invalid: bool) -> Committed:
    if mode not in MODES:
        raise UploadRefused(f"Unknown mode '{mode}': use append or replace.")
    if not viewer.may_upload_to(prepared.track):
        raise UploadRefused("You may not store uploads for this track.")
    try:
        with locked(engine, prepared.layer, prepared.track) as session:
            rechecked = write_count(session.connection()) != prepared.basis
            if rechecked:  # written to since the check: compare again, now that no one else can write
                _compare(engine, viewer, prepared)
            keep = _rows_to_store(prepared, mode, skip_invalid)
            counts = prepared.counts
            rows = prepared.checked.rows.iloc[keep].drop(columns=["row"]).reset_index(drop=True)
            replaces = [prepared.replaces[i] for i in keep if i in prepared.replaces] if mode == "append" else []
            meta = VersionMeta(
                layer=prepared.layer,
                track_id=prepared.track,
                uploaded_by=viewer.name,
                file_name=prepared.file_name,
                sha256=prepared.sha256,
                mode=mode,
                rows_total=counts["total"],
                rows_warning=counts["warnings"],
                rows_skipped=counts["total"] - len(rows),
                preset=prepared.preset.name,
                rows_new=counts["new"],
                rows_changed=counts["changed"],
                rows_unchanged=counts["unchanged"],
                rows_removed=counts["removed_in_replace"] if mode == "replace" else 0,
            )
            written = write_version(session, meta, rows, replaces=replaces, uploader=Scope.of(viewer))
    except (OperationalError, IntegrityError, DataError) as exc:
        raise UploadRefused(
            "The database could not store the upload right now (another upload may be running, or the database is "
            f"busy): {str(exc.orig or exc).splitlines()[0]}. Nothing was written; try again."
        ) from None
    return Committed(written.version_id, written.number, len(rows), counts, written.superseded, rechecked)


def _rows_to_store(prepared: Prepared, mode: str, skip_invalid: bool) -> list[int]:
    """The canonical rows the mode stores, as compared; refused when rows have errors (unless skipped) or none."""
    counts = prepared.counts
    errors = {i for i, s in enumerate(prepared.status) if s == "error"}
    if errors and not skip_invalid:
        raise UploadRefused(
            f"{len(errors)} of {counts['total']} rows have errors. Fix the file, or choose to store the "
            f"{counts['total'] - len(errors)} valid rows and skip the rest."
        )
    if mode == "append":
        keep = [i for i, s in enumerate(prepared.status) if s in {"new", "changed"}]
    else:
        keep = [i for i, s in enumerate(prepared.status) if s not in {"error", "outside", "profile"}]
    if not keep and counts["outside"] and counts["outside"] == counts["total"] - len(errors) - counts["padding"]:
        raise UploadRefused(f"Nothing to store: no valid row involves a member of {_track_name(prepared.track)}.")
    if not keep and mode == "append" and counts["unchanged"]:
        raise UploadRefused("Nothing to store: every valid row is already in the current data, unchanged.")
    if not keep:
        raise UploadRefused("Nothing to store: no row is valid.")
    return keep


def read_mapping_file(text: str) -> dict[str, str | list[str]]:
    """A saved column mapping (JSON object: our field -> the file's column or columns; optional "values": value
    tables, our field -> {source value -> our value}, see dashboard.ingest.value_tables)."""
    try:
        payload = json.load(io.StringIO(text))
    except json.JSONDecodeError as exc:
        raise UploadRefused(f"The mapping file is not valid JSON: {exc.msg}.") from None
    columns = {k: v for k, v in payload.items() if k != value_tables.VALUES_KEY} if isinstance(payload, dict) else None
    if columns is None or not all(isinstance(v, str | list) for v in columns.values()):
        raise UploadRefused(
            'A mapping is a JSON object such as {"title": "Headline", "start_date": "Date"}, optionally with value '
            'tables: "values": {"incident_type": {"DDoS": "disruption"}}.'
        )
    _split_mapping(payload)  # the value tables are checked now, not at the upload
    return payload


def _split_mapping(mapping: dict | None) -> tuple[dict[str, str | list[str]], value_tables.ValueTables]:
    """A mapping's columns and its value tables; a malformed table is a refusal."""
    try:
        return value_tables.split_mapping(mapping)
    except value_tables.ValueTableError as exc:
        raise UploadRefused(str(exc)) from None

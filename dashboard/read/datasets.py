"""Reads about the datasets: active versions, rows per track and layer, markings, track members, upload comparison."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, literal, select, union_all

from dashboard.core.access import Role, Viewer
from dashboard.core.tlp import TLP_ORDER
from dashboard.read import snapshot as facts
from dashboard.read.frames import code_counts, read_frame
from dashboard.read.norms import norm_conditions
from dashboard.read.partnerships import partnership_rows, partnership_source_ids
from dashboard.read.scope import LAYER_MODELS, Scope, current_rows, scope_clause, track_list
from dashboard.store.event_models import IncidentAttribution, IncidentResponse
from dashboard.store.models import Country, DatasetVersion, Incident, IncidentTarget, NormAssessment, Track, TrackMember


def active_versions(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """The active dataset versions behind what the viewer sees: those with at least one current row visible to
    them, with that number of rows (rows_visible). A version whose rows are all hidden from the viewer is not
    listed, so its uploader, time and hash never reach them."""
    cols = [
        "id",
        "layer",
        "track_id",
        "number",
        "uploaded_by",
        "uploaded_at",
        "file_name",
        "sha256",
        "mode",
        "rows_stored",
        "synthetic",
    ]
    visible: dict[int, int] = {}
    with engine.connect() as conn:
        for model in LAYER_MODELS.values():
            stmt = (
                select(model.dataset_version_id, func.count())
                .where(scope_clause(model, viewer))
                .group_by(model.dataset_version_id)
            )
            visible.update((int(v), int(n)) for v, n in conn.execute(stmt))
    stmt = (
        select(*(getattr(DatasetVersion, c) for c in cols))
        .where(DatasetVersion.status == "active", DatasetVersion.id.in_(sorted(visible)))
        .order_by(DatasetVersion.layer, DatasetVersion.track_id, DatasetVersion.number)
    )
    out = read_frame(engine, stmt, cols)
    return out.assign(rows_visible=[visible[int(v)] for v in out["id"]]).astype({"rows_visible": int})


def synthetic_share(
    engine: Engine, viewer: Viewer, layers: Sequence[str] = tuple(LAYER_MODELS)
) -> Literal["all", "partly"] | None:
    """Whether the rows of these layers the viewer sees come from synthetic demo versions: 'all' of them, 'partly'
    (real rows beside demo rows), or None (no synthetic row among them, or nothing visible)."""
    synthetic = real = 0
    for layer in layers:
        demo, other = _visible_by_origin(engine, viewer, layer)
        synthetic, real = synthetic + demo, real + other
    if not synthetic:
        return None
    return "partly" if real else "all"


def _visible_by_origin(engine: Engine, viewer: Viewer, layer: str) -> tuple[int, int]:
    """The rows of one layer the viewer sees: (from synthetic versions, from the others)."""
    model = LAYER_MODELS[layer]
    with engine.connect() as conn:
        if layer != "incidents":
            stmt = (
                select(DatasetVersion.synthetic, func.count())
                .select_from(model)
                .join(DatasetVersion, DatasetVersion.id == model.dataset_version_id)
                .where(scope_clause(model, viewer))
                .group_by(DatasetVersion.synthetic)
            )
            counts = {bool(flag): int(n) for flag, n in conn.execute(stmt)}
            return counts.get(True, 0), counts.get(False, 0)
        active = DatasetVersion.status == "active", DatasetVersion.layer == layer
        kinds = {bool(k) for k in conn.scalars(select(DatasetVersion.synthetic).where(*active).distinct())}
        synthetic_ids: list[int] = []
        if kinds == {True, False}:  # demo and real incidents side by side: which visible ones are demo
            synthetic_ids = list(
                conn.scalars(
                    select(Incident.id)
                    .join(DatasetVersion, DatasetVersion.id == Incident.dataset_version_id)
                    .where(*active, DatasetVersion.synthetic.is_(True), current_rows(Incident))
                )
            )
    snap = facts.snapshot(engine)  # incidents the viewer sees, by the snapshot's scope (countries' tracks)
    visible = snap.scope(viewer)
    total = int(visible.sum())
    if kinds != {True, False}:
        return (total, 0) if True in kinds else (0, total)
    found = snap.position(np.array(synthetic_ids, dtype=np.int64))
    demo = int(visible[found[found >= 0]].sum())
    return demo, total - demo


def withheld_rows(engine: Engine, viewer: Viewer) -> dict[str, int]:
    """Per layer, how many current rows are stored beyond those the viewer sees (layers with any only).

    For administrators only (the Datasets page explains their counts): everyone else is told nothing about rows
    withheld from them, so anyone else gets PermissionError."""
    if viewer.role != Role.ADMIN:
        raise PermissionError("only administrators learn how many stored rows they do not see")
    snap = facts.snapshot(engine)
    gaps = {"incidents": snap.size - int(snap.scope(viewer).sum())}
    with engine.connect() as conn:
        for layer, model in LAYER_MODELS.items():
            if layer != "incidents":
                stored = conn.scalar(select(func.count()).select_from(model).where(current_rows(model))) or 0
                seen = conn.scalar(select(func.count()).select_from(model).where(scope_clause(model, viewer))) or 0
                gaps[layer] = int(stored) - int(seen)
    return {layer: n for layer, n in gaps.items() if n > 0}


def layer_counts(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """Visible rows per track and layer (columns track_id, track, layer, rows), zero-filled for the viewer's tracks."""
    counts = layer_row_counts(engine, viewer, [layer for layer in LAYER_MODELS if layer != "incidents"])
    snap = facts.snapshot(engine)
    per_track = code_counts(snap.track[snap.scope(viewer)].astype(np.int64), len(snap.tracks))
    incidents = pd.DataFrame({"track_id": snap.tracks, "layer": "incidents", "rows": per_track})
    counts = pd.concat([incidents[incidents["rows"] > 0], counts], ignore_index=True)
    return track_layer_grid(engine, viewer, counts)


def layer_row_counts(engine: Engine, viewer: Viewer, layers: Sequence[str]) -> pd.DataFrame:
    """Visible rows of the given layers per track, in SQL: track_id, layer, rows (pairs with rows only)."""
    parts = [
        select(model.track_id.label("track_id"), literal(layer).label("layer"), func.count().label("rows"))
        .where(scope_clause(model, viewer))
        .group_by(model.track_id)
        for layer, model in LAYER_MODELS.items()
        if layer in layers
    ]
    return read_frame(engine, union_all(*parts), ["track_id", "layer", "rows"])


def track_layer_grid(engine: Engine, viewer: Viewer, counts: pd.DataFrame) -> pd.DataFrame:
    """Rows per track and layer zero-filled for the viewer's tracks, with the track names."""
    with engine.connect() as conn:
        tracks = conn.execute(
            select(Track.id, Track.name).where(Track.id.in_(sorted(viewer.tracks))).order_by(Track.name)
        ).all()
    grid = pd.MultiIndex.from_product([[t.id for t in tracks], list(LAYER_MODELS)], names=["track_id", "layer"])
    out = counts.set_index(["track_id", "layer"]).reindex(grid, fill_value=0).reset_index()
    out["track"] = out["track_id"].map({t.id: t.name for t in tracks})
    out["rows"] = out["rows"].astype(int)
    return out[["track_id", "track", "layer", "rows"]]


def strictest_tlp(engine: Engine, viewer: Viewer, layers: Sequence[str] = tuple(LAYER_MODELS)) -> str | None:
    """The strictest TLP marking among the visible rows of the given layers (None when nothing is visible)."""
    found: set[str] = set()
    others = [layer for layer in layers if layer != "incidents"]
    if others:
        found.update(t for t in [strictest_tlp_in_sql(engine, viewer, others)] if t)
    if "incidents" in layers:
        snap = facts.snapshot(engine)
        ranks = snap.tlp[snap.scope(viewer)]
        if len(ranks):
            found.add(TLP_ORDER[int(ranks.max())])
    return max(found, key=TLP_ORDER.index) if found else None


def strictest_tlp_in_sql(engine: Engine, viewer: Viewer, layers: Sequence[str] = tuple(LAYER_MODELS)) -> str | None:
    """The strictest TLP marking among the visible rows of the given layers, read in SQL (None: nothing visible)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for layer in layers:
            model = LAYER_MODELS[layer]
            found.update(conn.scalars(select(model.tlp).where(scope_clause(model, viewer)).distinct()))
    return max(found, key=TLP_ORDER.index) if found else None


def track_countries(engine: Engine, viewer: Viewer, tracks: frozenset[str] | None = None) -> pd.DataFrame:
    """Member countries of the viewer's (requested) tracks: iso3, name, lat, lon, has_shape, tracks."""
    stmt = (
        select(
            Country.iso3,
            Country.name,
            Country.lat,
            Country.lon,
            Country.has_shape,
            facts.joined(TrackMember.track_id, engine.dialect.name, "; "),
        )
        .join(TrackMember, TrackMember.iso3 == Country.iso3)
        .where(TrackMember.track_id.in_(track_list(viewer, tracks)))
        .group_by(Country.iso3, Country.name, Country.lat, Country.lon, Country.has_shape)
        .order_by(Country.name)
    )
    return read_frame(engine, stmt, ["iso3", "name", "lat", "lon", "has_shape", "tracks"])


def current_rows_for_diff(engine: Engine, viewer: Viewer, layer: str, track: str) -> pd.DataFrame:
    """The current rows stored into one layer and track with the fields an upload is compared on (id first), and
    `visible`: whether the uploader may see the row (Scope.of(uploader), their TLP ceiling and organisation).

    The one read not limited by the uploader's TLP ceiling: a key held by a row the uploader cannot see must not be
    stored again by them. Only visible rows are compared, counted and superseded (dashboard.ingest.compare); the
    others serve only to refuse their keys. Open only to those who may upload to the track; never shown.
    """
    if not viewer.may_upload_to(track):
        raise PermissionError("only coordinators of the track and administrators compare uploads")
    model = LAYER_MODELS[layer]
    unseen = select(model.id).where(
        model.track_id == track, current_rows(model), ~Scope.of(viewer).marking_clause(model)
    )
    with engine.connect() as conn:
        hidden = list(conn.scalars(unseen))
    rows = _stored_rows_for_diff(engine, viewer, layer, track)
    return rows.assign(visible=~rows["id"].isin(hidden))


def _count_of(model: type):
    """The number of events of this kind of the incident (a correlated scalar subquery)."""
    return (
        select(func.count()).select_from(model).where(model.incident_id == Incident.id).correlate(Incident)
    ).scalar_subquery()


def _stored_rows_for_diff(engine: Engine, viewer: Viewer, layer: str, track: str) -> pd.DataFrame:
    """Every current row stored into the layer and track, whatever its marking (see current_rows_for_diff)."""
    tracks = frozenset({track})
    viewer = Viewer(
        name=viewer.name,
        role=Role.ADMIN,
        tracks=tracks,
        tlp_ceiling="red",
        organisation=viewer.organisation,
        all_organisations=True,
    )
    if layer == "incidents":  # one narrow read; the targets joined by the database, sorted by the caller
        targets = (
            select(facts.joined(IncidentTarget.iso3, engine.dialect.name, "; "))
            .where(IncidentTarget.incident_id == Incident.id)
            .scalar_subquery()
        )
        stmt = select(
            Incident.id,
            Incident.source_key,  # "<source>:<source id>": the key an upload's rows are compared on
            Incident.title,
            Incident.start_date,
            Incident.end_date,
            Incident.incident_type_id,
            Incident.severity,
            targets,
            Incident.tlp,
            _count_of(IncidentAttribution),
            _count_of(IncidentResponse),
        ).where(Incident.track_id == track, current_rows(Incident))  # the rows stored into the track, every marking
        columns = ["id", "source_id", "title", "start_date", "end_date", "incident_type", "severity"]
        frame = read_frame(engine, stmt, [*columns, "target_countries", "tlp", "attributions", "responses"])
        frame["events"] = (
            frame["attributions"].astype(int).astype(str) + "|" + frame["responses"].astype(int).astype(str)
        )
        return frame.drop(columns=["attributions", "responses"]).fillna({"target_countries": ""})
    if layer == "norms":
        stmt = select(
            NormAssessment.id,
            NormAssessment.iso3,
            NormAssessment.item_id,
            NormAssessment.assessed_on,
            NormAssessment.status,
            NormAssessment.evidence_url,
            NormAssessment.tlp,
        ).where(*norm_conditions(viewer, tracks, None))
        return read_frame(engine, stmt, ["id", "iso3", "item_id", "assessed_on", "status", "evidence_url", "tlp"])
    rows = partnership_rows(engine, viewer, tracks)
    return rows[["id", "name", "kind", "status", "start_date", "end_date", "last_tested", "countries", "tlp"]].assign(
        source_id=partnership_source_ids(engine, viewer, rows["id"].tolist())
    )

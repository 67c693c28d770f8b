"""Every read of the data layers. Each function takes a Viewer; track and TLP scope are applied in SQL here.

There is deliberately no function that reads rows without a viewer: scoping cannot be forgotten by a caller.
Aggregates (counts per country, per month) are computed in SQL from the rows the viewer may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, and_, case, func, literal, or_, select, union_all

from dashboard.access import Viewer
from dashboard.models import (
    Country,
    DatasetVersion,
    Incident,
    IncidentSector,
    IncidentTarget,
    NormAssessment,
    Partnership,
    Track,
)
from dashboard.reference import TLP_ORDER

LAYER_MODELS = {"incidents": Incident, "norms": NormAssessment, "partnerships": Partnership}


@dataclass(frozen=True)
class IncidentFilter:
    """What the viewer asked for on top of their scope; empty collections mean "all"."""

    tracks: frozenset[str] = field(default_factory=frozenset)
    start: dt.date | None = None
    end: dt.date | None = None
    countries: frozenset[str] = field(default_factory=frozenset)
    sectors: frozenset[str] = field(default_factory=frozenset)
    types: frozenset[str] = field(default_factory=frozenset)
    min_severity: int = 0


def scope_clause(model: type, viewer: Viewer) -> ColumnElement[bool]:
    """The rows of one layer this viewer may see: their tracks, within their TLP ceiling, from active versions."""
    plain = [t for t in viewer.visible_tlp if t != "amber+strict"]
    tlp_ok = model.tlp.in_(plain)
    if "amber+strict" in viewer.visible_tlp:
        tlp_ok = or_(tlp_ok, and_(model.tlp == "amber+strict", model.owner_org == viewer.organisation))
    active = select(DatasetVersion.id).where(DatasetVersion.status == "active")
    return and_(
        model.track_id.in_(sorted(viewer.tracks)),
        tlp_ok,
        model.dataset_version_id.in_(active),
    )


def _incident_conditions(viewer: Viewer, flt: IncidentFilter) -> list[ColumnElement[bool]]:
    conds = [scope_clause(Incident, viewer)]
    if flt.tracks:
        conds.append(Incident.track_id.in_(sorted(flt.tracks)))
    if flt.start:
        conds.append(Incident.start_date >= flt.start)
    if flt.end:
        conds.append(Incident.start_date <= flt.end)
    if flt.types:
        conds.append(Incident.incident_type_id.in_(sorted(flt.types)))
    if flt.min_severity:
        conds.append(Incident.severity >= flt.min_severity)
    if flt.countries:
        conds.append(
            Incident.id.in_(select(IncidentTarget.incident_id).where(IncidentTarget.iso3.in_(sorted(flt.countries))))
        )
    if flt.sectors:
        conds.append(
            Incident.id.in_(select(IncidentSector.incident_id).where(IncidentSector.sector_id.in_(sorted(flt.sectors))))
        )
    return conds


def month_bucket(column: ColumnElement, dialect: str) -> ColumnElement[str]:
    """'YYYY-MM' of a date column, computed by the database."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _frame(engine: Engine, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=list(columns))


def layer_counts(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """Visible rows per track and layer (columns track_id, track, layer, rows), zero-filled for the viewer's tracks."""
    parts = []
    for layer, model in LAYER_MODELS.items():
        parts.append(
            select(model.track_id.label("track_id"), literal(layer).label("layer"), func.count().label("rows"))
            .where(scope_clause(model, viewer))
            .group_by(model.track_id)
        )
    counts = _frame(engine, union_all(*parts), ["track_id", "layer", "rows"])
    with engine.connect() as conn:
        tracks = conn.execute(
            select(Track.id, Track.name).where(Track.id.in_(sorted(viewer.tracks))).order_by(Track.name)
        ).all()
    grid = pd.MultiIndex.from_product([[t.id for t in tracks], list(LAYER_MODELS)], names=["track_id", "layer"])
    out = counts.set_index(["track_id", "layer"]).reindex(grid, fill_value=0).reset_index()
    out["track"] = out["track_id"].map({t.id: t.name for t in tracks})
    out["rows"] = out["rows"].astype(int)
    return out[["track_id", "track", "layer", "rows"]]


def incident_counts_by_country(engine: Engine, viewer: Viewer, flt: IncidentFilter | None = None) -> pd.DataFrame:
    """Visible incidents per target country: iso3, name, incidents, severity_weighted, significant."""
    flt = flt or IncidentFilter()
    sev = func.coalesce(Incident.severity, 0)
    stmt = (
        select(
            IncidentTarget.iso3,
            Country.name,
            func.count().label("incidents"),
            func.sum(sev).label("severity_weighted"),
            func.sum(case((Incident.severity >= 3, 1), else_=0)).label("significant"),
        )
        .join(Incident, Incident.id == IncidentTarget.incident_id)
        .join(Country, Country.iso3 == IncidentTarget.iso3)
        .where(*_incident_conditions(viewer, flt))
        .group_by(IncidentTarget.iso3, Country.name)
        .order_by(func.count().desc(), IncidentTarget.iso3)
    )
    out = _frame(engine, stmt, ["iso3", "name", "incidents", "severity_weighted", "significant"])
    return out.astype({"incidents": int, "severity_weighted": int, "significant": int})


def incident_counts_by_month(engine: Engine, viewer: Viewer, flt: IncidentFilter | None = None) -> pd.DataFrame:
    """Visible incidents per calendar month: month ('YYYY-MM'), incidents."""
    flt = flt or IncidentFilter()
    month = month_bucket(Incident.start_date, engine.dialect.name).label("month")
    stmt = (
        select(month, func.count().label("incidents"))
        .where(*_incident_conditions(viewer, flt))
        .group_by(month)
        .order_by(month)
    )
    out = _frame(engine, stmt, ["month", "incidents"])
    return out.astype({"incidents": int})


def strictest_tlp(engine: Engine, viewer: Viewer, layers: Sequence[str] = tuple(LAYER_MODELS)) -> str | None:
    """The strictest TLP marking among the visible rows of the given layers (None when nothing is visible)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for layer in layers:
            model = LAYER_MODELS[layer]
            found.update(conn.scalars(select(model.tlp).where(scope_clause(model, viewer)).distinct()))
    return max(found, key=TLP_ORDER.index) if found else None


def active_versions(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """Active dataset versions of the viewer's tracks."""
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
    stmt = (
        select(*(getattr(DatasetVersion, c) for c in cols))
        .where(DatasetVersion.status == "active", DatasetVersion.track_id.in_(sorted(viewer.tracks)))
        .order_by(DatasetVersion.layer, DatasetVersion.track_id, DatasetVersion.number)
    )
    return _frame(engine, stmt, cols)


def shows_synthetic_data(engine: Engine, viewer: Viewer) -> bool:
    """True when any active dataset version in the viewer's tracks is synthetic demo data."""
    stmt = select(func.count()).where(
        DatasetVersion.status == "active",
        DatasetVersion.synthetic.is_(True),
        DatasetVersion.track_id.in_(sorted(viewer.tracks)),
    )
    with engine.connect() as conn:
        return bool(conn.scalar(stmt))


def data_stamp(engine: Engine) -> str:
    """A cheap fingerprint of which dataset versions exist and are active; cache keys include it."""
    stmt = select(
        func.max(DatasetVersion.id),
        func.count().filter(DatasetVersion.status == "active"),
        func.coalesce(func.sum(DatasetVersion.id).filter(DatasetVersion.status == "active"), 0),
    )
    with engine.connect() as conn:
        latest, active, checksum = conn.execute(stmt).one()
    return f"{latest or 0}:{active}:{checksum}"

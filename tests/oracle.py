"""The incident reads of dashboard.read written directly in SQL: the test oracle for the reads on the snapshot.

Each function here has the name and result of a read in dashboard.read; tests compare the two for many viewers
and filters (tests/test_facts.py).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, distinct, func, literal, select
from sqlalchemy.orm import aliased

from dashboard.core.access import Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.core.tlp import TLP_ORDER
from dashboard.read.datasets import layer_row_counts, strictest_tlp_in_sql, track_layer_grid
from dashboard.read.frames import read_frame, text_column
from dashboard.read.incidents import INCIDENT_COLUMNS, LINK_NAMES, detail_frame, incident_conditions
from dashboard.read.norms import INCIDENT_NORM_COLUMNS
from dashboard.read.scope import LAYER_MODELS, in_tracks, scope_clause, track_list
from dashboard.store.models import (
    Country,
    FrameworkItem,
    Incident,
    IncidentInitiator,
    IncidentNorm,
    IncidentSector,
    IncidentTarget,
    Track,
    TrackMember,
)

# The package reads the markings of the other layers in SQL too: that read serves as the oracle unchanged.
strictest_tlp = strictest_tlp_in_sql
LINK_COLUMNS = {
    "targets": (IncidentTarget, IncidentTarget.iso3),
    "initiators": (IncidentInitiator, IncidentInitiator.iso3),
    "sectors": (IncidentSector, IncidentSector.sector_id),
}


def layer_counts(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """Visible rows per track and layer (columns track_id, track, layer, rows), zero-filled for the viewer's tracks."""
    return track_layer_grid(engine, viewer, layer_row_counts(engine, viewer, list(LAYER_MODELS)))


def _month_bucket(column: ColumnElement, dialect: str) -> ColumnElement[str]:
    """'YYYY-MM' of a date column, computed by the database."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _tlp_rank_expr(column: ColumnElement) -> ColumnElement[int]:
    return case({t: i for i, t in enumerate(TLP_ORDER)}, value=column, else_=0)


def _tlp_from_rank(rank: int | None) -> str | None:
    return None if rank is None else TLP_ORDER[int(rank)]


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
        .where(*incident_conditions(viewer, flt))
        .group_by(IncidentTarget.iso3, Country.name)
        .order_by(func.count().desc(), IncidentTarget.iso3)
    )
    out = read_frame(engine, stmt, ["iso3", "name", "incidents", "severity_weighted", "significant"])
    return out.astype({"incidents": int, "severity_weighted": int, "significant": int})


def incident_counts_by_month(engine: Engine, viewer: Viewer, flt: IncidentFilter | None = None) -> pd.DataFrame:
    """Visible incidents per calendar month: month ('YYYY-MM'), incidents."""
    flt = flt or IncidentFilter()
    month = _month_bucket(Incident.start_date, engine.dialect.name).label("month")
    stmt = (
        select(month, func.count().label("incidents"))
        .where(*incident_conditions(viewer, flt))
        .group_by(month)
        .order_by(month)
    )
    out = read_frame(engine, stmt, ["month", "incidents"])
    return out.astype({"incidents": int})


def incident_summary(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> dict[str, object]:
    """Headline figures of the filtered visible incidents: incidents, significant, countries, strictest TLP."""
    conds = incident_conditions(viewer, flt)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(case((Incident.severity >= 3, 1), else_=0)), 0),
        func.max(_tlp_rank_expr(Incident.tlp)),
    ).where(*conds)
    members = select(TrackMember.iso3).where(TrackMember.track_id.in_(track_list(viewer, flt.tracks)))
    hit = (
        select(distinct(IncidentTarget.iso3).label("iso3"))
        .join(Incident, Incident.id == IncidentTarget.incident_id)
        .where(*conds)
        .subquery()
    )
    with engine.connect() as conn:
        total, significant, rank = conn.execute(stmt).one()
        affected = conn.scalar(select(func.count()).where(hit.c.iso3.in_(members)))
        others = conn.scalar(select(func.count()).where(hit.c.iso3.not_in(members)))
        unidentified = conn.scalar(
            select(func.count()).where(*conds, Incident.id.not_in(select(IncidentTarget.incident_id)))
        )
    return {
        "incidents": int(total),
        "significant": int(significant),
        "countries": int(affected or 0),
        "other_countries": int(others or 0),
        "unidentified": int(unidentified or 0),
        "tlp": _tlp_from_rank(rank),
    }


def incident_counts_by_month_and(engine: Engine, viewer: Viewer, flt: IncidentFilter, by: str) -> pd.DataFrame:
    """Visible incidents per month and incident type (by='type') or sector (by='sector'): month, key, incidents."""
    month = _month_bucket(Incident.start_date, engine.dialect.name).label("month")
    if by == "type":
        key = Incident.incident_type_id.label("key")
        stmt = select(month, key, func.count().label("incidents")).where(*incident_conditions(viewer, flt))
    elif by == "sector":
        key = IncidentSector.sector_id.label("key")
        stmt = (
            select(month, key, func.count().label("incidents"))
            .join(IncidentSector, IncidentSector.incident_id == Incident.id)
            .where(*incident_conditions(viewer, flt))
        )
    else:
        raise ValueError(f"cannot group by {by!r}")
    stmt = stmt.group_by(month, key).order_by(month, key)
    return read_frame(engine, stmt, ["month", "key", "incidents"]).astype({"incidents": int})


def incident_counts_by_sector(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible incidents per sector: sector_id, incidents."""
    stmt = (
        select(IncidentSector.sector_id, func.count().label("incidents"))
        .join(Incident, Incident.id == IncidentSector.incident_id)
        .where(*incident_conditions(viewer, flt))
        .group_by(IncidentSector.sector_id)
        .order_by(func.count().desc(), IncidentSector.sector_id)
    )
    return read_frame(engine, stmt, ["sector_id", "incidents"]).astype({"incidents": int})


def sector_type_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible incidents per sector and type: sector_id, type_id, incidents."""
    stmt = (
        select(IncidentSector.sector_id, Incident.incident_type_id, func.count().label("incidents"))
        .join(Incident, Incident.id == IncidentSector.incident_id)
        .where(*incident_conditions(viewer, flt))
        .group_by(IncidentSector.sector_id, Incident.incident_type_id)
    )
    return read_frame(engine, stmt, ["sector_id", "type_id", "incidents"]).astype({"incidents": int})


def dyad_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter, limit: int = 15) -> pd.DataFrame:
    """Top suspected initiator -> target country pairs: initiator, initiator_name, target, target_name, incidents."""
    ini_country = aliased(Country)
    tgt_country = aliased(Country)
    stmt = (
        select(
            IncidentInitiator.iso3,
            ini_country.name,
            IncidentTarget.iso3,
            tgt_country.name,
            func.count().label("incidents"),
        )
        .join(Incident, Incident.id == IncidentInitiator.incident_id)
        .join(IncidentTarget, IncidentTarget.incident_id == Incident.id)
        .join(ini_country, ini_country.iso3 == IncidentInitiator.iso3)
        .join(tgt_country, tgt_country.iso3 == IncidentTarget.iso3)
        .where(*incident_conditions(viewer, flt))
        .group_by(IncidentInitiator.iso3, ini_country.name, IncidentTarget.iso3, tgt_country.name)
        .order_by(func.count().desc(), IncidentInitiator.iso3, IncidentTarget.iso3)
        .limit(limit)
    )
    cols = ["initiator", "initiator_name", "target", "target_name", "incidents"]
    return read_frame(engine, stmt, cols).astype({"incidents": int})


def incident_initiated_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter, iso3: str) -> pd.DataFrame:
    """Visible incidents whose suspected initiator is the country, per target: target, target_name, incidents."""
    stmt = (
        select(IncidentTarget.iso3, Country.name, func.count().label("incidents"))
        .join(Incident, Incident.id == IncidentTarget.incident_id)
        .join(Country, Country.iso3 == IncidentTarget.iso3)
        .where(
            *incident_conditions(viewer, flt),
            Incident.id.in_(select(IncidentInitiator.incident_id).where(IncidentInitiator.iso3 == iso3)),
        )
        .group_by(IncidentTarget.iso3, Country.name)
        .order_by(func.count().desc(), IncidentTarget.iso3)
    )
    return read_frame(engine, stmt, ["target", "target_name", "incidents"]).astype({"incidents": int})


def incident_rows(
    engine: Engine, viewer: Viewer, flt: IncidentFilter, limit: int | None = 500, initiated_by: str | None = None
) -> pd.DataFrame:
    """Visible filtered incidents with their countries and sectors, newest first (at most `limit` rows), in SQL."""
    conds = incident_conditions(viewer, flt)
    if initiated_by:
        conds.append(
            Incident.id.in_(select(IncidentInitiator.incident_id).where(IncidentInitiator.iso3 == initiated_by))
        )
    rows = detail_frame(engine, conds, limit)
    for name in LINK_NAMES:
        model, column = LINK_COLUMNS[name]
        rows[name] = text_column(_links(engine, model, column, rows["id"].tolist()), rows.index)
    rows["track"] = text_column(_tracks(engine, rows["id"].tolist()), rows.index)
    return rows[INCIDENT_COLUMNS]


def _tracks(engine: Engine, ids: list[int]) -> list[str]:
    """'; '-joined ids of the tracks each incident belongs to, by membership in SQL, in the order of ids."""
    member: dict[str, set[int]] = {}
    with engine.connect() as conn:
        tracks = sorted(conn.scalars(select(Track.id)))
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            for t in tracks:
                found = conn.scalars(select(Incident.id).where(Incident.id.in_(chunk), in_tracks(Incident, [t])))
                member.setdefault(t, set()).update(found)
    return ["; ".join(t for t in tracks if i in member.get(t, ())) for i in ids]


def _links(engine: Engine, model: type, column: ColumnElement, ids: list[int]) -> list[str]:
    """'; '-joined link values per incident id, in the order of ids."""
    found: dict[int, list[str]] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            stmt = select(model.incident_id, column).where(model.incident_id.in_(chunk)).order_by(column)
            for incident_id, value in conn.execute(stmt):
                found.setdefault(incident_id, []).append(value)
    return ["; ".join(found.get(i, [])) for i in ids]


def latest_incident_date(engine: Engine, viewer: Viewer) -> dt.date | None:
    """Start date of the newest visible incident (the natural 'as of' date of a briefing)."""
    with engine.connect() as conn:
        return conn.scalar(select(func.max(Incident.start_date)).where(scope_clause(Incident, viewer)))


def window_counts(engine: Engine, viewer: Viewer, tracks: frozenset[str], by: str, *window: dt.date) -> pd.DataFrame:
    """Visible incidents per key in the baseline window [baseline_start, recent_start) and the recent window
    [recent_start, end]: key, baseline, recent. `by` is country, sector, dyad or norm."""
    baseline_start, recent_start, end = window
    flt = IncidentFilter(tracks=tracks, start=baseline_start, end=end)
    recent = func.sum(case((Incident.start_date >= recent_start, 1), else_=0)).label("recent")
    baseline = func.sum(case((Incident.start_date < recent_start, 1), else_=0)).label("baseline")
    conds = incident_conditions(viewer, flt)
    if by == "country":
        key = IncidentTarget.iso3
        stmt = select(key, baseline, recent).join(Incident, Incident.id == IncidentTarget.incident_id)
    elif by == "sector":
        key = IncidentSector.sector_id
        stmt = select(key, baseline, recent).join(Incident, Incident.id == IncidentSector.incident_id)
    elif by == "norm":
        key = IncidentNorm.item_id
        stmt = (
            select(key, baseline, recent)
            .join(Incident, Incident.id == IncidentNorm.incident_id)
            .where(IncidentNorm.inferred.is_(False))  # the figures count the links the source asserts
        )
    elif by == "dyad":
        key = (IncidentInitiator.iso3 + literal(">") + IncidentTarget.iso3).label("key")
        stmt = (
            select(key, baseline, recent)
            .select_from(IncidentInitiator)
            .join(Incident, Incident.id == IncidentInitiator.incident_id)
            .join(IncidentTarget, IncidentTarget.incident_id == Incident.id)
        )
    else:
        raise ValueError(f"cannot count by {by!r}")
    stmt = stmt.where(*conds).group_by(key)
    out = read_frame(engine, stmt, ["key", "baseline", "recent"])
    return out.astype({"baseline": int, "recent": int})


def incident_norm_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible filtered incidents per norm or CBM item and where the link comes from, in SQL."""
    stmt = (
        select(
            IncidentNorm.item_id,
            FrameworkItem.framework_id,
            FrameworkItem.code,
            IncidentNorm.inferred,
            IncidentNorm.basis,
            func.count().label("incidents"),
        )
        .join(Incident, Incident.id == IncidentNorm.incident_id)
        .join(FrameworkItem, FrameworkItem.id == IncidentNorm.item_id)
        .where(*incident_conditions(viewer, flt))
        .group_by(
            IncidentNorm.item_id,
            FrameworkItem.framework_id,
            FrameworkItem.code,
            FrameworkItem.sort_order,
            IncidentNorm.inferred,
            IncidentNorm.basis,
        )
        .order_by(IncidentNorm.inferred, FrameworkItem.framework_id, FrameworkItem.sort_order, IncidentNorm.basis)
    )
    out = read_frame(engine, stmt, INCIDENT_NORM_COLUMNS)
    return out.astype({"inferred": bool, "incidents": "int64"})

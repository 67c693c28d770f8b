"""Every read of the data layers. Each function takes a Viewer; track and TLP scope are applied in SQL here.

There is deliberately no function that reads rows without a viewer: scoping cannot be forgotten by a caller.
Aggregates (counts per country, per month) are computed in SQL from the rows the viewer may see.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    Text,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from dashboard.core.access import Role, Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.core.tlp import TLP_ORDER
from dashboard.read import snapshot as facts
from dashboard.store.models import (
    Country,
    DatasetVersion,
    FrameworkItem,
    Incident,
    IncidentInitiator,
    IncidentNorm,
    IncidentSector,
    IncidentTarget,
    NormAssessment,
    Partnership,
    PartnershipCountry,
    PartnershipParty,
    RowReplacement,
    Track,
    TrackMember,
)

LAYER_MODELS = {"incidents": Incident, "norms": NormAssessment, "partnerships": Partnership}


def scope_clause(model: type, viewer: Viewer) -> ColumnElement[bool]:
    """The rows of one layer this viewer may see: their tracks, within their TLP ceiling, from active versions."""
    plain = [t for t in viewer.visible_tlp if t != "amber+strict" or viewer.all_organisations]
    tlp_ok = model.tlp.in_(plain)
    if "amber+strict" in viewer.visible_tlp and not viewer.all_organisations:
        tlp_ok = or_(tlp_ok, and_(model.tlp == "amber+strict", model.owner_org == viewer.organisation))
    active = select(DatasetVersion.id).where(DatasetVersion.status == "active")
    replaced = (
        select(RowReplacement.row_id)
        .join(DatasetVersion, DatasetVersion.id == RowReplacement.version_id)
        .where(RowReplacement.layer == model.__tablename__, DatasetVersion.status == "active")
    )
    return and_(
        model.track_id.in_(sorted(viewer.tracks)),
        tlp_ok,
        model.dataset_version_id.in_(active),
        model.id.not_in(replaced),
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


def _sql_layer_counts(engine: Engine, viewer: Viewer) -> pd.DataFrame:
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


def _sql_incident_counts_by_country(engine: Engine, viewer: Viewer, flt: IncidentFilter | None = None) -> pd.DataFrame:
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


def _sql_incident_counts_by_month(engine: Engine, viewer: Viewer, flt: IncidentFilter | None = None) -> pd.DataFrame:
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


def _sql_strictest_tlp(engine: Engine, viewer: Viewer, layers: Sequence[str] = tuple(LAYER_MODELS)) -> str | None:
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
    """A fingerprint of which dataset versions are active (and the newest id); cache keys include it."""
    with engine.connect() as conn:
        return facts.stamp_of(conn)


# ---------------------------------------------------------------- helpers shared by the reads below


def _tlp_rank_expr(column: ColumnElement) -> ColumnElement[int]:
    return case({t: i for i, t in enumerate(TLP_ORDER)}, value=column, else_=0)


def _tlp_from_rank(rank: int | None) -> str | None:
    return None if rank is None else TLP_ORDER[int(rank)]


def _track_list(viewer: Viewer, tracks: frozenset[str] | None) -> list[str]:
    """The requested tracks, never more than the viewer's."""
    wanted = set(viewer.tracks) if not tracks else set(tracks) & set(viewer.tracks)
    return sorted(wanted)


# ---------------------------------------------------------------- incidents


def _sql_incident_summary(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> dict[str, object]:
    """Headline figures of the filtered visible incidents: incidents, significant, countries, strictest TLP."""
    conds = _incident_conditions(viewer, flt)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(case((Incident.severity >= 3, 1), else_=0)), 0),
        func.max(_tlp_rank_expr(Incident.tlp)),
    ).where(*conds)
    countries = (
        select(func.count(distinct(IncidentTarget.iso3)))
        .join(Incident, Incident.id == IncidentTarget.incident_id)
        .where(*conds)
    )
    with engine.connect() as conn:
        total, significant, rank = conn.execute(stmt).one()
        affected = conn.scalar(countries)
    return {
        "incidents": int(total),
        "significant": int(significant),
        "countries": int(affected or 0),
        "tlp": _tlp_from_rank(rank),
    }


def _sql_incident_counts_by_month_and(engine: Engine, viewer: Viewer, flt: IncidentFilter, by: str) -> pd.DataFrame:
    """Visible incidents per month and incident type (by='type') or sector (by='sector'): month, key, incidents."""
    month = month_bucket(Incident.start_date, engine.dialect.name).label("month")
    if by == "type":
        key = Incident.incident_type_id.label("key")
        stmt = select(month, key, func.count().label("incidents")).where(*_incident_conditions(viewer, flt))
    elif by == "sector":
        key = IncidentSector.sector_id.label("key")
        stmt = (
            select(month, key, func.count().label("incidents"))
            .join(IncidentSector, IncidentSector.incident_id == Incident.id)
            .where(*_incident_conditions(viewer, flt))
        )
    else:
        raise ValueError(f"cannot group by {by!r}")
    stmt = stmt.group_by(month, key).order_by(month, key)
    return _frame(engine, stmt, ["month", "key", "incidents"]).astype({"incidents": int})


def _sql_incident_counts_by_sector(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible incidents per sector: sector_id, incidents."""
    stmt = (
        select(IncidentSector.sector_id, func.count().label("incidents"))
        .join(Incident, Incident.id == IncidentSector.incident_id)
        .where(*_incident_conditions(viewer, flt))
        .group_by(IncidentSector.sector_id)
        .order_by(func.count().desc(), IncidentSector.sector_id)
    )
    return _frame(engine, stmt, ["sector_id", "incidents"]).astype({"incidents": int})


def _sql_sector_type_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible incidents per sector and type: sector_id, type_id, incidents."""
    stmt = (
        select(IncidentSector.sector_id, Incident.incident_type_id, func.count().label("incidents"))
        .join(Incident, Incident.id == IncidentSector.incident_id)
        .where(*_incident_conditions(viewer, flt))
        .group_by(IncidentSector.sector_id, Incident.incident_type_id)
    )
    return _frame(engine, stmt, ["sector_id", "type_id", "incidents"]).astype({"incidents": int})


def _sql_dyad_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter, limit: int = 15) -> pd.DataFrame:
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
        .where(*_incident_conditions(viewer, flt))
        .group_by(IncidentInitiator.iso3, ini_country.name, IncidentTarget.iso3, tgt_country.name)
        .order_by(func.count().desc(), IncidentInitiator.iso3, IncidentTarget.iso3)
        .limit(limit)
    )
    cols = ["initiator", "initiator_name", "target", "target_name", "incidents"]
    return _frame(engine, stmt, cols).astype({"incidents": int})


def _sql_incident_initiated_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter, iso3: str) -> pd.DataFrame:
    """Visible incidents whose suspected initiator is the country, per target: target, target_name, incidents."""
    stmt = (
        select(IncidentTarget.iso3, Country.name, func.count().label("incidents"))
        .join(Incident, Incident.id == IncidentTarget.incident_id)
        .join(Country, Country.iso3 == IncidentTarget.iso3)
        .where(
            *_incident_conditions(viewer, flt),
            Incident.id.in_(select(IncidentInitiator.incident_id).where(IncidentInitiator.iso3 == iso3)),
        )
        .group_by(IncidentTarget.iso3, Country.name)
        .order_by(func.count().desc(), IncidentTarget.iso3)
    )
    return _frame(engine, stmt, ["target", "target_name", "incidents"]).astype({"incidents": int})


INCIDENT_COLUMNS = [
    "id",
    "start_date",
    "end_date",
    "title",
    "track",
    "type",
    "severity",
    "targets",
    "initiators",
    "sectors",
    "initiator_name",
    "confidence",
    "attribution_basis",
    "source_urls",
    "tlp",
    "source_id",
    "description",
]


def _sql_incident_rows(
    engine: Engine, viewer: Viewer, flt: IncidentFilter, limit: int | None = 500, initiated_by: str | None = None
) -> pd.DataFrame:
    """Visible filtered incidents with their countries and sectors, newest first (at most `limit` rows), in SQL."""
    conds = _incident_conditions(viewer, flt)
    if initiated_by:
        conds.append(
            Incident.id.in_(select(IncidentInitiator.incident_id).where(IncidentInitiator.iso3 == initiated_by))
        )
    return _detail_rows(engine, conds, limit)


def _detail_rows(
    engine: Engine, conds: list[ColumnElement[bool]], limit: int | None, snap: facts.Snapshot | None = None
) -> pd.DataFrame:
    """Incidents matching the conditions with their links, newest first (at most `limit` rows).

    With a snapshot, the link columns come from its arrays instead of one SQL read per 5,000 incidents.
    """
    stmt = (
        select(
            Incident.id,
            Incident.start_date,
            Incident.end_date,
            Incident.title,
            Incident.track_id,
            Incident.incident_type_id,
            Incident.severity,
            Incident.initiator_name,
            Incident.confidence,
            Incident.attribution_basis,
            Incident.source_urls,
            Incident.tlp,
            Incident.source_id,
            Incident.description,
        )
        .where(*conds)
        .order_by(Incident.start_date.desc(), Incident.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    cols = [
        "id",
        "start_date",
        "end_date",
        "title",
        "track",
        "type",
        "severity",
        "initiator_name",
        "confidence",
        "attribution_basis",
        "source_urls",
        "tlp",
        "source_id",
        "description",
    ]
    rows = _frame(engine, stmt, cols)
    rows["source_urls"] = _text([("; ".join(v or [])) for v in rows["source_urls"]], rows.index)
    for name, model, column in (
        ("targets", IncidentTarget, IncidentTarget.iso3),
        ("initiators", IncidentInitiator, IncidentInitiator.iso3),
        ("sectors", IncidentSector, IncidentSector.sector_id),
    ):
        if snap is not None:  # reading the link tables by incident id is slow at scale
            rows[name] = _text(_snapshot_links(snap, name, rows["id"].to_numpy(np.int64)), rows.index)
        else:
            rows[name] = _text(_links(engine, model, column, rows["id"].tolist()), rows.index)
    return rows[INCIDENT_COLUMNS]


def _snapshot_links(snap: facts.Snapshot, name: str, ids: np.ndarray) -> list[str]:
    """'; '-joined link values (in value order) per incident id, from the snapshot, in the order of ids."""
    links = snap.link(name)
    positions = snap.position(ids)
    wanted = np.zeros(snap.size + 1, dtype=bool)
    wanted[positions[positions >= 0]] = True
    chosen = wanted[links.inc]
    frame = pd.DataFrame({"inc": links.inc[chosen], "code": links.code[chosen]}).sort_values(["inc", "code"])
    frame["value"] = np.array(links.vocab, dtype=object)[frame["code"].to_numpy()]
    joined = frame.groupby("inc", sort=False)["value"].agg("; ".join)
    return [joined.get(int(p), "") if p >= 0 else "" for p in positions]


def _text(values: list[str], index: pd.Index) -> pd.Series:
    """A text column that stays text when empty (an empty list would become float64)."""
    return pd.Series(values, index=index, dtype=object)


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


# ---------------------------------------------------------------- countries and tracks


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
        .where(TrackMember.track_id.in_(_track_list(viewer, tracks)))
        .group_by(Country.iso3, Country.name, Country.lat, Country.lon, Country.has_shape)
        .order_by(Country.name)
    )
    return _frame(engine, stmt, ["iso3", "name", "lat", "lon", "has_shape", "tracks"])


def countries(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """Every country of the reference list: iso3, name, lat, lon, has_shape."""
    stmt = select(Country.iso3, Country.name, Country.lat, Country.lon, Country.has_shape).order_by(Country.name)
    return _frame(engine, stmt, ["iso3", "name", "lat", "lon", "has_shape"])


# ---------------------------------------------------------------- norm adherence


def _norm_conditions(
    viewer: Viewer, tracks: frozenset[str] | None, countries: frozenset[str] | None
) -> list[ColumnElement[bool]]:
    conds = [scope_clause(NormAssessment, viewer), NormAssessment.track_id.in_(_track_list(viewer, tracks))]
    if countries:
        conds.append(NormAssessment.iso3.in_(sorted(countries)))
    return conds


def norm_rounds(engine: Engine, viewer: Viewer, tracks: frozenset[str] | None = None) -> list[dt.date]:
    """Distinct assessment dates of the visible norm assessments, oldest first."""
    stmt = (
        select(NormAssessment.assessed_on)
        .where(*_norm_conditions(viewer, tracks, None))
        .distinct()
        .order_by(NormAssessment.assessed_on)
    )
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


NORM_COLUMNS = [
    "iso3",
    "country",
    "item_id",
    "framework_id",
    "code",
    "status",
    "assessed_on",
    "round_label",
    "evidence_url",
    "tlp",
    "track",
]


def norm_status_as_of(
    engine: Engine,
    viewer: Viewer,
    as_of: dt.date | None = None,
    tracks: frozenset[str] | None = None,
    countries: frozenset[str] | None = None,
) -> pd.DataFrame:
    """Latest visible assessment of each country and item on or before as_of (window function in SQL).

    Statuses are per track, so those of all the viewer's tracks are read once per data stamp and as-of date and
    then narrowed to the tracks and countries asked for: the briefing and the watchlist ask for the same statuses
    in one page run, and switching the track filter asks for a part of what was read before."""
    result = _per_stamp(
        engine, ("norm-status", viewer, as_of), lambda: _norm_status_as_of(engine, viewer, as_of, None, None)
    )
    keep = result["track"].isin(_track_list(viewer, tracks))
    if countries:
        keep &= result["iso3"].isin(countries)
    return result[keep].reset_index(drop=True)


_PER_STAMP: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_PER_STAMP_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the reads kept per data stamp (the benchmark's cold runs; a data change makes new keys anyway)."""
    with _PER_STAMP_LOCK:
        _PER_STAMP.clear()


def _per_stamp(engine: Engine, key: tuple, read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """A read of all the viewer's tracks, kept per database and data stamp (the last 64); callers narrow it to the
    tracks and countries asked for, so that switching the track filter reads nothing again. Never mutate it."""
    key = (engine.url.render_as_string(), data_stamp(engine), *key)
    with _PER_STAMP_LOCK:
        result = _PER_STAMP.get(key)
        if result is not None:
            _PER_STAMP.move_to_end(key)
            return result
    result = read()
    with _PER_STAMP_LOCK:
        _PER_STAMP[key] = result
        while len(_PER_STAMP) > 64:
            _PER_STAMP.popitem(last=False)
    return result


def _norm_status_as_of(
    engine: Engine,
    viewer: Viewer,
    as_of: dt.date | None,
    tracks: frozenset[str] | None,
    countries: frozenset[str] | None,
) -> pd.DataFrame:
    conds = _norm_conditions(viewer, tracks, countries)
    if as_of is not None:
        conds.append(NormAssessment.assessed_on <= as_of)
    row_number = (
        func.row_number()
        .over(
            partition_by=(NormAssessment.iso3, NormAssessment.item_id, NormAssessment.track_id),
            order_by=(NormAssessment.assessed_on.desc(), NormAssessment.id.desc()),
        )
        .label("rn")
    )
    inner = select(NormAssessment, row_number).where(*conds).subquery()
    stmt = (
        select(
            inner.c.iso3,
            Country.name,
            inner.c.item_id,
            FrameworkItem.framework_id,
            FrameworkItem.code,
            inner.c.status,
            inner.c.assessed_on,
            inner.c.round_label,
            inner.c.evidence_url,
            inner.c.tlp,
            inner.c.track_id,
        )
        .join(Country, Country.iso3 == inner.c.iso3)
        .join(FrameworkItem, FrameworkItem.id == inner.c.item_id)
        .where(inner.c.rn == 1)
        .order_by(Country.name, FrameworkItem.sort_order)
    )
    return _frame(engine, stmt, NORM_COLUMNS)


def norm_round_shares(
    engine: Engine, viewer: Viewer, tracks: frozenset[str] | None = None, countries: frozenset[str] | None = None
) -> pd.DataFrame:
    """Per country, framework and round: items implemented, items assessed (applicable, known) and the share."""
    applicable = NormAssessment.status.in_(["implemented", "in_progress", "not_started"])
    stmt = (
        select(
            NormAssessment.iso3,
            Country.name,
            FrameworkItem.framework_id,
            NormAssessment.assessed_on,
            func.sum(case((NormAssessment.status == "implemented", 1), else_=0)),
            func.sum(case((applicable, 1), else_=0)),
        )
        .join(Country, Country.iso3 == NormAssessment.iso3)
        .join(FrameworkItem, FrameworkItem.id == NormAssessment.item_id)
        .where(*_norm_conditions(viewer, tracks, countries))
        .group_by(NormAssessment.iso3, Country.name, FrameworkItem.framework_id, NormAssessment.assessed_on)
        .order_by(NormAssessment.iso3, NormAssessment.assessed_on)
    )
    out = _frame(engine, stmt, ["iso3", "country", "framework_id", "assessed_on", "implemented", "assessed"])
    out = out.astype({"implemented": int, "assessed": int})
    out["share"] = (out["implemented"] / out["assessed"].where(out["assessed"] > 0)).fillna(0.0)
    return out


# ---------------------------------------------------------------- partnerships


PARTNERSHIP_COLUMNS = [
    "id",
    "name",
    "kind",
    "focus",
    "status",
    "start_date",
    "end_date",
    "last_tested",
    "funding_usd",
    "funder",
    "countries",
    "parties",
    "party_types",
    "track",
    "tlp",
    "url",
]


def _partnership_conditions(
    viewer: Viewer, tracks: frozenset[str] | None, countries: frozenset[str] | None
) -> list[ColumnElement[bool]]:
    conds = [scope_clause(Partnership, viewer), Partnership.track_id.in_(_track_list(viewer, tracks))]
    if countries:
        conds.append(
            Partnership.id.in_(
                select(PartnershipCountry.partnership_id).where(PartnershipCountry.iso3.in_(sorted(countries)))
            )
        )
    return conds


def partnership_rows(
    engine: Engine, viewer: Viewer, tracks: frozenset[str] | None = None, countries: frozenset[str] | None = None
) -> pd.DataFrame:
    """Visible partnerships with their countries and parties ('; '-joined), newest start first.

    Those of all the viewer's tracks are read once per data stamp, then narrowed to the tracks and countries."""
    rows = _per_stamp(engine, ("partnerships", viewer), lambda: _partnership_rows(engine, viewer, None, None))
    keep = rows["track"].isin(_track_list(viewer, tracks))
    if countries:
        wanted = set(countries)
        keep &= np.array([bool(wanted.intersection(str(c).split("; "))) for c in rows["countries"]], dtype=bool)
    return rows[keep].reset_index(drop=True)


def _partnership_rows(
    engine: Engine, viewer: Viewer, tracks: frozenset[str] | None, countries: frozenset[str] | None
) -> pd.DataFrame:
    stmt = (
        select(
            Partnership.id,
            Partnership.name,
            Partnership.kind,
            Partnership.focus,
            Partnership.status,
            Partnership.start_date,
            Partnership.end_date,
            Partnership.last_tested,
            Partnership.funding_usd,
            Partnership.funder,
            Partnership.track_id,
            Partnership.tlp,
            Partnership.url,
        )
        .where(*_partnership_conditions(viewer, tracks, countries))
        .order_by(Partnership.start_date.desc(), Partnership.id)
    )
    cols = [
        "id",
        "name",
        "kind",
        "focus",
        "status",
        "start_date",
        "end_date",
        "last_tested",
        "funding_usd",
        "funder",
        "track",
        "tlp",
        "url",
    ]
    rows = _frame(engine, stmt, cols)
    ids = rows["id"].tolist()
    links: dict[int, list[str]] = {}
    parties: dict[int, list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            for pid, iso3 in conn.execute(
                select(PartnershipCountry.partnership_id, PartnershipCountry.iso3)
                .where(PartnershipCountry.partnership_id.in_(chunk))
                .order_by(PartnershipCountry.iso3)
            ):
                links.setdefault(pid, []).append(iso3)
            for pid, name, ptype in conn.execute(
                select(PartnershipParty.partnership_id, PartnershipParty.name, PartnershipParty.party_type)
                .where(PartnershipParty.partnership_id.in_(chunk))
                .order_by(PartnershipParty.id)
            ):
                parties.setdefault(pid, []).append((name, ptype))
    rows["countries"] = _text(["; ".join(links.get(i, [])) for i in ids], rows.index)
    rows["parties"] = _text(["; ".join(n for n, _ in parties.get(i, [])) for i in ids], rows.index)
    rows["party_types"] = _text(["; ".join(sorted({t for _, t in parties.get(i, [])})) for i in ids], rows.index)
    return rows[PARTNERSHIP_COLUMNS]


def partnership_counts_by_country(engine: Engine, viewer: Viewer, tracks: frozenset[str] | None = None) -> pd.DataFrame:
    """Visible partnerships per country: iso3, name, partnerships, active."""
    stmt = (
        select(
            PartnershipCountry.iso3,
            Country.name,
            func.count(),
            func.sum(case((Partnership.status == "active", 1), else_=0)),
        )
        .join(Partnership, Partnership.id == PartnershipCountry.partnership_id)
        .join(Country, Country.iso3 == PartnershipCountry.iso3)
        .where(*_partnership_conditions(viewer, tracks, None))
        .group_by(PartnershipCountry.iso3, Country.name)
        .order_by(func.count().desc(), PartnershipCountry.iso3)
    )
    return _frame(engine, stmt, ["iso3", "name", "partnerships", "active"]).astype({"partnerships": int, "active": int})


def _sql_latest_incident_date(engine: Engine, viewer: Viewer) -> dt.date | None:
    """Start date of the newest visible incident (the natural 'as of' date of a briefing)."""
    with engine.connect() as conn:
        return conn.scalar(select(func.max(Incident.start_date)).where(scope_clause(Incident, viewer)))


def current_rows_for_diff(engine: Engine, viewer: Viewer, layer: str, track: str) -> pd.DataFrame:
    """The current rows of one layer and track with the fields an upload is compared on (id first).

    The one read not limited by the uploader's TLP ceiling: an upload must be compared with every active row of
    the track, or re-uploading a file would duplicate the rows the uploader cannot see. It is open only to those
    who may upload to the track, and its result is used for matching keys, never shown.
    """
    if not viewer.may_upload_to(track):
        raise PermissionError("only coordinators of the track and administrators compare uploads")
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
            Incident.source_id,
            Incident.title,
            Incident.start_date,
            Incident.end_date,
            Incident.incident_type_id,
            Incident.severity,
            targets,
            Incident.tlp,
        ).where(*_incident_conditions(viewer, IncidentFilter(tracks=tracks)))
        columns = ["id", "source_id", "title", "start_date", "end_date", "incident_type", "severity"]
        return _frame(engine, stmt, [*columns, "target_countries", "tlp"]).fillna({"target_countries": ""})
    if layer == "norms":
        stmt = select(
            NormAssessment.id,
            NormAssessment.iso3,
            NormAssessment.item_id,
            NormAssessment.assessed_on,
            NormAssessment.status,
            NormAssessment.evidence_url,
            NormAssessment.tlp,
        ).where(*_norm_conditions(viewer, tracks, None))
        return _frame(engine, stmt, ["id", "iso3", "item_id", "assessed_on", "status", "evidence_url", "tlp"])
    rows = partnership_rows(engine, viewer, tracks)
    return rows[["id", "name", "kind", "status", "start_date", "end_date", "last_tested", "countries", "tlp"]].assign(
        source_id=_partnership_source_ids(engine, rows["id"].tolist())
    )


def _partnership_source_ids(engine: Engine, ids: list[int]) -> list[str]:
    found: dict[int, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            found.update(
                conn.execute(select(Partnership.id, Partnership.source_id).where(Partnership.id.in_(chunk))).all()
            )
    return [found.get(i, "") for i in ids]


def _sql_window_counts(  # noqa: PLR0917 - positional, so ui.query can cache it
    engine: Engine,
    viewer: Viewer,
    tracks: frozenset[str],
    by: str,
    baseline_start: dt.date,
    recent_start: dt.date,
    end: dt.date,
) -> pd.DataFrame:
    """Visible incidents per key in the baseline window [baseline_start, recent_start) and the recent window
    [recent_start, end]: key, baseline, recent. `by` is country, sector, dyad or norm."""
    flt = IncidentFilter(tracks=tracks, start=baseline_start, end=end)
    recent = func.sum(case((Incident.start_date >= recent_start, 1), else_=0)).label("recent")
    baseline = func.sum(case((Incident.start_date < recent_start, 1), else_=0)).label("baseline")
    conds = _incident_conditions(viewer, flt)
    if by == "country":
        key = IncidentTarget.iso3
        stmt = select(key, baseline, recent).join(Incident, Incident.id == IncidentTarget.incident_id)
    elif by == "sector":
        key = IncidentSector.sector_id
        stmt = select(key, baseline, recent).join(Incident, Incident.id == IncidentSector.incident_id)
    elif by == "norm":
        key = IncidentNorm.item_id
        stmt = select(key, baseline, recent).join(Incident, Incident.id == IncidentNorm.incident_id)
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
    out = _frame(engine, stmt, ["key", "baseline", "recent"])
    return out.astype({"baseline": int, "recent": int})


# ------------------------------------------------------- incident reads on the snapshot (dashboard.read.snapshot)
#
# The public incident reads below compute on the columnar snapshot of the current incidents: the viewer's scope and
# the filter become one mask, every count a vectorised reduction. The `_sql_*` functions above are the same reads
# in SQL; the tests compare both.


def _int_frame(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    return frame.astype(dict.fromkeys(columns, "int64")).reset_index(drop=True)


def _counts(codes: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(codes, weights=weights, minlength=size)[:size].astype(np.int64)


def layer_counts(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """Visible rows per track and layer (columns track_id, track, layer, rows), zero-filled for the viewer's tracks."""
    parts = []
    for layer, model in LAYER_MODELS.items():
        if layer == "incidents":
            continue
        parts.append(
            select(model.track_id.label("track_id"), literal(layer).label("layer"), func.count().label("rows"))
            .where(scope_clause(model, viewer))
            .group_by(model.track_id)
        )
    counts = _frame(engine, union_all(*parts), ["track_id", "layer", "rows"])
    snap = facts.snapshot(engine)
    per_track = _counts(snap.track[snap.scope(viewer)].astype(np.int64), len(snap.tracks))
    incidents = pd.DataFrame({"track_id": snap.tracks, "layer": "incidents", "rows": per_track})
    counts = pd.concat([incidents[incidents["rows"] > 0], counts], ignore_index=True)
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
        found.update(t for t in [_sql_strictest_tlp(engine, viewer, others)] if t)
    if "incidents" in layers:
        snap = facts.snapshot(engine)
        ranks = snap.tlp[snap.scope(viewer)]
        if len(ranks):
            found.add(TLP_ORDER[int(ranks.max())])
    return max(found, key=TLP_ORDER.index) if found else None


def latest_incident_date(engine: Engine, viewer: Viewer) -> dt.date | None:
    """Start date of the newest visible incident (the natural 'as of' date of a briefing)."""
    snap = facts.snapshot(engine)
    visible = np.flatnonzero(snap.scope(viewer))
    return facts.from_day(snap.day[visible[-1]]) if len(visible) else None


def incident_summary(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> dict[str, object]:
    """Headline figures of the filtered visible incidents: incidents, significant, countries, strictest TLP."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, flt)
    total = int(np.count_nonzero(mask))
    targets = snap.targets
    hit = _counts(targets.code[mask[targets.inc]], len(targets.vocab))
    return {
        "incidents": total,
        "significant": int(np.count_nonzero(mask & (snap.severity >= 3))),
        "countries": int(np.count_nonzero(hit)),
        "tlp": TLP_ORDER[int(snap.tlp[mask].max())] if total else None,
    }


def _by_country(snap: facts.Snapshot, mask: np.ndarray) -> pd.DataFrame:
    """Per target country: iso3, name, incidents, severity_weighted, significant (countries with incidents)."""
    targets = snap.targets
    chosen = mask[targets.inc]
    codes, inc = targets.code[chosen], targets.inc[chosen]
    size = len(targets.vocab)
    severity = snap.severity[inc]
    incidents = _counts(codes, size)
    weighted = _counts(codes, size, np.maximum(severity, 0).astype(np.float64))
    significant = _counts(codes[severity >= 3], size)
    present = np.flatnonzero(incidents)
    iso3 = [targets.vocab[i] for i in present]
    out = pd.DataFrame(
        {
            "iso3": iso3,
            "name": [snap.country_names[c] for c in iso3],
            "incidents": incidents[present],
            "severity_weighted": weighted[present],
            "significant": significant[present],
        }
    )
    out = out.sort_values(["incidents", "iso3"], ascending=[False, True], kind="stable")
    return _int_frame(out, "incidents", "severity_weighted", "significant")


def incident_counts_by_country(engine: Engine, viewer: Viewer, flt: IncidentFilter | None = None) -> pd.DataFrame:
    """Visible incidents per target country: iso3, name, incidents, severity_weighted, significant."""
    snap = facts.snapshot(engine)
    return _by_country(snap, snap.mask(viewer, flt or IncidentFilter()))


def incident_counts_by_month(engine: Engine, viewer: Viewer, flt: IncidentFilter | None = None) -> pd.DataFrame:
    """Visible incidents per calendar month: month ('YYYY-MM'), incidents."""
    snap = facts.snapshot(engine)
    months = snap.month[snap.mask(viewer, flt or IncidentFilter())]
    found, counts = np.unique(months, return_counts=True)
    out = pd.DataFrame({"month": facts.month_labels(found).astype(object), "incidents": counts})
    return _int_frame(out, "incidents")


def incident_counts_by_month_and(engine: Engine, viewer: Viewer, flt: IncidentFilter, by: str) -> pd.DataFrame:
    """Visible incidents per month and incident type (by='type') or sector (by='sector'): month, key, incidents."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, flt)
    if by == "type":
        months, keys, vocab = snap.month[mask], snap.type[mask].astype(np.int64), snap.types
    elif by == "sector":
        links = snap.sectors
        chosen = mask[links.inc]
        months, keys, vocab = snap.month[links.inc[chosen]], links.code[chosen].astype(np.int64), links.vocab
    else:
        raise ValueError(f"cannot group by {by!r}")
    width = len(vocab) + 1
    found, counts = np.unique(months.astype(np.int64) * width + keys, return_counts=True)
    out = pd.DataFrame(
        {
            "month": facts.month_labels(found // width).astype(object),
            "key": [vocab[int(k)] for k in found % width],
            "incidents": counts,
        }
    )
    return _int_frame(out.sort_values(["month", "key"], kind="stable"), "incidents")


def incident_counts_by_sector(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible incidents per sector: sector_id, incidents."""
    snap = facts.snapshot(engine)
    links = snap.sectors
    counts = _counts(links.code[snap.mask(viewer, flt)[links.inc]], len(links.vocab))
    present = np.flatnonzero(counts)
    out = pd.DataFrame({"sector_id": [links.vocab[i] for i in present], "incidents": counts[present]})
    out = out.sort_values(["incidents", "sector_id"], ascending=[False, True], kind="stable")
    return _int_frame(out, "incidents")


def sector_type_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible incidents per sector and type: sector_id, type_id, incidents."""
    snap = facts.snapshot(engine)
    links = snap.sectors
    chosen = snap.mask(viewer, flt)[links.inc]
    width = len(snap.types) + 1
    combined = links.code[chosen].astype(np.int64) * width + snap.type[links.inc[chosen]]
    found, counts = np.unique(combined, return_counts=True)
    out = pd.DataFrame(
        {
            "sector_id": [links.vocab[int(k)] for k in found // width],
            "type_id": [snap.types[int(k)] for k in found % width],
            "incidents": counts,
        }
    )
    return _int_frame(out, "incidents")


def _dyad_frame(snap: facts.Snapshot, mask: np.ndarray) -> pd.DataFrame:
    """Visible incidents per initiator -> target pair: initiator, target, incidents (pairs with incidents)."""
    inc, ini, tgt = snap.dyads()
    chosen = mask[inc]
    width = len(snap.targets.vocab) + 1
    found, counts = np.unique(ini[chosen].astype(np.int64) * width + tgt[chosen], return_counts=True)
    vocab = snap.targets.vocab
    return pd.DataFrame(
        {
            "initiator": [vocab[int(k)] for k in found // width],
            "target": [vocab[int(k)] for k in found % width],
            "incidents": counts.astype(np.int64),
        }
    )


def dyad_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter, limit: int = 15) -> pd.DataFrame:
    """Top suspected initiator -> target country pairs: initiator, initiator_name, target, target_name, incidents."""
    snap = facts.snapshot(engine)
    pairs = _dyad_frame(snap, snap.mask(viewer, flt))
    pairs = pairs.sort_values(["incidents", "initiator", "target"], ascending=[False, True, True], kind="stable")
    pairs = pairs.head(limit)
    names = snap.country_names
    out = pd.DataFrame(
        {
            "initiator": pairs["initiator"],
            "initiator_name": pairs["initiator"].map(names),
            "target": pairs["target"],
            "target_name": pairs["target"].map(names),
            "incidents": pairs["incidents"],
        }
    )
    return _int_frame(out, "incidents")


def incident_initiated_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter, iso3: str) -> pd.DataFrame:
    """Visible incidents whose suspected initiator is the country, per target: target, target_name, incidents."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, flt) & snap.initiators.any_of(snap.size, {iso3})
    out = _by_country(snap, mask)[["iso3", "name", "incidents"]]
    return out.rename(columns={"iso3": "target", "name": "target_name"})


def incident_rows(
    engine: Engine, viewer: Viewer, flt: IncidentFilter, limit: int | None = 500, initiated_by: str | None = None
) -> pd.DataFrame:
    """Visible filtered incidents with their countries and sectors, newest first (at most `limit` rows).

    With a limit, the newest matching incidents are picked on the snapshot and only they are read; without one
    (downloads), every matching row is read in SQL.
    """
    snap = facts.snapshot(engine)
    if limit is None:
        conds = _incident_conditions(viewer, flt)
        if initiated_by:
            conds.append(
                Incident.id.in_(select(IncidentInitiator.incident_id).where(IncidentInitiator.iso3 == initiated_by))
            )
        return _detail_rows(engine, conds, None, snap)
    mask = snap.mask(viewer, flt)
    if initiated_by:
        mask = mask & snap.initiators.any_of(snap.size, {initiated_by})
    ids = [int(i) for i in snap.ids[np.flatnonzero(mask)[::-1][:limit]]] if limit > 0 else []
    rows = _detail_rows(engine, [Incident.id.in_(ids)], None, snap)
    order = {incident_id: position for position, incident_id in enumerate(ids)}
    rows = rows.iloc[np.argsort([order[i] for i in rows["id"]], kind="stable")] if len(rows) else rows
    return rows.reset_index(drop=True)


# ---------------------------------------------------------------- web sites cited by incidents

# Separates the incidents' JSON texts in the packed read: JSON text never holds a raw control character.
_RECORD_SEPARATOR = "\x1e"
# A plain web address whose host urllib reads as the ASCII text after '//' (no user info, port digits only, no
# spaces or control characters anywhere); every other address is read by urllib itself.
_PLAIN_URL = r"^[A-Za-z][A-Za-z0-9+.\-]*://(?P<host>[A-Za-z0-9._\-]*)(?::[0-9]*)?(?:[/?#][!-~]*)?$"


def incident_source_hosts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Web sites cited by the visible filtered incidents: host (without 'www.'), incidents (citing it), most first.

    Reads only the source_urls of the matching incidents (the same conditions as the other incident reads), packed
    into one text by the database, and finds the hosts with Arrow string functions: a host counts once per incident.
    """
    conds = _incident_conditions(viewer, flt)
    postgres = engine.dialect.name == "postgresql"
    urls = cast(Incident.source_urls, Text) if postgres else type_coerce(Incident.source_urls, Text)
    if postgres:
        packed = func.string_agg(urls, literal(_RECORD_SEPARATOR), type_=Text)
    else:
        packed = func.group_concat(urls, func.char(ord(_RECORD_SEPARATOR)), type_=Text)
    with engine.connect() as conn:
        count, joined = conn.execute(select(func.count(), packed).where(*conds)).one()
        texts = joined.split(_RECORD_SEPARATOR) if count else []
        if len(texts) != count:  # text that is not plain JSON: read it row by row
            texts = list(conn.execute(select(urls).where(*conds)).scalars())
    return _source_host_counts(texts)


def _source_host_counts(texts: list[str]) -> pd.DataFrame:
    """Hosts of the web addresses in JSON lists of text (one per incident) and the number of lists citing each.

    Like urllib's hostname, lower case; 'www.' is removed after the hosts of one incident are made distinct.
    """
    incs, hosts = [], []
    lists = pa.array(texts, type=pa.string())
    pieces = pc.split_pattern(lists, '"')
    flat = pc.list_flatten(pieces)
    parent = pc.list_parent_indices(pieces).to_numpy().astype(np.int64)
    place = np.arange(len(flat), dtype=np.int64) - pieces.offsets.to_numpy().astype(np.int64)[parent]
    inside = place % 2 == 1  # without escapes, the text between the 1st and 2nd, 3rd and 4th ... quote is a value
    between = pc.match_substring_regex(flat, r"^[ \t\n\r\[\],]*$").to_numpy(zero_copy_only=False)
    slow = pc.match_substring(lists, "\\").to_numpy(zero_copy_only=False)
    slow |= pc.list_value_length(pieces).to_numpy() % 2 == 0
    slow[parent[~inside & ~between]] = True
    keep = inside & ~slow[parent]
    values, value_inc = pc.filter(flat, pa.array(keep)), parent[keep]
    odd_values: list[tuple[int, str]] = []
    for i in np.flatnonzero(slow).tolist():  # escapes or other JSON: decoded in Python
        odd_values += [(i, str(u)) for u in json.loads(texts[i]) or []]
    found = pc.extract_regex(values, _PLAIN_URL)
    plain = pc.is_valid(found).to_numpy(zero_copy_only=False)
    incs.append(value_inc[plain])
    hosts.append(pc.ascii_lower(pc.struct_field(pc.filter(found, pa.array(plain)), "host")).to_numpy(False))
    values = values.to_numpy(zero_copy_only=False)
    odd_values += zip(value_inc[~plain].tolist(), values[~plain].tolist(), strict=True)
    odd = [
        (i, host)
        for i, value in odd_values
        for part in value.split("; ")
        if part.strip() and (host := urlparse(part.strip()).hostname)
    ]
    incs.append(np.array([i for i, _ in odd], dtype=np.int64))
    hosts.append(np.array([h for _, h in odd], dtype=object))
    pairs = pd.DataFrame({"inc": np.concatenate(incs), "host": np.concatenate(hosts).astype(object)})
    pairs = pairs[pairs["host"] != ""].drop_duplicates()
    counts = pairs["host"].str.removeprefix("www.").value_counts(sort=False)
    out = pd.DataFrame({"host": counts.index.astype(object), "incidents": counts.to_numpy()})
    out = out.sort_values(["incidents", "host"], ascending=[False, True], kind="stable")
    return _int_frame(out, "incidents")


def window_counts(  # noqa: PLR0917 - positional, so ui.query can cache it
    engine: Engine,
    viewer: Viewer,
    tracks: frozenset[str],
    by: str,
    baseline_start: dt.date,
    recent_start: dt.date,
    end: dt.date,
) -> pd.DataFrame:
    """Visible incidents per key in the baseline window [baseline_start, recent_start) and the recent window
    [recent_start, end]: key, baseline, recent. `by` is country, sector, dyad or norm."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, IncidentFilter(tracks=tracks, start=baseline_start, end=end))
    recent_day = facts.to_day(recent_start)
    if by == "dyad":
        inc, ini, tgt = snap.dyads()
        width = len(snap.targets.vocab) + 1
        codes = ini.astype(np.int64) * width + tgt
        vocab = snap.targets.vocab
        size = width * width

        def name(k: int) -> str:
            return f"{vocab[k // width]}>{vocab[k % width]}"
    else:
        links = {"country": snap.targets, "sector": snap.sectors, "norm": snap.norms}.get(by)
        if links is None:
            raise ValueError(f"cannot count by {by!r}")
        inc, codes, size = links.inc, links.code.astype(np.int64), len(links.vocab)

        def name(k: int) -> str:
            return links.vocab[k]

    chosen = mask[inc]
    codes, recent = codes[chosen], snap.day[inc[chosen]] >= recent_day
    recent_all = np.bincount(codes[recent], minlength=size).astype(np.int64)  # codes are small: count, no sort
    baseline_all = np.bincount(codes[~recent], minlength=size).astype(np.int64)
    found = np.flatnonzero(recent_all + baseline_all)
    out = pd.DataFrame(
        {"key": [name(int(k)) for k in found], "baseline": baseline_all[found], "recent": recent_all[found]}
    )
    return _int_frame(out, "baseline", "recent")

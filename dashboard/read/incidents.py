"""The incident reads: counts, summaries and rows of the incidents a viewer may see, most of them on the snapshot.

The reads compute on the columnar snapshot of the current incidents (dashboard.read.snapshot): the viewer's scope
and the filter become one mask, every count a vectorised reduction. Only the rows themselves are read in SQL.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, select

from dashboard.core.access import Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.core.tlp import TLP_ORDER
from dashboard.read import snapshot as facts
from dashboard.read.frames import code_counts, int_frame, read_frame, text_column
from dashboard.read.scope import Scope, incident_view_clause, scope_clause, track_list
from dashboard.store.models import (
    Incident,
    IncidentInitiator,
    IncidentNorm,
    IncidentSector,
    IncidentTarget,
    IncidentTypeLink,
)


def incident_conditions(viewer: Viewer, flt: IncidentFilter) -> list[ColumnElement[bool]]:
    """The conditions of the incidents a viewer may see that match the filter (for reads in SQL)."""
    conds = [incident_view_clause(Scope.of(viewer), track_list(viewer, flt.tracks))]
    if flt.start:
        conds.append(Incident.start_date >= flt.start)
    if flt.end:
        conds.append(Incident.start_date <= flt.end)
    if flt.types:
        conds.append(  # any of an incident's types, not only the primary one
            Incident.id.in_(select(IncidentTypeLink.incident_id).where(IncidentTypeLink.type_id.in_(sorted(flt.types))))
        )
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


LINK_NAMES = ("targets", "initiators", "sectors")
DETAIL_COLUMNS = [c for c in INCIDENT_COLUMNS if c not in LINK_NAMES]  # read in SQL; links come apart


def detail_frame(engine: Engine, conds: list[ColumnElement[bool]], limit: int | None) -> pd.DataFrame:
    """Incidents matching the conditions without their links (DETAIL_COLUMNS), newest first (at most `limit`)."""
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
    rows = read_frame(engine, stmt, DETAIL_COLUMNS)
    rows["severity"] = rows["severity"].astype("Int64")  # an integer, or empty when the source gives none
    rows["source_urls"] = text_column([("; ".join(v or [])) for v in rows["source_urls"]], rows.index)
    return rows


def _detail_rows(engine: Engine, conds: list[ColumnElement[bool]], snap: facts.Snapshot) -> pd.DataFrame:
    """Incidents matching the conditions with their links, newest first; the link columns come from the
    snapshot's arrays (reading the link tables by incident id is slow at scale)."""
    rows = detail_frame(engine, conds, None)
    ids = rows["id"].to_numpy(np.int64)
    for name in LINK_NAMES:
        rows[name] = text_column(_snapshot_links(snap, name, ids), rows.index)
    rows["track"] = text_column(_snapshot_tracks(snap, ids), rows.index)
    return rows[INCIDENT_COLUMNS]


def _snapshot_tracks(snap: facts.Snapshot, ids: np.ndarray) -> list[str]:
    """'; '-joined ids of the tracks each incident belongs to (by its countries' membership), in the order of ids."""
    positions = snap.position(ids)
    found = positions >= 0
    names = np.full(len(ids), "", dtype=object)
    for track in sorted(snap.tracks):
        member = np.zeros(len(ids), dtype=bool)
        member[found] = snap.in_tracks(frozenset({track}))[positions[found]]
        names[member] = [f"{n}; {track}" if n else track for n in names[member]]
    return names.tolist()


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


def latest_incident_date(engine: Engine, viewer: Viewer) -> dt.date | None:
    """Start date of the newest visible incident (the natural 'as of' date of a briefing)."""
    snap = facts.snapshot(engine)
    visible = np.flatnonzero(snap.scope(viewer))
    return facts.from_day(snap.day[visible[-1]]) if len(visible) else None


def incident_summary(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> dict[str, object]:
    """Headline figures of the filtered visible incidents: incidents, significant, countries (target countries that
    are members of the tracks shown), other_countries (targets outside them, hit in the same incidents),
    unidentified (incidents without a target country: counted, on no map), strictest TLP."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, flt)
    total = int(np.count_nonzero(mask))
    targets = snap.targets
    hit = code_counts(targets.code[mask[targets.inc]], len(targets.vocab)) > 0
    members = set().union(*(snap.members.get(t, frozenset()) for t in track_list(viewer, flt.tracks)))
    member = np.array([c in members for c in targets.vocab], dtype=bool)
    return {
        "incidents": total,
        "significant": int(np.count_nonzero(mask & (snap.severity >= 3))),
        "countries": int(np.count_nonzero(hit & member)),
        "other_countries": int(np.count_nonzero(hit & ~member)),
        "unidentified": int(np.count_nonzero(mask & (np.bincount(targets.inc, minlength=snap.size) == 0))),
        "tlp": TLP_ORDER[int(snap.tlp[mask].max())] if total else None,
    }


def _by_country(snap: facts.Snapshot, mask: np.ndarray) -> pd.DataFrame:
    """Per target country: iso3, name, incidents, severity_weighted, significant (countries with incidents)."""
    targets = snap.targets
    chosen = mask[targets.inc]
    codes, inc = targets.code[chosen], targets.inc[chosen]
    size = len(targets.vocab)
    severity = snap.severity[inc]
    incidents = code_counts(codes, size)
    weighted = code_counts(codes, size, np.maximum(severity, 0).astype(np.float64))
    significant = code_counts(codes[severity >= 3], size)
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
    return int_frame(out, "incidents", "severity_weighted", "significant")


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
    return int_frame(out, "incidents")


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
    return int_frame(out.sort_values(["month", "key"], kind="stable"), "incidents")


def incident_counts_by_sector(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible incidents per sector: sector_id, incidents."""
    snap = facts.snapshot(engine)
    links = snap.sectors
    counts = code_counts(links.code[snap.mask(viewer, flt)[links.inc]], len(links.vocab))
    present = np.flatnonzero(counts)
    out = pd.DataFrame({"sector_id": [links.vocab[i] for i in present], "incidents": counts[present]})
    out = out.sort_values(["incidents", "sector_id"], ascending=[False, True], kind="stable")
    return int_frame(out, "incidents")


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
    return int_frame(out, "incidents")


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
    return int_frame(out, "incidents")


def incident_initiated_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter, iso3: str) -> pd.DataFrame:
    """Visible incidents whose suspected initiator is the country, per target: target, target_name, incidents."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, flt) & snap.initiators.any_of(snap.size, {iso3})
    out = _by_country(snap, mask)[["iso3", "name", "incidents"]]
    return out.rename(columns={"iso3": "target", "name": "target_name"})


def incident_marking(
    engine: Engine, viewer: Viewer, flt: IncidentFilter, initiated_by: str | None = None
) -> str | None:
    """The strictest TLP marking of the filtered visible incidents (of those initiated by a country, if given);
    None when there are none. Downloads of tables built from them carry it."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, flt)
    if initiated_by:
        mask = mask & snap.initiators.any_of(snap.size, {initiated_by})
    ranks = snap.tlp[mask]
    return TLP_ORDER[int(ranks.max())] if len(ranks) else None


def incident_rows(
    engine: Engine, viewer: Viewer, flt: IncidentFilter, limit: int | None = 500, initiated_by: str | None = None
) -> pd.DataFrame:
    """Visible filtered incidents with their countries and sectors, newest first (at most `limit` rows).

    With a limit, the newest matching incidents are picked on the snapshot and only they are read; without one
    (downloads), every matching row is read in SQL.
    """
    snap = facts.snapshot(engine)
    if limit is None:
        conds = incident_conditions(viewer, flt)
        if initiated_by:
            conds.append(
                Incident.id.in_(select(IncidentInitiator.incident_id).where(IncidentInitiator.iso3 == initiated_by))
            )
        return _detail_rows(engine, conds, snap)
    mask = snap.mask(viewer, flt)
    if initiated_by:
        mask = mask & snap.initiators.any_of(snap.size, {initiated_by})
    ids = [int(i) for i in snap.ids[np.flatnonzero(mask)[::-1][:limit]]] if limit > 0 else []
    # The ids come from the snapshot; the rows are read with the visibility rules in SQL as well, so a snapshot
    # that does not match the database (a write the stamp missed) can never show a row the viewer may not see.
    visible = incident_view_clause(Scope.of(viewer), track_list(viewer, flt.tracks))
    rows = _detail_rows(engine, [Incident.id.in_(ids), visible], snap)
    order = {incident_id: position for position, incident_id in enumerate(ids)}
    rows = rows.iloc[np.argsort([order[i] for i in rows["id"]], kind="stable")] if len(rows) else rows
    return rows.reset_index(drop=True)


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
    return int_frame(out, "baseline", "recent")


INFERRED_TARGETS = "inferred: target_countries"  # the key in incidents.original of countries found in free text


def incident_detail(engine: Engine, viewer: Viewer, incident_id: int) -> dict[str, object] | None:
    """One visible incident with where each of its facts comes from (None if the viewer may not see it): id, title,
    severity (None: not rated), types [(type id, primary?)] primary first, targets, targets_inferred_from (the
    field the target countries were found in, '' when the source's country column gave them), and norms
    [(item id, inferred?, basis)] asserted first."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Incident.id, Incident.title, Incident.severity, Incident.incident_type_id, Incident.original).where(
                Incident.id == incident_id, scope_clause(Incident, viewer)
            )
        ).one_or_none()
        if row is None:
            return None
        types = list(conn.scalars(select(IncidentTypeLink.type_id).where(IncidentTypeLink.incident_id == incident_id)))
        targets = list(
            conn.scalars(
                select(IncidentTarget.iso3)
                .where(IncidentTarget.incident_id == incident_id)
                .order_by(IncidentTarget.iso3)
            )
        )
        norms = conn.execute(
            select(IncidentNorm.item_id, IncidentNorm.inferred, IncidentNorm.basis)
            .where(IncidentNorm.incident_id == incident_id)
            .order_by(IncidentNorm.inferred, IncidentNorm.item_id)
        ).all()
    primary = row.incident_type_id
    found = (row.original or {}).get(INFERRED_TARGETS) if isinstance(row.original, dict) else None
    if isinstance(found, list | tuple):
        found = ", ".join(str(f) for f in found)
    return {
        "id": int(row.id),
        "title": row.title,
        "severity": None if row.severity is None else int(row.severity),
        "types": [(primary, True)] + [(t, False) for t in sorted(set(types) - {primary})],
        "targets": targets,
        "targets_inferred_from": str(found or ""),
        "norms": [(item, bool(inferred), basis or "") for item, inferred, basis in norms],
    }

"""The norm reads: assessment rounds, the status of each country and item as of a date, and shares per round."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, func, select

from dashboard.core.access import Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.core.tlp import strictest_marking
from dashboard.core.vocabulary import load
from dashboard.read import snapshot as facts
from dashboard.read.cache import per_stamp
from dashboard.read.frames import code_counts, read_frame
from dashboard.read.scope import scope_clause, track_list
from dashboard.read.snapshot import INFERRED_SEP
from dashboard.store.models import Country, FrameworkItem, NormAssessment


def norm_conditions(
    viewer: Viewer, tracks: frozenset[str] | None, countries: frozenset[str] | None
) -> list[ColumnElement[bool]]:
    """The conditions of the norm assessments a viewer may see in the tracks and countries asked for."""
    conds = [scope_clause(NormAssessment, viewer), NormAssessment.track_id.in_(track_list(viewer, tracks))]
    if countries:
        conds.append(NormAssessment.iso3.in_(sorted(countries)))
    return conds


def norm_rounds(engine: Engine, viewer: Viewer, tracks: frozenset[str] | None = None) -> list[dt.date]:
    """Distinct assessment dates of the visible norm assessments, oldest first."""
    stmt = (
        select(NormAssessment.assessed_on)
        .where(*norm_conditions(viewer, tracks, None))
        .distinct()
        .order_by(NormAssessment.assessed_on)
    )
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


def norm_marking(
    engine: Engine, viewer: Viewer, tracks: frozenset[str] | None, countries: frozenset[str] | None
) -> str | None:
    """The strictest TLP marking of the visible norm assessments of these tracks and countries, every round (the
    shares, trajectories and maps are built from all of them); None when there are none."""
    stmt = select(NormAssessment.tlp).where(*norm_conditions(viewer, tracks, countries)).distinct()
    with engine.connect() as conn:
        return strictest_marking(*conn.scalars(stmt))


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
    result = per_stamp(
        engine, ("norm-status", viewer, as_of), lambda: _norm_status_as_of(engine, viewer, as_of, None, None)
    )
    keep = result["track"].isin(track_list(viewer, tracks))
    if countries:
        keep &= result["iso3"].isin(countries)
    return result[keep].reset_index(drop=True)


def _norm_status_as_of(
    engine: Engine,
    viewer: Viewer,
    as_of: dt.date | None,
    tracks: frozenset[str] | None,
    countries: frozenset[str] | None,
) -> pd.DataFrame:
    conds = norm_conditions(viewer, tracks, countries)
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
    return read_frame(engine, stmt, NORM_COLUMNS)


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
        .where(*norm_conditions(viewer, tracks, countries))
        .group_by(NormAssessment.iso3, Country.name, FrameworkItem.framework_id, NormAssessment.assessed_on)
        .order_by(NormAssessment.iso3, NormAssessment.assessed_on)
    )
    out = read_frame(engine, stmt, ["iso3", "country", "framework_id", "assessed_on", "implemented", "assessed"])
    out = out.astype({"implemented": int, "assessed": int})
    out["share"] = (out["implemented"] / out["assessed"].where(out["assessed"] > 0)).fillna(0.0)
    return out


INCIDENT_NORM_COLUMNS = ["item_id", "framework_id", "code", "inferred", "basis", "incidents"]


def incident_norm_counts(engine: Engine, viewer: Viewer, flt: IncidentFilter) -> pd.DataFrame:
    """Visible filtered incidents per norm or CBM item they are linked to, by where the link comes from: item_id,
    framework_id, code, inferred (False: asserted by the source), basis (the source column, or the rule id of an
    inferred link), incidents. Figures count the asserted links; the inferred ones are shown apart, labelled.
    Counted on the snapshot (the SQL twin is in tests/oracle.py)."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, flt)
    parts = []
    for links, inferred in ((snap.norms, False), (snap.norms_inferred, True)):
        counts = code_counts(links.code[mask[links.inc]], len(links.vocab))
        for code in np.flatnonzero(counts):
            item, _, basis = links.vocab[code].partition(INFERRED_SEP) if inferred else (links.vocab[code], "", "norms")
            parts.append((item, inferred, basis, int(counts[code])))
    frame = pd.DataFrame(parts, columns=["item_id", "inferred", "basis", "incidents"])
    items = {i["id"]: i for i in load("framework_items.csv")}
    frame["framework_id"] = [items[i]["framework_id"] if i in items else "" for i in frame["item_id"]]
    frame["code"] = [str(items[i]["code"]) if i in items else i for i in frame["item_id"]]
    order = [int(items[i]["sort_order"]) if i in items else 0 for i in frame["item_id"]]
    frame = frame.assign(_order=order).sort_values(["inferred", "framework_id", "_order", "basis"], kind="stable")
    out = frame[INCIDENT_NORM_COLUMNS].reset_index(drop=True)
    return out.astype({"inferred": bool, "incidents": "int64"})

"""The partnership reads: partnerships with their countries and parties, and counts per country."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, func, select

from dashboard.core.access import Viewer
from dashboard.read.cache import per_stamp
from dashboard.read.frames import read_frame, text_column
from dashboard.read.scope import scope_clause, track_list
from dashboard.store.models import Country, Partnership, PartnershipCountry, PartnershipParty

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

_LINKED = ("countries", "parties", "party_types")


def partnership_conditions(
    viewer: Viewer, tracks: frozenset[str] | None, countries: frozenset[str] | None
) -> list[ColumnElement[bool]]:
    """The conditions of the partnerships a viewer may see in the tracks and countries asked for."""
    conds = [scope_clause(Partnership, viewer), Partnership.track_id.in_(track_list(viewer, tracks))]
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
    rows = per_stamp(engine, ("partnerships", viewer), lambda: _partnership_rows(engine, viewer, None, None))
    keep = rows["track"].isin(track_list(viewer, tracks))
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
        .where(*partnership_conditions(viewer, tracks, countries))
        .order_by(Partnership.start_date.desc(), Partnership.id)
    )
    cols = [c for c in PARTNERSHIP_COLUMNS if c not in _LINKED]  # the linked columns are added below
    rows = read_frame(engine, stmt, cols)
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
    rows["countries"] = text_column(["; ".join(links.get(i, [])) for i in ids], rows.index)
    rows["parties"] = text_column(["; ".join(n for n, _ in parties.get(i, [])) for i in ids], rows.index)
    rows["party_types"] = text_column(["; ".join(sorted({t for _, t in parties.get(i, [])})) for i in ids], rows.index)
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
        .where(*partnership_conditions(viewer, tracks, None))
        .group_by(PartnershipCountry.iso3, Country.name)
        .order_by(func.count().desc(), PartnershipCountry.iso3)
    )
    out = read_frame(engine, stmt, ["iso3", "name", "partnerships", "active"])
    return out.astype({"partnerships": int, "active": int})


def partnership_source_ids(engine: Engine, viewer: Viewer, ids: list[int]) -> list[str]:
    """The source id of each partnership id the viewer may see, in the order of ids ('' for any other)."""
    found: dict[int, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            found.update(
                conn.execute(
                    select(Partnership.id, Partnership.source_id).where(
                        Partnership.id.in_(chunk), scope_clause(Partnership, viewer)
                    )
                ).all()
            )
    return [found.get(i, "") for i in ids]

"""The norm-evidence ledger, read for a viewer: for one state and one norm (or CBM) item, the state's own assessment
rounds, the incidents linked to the item with the state as initiator or target (asserted by the source, or inferred
by a named import rule: kept apart), and those incidents' attributions and responses.

Every read applies the one scope rule (dashboard/read/scope.py) as dashboard/read/incident_events.py does: the
assessments with scope_clause, the incidents with scope_clause (and incident_view_clause for the tracks asked for),
read by the ids the link tables give; events are read only for the incidents that read returned (an event is visible
exactly when its incident is). A share link's viewer never gets a row above its ceiling. The page reads the newest
incidents only (`limit`); the exports read every row, and ledger_marking gives the marking of them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, and_, select, union

from dashboard.core.access import Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.core.tlp import TLP_ORDER, strictest_in, strictest_marking
from dashboard.core.vocabulary import load
from dashboard.read import incident_events
from dashboard.read import snapshot as facts
from dashboard.read.frames import read_frame
from dashboard.read.norms import norm_conditions
from dashboard.read.scope import Scope, incident_view_clause, scope_clause, track_list
from dashboard.read.snapshot import INFERRED_SEP
from dashboard.store.event_models import IncidentAttribution, IncidentResponse
from dashboard.store.models import Incident, IncidentInitiator, IncidentNorm, IncidentTarget, NormAssessment

ASSESSMENT_COLUMNS = ["assessed_on", "round_label", "status", "evidence_url", "assessor", "note", "track", "tlp"]
INCIDENT_COLUMNS = [
    "incident_id",
    "source_key",
    "title",
    "start_date",
    "severity",
    "incident_type",
    "confidence",
    "inferred",
    "basis",
    "source_urls",
    "tlp",
]
ATTRIBUTION_COLUMNS = [
    "incident_id",
    "date",
    "attributor",
    "attributor_country",
    "attributed",
    "attributed_country",
    "kind",
    "basis",
    "confidence",
    "source",
    "sources",
]
RESPONSE_COLUMNS = list(incident_events.RESPONSE_COLUMNS)


@dataclass(frozen=True)
class Ledger:
    """The rows of one state's ledger for one item, as the viewer may see them.

    incidents: one row per incident, `inferred` False when the source asserts the link, True when a named rule
    (`basis`) inferred it; `role` says whether the state is the suspected initiator, the target or both, and
    `counterparts` names the other side's countries. Attributions and responses carry the incident's id, title and
    marking (an event is visible exactly when its incident is)."""

    iso3: str
    item_id: str
    assessments: pd.DataFrame
    incidents: pd.DataFrame
    attributions: pd.DataFrame
    responses: pd.DataFrame
    limited: bool = False  # True: the newest incidents only (the page); the exports read every row

    @property
    def marking(self) -> str | None:
        """The strictest TLP marking of any row of the ledger (events share their incident's); None when empty."""
        return strictest_marking(strictest_in(self.assessments), strictest_in(self.incidents))

    @property
    def empty(self) -> bool:
        """Whether the viewer may see no row at all for this state and item."""
        return self.assessments.empty and self.incidents.empty

    def asserted(self) -> pd.DataFrame:
        """The incidents whose source asserts the link to the item."""
        return self.incidents[~self.incidents["inferred"]].reset_index(drop=True)

    def inferred(self) -> pd.DataFrame:
        """The incidents linked to the item by a named import rule only (not asserted by the source)."""
        return self.incidents[self.incidents["inferred"]].reset_index(drop=True)


def country_names() -> dict[str, str]:
    """ISO3 -> short country name (reference vocabulary)."""
    return {c["iso3"]: c["name"] for c in load("countries.csv")}


def item_titles() -> dict[str, dict[str, str]]:
    """Framework item id -> its framework, code and title (reference vocabulary), in framework order."""
    items = sorted(load("framework_items.csv"), key=lambda i: int(i["sort_order"]))
    return {i["id"]: {"framework_id": i["framework_id"], "code": str(i["code"]), "title": i["title"]} for i in items}


def ledger_items(tracks: frozenset[str] | list[str]) -> list[str]:
    """The ids of the items of the frameworks that apply to any of the tracks (UN norms to both, the OSCE CBMs to
    Eastern Europe, the ARF measures to the Indo-Pacific), in framework order."""
    applies = {f["id"] for f in load("frameworks.csv") if set(str(f["tracks"]).split(";")) & set(tracks)}
    return [item for item, info in item_titles().items() if info["framework_id"] in applies]


CHUNK = 5_000  # ids per IN list (bound parameters)


def _candidates(engine: Engine, iso3: str, item_id: str) -> list[int]:
    """Ids of the incidents linked to the item with the state as initiator or target, newest first, from the link
    tables' (value, incident) indexes; nothing of them is read, shown or counted until the viewer's scope has been
    applied to them."""
    linked = select(IncidentNorm.incident_id).where(IncidentNorm.item_id == item_id)
    involved = union(
        select(IncidentInitiator.incident_id).where(IncidentInitiator.iso3 == iso3),
        select(IncidentTarget.incident_id).where(IncidentTarget.iso3 == iso3),
    )
    stmt = (
        select(Incident.id)
        .where(Incident.id.in_(linked), Incident.id.in_(involved))
        .order_by(Incident.start_date.desc(), Incident.id.desc())
    )
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


def _scope(viewer: Viewer, tracks: frozenset[str] | None) -> ColumnElement[bool]:
    """The incidents the viewer may see (in the tracks asked for), as read/incident_events.py applies it."""
    scope = scope_clause(Incident, viewer)
    if tracks:
        scope = and_(scope, incident_view_clause(Scope.of(viewer), track_list(viewer, tracks)))
    return scope


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _read_chunked(
    engine: Engine, stmt_of: Callable[[list[int]], Select], ids: list[int], columns: list[str], limit: int | None = None
) -> pd.DataFrame:
    """The rows of one statement per chunk of ids, concatenated, in the order of the ids; with a limit, chunks are
    read until that many rows came back (the scope may leave some out)."""
    parts, found, size = [], 0, min(CHUNK, limit) if limit else CHUNK
    for start in range(0, len(ids), size):
        part = read_frame(engine, stmt_of(ids[start : start + size]), columns)
        parts.append(part)
        found += len(part)
        if limit is not None and found >= limit:
            break
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    order = {i: n for n, i in enumerate(ids)}
    frame = frame.iloc[sorted(range(len(frame)), key=lambda r: order[int(frame[columns[0]].iloc[r])])]
    return frame.head(limit).reset_index(drop=True) if limit is not None else frame.reset_index(drop=True)


def ledger_assessments(
    engine: Engine, viewer: Viewer, iso3: str, item_id: str, tracks: frozenset[str] | None = None
) -> pd.DataFrame:
    """The state's visible assessment rounds for the item, newest first."""
    stmt = (
        select(
            NormAssessment.assessed_on,
            NormAssessment.round_label,
            NormAssessment.status,
            NormAssessment.evidence_url,
            NormAssessment.assessor,
            NormAssessment.note,
            NormAssessment.track_id,
            NormAssessment.tlp,
        )
        .where(*norm_conditions(viewer, tracks, frozenset({iso3})), NormAssessment.item_id == item_id)
        .order_by(NormAssessment.assessed_on.desc(), NormAssessment.id.desc())
    )
    return read_frame(engine, stmt, ASSESSMENT_COLUMNS)


def ledger_incidents(  # noqa: PLR0917 - positional, so the app's cached() can pass them
    engine: Engine,
    viewer: Viewer,
    iso3: str,
    item_id: str,
    tracks: frozenset[str] | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The visible incidents linked to the item with the state as initiator or target, newest first (the `limit`
    newest with a limit), with the role of the state and the countries on the other side."""
    scope = _scope(viewer, tracks)

    def stmt_of(chunk: list[int]) -> Select:
        return (
            select(
                Incident.id,
                Incident.source_key,
                Incident.title,
                Incident.start_date,
                Incident.severity,
                Incident.incident_type_id,
                Incident.confidence,
                IncidentNorm.inferred,
                IncidentNorm.basis,
                Incident.source_urls,
                Incident.tlp,
            )
            .join(IncidentNorm, and_(IncidentNorm.incident_id == Incident.id, IncidentNorm.item_id == item_id))
            .where(Incident.id.in_(chunk), scope)
        )

    frame = _read_chunked(engine, stmt_of, _candidates(engine, iso3, item_id), INCIDENT_COLUMNS, limit)
    frame = frame.astype({"inferred": bool})
    frame["source_urls"] = [list(u or []) for u in frame["source_urls"]]
    ids = [int(i) for i in frame["incident_id"]]
    sides = _sides(engine, ids)
    frame["role"] = [_role(iso3 in sides.get((i, "initiator"), []), iso3 in sides.get((i, "target"), [])) for i in ids]
    frame["counterparts"] = [
        "; ".join(c for c in sides.get((i, "target" if role != "target" else "initiator"), []) if c != iso3)
        for i, role in zip(ids, frame["role"], strict=True)
    ]
    return frame


def _role(initiator: bool, target: bool) -> str:
    return "initiator and target" if initiator and target else "initiator" if initiator else "target"


def _sides(engine: Engine, ids: list[int]) -> dict[tuple[int, str], list[str]]:
    """(incident id, 'target' or 'initiator') -> the ISO3 codes on that side, for incidents already read in scope."""
    sides: dict[tuple[int, str], list[str]] = {}
    with engine.connect() as conn:
        for side, model in (("target", IncidentTarget), ("initiator", IncidentInitiator)):
            for chunk in _chunks(ids):
                rows = conn.execute(
                    select(model.incident_id, model.iso3).where(model.incident_id.in_(chunk)).order_by(model.iso3)
                ).all()
                for incident_id, country in rows:
                    sides.setdefault((int(incident_id), side), []).append(country)
    return sides


def _events(engine: Engine, model: type, columns: list[str], visible: list[int]) -> pd.DataFrame:
    """The events of incidents read in the viewer's scope (`visible`: ids that ledger_incidents returned, never
    others), newest first (undated last), with the incident's title and marking."""

    def stmt_of(chunk: list[int]) -> Select:
        return (
            select(*(getattr(model, c) for c in columns), Incident.title, Incident.tlp, model.position)
            .join(Incident, Incident.id == model.incident_id)
            .where(model.incident_id.in_(chunk))
        )

    parts = [
        read_frame(engine, stmt_of(chunk), [*columns, "incident", "tlp", "position"]) for chunk in _chunks(visible)
    ]
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[*columns, "incident", "tlp", "position"])
    )
    frame["_undated"] = frame["date"].isna()
    frame = frame.sort_values(
        ["_undated", "date", "incident_id", "position"], ascending=[True, False, False, True], kind="stable"
    )
    return frame.drop(columns=["_undated", "position"]).reset_index(drop=True)


def ledger_attributions(
    engine: Engine, viewer: Viewer, iso3: str, item_id: str, tracks: frozenset[str] | None = None
) -> pd.DataFrame:
    """The attribution events of the ledger's incidents (those the viewer may see), newest first."""
    visible = [int(i) for i in ledger_incidents(engine, viewer, iso3, item_id, tracks)["incident_id"]]
    return _attributions(engine, visible)


def _attributions(engine: Engine, visible: list[int]) -> pd.DataFrame:
    frame = _events(engine, IncidentAttribution, ATTRIBUTION_COLUMNS, visible)
    frame["sources"] = [list(s or []) for s in frame["sources"]]
    return frame


def ledger_responses(
    engine: Engine, viewer: Viewer, iso3: str, item_id: str, tracks: frozenset[str] | None = None
) -> pd.DataFrame:
    """The political and legal responses to the ledger's incidents (those the viewer may see), newest first."""
    visible = [int(i) for i in ledger_incidents(engine, viewer, iso3, item_id, tracks)["incident_id"]]
    return _events(engine, IncidentResponse, RESPONSE_COLUMNS, visible)


def norm_ledger(  # noqa: PLR0917 - positional, so the app's cached() can pass them
    engine: Engine,
    viewer: Viewer,
    iso3: str,
    item_id: str,
    tracks: frozenset[str] | None = None,
    limit: int | None = None,
) -> Ledger:
    """The ledger of one state and one item for this viewer: every visible row, or, with a limit (the page), the
    `limit` newest incidents and their events (`limited` then says whether more were left out)."""
    incidents = ledger_incidents(engine, viewer, iso3, item_id, tracks, None if limit is None else limit + 1)
    limited = limit is not None and len(incidents) > limit
    if limited:
        incidents = incidents.head(limit)
    visible = [int(i) for i in incidents["incident_id"]]
    return Ledger(
        iso3=iso3,
        item_id=item_id,
        assessments=ledger_assessments(engine, viewer, iso3, item_id, tracks),
        incidents=incidents,
        attributions=_attributions(engine, visible),
        responses=_events(engine, IncidentResponse, RESPONSE_COLUMNS, visible),
        limited=limited,
    )


def ledger_marking(
    engine: Engine, viewer: Viewer, iso3: str, item_id: str, tracks: frozenset[str] | None = None
) -> str | None:
    """The strictest marking of every row of the whole ledger (the files the page offers hold them all, however
    many the page shows): the incidents on the columnar snapshot with the one scope rule, the rounds in SQL."""
    snap = facts.snapshot(engine)
    mask = snap.mask(viewer, IncidentFilter(tracks=frozenset(track_list(viewer, tracks))))
    inferred = {v for v in snap.norms_inferred.vocab if v.partition(INFERRED_SEP)[0] == item_id}
    linked = snap.norms.any_of(snap.size, {item_id}) | snap.norms_inferred.any_of(snap.size, inferred)
    involved = snap.initiators.any_of(snap.size, {iso3}) | snap.targets.any_of(snap.size, {iso3})
    ranks = snap.tlp[mask & linked & involved]
    incidents = TLP_ORDER[int(ranks.max())] if len(ranks) else None
    return strictest_marking(incidents, strictest_in(ledger_assessments(engine, viewer, iso3, item_id, tracks)))


def as_date(value: object) -> dt.date | None:
    """A date cell as a date (None for missing)."""
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    return value if isinstance(value, dt.date) else pd.Timestamp(value).date()  # type: ignore[arg-type]

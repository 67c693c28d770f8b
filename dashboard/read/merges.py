"""One incident across sources, read for a viewer: the source records merged into an incident, side by side, where
they disagree, and the merges a coordinator may confirm or split.

The views count a merge group once (dashboard/read/scope.py); here every member the viewer may see is listed, each
copy of one record once. A member above the viewer's ceiling or outside their tracks is never listed.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Engine, and_, or_, select
from sqlalchemy.orm import Session

from dashboard.core.access import Viewer
from dashboard.core.threat_actors import actors, resolve_all
from dashboard.core.vocabulary import labels
from dashboard.read.scope import Scope, current_rows, in_tracks
from dashboard.store.merge_models import IncidentMerge, SourceGroup
from dashboard.store.models import Incident, IncidentInitiator, IncidentTarget

SOURCE_NAMES = {"eurepoc": "EuRepoC", "cfr": "CFR", "dcid": "DCID", "template": "Template", "voluntary": "Voluntary"}
DATE_TOLERANCE_DAYS = 30  # sources date one operation differently (start, disclosure): beyond this they disagree
MEMBER_COLUMNS = (
    "id",
    "source_key",
    "source",
    "record",
    "title",
    "start_date",
    "incident_type_id",
    "initiator_name",
    "confidence",
    "source_urls",
    "targets",
    "initiators",
)


def source_name(key: str) -> str:
    """The display name of a source key's source ("EuRepoC" of "eurepoc:1032")."""
    source = key.split(":", 1)[0]
    return SOURCE_NAMES.get(source, source.capitalize() or "Upload")


def visible_records(viewer: Viewer) -> ColumnElement[bool]:
    """Current incidents of the viewer's tracks and marking, every copy and member (not once per group)."""
    scope = Scope.of(viewer)
    return and_(current_rows(Incident), scope.marking_clause(Incident), in_tracks(Incident, sorted(scope.tracks)))


def countries_of(conn: Connection | Session, ids: list[int]) -> tuple[list[list[str]], list[list[str]]]:
    """The target and the initiator countries (sorted ISO3 codes) of each of these incidents, in their order."""
    out = []
    for model in (IncidentTarget, IncidentInitiator):
        links: dict[int, list[str]] = {}
        for start in range(0, len(ids), 5000):  # bounded IN lists
            chunk = ids[start : start + 5000]
            for owner, iso3 in conn.execute(select(model.incident_id, model.iso3).where(model.incident_id.in_(chunk))):
                links.setdefault(owner, []).append(iso3)
        out.append([sorted(links.get(i, [])) for i in ids])
    return out[0], out[1]


def members(engine: Engine, viewer: Viewer, incident_id: int) -> pd.DataFrame:
    """The source records of the incident the viewer may see (the incident itself first, then by source), one
    row per record; empty when the incident is not visible. A record that is not merged has one member."""
    with engine.connect() as conn:
        key = conn.scalar(select(Incident.source_key).where(Incident.id == incident_id, visible_records(viewer)))
        if key is None:
            return pd.DataFrame(columns=list(MEMBER_COLUMNS))
        if key:
            group = select(SourceGroup.group_key).where(SourceGroup.source_key == key).scalar_subquery()
            keys = select(SourceGroup.source_key).where(SourceGroup.group_key == group)
            which = or_(Incident.id == incident_id, and_(Incident.source_key.in_(keys), visible_records(viewer)))
        else:
            which = Incident.id == incident_id
        rows = conn.execute(
            select(
                Incident.id,
                Incident.source_key,
                Incident.title,
                Incident.start_date,
                Incident.incident_type_id,
                Incident.initiator_name,
                Incident.confidence,
                Incident.source_urls,
            )
            .where(which)
            .order_by(Incident.id)
        ).all()
        frame = pd.DataFrame(
            rows,
            columns=[
                "id",
                "source_key",
                "title",
                "start_date",
                "incident_type_id",
                "initiator_name",
                "confidence",
                "source_urls",
            ],
        )
        frame = frame[~frame["source_key"].duplicated() | (frame["source_key"] == "")]
        targets, initiators = countries_of(conn, frame["id"].tolist())
        frame["targets"], frame["initiators"] = targets, initiators
    frame["source"] = frame["source_key"].map(source_name)
    frame["record"] = [k.split(":", 1)[1] if ":" in k else "" for k in frame["source_key"]]
    frame["first"] = frame["id"] != incident_id
    frame = frame.sort_values(["first", "source", "id"]).drop(columns="first").reset_index(drop=True)
    return frame[list(MEMBER_COLUMNS)]


def pairs(engine: Engine, viewer: Viewer, keys: tuple[str, ...]) -> pd.DataFrame:
    """The merge rows among these source keys (those of members() the viewer sees): left_key, right_key, status,
    score, reasons, decided_by, decided_at."""
    del viewer  # the keys are already the viewer's
    columns = ["left_key", "right_key", "status", "score", "reasons", "decided_by", "decided_at"]
    if len(keys) < 2:
        return pd.DataFrame(columns=columns)
    m = IncidentMerge
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(getattr(m, c) for c in columns)).where(m.left_key.in_(list(keys)), m.right_key.in_(list(keys)))
        ).all()
    return pd.DataFrame(rows, columns=columns)


def disagreements(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Where the members disagree, as (field, what each source says): dates further apart than
    DATE_TOLERANCE_DAYS, target or initiator countries, type, and the actor (through the alias table). Empty for one
    member or when they agree."""
    if len(frame) < 2:
        return []
    out: list[tuple[str, str]] = []

    def each(values: list[str]) -> str:
        return "; ".join(f"{s}: {v or 'not given'}" for s, v in zip(frame["source"], values, strict=True))

    dates = [d for d in frame["start_date"] if isinstance(d, dt.date)]
    if dates and (max(dates) - min(dates)).days > DATE_TOLERANCE_DAYS:
        out.append(("date", each([str(d) if isinstance(d, dt.date) else "" for d in frame["start_date"]])))
    for name, column in (("target countries", "targets"), ("initiator countries", "initiators")):
        given = [frozenset(v) for v in frame[column] if len(v)]
        if len(given) > 1 and len(set(given)) > 1:
            country = labels("countries.csv", key="iso3")
            out.append((name, each([", ".join(country.get(c, c) for c in v) for v in frame[column]])))
    types = set(frame["incident_type_id"])
    if len(types) > 1:
        names = labels("incident_types.csv")
        out.append(("type", each([names.get(t, t) for t in frame["incident_type_id"]])))
    named_all = [resolve_all([n for n in str(v or "").split("; ") if n]) for v in frame["initiator_name"]]
    named = [a for a in named_all if a]
    if len(named) > 1 and not frozenset.intersection(*named):
        known = actors()
        out.append(
            ("attribution", each([", ".join(sorted(known[a].name if a in known else a for a in x)) for x in named_all]))
        )
    return out


def source_counts(engine: Engine, viewer: Viewer, incident_ids: list[int]) -> dict[int, int]:
    """For each of these incidents (table rows), how many source records it has for the viewer (only those with
    more than one are returned)."""
    if not incident_ids:
        return {}
    with engine.connect() as conn:
        keyed = dict(
            conn.execute(
                select(Incident.id, SourceGroup.group_key)
                .join(SourceGroup, SourceGroup.source_key == Incident.source_key)
                .where(Incident.id.in_(incident_ids))
            ).all()
        )
        if not keyed:
            return {}
        counts: dict[str, set[str]] = {}
        for group, key in conn.execute(
            select(SourceGroup.group_key, Incident.source_key)
            .join(Incident, Incident.source_key == SourceGroup.source_key)
            .where(SourceGroup.group_key.in_(set(keyed.values())), visible_records(viewer))
        ):
            counts.setdefault(group, set()).add(key)
    return {i: len(counts.get(g, ())) for i, g in keyed.items() if len(counts.get(g, ())) > 1}

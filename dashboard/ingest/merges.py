"""One incident across sources, written: which source records describe one real-world incident.

After every incident upload (and rollback), `refresh` runs the matcher (dashboard/analysis/linkage.py) over every
pair of sources among the current incidents that carry a source key ("eurepoc:1032", "cfr:NotPetya|7/1/2017",
"dcid:...", "template:..."): records of one source are never merged with each other. Each match becomes a 'matched'
row of incident_merges keyed by the two source keys, so that the pair and a coordinator's decision on it outlive
re-uploads of either export. Decided pairs ('confirmed', 'split') are never touched by the matcher; a 'matched' pair
the matcher no longer finds is dropped.

source_groups then holds, for every source key with partners, its group (the smallest key): confirmed pairs first,
then matched ones best score first, never joining two keys a coordinator split. The views count a group once, the
way they count copies of one record once (dashboard/read/scope.py, dashboard/read/snapshot.py).

Matching reads every keyed incident; above MAX_RECORDS the refresh is skipped and says so (a bulk synthetic load has
nothing to merge, and the matcher compares pairs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from dashboard.analysis import linkage
from dashboard.core.access import Permission, Viewer
from dashboard.read.merges import countries_of, visible_records
from dashboard.read.scope import current_rows
from dashboard.store import audit
from dashboard.store.db import bump_write_counter, transaction
from dashboard.store.merge_models import IncidentMerge, SourceGroup
from dashboard.store.models import Incident, utcnow

MAX_RECORDS = 50_000
DYADIC = frozenset({"dcid"})  # sources that give one record per pair of states


@dataclass(frozen=True)
class Refreshed:
    """What a refresh found: pairs matched now, groups, and whether it ran at all (and why not)."""

    matched: int
    groups: int
    skipped: str = ""


def source_of(key: str) -> str:
    """The source of a source key ("eurepoc" of "eurepoc:1032")."""
    return key.split(":", 1)[0]


def ordered(a: str, b: str) -> tuple[str, str]:
    """The pair as stored: the smaller key first."""
    return (a, b) if a < b else (b, a)


def _current_records(session: Session) -> dict[str, pd.DataFrame]:
    """The current keyed incidents, one row per source key, per source, as the matcher reads them; nothing when
    they come from fewer than two sources (most uploads: there is nothing to match, so no text is read)."""
    keys = session.execute(
        select(Incident.id, Incident.source_key)
        .where(Incident.source_key != "", current_rows(Incident))
        .order_by(Incident.id)
    ).all()
    frame = pd.DataFrame(keys, columns=["id", "source_id"]).drop_duplicates("source_id")  # copies in both tracks
    if frame["source_id"].map(source_of).nunique() < 2:
        return {}
    ids = frame["id"].tolist()
    texts = {
        r.id: r
        for start in range(0, len(ids), 5000)
        for r in session.execute(
            select(
                Incident.id, Incident.title, Incident.description, Incident.start_date, Incident.initiator_name
            ).where(Incident.id.in_(ids[start : start + 5000]))
        )
    }
    for column in ("title", "description", "start_date"):
        frame[column] = [getattr(texts[i], column) for i in ids]
    frame["initiator_name"] = [[n for n in str(texts[i].initiator_name or "").split("; ") if n] for i in ids]
    frame["target_countries"], frame["initiator_countries"] = countries_of(session, ids)
    return {source: part for source, part in frame.groupby(frame["source_id"].map(source_of), sort=True)}


def find(session: Session) -> tuple[list[linkage.Match], str]:
    """The matches between every pair of sources among the current incidents ("" or why the matcher did not run)."""
    count = session.scalar(select(func.count()).where(Incident.source_key != "", current_rows(Incident))) or 0
    if count > MAX_RECORDS:
        return [], f"not matched across sources: {count:,} keyed incidents, more than {MAX_RECORDS:,}"
    sources = _current_records(session)
    if len(sources) < 2:
        return [], ""
    records = {name: linkage.records(frame) for name, frame in sources.items()}
    found: list[linkage.Match] = []
    for left, right in combinations(sorted(records), 2):
        # A dyadic source (DCID) records one operation once per pair of states (NotPetya_A: Russia-Ukraine,
        # NotPetya_B: Russia-United States): each of its records may join the record of the other source it
        # matches best, several to one.
        one_to_one = not DYADIC & {left, right}
        found += linkage.match(records[left], records[right], one_to_one=one_to_one)
    return found, ""


def refresh(session: Session) -> Refreshed:
    """Match the current incidents across sources and rebuild the groups, in the caller's transaction."""
    found, skipped = find(session)
    if skipped:
        return Refreshed(0, _rebuild_groups(session), skipped)
    decided = {
        (m.left_key, m.right_key)
        for m in session.scalars(select(IncidentMerge).where(IncidentMerge.status != "matched"))
    }
    session.execute(delete(IncidentMerge).where(IncidentMerge.status == "matched"))
    now = utcnow()
    rows = []
    for m in found:
        left, right = ordered(m.left, m.right)
        if (left, right) in decided or left == right:
            continue
        decided.add((left, right))
        rows.append(
            {
                "left_key": left,
                "right_key": right,
                "status": "matched",
                "score": round(m.evidence.score, 2),
                "reasons": list(m.evidence.reasons),
                "decided_by": "",
                "decided_at": None,
                "found_at": now,
            }
        )
    if rows:
        session.execute(insert(IncidentMerge), rows)
    groups = _rebuild_groups(session)
    bump_write_counter(session)
    return Refreshed(len(rows), groups)


def _rebuild_groups(session: Session) -> int:
    """source_groups from the pairs: confirmed first, then matched by score; never across a split pair."""
    pairs = session.execute(
        select(IncidentMerge.left_key, IncidentMerge.right_key, IncidentMerge.status, IncidentMerge.score)
    ).all()
    split = {(a, b) for a, b, status, _ in pairs if status == "split"}
    joined = sorted(
        ((a, b, status, score) for a, b, status, score in pairs if status != "split"),
        key=lambda p: (p[2] != "confirmed", -p[3], p[0], p[1]),
    )
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            parent[key] = parent.get(parent[key], parent[key])
            key = parent[key]
        return key

    members: dict[str, set[str]] = {}
    for a, b, _, _ in joined:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        group_a, group_b = members.get(ra, {ra}), members.get(rb, {rb})
        if any(ordered(x, y) in split for x in group_a for y in group_b):
            continue  # would make one incident of two records a coordinator split
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        parent[gone] = keep
        members[keep] = group_a | group_b
        members.pop(gone, None)
    session.execute(delete(SourceGroup))
    rows = [{"source_key": k, "group_key": min(keys)} for keys in members.values() for k in keys]
    if rows:
        session.execute(insert(SourceGroup), rows)
    return len(members)


def group_keys(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """The group of each of these source keys that has partners."""
    keys = list(keys)
    return dict(
        session.execute(select(SourceGroup.source_key, SourceGroup.group_key).where(SourceGroup.source_key.in_(keys)))
        .tuples()
        .all()
    )


def decide(
    session: Session, left_key: str, right_key: str, status: str, *, by: str, at: dt.datetime | None = None
) -> str:
    """Record a coordinator's decision on a pair ('confirmed' or 'split') and rebuild the groups; returns the status
    the pair had before ('' for a pair the matcher never proposed)."""
    if status not in ("confirmed", "split"):
        raise ValueError(f"unknown decision {status!r}")
    left, right = ordered(left_key, right_key)
    if left == right or source_of(left) == source_of(right):
        raise ValueError("a merge joins records of two different sources")
    found = session.scalars(
        select(IncidentMerge).where(IncidentMerge.left_key == left, IncidentMerge.right_key == right)
    ).first()
    before = found.status if found else ""
    when = at or utcnow()
    if found:
        found.status, found.decided_by, found.decided_at = status, by, when
    else:
        session.add(
            IncidentMerge(
                left_key=left,
                right_key=right,
                status=status,
                score=0.0,
                reasons=["decided by a coordinator"],
                decided_by=by,
                decided_at=when,
                found_at=when,
            )
        )
    session.flush()
    _rebuild_groups(session)
    bump_write_counter(session)
    return before


class MergeRefused(Exception):
    """A merge decision that the viewer may not make, or that makes no sense; nothing was written."""


def decide_for(engine: Engine, viewer: Viewer, incident_id: int, other_id: int, status: str) -> str:
    """A coordinator confirms ('confirmed') or splits ('split') the merge of two incidents' source records.

    Both incidents must be visible to the viewer and of two sources, and the viewer must hold upload rights for the
    track of at least one of them. The decision is keyed by the source keys, so it holds across re-uploads; it is
    audited (`incident.merge`, with the status before) and so is a refusal (`incident.merge_refused`)."""
    try:
        with transaction(engine) as session:
            rows = session.execute(
                select(Incident.id, Incident.source_key, Incident.track_id).where(
                    Incident.id.in_([incident_id, other_id]), visible_records(viewer)
                )
            ).all()
            found = {r.id: r for r in rows}
            if not viewer.can(Permission.UPLOAD):
                raise MergeRefused("only coordinators and administrators can confirm or split a merge")
            if incident_id not in found or other_id not in found:
                raise MergeRefused("one of these incidents is not visible to you")
            one, two = found[incident_id], found[other_id]
            if not (viewer.may_act_on(one.track_id) or viewer.may_act_on(two.track_id)):
                raise MergeRefused("neither record was uploaded into one of your tracks")
            if not one.source_key or not two.source_key or source_of(one.source_key) == source_of(two.source_key):
                raise MergeRefused("a merge joins records of two different sources, each with its source id")
            before = decide(session, one.source_key, two.source_key, status, by=viewer.name)
            audit.record(
                session,
                viewer.name,
                "incident.merge",
                "incident",
                str(incident_id),
                status=status,
                before=before,
                keys=list(ordered(one.source_key, two.source_key)),
                other=other_id,
            )
            return before
    except MergeRefused as refused:
        with transaction(engine) as session:
            audit.record(
                session,
                viewer.name,
                "incident.merge_refused",
                "incident",
                str(incident_id),
                status=status,
                other=other_id,
                reason=str(refused),
            )
        raise

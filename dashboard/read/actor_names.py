"""Threat actors for the views: the reference actors with their aliases, the actor names imports brought that the
alias table does not resolve (candidates, and what coordinators decided), and label resolution that counts those
decisions: a name a coordinator merged into an actor resolves to it like one of its aliases.

Candidates are shown to coordinators and administrators only, and a coordinator sees only the names that incidents
they may see carry (an actor name is data: a name from another track, or above their TLP ceiling, is not theirs to
see); administrators see every name with the incidents they can see counted.
"""

from __future__ import annotations

import functools
import re

import pandas as pd
from sqlalchemy import Engine, select

from dashboard.core.access import Permission, Role, Viewer
from dashboard.core.threat_actors import actors
from dashboard.core.vocabulary import read_rows
from dashboard.read import snapshot as facts
from dashboard.read.packed import ints, joined
from dashboard.read.scope import current_rows
from dashboard.store.actor_models import ActorName, known_actors, label_key
from dashboard.store.models import Incident

CANDIDATE_COLUMNS = (
    "label",
    "shown",
    "incidents",
    "visible",
    "first_seen",
    "status",
    "actor_id",
    "actor_name",
    "decided_by",
    "decided_at",
)
_STORED_LIST = re.compile(r";(?=\s|$)")  # how an initiator_name cell joins its labels ("; ")


class ActorNamesDenied(PermissionError):
    """Only coordinators and administrators see the actor names awaiting a decision."""


@functools.cache
def _alias_lists() -> dict[str, tuple[str, ...]]:
    """Each actor's aliases as written (MISP's and our corrections), its own name left out."""
    names = actors()
    found: dict[str, list[str]] = {}
    for row in [*read_rows("threat_actor_aliases.csv"), *read_rows("threat_actor_overrides.csv")]:
        actor = names.get(row["actor_id"])
        if actor and row["alias"] != actor.name and row["alias"] not in found.setdefault(actor.id, []):
            found[actor.id].append(row["alias"])
    return {k: tuple(v) for k, v in found.items()}


def reference_actors(search: str = "") -> pd.DataFrame:
    """The reference actors (reference data, the same for every viewer): actor_id, name, state (ISO3 or ""), aliases
    (a tuple), by name; with `search`, those whose id, name, state or an alias contains it (case and spacing
    ignored)."""
    aliases = _alias_lists()
    frame = pd.DataFrame(
        [(a.id, a.name, a.state, aliases.get(a.id, ())) for a in actors().values()],
        columns=["actor_id", "name", "state", "aliases"],
    ).sort_values("name", key=lambda s: s.str.casefold(), ignore_index=True)
    needle = label_key(search) if search.strip() else ""
    if needle:
        haystack = [
            " ".join(label_key(x) for x in (i, n, s, *al))
            for i, n, s, al in zip(frame["actor_id"], frame["name"], frame["state"], frame["aliases"], strict=True)
        ]
        frame = frame[[needle in h for h in haystack]].reset_index(drop=True)
    return frame


def _visible_counts(engine: Engine, viewer: Viewer) -> dict[str, int]:
    """Incidents the viewer may see naming each label key (one count per incident and key): the current incidents'
    ids per distinct name (a packed read), kept where the snapshot's scope mask (the one scope rule) lets the viewer
    see the incident."""
    snap = facts.snapshot(engine)
    with engine.connect() as conn:
        groups = conn.execute(
            select(Incident.initiator_name, joined(Incident.id, conn.dialect.name))
            .where(Incident.initiator_name != "", current_rows(Incident))
            .group_by(Incident.initiator_name)
        ).all()
    visible = snap.scope(viewer)
    counts: dict[str, int] = {}
    for cell, ids in groups:
        where = snap.position(ints(ids))
        n = int(visible[where[where >= 0]].sum())
        if not n:
            continue
        for key in {label_key(p) for p in _STORED_LIST.split(str(cell)) if p.strip()}:
            counts[key] = counts.get(key, 0) + n
    return counts


def actor_names(engine: Engine, viewer: Viewer, status: str | None = None) -> pd.DataFrame:
    """The actor names stored from imports (all, or those of one status), most named first: label (the key), shown,
    incidents (named in the last import that named it), visible (incidents the viewer may see that name it),
    first_seen, status, actor_id and actor_name (when merged), decided_by, decided_at.

    Coordinators and administrators only (ActorNamesDenied otherwise); a coordinator gets the names their visible
    incidents carry."""
    if not viewer.can(Permission.UPLOAD):
        raise ActorNamesDenied("only coordinators and administrators see the actor names awaiting a decision")
    query = select(
        ActorName.label,
        ActorName.shown,
        ActorName.incidents,
        ActorName.first_seen,
        ActorName.status,
        ActorName.actor_id,
        ActorName.decided_by,
        ActorName.decided_at,
    )
    if status:
        query = query.where(ActorName.status == status)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(ActorName.label)).all()
    visible = _visible_counts(engine, viewer)
    names = {a.id: a.name for a in actors().values()}
    records = [
        (
            *(r.label, r.shown, r.incidents, visible.get(r.label, 0), r.first_seen, r.status, r.actor_id),
            *(names.get(r.actor_id, r.actor_id) if r.actor_id else "", r.decided_by, r.decided_at),
        )
        for r in rows
        if viewer.role == Role.ADMIN or visible.get(r.label, 0) > 0
    ]
    frame = pd.DataFrame(records, columns=list(CANDIDATE_COLUMNS))
    return frame.sort_values(["visible", "incidents", "label"], ascending=[False, False, True], ignore_index=True)


def candidates(engine: Engine, viewer: Viewer) -> pd.DataFrame:
    """The names awaiting a decision (status 'candidate'), as `actor_names`."""
    return actor_names(engine, viewer, "candidate")


def merged_names(engine: Engine) -> dict[str, str]:
    """Label key -> actor id of every name a coordinator merged into a reference actor."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ActorName.label, ActorName.actor_id).where(ActorName.status == "merged", ActorName.actor_id != "")
        ).all()
    return {label: actor for label, actor in rows}


def resolve_with_decisions(engine: Engine, label: str, merged: dict[str, str] | None = None) -> frozenset[str]:
    """The actors a label names: through the alias table (with or without the source's lead-in words), else through
    a coordinator's merge of that name. Pass `merged` (from `merged_names`) to resolve many labels with one read."""
    found = known_actors(label)
    if found:
        return found
    table = merged_names(engine) if merged is None else merged
    actor = table.get(label_key(label))
    return frozenset({actor}) if actor else frozenset()


def actor_search_terms(engine: Engine, text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """What an incident search for `text` should also match: the actors it names (alias table or a merged name), and
    the spellings of the names merged into those actors, lower case, for matching `initiator_name` (incidents stored
    before the merge carry the name, not the actor)."""
    merged = merged_names(engine)
    found = resolve_with_decisions(engine, text, merged)
    if not found:
        return frozenset(), ()
    keys = [key for key, actor in merged.items() if actor in found]
    if not keys:
        return found, ()
    with engine.connect() as conn:
        shown = conn.scalars(select(ActorName.shown).where(ActorName.label.in_(keys)).order_by(ActorName.label)).all()
    return found, tuple(dict.fromkeys(s.casefold() for s in shown))

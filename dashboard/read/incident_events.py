"""Attribution and response events of incidents, read for a viewer: an event is visible exactly when its incident
is."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, String, and_, cast, func, or_, select

from dashboard.core.access import Viewer
from dashboard.read.actor_names import actor_search_terms
from dashboard.read.merges import visible_records
from dashboard.read.scope import in_tracks, track_list
from dashboard.store.event_models import IncidentAttribution, IncidentResponse
from dashboard.store.merge_models import SourceGroup
from dashboard.store.models import Incident

COLUMNS = (
    "incident_id",
    "date",
    "attributor",
    "attributor_country",
    "attributed",
    "attributed_actors",
    "attributed_country",
    "kind",
    "basis",
    "source",
    "sources",
    "confidence",
)


def _ids(incident_id: int | tuple[int, ...]) -> list[int]:
    return [int(i) for i in incident_id] if isinstance(incident_id, tuple) else [int(incident_id)]


def incident_attributions(engine: Engine, viewer: Viewer, incident_id: int | tuple[int, ...]) -> pd.DataFrame:
    """The attribution events of one incident (or of the source records merged into it, a tuple of ids) the viewer
    may see, in time order (undated last, then source order); empty when none is visible to them or has any."""
    a = IncidentAttribution
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(getattr(a, c) for c in COLUMNS))
            .join(Incident, Incident.id == a.incident_id)
            .where(a.incident_id.in_(_ids(incident_id)), visible_records(viewer))
            .order_by(a.date.is_(None), a.date, a.position)
        ).all()
    return pd.DataFrame(rows, columns=list(COLUMNS))


RESPONSE_COLUMNS = (
    "incident_id",
    "date",
    "responder",
    "responder_country",
    "responder_region",
    "kind",
    "source_kind",
    "target",
    "link",
    "layer",
)


def incident_responses(engine: Engine, viewer: Viewer, incident_id: int | tuple[int, ...]) -> pd.DataFrame:
    """The political and legal responses to one incident (or to the source records merged into it) the viewer may
    see, in time order (undated last)."""
    r = IncidentResponse
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(getattr(r, c) for c in RESPONSE_COLUMNS))
            .join(Incident, Incident.id == r.incident_id)
            .where(r.incident_id.in_(_ids(incident_id)), visible_records(viewer))
            .order_by(r.date.is_(None), r.date, r.layer, r.position)
        ).all()
    return pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))


def search_incidents(
    engine: Engine, viewer: Viewer, text: str, *, tracks: frozenset[str] = frozenset(), limit: int = 50
) -> pd.DataFrame:
    """Visible incidents whose title, description or actor names contain the text, or whose attributions name the
    actor the text is an alias of ("Fancy Bear" finds APT28's, and the names a coordinator merged into APT28), newest
    first: id, source_key, title, start_date."""
    needle = f"%{text.strip().casefold()}%"
    matches = [
        func.lower(Incident.title).like(needle),
        func.lower(Incident.description).like(needle),
        func.lower(Incident.initiator_name).like(needle),
    ]
    actors, merged = actor_search_terms(engine, text)  # the alias table and the names coordinators merged
    matches += [func.lower(Incident.initiator_name).like(f"%{name}%") for name in merged]
    for actor in sorted(actors):
        matches.append(
            Incident.id.in_(
                select(IncidentAttribution.incident_id).where(
                    cast(IncidentAttribution.attributed_actors, String).like(f'%"{actor}"%')
                )
            )
        )
    scope = visible_records(viewer)  # every record, also those merged into another source's incident
    if tracks:
        scope = and_(scope, in_tracks(Incident, track_list(viewer, tracks)))
    with engine.connect() as conn:
        rows = conn.execute(
            select(Incident.id, Incident.source_key, Incident.title, Incident.start_date, SourceGroup.group_key)
            .outerjoin(SourceGroup, SourceGroup.source_key == Incident.source_key)
            .where(scope, or_(*matches))
            .order_by(Incident.start_date.desc(), Incident.id)
            .limit(limit * 4)
        ).all()
    frame = pd.DataFrame(rows, columns=["id", "source_key", "title", "start_date", "group"])
    # One row per incident: copies of a record, and records merged into one incident, are listed once.
    group = frame["group"].fillna(frame["source_key"]).where(lambda g: g != "", frame["id"].astype(str))
    return frame[~group.duplicated()].drop(columns="group").head(limit).reset_index(drop=True)

"""Attribution and response events across incidents, read for a viewer: the Responses page's timeline and table, a
state's events on its country profile, and the briefing's count of new events in the period.

An event is visible exactly when its incident is (incident_view_clause: the viewer's tracks and marking, current
versions, each source record once, so an event of an incident uploaded into both tracks is counted once). An event
the source gives no date is placed at its incident's start date and says so (`dated` is False).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, false, func, or_, select, true

from dashboard.core.access import Viewer
from dashboard.read.scope import Scope, incident_view_clause, track_list
from dashboard.store.event_models import IncidentAttribution, IncidentResponse
from dashboard.store.models import Incident

EVENTS = ("attribution", "response")
ROLES = ("any", "actor", "target")  # a state as either party, as attributor or responder, as attributed or target
# The attributions a state makes: by its government or officials, for itself or as a third party (a company, a
# newspaper or a hacker group based in it attributes too, but not for the state).
STATE_ATTRIBUTIONS = frozenset({"attribution:government", "attribution:third party"})
EVENT_COLUMNS = (
    "event",  # attribution | response
    "kind",  # a kind of dashboard/ingest/attributions.KINDS or responses.KINDS
    "date",  # the event's date, or its incident's start date when the source gives none
    "dated",  # False: the source gives no date for the event
    "incident_id",
    "title",
    "by",  # who attributed or responded, as the source names them
    "by_country",  # ISO3 or ""
    "by_region",  # a region named instead of a state ("EU (region)"), responses only
    "against",  # the attributed actor as the source names it (attributions)
    "against_countries",  # ISO3 codes of the attributed state or the response's targets, "; "-joined
    "actors",  # actor ids through the alias table (attributions)
    "detail",  # the source's own basis (attributions) or label (responses)
    "confidence",  # attributions: low | medium | high
    "link",
    "tlp",
)


@dataclass(frozen=True)
class EventFilter:
    """Which events to read; empty collections mean "all".

    kinds: "attribution:<kind>" or "response:<kind>" ("<family>:*" for all of one family; a family with none listed
    is left out when any is listed);
    states: ISO3 codes, matched as the acting party (role "actor"), the attributed or targeted party ("target") or
    either ("any"). Dates are the events' own, or their incidents' start when the source gives none."""

    tracks: frozenset[str] = field(default_factory=frozenset)
    start: dt.date | None = None
    end: dt.date | None = None
    kinds: frozenset[str] = field(default_factory=frozenset)
    states: frozenset[str] = field(default_factory=frozenset)
    role: str = "any"

    def kinds_of(self, event: str) -> list[str] | None:
        """The kinds asked for in one family: None for all of them, [] for none."""
        if not self.kinds:
            return None
        kinds = sorted(k.split(":", 1)[1] for k in self.kinds if k.startswith(f"{event}:"))
        return None if "*" in kinds else kinds


def _first_link(text: str | None) -> str:
    """The first URL of a source cell: some EuRepoC cells keep several, joined as "a'; 'b" (the rest stay in the
    incident's details)."""
    first = re.split(r"'?\s*;\s*'?", str(text or "").strip(), maxsplit=1)[0]
    return first.strip(" '\"[]")


def _visible(viewer: Viewer, flt: EventFilter) -> ColumnElement[bool]:
    return incident_view_clause(Scope.of(viewer), track_list(viewer, flt.tracks))


def _visible_incident(
    viewer: Viewer, flt: EventFilter, model: type, conds: list[ColumnElement[bool]]
) -> ColumnElement[bool]:
    """The event's incident is visible to the viewer in the tracks asked for. The scope rule is applied to the
    incidents of the matching events only (a subquery of its own): the rule's copy check costs about a millisecond
    per incident on SQLite, too much to spend on every incident of the tracks."""
    candidates = select(model.incident_id).join(Incident, Incident.id == model.incident_id).where(*conds)
    return model.incident_id.in_(select(Incident.id).where(Incident.id.in_(candidates), _visible(viewer, flt)))


def _conditions(
    flt: EventFilter, when: ColumnElement, actor: ColumnElement[bool], target: ColumnElement[bool]
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if flt.start:
        conds.append(when >= flt.start)
    if flt.end:
        conds.append(when <= flt.end)
    if flt.states:
        role = {"actor": actor, "target": target}.get(flt.role, or_(actor, target))
        conds.append(role)
    return conds


def _attribution_query(viewer: Viewer, flt: EventFilter):
    a = IncidentAttribution
    when = func.coalesce(a.date, Incident.start_date)
    states = sorted(flt.states)
    conds = _conditions(flt, when, a.attributor_country.in_(states), a.attributed_country.in_(states))
    kinds = flt.kinds_of("attribution")
    if kinds is not None:
        conds.append(a.kind.in_(kinds) if kinds else false())
    return a, when, [*conds, _visible_incident(viewer, flt, a, conds)]


def _response_query(viewer: Viewer, flt: EventFilter):
    r = IncidentResponse
    when = func.coalesce(r.date, Incident.start_date)
    states = sorted(flt.states)
    # target holds ISO3 codes joined by "; ": three capitals each, so one code never matches inside another
    target = or_(*(r.target.like(f"%{s}%") for s in states)) if states else true()
    conds = _conditions(flt, when, r.responder_country.in_(states), target)
    kinds = flt.kinds_of("response")
    if kinds is not None:
        conds.append(r.kind.in_(kinds) if kinds else false())
    return r, when, [*conds, _visible_incident(viewer, flt, r, conds)]


def event_rows(engine: Engine, viewer: Viewer, flt: EventFilter) -> pd.DataFrame:
    """The visible attribution and response events that match, newest first (EVENT_COLUMNS)."""
    a, a_when, a_conds = _attribution_query(viewer, flt)
    r, r_when, r_conds = _response_query(viewer, flt)
    with engine.connect() as conn:
        attributions = conn.execute(
            select(
                a.kind,
                a_when.label("date"),
                a.date.is_not(None).label("dated"),
                a.incident_id,
                Incident.title,
                a.attributor,
                a.attributor_country,
                a.attributed,
                a.attributed_country,
                a.attributed_actors,
                a.basis,
                a.confidence,
                a.source,
                a.sources,
                Incident.tlp,
            )
            .join(Incident, Incident.id == a.incident_id)
            .where(*a_conds)
        ).all()
        responses = conn.execute(
            select(
                r.kind,
                r_when.label("date"),
                r.date.is_not(None).label("dated"),
                r.incident_id,
                Incident.title,
                r.responder,
                r.responder_country,
                r.responder_region,
                r.target,
                r.source_kind,
                r.link,
                Incident.tlp,
            )
            .join(Incident, Incident.id == r.incident_id)
            .where(*r_conds)
        ).all()
    rows = [
        {
            "event": "attribution",
            "kind": kind,
            "date": day,
            "dated": bool(dated),
            "incident_id": incident_id,
            "title": title,
            "by": attributor,
            "by_country": attributor_country,
            "by_region": "",
            "against": attributed,
            "against_countries": attributed_country,
            "actors": list(actors or []),
            "detail": basis,
            "confidence": confidence,
            "link": _first_link(source) or _first_link(next(iter(sources or []), "")),
            "tlp": tlp,
        }
        for (
            kind,
            day,
            dated,
            incident_id,
            title,
            attributor,
            attributor_country,
            attributed,
            attributed_country,
            actors,
            basis,
            confidence,
            source,
            sources,
            tlp,
        ) in attributions
    ] + [
        {
            "event": "response",
            "kind": kind,
            "date": day,
            "dated": bool(dated),
            "incident_id": incident_id,
            "title": title,
            "by": responder,
            "by_country": responder_country,
            "by_region": region,
            "against": "",
            "against_countries": target,
            "actors": [],
            "detail": label,
            "confidence": "",
            "link": link,
            "tlp": tlp,
        }
        for (kind, day, dated, incident_id, title, responder, responder_country, region, target, label, link, tlp) in (
            responses
        )
    ]
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    if frame.empty:
        return frame
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame.sort_values(["date", "event", "incident_id"], ascending=[False, True, True]).reset_index(drop=True)


def event_kind_counts(engine: Engine, viewer: Viewer, flt: EventFilter) -> pd.DataFrame:
    """How many visible events match, per family, kind and marking of their incident: event, kind, tlp, events."""
    parts = []
    with engine.connect() as conn:
        for event, (model, _when, conds) in (
            ("attribution", _attribution_query(viewer, flt)),
            ("response", _response_query(viewer, flt)),
        ):
            rows = conn.execute(
                select(model.kind, Incident.tlp, func.count())
                .join(Incident, Incident.id == model.incident_id)
                .where(and_(*conds))
                .group_by(model.kind, Incident.tlp)
            ).all()
            parts += [(event, kind, tlp, int(n)) for kind, tlp, n in rows]
    return pd.DataFrame(parts, columns=["event", "kind", "tlp", "events"])


def state_events(engine: Engine, viewer: Viewer, iso3: str, flt: EventFilter) -> dict[str, pd.DataFrame]:
    """One state's visible events in the filter's tracks and period, as four frames: the attributions it made
    through its government or officials ("attributed_by", STATE_ATTRIBUTIONS), those naming it as the attributed
    state ("attributed_to"), the responses it made ("responses_made") and those aimed at it ("responses_received",
    where the source names a target)."""
    flt = replace(flt, states=frozenset({iso3}), role="any")
    return state_event_frames(event_rows(engine, viewer, flt), iso3)


def _named(codes: object, states: frozenset[str]) -> bool:
    return any(code in states for code in str(codes or "").split("; ") if code)


def select_events(
    events: pd.DataFrame, kinds: frozenset[str] = frozenset(), states: frozenset[str] = frozenset(), role: str = "any"
) -> pd.DataFrame:
    """The events of an event_rows frame that match kinds and states as EventFilter reads them in SQL (a narrowing
    of rows already scoped to the viewer, so a page can change these filters without reading again)."""
    if events.empty:
        return events
    keep = pd.Series(True, index=events.index)
    if kinds:
        keys = events["event"] + ":" + events["kind"]
        families = {k.split(":", 1)[0] for k in kinds if k.endswith(":*")}
        keep &= keys.isin(kinds) | events["event"].isin(families)
    if states:
        actor = events["by_country"].isin(states)
        target = events["against_countries"].map(lambda codes: _named(codes, states)).astype(bool)
        keep &= {"actor": actor, "target": target}.get(role, actor | target)
    return events[keep].reset_index(drop=True)


def state_event_frames(events: pd.DataFrame, iso3: str) -> dict[str, pd.DataFrame]:
    """state_events' four frames, cut from an event_rows frame of events naming the state."""
    attributions = events[events["event"] == "attribution"] if not events.empty else events
    responses = events[events["event"] == "response"] if not events.empty else events
    state = frozenset({iso3})
    return {
        "attributed_by": select_events(attributions, kinds=STATE_ATTRIBUTIONS, states=state, role="actor"),
        "attributed_to": select_events(attributions, states=state, role="target"),
        "responses_made": select_events(responses, states=state, role="actor"),
        "responses_received": select_events(responses, states=state, role="target"),
    }


def states_named(events: pd.DataFrame) -> list[str]:
    """ISO3 codes of the states an event_rows frame names, as either party (a filter's choices)."""
    if events.empty:
        return []
    codes = set(events["by_country"]) | {
        code for codes in events["against_countries"] for code in str(codes or "").split("; ")
    }
    return sorted(c for c in codes if c)

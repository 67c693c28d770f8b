"""Parts of the Responses page and the country profile: the event filters, the timeline, the event table with its
downloads, and a state's attributions and responses."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.app.chart_panel import chart, downloads
from dashboard.app.widgets import columns_table
from dashboard.core.threat_actors import actors
from dashboard.core.tlp import TLP_LABELS, strictest_in
from dashboard.core.vocabulary import labels
from dashboard.ingest.attributions import CONFIDENCE_RULE
from dashboard.ingest.attributions import KINDS as ATTRIBUTION_KINDS
from dashboard.ingest.responses import KIND_NAMES as RESPONSE_KINDS
from dashboard.present import event_charts
from dashboard.present.labels import EVENT_NAMES, EVENT_ROLES, UNDATED_EVENT
from dashboard.present.markdown import escape_markdown
from dashboard.read.event_timeline import ROLES

# "<event>:<kind>" -> "Attribution: Government": the kinds' names are the ingest vocabularies'.
KIND_NAMES: dict[str, str] = {
    **{f"attribution:{k}": f"{EVENT_NAMES['attribution']}: {name}" for k, name in ATTRIBUTION_KINDS.items()},
    **{f"response:{k}": f"{EVENT_NAMES['response']}: {name}" for k, name in RESPONSE_KINDS.items()},
}
NO_STATE = "No state named"
ROWS = {"state": "One row per state", "kind": "One row per kind"}


@dataclass(frozen=True)
class EventChoice:
    """The event filters chosen on the page (besides track and period)."""

    kinds: frozenset[str]
    states: frozenset[str]
    role: str


def _listed(name: str) -> list[str]:
    return [v.strip() for v in str(st.query_params.get(name, "")).split(",") if v.strip()]


def event_filters(states: list[str]) -> EventChoice:
    """Kind of event, states and their part, in the sidebar and the URL (kinds=, states=, as=); values a viewer
    cannot choose are dropped with one warning."""
    names = labels("countries.csv", key="iso3")
    wanted_kinds, wanted_states = _listed("kinds"), [s.upper() for s in _listed("states")]
    wanted_role = str(st.query_params.get("as", "any"))
    dropped = [k for k in wanted_kinds if k not in KIND_NAMES] + [s for s in wanted_states if s not in states]
    if wanted_role not in ROLES:
        dropped.append(wanted_role)
    if dropped:
        st.warning(f"Link filter ignored: {escape_markdown(', '.join(dropped[:5]))}.")
    with st.sidebar:
        kinds = st.multiselect(
            "Kind of event",
            list(KIND_NAMES),
            default=[k for k in wanted_kinds if k in KIND_NAMES],
            format_func=KIND_NAMES.get,
            key="ev_kinds",
            help="Empty: every kind of attribution and response.",
        )
        chosen = st.multiselect(
            "States",
            states,
            default=[s for s in wanted_states if s in states],
            format_func=lambda c: names.get(c, c),
            key="ev_states",
        )
        role = st.radio(
            "States as",
            list(ROLES),
            index=ROLES.index(wanted_role) if wanted_role in ROLES else 0,
            format_func=EVENT_ROLES.get,
            key="ev_role",
            disabled=not chosen,
        )
    params = {"kinds": ",".join(kinds), "states": ",".join(chosen), "as": role if chosen and role != "any" else ""}
    for key, value in params.items():
        if value and st.query_params.get(key) != value:
            st.query_params[key] = value
        elif not value and key in st.query_params:
            del st.query_params[key]
    return EventChoice(frozenset(kinds), frozenset(chosen), role)


def _country_text(codes: object, names: dict[str, str]) -> str:
    return ", ".join(names.get(c, c) for c in str(codes or "").split("; ") if c)


def described(events: pd.DataFrame) -> pd.DataFrame:
    """The events with readable texts: kind name, who (the party and its state), whom (the state and the actors),
    and the state rows of the timeline (the acting state, or its region)."""
    names, known = labels("countries.csv", key="iso3"), actors()
    if events.empty:
        return events.assign(kind_name=[], who=[], whom=[], state_row=[], target_row=[])

    def who(party: str, iso3: str, region: str) -> str:
        state = names.get(iso3, iso3) or region
        if party and state and party != state:
            return f"{party} ({state})"
        return party or state or "Not named by the source"

    def whom(codes: str, ids: list[str], named: str) -> str:
        group = ", ".join(known[a].name if a in known else a for a in ids) or named
        states = _country_text(codes, names)
        return " ".join(p for p in (states, f"({group})" if group and group != states else "") if p) or "Not named"

    return events.assign(
        kind_name=[KIND_NAMES.get(f"{e}:{k}", k) for e, k in zip(events["event"], events["kind"], strict=True)],
        who=[
            who(str(p or ""), str(c or ""), str(r or ""))
            for p, c, r in zip(events["by"], events["by_country"], events["by_region"], strict=True)
        ],
        whom=[
            whom(str(c or ""), list(a) if isinstance(a, list | tuple) else [], str(n or ""))
            for c, a, n in zip(events["against_countries"], events["actors"], events["against"], strict=True)
        ],
        state_row=[
            names.get(c, c) or r or NO_STATE for c, r in zip(events["by_country"], events["by_region"], strict=True)
        ],
        target_row=[
            names.get(str(c or "").split("; ")[0], str(c or "").split("; ")[0]) or NO_STATE
            for c in events["against_countries"]
        ],
    )


def timeline(events: pd.DataFrame, rows: str, role: str, *, tlp: str | None, key: str) -> None:
    """The timeline with the table behind it; rows per state (the acting one, or the target when states are chosen
    as targets) or per kind."""
    shown = described(events)
    if rows == "kind":
        shown = shown.assign(row=shown["kind_name"])
    else:
        shown = shown.assign(row=shown["target_row"] if role == "target" else shown["state_row"])
    figure = event_charts.build_event_timeline(shown, kind_names=KIND_NAMES)
    if len(shown) > event_charts.TIMELINE_LIMIT:
        st.caption(
            f"The timeline draws the {event_charts.TIMELINE_LIMIT:,} most recent of {len(shown):,} events; the table "
            "below lists them all."
        )
    behind = shown[["date", "row", "kind_name", "title", "who", "whom", "link"]].rename(
        columns={"row": "row_shown", "kind_name": "kind"}
    )
    chart(figure, behind, key=key, tlp=tlp, stem="attributions_and_responses_timeline")
    st.caption(
        "Circles are attributions, diamonds responses; a hollow marker: "
        f"{UNDATED_EVENT}. Hover over a marker for the incident, who, against whom and the link."
    )


def export_frame(events: pd.DataFrame) -> pd.DataFrame:
    """The events as downloaded and listed: readable columns, one row per event, with its source link."""
    shown = described(events)
    return pd.DataFrame(
        {
            "date": shown["date"],
            "date_given": shown["dated"].astype(bool) if not shown.empty else [],
            "event": shown["event"].map(EVENT_NAMES),
            "kind": shown["kind_name"],
            "incident": shown["title"],
            "by": shown["who"],
            "against": shown["whom"],
            "as_the_source_puts_it": shown["detail"],
            "confidence": shown["confidence"],
            "source": shown["link"].replace("", None),
            "tlp": shown["tlp"].map(TLP_LABELS),
        }
    )


EVENT_TABLE_COLUMNS = {
    "date": st.column_config.DateColumn("Date"),
    "kind": "Kind",
    "incident": st.column_config.TextColumn("Incident", width="large"),
    "by": "By",
    "against": "Against",
    "confidence": st.column_config.TextColumn("Confidence", help=CONFIDENCE_RULE),
    "source": st.column_config.LinkColumn("Source"),
}


def event_table(events: pd.DataFrame, *, stem: str, tlp: str | None, title: str, key: str, height: int = 420) -> None:
    """Every event with its source link, and CSV/XLSX downloads of them all."""
    frame = export_frame(events)
    columns_table(frame, {**EVENT_TABLE_COLUMNS, "tlp": "Marking"}, height=height)
    undated = int((~frame["date_given"]).sum()) if not frame.empty else 0
    if undated:
        st.caption(f"{undated:,} of these events: {UNDATED_EVENT}.")
    downloads(lambda: frame, stem=stem, tlp=tlp, title=title, key=key, rows=len(frame))


# A state's four sections on its profile, in two pairs side by side: label and what it counts.
STATE_LABELS = {
    "attributed_by": "Attributed by",
    "attributed_to": "Attributed to",
    "responses_made": "Responses made",
    "responses_received": "Responses received",
}
STATE_HELP = {
    "attributed_by": "Attributions this state made through its government or officials (attributions by companies, "
    "media or groups based in it are on the Attributions and responses page).",
    "attributed_to": "Attributions naming this state as the attributed state.",
    "responses_made": "Political and legal responses by this state.",
    "responses_received": "Responses aimed at this state, where the source names a target.",
}
STATE_HEADINGS = ("Attributed by / attributed to", "Responses made / received")
STATE_PAIRS = (("attributed_by", "attributed_to"), ("responses_made", "responses_received"))


def state_events_marking(frames: dict[str, pd.DataFrame]) -> str | None:
    """The strictest marking of a state's events (for the page's banner)."""
    return strictest_in(pd.concat([f[["tlp"]] for f in frames.values() if not f.empty] or [pd.DataFrame()]))


def state_events(frames: dict[str, pd.DataFrame], iso3: str) -> None:
    """A state's attributions and responses on its profile: a count per section, each opening to its events with
    their source links; two sections side by side. One line when the state has none at all."""
    if all(frame.empty for frame in frames.values()):
        st.subheader("Attributions and responses")
        st.write("No attribution or response by or against this state is recorded in these tracks and this period.")
        return
    for pair, keys in enumerate(STATE_PAIRS):
        st.subheader(STATE_HEADINGS[pair])
        for column, key in zip(st.columns(2), keys, strict=True):
            column.metric(STATE_LABELS[key], f"{len(frames[key]):,}", help=STATE_HELP[key])
        for key in keys:  # full width below the pair: the tables and their download buttons need the room
            rows = frames[key]
            if rows.empty:
                continue
            with st.expander(f"{STATE_LABELS[key]}: the {len(rows):,} events, with their sources"):
                event_table(
                    rows,
                    stem=f"{iso3}_{key}",
                    tlp=strictest_in(rows),
                    title=f"{STATE_LABELS[key]}: {iso3}",
                    key=f"cp_{key}",
                    height=320,
                )
    st.caption(
        "A response counts as received only where its source names the state it was aimed at (CFR names the "
        "suspected sponsor; EuRepoC names none)."
    )

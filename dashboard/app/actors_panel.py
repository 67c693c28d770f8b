"""The Datasets page's "Threat actors" section: the actor names imports brought that the alias table does not resolve,
for coordinators and administrators to merge into a reference actor or keep distinct; and, for everyone who may see
the page, the reference actors with their state and aliases."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.accounts.actor_decisions import ActorDecisionError, mark_distinct, merge_candidate
from dashboard.accounts.guard import AccessDenied
from dashboard.app.context import cached, engine
from dashboard.app.widgets import columns_table, plain
from dashboard.core.access import Permission, Viewer
from dashboard.core.vocabulary import labels
from dashboard.read import actor_names as names_read

ALIASES_SHOWN = 3  # aliases in an actor's line of the merge choice
STATUS_NAMES = {"candidate": "Awaiting a decision", "merged": "Merged", "distinct": "Kept distinct"}
_FLASH, _ROUND = "_actors_flash", "_actors_round"


def _state_names() -> dict[str, str]:
    return labels("countries.csv", key="iso3")


def _actor_line(row: pd.Series, states: dict[str, str]) -> str:
    """'APT28 (Russia): Fancy Bear, Sofacy, Pawn Storm, …' for the merge choice."""
    state = f" ({states.get(row['state'], row['state'])})" if row["state"] else ""
    aliases = list(row["aliases"])
    more = ", …" if len(aliases) > ALIASES_SHOWN else ""
    shown = f": {', '.join(aliases[:ALIASES_SHOWN])}{more}" if aliases else ""
    return f"{row['name']}{state}{shown}"


def _decide(viewer: Viewer, label: str, shown: str, actor_id: str | None, actor_name: str) -> None:
    try:
        if actor_id:
            merge_candidate(engine(), viewer, label, actor_id)
            message = f"“{shown}” now resolves to {actor_name}."
        else:
            mark_distinct(engine(), viewer, label)
            message = f"“{shown}” is kept as an actor of its own."
    except (ActorDecisionError, AccessDenied) as exc:
        st.error(f"{plain(exc)}.")
        return
    st.session_state[_FLASH] = message
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1  # a new actor choice, empty, for the next name
    st.rerun()


def _decisions(viewer: Viewer, reference: pd.DataFrame, states: dict[str, str]) -> None:
    """The names awaiting a decision, the choice of a reference actor, Merge / Keep distinct; then the decided ones."""
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(plain(flash))
    stored = cached(names_read.actor_names, viewer)
    waiting = stored[stored["status"] == "candidate"]
    st.markdown(f"**Actor names awaiting a decision** ({len(waiting):,})")
    st.caption(
        "Names in uploaded incidents that the alias table does not know. Merge one into a reference actor and it "
        "resolves to that actor in searches and views; keep it distinct if it is an actor of its own. Generic phrases "
        "(“unknown hackers”, “Chinese government”) and missing values are never listed."
    )
    if waiting.empty:
        st.write("No actor names await a decision.")
    else:
        columns_table(
            waiting,
            {
                "shown": "Name as written",
                "visible": st.column_config.NumberColumn(
                    "Incidents you can see", format="%d", help="Current incidents of your tracks and marking naming it"
                ),
                "first_seen": st.column_config.DatetimeColumn("First seen (UTC)", format="D MMM YYYY"),
            },
            height=280,
        )
        shown = dict(zip(waiting["label"], waiting["shown"], strict=True))
        lines = {r["actor_id"]: _actor_line(r, states) for _, r in reference.iterrows()}
        left, right = st.columns(2)
        label = left.selectbox("Name", list(shown), format_func=shown.get, key="actors_candidate")
        actor_id = right.selectbox(
            "Reference actor",
            list(lines),
            index=None,
            format_func=lines.get,
            placeholder="Type to search by name or alias",
            key=f"actors_actor_{st.session_state.get(_ROUND, 0)}",  # clearing a chosen value leaves it on screen
        )
        buttons = st.container(horizontal=True)
        if buttons.button("Merge", key="actors_merge", disabled=actor_id is None, type="primary"):
            chosen = reference[reference["actor_id"] == actor_id]["name"].iloc[0]
            _decide(viewer, str(label), shown[label], str(actor_id), str(chosen))
        if buttons.button("Keep distinct", key="actors_distinct"):
            _decide(viewer, str(label), shown[label], None, "")
    decided = stored[stored["status"] != "candidate"]
    if not decided.empty:
        with st.expander(f"Decided names ({len(decided):,})"):
            frame = decided.assign(status=decided["status"].map(STATUS_NAMES))
            columns_table(
                frame,
                {
                    "shown": "Name as written",
                    "status": "Decision",
                    "actor_name": "Actor",
                    "visible": st.column_config.NumberColumn("Incidents you can see", format="%d"),
                    "decided_by": "Decided by",
                    "decided_at": st.column_config.DatetimeColumn("Decided (UTC)", format="D MMM YYYY, HH:mm"),
                },
                height=240,
            )


def _reference_list(reference: pd.DataFrame, states: dict[str, str]) -> None:
    """The reference actors, searchable by name, alias or state."""
    st.markdown(f"**Reference actors** ({len(reference):,})")
    st.caption(
        "Threat actors and their aliases from MISP galaxy (CC0) with our corrections: an import that names any alias "
        "counts the actor once (“APT28”, “Fancy Bear” and “Sofacy” are one actor)."
    )
    search = st.text_input("Search actors", key="actors_search", placeholder="Name, alias or state (ISO3)")
    found = names_read.reference_actors(search)
    if found.empty:
        st.write("No reference actor matches.")
        return
    frame = found.assign(
        state=[states.get(s, s) if s else "" for s in found["state"]],
        aliases=[", ".join(a) for a in found["aliases"]],
    )
    columns_table(frame, {"name": "Actor", "state": "Suspected state sponsor", "aliases": "Aliases"}, height=320)


def actors_section(viewer: Viewer) -> None:
    """The "Threat actors" section of the Datasets page."""
    st.subheader("Threat actors")
    states = _state_names()
    reference = names_read.reference_actors()
    if viewer.can(Permission.UPLOAD):
        _decisions(viewer, reference, states)
    _reference_list(reference, states)

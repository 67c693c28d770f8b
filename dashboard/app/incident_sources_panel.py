"""The sources of one incident in its detail: each source's record side by side, the merge that joined them (found by
the matcher or confirmed by a coordinator), where they disagree, the actor with its aliases, and, for coordinators,
confirm or split."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.app.context import cached, engine
from dashboard.app.widgets import columns_table
from dashboard.core.access import Permission, Viewer
from dashboard.core.threat_actors import actors, aliases_of, resolve_all
from dashboard.core.vocabulary import labels
from dashboard.ingest import merges as merge_writes
from dashboard.present.labels import TYPE_NAMES
from dashboard.present.markdown import escape_markdown
from dashboard.read import merges

STATUS_WORDS = {"matched": "matched by the rules", "confirmed": "confirmed", "split": "split"}
MATCH_RULE = (
    "The matcher compares records of different sources on dates, target and initiator countries, the actor (through "
    "the alias table), the titles and the rare words of the descriptions (README, 'One incident across sources')."
)


def sources_section(viewer: Viewer, incident_id: int, *, key: str) -> pd.DataFrame:
    """Show the incident's source records and return them (the caller reads their events)."""
    members = cached(merges.members, viewer, int(incident_id))
    if members.empty:
        return members
    names = labels("countries.csv", key="iso3")
    _actor_line(members)
    if len(members) == 1:
        return members
    pairs = cached(merges.pairs, viewer, tuple(k for k in members["source_key"] if k))
    status = _status_of(members, pairs)
    shown = members.assign(
        targets=[", ".join(names.get(c, c) for c in v) for v in members["targets"]],
        initiators=[", ".join(names.get(c, c) for c in v) for v in members["initiators"]],
        type=members["incident_type_id"].map(lambda t: TYPE_NAMES.get(t, t)),
        link=[(list(u) or [""])[0] or None for u in members["source_urls"]],
        merge=status,
    )
    st.markdown(f"**Sources** ({len(members)}): one incident across sources")
    columns_table(
        shown,
        {
            "source": "Source",
            "record": "Record",
            "title": st.column_config.TextColumn("Title", width="large"),
            "start_date": st.column_config.DateColumn("Start"),
            "targets": "Targets",
            "initiators": "Suspected initiator states",
            "type": "Type",
            "initiator_name": "Suspected actor",
            "merge": st.column_config.TextColumn("Merge", help=MATCH_RULE),
            "link": st.column_config.LinkColumn("Source link"),
        },
    )
    differences = merges.disagreements(members)
    if differences:
        st.warning(
            "**Sources disagree**  \n"
            + "  \n".join(f"**{escape_markdown(field)}:** {escape_markdown(text)}" for field, text in differences)
        )
    else:
        st.caption("The sources agree on dates (within 30 days), countries, type and actor.")
    if viewer.can(Permission.UPLOAD):
        _decide(viewer, members, status, key=key)
    return members


def _actor_line(members: pd.DataFrame) -> None:
    """The actors the records name, each with its suspected state and aliases (the shipped alias table)."""
    found = resolve_all([n for v in members["initiator_name"] for n in str(v or "").split("; ") if n])
    if not found:
        return
    known, names = actors(), labels("countries.csv", key="iso3")
    lines = []
    for actor_id in sorted(found):
        actor = known.get(actor_id)
        if actor is None:
            continue
        state = f", suspected state: {names.get(actor.state, actor.state)}" if actor.state else ""
        aliases = ", ".join([a for a in aliases_of(actor_id) if a != actor.name][:8])
        lines.append(
            f"**{escape_markdown(actor.name)}**{escape_markdown(state)}"
            + (f"; also known as {escape_markdown(aliases)}" if aliases else "")
        )
    if lines:
        st.markdown("**Actor:** " + "  \n".join(lines))


def _status_of(members: pd.DataFrame, pairs: pd.DataFrame) -> list[str]:
    """Per member: 'this record' for the first, else how it is joined to the group (the best pair naming it)."""
    first = members["source_key"].iloc[0]
    out = []
    for position, key in enumerate(members["source_key"]):
        if position == 0:
            out.append("this record")
            continue
        rows = pairs[(pairs["left_key"] == key) | (pairs["right_key"] == key)]
        rows = rows[rows["status"] != "split"]
        direct = rows[(rows["left_key"] == first) | (rows["right_key"] == first)]
        row = (direct if len(direct) else rows).sort_values("score", ascending=False).head(1)
        if row.empty:
            out.append("merged")
            continue
        r = row.iloc[0]
        if r["status"] == "confirmed":
            out.append(f"confirmed by {r['decided_by']}" if r["decided_by"] else "confirmed")
        else:
            out.append(f"matched by the rules (score {r['score']:.1f}): " + "; ".join(r["reasons"]))
    return out


def _decide(viewer: Viewer, members: pd.DataFrame, status: list[str], *, key: str) -> None:
    """Confirm or split the merge of this incident's record with another source's record."""
    first = int(members["id"].iloc[0])
    others = {
        int(i): f"{s} {r}: {t[:80]}"
        for i, s, r, t in zip(
            members["id"].iloc[1:],
            members["source"].iloc[1:],
            members["record"].iloc[1:],
            members["title"].iloc[1:],
            strict=True,
        )
    }
    with st.expander("Confirm or split this merge"):
        st.caption(
            "A confirmed merge stays when either export is uploaded again; a split one is never merged again. "
            "Both are in the audit trail."
        )
        other = st.selectbox("Record of the other source", list(others), format_func=others.get, key=f"{key}_other")
        left, right = st.columns(2)
        decision = None
        if left.button("Confirm: one incident", key=f"{key}_confirm"):
            decision = "confirmed"
        if right.button("Split: two incidents", key=f"{key}_split"):
            decision = "split"
        if decision and other is not None:
            try:
                merge_writes.decide_for(engine(), viewer, first, int(other), decision)
            except merge_writes.MergeRefused as refused:
                st.error(f"Not changed: {escape_markdown(str(refused))}.")
                return
            st.success("Merge confirmed." if decision == "confirmed" else "Merge split: the records count as two.")

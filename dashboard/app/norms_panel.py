"""Parts of the norms page: framework sections, the trajectory chart, status changes and the evidence table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.app.chart_panel import chart
from dashboard.app.widgets import columns_table
from dashboard.core.tlp import TLP_LABELS
from dashboard.core.vocabulary import load
from dashboard.present.labels import FRAMEWORK_NAMES, NORM_ASSERTED, NORM_INFERRED, STATUS_NAMES

_HEADINGS = {
    "un-norms": "UN norms a-k",
    "osce-cbms": "CBM tracker: OSCE cyber CBMs 1-16",
    "arf-measures": "CBM tracker: ASEAN Regional Forum measures",
}


def framework_items() -> pd.DataFrame:
    """The norm and CBM items of every framework (reference data)."""
    return pd.DataFrame(load("framework_items.csv"))


def framework_tabs(tracks: frozenset[str]) -> list[tuple[str, str]]:
    """(framework id, heading) for the frameworks that apply to the tracks shown, UN norms first."""
    return [
        (fw["id"], _HEADINGS.get(fw["id"], fw["name"]))
        for fw in load("frameworks.csv")
        if set(fw["tracks"].split(";")) & set(tracks)
    ]


def trajectory_chart(trajectory: pd.DataFrame, *, key: str, tlp: str | None, default_count: int = 6) -> None:
    """Trajectory of chosen states across rounds; by default those whose share changed most."""
    from dashboard.present import charts

    if trajectory.empty:
        st.write("No rounds to compare yet.")
        return
    spread = trajectory.groupby("country")["share"].agg(lambda s: s.iloc[-1] - s.iloc[0]).abs()
    default = spread.sort_values(ascending=False).head(default_count).index.tolist()
    chosen = st.multiselect(
        "States on the trajectory chart",
        sorted(trajectory["country"].unique()),
        default=sorted(default),
        key=f"{key}_countries",
    )
    part = trajectory[trajectory["country"].isin(chosen)]
    figure = charts.build_trajectory(part, title="Share implemented, by round")
    chart(figure, part, key=key, tlp=tlp, stem="norm_trajectory")


def named_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """Status changes with the framework and the statuses before and after shown by name."""
    return changes.assign(
        framework_id=changes["framework_id"].map(FRAMEWORK_NAMES),
        before=changes["before"].map(STATUS_NAMES),
        after=changes["after"].map(STATUS_NAMES),
    )


def norm_changes_table(changes: pd.DataFrame) -> None:
    """Status changes between two rounds, with the evidence link."""
    if changes.empty:
        st.write("No status changed.")
        return
    shown = named_changes(changes).assign(
        direction=changes["direction"].map({"up": "▲ forward", "down": "▼ back", "other": "changed"}),
    )
    columns_table(
        shown,
        {
            "country": "State",
            "code": "Item",
            "framework_id": "Framework",
            "before": "Before",
            "after": "Now",
            "direction": "Direction",
            "evidence_url": st.column_config.LinkColumn("Evidence"),
        },
        height=300,
    )


def evidence_table(status: pd.DataFrame) -> None:
    """Latest status of each state and item with its evidence link."""
    shown = status.assign(
        status=status["status"].map(STATUS_NAMES),
        tlp=status["tlp"].map(TLP_LABELS),
        framework_id=status["framework_id"].map(FRAMEWORK_NAMES),
    )
    columns_table(
        shown,
        {
            "country": "State",
            "framework_id": "Framework",
            "code": "Item",
            "status": "Status",
            "assessed_on": st.column_config.DateColumn("Assessed"),
            "round_label": "Round",
            "evidence_url": st.column_config.LinkColumn("Evidence"),
            "tlp": "Marking",
        },
        height=360,
    )


def item_names() -> dict[str, str]:
    """'UN norms c' per norm or CBM item id (framework short name and item code)."""
    return {
        item["id"]: f"{FRAMEWORK_NAMES.get(item['framework_id'], item['framework_id'])} {item['code']}"
        for item in load("framework_items.csv")
    }


def rule_name(rule_id: str) -> str:
    """The human name of a norm-inference rule (dashboard.ingest.norm_rules), or its id if it has none."""
    try:
        from dashboard.ingest import norm_rules  # type: ignore[attr-defined]  # written alongside this page
    except ImportError:
        return rule_id
    try:
        return str(norm_rules.rule_label(rule_id)) or rule_id
    except Exception:  # an unknown rule shows as its id, never as an error on the page
        return rule_id


def incident_links(counts: pd.DataFrame) -> None:
    """Incidents per norm or CBM item: the links the source asserts (what figures count), then apart and labelled
    those inferred by import rules."""
    names = item_names()
    asserted = counts[~counts["inferred"]]
    inferred = counts[counts["inferred"]]
    if asserted.empty:
        st.write("No incident in these tracks and countries is linked to a norm or CBM item by its source.")
    else:
        per_item = asserted.groupby("item_id", sort=False, as_index=False)["incidents"].sum()
        columns_table(
            per_item.assign(item=per_item["item_id"].map(lambda i: names.get(i, i))),
            {"item": "Item", "incidents": st.column_config.NumberColumn("Incidents", format="%d")},
            height=min(360, 38 + 35 * len(per_item)),
        )
        st.caption(f"Links {NORM_ASSERTED}: the only ones the figures and the watchlist count.")
    if inferred.empty:
        return
    st.markdown(f"**{NORM_INFERRED[0].upper()}{NORM_INFERRED[1:]}**")
    st.caption(
        f"{int(inferred['incidents'].sum()):,} further links drawn by a named rule when the data was imported, not "
        "given by the source. No figure counts them."
    )
    columns_table(
        inferred.assign(item=inferred["item_id"].map(lambda i: names.get(i, i)), rule=inferred["basis"].map(rule_name)),
        {"item": "Item", "rule": "Rule", "incidents": st.column_config.NumberColumn("Incidents", format="%d")},
        height=min(360, 38 + 35 * len(inferred)),
    )

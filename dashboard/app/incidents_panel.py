"""Parts of the incident pages: the incident table with its downloads, monthly counts and the top dyads chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import read
from dashboard.analysis import analytics
from dashboard.app.chart_panel import chart, downloads
from dashboard.app.context import cached, fetch
from dashboard.app.incident_sources_panel import sources_section
from dashboard.app.widgets import columns_table
from dashboard.core.access import Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.core.periods import Period
from dashboard.core.threat_actors import actors
from dashboard.core.tlp import TLP_LABELS
from dashboard.core.vocabulary import labels
from dashboard.ingest.attributions import CONFIDENCE_RULE
from dashboard.ingest.attributions import KINDS as ATTRIBUTION_KINDS
from dashboard.ingest.responses import KIND_NAMES as RESPONSE_KINDS
from dashboard.present.labels import COUNTRY_INFERRED, TYPE_NAMES, norm_link_label, severity_label
from dashboard.present.markdown import escape_markdown


def incident_table(rows: pd.DataFrame) -> None:
    """Incident details with readable names and a clickable first source link (text is never rendered as HTML)."""
    shown = rows.assign(
        type=rows["type"].map(TYPE_NAMES),
        severity=rows["severity"].map(severity_label).astype(object),  # "Not rated", never "None" or 0
        source=rows["source_urls"].str.split("; ").str[0].replace("", None),
        tlp=rows["tlp"].map(TLP_LABELS),
    )
    columns_table(
        shown,
        {
            "start_date": st.column_config.DateColumn("Start"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "type": "Type",
            "severity": "Severity",
            "targets": "Targets",
            "initiators": "Suspected initiator states",
            "sectors": "Sectors",
            "initiator_name": "Suspected actor",
            "confidence": "Confidence",
            "tlp": "Marking",
            "source": st.column_config.LinkColumn("Source"),
            "track": "Tracks",
        },
        height=420,
    )


def incident_details(
    viewer: Viewer,
    flt: IncidentFilter,
    limit: int,
    *,
    stem: str,
    tlp: str | None,
    title: str,
    key: str,
    total: int | None = None,
) -> None:
    """The most recent `limit` matching incidents (said how many of `total` when given), with downloads of all."""
    rows = cached(read.incident_rows, viewer, flt, limit)
    if total is not None:
        st.caption(
            f"All {len(rows):,} matching incidents."
            if len(rows) == total
            else f"The {len(rows):,} most recent of {total:,} matching incidents; downloads hold them all."
        )
    incident_table(rows)
    incident_detail(viewer, rows, key=f"{key}_detail")
    matching = total if total is not None else cached(read.incident_summary, viewer, flt)["incidents"]
    downloads(
        lambda: fetch(read.incident_rows, viewer, flt, None), stem=stem, tlp=tlp, title=title, key=key, rows=matching
    )


def incident_detail(viewer: Viewer, rows: pd.DataFrame, *, key: str) -> None:
    """One chosen incident of the table with where each fact comes from: every type (the primary marked), target
    countries found in the title or description marked so, and each norm link asserted by the source or inferred."""
    from dashboard.app.norms_panel import item_names, rule_name

    if rows.empty:
        return
    titles = dict(zip(rows["id"].astype(int), rows["title"].astype(str), strict=True))
    chosen = st.selectbox(
        "Incident details: where each fact comes from",
        list(titles),
        index=None,
        format_func=lambda i: titles[i][:120],
        placeholder="Choose an incident of the table",
        key=key,
    )
    if chosen is None:
        return
    detail = cached(read.incident_detail, viewer, int(chosen))
    if detail is None:
        return
    # Type ids and country names come from the data: each is escaped, the wording around them is ours.
    types = ", ".join(
        f"{escape_markdown(TYPE_NAMES.get(t, t))}{' (primary)' if primary else ''}" for t, primary in detail["types"]
    )
    country = labels("countries.csv", key="iso3")
    targets = ", ".join(escape_markdown(country.get(c, c)) for c in detail["targets"]) or "none given"
    inferred = detail["targets_inferred_from"]
    found = f" ({COUNTRY_INFERRED}: found in the {escape_markdown(inferred)})" if inferred else ""
    st.markdown(
        f"**Types:** {types}  \n**Severity:** {severity_label(detail['severity'])}  \n"
        f"**Target countries:** {targets}{found}"
    )
    members = sources_section(viewer, int(chosen), key=f"{key}_sources")
    ids = tuple(int(i) for i in members["id"]) if len(members) else (int(chosen),)
    attribution_table(viewer, ids)
    response_table(viewer, ids)
    if not detail["norms"]:
        st.caption("No norm or CBM item linked.")
        return
    names = item_names()
    links = pd.DataFrame(
        [
            {"item": names.get(item, item), "basis": norm_link_label(inferred, basis, rule_name(basis))}
            for item, inferred, basis in detail["norms"]
        ]
    )
    columns_table(links, {"item": "Norm or CBM item", "basis": "Link"})


def attribution_table(viewer: Viewer, incident_id: int | tuple[int, ...]) -> None:
    """Who attributed the incident to whom, when and on what basis, in time order, each with its confidence."""
    events = cached(read.incident_attributions, viewer, incident_id)
    if events.empty:
        st.caption("No attribution recorded by the source.")
        return
    names, known = labels("countries.csv", key="iso3"), actors()

    def who(name: str, iso3: str) -> str:
        return " ".join(p for p in (name, f"({names.get(iso3, iso3)})" if iso3 else "") if p)

    def whom(iso3: str, actor_ids: list[str]) -> str:
        group = ", ".join(known[a].name if a in known else a for a in actor_ids)
        return " ".join(p for p in (names.get(iso3, iso3), f"({group})" if group else "") if p)

    frame = pd.DataFrame(
        {
            "date": events["date"],
            "by": [
                who(a, c) or ATTRIBUTION_KINDS["unknown"]
                for a, c in zip(events["attributor"], events["attributor_country"], strict=True)
            ],
            "kind": events["kind"].map(ATTRIBUTION_KINDS),
            "to": [
                whom(c, list(a)) for c, a in zip(events["attributed_country"], events["attributed_actors"], strict=True)
            ],
            "confidence": events["confidence"],
            "source": [s or (list(ss) or [""])[0] for s, ss in zip(events["source"], events["sources"], strict=True)],
        }
    )
    st.markdown(f"**Attributions** ({len(frame)})")
    columns_table(
        frame,
        {
            "date": st.column_config.DateColumn("Date"),
            "by": "Attributed by",
            "kind": "Kind",
            "to": "Attributed to",
            "confidence": st.column_config.TextColumn("Confidence", help=CONFIDENCE_RULE),
            "source": st.column_config.LinkColumn(
                "Source",
                help="The event's own link; where the source lists its links for the record as a whole (EuRepoC, "
                "unless there is one per event), the record's first.",
            ),
        },
        height=280,
    )


def response_table(viewer: Viewer, incident_id: int | tuple[int, ...]) -> None:
    """What states and organisations did next: statements, démarches, sanctions, indictments, expulsions."""
    events = cached(read.incident_responses, viewer, incident_id)
    if events.empty:
        st.caption("No political or legal response recorded by the source.")
        return
    names = labels("countries.csv", key="iso3")
    frame = pd.DataFrame(
        {
            "date": events["date"],
            "by": [
                names.get(c, c) or region or who or "Not named by the source"
                for c, region, who in zip(
                    events["responder_country"], events["responder_region"], events["responder"], strict=True
                )
            ],
            "kind": events["kind"].map(RESPONSE_KINDS),
            "target": [
                ", ".join(names.get(t, t) for t in str(targets).split("; ") if t) for targets in events["target"]
            ],
            "label": events["source_kind"],
            "link": events["link"],
        }
    )
    st.markdown(f"**Responses** ({len(frame)})")
    columns_table(
        frame,
        {
            "date": st.column_config.DateColumn("Date"),
            "by": "Responded",
            "kind": "Kind",
            "target": "Against",
            "label": "As the source puts it",
            "link": st.column_config.LinkColumn("Source"),
        },
        height=240,
    )


def monthly_counts(viewer: Viewer, flt: IncidentFilter, by: str, period: Period) -> pd.DataFrame:
    """Incidents per month and `by` value, every month present (from the first with data for ten-year periods)."""
    monthly = cached(read.incident_counts_by_month_and, viewer, flt, by).rename(columns={"key": by})
    start = period.start if period.days < 3650 else analytics.first_month(monthly, period.end)
    return analytics.complete_months(monthly, start, period.end, key=by)


def dyad_chart(dyads: pd.DataFrame, *, key: str, tlp: str | None, top: int = 15) -> None:
    """The top initiator-target pairs as a bar chart, with the table behind it."""
    from dashboard.present import charts

    dyads = dyads.rename(
        columns={
            "initiator": "initiator_iso3",
            "target": "target_iso3",
            "initiator_name": "initiator",
            "target_name": "target",
        }
    )
    chart(charts.build_dyad_bar(dyads, top=top), dyads, key=key, tlp=tlp, stem="dyads")

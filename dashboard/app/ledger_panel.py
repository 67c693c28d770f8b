"""Parts of the Norm-evidence ledger page: the state and item pickers (kept in the URL as ?country=ISO3&norm=ID),
the chart, the three sections as tables, and the PDF and CSV downloads (marked, audited, checked when pressed)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import read
from dashboard.app.chart_panel import chart
from dashboard.app.context import cached, fetch
from dashboard.app.download_audit import audited
from dashboard.app.download_guard import when_still_valid
from dashboard.app.widgets import columns_table, plain
from dashboard.core.access import Viewer
from dashboard.export import ledger as ledger_export
from dashboard.export import tables as exports
from dashboard.export.ledger import COLUMNS, NO_LINK, SECTIONS, LedgerLines, ledger_lines
from dashboard.read.ledger import item_titles, ledger_items, ledger_marking, norm_ledger

DEFAULT_STATE = "RUS"
DEFAULT_ITEM = "un-norms:f"
PAGE_LIMIT = 200  # incidents the page reads and shows, newest first; the PDF and CSV read every row when pressed


def pick_state(viewer: Viewer, tracks: frozenset[str]) -> tuple[str, str] | None:
    """Choose one state of the tracks by its name (?country=ISO3 in the URL); None when the tracks have none."""
    options = cached(read.track_countries, viewer, tracks)
    if options.empty:
        return None
    names = dict(zip(options["iso3"], options["name"]))
    wanted = str(st.query_params.get("country", "")).upper()
    if wanted and wanted not in names:
        st.warning(f"Country '{plain(wanted)}' is not in the tracks shown; pick one in the sidebar.")
    default = wanted if wanted in names else (DEFAULT_STATE if DEFAULT_STATE in names else next(iter(names)))
    with st.sidebar:
        iso3 = st.selectbox(
            "State", list(names), index=list(names).index(default), format_func=names.get, key="ledger_state"
        )
    if st.query_params.get("country") != iso3:
        st.query_params["country"] = iso3
    return iso3, names[iso3]


def _item_option(item_id: str) -> str:
    """'Do not conduct or support ICT activity that damages critical infrastructure (un-norms:f)'."""
    info = item_titles().get(item_id)
    return f"{info['title']} ({item_id})" if info else item_id


def pick_item(tracks: frozenset[str]) -> str:
    """Choose one norm or CBM item by its title, its id beside it (?norm=ID in the URL)."""
    items = ledger_items(tracks)
    wanted = str(st.query_params.get("norm", ""))
    if wanted and wanted not in items:
        st.warning(f"Norm '{plain(wanted)}' is not an item of the tracks shown; pick one in the sidebar.")
    default = wanted if wanted in items else (DEFAULT_ITEM if DEFAULT_ITEM in items else items[0])
    with st.sidebar:
        item = st.selectbox(
            "Norm or CBM", items, index=items.index(default), format_func=_item_option, key="ledger_item"
        )
    if st.query_params.get("norm") != item:
        st.query_params["norm"] = item
    return item


def monthly_by_role(lines: LedgerLines) -> pd.DataFrame:
    """Incidents per month by the state's role and how the link was made (the table behind the chart)."""
    incidents = lines.ledger.incidents
    if incidents.empty:
        return pd.DataFrame(columns=["month", "series", "incidents"])
    role = (
        incidents["role"]
        .map({"initiator": "as suspected initiator", "target": "as target"})
        .fillna("as initiator and target")
    )
    link = incidents["inferred"].map({False: "source asserts the link", True: "link inferred by rule"})
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(incidents["start_date"]).dt.strftime("%Y-%m"),
            "series": lines.state_name + " " + role + ", " + link,
        }
    )
    return frame.groupby(["month", "series"]).size().reset_index(name="incidents")


def ledger_chart(lines: LedgerLines) -> None:
    """Incidents linked to the item per month, stacked by the state's role and how the link was made."""
    from dashboard.present import charts

    monthly = monthly_by_role(lines)
    figure = charts.build_trend_figure(
        monthly,
        stack_col="series",
        rolling=0,
        title="Incidents linked to this item per month",
        height=340,
        legend_below=True,
    )
    chart(
        figure,
        monthly,
        key="ledger_trend",
        tlp=lines.ledger.marking if not lines.ledger.incidents.empty else None,
        stem=f"{ledger_export.file_stem(lines.ledger.iso3, lines.ledger.item_id)}_by_month",
    )


def _section_table(key: str, frame: pd.DataFrame) -> None:
    """One section: its display columns, the source as text (never blank) and a link to open it."""
    order = [*COLUMNS[key][:-1], "Open", "Source"]  # the link to open first: the source text may run wide
    shown = frame[COLUMNS[key]].assign(Open=frame["Source"].where(frame["Source"] != NO_LINK, None))[order]
    config: dict[str, object] = {c: c for c in order}
    if "Incident" in config:
        config["Incident"] = st.column_config.TextColumn("Incident", width="large")
    for narrow in ("Attributed by", "Attributed to", "Rule", "Other side"):
        if narrow in config:
            config[narrow] = st.column_config.TextColumn(narrow, width="medium")
    config["Source"] = st.column_config.TextColumn("Source", width="medium", help="The link the record gives")
    config["Open"] = st.column_config.LinkColumn("Open", display_text="open", width="small")
    columns_table(shown, config, height=320)


def sections(lines: LedgerLines) -> None:
    """The three sections: assessments, incidents (asserted; inferred by rule apart), attributions and responses."""
    counts = lines.counts()
    st.subheader(f"1. {SECTIONS['assessments']}")
    if counts["assessments"]:
        _section_table("assessments", lines.sections["assessments"])
    else:
        st.write(f"No assessment of {plain(lines.state_name)} on this item that you may see.")

    st.subheader(f"2. {SECTIONS['asserted']}")
    if counts["asserted"]:
        _section_table("asserted", lines.sections["asserted"])
    else:
        st.write(f"No source links an incident involving {plain(lines.state_name)} to this item.")
    if counts["inferred"]:
        st.markdown(f"**{SECTIONS['inferred']}**")
        st.caption(
            "Not evidence a source gives: a named import rule linked these incidents to the item (the rule is on "
            "each line). Figures elsewhere in the dashboard do not count them."
        )
        _section_table("inferred", lines.sections["inferred"])

    st.subheader("3. Attributions and responses")
    st.markdown(f"**{SECTIONS['attributions']}**")
    if counts["attributions"]:
        _section_table("attributions", lines.sections["attributions"])
    else:
        st.write("No attribution recorded for these incidents.")
    st.markdown(f"**{SECTIONS['responses']}**")
    if counts["responses"]:
        _section_table("responses", lines.sections["responses"])
    else:
        st.write("No political or legal response recorded for these incidents.")


def downloads(viewer: Viewer, lines: LedgerLines, tracks_label: str, tracks: frozenset[str]) -> None:
    """The one-page PDF and the CSV of every line, marked with the strictest marking of any line in the file name;
    made when pressed (from every row, when the page shows the newest only), each press audited, and checked when
    pressed against the session that was shown the button."""
    ledger = lines.ledger
    iso3, item = ledger.iso3, ledger.item_id
    tlp = cached(ledger_marking, viewer, iso3, item, tracks) if ledger.limited else lines.marking

    def every_line() -> LedgerLines:
        return ledger_lines(fetch(norm_ledger, viewer, iso3, item, tracks)) if ledger.limited else lines

    stem = ledger_export.file_stem(iso3, item)
    total = None if ledger.limited else sum(lines.counts().values())
    detail = {"state": iso3, "item": item}
    pdf_name, csv_name = exports.file_name(stem, tlp, "pdf"), exports.file_name(stem, tlp, "csv")
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(
        "Ledger (PDF, one page)",
        when_still_valid(
            lambda: (
                ledger_export.render_ledger_pdf(
                    every_line(), organisation=viewer.organisation, tracks=tracks_label
                ).data
            )
        ),
        file_name=pdf_name,
        mime="application/pdf",
        key="ledger_pdf",
        width="stretch",
        **audited(pdf_name, tlp, format="pdf", **detail),
    )
    right.download_button(
        "Every line (CSV)",
        when_still_valid(lambda: ledger_export.ledger_csv(every_line())),
        file_name=csv_name,
        mime="text/csv",
        key="ledger_csv",
        width="stretch",
        **audited(csv_name, tlp, rows=total, format="csv", **detail),
    )

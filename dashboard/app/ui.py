"""The few shared Streamlit pieces: cached settings and engine, cached scoped queries, banners, KPI rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard import read
from dashboard.analysis import briefing, watchlist
from dashboard.core.access import Viewer
from dashboard.core.filters import PERIOD_LABELS, PERIODS, TRACK_BOTH, ViewFilter, parse_query_params
from dashboard.core.settings import Settings, SettingsError, load_settings
from dashboard.core.tlp import TLP_LABELS, strictest_in, strictest_marking
from dashboard.core.vocabulary import load
from dashboard.export import tables as exports
from dashboard.ops import bootstrap
from dashboard.present.labels import (
    FRAMEWORK_NAMES,
    KIND_NAMES,
    KIND_PLURALS,
    PARTY_TYPE_NAMES,
    SECTOR_NAMES,
    SEVERITY_NAMES,
    SIGNAL_KINDS,
    STATUS_NAMES,
    TRACK_NAMES,
    TYPE_NAMES,
)
from dashboard.present.labels import (
    track_label as track_name,
)
from dashboard.present.palette import TLP_COLOURS
from dashboard.store.db import get_engine


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Settings of this process (read once)."""
    return load_settings()


@st.cache_resource(show_spinner="Preparing the database…")
def engine() -> Engine:
    """The shared engine; on first use the schema is created or upgraded and, in demo mode, demo data seeded.

    Demo accounts exist only while demo mode is on: turning it off removes them at the next start.
    """
    cfg = settings()
    eng = get_engine(cfg.resolved_database_url)
    bootstrap.initialise(
        eng, seed_demo=cfg.demo_mode, seed=cfg.demo_seed, incidents=cfg.demo_incidents, demo_accounts=cfg.demo_mode
    )
    return eng


def _cache_ttl() -> int:
    try:
        return load_settings().cache_ttl_seconds
    except SettingsError:
        return 600


# `stamp` is unused in the body on purpose: it is part of the cache key, so a new dataset version is a cache miss.
@st.cache_data(ttl=_cache_ttl(), max_entries=512, show_spinner=False)
def _cached_query(name: str, stamp: str, viewer: Viewer, args: tuple[Any, ...]) -> Any:
    module, _, function = name.rpartition(".")
    return getattr(_SOURCES[module or "queries"], function)(engine(), viewer, *args)


_SOURCES = {"queries": read, "briefing": briefing, "watchlist": watchlist}


def query(name: str, viewer: Viewer, *args: Any) -> Any:
    """Run a scoped read (`read.x` or `briefing.x`, taking engine and viewer first) for the viewer.

    Results are cached per viewer and arguments until the active dataset versions change.
    """
    stamp = read.data_stamp(engine())
    return _cached_query(name, stamp, viewer, args)


def fetch(name: str, viewer: Viewer, *args: Any) -> Any:
    """Run a scoped read without caching its result: for downloads, which may hold every matching row."""
    module, _, function = name.rpartition(".")
    return getattr(_SOURCES[module or "queries"], function)(engine(), viewer, *args)


def synthetic_notice(viewer: Viewer) -> None:
    """Say plainly when the figures come from synthetic demo data."""
    if query("shows_synthetic_data", viewer):
        st.info(
            "**Synthetic demo data.** The figures on this page come from generated records, not real events. "
            "Upload real datasets or start with `DASHBOARD_DEMO_MODE=false` for a deployment.",
        )


def tlp_banner(tlp: str | None) -> None:
    """Show the strictest TLP marking among the rows on the page."""
    if tlp is None:
        return
    colour = TLP_COLOURS[tlp]
    st.markdown(
        f"<div style='background:#000;padding:4px 10px;border-radius:4px;display:inline-block'>"
        f"<span style='color:{colour};font-weight:700;font-family:monospace'>{TLP_LABELS[tlp]}</span>"
        f"<span style='color:#fff;font-size:0.85em'> &nbsp;strictest marking of the data on this page</span></div>",
        unsafe_allow_html=True,
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Text from data or uploads, escaped so Markdown shows it literally (no links, images or formatting)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def kpi_row(items: list[tuple[str, Any, str | None]]) -> None:
    """A row of metrics: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(items)), items):
        column.metric(label, value, help=help_text)


def show_once(message: str, secret: str) -> None:
    """A success message and a secret (a link, a password) to copy now: it is never stored or shown again."""
    st.success(message)
    st.code(secret, language=None)


def table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """A read-only table without the index; a short table is not padded to the requested height."""
    if "height" in kwargs:
        kwargs["height"] = min(kwargs["height"], 38 + 35 * max(len(frame), 1))
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)


def as_of(viewer: Viewer) -> dt.date:
    """The date views end on: today, or the newest visible incident if the data stops earlier."""
    latest = query("latest_incident_date", viewer)
    today = dt.date.today()
    return min(today, latest) if latest else today


def filter_bar(viewer: Viewer, *, fields: Sequence[str] = ("track", "period")) -> ViewFilter:
    """Sidebar filters read from and written back to the URL query string, so a link reproduces the view."""
    current = parse_query_params(st.query_params.to_dict(), viewer)
    for warning in current.warnings:
        st.warning(f"Link filter ignored: {warning}.")
    values: dict[str, Any] = {}
    with st.sidebar:
        st.subheader("Filters")
        tracks = [TRACK_BOTH, *sorted(viewer.tracks)] if len(viewer.tracks) > 1 else sorted(viewer.tracks)
        values["track"] = st.selectbox(
            "Track",
            tracks,
            index=tracks.index(current.track) if current.track in tracks else 0,
            key="f_track",
            format_func=track_name,
        )
        if "period" in fields:
            periods = list(PERIODS)
            values["period"] = st.selectbox(
                "Period",
                periods,
                index=periods.index(current.period),
                key="f_period",
                format_func=PERIOD_LABELS.get,
            )
            if values["period"] == "custom":
                default = (current.start or dt.date.today() - dt.timedelta(days=364), current.end or dt.date.today())
                picked = st.date_input("From - to", value=default, key="f_range")
                if isinstance(picked, tuple | list) and len(picked) == 2:
                    values["start"], values["end"] = picked
                else:
                    values["period"] = current.period if current.period != "custom" else "12m"
        if "countries" in fields:
            options = query("track_countries", viewer, ViewFilter(track=values["track"]).tracks(viewer))
            names = dict(zip(options["iso3"], options["name"]))
            chosen = [c for c in current.countries if c in names]
            values["countries"] = tuple(
                st.multiselect("Countries", list(names), default=chosen, key="f_countries", format_func=names.get)
            )
        if "sectors" in fields:
            values["sectors"] = tuple(
                st.multiselect(
                    "Sectors",
                    list(SECTOR_NAMES),
                    default=list(current.sectors),
                    key="f_sectors",
                    format_func=SECTOR_NAMES.get,
                )
            )
        if "types" in fields:
            values["types"] = tuple(
                st.multiselect(
                    "Incident types",
                    list(TYPE_NAMES),
                    default=list(current.types),
                    key="f_types",
                    format_func=TYPE_NAMES.get,
                )
            )
        if "severity" in fields:
            values["min_severity"] = st.select_slider(
                "Minimum severity",
                options=list(range(6)),
                value=current.min_severity,
                key="f_severity",
                format_func=lambda v: f"{v} {SEVERITY_NAMES[v]}",
            )
    # Only the filters this page offers apply: a link's other parameters must not narrow the figures unseen.
    chosen_filter = ViewFilter(**values)
    params = chosen_filter.to_query_params()
    kept = {k: v for k, v in st.query_params.to_dict().items() if k not in FILTER_PARAMS}
    if {**kept, **params} != st.query_params.to_dict():
        st.query_params.from_dict({**kept, **params})
    return chosen_filter


FILTER_PARAMS = {"track", "period", "from", "to", "countries", "sectors", "types", "severity"}


def downloads(fetch: Callable[[], pd.DataFrame], *, stem: str, tlp: str | None, title: str, key: str) -> None:
    """CSV and XLSX download buttons; the rows are fetched only when a button is pressed."""
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "Download CSV",
        lambda: exports.to_csv_bytes(fetch()),
        file_name=exports.file_name(stem, tlp, "csv"),
        mime="text/csv",
        key=f"{key}_csv",
        width="stretch",
    )
    right.download_button(
        "Download XLSX",
        lambda: exports.to_xlsx_bytes(fetch(), sheet=stem, tlp=tlp, title=title),
        file_name=exports.file_name(stem, tlp, "xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        width="stretch",
    )


def chart(
    figure: Any,
    data: pd.DataFrame,
    *,
    key: str,
    caption: str | None = None,
    tlp: str | None = None,
    stem: str | None = None,
) -> None:
    """A figure with its accessible alternative: the table behind it, and a CSV download of that table."""
    from dashboard.present.maps import PLOTLY_CONFIG

    st.plotly_chart(figure, config=PLOTLY_CONFIG, key=key, width="stretch", theme=None)
    with st.expander(caption or "Table behind this chart"):
        table(data)
        st.download_button(
            "Download this table (CSV)",
            lambda: exports.to_csv_bytes(data),  # written when pressed, not on every run of the page
            file_name=exports.file_name(stem or key, tlp, "csv"),
            mime="text/csv",
            key=f"{key}_table_csv",
        )


def track_label(view: ViewFilter) -> str:
    """'Indo-Pacific', 'Eastern Europe' or 'Both tracks'."""
    return track_name(view.track)


def headline_row(headlines: Sequence[Any]) -> None:
    """Metrics with their change against the previous period (more incidents shown as bad)."""
    bad_when_up = {"Incidents", "Significant incidents", "Countries affected"}
    for column, h in zip(st.columns(len(headlines)), headlines):
        delta = h.delta
        column.metric(
            h.label,
            f"{h.current:,}",
            delta=delta.label() if delta else None,
            delta_color=("inverse" if h.label in bad_when_up else "normal") if delta and delta.change else "off",
            help=h.help,
        )


def norm_summary(brief: Any) -> None:
    """A short norm-adherence summary: strongest and weakest states, and downgrades since the previous round."""
    shares = brief.norm_shares
    if shares.empty:
        st.write("No norm or CBM assessments in these tracks yet.")
        return
    top = ", ".join(f"{r.country} ({r.share:.0%})" for r in shares.head(3).itertuples())
    bottom = ", ".join(f"{r.country} ({r.share:.0%})" for r in shares.tail(3).iloc[::-1].itertuples())
    st.markdown(
        f"Median share of norm and CBM items implemented in the latest round: **{shares['share'].median():.0%}** "
        f"across {len(shares)} states.  \nMost advanced: {top}.  \nLeast advanced: {bottom}."
    )
    downgrades = brief.norm_downgrades
    if downgrades.empty:
        st.write("No state moved back on any item since the previous round.")
    else:
        st.markdown(f"**{len(downgrades)} items moved back** since the previous round:")
        statuses = STATUS_NAMES
        shown = downgrades.assign(
            before=downgrades["before"].map(statuses),
            after=downgrades["after"].map(statuses),
            framework_id=downgrades["framework_id"].map(FRAMEWORK_NAMES),
        )
        table(
            shown[["country", "code", "framework_id", "before", "after"]],
            column_config={
                "code": "Item",
                "framework_id": "Framework",
                "before": "Before",
                "after": "Now",
                "country": "Country",
            },
            height=180,
        )


def partnership_summary(brief: Any) -> None:
    """A short partnership summary: active ones by kind, and hotlines not tested in over 12 months."""
    kinds = brief.partnership_kinds
    if kinds.empty:
        st.write("No active partnerships in these tracks.")
    else:
        names = KIND_PLURALS
        st.markdown(
            "Active now: "
            + ", ".join(
                f"**{r.partnerships}** {names[r.kind] if r.partnerships != 1 else KIND_NAMES[r.kind].lower()}"
                for r in kinds.itertuples()
            )
            + "."
        )
    stale = brief.stale_hotlines
    if stale.empty:
        st.write("Every hotline was tested in the last 12 months.")
        return
    st.markdown(f"**{len(stale)} hotlines** not tested in the last 12 months or never tested:")
    shown = stale.assign(last=stale["last_tested"].map(lambda d: "never" if d is None or pd.isna(d) else str(d)))
    table(
        shown[["name", "status", "last"]],
        column_config={"name": "Hotline", "status": "Status", "last": "Last tested"},
        height=180,
    )


def incident_table(rows: pd.DataFrame) -> None:
    """Incident details with readable names and a clickable first source link (text is never rendered as HTML)."""
    shown = rows.assign(
        type=rows["type"].map(TYPE_NAMES),
        source=rows["source_urls"].str.split("; ").str[0].replace("", None),
        tlp=rows["tlp"].map(TLP_LABELS),
    )
    table(
        shown[
            [
                "start_date",
                "title",
                "type",
                "severity",
                "targets",
                "initiators",
                "sectors",
                "initiator_name",
                "confidence",
                "tlp",
                "source",
                "track",
            ]
        ],
        column_config={
            "start_date": st.column_config.DateColumn("Start"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "type": "Type",
            "severity": st.column_config.NumberColumn("Severity", format="%d"),
            "targets": "Targets",
            "initiators": "Suspected initiator states",
            "sectors": "Sectors",
            "initiator_name": "Suspected actor",
            "confidence": "Confidence",
            "tlp": "Marking",
            "source": st.column_config.LinkColumn("Source"),
            "track": "Track",
        },
        height=420,
    )


def strictest(frame: pd.DataFrame) -> str | None:
    """The strictest TLP marking in a frame's `tlp` column."""
    return strictest_in(frame)


def framework_items() -> pd.DataFrame:
    """The norm and CBM items of every framework (reference data)."""
    return pd.DataFrame(load("framework_items.csv"))


def framework_tabs(tracks: frozenset[str]) -> list[tuple[str, str]]:
    """(framework id, heading) for the frameworks that apply to the tracks shown, UN norms first."""
    out = []
    for fw in load("frameworks.csv"):
        if set(fw["tracks"].split(";")) & set(tracks):
            heading = {
                "un-norms": "UN norms a-k",
                "osce-cbms": "CBM tracker: OSCE cyber CBMs 1-16",
                "arf-measures": "CBM tracker: ASEAN Regional Forum measures",
            }.get(fw["id"], fw["name"])
            out.append((fw["id"], heading))
    return out


def trajectory_chart(trajectory: pd.DataFrame, *, key: str, default_count: int = 6) -> None:
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
    chart(charts.build_trajectory(part, title="Share implemented, by round"), part, key=key, stem="norm_trajectory")


def norm_changes_table(changes: pd.DataFrame) -> None:
    """Status changes between two rounds, with the evidence link."""
    if changes.empty:
        st.write("No status changed.")
        return
    statuses = STATUS_NAMES
    shown = changes.assign(
        framework_id=changes["framework_id"].map(FRAMEWORK_NAMES),
        before=changes["before"].map(statuses),
        after=changes["after"].map(statuses),
        direction=changes["direction"].map({"up": "▲ forward", "down": "▼ back", "other": "changed"}),
    )
    table(
        shown[["country", "code", "framework_id", "before", "after", "direction", "evidence_url"]],
        column_config={
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
    statuses = STATUS_NAMES
    shown = status.assign(
        status=status["status"].map(statuses),
        tlp=status["tlp"].map(TLP_LABELS),
        framework_id=status["framework_id"].map(FRAMEWORK_NAMES),
    )
    table(
        shown[["country", "framework_id", "code", "status", "assessed_on", "round_label", "evidence_url", "tlp"]],
        column_config={
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


def partnership_breakdowns(rows: pd.DataFrame) -> list[tuple[pd.DataFrame, str, str, dict[str, str] | None]]:
    """Counts by kind, by focus and by partner type (a partnership counts once per type): frame, column, title."""

    def count(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        frame = frame[frame[column].notna() & (frame[column] != "")]
        return frame.groupby(column, as_index=False).size().rename(columns={"size": "partnerships"})

    parties = rows.assign(party_type=rows["party_types"].str.split("; ")).explode("party_type")
    return [
        (count(rows, "kind"), "kind", "By kind", KIND_NAMES),
        (count(rows, "focus"), "focus", "By focus", None),
        (count(parties, "party_type"), "party_type", "By partner type", PARTY_TYPE_NAMES),
    ]


def partnership_table(rows: pd.DataFrame) -> None:
    """Partnerships with readable kinds and links."""
    shown = rows.assign(kind=rows["kind"].map(KIND_NAMES), tlp=rows["tlp"].map(TLP_LABELS))
    table(
        shown[
            [
                "name",
                "kind",
                "status",
                "countries",
                "parties",
                "focus",
                "start_date",
                "end_date",
                "last_tested",
                "funding_usd",
                "tlp",
                "url",
            ]
        ],
        column_config={
            "name": st.column_config.TextColumn("Name", width="large"),
            "kind": "Kind",
            "status": "Status",
            "countries": "Countries",
            "parties": "Parties",
            "focus": "Focus",
            "start_date": st.column_config.DateColumn("Start"),
            "end_date": st.column_config.DateColumn("End"),
            "last_tested": st.column_config.DateColumn("Last tested"),
            "funding_usd": st.column_config.NumberColumn("Funding (USD)", format="%,.0f"),
            "tlp": "Marking",
            "url": st.column_config.LinkColumn("Link"),
        },
        height=400,
    )


def strictest_of(*markings: str | None) -> str | None:
    """The strictest of several TLP markings (None ignored)."""
    return strictest_marking(*markings)


def country_picker(viewer: Viewer, tracks: frozenset[str]) -> tuple[str, str, str] | None:
    """Choose one country of the tracks; kept in the URL as ?country=ISO3. Returns (iso3, name, tracks)."""
    options = query("queries.track_countries", viewer, tracks)
    if options.empty:
        return None
    names = dict(zip(options["iso3"], options["name"]))
    wanted = str(st.query_params.get("country", "")).upper()
    if wanted and wanted not in names:
        st.warning(f"Country '{wanted}' is not in the tracks shown; pick one in the sidebar.")
    default = wanted if wanted in names else ("UKR" if "UKR" in names else next(iter(names)))
    with st.sidebar:
        iso3 = st.selectbox(
            "Country", list(names), index=list(names).index(default), format_func=names.get, key="f_country"
        )
    if st.query_params.get("country") != iso3:
        st.query_params["country"] = iso3
    member_of = options.set_index("iso3").loc[iso3, "tracks"]
    return iso3, names[iso3], ", ".join(TRACK_NAMES[t] for t in str(member_of).split("; ") if t in TRACK_NAMES)


# ---------------------------------------------------------------- upload page

TLP_CHOICES = ["clear", "green", "amber", "amber+strict", "red"]


def template_downloads(layer: str) -> None:
    """Download our template for the layer, with its documented columns."""
    from dashboard import DATA_DIR
    from dashboard.ingest.templates import TEMPLATES

    with st.expander(f"Our {layer} template: columns and a file to start from"):
        st.download_button(
            f"Download {layer}.csv template",
            (DATA_DIR / "templates" / f"{layer}.csv").read_bytes(),
            file_name=f"{layer}_template.csv",
            mime="text/csv",
            key=f"template_{layer}",
        )
        table(
            pd.DataFrame(
                [
                    {
                        "column": c.name,
                        "required": "yes" if c.required else "",
                        "list": "yes ('; ')" if c.is_list else "",
                        "meaning": c.help,
                    }
                    for c in TEMPLATES[layer]
                ]
            )
        )


def mapping_controls(layer: str, *, key: str) -> tuple[str, str | None, dict[str, list[str]] | None]:
    """Preset, XLSX sheet and a column mapping (typed, or loaded from a saved JSON file)."""
    from dashboard.ingest import pipeline

    with st.expander("Format, sheet and column mapping"):
        preset = st.selectbox(
            "Format",
            ["auto", "template", "eurepoc", "cfr"],
            key=f"{key}_preset",
            format_func={
                "auto": "Recognise from the headers",
                "template": "Our template",
                "eurepoc": "EuRepoC export",
                "cfr": "CFR Cyber Operations Tracker",
            }.get,
        )
        sheet = st.text_input("XLSX sheet (empty: the first)", key=f"{key}_sheet").strip() or None
        saved = st.file_uploader("Load a saved mapping (JSON)", type=["json"], key=f"{key}_mapping_file")
        text = st.text_area(
            "Mapping: our field -> your column, as JSON",
            key=f"{key}_mapping",
            placeholder='{"title": "Headline", "start_date": "Date", "target_countries": "Victim"}',
        )
        mapping = None
        try:
            if saved is not None:
                mapping = pipeline.read_mapping_file(saved.getvalue().decode("utf-8", errors="replace"))
            elif text.strip():
                mapping = pipeline.read_mapping_file(text)
        except pipeline.UploadRefused as exc:
            st.error(str(exc))
        if mapping:
            st.download_button(
                "Save this mapping (JSON)",
                json.dumps(mapping, indent=1),
                file_name=f"{layer}_mapping.json",
                mime="application/json",
                key=f"{key}_mapping_save",
            )
    return preset, sheet, mapping


def prepare_upload(viewer: Viewer, **kwargs: Any) -> Any:
    """Check an upload once per file, options and data version (kept in the session, not shared)."""
    from dashboard.ingest import pipeline

    data = kwargs.pop("data")
    name = kwargs.pop("name")
    mapping = kwargs.get("mapping")
    cache_key = (
        "upload",
        hashlib.sha256(data).hexdigest(),
        name,
        json.dumps(mapping, sort_keys=True),
        *(str(kwargs[k]) for k in ("layer", "track", "preset", "sheet", "default_tlp")),
        read.data_stamp(engine()),
    )
    cached = st.session_state.get("_upload_prepared")
    if cached and cached[0] == cache_key:
        return cached[1]
    prepared = pipeline.prepare(
        engine(), viewer, file_name=name, data=data, max_bytes=settings().max_upload_mb * 1024 * 1024, **kwargs
    )
    st.session_state["_upload_prepared"] = (cache_key, prepared)
    return prepared


def upload_report(prepared: Any) -> None:
    """What the check found: format, notes, counts, row-level issues (downloadable) and the change preview."""

    counts = prepared.counts
    st.markdown(f"**{plain(prepared.file_name)}** · {prepared.table.file_format} · {prepared.format_label}")
    for note in prepared.table.notes:
        st.caption(note)
    kpi_row(
        [
            ("Rows", f"{counts['total']:,}", None),
            ("With errors", f"{counts['errors']:,}", "Cannot be stored"),
            ("With warnings", f"{counts['warnings']:,}", "Stored, with the warning in the report"),
            ("New", f"{counts['new']:,}", None),
            ("Changed", f"{counts['changed']:,}", None),
            ("Unchanged", f"{counts['unchanged']:,}", "Already stored; not stored again in append mode"),
        ]
    )
    report = prepared.report_frame()
    if report.empty:
        st.success("Every row passed the checks.")
    else:
        st.subheader("Validation report")
        table(
            report,
            height=320,
            column_config={
                "row": st.column_config.NumberColumn("Row", format="%d"),
                "column": "Column",
                "value": "Value",
                "level": "Level",
                "message": st.column_config.TextColumn("Message", width="large"),
            },
        )
        st.download_button(
            "Download the report (CSV)",
            exports.report_csv(prepared),
            file_name=f"{prepared.file_name}_report.csv",
            mime="text/csv",
            key="up_report",
        )
    with st.expander("Preview of the change against the current data"):
        preview = prepared.preview()
        table(preview.astype(str).head(1000), height=360)


def versions_panel(viewer: Viewer, layer: str, track: str) -> None:
    """Versions of this layer and track, newest first, with rollback."""
    from dashboard.ingest import versions

    st.subheader(f"Versions of {layer} for {TRACK_NAMES[track]}")
    flash = st.session_state.pop("_rollback_flash", None)
    if flash:
        st.success(plain(flash))
    frame = versions.list_versions(engine(), viewer, layer, track)
    if frame.empty:
        st.write("No versions yet.")
        return
    table(
        frame[
            [
                "number",
                "status",
                "mode",
                "file_name",
                "uploaded_by",
                "uploaded_at",
                "rows_stored",
                "rows_new",
                "rows_changed",
                "rows_skipped",
                "id",
            ]
        ],
        height=260,
        column_config={
            "number": "Version",
            "status": "Status",
            "mode": "Mode",
            "file_name": "File",
            "uploaded_by": "By",
            "uploaded_at": "When",
            "rows_stored": "Stored",
            "rows_new": "New",
            "rows_changed": "Changed",
            "rows_skipped": "Skipped",
            "id": "Id",
        },
    )
    labels_by_id = {int(r.id): f"Version {r.number} ({r.file_name}, {r.status})" for r in frame.itertuples()}
    left, right = st.columns([3, 1])
    target = left.selectbox("Roll back to", list(labels_by_id), format_func=labels_by_id.get, key="rb_target")
    if right.button("Roll back", key="rb_go"):
        try:
            active = versions.rollback(engine(), int(target), viewer)
        except versions.VersionError as exc:
            st.error(str(exc))
        else:
            st.session_state["_rollback_flash"] = (
                f"Rolled back: {labels_by_id[int(target)].split(' (')[0]} is current again "
                f"(active versions {', '.join(map(str, active))}). Every page now shows it."
            )
            st.rerun()


def watchlist_signals(viewer: Viewer, tracks: frozenset[str], as_of: dt.date) -> list[Any]:
    """The viewer's watchlist (cached with the data)."""
    return query("watchlist.build_watchlist", viewer, tracks, as_of, settings().watchlist_thresholds())


def signal_list(signals: Sequence[Any], *, limit: int | None = None) -> None:
    """Signals, strongest first: what, why (with the figures) and a link to the view behind it."""
    if not signals:
        st.info("No signals: nothing in these tracks stands out against its own history.")
        return
    for s in signals[:limit]:
        with st.container(border=True):
            st.markdown(f"**{SIGNAL_KINDS.get(s.kind, s.kind)}: {plain(s.subject)}**")
            st.text(s.explanation)  # plain text: subjects come from data
            if s.link:
                link(s.link, "Open the view behind this signal")


def link(target: str, label: str) -> None:
    """A link to another page of the app that keeps the session (a plain link would reload and sign out)."""
    from urllib.parse import parse_qsl, urlsplit

    from dashboard.core.pages import PAGES

    parts = urlsplit(target)
    spec = next((p for p in PAGES if p.url_path == parts.path.strip("/")), None)
    if spec is None:
        return
    st.page_link(str(spec.path), label=label, query_params=dict(parse_qsl(parts.query)) or None)


def briefing_downloads(viewer: Viewer, view: ViewFilter, as_of: dt.date, period_days: int, tlp: str | None) -> None:
    """PDF and HTML downloads of the briefing (rendered when pressed; charts drawn offline)."""
    from dashboard.core.access import Permission
    from dashboard.export.briefing import export_briefing

    if not viewer.can(Permission.EXPORT_BRIEFING):
        return
    track = None if view.track == TRACK_BOTH else view.track
    stem = f"briefing_{view.track}_{as_of.isoformat()}"
    left, right, _ = st.columns([1, 1, 4])
    for column, fmt, mime in ((left, "pdf", "application/pdf"), (right, "html", "text/html")):
        column.download_button(
            f"Briefing ({fmt.upper()})",
            lambda fmt=fmt: (
                export_briefing(engine(), viewer, fmt=fmt, track=track, as_of=as_of, period_days=period_days).data
            ),
            file_name=exports.file_name(stem, tlp, fmt),
            mime=mime,
            key=f"briefing_{fmt}",
            width="stretch",
        )


def signal_filter(signals: Sequence[Any]) -> list[Any]:
    """Counts per kind of signal, and a choice of which kinds to show."""
    counts = pd.Series([s.kind for s in signals]).value_counts() if signals else pd.Series(dtype=int)
    kpi_row([(label, f"{int(counts.get(kind, 0)):,}", None) for kind, label in SIGNAL_KINDS.items()])
    kinds = st.multiselect(
        "Show", list(SIGNAL_KINDS), default=list(SIGNAL_KINDS), format_func=SIGNAL_KINDS.get, key="wl_kinds"
    )
    return [s for s in signals if s.kind in kinds]


def signal_download(signals: Sequence[Any], tlp: str | None) -> None:
    """The shown signals with their figures, as CSV and XLSX."""
    if not signals:
        return
    frame = pd.DataFrame(
        [
            {
                "kind": SIGNAL_KINDS[s.kind],
                "subject": s.subject,
                "strength": round(s.strength, 1),
                "explanation": s.explanation,
                **{f"figure_{k}": v for k, v in s.figures.items()},
            }
            for s in signals
        ]
    )
    downloads(lambda: frame, stem="watchlist", tlp=tlp, title="Watchlist", key="wl_rows")

"""The sidebar filters of a page, read from and written back to the URL query string, and the country picker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import streamlit as st

from dashboard import read
from dashboard.app.context import cached
from dashboard.app.filter_memory import FILTER_PARAMS, remember, starting_filter
from dashboard.core.access import Viewer
from dashboard.core.filters import PERIOD_LABELS, PERIODS, TRACK_BOTH, ViewFilter
from dashboard.present.labels import (
    SECTOR_NAMES,
    SEVERITY_NAMES,
    SEVERITY_UNKNOWN,
    TRACK_NAMES,
    TYPE_NAMES,
    track_label,
)
from dashboard.present.markdown import escape_markdown


def _choose_many(
    label: str, names: Mapping[str, str], default: Iterable[str], key: str, help: str | None = None
) -> tuple[str, ...]:
    """A multiselect over the keys of `names`, shown by their names."""
    return tuple(st.multiselect(label, list(names), default=list(default), key=key, format_func=names.get, help=help))


def _period_values(current: ViewFilter) -> dict[str, Any]:
    """The period choice, with its date range when the period is custom."""
    periods = list(PERIODS)
    values: dict[str, Any] = {
        "period": st.selectbox(
            "Period",
            periods,
            index=periods.index(current.period),
            key="f_period",
            format_func=PERIOD_LABELS.get,
        )
    }
    if values["period"] == "custom":
        default = (current.start or dt.date.today() - dt.timedelta(days=364), current.end or dt.date.today())
        picked = st.date_input("From - to", value=default, key="f_range")
        if isinstance(picked, tuple | list) and len(picked) == 2:
            values["start"], values["end"] = picked
        else:
            values["period"] = current.period if current.period != "custom" else "12m"
    return values


def _sidebar_values(viewer: Viewer, current: ViewFilter, fields: Sequence[str]) -> dict[str, Any]:
    """The filter values chosen in the sidebar, for the fields this page offers."""
    values: dict[str, Any] = {}
    st.subheader("Filters")
    tracks = [TRACK_BOTH, *sorted(viewer.tracks)] if len(viewer.tracks) > 1 else sorted(viewer.tracks)
    values["track"] = st.selectbox(
        "Track",
        tracks,
        index=tracks.index(current.track) if current.track in tracks else 0,
        key="f_track",
        format_func=track_label,
    )
    if "period" in fields:
        values.update(_period_values(current))
    if "countries" in fields:
        options = cached(read.track_countries, viewer, ViewFilter(track=values["track"]).tracks(viewer))
        names = dict(zip(options["iso3"], options["name"]))
        chosen = [c for c in current.countries if c in names]
        values["countries"] = _choose_many("Countries", names, chosen, "f_countries")
    if "sectors" in fields:
        values["sectors"] = _choose_many("Sectors", SECTOR_NAMES, current.sectors, "f_sectors")
    if "types" in fields:
        values["types"] = _choose_many(
            "Incident types", TYPE_NAMES, current.types, "f_types", help="An incident matches if any of its types does."
        )
    if "severity" in fields:
        values["min_severity"] = st.select_slider(
            "Minimum severity",
            options=list(range(6)),
            value=current.min_severity,
            key="f_severity",
            format_func=lambda v: f"{v} {SEVERITY_NAMES[v]}",
            help=f"Incidents the source gives no severity ({SEVERITY_UNKNOWN}) are shown only when this is 0.",
        )
    return values


def filter_bar(viewer: Viewer, *, fields: Sequence[str] = ("track", "period")) -> ViewFilter:
    """Sidebar filters read from and written back to the URL query string, so a link reproduces the view."""
    current = starting_filter(viewer, st.query_params.to_dict())  # the link's filters, else the remembered ones
    if len(current.warnings) == 1:  # the URL is anyone's to write
        st.warning(f"Link filter ignored: {escape_markdown(current.warnings[0])}.")
    elif current.warnings:  # one message for the whole link, a line for each problem
        problems = "".join(f"\n- {escape_markdown(warning)}" for warning in current.warnings)
        st.warning(f"Link filters ignored ({len(current.warnings)}):{problems}")
    with st.sidebar:
        values = _sidebar_values(viewer, current, fields)
    # Only the filters this page offers apply: a link's other parameters must not narrow the figures unseen.
    chosen_filter = ViewFilter(**values)
    remember(viewer, chosen_filter, fields)
    params = chosen_filter.to_query_params()
    kept = {k: v for k, v in st.query_params.to_dict().items() if k not in FILTER_PARAMS}
    if {**kept, **params} != st.query_params.to_dict():
        st.query_params.from_dict({**kept, **params})
    return chosen_filter


def country_picker(viewer: Viewer, tracks: frozenset[str]) -> tuple[str, str, str] | None:
    """Choose one country of the tracks; kept in the URL as ?country=ISO3. Returns (iso3, name, tracks)."""
    options = cached(read.track_countries, viewer, tracks)
    if options.empty:
        return None
    names = dict(zip(options["iso3"], options["name"]))
    wanted = str(st.query_params.get("country", "")).upper()
    if wanted and wanted not in names:
        st.warning(f"Country '{escape_markdown(wanted)}' is not in the tracks shown; pick one in the sidebar.")
    default = wanted if wanted in names else ("UKR" if "UKR" in names else next(iter(names)))
    with st.sidebar:
        iso3 = st.selectbox(
            "Country", list(names), index=list(names).index(default), format_func=names.get, key="f_country"
        )
    if st.query_params.get("country") != iso3:
        st.query_params["country"] = iso3
    member_of = options.set_index("iso3").loc[iso3, "tracks"]
    return iso3, names[iso3], ", ".join(TRACK_NAMES[t] for t in str(member_of).split("; ") if t in TRACK_NAMES)

"""What a briefing export shows: one `collect` of the viewer's scoped queries, its marking and the request checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Required, TypedDict

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine

from dashboard import read
from dashboard.analysis.briefing import TOP_N, Briefing, build_briefing
from dashboard.analysis.key_developments import Development, key_developments
from dashboard.analysis.watchlist import Signal, build_watchlist
from dashboard.core.access import Viewer
from dashboard.core.filters import TRACK_BOTH, IncidentFilter, ViewFilter
from dashboard.core.settings import SettingsError, Thresholds, load_settings
from dashboard.core.tlp import TLP_LABELS, strictest_in, strictest_marking, tlp_rank
from dashboard.core.vocabulary import TRACK_IDS, load
from dashboard.present import briefing_maps, charts
from dashboard.present.labels import BOTH_TRACKS, TRACK_NAMES, TYPE_NAMES

MAX_PERIOD_DAYS = 3660
DEFAULT_PERIOD_DAYS = 365
WATCHLIST_ROWS = TOP_N  # the watchlist rows shown: the same top-N as the movers
INCIDENT_SIGNALS = {"surge", "norm-strain", "hotline-gap", "partnership-lapse"}


class ExportError(Exception):
    """The briefing cannot be exported; the message says why in one line."""


@dataclass(frozen=True)
class BriefingFile:
    """One rendered briefing: the bytes, a file name that carries the marking, and what a caller may report."""

    data: bytes
    file_name: str
    mime: str
    marking: str
    pages: int | None = None


class BriefingOptions(TypedDict, total=False):
    """What every export takes besides engine and viewer (the keywords of `collect`); track and as_of are required."""

    track: Required[str | None]
    as_of: Required[dt.date]
    period_days: int
    thresholds: Thresholds | None
    generated_at: dt.datetime | None


@dataclass
class BriefingContent:
    """Everything an export shows, computed once from scoped queries for one viewer, track choice and as-of date."""

    viewer: Viewer
    track: str  # a track id or "both"
    tracks: frozenset[str]
    track_label: str
    as_of: dt.date
    brief: Briefing
    signals: list[Signal]
    marking: str
    versions: pd.DataFrame
    synthetic: bool
    sources: list[tuple[str, int]]
    frameworks: list[tuple[str, str]]
    countries: pd.DataFrame
    thresholds: Thresholds
    generated_at: dt.datetime
    figures: dict[str, go.Figure] = field(default_factory=dict)
    developments: list[Development] = field(default_factory=list)

    @property
    def marking_label(self) -> str:
        """The marking as printed: TLP:CLEAR ... TLP:RED."""
        return TLP_LABELS[self.marking]

    @property
    def shown_signals(self) -> list[Signal]:
        """The strongest signals, as many as the export shows."""
        return self.signals[:WATCHLIST_ROWS]


def default_as_of(engine: Engine, viewer: Viewer) -> dt.date:
    """Today, or the newest incident the viewer can see if the data stops earlier (as the pages do)."""
    latest = read.latest_incident_date(engine, viewer)
    today = dt.date.today()
    return min(today, latest) if latest else today


def check_request(viewer: Viewer, track: str | None, period_days: int) -> str:
    """The track id (or "both") the viewer may export for this period; ExportError says why not."""
    track = track or TRACK_BOTH
    if track != TRACK_BOTH and track not in TRACK_IDS:
        raise ExportError(f"unknown track {track!r}: use one of {', '.join(TRACK_IDS)} or both")
    if track != TRACK_BOTH and track not in viewer.tracks:
        raise ExportError(f"track {track!r} is not available to {viewer.name}")
    if not viewer.tracks:
        raise ExportError(f"{viewer.name} has no tracks")
    if not 1 <= period_days <= MAX_PERIOD_DAYS:
        raise ExportError(f"the period must be 1 to {MAX_PERIOD_DAYS} days, not {period_days}")
    return track


def _marking(
    engine: Engine,
    viewer: Viewer,
    content_tracks: frozenset[str],
    brief: Briefing,
    *,
    shown: list[Signal],
    th: Thresholds,
) -> str:
    """Strictest TLP of everything shown (briefing, and the rows behind the shown signals), capped at the ceiling."""
    found = [brief.tlp]
    if any(s.kind in INCIDENT_SIGNALS for s in shown):
        start = brief.as_of - dt.timedelta(days=th.recent_days - 1 + th.baseline_days)
        window = IncidentFilter(tracks=content_tracks, start=start, end=brief.as_of)
        found.append(read.incident_summary(engine, viewer, window)["tlp"])
    if any(s.kind == "norm-downgrade" for s in shown) or not brief.norm_downgrades.empty:
        for day in brief.norm_rounds[-2:]:  # the briefing's rounds and statuses, of the same tracks
            if day in brief.round_tlps:
                found.append(brief.round_tlps[day])
            else:
                found.append(strictest_in(read.norm_status_as_of(engine, viewer, day, content_tracks)))
    marking = strictest_marking(*found) or "clear"
    # Scoped queries never return rows above the ceiling; the cap only guards against a future mistake.
    return marking if tlp_rank(marking) <= tlp_rank(viewer.tlp_ceiling) else viewer.tlp_ceiling


def _sources(engine: Engine, viewer: Viewer, view: ViewFilter, brief: Briefing) -> list[tuple[str, int]]:
    """Web sites cited by the period's incidents, with the number of incidents citing each (most cited first)."""
    hosts = read.incident_source_hosts(engine, viewer, view.incident_filter(viewer, brief.period))
    return list(zip(hosts["host"].tolist(), hosts["incidents"].tolist(), strict=True))


def _public_url() -> str:
    """DASHBOARD_PUBLIC_URL, for the links of the key developments ("" when unset or unreadable: relative links)."""
    try:
        return load_settings().public_url or ""
    except SettingsError:
        return ""


def _setting_thresholds() -> Thresholds:
    """The watchlist thresholds from the settings, so an export lists the same signals as the watchlist page."""
    try:
        return load_settings().watchlist_thresholds()
    except SettingsError as exc:
        raise ExportError(str(exc)) from None


def _track_label(track: str, tracks: frozenset[str]) -> str:
    """The track's name, or "Both tracks (A and B)" (just the one name when the viewer has only one track)."""
    if track != TRACK_BOTH:
        return TRACK_NAMES[track]
    label = " and ".join(TRACK_NAMES[t] for t in sorted(tracks, key=TRACK_NAMES.get))
    return f"{BOTH_TRACKS} ({label})" if len(tracks) > 1 else label


def _active_versions(engine: Engine, viewer: Viewer, tracks: frozenset[str]) -> pd.DataFrame:
    """The active dataset versions of these tracks."""
    versions = read.active_versions(engine, viewer)
    return versions[versions["track_id"].isin(tracks)].reset_index(drop=True)


def _frameworks(tracks: frozenset[str]) -> list[tuple[str, str]]:
    """(short name, source) of the norm frameworks of these tracks."""
    return [(f["short_name"], f["source"]) for f in load("frameworks.csv") if set(f["tracks"].split(";")) & set(tracks)]


def _figures(brief: Briefing, countries: pd.DataFrame, tracks: frozenset[str]) -> dict[str, go.Figure]:
    """The map (one panel per track, each framed on its region, the top-N countries named) and the monthly trend."""
    return {
        "map": briefing_maps.build_track_maps(
            brief.by_country,
            countries,
            tracks=sorted(tracks, key=TRACK_NAMES.get),
            track_names=TRACK_NAMES,
            top=TOP_N,
        ),
        "trend": charts.build_trend_figure(brief.monthly, stack_col="type", labels=TYPE_NAMES, height=360),
    }


def collect(
    engine: Engine,
    viewer: Viewer,
    *,
    track: str | None,
    as_of: dt.date,
    period_days: int = DEFAULT_PERIOD_DAYS,
    thresholds: Thresholds | None = None,
    generated_at: dt.datetime | None = None,
) -> BriefingContent:
    """Compute the briefing, watchlist, marking and provenance for one export (every read scoped to the viewer).

    The marking is the strictest TLP of the data the export contains, never above the viewer's ceiling.
    thresholds: the watchlist's (default: from the settings, as on the watchlist page).
    """
    track = check_request(viewer, track, period_days)
    th = thresholds or _setting_thresholds()
    view = ViewFilter(track=track, period="custom", start=as_of - dt.timedelta(days=period_days - 1), end=as_of)
    tracks = view.tracks(viewer)
    brief = build_briefing(engine, viewer, view, as_of)
    versions = _active_versions(engine, viewer, tracks)
    content = BriefingContent(
        viewer=viewer,
        track=track,
        tracks=tracks,
        track_label=_track_label(track, tracks),
        as_of=as_of,
        brief=brief,
        signals=build_watchlist(engine, viewer, tracks, as_of, th),
        marking="clear",
        versions=versions,
        synthetic=bool(versions["synthetic"].astype(bool).any()) if not versions.empty else False,
        sources=_sources(engine, viewer, view, brief),
        frameworks=_frameworks(tracks),
        countries=read.track_countries(engine, viewer, tracks),
        thresholds=th,
        generated_at=(generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0),
    )
    content.marking = _marking(engine, viewer, tracks, brief, shown=content.shown_signals, th=th)
    content.figures = _figures(brief, content.countries, tracks)
    content.developments = key_developments(
        brief, content.signals, track=track, recent_days=th.recent_days, base_url=_public_url()
    )
    return content

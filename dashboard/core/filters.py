"""Shareable view filters: parsed from and written to the URL query string, validated against the viewer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from dashboard.core.access import Viewer
from dashboard.core.periods import Period
from dashboard.core.vocabulary import load


@dataclass(frozen=True)
class IncidentFilter:
    """What the viewer asked for on top of their scope; empty collections mean "all"."""

    tracks: frozenset[str] = field(default_factory=frozenset)
    start: dt.date | None = None
    end: dt.date | None = None
    countries: frozenset[str] = field(default_factory=frozenset)
    sectors: frozenset[str] = field(default_factory=frozenset)
    types: frozenset[str] = field(default_factory=frozenset)
    min_severity: int = 0


PERIODS = {"90d": 90, "12m": 365, "24m": 730, "all": 0, "custom": -1}
PERIOD_LABELS = {
    "90d": "Last 90 days",
    "12m": "Last 12 months",
    "24m": "Last 24 months",
    "all": "All time",
    "custom": "Custom range",
}
ALL_TIME_START = dt.date(2000, 1, 1)
TRACK_BOTH = "both"


@dataclass(frozen=True)
class ViewFilter:
    """What a page shows: track choice, period and optional narrowing; round-trips through the URL."""

    track: str = TRACK_BOTH  # a track id or "both"
    period: str = "12m"
    start: dt.date | None = None  # for period "custom"
    end: dt.date | None = None
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    min_severity: int = 0
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def tracks(self, viewer: Viewer) -> frozenset[str]:
        """The tracks shown: the chosen one, or all of the viewer's."""
        return frozenset({self.track}) if self.track != TRACK_BOTH else frozenset(viewer.tracks)

    def window(self, today: dt.date) -> Period:
        """The date range of the period, ending today unless a custom range is set."""
        if self.period == "custom" and self.start and self.end:
            return Period(self.start, self.end)
        days = PERIODS.get(self.period, 365)
        if days <= 0:
            return Period(ALL_TIME_START, today)
        return Period(today - dt.timedelta(days=days - 1), today)

    def incident_filter(
        self, viewer: Viewer, period: Period, *, countries: frozenset[str] | None = None
    ) -> IncidentFilter:
        """The SQL filter for one period (optionally for other target countries than the chosen ones)."""
        return IncidentFilter(
            tracks=self.tracks(viewer),
            start=period.start,
            end=period.end,
            countries=frozenset(self.countries) if countries is None else countries,
            sectors=frozenset(self.sectors),
            types=frozenset(self.types),
            min_severity=self.min_severity,
        )

    def to_query_params(self) -> dict[str, str | list[str]]:
        """The filter as URL query parameters (defaults left out, so links stay short)."""
        params: dict[str, str | list[str]] = {}
        if self.track != TRACK_BOTH:
            params["track"] = self.track
        if self.period != "12m":
            params["period"] = self.period
        if self.period == "custom" and self.start and self.end:
            params["from"] = self.start.isoformat()
            params["to"] = self.end.isoformat()
        for name in ("countries", "sectors", "types"):
            values = getattr(self, name)
            if values:
                params[name] = ",".join(values)
        if self.min_severity:
            params["severity"] = str(self.min_severity)
        return params


def _values(params: Mapping[str, object], name: str) -> list[str]:
    raw = params.get(name)
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else [raw]
    return [v.strip() for item in items for v in str(item).split(",") if v.strip()]


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_query_params(params: Mapping[str, object], viewer: Viewer) -> ViewFilter:
    """Read a filter from URL parameters; unknown or forbidden values are dropped with a warning, never trusted."""
    warnings: list[str] = []
    track = (_values(params, "track") or [TRACK_BOTH])[0]
    if track != TRACK_BOTH and track not in viewer.tracks:
        warnings.append(f"track '{track}' is not available to you; showing all your tracks")
        track = TRACK_BOTH
    period = (_values(params, "period") or ["12m"])[0]
    if period not in PERIODS:
        warnings.append(f"unknown period '{period}'")
        period = "12m"
    start = _date((_values(params, "from") or [None])[0])
    end = _date((_values(params, "to") or [None])[0])
    if period == "custom" and (start is None or end is None or start > end):
        warnings.append("the custom range needs valid from and to dates (YYYY-MM-DD, from before to)")
        period, start, end = "12m", None, None
    known_countries = {c["iso3"] for c in load("countries.csv")}
    known_sectors = {s["id"] for s in load("sectors.csv")}
    known_types = {t["id"] for t in load("incident_types.csv")}
    picked: dict[str, tuple[str, ...]] = {}
    for name, known in (("countries", known_countries), ("sectors", known_sectors), ("types", known_types)):
        values = [v.upper() if name == "countries" else v for v in _values(params, name)]
        unknown = [v for v in values if v not in known]
        if unknown:
            warnings.append(f"unknown {name} ignored: {', '.join(unknown[:5])}")
        picked[name] = tuple(dict.fromkeys(v for v in values if v in known))
    severity_text = (_values(params, "severity") or ["0"])[0]
    min_severity = int(severity_text) if severity_text.isdigit() and int(severity_text) <= 5 else 0
    if severity_text != "0" and min_severity == 0:
        warnings.append(f"severity '{severity_text}' is not 0-5")
    return ViewFilter(
        track,
        period,
        start if period == "custom" else None,
        end if period == "custom" else None,
        picked["countries"],
        picked["sectors"],
        picked["types"],
        min_severity,
        tuple(warnings),
    )

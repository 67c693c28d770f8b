"""The track briefing: headline figures with changes, movers, and norm and partnership summaries.

Built once from scoped queries and reused by the briefing page (and later the PDF/HTML export), so the
same data and as-of date always give the same numbers.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from dashboard import read
from dashboard.analysis import analytics
from dashboard.analysis.analytics import Delta
from dashboard.core.access import Viewer
from dashboard.core.filters import ViewFilter
from dashboard.core.periods import Period
from dashboard.core.tlp import strictest_in, strictest_marking
from dashboard.read import event_timeline

# How many countries, sectors and watchlist signals the briefing lists (the same top-N everywhere).
TOP_N = 5


@dataclass(frozen=True)
class Headline:
    """One headline figure: label, value now, value in the previous period (None: no comparison) and help."""

    label: str
    current: int
    previous: int | None
    help: str

    @property
    def delta(self) -> Delta | None:
        """The change against the previous period, when there is one."""
        return None if self.previous is None else Delta(self.current, self.previous)


@dataclass
class Briefing:
    """Everything the briefing shows, for one viewer, filter and as-of date."""

    period: Period
    as_of: dt.date
    headlines: list[Headline]
    by_country: pd.DataFrame
    monthly: pd.DataFrame
    country_movers: pd.DataFrame
    sector_movers: pd.DataFrame
    norm_shares: pd.DataFrame
    norm_downgrades: pd.DataFrame
    partnership_kinds: pd.DataFrame
    stale_hotlines: pd.DataFrame
    tlp: str | None
    notes: list[str] = field(default_factory=list)
    # Assessment rounds of the tracks (oldest first) and the strictest TLP of the status as of each round read.
    norm_rounds: list[dt.date] = field(default_factory=list)
    round_tlps: dict[dt.date, str | None] = field(default_factory=dict)
    # Incident-norm links of the period inferred by import rules: counted in no figure, said in one line.
    inferred_norm_links: int = 0
    # Attribution and response events dated in the period, per family, kind and marking (event_kind_counts): the
    # briefing says them in one line (present.labels.period_events_line).
    event_counts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["event", "kind", "tlp", "events"]))

    @property
    def empty(self) -> bool:
        """True when the viewer can see no data at all in these tracks."""
        return all(h.current == 0 and not h.previous for h in self.headlines)


def _headlines(
    incidents: tuple[dict[str, object], dict[str, object]],
    statuses: tuple[pd.DataFrame, pd.DataFrame],
    *,
    partnerships: pd.DataFrame,
    hotlines: pd.DataFrame,
    period: Period,
    as_of: dt.date,
) -> list[Headline]:
    """The headline figures, each with its value in the previous period; incidents and statuses are (now, before)."""
    now, before = incidents
    status_now, status_before = statuses
    return [
        Headline("Incidents", now["incidents"], before["incidents"], "Incidents that started in the period."),
        Headline(
            "Significant incidents",
            now["significant"],
            before["significant"],
            "Severity 3 (high) or above on the CISA scale.",
        ),
        Headline(
            "Countries affected",
            now["countries"],
            before["countries"],
            "Distinct target countries that are members of the track(s); "
            f"{now.get('other_countries', 0)} other countries were targeted in the same incidents.",
        ),
        Headline(
            "Norms implemented",
            analytics.implemented_count(status_now),
            analytics.implemented_count(status_before),
            "Country x norm/CBM items whose latest assessment by the end of the period is 'implemented'.",
        ),
        Headline(
            "Active partnerships",
            analytics.active_on(partnerships, period.end),
            analytics.active_on(partnerships, period.previous.end),
            "Partnerships, projects and hotlines running at the end of the period.",
        ),
        Headline(
            "Hotlines tested, 12 mo",
            analytics.hotlines_tested_within(hotlines, as_of),
            None,
            "Hotlines whose last recorded test is within the 12 months before the as-of date. "
            "Only the latest test is recorded, so there is no comparison.",
        ),
    ]


def build_briefing(engine: Engine, viewer: Viewer, view: ViewFilter, as_of: dt.date) -> Briefing:
    """Compute the briefing for the viewer's chosen tracks and period, ending on as_of."""
    period = view.window(as_of)
    previous = period.previous
    tracks = view.tracks(viewer)
    now_filter = view.incident_filter(viewer, period)
    before_filter = view.incident_filter(viewer, previous)
    now = read.incident_summary(engine, viewer, now_filter)
    before = read.incident_summary(engine, viewer, before_filter)

    rounds = read.norm_rounds(engine, viewer, tracks)
    statuses: dict[dt.date | None, pd.DataFrame] = {}

    def status_on(day: dt.date) -> pd.DataFrame:
        # The rounds are the dates of the same rows, so the status on a day is the status on the last round up to
        # that day: each round is read once, however many of the dates below fall after it.
        key = rounds[bisect_right(rounds, day) - 1] if rounds and rounds[0] <= day else None
        if key not in statuses:
            statuses[key] = read.norm_status_as_of(engine, viewer, day if key is None else key, tracks)
        return statuses[key]

    status_now = status_on(period.end)
    status_before = status_on(previous.end)
    partnerships = read.partnership_rows(engine, viewer, tracks)
    hotlines = analytics.hotline_ages(partnerships, as_of)

    headlines = _headlines(
        (now, before),
        (status_now, status_before),
        partnerships=partnerships,
        hotlines=hotlines,
        period=period,
        as_of=as_of,
    )
    by_country = read.incident_counts_by_country(engine, viewer, now_filter)
    monthly = read.incident_counts_by_month_and(engine, viewer, now_filter, "type").rename(columns={"key": "type"})
    start = period.start if period.days < 3650 else analytics.first_month(monthly, period.end)
    monthly = analytics.complete_months(monthly, start, period.end, key="type")
    country_movers = analytics.movers(
        by_country[["name", "incidents"]],
        read.incident_counts_by_country(engine, viewer, before_filter)[["name", "incidents"]],
        "name",
        top=TOP_N,
    )
    sector_movers = analytics.movers(
        read.incident_counts_by_sector(engine, viewer, now_filter),
        read.incident_counts_by_sector(engine, viewer, before_filter),
        "sector_id",
        top=TOP_N,
    )
    shares = analytics.latest_shares(read.norm_round_shares(engine, viewer, tracks))
    downgrades = pd.DataFrame()
    if len(rounds) >= 2:
        last = status_on(rounds[-1])
        prior = status_on(rounds[-2])
        changes = analytics.norm_changes(prior, last)
        downgrades = changes[changes["direction"] == "down"]
    links = read.incident_norm_counts(engine, viewer, now_filter)
    inferred_links = int(links.loc[links["inferred"], "incidents"].sum())
    active = partnerships[partnerships["status"] == "active"]
    kinds = active.groupby("kind", as_index=False).size().rename(columns={"size": "partnerships"})
    stale = hotlines[(hotlines["days"].isna()) | (hotlines["days"] > 365)]
    events = event_timeline.event_kind_counts(
        engine, viewer, event_timeline.EventFilter(tracks=tracks, start=period.start, end=period.end)
    )
    tlp = strictest_marking(now["tlp"], strictest_in(status_now), strictest_in(partnerships), strictest_in(events))
    return Briefing(
        period=period,
        as_of=as_of,
        headlines=headlines,
        by_country=by_country,
        monthly=monthly,
        country_movers=country_movers,
        sector_movers=sector_movers,
        norm_shares=shares.sort_values("share", ascending=False).reset_index(drop=True),
        norm_downgrades=downgrades,
        partnership_kinds=kinds.sort_values("partnerships", ascending=False).reset_index(drop=True),
        stale_hotlines=stale.sort_values("days", ascending=False, na_position="first").reset_index(drop=True),
        tlp=tlp,
        norm_rounds=list(rounds),
        round_tlps={day: strictest_in(frame) for day, frame in statuses.items() if day is not None},
        inferred_norm_links=inferred_links,
        event_counts=events,
    )

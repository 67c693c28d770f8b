"""Crisis anticipation signals: surges, norms under strain, hotline gaps, partnership lapses. No Streamlit.

Every signal carries the figures that triggered it, a one-line explanation, a strength for ranking, and a link to
the filtered view behind it. Only rows the viewer may see are used (all reads go through dashboard.read).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from scipy.stats import poisson
from sqlalchemy import Engine

from dashboard import read
from dashboard.analysis import analytics
from dashboard.core.access import Viewer
from dashboard.core.settings import Thresholds
from dashboard.core.vocabulary import labels


@dataclass(frozen=True)
class Signal:
    """One thing an official should look at, with why."""

    kind: str  # surge | norm-strain | norm-downgrade | hotline-gap | stale-hotline | partnership-lapse
    subject: str
    explanation: str
    strength: float
    figures: dict[str, object] = field(default_factory=dict)
    link: str = ""
    track: str = ""  # the track id the signal was computed for, or "both"
    since: dt.date | None = None  # the date of its newest evidence when older than the as-of date (None: ongoing)


def poisson_upper_tail(k: int, expected: float) -> float:
    """P(X >= k) for X ~ Poisson(expected): how surprising k or more events are when `expected` were due."""
    return float(_upper_tails(np.array([k]), np.array([expected]))[0])


def _upper_tails(k: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """P(X >= k) for each pair, X ~ Poisson(expected), with SciPy's survival function (exact in the far tail)."""
    k = np.asarray(k, dtype=np.int64)
    expected = np.asarray(expected, dtype=float)
    tails = poisson.sf(k - 1, np.where(expected > 0, expected, 1.0))
    return np.where(k <= 0, 1.0, np.where(expected <= 0, 0.0, tails))


def surges(counts: pd.DataFrame, th: Thresholds) -> pd.DataFrame:
    """Keys whose recent count is significantly above their own baseline rate (one-sided Poisson test).

    counts: key, baseline, recent. Returns key, recent, expected, rate_ratio, p_value for the surging keys.
    """
    columns = ["key", "recent", "baseline", "expected", "rate_ratio", "p_value"]
    scale = th.recent_days / th.baseline_days
    # A baseline of zero would make any count "infinitely" surprising: assume half an event at least.
    expected = np.maximum(counts["baseline"].to_numpy(dtype=float), 0.5) * scale
    recent = counts["recent"].to_numpy(dtype=float)
    ratio = recent / expected if len(counts) else np.empty(0)
    candidate = (recent >= th.min_count) & (ratio >= th.min_rate_ratio)
    p_values = _upper_tails(recent[candidate].astype(np.int64), expected[candidate])
    out = pd.DataFrame(
        {
            "key": counts["key"].to_numpy()[candidate],
            "recent": recent[candidate].astype(int),
            "baseline": counts["baseline"].to_numpy()[candidate].astype(int),
            "expected": expected[candidate],
            "rate_ratio": ratio[candidate],
            "p_value": p_values,
        },
        columns=columns,
    )
    return out[out["p_value"] <= th.max_p_value].reset_index(drop=True)


def _strength(p_value: float) -> float:
    return -math.log10(max(p_value, 1e-300))


def _window(track: str, start: dt.date, end: dt.date) -> dict[str, str]:
    """The track and period of a signal's evidence, as the URL parameters every link from it carries."""
    return {"track": track, "period": "custom", "from": start.isoformat(), "to": end.isoformat()}


def _link(page: str, window: dict[str, str], **params: str) -> str:
    """The one link builder of the watchlist: a page with the signal's track and period, then its own filters."""
    return f"/{page}?{urlencode({**window, **params})}"


def build_watchlist(
    engine: Engine, viewer: Viewer, tracks: frozenset[str], as_of: dt.date, th: Thresholds | None = None
) -> list[Signal]:
    """Every signal for the viewer's tracks as of a date, strongest first."""
    th = th or Thresholds()
    recent_start = as_of - dt.timedelta(days=th.recent_days - 1)
    baseline_start = recent_start - dt.timedelta(days=th.baseline_days)
    countries = labels("countries.csv", key="iso3")
    sectors = labels("sectors.csv")
    items = labels("framework_items.csv", label="code")
    track_param = next(iter(tracks)) if len(tracks) == 1 else "both"
    period = _window(track_param, recent_start, as_of)
    signals: list[Signal] = []
    window = (baseline_start, recent_start, as_of)

    def figures(r) -> dict[str, object]:
        return {
            "recent": r.recent,
            "baseline": r.baseline,
            "expected": round(r.expected, 1),
            "rate_ratio": round(r.rate_ratio, 2),
            "p_value": float(f"{r.p_value:.2g}"),
        }

    for by, name_of, page_param in (("country", countries, "countries"), ("sector", sectors, "sectors")):
        found = surges(read.window_counts(engine, viewer, tracks, by, *window), th)
        for r in found.itertuples():
            name = name_of.get(r.key, r.key)
            signals.append(
                Signal(
                    "surge",
                    name,
                    f"{r.recent} incidents {'against' if by == 'country' else 'in'} {name} in the last "
                    f"{th.recent_days} days, {r.rate_ratio:.1f}x the usual rate ({r.expected:.1f} expected; "
                    f"Poisson p = {r.p_value:.2g}).",
                    _strength(r.p_value),
                    figures(r),
                    _link("incidents", period, **{page_param: r.key}),
                )
            )
    for r in surges(read.window_counts(engine, viewer, tracks, "dyad", *window), th).itertuples():
        source, target = r.key.split(">")
        subject = f"{countries.get(source, source)} → {countries.get(target, target)}"
        signals.append(
            Signal(
                "surge",
                subject,
                f"{r.recent} incidents attributed to {countries.get(source, source)} against "
                f"{countries.get(target, target)} in {th.recent_days} days, {r.rate_ratio:.1f}x the usual rate "
                f"(p = {r.p_value:.2g}).",
                _strength(r.p_value),
                figures(r),
                _link("incidents", period, countries=target),
            )
        )
    for r in surges(read.window_counts(engine, viewer, tracks, "norm", *window), th).itertuples():
        code = items.get(r.key, r.key)
        signals.append(
            Signal(
                "norm-strain",
                f"UN norm {code}" if r.key.startswith("un-norms") else code,
                f"Incidents their source links to norm {code} rose to {r.recent} in {th.recent_days} days, "
                f"{r.rate_ratio:.1f}x the usual rate (p = {r.p_value:.2g}).",
                _strength(r.p_value),
                figures(r),
                _link("incidents", period),
            )
        )
    signals += _downgrades(engine, viewer, tracks, track_param)
    signals += _hotline_gaps(engine, viewer, tracks, as_of=as_of, th=th, countries=countries, track=track_param)
    surging = {s.subject for s in signals if s.kind == "surge"}
    signals += _lapses(engine, viewer, tracks, as_of=as_of, surging=surging, track=track_param)
    signals = [replace(s, track=track_param) for s in signals]
    return sorted(signals, key=lambda s: (-s.strength, s.kind, s.subject))


def _downgrades(engine: Engine, viewer: Viewer, tracks: frozenset[str], track_param: str) -> list[Signal]:
    rounds = read.norm_rounds(engine, viewer, tracks)
    if len(rounds) < 2:
        return []
    before = read.norm_status_as_of(engine, viewer, rounds[-2], tracks)
    after = read.norm_status_as_of(engine, viewer, rounds[-1], tracks)
    changes = analytics.norm_changes(before, after)
    down = changes[changes["direction"] == "down"]
    out = []
    for country, part in down.groupby("country"):
        codes = ", ".join(part["code"].astype(str))
        iso3 = part["iso3"].iloc[0]
        window = _window(track_param, rounds[-2], rounds[-1])
        out.append(
            Signal(
                "norm-downgrade",
                str(country),
                f"{country} moved back on {len(part)} item(s) ({codes}) between the {rounds[-2]:%b %Y} and "
                f"{rounds[-1]:%b %Y} rounds.",
                1.0 + len(part),
                {"items": len(part), "codes": codes},
                _link("country", window, country=iso3),
                since=rounds[-1],
            )
        )
    return out


def _hotline_gaps(
    engine: Engine,
    viewer: Viewer,
    tracks: frozenset[str],
    *,
    as_of: dt.date,
    th: Thresholds,
    countries: dict[str, str],
    track: str,
) -> list[Signal]:
    year_ago = as_of - dt.timedelta(days=364)
    window = _window(track, year_ago, as_of)
    dyads = read.window_counts(engine, viewer, tracks, "dyad", year_ago, year_ago, as_of)
    partnerships = read.partnership_rows(engine, viewer, tracks)
    links = set()
    live = partnerships[partnerships["kind"].isin(["hotline", "poc-network"]) & (partnerships["status"] == "active")]
    for members in live["countries"]:
        codes = [c for c in str(members).split("; ") if c]
        links |= {frozenset({a, b}) for a in codes for b in codes if a != b}
    out = []
    for r in dyads[dyads["recent"] >= th.dyad_min_incidents].itertuples():
        a, b = r.key.split(">")
        if a == b or frozenset({a, b}) in links:
            continue
        out.append(
            Signal(
                "hotline-gap",
                f"{countries.get(a, a)} – {countries.get(b, b)}",
                f"{r.recent} incidents from {countries.get(a, a)} against {countries.get(b, b)} in 12 months, and no "
                "active hotline or point-of-contact link between them.",
                1.0 + math.log2(r.recent),
                {"incidents_12m": int(r.recent)},
                _link("partnerships", window, countries=f"{a},{b}"),
            )
        )
    for h in analytics.hotline_ages(partnerships, as_of).itertuples():
        if h.status == "active" and (pd.isna(h.days) or h.days > th.hotline_stale_days):
            last = "never tested" if pd.isna(h.days) else f"last tested {int(h.days)} days ago"
            out.append(
                Signal(
                    "stale-hotline",
                    str(h.name),
                    f"The {h.name} is active but {last}.",
                    1.5,
                    {"days_since_test": None if pd.isna(h.days) else int(h.days)},
                    _link("partnerships", window, countries=f"{h.iso3_a},{h.iso3_b}"),
                )
            )
    return out


def _lapses(
    engine: Engine, viewer: Viewer, tracks: frozenset[str], *, as_of: dt.date, surging: set[str], track: str
) -> list[Signal]:
    if not surging:
        return []
    countries = labels("countries.csv", key="iso3")
    partnerships = read.partnership_rows(engine, viewer, tracks)
    relevant = partnerships[partnerships["kind"].isin(["capacity-building", "ppp"])]
    two_years = pd.Timestamp(as_of - dt.timedelta(days=730))
    window = _window(track, as_of - dt.timedelta(days=730), as_of)
    out = []
    for p in relevant.itertuples():
        ended = p.status == "ended" and p.end_date is not None and pd.Timestamp(p.end_date) >= two_years
        if not (ended or p.status == "suspended"):
            continue
        names = [countries.get(c, c) for c in str(p.countries).split("; ") if c]
        hit = [n for n in names if n in surging]
        if hit:
            out.append(
                Signal(
                    "partnership-lapse",
                    str(p.name),
                    f"{p.name} ({p.status}) covered {', '.join(hit)}, where incidents are surging.",
                    1.2,
                    {"status": p.status, "end_date": str(p.end_date or "")},
                    _link("partnerships", window, countries=",".join(c for c in str(p.countries).split("; ") if c)),
                    since=pd.Timestamp(p.end_date).date() if ended else None,
                )
            )
    return out

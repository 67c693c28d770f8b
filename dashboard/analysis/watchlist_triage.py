"""Triage of the watchlist: signals per track, their priority, groups by kind and track, search. No Streamlit."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from dashboard.analysis.watchlist import Signal, build_watchlist
from dashboard.core.access import Viewer
from dashboard.core.settings import Thresholds
from dashboard.core.vocabulary import labels

# How much a kind of signal weighs when ranking: what an incident surge means against what a lapse means.
KIND_SEVERITY = {
    "surge": 1.0,
    "norm-strain": 0.8,
    "hotline-gap": 0.8,
    "norm-downgrade": 0.7,
    "partnership-lapse": 0.6,
    "stale-hotline": 0.5,
}
RECENCY_HALF_LIFE_DAYS = 180
PRIORITY_FORMULA = (
    "Priority = strength × recency × severity: strength is the signal's own measure (−log10 p for a surge, more "
    f"for more incidents or items), recency halves every {RECENCY_HALF_LIFE_DAYS} days since its newest evidence "
    "(1 for a condition that still holds), severity weighs its kind"
)


def recency(signal: Signal, as_of: dt.date) -> float:
    """0.5 ** (days from the signal's newest evidence to `as_of` / half-life); 1 when the condition still holds."""
    if signal.since is None:
        return 1.0
    age = max((as_of - signal.since).days, 0)
    return 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)


def priority(signal: Signal, as_of: dt.date) -> float:
    """A signal's priority: strength × recency × severity.

    strength: `signal.strength` (−log10 of a surge's p-value; 1 + log2 incidents for a hotline gap; 1 + items moved
    back for a downgrade; fixed for a stale hotline or a lapse). recency: `recency(signal, as_of)`, halving every
    RECENCY_HALF_LIFE_DAYS days since the newest evidence. severity: KIND_SEVERITY of the signal's kind.
    """
    return signal.strength * recency(signal, as_of) * KIND_SEVERITY.get(signal.kind, 0.5)


def by_priority(signals: Iterable[Signal], as_of: dt.date) -> list[Signal]:
    """Signals, highest priority first (ties: kind, subject)."""
    return sorted(signals, key=lambda s: (-priority(s, as_of), s.kind, s.subject))


def tracked_watchlist(
    engine: Engine, viewer: Viewer, tracks: frozenset[str], as_of: dt.date, th: Thresholds | None = None
) -> list[Signal]:
    """The watchlist computed for each track on its own (every signal names its track), highest priority first."""
    signals: list[Signal] = []
    for track in sorted(tracks):
        signals += build_watchlist(engine, viewer, frozenset({track}), as_of, th)
    return by_priority(signals, as_of)


@dataclass(frozen=True)
class Group:
    """The signals of one kind in one track, highest priority first."""

    kind: str
    track: str
    signals: tuple[Signal, ...]
    top: float  # the highest priority in the group


def groups(signals: Sequence[Signal], as_of: dt.date) -> list[Group]:
    """Signals grouped by kind and track; groups ordered by their highest priority."""
    buckets: dict[tuple[str, str], list[Signal]] = {}
    for s in by_priority(signals, as_of):
        buckets.setdefault((s.kind, s.track), []).append(s)
    out = [Group(kind, track, tuple(part), priority(part[0], as_of)) for (kind, track), part in buckets.items()]
    return sorted(out, key=lambda g: (-g.top, g.kind, g.track))


def matches(signal: Signal, text: str) -> bool:
    """Whether the search text occurs (case-insensitive) in the signal's subject, its explanation or the names of
    the countries its link filters on (so "Latvia" finds the EST-LVA hotline)."""
    needle = text.strip().casefold()
    if not needle or needle in signal.subject.casefold() or needle in signal.explanation.casefold():
        return True
    names = labels("countries.csv", key="iso3")
    query = parse_qs(urlsplit(signal.link).query)
    codes = [c for key in ("countries", "country") for value in query.get(key, []) for c in value.split(",")]
    return any(needle in code.casefold() or needle in names.get(code, "").casefold() for code in codes)


def signal_key(signal: Signal) -> str:
    """A short, stable fingerprint of a signal (kind, track, subject) that names nothing from the data."""
    return hashlib.sha256(f"{signal.kind}|{signal.track}|{signal.subject}".encode()).hexdigest()[:12]

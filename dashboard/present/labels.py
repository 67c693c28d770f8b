"""Every display name, defined once: the pages, the PDF and the HTML briefing all say the same thing."""

from __future__ import annotations

from dashboard.core.vocabulary import labels, load

# Names from the reference vocabularies (data/reference/*.csv).
TRACK_NAMES = labels("tracks.csv")
BOTH_TRACKS = "Both tracks"
TYPE_NAMES = labels("incident_types.csv")
SECTOR_NAMES = labels("sectors.csv")
FRAMEWORK_NAMES = labels("frameworks.csv", label="short_name")
STATUS_NAMES = labels("norm_statuses.csv")
KIND_NAMES = labels("partnership_kinds.csv")
PARTY_TYPE_NAMES = labels("party_types.csv")
SEVERITY_NAMES = {s["level"]: s["name"] for s in load("severity_levels.csv")}

# Plural forms of the partnership kinds, for sentences such as "12 hotlines".
KIND_PLURALS = {
    "ppp": "public-private partnerships",
    "capacity-building": "capacity-building projects",
    "hotline": "hotlines",
    "poc-network": "point-of-contact networks",
    "mou": "memoranda of understanding",
    "exercise": "exercises",
}
LAYER_NAMES = {"incidents": "Incidents", "norms": "Norms and CBMs", "partnerships": "Partnerships"}

# The watchlist's signal kinds (analysis/watchlist.py), in the order the watchlist page counts them.
SIGNAL_KINDS = {
    "surge": "Surge",
    "norm-strain": "Norm under strain",
    "norm-downgrade": "Moved back on norms",
    "hotline-gap": "Hotline gap",
    "stale-hotline": "Untested hotline",
    "partnership-lapse": "Partnership lapse",
}
# Short names of a signal's figures (Signal.figures keys) where space is scarce (PDF and HTML tables).
FIGURE_NAMES = {
    "recent": "recent",
    "baseline": "baseline",
    "expected": "expected",
    "rate_ratio": "ratio",
    "p_value": "p",
    "incidents_12m": "incidents in 12 mo",
    "days_since_test": "days since test",
    "items": "items",
    "codes": "items",
    "status": "status",
    "end_date": "ended",
}


def track_label(track: str) -> str:
    """A track's name, or "Both tracks" for the both-tracks choice."""
    return TRACK_NAMES.get(track, BOTH_TRACKS)

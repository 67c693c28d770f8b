"""Every display name, defined once: the pages, the PDF and the HTML briefing all say the same thing."""

from __future__ import annotations

import pandas as pd

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
# An incident the source gives no severity: never shown as 0 (Baseline) nor as "None".
SEVERITY_UNKNOWN = "Not rated"

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
# Why stored rows are not counted for an administrator (the Datasets page says so to administrators only).
_HIDDEN = "above your marking (or another organisation's TLP:AMBER+STRICT) or outside your tracks"
WITHHELD_REASONS = {
    "incidents": f"{_HIDDEN}, or copies of the same source record counted once",
    "norms": _HIDDEN,
    "partnerships": _HIDDEN,
}
# Attribution and response events (Responses page, country profile, briefing). The kinds' own names are the
# ingest vocabularies' (dashboard/ingest/attributions.KINDS, responses.KIND_NAMES); these are the words around them.
EVENT_NAMES = {"attribution": "Attribution", "response": "Response"}
EVENT_ROLES = {
    "any": "Either party",
    "actor": "Attributor or responder",
    "target": "Attributed or targeted",
}
UNDATED_EVENT = "no date given by the source: placed at the incident's start"
# Plural and singular forms of the response kinds, for the briefing's sentence ("2 statements, 1 sanction").
RESPONSE_KIND_WORDS = {
    "statement": ("statement", "statements"),
    "demarche": ("démarche", "démarches"),
    "sanctions": ("sanction", "sanctions"),
    "indictment": ("indictment", "indictments"),
    "expulsion": ("expulsion", "expulsions"),
    "other": ("other", "other"),
}
# The last sign-in of an account that has never signed in (Accounts page).
NEVER_SIGNED_IN = "never"

# The watchlist's signal kinds (analysis/watchlist.py), in the order the watchlist page counts them.
SIGNAL_KINDS = {
    "surge": "Surge",
    "norm-strain": "Norm under strain",
    "norm-downgrade": "Moved back on norms",
    "hotline-gap": "Hotline gap",
    "stale-hotline": "Untested hotline",
    "partnership-lapse": "Partnership lapse",
}
# The badge of a watchlist signal that was not on the watchlist at the viewer's last visit.
NEW_SIGNAL = "New"
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


def severity_label(level: object) -> str:
    """'3 High' for a rated incident; 'Not rated' when the source gives no severity (None, NaN, NA or -1)."""
    if level is None or pd.isna(level):  # type: ignore[arg-type]
        return SEVERITY_UNKNOWN
    number = int(level)  # type: ignore[call-overload]
    return f"{number} {SEVERITY_NAMES[number]}" if number in SEVERITY_NAMES else SEVERITY_UNKNOWN


# Where a norm link comes from (incident_norms.inferred and basis): the source's column, or a named import rule.
NORM_ASSERTED = "asserted by the source"
NORM_INFERRED = "inferred by import rules (not asserted by the source)"
# Countries found in an incident's title or description rather than its country column.
COUNTRY_INFERRED = "inferred from title/description"


def inferred_links_note(count: int) -> str:
    """The one line that says how many incident-norm links import rules inferred (counted in no figure)."""
    links = "1 further link" if count == 1 else f"{count:,} further links"
    verb = "was" if count == 1 else "were"
    return (
        f"{links} between incidents and norm or CBM items {verb} inferred by import rules, not asserted by the "
        "source; no figure counts them."
    )


def norm_link_label(inferred: bool, basis: str, rule: str | None = None) -> str:
    """'asserted by the source (column norms)', or 'inferred: <rule>' with the rule's human name when given
    (dashboard.ingest.norm_rules names them; present does not import ingest, so the caller passes it)."""
    if inferred:
        name = rule or basis
        return name if name.lower().startswith("inferred") else f"inferred: {name}"
    return f"{NORM_ASSERTED} (column {basis})" if basis else NORM_ASSERTED


def track_label(track: str) -> str:
    """A track's name, or "Both tracks" for the both-tracks choice."""
    return TRACK_NAMES.get(track, BOTH_TRACKS)


def summary_note(summary: dict[str, object]) -> str:
    """What the 'Countries affected' figure counts, and the incidents it cannot place (shown under the figures)."""
    parts = ["Countries affected: target countries that are members of the track(s) shown."]
    others = int(summary.get("other_countries") or 0)
    if others:
        parts.append(
            f"{others:,} other {'country was' if others == 1 else 'countries were'} targeted in the same incidents."
        )
    unidentified = int(summary.get("unidentified") or 0)
    if unidentified:
        parts.append(
            f"{unidentified:,} {'incident names' if unidentified == 1 else 'incidents name'} no target country "
            "('target not identified'): counted here, on no map."
        )
    return " ".join(parts)


def period_events_line(counts: pd.DataFrame) -> str:
    """The briefing's one line on the attributions and responses dated in the period (counts: event, kind, events,
    as read.event_timeline.event_kind_counts gives them), the same on the page, in the PDF and in the HTML."""
    totals: dict[tuple[str, str], int] = {}
    for row in counts.itertuples():
        totals[(row.event, row.kind)] = totals.get((row.event, row.kind), 0) + int(row.events)
    attributions = sum(n for (event, _), n in totals.items() if event == "attribution")
    responses = {kind: n for (event, kind), n in totals.items() if event == "response" and n}
    if not attributions and not responses:
        return "In the period: no new attributions or responses recorded."
    government = totals.get(("attribution", "government"), 0)
    text = f"{attributions:,} new attribution{'' if attributions == 1 else 's'}"
    if attributions:
        text += f" ({government:,} by a government)" if government == 1 else f" ({government or 'none'} by governments)"
    total = sum(responses.values())
    text += f" and {total:,} response{'' if total == 1 else 's'}"
    if responses:
        order = list(RESPONSE_KIND_WORDS)
        ranked = sorted(responses.items(), key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order else 99))
        words = (f"{n:,} {RESPONSE_KIND_WORDS.get(kind, (kind, kind))[n != 1]}" for kind, n in ranked)
        text += f" ({', '.join(words)})"
    return f"In the period: {text}."

"""Who attributed an operation to whom, when and on what basis: attribution events from the public exports, each
with a confidence derived from what the source says (never a constant).

EuRepoC records every attribution as the n-th item of its attribution columns (date, basis, type, attributing actor
and country, attributed initiator and its country); CFR records a suspected sponsor and the actors it is "believed to
be the work of", without saying who attributed it.

The confidence rule (CONFIDENCE_RULE, shown wherever a confidence is shown):
- **high**: a government, the EU or an international organisation attributes it in an official statement, a report,
  an indictment or sanctions, or through domestic legal action;
- **medium**: a government attribution reported in the media, a technical report by the IT-security community, or
  the attacker's own claim made in the course of the attack;
- **low**: media-based or anonymous attribution, a contested attribution, an unclear type, or a tracker's
  compilation that does not say who attributed (CFR).
An incident's confidence is the highest of its events, raised from medium to high when two independent kinds of
attributor (a government and a technical report, say) name the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dashboard.core.threat_actors import resolve
from dashboard.ingest.event_lists import aligned, count_of, parse_date, present, split_top
from dashboard.ingest.normalise import resolve_country

KINDS = {
    "government": "Government",
    "international": "EU or international organisation",
    "company": "Security company",
    "researcher": "Researchers",
    "media": "Media",
    "self": "The attacker itself",
    "victim": "The victim",
    "third party": "Third party",
    "contested": "Contested",
    "unknown": "Not stated",
}
CONFIDENCE = ("low", "medium", "high")
CONFIDENCE_RULE = (
    "High: a government, the EU or an international organisation attributes it officially (statement, report, "
    "indictment, sanctions, legal action), or two independent kinds of attributor name the same state. Medium: a "
    "government attribution reported in the media, a technical report, or the attacker's own claim. Low: media or "
    "anonymous attribution, contested or unclear, or a tracker that does not say who attributed."
)

# EuRepoC attribution_basis -> kind (all ten values of EuRepoC 1.1).
BASIS_KIND = {
    "attribution by receiver government / state entity": "government",
    "attribution by third-party": "third party",
    "attribution by eu institution/agency": "international",
    "attribution by international organization": "international",
    "it-security community attributes attacker": "researcher",  # "company" when an IT company is named
    "media-based attribution": "media",
    "attacker confirms": "self",
    "receiver attributes attacker": "victim",
    "contested attribution": "contested",
}
_OFFICIAL_TYPES = ("political statement", "indictment", "sanctions", "domestic legal action")
_WEAK_TYPES = ("anonymous statement", "type unclear", "media report (e.g., reuters makes")

EUREPOC_COLUMNS = {
    "date": "attribution_date",
    "basis": "attribution_basis",
    "type": "attribution_type",
    "attributor": "attributing_actor",
    "company": "attribution_it_company",
    "attributor_country": "attributing_country",
    "attributed": "attributed_initiator",
    "attributed_country": "attributed_initiator_country",
}


@dataclass(frozen=True)
class Attribution:
    """One attribution event."""

    date: dt.date | None
    attributor: str  # who attributed, as the source names them
    attributor_country: str  # ISO3, or ""
    attributed: str  # the attributed actor, as the source names it
    attributed_actors: frozenset[str]  # actor ids through the alias table
    attributed_country: str  # ISO3, or ""
    kind: str  # a key of KINDS
    basis: str  # the source's own basis and type, verbatim
    source: str  # the event's own link, when the source gives one per event
    confidence: str  # low | medium | high, by CONFIDENCE_RULE
    sources: tuple[str, ...] = ()  # every attribution link of the record (EuRepoC does not pair links with events)


def _iso3(name: str) -> str:
    return (resolve_country(name).iso3 or "") if name else ""


def event_confidence(kind: str, attribution_type: str) -> str:
    """The confidence of one event from its kind and the source's type of attribution (CONFIDENCE_RULE)."""
    text = attribution_type.casefold()
    official = kind in {"government", "international", "third party"}
    if official and any(t in text for t in _OFFICIAL_TYPES):
        return "high"
    if kind in {"media", "contested", "unknown"} or any(t in text for t in _WEAK_TYPES):
        return "low"
    if official or kind in {"researcher", "company", "self", "victim"}:
        return "medium"
    return "low"


def incident_confidence(events: Iterable[Attribution]) -> str | None:
    """The highest event confidence; medium becomes high when two independent kinds of attributor name the same
    state. None without events."""
    events = list(events)
    if not events:
        return None
    best = max((e.confidence for e in events), key=CONFIDENCE.index)
    kinds_by_state: dict[str, set[str]] = {}
    for e in events:
        if e.attributed_country and e.confidence != "low":
            group = "official" if e.kind in {"government", "international", "third party"} else e.kind
            kinds_by_state.setdefault(e.attributed_country, set()).add(group)
    if best == "medium" and any(len(kinds) >= 2 for kinds in kinds_by_state.values()):
        return "high"
    return best


def eurepoc_attributions(row: Mapping[str, str]) -> list[Attribution]:
    """The attribution events of one EuRepoC row (as many as it numbers, or as its columns list)."""
    sources = [s.strip(" '\"[]") for s in split_top(str(row.get("sources_attribution", "")).replace(",", ";"))]
    links = [s for s in sources if s.startswith(("http://", "https://"))]
    items = aligned(row, EUREPOC_COLUMNS, count_of(row.get("number_of_attributions")))
    paired = len(links) == len(items)  # one link per event: then (only then) a link belongs to its event
    out = []
    for i, item in enumerate(items):
        basis_key = item["basis"].casefold()
        kind = BASIS_KIND.get(basis_key, "unknown")
        if kind == "researcher" and item["company"]:
            kind = "company"
        attributor = item["attributor"] or item["company"]
        out.append(
            Attribution(
                date=parse_date(item["date"]),
                attributor=attributor,
                attributor_country=_iso3(item["attributor_country"]),
                attributed=item["attributed"],
                attributed_actors=resolve(item["attributed"]) if item["attributed"] else frozenset(),
                attributed_country=_iso3(item["attributed_country"]),
                kind=kind,
                basis="; ".join(p for p in (item["basis"], item["type"]) if p),
                source=links[i] if paired else "",
                confidence=event_confidence(kind, item["type"]),
                sources=tuple(links),
            )
        )
    return out


def cfr_attributions(row: Mapping[str, str]) -> list[Attribution]:
    """CFR's suspected sponsor and actors as one event: CFR does not say who attributed it (low confidence)."""
    sponsor = present(str(row.get("Sponsor", "") or ""))
    actors = present(str(row.get("Affiliations", "") or ""))
    if not sponsor and not actors:
        return []
    links = [present(str(row.get(c, "") or "")) for c in ("Sources_1", "Sources_2", "Sources_3")]
    return [
        Attribution(
            date=parse_date(_iso_from_us(str(row.get("Date", "") or ""))),
            attributor="",
            attributor_country="",
            attributed=actors,
            attributed_actors=resolve(actors) if actors else frozenset(),
            attributed_country=_iso3(sponsor),
            kind="unknown",
            basis="CFR Cyber Operations Tracker: suspected state sponsor" + (f"; {actors}" if actors else ""),
            source=next((link for link in links if link.startswith(("http://", "https://"))), ""),
            confidence="low",
            sources=tuple(link for link in links if link.startswith(("http://", "https://"))),
        )
    ]


def _iso_from_us(value: str) -> str:
    """CFR's M/D/YYYY as YYYY-MM-DD ("" when it is not such a date)."""
    parts = value.strip().split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return ""
    month, day, year = (int(p) for p in parts)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return ""


ATTRIBUTING_PRESETS = frozenset({"eurepoc", "cfr"})


def attributions_of(preset: str, row: Mapping[str, str]) -> list[Attribution]:
    """The attribution events of one row of a known export ([] for exports that carry none)."""
    if preset == "eurepoc":
        return eurepoc_attributions(row)
    if preset == "cfr":
        return cfr_attributions(row)
    return []

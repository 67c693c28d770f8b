"""What states did in response to a cyber incident (political and legal responses), read from the three public
exports into events. A pure module: one export row in, a list of `Response` out; no database, no Streamlit.

- EuRepoC writes each response as the n-th item of six "; "-joined columns per layer (political_response_date,
  ..._type, ..._type_subcode, ..._country, ..._actor), with the number of responses in number_of_..._responses.
  Its labels are mapped to our kinds by the keyword table EUREPOC_RULES.
- CFR's tracker has one `Response` cell per operation: a keyword and usually a link ("Sanctions   https://...").
  CFR does not name who responded, so the responder is "" (the link often shows it, but we do not guess); the
  target is the operation's sponsor.
- DCID 2.0 (update sheet) codes the foreign-policy interactions of the dyad after each incident in flag columns
  (DCID_COLUMNS). It does not say which of the two states acted; we read them, as DCID's design suggests, as the
  targeted state's responses to the initiator. The public sheet has no such columns and gives no responses.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dashboard.ingest import dcid
from dashboard.ingest.event_lists import aligned, count_of, first_url, parse_date, present
from dashboard.ingest.normalise import map_keyword, resolve_country
from dashboard.ingest.value_tables import key

KINDS = ("statement", "demarche", "sanctions", "indictment", "expulsion", "other")
KIND_NAMES: dict[str, str] = dict(
    zip(KINDS, ("Statement", "Démarche", "Sanctions", "Indictment", "Expulsion", "Other"), strict=True)
)
LAYERS = ("political", "legal")


@dataclass(frozen=True)
class Response:
    """One response to an incident.

    responder: the responding state or organisation as the source names it ("" when the source does not say);
    responder_country: its ISO3 ("" when none, or when it is a region); responder_region: the region when the
    source names one instead of a state ("EU (region)"); kind: one of KINDS; source_kind: the source's own label,
    verbatim; target: ISO3 of the state the response is aimed at, several joined by "; " ("" when the source does
    not say); link: a URL when the source gives one; layer: "political" or "legal".
    """

    date: dt.date | None
    responder: str
    responder_country: str
    responder_region: str
    kind: str
    source_kind: str
    target: str
    link: str
    layer: str

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


# ---------------------------------------------------------------------------------------------------------------
# EuRepoC
# ---------------------------------------------------------------------------------------------------------------

# Keyword -> kind, tried in order on the subcode, then on the type (folded to lower-case ASCII, so "Démarche"
# matches "demarche"); the first keyword contained wins, and a label with none of them is "other".
# The labels found in EuRepoC 1.1 that no rule catches, all "other" on purpose: Awareness raising (advisories),
# Capacity building in third countries, Confidence and security-building Dialogues, Parliamentary investigation
# committee, Legislative initiative, Resignation, Removal from office, Proclamation of public emergency (national
# level), No justification under IL, and the bare types ("State Actors: Stabilizing measures", "N", ...).
EUREPOC_RULES: tuple[tuple[str, str], ...] = (
    # "Statement by head of state/head of government", "... by minister of foreign affairs", "... by other
    # ministers/members of parliament", "... by secretary-general or similar", "Statements by foreign ministers"
    ("statement", "statement"),
    # "Declaration of HR": a declaration of the EU High Representative (on behalf of the Union), a statement
    ("declaration", "statement"),
    # "Economic sanctions" (legal layer, type "Peaceful means: Retorsion (International Law)")
    ("sanction", "sanctions"),
    # an embargo is a sanction (not in 1.1; kept for later releases)
    ("embargo", "sanctions"),
    # indictments and criminal charges (not in 1.1, whose prosecutions hide in the catch-all type below)
    ("indictment", "indictment"),
    ("criminal charge", "indictment"),
    # Must come before "arrest": the legal type "Other legal measures on national level (e.g. law enforcement
    # investigations, arrests)" is EuRepoC's catch-all for national legal steps (an FBI or prosecutor's
    # investigation, a lawsuit by activists, a cyber agency's inquiry); it does not say that anyone was charged,
    # so it is "other", not an indictment.
    ("law enforcement investigations", "other"),
    # an arrest of the perpetrators is the start of criminal proceedings
    ("arrest", "indictment"),
    # expulsion of diplomats
    ("expulsion", "expulsion"),
    ("expel", "expulsion"),
    # "Severance of diplomatic relations" (Albania/Iran 2022): breaking relations sends the other state's diplomats
    # home (Albania gave Iran's embassy staff 24 hours to leave), the strongest form of an expulsion
    ("severance of diplomatic relations", "expulsion"),
    # summoning an ambassador, a formal démarche, "Diplomatic protest notes"
    ("summon", "demarche"),
    ("demarche", "demarche"),
    ("diplomatic protest", "demarche"),
    ("protest note", "demarche"),
)

EUREPOC_COLUMNS = ("date", "type", "subcode", "country", "actor")


def eurepoc_kind(response_type: str, subcode: str) -> str:
    """Our kind for an EuRepoC response label: the subcode decides, else the type, else "other"."""
    for label in (subcode, response_type):
        if label and (kind := map_keyword(label, EUREPOC_RULES)):
            return kind
    return "other"


def _source_label(response_type: str, subcode: str) -> str:
    return " / ".join(part for part in (response_type, subcode) if part)


def _responder(name: str) -> tuple[str, str]:
    """(ISO3, region) of a state or region name in any spelling; ("", "") when it is neither."""
    match = resolve_country(name) if name else None
    if match is None:
        return "", ""
    return match.iso3 or "", "" if match.iso3 else match.region or ""


def eurepoc_responses(row: Mapping[str, str]) -> list[Response]:
    """The political and legal responses of one EuRepoC row.

    An item is a response when it says who responded (a country or an actor) and what was done or when (a type,
    a subcode or a date). This skips the empty items and the stray cells of rows that count no responses (a lone
    "Russia", a lone "No justification under IL"), but keeps uncounted items that name both (1.1 has a few).
    The responder is the country column as written ("United States", "EU (region)"), or the actor when the
    country is missing. EuRepoC does not say at whom a response was aimed (target "") and gives no link per
    response.
    """
    events: list[Response] = []
    for layer in LAYERS:
        columns = {
            "date": f"{layer}_response_date",
            "type": f"{layer}_response_type",
            "subcode": f"{layer}_response_type_subcode",
            "country": f"{layer}_response_country",
            "actor": f"{layer}_response_actor",
        }
        count = count_of(row.get(f"number_of_{layer}_responses", ""))
        for item in aligned(row, columns, count):
            who = item["country"] or item["actor"]
            if not who or not (item["type"] or item["subcode"] or item["date"]):
                continue
            iso3, region = _responder(item["country"])
            events.append(
                Response(
                    date=parse_date(item["date"]),
                    responder=who,
                    responder_country=iso3,
                    responder_region=region,
                    kind=eurepoc_kind(item["type"], item["subcode"]),
                    source_kind=_source_label(item["type"], item["subcode"]),
                    target="",
                    link="",
                    layer=layer,
                )
            )
    return events


# ---------------------------------------------------------------------------------------------------------------
# CFR Cyber Operations Tracker
# ---------------------------------------------------------------------------------------------------------------

# CFR's Response keyword -> kind (matched case-insensitively on the words before the link).
CFR_KINDS: dict[str, str] = {
    "denouncement": "statement",  # a government publicly condemned the operation
    "criminal charges": "indictment",
    "sanctions": "sanctions",
    "hack back": "other",  # a counter-operation by the victim's state (2 rows, both Israel against Iran/Hamas)
}

# CFR keywords that are not responses to the operation by others, with why; such a cell gives no event.
CFR_NOT_RESPONSES: dict[str, str] = {
    # The accused denying it (NSO Group on Ghana), or the victim denying harm ("Indonesia says no evidence",
    # Ukraine's MoD on its artillery losses): not a measure against the operation; as a "statement" it would show
    # the sponsor responding to its own operation.
    "denial": "the sponsor's or the victim's denial, not a measure against the operation",
    # The victim or its agency confirming that the operation happened (CERT-UA, a CISA alert): a disclosure of the
    # incident, which belongs with detection and attribution, not a response to the sponsor.
    "confirmation": "the victim's confirmation of the incident (a disclosure), not a response",
    "unknown": "CFR does not know of a response",
}


def _cfr_keyword(cell: str) -> tuple[str, str]:
    """(keyword as written, link) of a CFR Response cell: the words before the first http(s) address."""
    text = cell.strip()
    words = text.split()
    link = html.unescape(first_url(words))  # CFR's export writes "&" in addresses as "&amp;"
    head = re.split(r"https?://", text, maxsplit=1)[0]
    return " ".join(head.split()), link


def _states(value: str) -> str:
    """ISO3 codes of a comma-joined list of state names, "; "-joined; "" when any part is not a state (the
    misaligned rows hold victim categories or incident types in `Sponsor`)."""
    codes = []
    for name in value.split(","):
        if not (name := present(name)):
            continue
        iso3 = resolve_country(name).iso3
        if not iso3:
            return ""
        codes.append(iso3)
    return "; ".join(dict.fromkeys(codes))


def cfr_responses(row: Mapping[str, str]) -> list[Response]:
    """The response of one CFR row (at most one). CFR names no responder (responder "") and does not date the
    response (its `Date` is the operation's), so date is None; the target is the sponsor state(s)."""
    keyword, link = _cfr_keyword(str(row.get("Response") or ""))
    kind = CFR_KINDS.get(keyword.casefold())
    if kind is None:  # empty, Unknown, Denial, Confirmation, or a misaligned cell ("Pakistan", a victim's name)
        return []
    return [
        Response(
            date=None,
            responder="",
            responder_country="",
            responder_region="",
            kind=kind,
            source_kind=keyword,
            target=_states(str(row.get("Sponsor") or "")),
            link=link,
            layer="political",
        )
    ]


# ---------------------------------------------------------------------------------------------------------------
# DCID 2.0
# ---------------------------------------------------------------------------------------------------------------

# The update sheet's conflictual ("-") foreign-policy columns -> kind. A column is present when its value is not
# 0 or blank. DCID writes a weight there, apparently the Goldstein conflict-cooperation score plus 10 (2 = impose
# embargo or sanctions, -8.0; 2.8 = military demonstration, -7.2; 4.4 = reduce or stop aid, -5.6; 0.1 for a
# military engagement, -10, kept above 0); only zero versus non-zero is read. DCID codes these interactions for
# its "No Cyber" padding rows too (as a baseline), and they have no direction: they are the dyad's moves in the
# period, read here as the target's response to the incident.
# Left out: the cooperative ("+") columns (negotiation, agreements, economic and military cooperation and aid),
# which are not responses to an operation, and the per-domain sums and counts (Diplo_/Econ_/Mil_Negative and
# _Positive, Conv_escalation, Conv_descalation), which only total the flags below.
DCID_COLUMNS: dict[str, str] = {
    "Ddeny/reject-": "statement",  # a diplomatic denial or rejection, made in words
    "Dthreat/demand-": "demarche",  # a diplomatic threat or demand: what a démarche delivers
    "Eemb/sanc-": "sanctions",  # an embargo or sanctions
    "Ereduce-": "other",  # reduced or stopped economic relations or aid (not said to be sanctions)
    "Ethreat-": "other",  # an economic threat
    "Mthreat-": "other",  # a military threat
    "Mdisplay-": "other",  # a show of force
    "Musage-": "other",  # use of military force
    "Cyber_escalation": "other",  # 0/1: the cyber conflict escalated after the incident (a cyber response)
}


def _dcid_padding(row: Mapping[str, object]) -> bool:
    """A row with every code 0 or blank ("No Cyber"): no incident (as dcid.padding, for one row)."""
    return all(key(row.get(c, "")) in {"", "0", "nan"} for c in dcid.CODE_COLUMNS if c in row)


def _flag(value: object) -> bool:
    try:
        return float(key(value) or 0) != 0
    except ValueError:
        return False


def _dcid_parties(row: Mapping[str, object]) -> tuple[str, str, str]:
    """(responder's name as DCID writes it, responder's ISO3, initiator's ISO3)."""
    cow = dcid.cow_to_iso3()
    dyad, initiator = key(row.get("Dyadpair", "")), key(row.get("initiator", ""))
    targeted = dcid.other_state(dyad, initiator)
    if targeted not in cow:  # initiator not in the dyad: DCID's own `target` column, when it names another state
        written = key(row.get("target", ""))
        targeted = written if written in cow and written != initiator else ""
    name = ""
    if targeted and dyad == targeted + initiator:
        name = str(row.get("StateA", "")).strip()
    elif targeted and dyad == initiator + targeted:
        name = str(row.get("StateB", "")).strip()
    iso3 = cow.get(targeted, "")
    return name or iso3, iso3, cow.get(initiator, "")


def dcid_responses(row: Mapping[str, object]) -> list[Response]:
    """The targeted state's responses to the initiator in one DCID row: one event per DCID_COLUMNS flag set.
    DCID does not date them (interactionstartdate is the incident's) and gives no links."""
    if _dcid_padding(row) or not any(c in row for c in DCID_COLUMNS):
        return []
    responder, iso3, initiator = _dcid_parties(row)
    return [
        Response(
            date=None,
            responder=responder,
            responder_country=iso3,
            responder_region="",
            kind=kind,
            source_kind=column,
            target=initiator,
            link="",
            layer="political",
        )
        for column, kind in DCID_COLUMNS.items()
        if _flag(row.get(column, ""))
    ]


PARSERS: dict[str, Callable[[Mapping], list[Response]]] = {
    "eurepoc": eurepoc_responses,
    "cfr": cfr_responses,
    "dcid": dcid_responses,
}


def responses_of(preset_name: str, row: Mapping) -> list[Response]:
    """The responses in one row of an export read with the named preset ("eurepoc", "cfr" or "dcid")."""
    try:
        parse = PARSERS[preset_name]
    except KeyError:
        raise ValueError(f"no responses are read from {preset_name!r} rows; known: {', '.join(PARSERS)}") from None
    return parse(row)

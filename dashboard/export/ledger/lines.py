"""The lines of the norm-evidence ledger, as the page, the PDF and the CSV show them: one frame per section with
display columns, every line with its source (a link, or NO_LINK when the record has none)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from dashboard.core.tlp import TLP_LABELS
from dashboard.ingest.attributions import KINDS as ATTRIBUTOR_KINDS
from dashboard.ingest.norm_rules import rule_label
from dashboard.ingest.responses import KIND_NAMES as RESPONSE_KINDS
from dashboard.present.labels import NORM_ASSERTED, STATUS_NAMES, TRACK_NAMES, TYPE_NAMES, severity_label
from dashboard.read.ledger import Ledger, as_date, country_names, item_titles

NO_LINK = "no link in the source"
URL = re.compile(r"https?://[^\s'\"<>;,\[\]]+", re.IGNORECASE)
BY_RULE = "(link to the norm inferred by rule)"  # after an event's incident when only a rule links it
FRAMEWORK_SHORT = {"un-norms": "UN norm", "osce-cbms": "OSCE CBM", "arf-measures": "ARF measure"}

# The sections, in the order of the page, the PDF and the CSV: key -> heading.
SECTIONS = {
    "assessments": "The state's own assessments",
    "asserted": "Incidents a source links to the norm",
    "inferred": "Incidents linked by an import rule only (inferred, not asserted by the source)",
    "attributions": "Attributions of these incidents",
    "responses": "Responses to these incidents",
}
# The display columns of each section (the last is always "Source").
COLUMNS = {
    "assessments": ["Date", "Round", "Status", "Assessor", "Track", "Source"],
    "asserted": ["Date", "Incident", "Role", "Other side", "Severity", "Source"],
    "inferred": ["Date", "Incident", "Role", "Other side", "Rule", "Source"],
    "attributions": ["Date", "Incident", "Attributed by", "Attributed to", "Confidence", "Source"],
    "responses": ["Date", "Incident", "Responder", "Response", "Target", "Source"],
}
ROLE_NAMES = {
    "initiator": "Suspected initiator",
    "target": "Target",
    "initiator and target": "Initiator and target",
}
# The CSV: every line of every section, with its source links whole.
CSV_COLUMNS = [
    "section",
    "date",
    "state",
    "state_name",
    "item_id",
    "item_title",
    "incident_id",
    "incident",
    "state_role",
    "other_side",
    "what",
    "detail",
    "how_linked",
    "confidence",
    "source",
    "tlp",
]


def item_label(item_id: str) -> str:
    """'UN norm f: Do not conduct or support ICT activity that damages critical infrastructure'."""
    info = item_titles().get(item_id)
    if info is None:
        return item_id
    return f"{FRAMEWORK_SHORT.get(info['framework_id'], info['framework_id'])} {info['code']}: {info['title']}"


@dataclass(frozen=True)
class LedgerLines:
    """The sections of one ledger as display frames (each line keeps its incident id, date, marking and the whole
    list of its links in hidden columns `_incident`, `_date`, `_tlp` and `_links`)."""

    ledger: Ledger
    state_name: str
    item_label: str
    sections: dict[str, pd.DataFrame]

    @property
    def marking(self) -> str | None:
        """The strictest marking of any line."""
        return self.ledger.marking

    def counts(self) -> dict[str, int]:
        """Lines per section."""
        return {key: len(frame) for key, frame in self.sections.items()}

    def shown(self, key: str) -> pd.DataFrame:
        """A section's display columns only."""
        return self.sections[key][COLUMNS[key]]


def _date(value: object) -> str:
    day = as_date(value)
    return day.isoformat() if day else "undated"


def _names(codes: str, names: dict[str, str]) -> str:
    return ", ".join(names.get(c, c) for c in str(codes or "").split("; ") if c)


def _source(*candidates: object) -> tuple[str, list[str]]:
    """The link shown on a line (or NO_LINK) and every link of the record."""
    links: list[str] = []
    for candidate in candidates:
        for value in candidate if isinstance(candidate, list | tuple) else [candidate]:
            for link in URL.findall(str(value or "")):  # a cell may hold several ("['https://a', 'https://b']")
                if link not in links:
                    links.append(link)
    return (links[0] if links else NO_LINK), links


def _frame(rows: list[dict[str, object]], key: str) -> pd.DataFrame:
    hidden = ["_incident", "_date", "_tlp", "_links", "_what", "_detail", "_how", "_confidence", "_rule"]
    return pd.DataFrame(rows, columns=[*COLUMNS[key], *hidden])


def _assessments(ledger: Ledger) -> pd.DataFrame:
    rows = []
    for r in ledger.assessments.itertuples(index=False):
        source, links = _source(r.evidence_url)
        status = STATUS_NAMES.get(r.status, r.status)
        rows.append(
            {
                "Date": _date(r.assessed_on),
                "Round": r.round_label or "",
                "Status": status,
                "Assessor": r.assessor or "",
                "Track": TRACK_NAMES.get(r.track, r.track),
                "Source": source,
                "_incident": None,
                "_date": as_date(r.assessed_on),
                "_tlp": r.tlp,
                "_links": links,
                "_what": status,
                "_detail": "; ".join(p for p in (r.round_label, r.assessor, r.note) if p),
                "_how": "",
                "_confidence": "",
            }
        )
    return _frame(rows, "assessments")


def _incidents(frame: pd.DataFrame, key: str, names: dict[str, str]) -> pd.DataFrame:
    rows = []
    for r in frame.itertuples(index=False):
        source, links = _source(list(r.source_urls))
        how = NORM_ASSERTED if not r.inferred else rule_label(r.basis)
        kind = TYPE_NAMES.get(r.incident_type, r.incident_type)
        row = {
            "Date": _date(r.start_date),
            "Incident": r.title,
            "Role": ROLE_NAMES.get(r.role, r.role),
            "Other side": _names(r.counterparts, names) or "not named",
            "Source": source,
            "_incident": int(r.incident_id),
            "_date": as_date(r.start_date),
            "_tlp": r.tlp,
            "_links": links,
            "_what": f"{kind}; severity {severity_label(r.severity)}",
            "_detail": r.source_key,
            "_how": how,
            "_confidence": r.confidence if r.confidence != "unknown" else "",
            "_rule": r.basis if r.inferred else "",
        }
        if key == "asserted":
            row["Severity"] = severity_label(r.severity)
        else:
            row["Rule"] = how
        rows.append(row)
    return _frame(rows, key)


def _attributions(ledger: Ledger, names: dict[str, str]) -> pd.DataFrame:
    rows = []
    for r in ledger.attributions.itertuples(index=False):
        source, links = _source(r.source, list(r.sources))
        by = r.attributor or names.get(r.attributor_country, "") or ATTRIBUTOR_KINDS.get(r.kind, r.kind)
        if r.attributor and r.attributor_country and names.get(r.attributor_country, "") not in r.attributor:
            by = f"{r.attributor} ({names.get(r.attributor_country, r.attributor_country)})"
        to = r.attributed or ""
        state = names.get(r.attributed_country, r.attributed_country)
        if state and state not in to:
            to = f"{to} ({state})" if to else state
        rows.append(
            {
                "Date": _date(r.date),
                "Incident": r.incident,
                "Attributed by": by,
                "Attributed to": to or "not named",
                "Confidence": r.confidence,
                "Source": source,
                "_incident": int(r.incident_id),
                "_date": as_date(r.date),
                "_tlp": r.tlp,
                "_links": links,
                "_what": f"attributed to {to or 'not named'} by {by}",
                "_detail": "; ".join(p for p in (ATTRIBUTOR_KINDS.get(r.kind, r.kind), r.basis) if p),
                "_how": "",
                "_confidence": r.confidence,
            }
        )
    return _frame(rows, "attributions")


def _responses(ledger: Ledger, names: dict[str, str]) -> pd.DataFrame:
    rows = []
    for r in ledger.responses.itertuples(index=False):
        source, links = _source(r.link)
        responder = names.get(r.responder_country, "") or r.responder_region or r.responder or "not named"
        kind = RESPONSE_KINDS.get(r.kind, r.kind)
        rows.append(
            {
                "Date": _date(r.date),
                "Incident": r.incident,
                "Responder": responder,
                "Response": f"{kind} ({r.layer})" if r.layer else kind,
                "Target": _names(r.target, names) or "not stated",
                "Source": source,
                "_incident": int(r.incident_id),
                "_date": as_date(r.date),
                "_tlp": r.tlp,
                "_links": links,
                "_what": kind,
                "_detail": "; ".join(p for p in (r.source_kind, r.responder) if p),
                "_how": "",
                "_confidence": "",
            }
        )
    return _frame(rows, "responses")


def ledger_lines(ledger: Ledger) -> LedgerLines:
    """The display sections of a ledger (read.ledger.norm_ledger)."""
    names = country_names()
    sections = {
        "assessments": _assessments(ledger),
        "asserted": _incidents(ledger.asserted(), "asserted", names),
        "inferred": _incidents(ledger.inferred(), "inferred", names),
        "attributions": _attributions(ledger, names),
        "responses": _responses(ledger, names),
    }
    # An event of an incident linked by a rule only says so, on the page, in the PDF and in the CSV.
    how = {
        int(i): h for key in ("asserted", "inferred") for i, h in zip(sections[key]["_incident"], sections[key]["_how"])
    }
    by_rule = set(sections["inferred"]["_incident"].astype(int))
    for key in ("attributions", "responses"):
        frame = sections[key]
        ids = frame["_incident"].astype(int)
        frame["_how"] = ids.map(how).fillna("")
        frame["Incident"] = [
            f"{title} {BY_RULE}" if i in by_rule else title for i, title in zip(ids, frame["Incident"], strict=True)
        ]
    return LedgerLines(ledger, names.get(ledger.iso3, ledger.iso3), item_label(ledger.item_id), sections)


CSV_SECTION_NAMES = {
    "assessments": "assessment",
    "asserted": "incident (asserted by the source)",
    "inferred": "incident (inferred by an import rule)",
    "attributions": "attribution",
    "responses": "response",
}


def ledger_frame(lines: LedgerLines) -> pd.DataFrame:
    """Every line of every section in one table (the CSV): sources whole, several joined with ' ; '."""
    out = []
    ledger = lines.ledger
    for key, frame in lines.sections.items():
        for r in frame.to_dict("records"):
            out.append(
                {
                    "section": CSV_SECTION_NAMES[key],
                    "date": r["_date"].isoformat() if isinstance(r["_date"], dt.date) else "",
                    "state": ledger.iso3,
                    "state_name": lines.state_name,
                    "item_id": ledger.item_id,
                    "item_title": lines.item_label,
                    "incident_id": r["_incident"] if r["_incident"] is not None else "",
                    "incident": r.get("Incident", ""),
                    "state_role": r.get("Role", ""),
                    "other_side": r.get("Other side", ""),
                    "what": r["_what"],
                    "detail": r["_detail"],
                    "how_linked": r["_how"],
                    "confidence": r["_confidence"],
                    "source": " ; ".join(r["_links"]) or NO_LINK,
                    "tlp": TLP_LABELS.get(r["_tlp"], r["_tlp"]),
                }
            )
    return pd.DataFrame(out, columns=CSV_COLUMNS)

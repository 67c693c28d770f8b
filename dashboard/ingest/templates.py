"""Our own upload templates: the columns of each layer, and conversion between list cells and file text."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    """One template column: name, whether it is required, whether it holds a list, and what it means."""

    name: str
    required: bool
    is_list: bool
    help: str


TEMPLATES: dict[str, tuple[Column, ...]] = {
    "incidents": (
        Column("source_id", False, False, "Identifier in the source (used to spot duplicates)"),
        Column("title", True, False, "Short title"),
        Column("description", False, False, "What happened"),
        Column("start_date", True, False, "YYYY-MM-DD"),
        Column("end_date", False, False, "YYYY-MM-DD, empty if ongoing or unknown"),
        Column(
            "incident_type",
            True,
            False,
            "Id from data/reference/incident_types.csv; several joined with '; ', the primary type first",
        ),
        Column("severity", False, False, "0-5, CISA NCISS level"),
        Column("target_countries", True, True, "ISO3 codes of the countries hit, '; '-separated"),
        Column("initiator_countries", False, True, "ISO3 codes of suspected initiator states"),
        Column("initiator_name", False, False, "Suspected actor or group"),
        Column("initiator_category", False, False, "state, state-affiliated, criminal, hacktivist, unknown, ..."),
        Column("sectors", False, True, "Sector ids from data/reference/sectors.csv"),
        Column("norms", False, True, "Framework item ids the incident implicates, e.g. un-norms:f (rules add others)"),
        Column("attribution_basis", False, False, "How the attribution was made"),
        Column("confidence", False, False, "low, medium, high or unknown"),
        Column("source_urls", False, True, "Source links"),
        Column("tlp", False, False, "clear, green, amber, amber+strict or red (default amber)"),
        Column("owner_org", False, False, "Organisation that supplied the row"),
    ),
    "norms": (
        Column("iso3", True, False, "ISO3 code of the assessed state"),
        Column("item_id", True, False, "Framework item id, e.g. un-norms:c, osce-cbms:8, arf-measures:poc"),
        Column("assessed_on", True, False, "YYYY-MM-DD"),
        Column("round_label", False, False, "Assessment round, e.g. '2026 round'"),
        Column("status", True, False, "implemented, in_progress, not_started, not_applicable or unknown"),
        Column("evidence_url", False, False, "Link to the evidence"),
        Column("assessor", False, False, "Who assessed it"),
        Column("tlp", False, False, "TLP marking (default amber)"),
        Column("owner_org", False, False, "Organisation that supplied the row"),
        Column("note", False, False, "Free text"),
    ),
    "partnerships": (
        Column("source_id", False, False, "Identifier in the source"),
        Column("name", True, False, "Name of the partnership, project or hotline"),
        Column("kind", True, False, "ppp, capacity-building, hotline, poc-network, mou or exercise"),
        Column("focus", False, False, "Thematic focus"),
        Column("description", False, False, "Free text"),
        Column("countries", True, True, "ISO3 codes of the countries involved (two for a hotline)"),
        Column("parties", False, True, "Parties as 'name|type|ISO3', type from data/reference/party_types.csv"),
        Column("start_date", False, False, "YYYY-MM-DD"),
        Column("end_date", False, False, "YYYY-MM-DD"),
        Column("status", True, False, "planned, active, ended or suspended"),
        Column("last_tested", False, False, "YYYY-MM-DD of the last test (hotlines, PoC networks)"),
        Column("funding_usd", False, False, "Funding in US dollars"),
        Column("funder", False, False, "Who funds it"),
        Column("url", False, False, "Link"),
        Column("tlp", False, False, "TLP marking (default amber)"),
        Column("owner_org", False, False, "Organisation that supplied the row"),
    ),
}


# The sheets of our incidents workbook after the first (dashboard/ingest/event_sheets.py): events joined to the
# incidents by source_id.
EVENT_TEMPLATES: dict[str, tuple[Column, ...]] = {
    "attributions": (
        Column("source_id", True, False, "source_id of the incident in the first sheet"),
        Column("date", False, False, "YYYY-MM-DD of the attribution"),
        Column("attributor", False, False, "Who attributed: an agency, a minister, a company, a research team"),
        Column("attributor_country", False, False, "ISO3 code or name of the attributor's state"),
        Column(
            "kind",
            True,
            False,
            "government, international, company, researcher, media, self, victim, third party, contested or unknown",
        ),
        Column("attributed", False, False, "The actor named (any alias: APT28, Fancy Bear ...)"),
        Column("attributed_country", False, False, "ISO3 code or name of the state held responsible"),
        Column("basis", False, False, "How: political statement, indictment, sanctions, technical report, media ..."),
        Column("link", False, False, "Link to the attribution"),
    ),
    "responses": (
        Column("source_id", True, False, "source_id of the incident in the first sheet"),
        Column("date", False, False, "YYYY-MM-DD of the response"),
        Column("responder", False, False, "Who responded, as named (a ministry, the Council of the EU ...)"),
        Column("responder_country", False, False, "ISO3 code or name of the responding state, or a region (EU)"),
        Column("kind", True, False, "statement, demarche, sanctions, indictment, expulsion or other"),
        Column("target", False, True, "ISO3 codes or names of the states the response is aimed at, '; '-separated"),
        Column("link", False, False, "Link to the response"),
        Column("layer", False, False, "political (default) or legal"),
    ),
}


def column_names(layer: str) -> list[str]:
    """Template column names of a layer, in order."""
    return [c.name for c in TEMPLATES[layer]]


def _join(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    items = []
    for item in value:  # type: ignore[union-attr]
        items.append("|".join("" if p is None else str(p) for p in item) if isinstance(item, tuple) else str(item))
    return LIST_SEPARATOR.join(items)


def to_template_frame(layer: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical rows (list cells as lists) as template text columns, plus `track` when the frame has it."""
    out = pd.DataFrame(index=frame.index)
    if "track" in frame.columns:
        out["track"] = frame["track"]
    for col in TEMPLATES[layer]:
        values = frame[col.name] if col.name in frame.columns else pd.Series("", index=frame.index)
        out[col.name] = values.map(_join) if col.is_list else values
    return out


def incidents_workbook(directory: Path) -> bytes:
    """Our incidents workbook: the incidents template as the first sheet, then the attributions and responses
    sheets (EVENT_TEMPLATES), each with the example rows of its CSV in `directory` (data/templates)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        for name in ("incidents", *EVENT_TEMPLATES):
            frame = pd.read_csv(directory / f"{name}.csv", dtype=str, keep_default_na=False)
            frame.to_excel(book, sheet_name=name, index=False)
    return buffer.getvalue()

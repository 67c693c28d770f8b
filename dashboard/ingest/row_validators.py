"""The row-by-row validators of the small layers: norm assessments and partnerships."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from dashboard.core.vocabulary import labels, load, track_members
from dashboard.ingest.cells import TEXT_LIMIT, TITLE_LIMIT, FieldMap, countries, tlp, urls, vocab
from dashboard.ingest.issues import Destination, RowCheck, Validated
from dashboard.ingest.normalise import _fold, is_missing, resolve_country, split_list, vocabulary_ids
from dashboard.ingest.presets import Preset


def _row_by_row(frame: pd.DataFrame, mapping: FieldMap, check: Callable[[RowCheck], dict[str, Any]]) -> Validated:
    """Run `check` on every row (file row numbers start at 2, after the header) and collect rows and issues."""
    out, issues = [], []
    for index, source in enumerate(frame.to_dict("records")):
        row = RowCheck(index + 2, source, mapping)
        out.append(check(row))
        issues += row.issues
    return Validated(pd.DataFrame(out), issues, len(frame))


def validate_norms(frame: pd.DataFrame, preset: Preset, mapping: FieldMap, to: Destination) -> Validated:
    """Check and normalise norm-assessment rows."""
    items = {r["id"]: r for r in load("framework_items.csv")}
    frameworks = {f["id"]: f["tracks"].split(";") for f in load("frameworks.csv")}
    statuses = vocabulary_ids("norm_statuses.csv")
    status_names = labels("norm_statuses.csv")
    members = set(track_members().get(to.track, []))

    def check(row: RowCheck) -> dict[str, Any]:
        raw_country = row.raw("iso3")
        match = resolve_country(raw_country) if not is_missing(raw_country) else None
        if match is None:
            row.error("iso3", raw_country, "iso3 is required and is empty")
        elif match.iso3 is None:
            row.error("iso3", raw_country, f"unknown country '{raw_country}': use an ISO3 code")
        elif match.iso3 not in members:
            row.warn("iso3", raw_country, f"{match.iso3} is not a member of the chosen track")
        item = row.raw("item_id").strip()
        if item not in items:
            row.error(
                "item_id", item, "unknown framework item: use ids such as un-norms:c, osce-cbms:8, arf-measures:poc"
            )
        elif to.track not in frameworks[items[item]["framework_id"]]:
            row.warn("item_id", item, f"{items[item]['framework_id']} does not apply to the chosen track")
        status = vocab(row, "status", statuses, status_names, required=True)
        return {
            "row": row.number,
            "iso3": match.iso3 if match else None,
            "item_id": item,
            "assessed_on": row.date("assessed_on", preset.date_style, required=True),
            "round_label": row.text("round_label", 40),
            "status": status,
            "evidence_url": (urls(row, "evidence_url") or [""])[0],
            "assessor": row.text("assessor", 200),
            "tlp": tlp(row, to.default_tlp),
            "owner_org": row.text("owner_org", 120) or to.organisation,
            "note": row.text("note", TEXT_LIMIT),
        }

    return _row_by_row(frame, mapping, check)


def _parties(row: RowCheck, party_types: set[str], party_names: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """The parties cell: `name|type|ISO3` items; an unknown type is stored as government, with a warning."""
    parties = []
    for item in split_list(row.raw("parties")):
        name, _, rest = item.partition("|")
        ptype, _, iso3 = rest.partition("|")
        ptype = ptype.strip() or "government"
        if ptype not in party_types:
            ptype = {_fold(v): k for k, v in party_names.items()}.get(_fold(ptype), "")
            if not ptype:
                row.warn(
                    "parties",
                    item,
                    "party type not known (government, company, cert, ngo, academia, "
                    "international-organisation); stored as government",
                )
                ptype = "government"
        country = resolve_country(iso3).iso3 if iso3.strip() else None
        parties.append((name.strip()[:200], ptype, country))
    return parties


def _funding(row: RowCheck) -> float | None:
    """The funding in US dollars, None when empty; an error when it is not a positive number."""
    funding_raw = row.raw("funding_usd").replace(",", "").strip()
    funding = None
    if funding_raw and not is_missing(funding_raw):
        try:
            funding = float(funding_raw)
            if funding < 0 or not math.isfinite(funding):
                raise ValueError
        except ValueError:
            row.error("funding_usd", funding_raw, "funding_usd must be a positive number of US dollars")
    return funding


def validate_partnerships(frame: pd.DataFrame, preset: Preset, mapping: FieldMap, to: Destination) -> Validated:
    """Check and normalise partnership rows."""
    kinds, kind_names = vocabulary_ids("partnership_kinds.csv"), labels("partnership_kinds.csv")
    states, state_names = vocabulary_ids("partnership_statuses.csv"), labels("partnership_statuses.csv")
    party_types, party_names = vocabulary_ids("party_types.csv"), labels("party_types.csv")
    members = set(track_members().get(to.track, []))

    def check(row: RowCheck) -> dict[str, Any]:
        kind = vocab(row, "kind", kinds, kind_names, required=True)
        found = countries(row, "countries", required=True, free_text=False, track_set=members)
        if kind == "hotline" and len(found) != 2:
            row.error("countries", row.raw("countries"), "a hotline links exactly two countries")
        parties = _parties(row, party_types, party_names)
        start = row.date("start_date", preset.date_style, future=True)
        end = row.date("end_date", preset.date_style, future=True)
        if start and end and end < start:
            row.error("end_date", row.raw("end_date"), "end_date is before start_date")
        funding = _funding(row)
        return {
            "row": row.number,
            "source_id": row.text("source_id", 120),
            "name": row.text("name", TITLE_LIMIT, required=True),
            "kind": kind,
            "focus": row.text("focus", 200),
            "description": row.text("description", TEXT_LIMIT),
            "countries": found,
            "parties": parties,
            "start_date": start,
            "end_date": end,
            "status": vocab(row, "status", states, state_names, required=True),
            "last_tested": row.date("last_tested", preset.date_style),
            "funding_usd": funding,
            "funder": row.text("funder", 200),
            "url": (urls(row, "url") or [""])[0],
            "tlp": tlp(row, to.default_tlp),
            "owner_org": row.text("owner_org", 120) or to.organisation,
        }

    return _row_by_row(frame, mapping, check)

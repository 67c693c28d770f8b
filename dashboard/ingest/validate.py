"""Turn mapped source rows into canonical rows, with a row-by-row report of what is wrong.

Every problem is an Issue with the spreadsheet row number (the header is row 1), the column, the value and a
message a coordinator can act on. Errors keep a row out; warnings are stored with the row.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.tlp import TLP_ORDER
from dashboard.core.vocabulary import labels, load, read_rows, track_members
from dashboard.ingest.columnar import Columns, objects, spread
from dashboard.ingest.issues import RowCheck, Validated
from dashboard.ingest.normalise import (
    SECTOR_KEYWORDS,
    TYPE_KEYWORDS,
    _country_index,
    _fold,
    is_missing,
    map_keyword,
    plain_ascii,
    resolve_country,
    split_list,
    vocabulary_ids,
)
from dashboard.ingest.presets import Preset

TITLE_LIMIT, TEXT_LIMIT, URL_LIMIT = 500, 20_000, 2_000
CONFIDENCE = {"low", "medium", "high", "unknown"}


def _apply_mapping(frame: pd.DataFrame, mapping: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {fld: tuple(c for c in cols if c in frame.columns) for fld, cols in mapping.items()}


def _countries(row: RowCheck, fld: str, *, required: bool, free_text: bool, track_set: set[str] | None) -> list[str]:
    raw = row.raw(fld)
    names = _find_countries(raw) if free_text else _country_names(row, fld)
    found: list[str] = []
    regions: list[str] = []
    unknown: list[str] = []
    for name in names:
        if free_text:
            found.append(name)
            continue
        match = resolve_country(name)
        if match.iso3:
            found.append(match.iso3)
        elif match.region:
            regions.append(match.region)
        else:
            unknown.append(name)
    found = list(dict.fromkeys(found))
    if regions:
        row.warn(fld, raw, f"{', '.join(regions)}: a region or organisation, not a country; it is not stored as one")
    if unknown:
        message = f"unknown country {', '.join(repr(u) for u in unknown)}"
        if found or not required:
            row.warn(fld, raw, message + "; the other countries are stored")
        else:
            row.error(fld, raw, message + ": use an ISO3 code or a country name")
    if required and not found and not unknown:
        if regions:
            row.error(fld, raw, "names only regions, no country: at least one target country is needed")
        else:
            row.error(fld, raw, "no target country: at least one is needed")
    if track_set is not None and found and not set(found) & track_set:
        row.warn(fld, raw, "none of these countries is a member of the chosen track")
    return found


def _country_names(row: RowCheck, fld: str) -> list[str]:
    """Country names of a list cell. A comma splits only where the whole piece is not itself one name, so an ISO
    short form such as "Korea, Democratic People's Republic of" stays whole."""
    names: list[str] = []
    for item in row.items(fld):
        if resolve_country(item).iso3 or resolve_country(item).region or "," not in item:
            names.append(item)
        else:
            names += [p.strip() for p in item.split(",") if p.strip()]
    return names


@functools.lru_cache(maxsize=1)
def _country_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    index = {k: v for k, v in _country_index().items() if len(k) > 3}
    names = sorted(index, key=len, reverse=True)
    # not \b: a name may end in a full stop ("U.S. agencies")
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)"), index


@functools.lru_cache(maxsize=1)
def _demonym_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """Country adjectives ("Ukrainian"), capitalised as written, so that "polish" the verb is not Poland."""
    table = {plain_ascii(r["demonym"]): r["iso3"] for r in read_rows("demonyms.csv")}
    names = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")s?(?![\w-])"), table


def _find_countries(text: str) -> list[str]:
    """Countries named anywhere in free text (CFR's Victims column): by name ("Ukraine", "the U.S."), or by
    adjective ("Ukrainian power companies") where no name covers the words."""
    if is_missing(text):
        return []
    pattern, index = _country_pattern()
    plain = plain_ascii(text)
    folded = plain.lower()
    found = []
    for m in pattern.finditer(folded):
        found.append(index[m.group(1)])
        plain = plain[: m.start()] + " " * (m.end() - m.start()) + plain[m.end() :]  # "American Samoa" is not USA
    demonyms, by_demonym = _demonym_pattern()
    found += [by_demonym[m.group(1)] for m in demonyms.finditer(plain)]
    words = re.findall(r"[\w?'’.-]+", text)
    for i, word in enumerate(words):  # names with lost characters ("T??rkiye"): try the words around the '??'
        if "?" not in word:
            continue
        for start in range(max(0, i - 3), i + 1):
            for end in range(i + 1, min(len(words), i + 4) + 1):
                match = resolve_country(" ".join(words[start:end]))
                if match.iso3:
                    found.append(match.iso3)
    for token in re.findall(r"\b[A-Z]{3}\b", text):  # ISO3 codes written as such
        if resolve_country(token).iso3:
            found.append(resolve_country(token).iso3)
    return list(dict.fromkeys(found))


def _vocab(
    row: RowCheck,
    fld: str,
    ids: set[str],
    names: dict[str, str],
    *,
    keywords=None,
    required: bool,
    default: str | None = None,
) -> str | None:
    raw = row.raw(fld).strip()
    if raw in ids:
        return raw
    if is_missing(raw):
        if required and default is None:
            row.error(fld, raw, f"{fld} is required and is empty")
        return default
    if raw in ids:
        return raw
    by_name = {_fold(v): k for k, v in names.items()}
    if _fold(raw) in by_name:
        return by_name[_fold(raw)]
    if keywords:
        mapped = map_keyword(raw, keywords)
        if mapped:
            return mapped
        row.warn(fld, raw, f"'{raw}' is not a known {fld}; stored as 'other'")
        return "other"
    row.error(fld, raw, f"'{raw}' is not a known {fld}: use one of {', '.join(sorted(ids))}")
    return None


def _tlp(row: RowCheck, default_tlp: str) -> str:
    raw = row.raw("tlp").strip()
    if is_missing(raw):
        return default_tlp
    value = _fold(raw).removeprefix("tlp:").replace(" ", "").replace("white", "clear")
    if value in TLP_ORDER:
        return value
    row.error("tlp", raw, f"TLP '{raw}' is not one of {', '.join('TLP:' + t.upper() for t in TLP_ORDER)}")
    return default_tlp


def _urls(row: RowCheck, fld: str) -> list[str]:
    urls = []
    for item in row.items(fld, separators=(";", " ")):
        if re.match(r"https?://\S+$", item) and len(item) <= URL_LIMIT:
            urls.append(item)
        elif item:
            row.warn(fld, item, "not a web address (http:// or https://); left out")
    return list(dict.fromkeys(urls))


def _severity(row: RowCheck, preset: Preset) -> int | None:
    raw = row.raw("severity").strip()
    if is_missing(raw):
        return None
    try:
        number = float(raw)
    except ValueError:
        row.error("severity", raw, f"severity '{raw}' is not a number from 0 to 5")
        return None
    if math.isnan(number):
        return None
    if preset.name == "eurepoc":  # weighted cyber intensity: roughly 0-10; halved onto the 0-5 scale
        return int(min(5, max(0, round(number / 2))))
    if number != int(number) or not 0 <= number <= 5:
        row.error("severity", raw, f"severity {raw} is outside the scale 0 (baseline) to 5 (emergency)")
        return None
    return int(number)


def _derived_norms(itype: str | None, sectors: list[str], category: str) -> list[str]:
    critical = {s["id"] for s in load("sectors.csv") if s["critical_infrastructure"]}
    out = []
    if any(s in critical for s in sectors):
        out += ["un-norms:f", "un-norms:g"]
    if itype == "supply-chain":
        out.append("un-norms:i")
    if "non-state" in category.lower() or "criminal" in category.lower():
        out.append("un-norms:c")
    return out


def validate_incidents(
    frame: pd.DataFrame,
    preset: Preset,
    mapping: dict[str, tuple[str, ...]],
    *,
    track: str,
    default_tlp: str,
    organisation: str,
) -> Validated:
    """Check and normalise incident rows, a column at a time (see dashboard.ingest.columnar)."""
    mapping = _apply_mapping(frame, mapping)
    types, sectors_ids, items = (
        vocabulary_ids("incident_types.csv"),
        vocabulary_ids("sectors.csv"),
        vocabulary_ids("framework_items.csv"),
    )
    type_names, sector_names = labels("incident_types.csv"), labels("sectors.csv")
    sector_by_name = {_fold(v): k for k, v in sector_names.items()}
    members = set(track_members().get(track, []))
    free_text_targets = preset.name == "cfr"
    guess = preset.name != "template"  # our template takes ids or names, never guesses
    cols = Columns(frame, mapping, RowCheck)

    def sectors_rule(row: RowCheck) -> list[str]:
        found = []
        for label in row.items("sectors"):
            if label in sectors_ids:
                found.append(label)
                continue
            mapped = sector_by_name.get(_fold(label))
            if mapped is None and guess:
                mapped = map_keyword(label, SECTOR_KEYWORDS)
            if mapped:
                found.append(mapped)
            elif not guess:
                row.error("sectors", label, f"'{label}' is not a sector id from data/reference/sectors.csv")
            else:
                row.warn("sectors", label, f"sector '{label}' has no match in our sector list; left out")
        return list(dict.fromkeys(found))

    def norms_rule(row: RowCheck) -> list[str]:
        norms = [n for n in split_list(row.raw("norms")) if n]
        bad = [n for n in norms if n not in items]
        if bad:
            row.error("norms", ", ".join(bad), "unknown norm item ids (use ids such as un-norms:f)")
        return list(dict.fromkeys(n for n in norms if n in items))

    def confidence_rule(row: RowCheck) -> str:
        confidence = row.raw("confidence").strip().lower() or "unknown"
        if confidence not in CONFIDENCE:
            row.warn("confidence", confidence, "confidence must be low, medium, high or unknown; stored as unknown")
            confidence = "unknown"
        return confidence

    title = cols.text("title", TITLE_LIMIT, required=True)
    start, start_codes, start_values = cols.per_value(
        ("start_date",), lambda row: row.date("start_date", preset.date_style, required=True)
    )
    end, end_codes, end_values = cols.per_value(("end_date",), lambda row: row.date("end_date", preset.date_style))
    start_day = np.array([d.toordinal() if d else -1 for d in start_values], dtype=np.int64)[start_codes]
    end_day = np.array([d.toordinal() if d else -1 for d in end_values], dtype=np.int64)[end_codes]
    backwards = np.flatnonzero((start_day >= 0) & (end_day >= 0) & (end_day < start_day))
    end_raw = cols.source("end_date")
    for index in backwards.tolist():
        value = end_raw.iloc[index] if end_raw is not None else end[index]
        cols.add(index, "end_date", value, "end_date is before start_date; end date left out", "warning")
        end[index] = None
    itype, itype_codes, _ = cols.per_value(
        ("incident_type",),
        lambda row: _vocab(
            row,
            "incident_type",
            types,
            type_names,
            keywords=TYPE_KEYWORDS if guess else None,
            required=True,
            default="other" if guess else None,
        ),
    )
    targets, _, _ = cols.per_value(
        ("target_countries",),
        lambda row: _countries(row, "target_countries", required=True, free_text=free_text_targets, track_set=members),
    )
    initiators, _, _ = cols.per_value(
        ("initiator_countries",),
        lambda row: _countries(row, "initiator_countries", required=False, free_text=False, track_set=None),
    )
    sector_lists, sector_codes, sector_values = cols.per_value(("sectors",), sectors_rule)
    category = cols.text("initiator_category", 200)
    norms, norm_codes, norm_values = cols.per_value(("norms",), norms_rule)
    # Rows without norms get the norms their sectors, type and initiator imply (computed per combination).
    category_codes, category_values = pd.factorize(category)
    empty_norms = np.array([not v for v in norm_values], dtype=bool)[norm_codes] if len(norm_codes) else norm_codes
    if empty_norms.any():
        combo = (itype_codes * (len(sector_values) + 1) + sector_codes) * (len(category_values) + 1) + category_codes
        combo_codes, _ = pd.factorize(combo[empty_norms])
        _, first = np.unique(combo_codes, return_index=True)
        rows = np.flatnonzero(empty_norms)[first]
        derived = [
            list(dict.fromkeys(n for n in _derived_norms(itype[r], sector_lists[r], category.iloc[r]) if n in items))
            for r in rows.tolist()
        ]
        norms[empty_norms] = spread(derived, combo_codes)
    confidence, _, _ = cols.per_value(("confidence",), confidence_rule)
    owner = cols.text("owner_org", 120)
    owner = owner.where(owner != "", organisation)
    out = pd.DataFrame(
        {
            "row": cols.numbers,
            "source_id": cols.text("source_id", 120),
            "title": title,
            "description": cols.text("description", TEXT_LIMIT),
            "start_date": start,
            "end_date": end,
            "incident_type": itype,
            "severity": cols.per_value(("severity",), lambda row: _severity(row, preset))[0],
            "target_countries": targets,
            "initiator_countries": initiators,
            "initiator_name": cols.text("initiator_name", 200),
            "initiator_category": category,
            "sectors": sector_lists,
            "norms": norms,
            "attribution_basis": cols.text("attribution_basis", TEXT_LIMIT),
            "confidence": confidence,
            "source_urls": cols.urls("source_urls", lambda row: _urls(row, "source_urls"), URL_LIMIT),
            "tlp": cols.per_value(("tlp",), lambda row: _tlp(row, default_tlp))[0],
            "owner_org": owner,
            "original": (
                [{k: v for k, v in source.items() if v not in ("", None)} for source in frame.to_dict("records")]
                if guess
                else objects([{}] * len(frame))
            ),
        }
    )
    return Validated(out, cols.issues, len(frame))


def validate_norms(
    frame: pd.DataFrame,
    preset: Preset,
    mapping: dict[str, tuple[str, ...]],
    *,
    track: str,
    default_tlp: str,
    organisation: str,
) -> Validated:
    """Check and normalise norm-assessment rows."""
    mapping = _apply_mapping(frame, mapping)
    items = {r["id"]: r for r in load("framework_items.csv")}
    frameworks = {f["id"]: f["tracks"].split(";") for f in load("frameworks.csv")}
    statuses = vocabulary_ids("norm_statuses.csv")
    status_names = labels("norm_statuses.csv")
    members = set(track_members().get(track, []))
    out, issues = [], []
    for index, source in enumerate(frame.to_dict("records")):
        row = RowCheck(index + 2, source, mapping)
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
        elif track not in frameworks[items[item]["framework_id"]]:
            row.warn("item_id", item, f"{items[item]['framework_id']} does not apply to the chosen track")
        status = _vocab(row, "status", statuses, status_names, required=True)
        out.append(
            {
                "row": row.number,
                "iso3": match.iso3 if match else None,
                "item_id": item,
                "assessed_on": row.date("assessed_on", preset.date_style, required=True),
                "round_label": row.text("round_label", 40),
                "status": status,
                "evidence_url": (_urls(row, "evidence_url") or [""])[0],
                "assessor": row.text("assessor", 200),
                "tlp": _tlp(row, default_tlp),
                "owner_org": row.text("owner_org", 120) or organisation,
                "note": row.text("note", TEXT_LIMIT),
            }
        )
        issues += row.issues
    return Validated(pd.DataFrame(out), issues, len(frame))


def validate_partnerships(
    frame: pd.DataFrame,
    preset: Preset,
    mapping: dict[str, tuple[str, ...]],
    *,
    track: str,
    default_tlp: str,
    organisation: str,
) -> Validated:
    """Check and normalise partnership rows."""
    mapping = _apply_mapping(frame, mapping)
    kinds, kind_names = vocabulary_ids("partnership_kinds.csv"), labels("partnership_kinds.csv")
    states, state_names = vocabulary_ids("partnership_statuses.csv"), labels("partnership_statuses.csv")
    party_types, party_names = vocabulary_ids("party_types.csv"), labels("party_types.csv")
    members = set(track_members().get(track, []))
    out, issues = [], []
    for index, source in enumerate(frame.to_dict("records")):
        row = RowCheck(index + 2, source, mapping)
        kind = _vocab(row, "kind", kinds, kind_names, required=True)
        countries = _countries(row, "countries", required=True, free_text=False, track_set=members)
        if kind == "hotline" and len(countries) != 2:
            row.error("countries", row.raw("countries"), "a hotline links exactly two countries")
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
        start = row.date("start_date", preset.date_style, future=True)
        end = row.date("end_date", preset.date_style, future=True)
        if start and end and end < start:
            row.error("end_date", row.raw("end_date"), "end_date is before start_date")
        funding_raw = row.raw("funding_usd").replace(",", "").strip()
        funding = None
        if funding_raw and not is_missing(funding_raw):
            try:
                funding = float(funding_raw)
                if funding < 0 or math.isnan(funding):
                    raise ValueError
            except ValueError:
                row.error("funding_usd", funding_raw, "funding_usd must be a positive number of US dollars")
        out.append(
            {
                "row": row.number,
                "source_id": row.text("source_id", 120),
                "name": row.text("name", TITLE_LIMIT, required=True),
                "kind": kind,
                "focus": row.text("focus", 200),
                "description": row.text("description", TEXT_LIMIT),
                "countries": countries,
                "parties": parties,
                "start_date": start,
                "end_date": end,
                "status": _vocab(row, "status", states, state_names, required=True),
                "last_tested": row.date("last_tested", preset.date_style),
                "funding_usd": funding,
                "funder": row.text("funder", 200),
                "url": (_urls(row, "url") or [""])[0],
                "tlp": _tlp(row, default_tlp),
                "owner_org": row.text("owner_org", 120) or organisation,
            }
        )
        issues += row.issues
    return Validated(pd.DataFrame(out), issues, len(frame))


VALIDATORS: dict[str, Callable[..., Validated]] = {
    "incidents": validate_incidents,
    "norms": validate_norms,
    "partnerships": validate_partnerships,
}


def validate(
    layer: str, frame: pd.DataFrame, preset: Preset, mapping: dict[str, tuple[str, ...]], **kwargs: Any
) -> Validated:
    """Validate rows of a layer."""
    return VALIDATORS[layer](frame, preset, mapping, **kwargs)

"""Turn mapped source rows into canonical rows, with a row-by-row report of what is wrong.

Every problem is an Issue with the spreadsheet row number (the header is row 1), the column, the value and a
message a coordinator can act on. Errors keep a row out; warnings are stored with the row. Incidents are checked
a column at a time (see dashboard.ingest.columnar); norms and partnerships row by row (dashboard.ingest.row_validators).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.vocabulary import labels, load, read_rows, track_members
from dashboard.ingest.cells import (
    TEXT_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
    FieldMap,
    actor_names,
    actor_profile,
    apply_mapping,
    countries,
    tlp,
    urls,
    victim_countries,
    vocab,
)
from dashboard.ingest.columnar import Columns, objects, spread
from dashboard.ingest.issues import OUTSIDE, PROFILE, Destination, Issue, RowCheck, Validated
from dashboard.ingest.normalise import (
    SECTOR_KEYWORDS,
    TYPE_KEYWORDS,
    _fold,
    is_missing,
    map_keyword,
    split_list,
    vocabulary_ids,
)
from dashboard.ingest.presets import Preset
from dashboard.ingest.row_validators import validate_norms, validate_partnerships

CONFIDENCE = {"low", "medium", "high", "unknown"}


@functools.cache
def _intensity_bands() -> tuple[tuple[float, int], ...]:
    rows = read_rows("eurepoc_intensity.csv")
    return tuple(sorted((float(r["min_weighted_intensity"]), int(r["severity"])) for r in rows))


def eurepoc_severity(intensity: float) -> int:
    """Severity 0-5 of a EuRepoC weighted cyber intensity: the band of data/reference/eurepoc_intensity.csv (each
    band's reason is written there) whose lower bound is the highest not above the intensity."""
    return max((severity for low, severity in _intensity_bands() if low <= intensity), default=0)


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
    if preset.name == "eurepoc":  # weighted cyber intensity (0-10) onto 0-5 by the bands of the crosswalk file
        if number < 0:
            row.error("severity", raw, f"weighted cyber intensity {raw} is below 0")
            return None
        return eurepoc_severity(number)
    if number != int(number) or not 0 <= number <= 5:
        row.error("severity", raw, f"severity {raw} is outside the scale 0 (baseline) to 5 (emergency)")
        return None
    return int(number)


def _derived_norms(itype: str | None, sectors: list[str], category: str) -> list[str]:
    critical = {s["id"] for s in load("sectors.csv") if s["critical_infrastructure"]}
    out = []
    if any(s in critical for s in sectors):  # norm g (protect your own infrastructure) is never pinned on the victim
        out.append("un-norms:f")
    if itype == "supply-chain":
        out.append("un-norms:i")
    if "non-state" in category.lower() or "criminal" in category.lower():
        out.append("un-norms:c")
    return out


def _sectors(row: RowCheck, ids: set[str], by_name: dict[str, str], *, guess: bool) -> list[str]:
    """The sector ids of the row, by id or name (and, unless the file is our template, by keyword)."""
    found = []
    for label in row.items("sectors"):
        if label in ids:
            found.append(label)
            continue
        mapped = by_name.get(_fold(label))
        if mapped is None and guess:
            mapped = map_keyword(label, SECTOR_KEYWORDS)
        if mapped:
            found.append(mapped)
        elif not guess:
            row.error("sectors", label, f"'{label}' is not a sector id from data/reference/sectors.csv")
        else:
            row.warn("sectors", label, f"sector '{label}' has no match in our sector list; left out")
    return list(dict.fromkeys(found))


def _listed_norms(row: RowCheck, items: set[str]) -> list[str]:
    """The norm item ids the row lists; unknown ids are an error."""
    norms = [n for n in split_list(row.raw("norms")) if n]
    bad = [n for n in norms if n not in items]
    if bad:
        row.error("norms", ", ".join(bad), "unknown norm item ids (use ids such as un-norms:f)")
    return list(dict.fromkeys(n for n in norms if n in items))


def _confidence(row: RowCheck) -> str:
    """The confidence of the attribution; anything but low, medium or high is unknown."""
    confidence = row.raw("confidence").strip().lower() or "unknown"
    if confidence not in CONFIDENCE:
        row.warn("confidence", confidence, "confidence must be low, medium, high or unknown; stored as unknown")
        confidence = "unknown"
    return confidence


def _dates(cols: Columns, preset: Preset) -> tuple[np.ndarray, np.ndarray]:
    """Start and end dates; an end before the start is left out with a warning."""
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
    return start, end


def _implied_norms(
    norms: tuple[np.ndarray, np.ndarray, Any],
    itype: tuple[np.ndarray, np.ndarray],
    sectors: tuple[np.ndarray, np.ndarray, Any],
    category: pd.Series,
    items: set[str],
) -> np.ndarray:
    """The norms column, where rows without norms get those their sectors, type and initiator imply.

    norms, itype and sectors are columns as Columns.per_value returns them (values, codes[, distinct values]);
    the implied norms are computed once per combination of type, sectors and category.
    """
    values, norm_codes, norm_values = norms
    itype_values, itype_codes = itype
    sector_lists, sector_codes, sector_values = sectors
    category_codes, category_values = pd.factorize(category)
    empty_norms = np.array([not v for v in norm_values], dtype=bool)[norm_codes] if len(norm_codes) else norm_codes
    if empty_norms.any():
        combo = (itype_codes * (len(sector_values) + 1) + sector_codes) * (len(category_values) + 1) + category_codes
        combo_codes, _ = pd.factorize(combo[empty_norms])
        _, first = np.unique(combo_codes, return_index=True)
        rows = np.flatnonzero(empty_norms)[first]
        derived = []
        for r in rows.tolist():
            implied = _derived_norms(itype_values[r], sector_lists[r], category.iloc[r])
            derived.append(list(dict.fromkeys(n for n in implied if n in items)))
        values[empty_norms] = spread(derived, combo_codes)
    return values


def validate_incidents(frame: pd.DataFrame, preset: Preset, mapping: FieldMap, to: Destination) -> Validated:
    """Check and normalise incident rows, a column at a time (see dashboard.ingest.columnar)."""
    types, sectors_ids, items = (
        vocabulary_ids("incident_types.csv"),
        vocabulary_ids("sectors.csv"),
        vocabulary_ids("framework_items.csv"),
    )
    type_names, sector_names = labels("incident_types.csv"), labels("sectors.csv")
    sector_by_name = {_fold(v): k for k, v in sector_names.items()}
    members = set(track_members().get(to.track, []))
    free_text_targets = preset.name == "cfr"
    guess = preset.name != "template"  # our template takes ids or names, never guesses
    cols = Columns(frame, mapping, RowCheck)

    title = cols.text("title", TITLE_LIMIT, required=True)
    start, end = _dates(cols, preset)
    itype, itype_codes, _ = cols.per_value(
        ("incident_type",),
        lambda row: vocab(
            row,
            "incident_type",
            types,
            type_names,
            keywords=TYPE_KEYWORDS if guess else None,
            required=True,
            default="other" if guess else None,
        ),
    )
    inferred_from = None
    if free_text_targets:  # victims as free text (CFR): the title, then the description, when it names no country
        found, _, _ = cols.per_value(
            ("target_countries", "initiator_countries", "title", "description"), victim_countries
        )
        targets = objects([f[0] for f in found])
        inferred_from = [f[1] for f in found]
    else:
        targets, _, _ = cols.per_value(
            ("target_countries",),
            lambda row: countries(row, "target_countries", required=True, free_text=False, track_set=None),
        )
    initiators, _, _ = cols.per_value(
        ("initiator_countries",),
        lambda row: countries(row, "initiator_countries", required=False, free_text=False, track_set=None),
    )
    sectors = cols.per_value(("sectors",), lambda row: _sectors(row, sectors_ids, sector_by_name, guess=guess))
    category = cols.text("initiator_category", 200)
    listed = cols.per_value(("norms",), lambda row: _listed_norms(row, items))
    norms = _implied_norms(listed, (itype, itype_codes), sectors, category, items)
    confidence, _, _ = cols.per_value(("confidence",), _confidence)
    owner = cols.text("owner_org", 120)
    owner = owner.where(owner != "", to.organisation)
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
            "initiator_name": cols.per_value(("initiator_name",), actor_names)[0],
            "initiator_category": category,
            "sectors": sectors[0],
            "norms": norms,
            "attribution_basis": cols.text("attribution_basis", TEXT_LIMIT),
            "confidence": confidence,
            "source_urls": cols.urls("source_urls", lambda row: urls(row, "source_urls"), URL_LIMIT),
            "tlp": cols.per_value(("tlp",), lambda row: tlp(row, to.default_tlp))[0],
            "owner_org": owner,
            "original": _originals(frame, guess, inferred_from),
        }
    )
    if free_text_targets:  # CFR: rows that profile a threat actor are reported, not stored as incidents
        cols.per_value(("title", "description"), actor_profile)
    checked = Validated(out, cols.issues, len(frame))
    _report_outside(checked, members, to.track)
    return checked


def _originals(frame: pd.DataFrame, guess: bool, inferred_from: list[str] | None) -> Any:
    """The source values kept with each row (presets only); a country found in the title or description is noted
    there as `inferred: target_countries` -> the field it came from."""
    if not guess:
        return objects([{}] * len(frame))
    out = [{k: v for k, v in source.items() if v not in ("", None)} for source in frame.to_dict("records")]
    for kept, source in zip(out, inferred_from or (), strict=False):
        if source:
            kept["inferred: target_countries"] = source
    return out


def _report_outside(checked: Validated, members: set[str], track: str) -> None:
    """Rows none of whose target or initiator countries is a member of the track: a category of their own in the
    report (never stored into the track). Rows with errors are left to their errors."""
    errors, rows = checked.error_rows | checked.rows_at(PROFILE), checked.rows
    name = labels("tracks.csv").get(track, track)
    seen: dict[tuple[int, int], bool] = {}  # rows share the list objects of equal cells: decide each pair once
    for number, targets, initiators in zip(rows["row"], rows["target_countries"], rows["initiator_countries"]):
        key = (id(targets), id(initiators))
        outside = seen.get(key)
        if outside is None:
            outside = seen[key] = bool(targets) and not (set(targets) | set(initiators or ())) & members
        if outside and int(number) not in errors:
            involved = ", ".join(dict.fromkeys([*targets, *(initiators or ())]))
            checked.issues.append(
                Issue(int(number), "", involved, f"involves no member of {name} ({involved}): not stored", OUTSIDE)
            )


VALIDATORS: dict[str, Callable[[pd.DataFrame, Preset, FieldMap, Destination], Validated]] = {
    "incidents": validate_incidents,
    "norms": validate_norms,
    "partnerships": validate_partnerships,
}


def validate(layer: str, frame: pd.DataFrame, preset: Preset, mapping: FieldMap, **kwargs: Any) -> Validated:
    """Validate rows of a layer; kwargs are the Destination (track, default_tlp, organisation)."""
    return VALIDATORS[layer](frame, preset, apply_mapping(frame, mapping), Destination(**kwargs))

"""Turn mapped source rows into canonical rows, with a row-by-row report of what is wrong.

Every problem is an Issue with the spreadsheet row number (the header is row 1), the column, the value and a
message a coordinator can act on. Errors keep a row out; warnings are stored with the row. Incidents are checked
a column at a time (see dashboard.ingest.columnar); norms and partnerships row by row (dashboard.ingest.row_validators).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.vocabulary import labels, read_rows, track_members
from dashboard.ingest import norm_rules
from dashboard.ingest.attributions import ATTRIBUTING_PRESETS, attributions_of, incident_confidence
from dashboard.ingest.cells import (
    TEXT_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
    FieldMap,
    actor_names,
    actor_profile,
    apply_mapping,
    countries,
    incident_types,
    tlp,
    urls,
    victim_countries,
)
from dashboard.ingest.columnar import Columns, objects, spread
from dashboard.ingest.issues import OUTSIDE, PROFILE, Destination, Issue, RowCheck, Validated
from dashboard.ingest.normalise import (
    _fold,
    is_missing,
    split_list,
    vocabulary_ids,
)
from dashboard.ingest.presets import Preset
from dashboard.ingest.responses import responses_of
from dashboard.ingest.row_validators import validate_norms, validate_partnerships
from dashboard.ingest.sectors import note_unmatched, source_sectors, tally

CONFIDENCE = {"low", "medium", "high", "unknown"}
RESPONDING_PRESETS = frozenset({"eurepoc", "cfr"})
LOG = logging.getLogger(__name__)


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
    if math.isinf(number):  # 'inf', '-Infinity', or a number too large for a float ('1e999')
        what = "weighted cyber intensity" if preset.name == "eurepoc" else "severity"
        row.error("severity", raw, f"{what} '{raw}' is not a finite number")
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


def _sectors(
    row: RowCheck, ids: set[str], by_name: dict[str, str], source: str | None, unmatched: list[list[str]]
) -> list[str]:
    """The sector ids of the row. A tracker's labels (source: the preset) map through data/reference/
    sector_crosswalk.csv, and those that map to nothing are reported and kept (dashboard.ingest.sectors); our
    template (source None) takes ids or names, and anything else is an error."""
    if source is not None:
        found, missed = source_sectors(row, source, ids, by_name)
        unmatched.append(missed)  # per distinct value, in the order of Columns.per_value's codes
        return found
    unmatched.append([])
    found = []
    for label in row.items("sectors"):
        mapped = label if label in ids else by_name.get(_fold(label))
        if mapped:
            found.append(mapped)
        else:
            row.error("sectors", label, f"'{label}' is not a sector id from data/reference/sectors.csv")
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


def _inferred_norms(
    listed: tuple[np.ndarray, np.ndarray, Any],
    types: tuple[np.ndarray, np.ndarray],
    sectors: tuple[np.ndarray, np.ndarray, Any],
    category: pd.Series,
    initiators: np.ndarray,
    *,
    items: set[str],
) -> np.ndarray:
    """Per row, the (item id, rule id) links the named rules of dashboard.ingest.norm_rules infer, leaving out
    items the row's norms column already lists (those are asserted).

    listed, types and sectors are columns as Columns.per_value returns them (values, codes[, distinct values]);
    the rules run once per combination of listed norms, types, sectors, category and a named initiator country.
    """
    _, norm_codes, norm_values = listed
    type_values, type_codes = types
    sector_lists, sector_codes, sector_values = sectors
    n = len(type_codes)
    if not n:
        return np.empty(0, dtype=object)
    category_codes, category_values = pd.factorize(category)
    named = np.fromiter((bool(i) for i in initiators), dtype=np.int64, count=n)
    combo = (type_codes * (len(sector_values) + 1) + sector_codes) * (len(category_values) + 1) + category_codes
    combo, _ = pd.factorize(combo)
    combo = (combo * (len(norm_values) + 1) + norm_codes) * 2 + named
    combo_codes, _ = pd.factorize(combo)
    _, first = np.unique(combo_codes, return_index=True)
    inferred = []
    for r in first.tolist():
        asserted = set(norm_values[norm_codes[r]])
        links = norm_rules.inferred_norms(type_values[r], sector_lists[r], category.iloc[r], bool(named[r]))
        inferred.append([(item, rule) for item, rule in links if item in items and item not in asserted])
    return spread(inferred, combo_codes)


def validate_incidents(frame: pd.DataFrame, preset: Preset, mapping: FieldMap, to: Destination) -> Validated:
    """Check and normalise incident rows, a column at a time (see dashboard.ingest.columnar)."""
    types, sectors_ids, items = (
        vocabulary_ids("incident_types.csv"),
        vocabulary_ids("sectors.csv"),
        vocabulary_ids("framework_items.csv"),
    )
    type_names, sector_names = labels("incident_types.csv"), labels("sectors.csv")
    sector_by_name = {_fold(v): k for k, v in sector_names.items()}
    members = set(to.members) if to.members is not None else set(track_members().get(to.track, []))
    free_text_targets = preset.name == "cfr"
    guess = preset.name != "template"  # our template takes ids or names, never guesses
    cols = Columns(frame, mapping, RowCheck)

    title = cols.text("title", TITLE_LIMIT, required=True)
    start, end = _dates(cols, preset)
    _, type_codes, type_values = cols.per_value(
        ("incident_type",), lambda row: incident_types(row, types, type_names, guess=guess)
    )
    type_lists = [t[1] for t in type_values]  # every type of the cell; the primary first
    itype = objects([t[0] for t in type_values])[type_codes] if len(type_codes) else np.empty(0, dtype=object)
    all_types = spread(type_lists, type_codes)
    unidentified = to.store_unidentified
    inferred_from = None
    if free_text_targets:  # victims as free text (CFR): the title, then the description, when it names no country
        found, _, _ = cols.per_value(
            ("target_countries", "initiator_countries", "title", "description"),
            lambda row: victim_countries(row, unidentified=unidentified),
        )
        targets = objects([f[0] for f in found])
        inferred_from = [f[1] for f in found]
    else:  # a row without a target country is stored when its initiator country is named
        targets, _, _ = cols.per_value(
            ("target_countries", "initiator_countries"),
            lambda row: countries(
                row, "target_countries", required=True, free_text=False, track_set=None, unidentified=unidentified
            ),
        )
    initiators, _, _ = cols.per_value(
        ("initiator_countries",),
        lambda row: countries(row, "initiator_countries", required=False, free_text=False, track_set=None),
    )
    unmatched: list[list[str]] = []  # the sector labels of each distinct sectors value that map to none of ours
    source = preset.name if guess else None
    sectors = cols.per_value(("sectors",), lambda row: _sectors(row, sectors_ids, sector_by_name, source, unmatched))
    category = cols.text("initiator_category", 200)
    listed = cols.per_value(("norms",), lambda row: _listed_norms(row, items))
    inferred = _inferred_norms(listed, (all_types, type_codes), sectors, category, initiators, items=items)
    confidence, _, _ = cols.per_value(("confidence",), _confidence)
    records = _source_records(frame, preset)
    events = [attributions_of(preset.name, r) for r in records] if preset.name in ATTRIBUTING_PRESETS else None
    if events is not None:  # a tracker's own attribution records: the confidence follows from them, by the rule
        confidence = np.array([incident_confidence(e) or "unknown" for e in events], dtype=object)
    owner = cols.text("owner_org", 120)
    owner = owner.where(owner != "", to.organisation)
    out = pd.DataFrame(
        {
            "row": cols.numbers,
            "source_id": _source_ids(cols, preset, start),
            "title": title,
            "description": cols.text("description", TEXT_LIMIT),
            "start_date": start,
            "end_date": end,
            "incident_type": itype,
            "types": all_types,
            "severity": cols.per_value(("severity",), lambda row: _severity(row, preset))[0],
            "target_countries": targets,
            "initiator_countries": initiators,
            "initiator_name": cols.per_value(("initiator_name",), actor_names)[0],
            "initiator_category": category,
            "sectors": sectors[0],
            "norms": listed[0],
            "norms_inferred": inferred,
            "attribution_basis": cols.text("attribution_basis", TEXT_LIMIT),
            "confidence": confidence,
            "attributions": events if events is not None else [[] for _ in range(len(frame))],
            "responses": [responses_of(preset.name, r) for r in records]
            if preset.name in RESPONDING_PRESETS
            else [[] for _ in range(len(frame))],
            "source_urls": cols.urls("source_urls", lambda row: urls(row, "source_urls"), URL_LIMIT),
            "tlp": cols.per_value(("tlp",), lambda row: tlp(row, to.default_tlp))[0],
            "owner_org": owner,
            "original": note_unmatched(_originals(frame, guess, inferred_from), unmatched, sectors[1]),
        }
    )
    if free_text_targets:  # CFR: rows that profile a threat actor are reported, not stored as incidents
        cols.per_value(("title", "description"), actor_profile)
    checked = Validated(out, cols.issues, len(frame), unmatched_labels=tally(unmatched, sectors[1]))
    _report_outside(checked, members, to.track)
    return checked


def _source_records(frame: pd.DataFrame, preset: Preset) -> list[dict[str, str]]:
    """The source rows as text, for the trackers whose attribution and response columns are read as events
    (EuRepoC, CFR; dashboard/ingest/attributions.py and responses.py); none for other exports. DCID's response
    flags are not stored: they are set on padding rows too and do not say which state acted."""
    if preset.name not in ATTRIBUTING_PRESETS | RESPONDING_PRESETS:
        return []
    return frame.fillna("").astype(str).to_dict("records")


SOURCE_ID_LIMIT = 120


def _source_ids(cols: Columns, preset: Preset, start: np.ndarray) -> pd.Series:
    """Source ids: refused when too long in our template; a tracker's cut to the column's 120 characters. CFR's ids
    are its titles (it has no id column): where two rows share a title but not a date, each gets its date added,
    "<title, cut to 107> (YYYY-MM-DD)", so distinct operations keep distinct ids and true repeats stay repeats."""
    if preset.name == "template":
        return cols.text("source_id", SOURCE_ID_LIMIT)
    ids = cols.text("source_id", TEXT_LIMIT).str.slice(0, SOURCE_ID_LIMIT)
    if preset.name != "cfr" or not len(ids):
        return ids
    shared = ids.ne("") & ids.duplicated(keep=False)
    if shared.any():
        rows = ids[shared]
        days = pd.Series([d.isoformat() if d else "" for d in start[shared.to_numpy()]], index=rows.index, dtype="str")
        dated = days.groupby(rows).transform("nunique").gt(1) & days.ne("")
        ids[dated.index[dated]] = rows[dated].str.slice(0, SOURCE_ID_LIMIT - 13) + " (" + days[dated] + ")"
    return ids


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
    """Rows that name countries, none of them (targets or initiators) a member of the track: a category of their own
    in the report (never stored into the track). Rows with errors are left to their errors."""
    errors, rows = checked.error_rows | checked.rows_at(PROFILE), checked.rows
    name = labels("tracks.csv").get(track, track)
    seen: dict[tuple[int, int], bool] = {}  # rows share the list objects of equal cells: decide each pair once
    for number, targets, initiators in zip(rows["row"], rows["target_countries"], rows["initiator_countries"]):
        key = (id(targets), id(initiators))
        outside = seen.get(key)
        if outside is None:
            involved = set(targets) | set(initiators or ())
            outside = seen[key] = bool(involved) and not involved & members  # no country at all: not identified
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


class CheckFailed(ValueError):
    """A check stopped on something it did not foresee; the message says so plainly (the details go to the log)."""


def validate(layer: str, frame: pd.DataFrame, preset: Preset, mapping: FieldMap, **kwargs: Any) -> Validated:
    """Validate rows of a layer; kwargs are the Destination (track, default_tlp, organisation).

    A failure of a check itself (not a problem it reports) raises CheckFailed, which the upload turns into a
    refusal: never a traceback in the page, and nothing written."""
    try:
        return VALIDATORS[layer](frame, preset, apply_mapping(frame, mapping), Destination(**kwargs))
    except MemoryError:
        raise CheckFailed(
            "The file needs more memory to check than the server has free. Split it into smaller files."
        ) from None
    except Exception as exc:
        LOG.exception("the check of a %s upload failed", layer)
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise CheckFailed(
            f"The file could not be checked: a value stopped the check ({type(exc).__name__}{': ' if detail else ''}"
            f"{detail}). Nothing was written. Check the file for unusual values, or send it to an administrator "
            "(the details are in the server log)."
        ) from None

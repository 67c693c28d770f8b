"""Checks of single upload cells that every layer shares: vocabulary ids, TLP, web addresses and countries."""

from __future__ import annotations

import functools
import re

import pandas as pd

from dashboard.core.tlp import TLP_ORDER
from dashboard.core.vocabulary import read_rows
from dashboard.ingest.issues import INFERRED, PROFILE, UNIDENTIFIED, Issue, RowCheck
from dashboard.ingest.issues import short as short_text
from dashboard.ingest.normalise import (
    TYPE_KEYWORDS,
    _country_index,
    _fold,
    by_gravity,
    is_missing,
    map_keyword,
    neutral_text,
    plain_ascii,
    resolve_country,
    split_list,
)

TITLE_LIMIT, TEXT_LIMIT, URL_LIMIT = 500, 20_000, 2_000
FieldMap = dict[str, tuple[str, ...]]  # our field -> the file's columns that hold it


def apply_mapping(frame: pd.DataFrame, mapping: FieldMap) -> FieldMap:
    """The mapping with only the columns the frame has."""
    return {fld: tuple(c for c in cols if c in frame.columns) for fld, cols in mapping.items()}


def actor_names(row: RowCheck, fld: str = "initiator_name") -> str:
    """Actor names as a "; "-joined list, each kept whole with its aliases: list literals (EuRepoC's
    "['APT28/Fancy Bear/...']") are parsed, and "Not available", "Unknown" and the like are read as missing."""
    names: list[str] = []
    for column in row.mapping.get(fld, ()):
        for name in split_list(row.source.get(column, ""), separators=()):
            value, problem = neutral_text(name, TEXT_LIMIT)
            if problem:
                row.error(fld, name, f"{fld} {problem}")
            elif value and value not in names:
                names.append(value)
    return "; ".join(names)


def countries(
    row: RowCheck,
    fld: str,
    *,
    required: bool,
    free_text: bool,
    track_set: set[str] | None,
    unidentified: bool = False,
) -> list[str]:
    """The ISO3 codes a country cell names (a list, or free text), with a warning or error for what is not one.

    A required cell that names no country (or only regions) is not an error when the row names an initiator country,
    nor, with `unidentified`, when it names none either: the row is reported at level UNIDENTIFIED and stored
    without target countries."""
    raw = row.raw(fld)
    names = find_countries(raw) if free_text else _country_names(row, fld)
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
        why = f"names only regions ({', '.join(regions)}), no country" if regions else ""
        if initiator_named(row):  # the operation is placed by its initiator: stored, its target not identified
            not_identified(row, fld, raw, why, initiator=True)
        elif unidentified:
            not_identified(row, fld, raw, why)
        elif regions:
            row.error(fld, raw, "names only regions, no country: at least one target country is needed")
        else:
            row.error(fld, raw, "no target country: at least one is needed")
    if track_set is not None and found and not set(found) & track_set:
        row.warn(fld, raw, "none of these countries is a member of the chosen track")
    return found


def victim_countries(
    row: RowCheck, fld: str = "target_countries", *, unidentified: bool = False
) -> tuple[list[str], str]:
    """Target countries of a free-text victims cell (CFR). When it names none, the title and then the description
    are searched; such a country is marked as inferred (report level INFERRED, and the field it came from is
    returned so the stored source values say so). Returns (countries, "" or the field they were inferred from).
    A row with a sponsor but no target country anywhere is reported at level UNIDENTIFIED and stored; with
    `unidentified`, so is a row that names no country at all."""
    found = countries(row, fld, required=False, free_text=True, track_set=None)
    if found:
        return found, ""
    # A description often names the suspected sponsor ("Chinese hackers targeted ..."): never infer it as a target.
    sponsors = {resolve_country(name).iso3 for name in _country_names(row, "initiator_countries")}
    for source in ("title", "description"):
        text = row.raw(source)
        inferred = [iso3 for iso3 in (find_countries(text) if text else []) if iso3 not in sponsors]
        if inferred:
            row.issues.append(
                Issue(
                    row.number,
                    row.column(source),
                    short_text(text),
                    f"{fld}: {', '.join(inferred)} inferred from the {source} ({row.column(fld)} names no country)",
                    INFERRED,
                )
            )
            return inferred, source
    if sponsors - {None}:  # the sponsor places the operation: stored, its target not identified
        not_identified(row, fld, row.raw(fld), "", initiator=True)
    elif unidentified:
        not_identified(row, fld, row.raw(fld), "")
    else:
        row.error(fld, row.raw(fld), "no target country: at least one is needed")
    return [], ""


def initiator_named(row: RowCheck) -> bool:
    """True when the row's initiator cell names at least one country."""
    return any(resolve_country(name).iso3 for name in _country_names(row, "initiator_countries"))


def not_identified(row: RowCheck, fld: str, raw: str, why: str, *, initiator: bool = False) -> None:
    """Report a row without a target country as stored with its target not identified (level UNIDENTIFIED).

    A row whose initiator country is named is always stored so (it belongs to the tracks of its initiator); a row
    without any country only when the coordinator chose to store such rows."""
    if initiator:
        message = (
            f"{why or 'no target country'}: stored as 'target not identified' with its initiator country (counted "
            "in totals, placed on no target map)"
        )
    else:
        message = (
            f"{why or 'no target country'} and no initiator country: stored as 'target not identified' (counted in "
            "totals, placed on no map)"
        )
    row.issues.append(Issue(row.number, row.column(fld), short_text(raw), message, UNIDENTIFIED))


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


def find_countries(text: str) -> list[str]:
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


def vocab(
    row: RowCheck,
    fld: str,
    ids: set[str],
    names: dict[str, str],
    *,
    keywords: tuple[tuple[str, str], ...] | None = None,
    required: bool,
    default: str | None = None,
) -> str | None:
    """The vocabulary id a cell gives, by id, name or (with keywords) a guess; None (with an error) if none."""
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


def type_labels(text: str) -> list[str]:
    """The labels of an incident-type cell: a list literal, or labels joined with '; '. A semicolon inside brackets
    ("Short-term disruption (< 24h; ...)") or not followed by a space does not split."""
    if is_missing(text):
        return []
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        return split_list(stripped)
    labels, depth, start = [], 0, 0
    for i, ch in enumerate(stripped):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and depth <= 0 and (i + 1 == len(stripped) or stripped[i + 1].isspace()):
            labels.append(stripped[start:i])
            start = i + 1
    labels.append(stripped[start:])
    return [label.strip() for label in labels if not is_missing(label.strip())]


def incident_types(row: RowCheck, ids: set[str], names: dict[str, str], *, guess: bool) -> tuple[str | None, list[str]]:
    """(primary type, every type) of an incident-type cell that may list several labels.

    Each label is a type id or name, or (with guess, for trackers) mapped by keyword, "other" with a warning when
    no keyword matches. A tracker row's primary type is the gravest (dashboard.ingest.normalise.TYPE_GRAVITY); in
    our template the coordinator lists the primary type first. An empty cell is "other" for trackers, an error in
    the template."""
    fld = "incident_type"
    raw = row.raw(fld).strip()
    labels = [raw] if raw in ids else type_labels(raw)
    if not labels:
        if guess:
            return "other", ["other"]
        row.error(fld, raw, f"{fld} is required and is empty")
        return None, []
    by_name = {_fold(v): k for k, v in names.items()}
    found: list[str] = []
    for label in labels:
        known = label if label in ids else by_name.get(_fold(label))
        if known is None and guess:
            known = map_keyword(label, TYPE_KEYWORDS)
            if known is None:
                row.warn(fld, label, f"'{label}' is not a known {fld}; stored as 'other'")
                known = "other"
        if known is None:
            row.error(fld, label, f"'{label}' is not a known {fld}: use one of {', '.join(sorted(ids))}")
            continue
        found.append(known)
    types = by_gravity(found) if guess else list(dict.fromkeys(found))
    if not types:
        return None, []
    return types[0], types


def tlp(row: RowCheck, default_tlp: str) -> str:
    """The TLP marking of the row (TLP:WHITE is TLP:CLEAR), or the default when the cell is empty or wrong."""
    raw = row.raw("tlp").strip()
    if is_missing(raw):
        return default_tlp
    value = _fold(raw).removeprefix("tlp:").replace(" ", "").replace("white", "clear")
    if value in TLP_ORDER:
        return value
    row.error("tlp", raw, f"TLP '{raw}' is not one of {', '.join('TLP:' + t.upper() for t in TLP_ORDER)}")
    return default_tlp


def urls(row: RowCheck, fld: str) -> list[str]:
    """The web addresses of a cell, each once; anything else is left out with a warning."""
    urls = []
    for item in row.items(fld, separators=(";", " ")):
        if re.match(r"https?://\S+$", item) and len(item) <= URL_LIMIT:
            urls.append(item)
        elif item:
            row.warn(fld, item, "not a web address (http:// or https://); left out")
    return list(dict.fromkeys(urls))


# CFR lists some threat actors as rows of their own ("APT 37", "Axiom"): the title is a name (no lower-case word of
# four letters or more, no operation word) and the description presents it as an actor.
_OPERATION_WORDS = re.compile(
    r"(?i)(operation|compromise|targeting|attack|theft|hack|breach|campaign|intrusion|espionage|disruption|denial|"
    r"defacement|leak|sabotage)\b"
)
_ACTOR_DESCRIPTION = re.compile(
    r"(?i)^(?:this (?:threat actor|group)\b|(?:the )?(?P<name>.{1,60}?) is (?:a|an)\b[^.]{0,60}\b"
    r"(?:threat actor|hacking group|hacker group|APT group|espionage group|threat group))"
)


def actor_profile(row: RowCheck) -> bool:
    """True (with a report line at level PROFILE) when a tracker row describes a threat actor, not an incident."""
    title, description = row.raw("title").strip(), row.raw("description").strip()
    if not title or re.search(r"\b[a-z]{4,}\b", title) or _OPERATION_WORDS.match(title):
        return False
    found = _ACTOR_DESCRIPTION.match(description)
    if not found or (found.group("name") is not None and found.group("name").lower() != title.lower()):
        return False
    message = f"a threat-actor profile ('{title}'), not an incident: not stored"
    row.issues.append(Issue(row.number, row.column("title"), short_text(title), message, PROFILE))
    return True

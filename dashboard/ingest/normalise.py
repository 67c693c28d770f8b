"""Normalising source values: countries to ISO3, multi-valued cells, dates, and the sources' vocabularies to ours."""

from __future__ import annotations

import ast
import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

import pycountry

from dashboard.core.vocabulary import load, read_rows

MISSING = {"", "not available", "n/a", "na", "none", "null", "nan", "unknown", "[]", "['']", "-", "—", "?"}
EARLIEST = dt.date(1980, 1, 1)  # the first recorded state cyber operations are from the late 1980s


def is_missing(value: object) -> bool:
    """True for the many spellings of 'no value' found in public exports."""
    return value is None or str(value).strip().lower() in MISSING


def plain_ascii(text: str) -> str:
    """Accents folded to ASCII and white space collapsed, case kept."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip()


def _fold(text: str) -> str:
    """`plain_ascii` in lower case: the key names and aliases are compared by (same length as `plain_ascii`)."""
    return plain_ascii(text).lower()


@functools.lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "official_name", None), getattr(c, "common_name", None), c.alpha_3):
            if name:
                index[_fold(name)] = c.alpha_3
        index[_fold(c.alpha_2)] = c.alpha_3
    for row in load("countries.csv"):
        index[_fold(row["name"])] = row["iso3"]
        index[_fold(row["official_name"])] = row["iso3"]
        index[_fold(row["iso3"])] = row["iso3"]
    for row in read_rows("country_aliases.csv"):
        index[_fold(row["alias"])] = row["iso3"]
    return index


@functools.lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    return {_fold(r["name"]): r["kind"] for r in read_rows("regions.csv")}


@dataclass(frozen=True)
class CountryMatch:
    """A resolved country (iso3), a recognised pseudo-region, or nothing."""

    iso3: str | None
    region: str | None = None


@functools.lru_cache(maxsize=20_000)
def resolve_country(value: str) -> CountryMatch:
    """ISO3 for a country name in any common spelling (ISO short, UN long form, common name, code)."""
    text = value.strip().strip("'\"")
    if not text:
        return CountryMatch(None)
    folded = _fold(text)
    region = re.fullmatch(r"(.+?)\s*\((?:region|regional|organisation|organization)\)", folded)
    if region or folded in _regions():
        return CountryMatch(None, region=text)
    index = _country_index()
    if folded in index:
        return CountryMatch(index[folded])
    long_form = re.fullmatch(r"([^()]+?)\s*\(([^()]+)\)", folded)  # UN long form: "Iran (Islamic Republic of)"
    if long_form:
        # Never fall back to the part before the brackets: "Korea (...)" must not become South Korea by default.
        base, qualifier = long_form.groups()
        if qualifier.strip() == "the":  # ISO 3166 style: "Philippines (the)"
            return resolve_country(base)
        qualifier = re.sub(r"^the ", "", qualifier)
        candidates = [f"{qualifier} {base}", f"{base}, {qualifier}", qualifier]
        for candidate in candidates:
            if candidate in index:
                return CountryMatch(index[candidate])
        if "?" in folded:
            for candidate in candidates[:2]:
                found = _wildcard(candidate, index)
                if found:
                    return CountryMatch(found)
        return CountryMatch(None)
    without_the = re.sub(r"^the ", "", folded)
    if without_the in index:
        return CountryMatch(index[without_the])
    if "?" in folded:  # characters lost in an export ("C??te d??Ivoire"): accept a single unambiguous match
        found = _wildcard(folded, index)
        if found:
            return CountryMatch(found)
    return CountryMatch(None)


def _wildcard(text: str, index: dict[str, str]) -> str | None:
    """The one country whose name matches text in which '??' or '?' stand for lost characters."""
    pattern = re.compile(re.escape(text).replace(r"\?\?", ".{0,2}").replace(r"\?", ".?"))
    found = {iso3 for name, iso3 in index.items() if pattern.fullmatch(name)}
    return found.pop() if len(found) == 1 else None


def split_list(value: object, *, separators: tuple[str, ...] = (";",)) -> list[str]:
    """Items of a multi-valued cell: Python-literal lists (also nested), or text joined with a separator.

    A separator splits only where it is followed by a space or ends the text ("a; b"), so labels that contain a
    semicolon without a following space stay whole.
    """
    if is_missing(value):
        return []
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if isinstance(parsed, list | tuple):
            return [item for item in _flatten(parsed) if not is_missing(item)]
        text = text[1:-1]
    parts = [text]
    for sep in separators:
        pattern = re.escape(sep) + (r"(?=\s|$)" if sep == ";" else "")
        parts = [piece for part in parts for piece in re.split(pattern, part)]
    return [p.strip().strip("'\"").strip() for p in parts if not is_missing(p.strip().strip("'\""))]


def _flatten(items: object) -> list[str]:
    out: list[str] = []
    for item in items:  # type: ignore[union-attr]
        if isinstance(item, list | tuple):
            out += _flatten(item)
        elif item is not None:
            out.append(str(item).strip())
    return out


@dataclass(frozen=True)
class DateResult:
    """A parsed date, or the reason it could not be read."""

    value: dt.date | None
    problem: str = ""
    ambiguous: bool = False


def parse_date(value: object, *, style: str = "iso", allow_future: bool = False) -> DateResult:
    """Read a date: ISO (YYYY-MM-DD, also with a time), or the preset's style ('us' M/D/YYYY, 'dmy' D/M/YYYY).

    In a D/M or M/D style a date whose day and month could be swapped (both 12 or less and different) is flagged
    ambiguous rather than guessed.
    """
    if is_missing(value):
        return DateResult(None)
    text = str(value).strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?", text)
    if iso:
        return _checked(*map(int, iso.groups()), text, allow_future)
    slashed = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", text)
    if slashed:
        a, b, year = map(int, slashed.groups())
        if style == "iso":
            return DateResult(None, f"'{text}' is not a date in YYYY-MM-DD form")
        month, day = (a, b) if style == "us" else (b, a)
        result = _checked(year, month, day, text, allow_future)
        if result.value and a <= 12 and b <= 12 and a != b and style == "dmy-or-mdy":
            return DateResult(None, f"'{text}' could be {a}/{b} or {b}/{a}: day and month are ambiguous", True)
        return result
    year_only = re.fullmatch(r"(\d{4})", text)
    if year_only:
        return DateResult(None, f"'{text}' is only a year; a full date is needed")
    return DateResult(None, f"'{text}' is not a date")


def _checked(year: int, month: int, day: int, text: str, allow_future: bool = False) -> DateResult:
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return DateResult(None, f"'{text}' is not a date (no such day)")
    if value < EARLIEST:
        return DateResult(None, f"'{text}' is before {EARLIEST.year}: check the year")
    if value > dt.date.today() + dt.timedelta(days=366 if not allow_future else 366 * 30):
        return DateResult(None, f"'{text}' is in the future: check the year")
    return DateResult(value)


def vocabulary_ids(file: str) -> set[str]:
    """The ids of one reference vocabulary."""
    key = "level" if file == "severity_levels.csv" else "id"
    return {str(r[key]) for r in load(file)}


# -- source vocabularies to ours: first keyword found wins; the original value is always kept alongside ------------

# A source cell may name several effects ("Data theft; Hijacking with Misuse", "Disruption; Hijacking with
# Misuse"): each label is mapped on its own (by the first keyword of this table it contains) and the incident keeps
# every type found; the primary type of a tracker row is the gravest, in the order of TYPE_GRAVITY (the order in
# which the types first appear here): ransomware, then disruption, hack-and-leak, supply chain, espionage and data
# theft, hijacking, defacement and information operations, "other" last. Financial theft is none of our types
# ("other"), not espionage.
TYPE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("ransom", "ransomware"),
    ("denial of service", "disruption"),
    ("ddos", "disruption"),
    ("disrupt", "disruption"),
    ("wiper", "disruption"),
    ("destruction", "disruption"),
    ("sabotage", "disruption"),
    ("leak", "hack-and-leak"),
    ("dox", "hack-and-leak"),
    ("supply", "supply-chain"),
    ("data theft", "espionage"),
    ("espionage", "espionage"),
    ("exfiltration", "espionage"),
    ("financial theft", "other"),
    ("theft", "espionage"),
    ("hijack", "hijacking"),
    ("takeover", "hijacking"),
    ("deface", "defacement"),
    ("disinformation", "information-operation"),
    ("information operation", "information-operation"),
    ("influence", "information-operation"),
)

TYPE_GRAVITY: tuple[str, ...] = (
    *(t for t in dict.fromkeys(target for _, target in TYPE_KEYWORDS) if t != "other"),
    "other",
)


def by_gravity(types: list[str]) -> list[str]:
    """Type ids, each once, gravest first (TYPE_GRAVITY; a type not in it after those that are, in given order)."""
    rank = {t: i for i, t in enumerate(TYPE_GRAVITY)}
    distinct = list(dict.fromkeys(types))
    return sorted(distinct, key=lambda t: (rank.get(t, len(rank)), distinct.index(t)))


# Used only for labels that data/reference/sector_crosswalk.csv does not hold (see dashboard.ingest.sectors).
SECTOR_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("election", "elections"),
    ("political part", "political-parties"),
    ("private sector", "private-sector"),
    ("corporat", "private-sector"),  # before "critical infrastructure": EuRepoC's corporate label names it
    ("compan", "private-sector"),
    ("critical infrastructure", "critical-infrastructure"),
    ("police", "law-enforcement"),
    ("law enforcement", "law-enforcement"),
    ("intelligence", "intelligence"),
    ("supranational", "international-organisation"),
    ("international organi", "international-organisation"),
    ("end user", "individuals"),
    ("individual", "individuals"),
    ("energy", "energy"),
    ("electric", "energy"),
    ("oil", "energy"),
    ("gas", "energy"),
    ("nuclear", "energy"),
    ("health", "health"),
    ("hospital", "health"),
    ("transport", "transport"),
    ("aviation", "transport"),
    ("maritime", "transport"),
    ("rail", "transport"),
    ("bank", "banking"),
    ("financ", "banking"),
    ("water", "drinking-water"),
    ("telecom", "digital-infrastructure"),
    ("internet", "digital-infrastructure"),
    ("digital infrastructure", "digital-infrastructure"),
    ("cloud", "ict-service-management"),
    ("it service", "ict-service-management"),
    ("software", "digital-providers"),
    ("tech", "digital-providers"),
    ("chemic", "chemicals"),
    ("food", "food"),
    ("agricult", "food"),
    ("manufactur", "manufacturing"),
    ("defen", "defence"),
    ("military", "defence"),
    ("media", "media"),
    ("journalis", "media"),
    ("civil society", "civil-society"),
    ("ngo", "civil-society"),
    ("social group", "civil-society"),
    ("educat", "education"),
    ("universit", "education"),
    ("research", "research"),
    ("science", "research"),
    ("space", "space"),
    ("satellite", "space"),
    ("postal", "postal"),
    ("civil service", "public-administration"),
    ("administration", "public-administration"),
    ("judiciary", "government"),
    ("legislat", "government"),
    ("government", "government"),
    ("ministr", "government"),
    ("state institution", "government"),
    ("diplomat", "government"),
)


def map_keyword(value: str, table: tuple[tuple[str, str], ...]) -> str | None:
    """Our id for a source label, by the first keyword it contains (None when nothing matches)."""
    folded = _fold(value)
    for keyword, target in table:
        if keyword in folded:
            return target
    return None


def neutral_text(value: object, limit: int) -> tuple[str, str]:
    """Text as stored: stripped of control characters; returns (text, problem)."""
    text = "" if value is None or str(value).strip().lower() in {"", "nan", "null"} else str(value)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if len(text) > limit:
        return text[:limit], f"is {len(text):,} characters long; at most {limit:,} are allowed"
    return text, ""

"""One incident across sources: which records of two exports describe the same real-world operation.

A stated, rule-based score, with rapidfuzz for the title similarity. Why rapidfuzz and not splink: the volumes are
thousands of records, the fields are sparse and differently filled by each tracker (CFR has no victim-country column,
EuRepoC often only a month or a year, DCID only a short name), and each rule here is one a coordinator can read and
question; splink's trained weights would hide that and bring DuckDB along. rapidfuzz is small, maintained and fast
(C++); the word overlaps of the blocking are sparse matrix products (scipy), so EuRepoC x CFR takes a second or two.

The rules are symmetric (either source may be `left`: the upload path matches every pair of sources, in name order).
A pair's score is the sum of:

- **text** (TextIndex: words of title and description weighted by rarity, cosine; words in more than a fifth of the
  records left out): >= 0.40: +4.5, >= 0.25: +3, >= 0.15: +1.5;
- **rare name**: a word written with a capital (a name: "SideWalk", not "defectors") that both texts hold and at
  most NAME_RECORDS (3) records of both sources hold ("DTrack", "Bookworm"): +3; else one in at most
  UNCOMMON_RECORDS (6) records ("SolarWinds"): +1.5 (not among fewer than 100 records, where every word is rare);
- **title** (without the trackers' template words "Targeting of", "Compromise of", "Operation", years, DCID's "_A"):
  the same title (spaces aside: "MagicHound" is "Magic Hound"): +5; else token-set ratio >= 90: +3, >= 75: +1.5;
  else a word (or two neighbours written as one) found in at most three titles of both sources: +1.5;
- **name**: a short title with a rare word (NotPetya, Bad Rabbit; not an actor's name, which is the actor rule's)
  found in the other record's title or description: +3;
- **nothing in the texts**: none of the four rules above: NO_TEXT_POINTS (-3) (an actor, a date and a country
  alone are not one operation: APT28 runs many);
- **actor**: both records name an actor (alias table, core/threat_actors; CFR's "Believed to be the work of the
  Lazarus Group" unwrapped) and share one: +ACTOR_POINTS (3); both name actors and share none: -3;
- **date**: a date on the 1st of a month stands for that month, on 1 January for that year (EuRepoC's placeholders);
  the days between the two spans: <= 45: +2; <= FAR_DAYS (500: EuRepoC's start and CFR's disclosure of SolarWinds
  are 435 apart): 0; further: -3;
- **countries**: a shared target country: +1, none while both name targets: -1.5; the same for initiators.

Pairs scoring at least THRESHOLD (5) are matches, each record in at most one (best score first); with
one_to_one=False (a source such as DCID that records one operation once per pair of states) a pair is kept when it is
the best of either of its records. Only pairs with
dates at most FAR_DAYS apart (or a date missing) and a word in common (text >= 0.15, a title word, a rare title word in
the other text, or a rare word) are scored: the others cannot reach the threshold. Measured on hand-labelled pairs of
the real EuRepoC and CFR exports (tests/fixtures/linkage, tests/test_linkage.py): see the README.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from dashboard.analysis.linkage_text import (
    TextIndex,
    clean_title,
    distinctive,
    named_in,
    plain_text,
    rare_words,
    sharing,
    title_names,
)
from dashboard.core.threat_actors import resolve, resolve_all

__all__ = ["Evidence", "Match", "Record", "TextIndex", "clean_title", "compare", "match", "rare_words", "records"]

THRESHOLD = 5.0
ACTOR_POINTS = 3.0  # an actor runs many operations: alone, it does not make two records one
TEXT_STRONGEST, TEXT_STRONG, TEXT_SOME = 0.40, 0.25, 0.15
NAME_RECORDS, UNCOMMON_RECORDS = 3, 6  # a word in at most this many records of both sources: a name (DTrack)
NO_TEXT_POINTS = -3.0  # nothing in the texts in common
CLOSE_DAYS, FAR_DAYS = 45, 500

# CFR's free-text affiliations ("Believed to be the work of the Lazarus Group", "Possibly linked to Sandworm.",
# "Also known as Cobalt Gypsy"): the words around the actor's name, left out before the alias table is asked.
_ACTOR_LEAD_IN = re.compile(
    r"\b(?:believed to be|possibly|likely|suspected(?: to be)?|the work of|linked to|associated with|related to|"
    r"also known as|known as|the)\b",
    re.I,
)


@dataclass(frozen=True)
class Record:
    """What the matcher compares of one source record."""

    key: str
    title: str
    text: str = ""  # title and description, for finding a short distinctive name
    start: dt.date | None = None
    targets: frozenset[str] = field(default_factory=frozenset)
    initiators: frozenset[str] = field(default_factory=frozenset)
    actors: frozenset[str] = field(default_factory=frozenset)


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Iterable):
        return [str(v) for v in value if v]
    return []


def actors_named(labels: list[str]) -> frozenset[str]:
    """The actors the labels name, also where a label wraps the name in words ("Believed to be the work of the
    Lazarus Group")."""
    unwrapped = [bare for bare in (_ACTOR_LEAD_IN.sub(" ", label) for label in labels) if bare not in labels]
    return resolve_all(labels) | resolve_all(unwrapped)


def records(rows: pd.DataFrame) -> list[Record]:
    """Records from normalised incident rows (source_id, title, description, start_date, target_countries,
    initiator_countries, initiator_name)."""
    out = []
    for row in rows.itertuples(index=False):
        start = pd.to_datetime(row.start_date, errors="coerce")
        out.append(
            Record(
                key=str(row.source_id),
                title=str(row.title or ""),
                text=f"{row.title or ''} {row.description or ''}",
                start=None if pd.isna(start) else start.date(),
                targets=frozenset(_as_list(row.target_countries)),
                initiators=frozenset(_as_list(row.initiator_countries)),
                actors=actors_named(_as_list(row.initiator_name)),
            )
        )
    return out


def span(day: dt.date | None) -> tuple[int, int] | None:
    """The days a date may stand for, as ordinals: 1 January is often a year only, the 1st of a month a month only."""
    if day is None:
        return None
    first = day.toordinal()
    if day.month == 1 and day.day == 1:
        return first, first + 364
    if day.day == 1:
        return first, first + 30
    return first, first


def date_gap(a: dt.date | None, b: dt.date | None) -> int | None:
    """Days between the two dates' spans (0 where they overlap), None where a date is missing."""
    sa, sb = span(a), span(b)
    if sa is None or sb is None:
        return None
    return max(0, sb[0] - sa[1], sa[0] - sb[1])


@dataclass(frozen=True)
class Evidence:
    """The score of a pair and what it rests on (shown to the coordinator who confirms or splits a merge)."""

    score: float
    reasons: tuple[str, ...]


def _text_points(a: Record, b: Record, rare: frozenset[str], texts: TextIndex | None) -> list[tuple[float, str]]:
    """The text, rare word, title and name rules (an empty list: nothing in the texts in common)."""
    found: list[tuple[float, str]] = []
    if texts is not None:
        overlap = texts.similarity(a, b)
        for floor, points, what in ((TEXT_STRONGEST, 4.5, "many"), (TEXT_STRONG, 3, "rare"), (TEXT_SOME, 1.5, "some")):
            if overlap >= floor:
                found.append((points, f"descriptions share {what} words ({overlap:.2f})"))
                break
        shared = texts.rare_shared(a, b, UNCOMMON_RECORDS)
        if shared:
            count = texts.df[shared[0]]
            found.append((3 if count <= NAME_RECORDS else 1.5, f'both name "{shared[0]}" (in {count} records)'))
    ta, tb = clean_title(a.title), clean_title(b.title)
    similarity = fuzz.token_set_ratio(ta, tb)
    in_both = title_names(a.title) & title_names(b.title) & rare
    if ta and ta.replace(" ", "") == tb.replace(" ", ""):
        found.append((5, f'same title "{ta}"'))
    elif similarity >= 90:
        found.append((3, f"titles alike ({similarity:.0f})"))
    elif similarity >= 75:
        found.append((1.5, f"titles close ({similarity:.0f})"))
    elif in_both:
        found.append((1.5, "titles share a rare word: " + ", ".join(sorted(in_both))))
    for short, other in ((distinctive(a.title, rare), b), (distinctive(b.title, rare), a)):
        if named_in(short, other.text) and not resolve(short):  # an actor's name is the actor rule's
            found.append((3, f'"{short}" named in the other record'))
            break
    return found


def compare(a: Record, b: Record, rare: frozenset[str] = frozenset(), texts: TextIndex | None = None) -> Evidence:
    """Score a pair of records of different sources (the rules of the module docstring); `rare`: rare_words of both,
    `texts`: the TextIndex of both."""
    found = _text_points(a, b, rare, texts) or [(NO_TEXT_POINTS, "no rare word, name or title in common")]
    if a.actors and b.actors:
        if a.actors & b.actors:
            found.append((ACTOR_POINTS, "same actor: " + ", ".join(sorted(a.actors & b.actors))))
        else:
            found.append((-3, "different actors"))
    gap = date_gap(a.start, b.start)
    if gap is not None and gap <= CLOSE_DAYS:
        found.append((2, f"dates {gap} days apart"))
    elif gap is not None and gap > FAR_DAYS:
        found.append((-3, f"dates {gap} days apart"))
    for name, left, right in (("target", a.targets, b.targets), ("initiator", a.initiators, b.initiators)):
        if left and right:
            if left & right:
                found.append((1, f"same {name} country"))
            else:
                found.append((-1.5, f"different {name} countries"))
    return Evidence(sum(points for points, _ in found), tuple(reason for _, reason in found))


def _spans(recs: list[Record]) -> tuple[np.ndarray, np.ndarray]:
    spans = [span(r.start) or (np.nan, np.nan) for r in recs]
    return np.array([s[0] for s in spans], dtype=float), np.array([s[1] for s in spans], dtype=float)


def candidate_pairs(
    left: list[Record], right: list[Record], rare: frozenset[str] | None = None, texts: TextIndex | None = None
) -> list[tuple[int, int]]:
    """Pairs worth scoring (the others cannot reach the threshold): dates at most FAR_DAYS apart (or a date missing)
    and something in the texts in common (descriptions sharing some rare words, a title word, or a rare title word
    named in the other record)."""
    if not left or not right:
        return []
    rare = rare_words(left, right) if rare is None else rare
    texts = TextIndex(left, right) if texts is None else texts
    (lo_a, hi_a), (lo_b, hi_b) = _spans(left), _spans(right)
    with np.errstate(invalid="ignore"):
        gap = np.maximum(lo_b[None, :] - hi_a[:, None], lo_a[:, None] - hi_b[None, :])
        dated = ~(gap > FAR_DAYS)  # NaN (a date missing) stays in
    titles = [title_names(r.title) for r in left], [title_names(r.title) for r in right]
    named = [[ws & rare for ws in side] for side in titles]
    words = [[frozenset(plain_text(r.text).split()) for r in side] for side in (left, right)]
    uncommon = [texts.rare_sets(side, UNCOMMON_RECORDS) for side in (left, right)]
    common = (
        (texts.similarities(left, right) >= TEXT_SOME)
        | sharing(titles[0], titles[1])
        | sharing(named[0], words[1])
        | sharing(words[0], named[1])
        | sharing(uncommon[0], uncommon[1])
    )
    i, j = np.nonzero(dated & common)
    return list(zip(i.tolist(), j.tolist(), strict=True))


@dataclass(frozen=True)
class Match:
    left: str
    right: str
    evidence: Evidence


def match(
    left: list[Record], right: list[Record], threshold: float = THRESHOLD, one_to_one: bool = True
) -> list[Match]:
    """Matches between two sources: pairs at or above the threshold, each record in at most one (best first)."""
    rare, texts = rare_words(left, right), TextIndex(left, right)
    scored = [(compare(left[i], right[j], rare, texts), i, j) for i, j in candidate_pairs(left, right, rare, texts)]
    scored.sort(key=lambda s: -s[0].score)
    best_left: dict[int, float] = {}
    best_right: dict[int, float] = {}
    for evidence, i, j in scored:
        best_left.setdefault(i, evidence.score)
        best_right.setdefault(j, evidence.score)
    used_left, used_right, out = set(), set(), []
    for evidence, i, j in scored:
        if evidence.score < threshold:
            break
        if one_to_one and (i in used_left or j in used_right):
            continue
        if not one_to_one and evidence.score < best_left[i] and evidence.score < best_right[j]:
            continue  # neither record's best match: it has a better partner on both sides
        used_left.add(i)
        used_right.add(j)
        out.append(Match(left[i].key, right[j].key, evidence))
    return out

"""One incident across sources: which records of two exports describe the same real-world operation.

A stated, rule-based score over five kinds of evidence, with rapidfuzz for the title similarity. Why rapidfuzz and
not splink: the volumes are thousands of records, the fields are sparse and differently filled by each tracker
(CFR has no victim-country column, EuRepoC often only a month or a year), and each rule here is one a coordinator
can read and question; splink's trained weights would hide that and bring DuckDB along. rapidfuzz is small, maintained
and fast (C++), and `process.cdist` scores every title pair at once for the blocking.

- **text**: the rarity-weighted words both records' titles and descriptions share (TextIndex: "Kudankulam" and
  "DTrack" count, "government" hardly): >= TEXT_STRONG: +3, >= TEXT_SOME: +1.5;
- **actor**: both records name an actor (resolved through the alias table, core/threat_actors) and share one:
  +ACTOR_POINTS; both name actors and share none: -2;
- **title**: similarity of the titles without the trackers' template words ("Targeting of", "Compromise of", years)
  (token-set ratio): >= 90: +3, >= 75: +1.5; else a short title with a rare word (NotPetya) found in the other
  record's title or description: +3;
- **date**: sources date an operation differently (CFR gives the disclosure, EuRepoC the start, often only a month
  or a year): the second record 30 days before to 45 days after the first: +2; 60 before to AFTER_DAYS after: +0.5;
  further apart: -3;
- **countries**: a shared target country: +1, none while both name targets: -1.5; the same for initiators.

Pairs scoring at least THRESHOLD are matches, each record in at most one (best score first). Measured on hand-labelled
pairs of the real EuRepoC and CFR exports (tests/fixtures/linkage, tests/test_linkage.py): see the README.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process, utils

from dashboard.core.threat_actors import resolve_all

THRESHOLD = 5.0
ACTOR_POINTS = 3.0  # an actor runs many operations: alone, it does not make two records one
# Rarity-weighted word overlap of title and description (TextIndex): unrelated labelled pairs share 0.05 at the
# median and 0.15 at the 90th percentile, pairs of one operation 0.21 at the median.
TEXT_STRONG, TEXT_SOME = 0.25, 0.15
BEFORE_DAYS, AFTER_DAYS = 60, 480  # the widest date gap considered (second record's date minus the first's)
CLOSE_BEFORE, CLOSE_AFTER = 30, 45

_TEMPLATE = re.compile(
    r"\b(targeting|targeted|compromise|compromised|breach|hack|hacking|attack|attacks|campaign|operation|"
    r"espionage|incident|of|the|on|in|against|and|by|a|an|to|its|at|for|with|from|\d{4})\b",
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
                actors=resolve_all(_as_list(row.initiator_name)),
            )
        )
    return out


def clean_title(title: str) -> str:
    """A title without the template words and years the trackers put in every title."""
    return " ".join(_TEMPLATE.sub(" ", utils.default_process(title)).split())


def _distinctive(title: str, rare: frozenset[str]) -> str:
    """A short title that names the operation itself (NotPetya, Bad Rabbit: at most two words, one of them rare
    among all titles), else ""."""
    cleaned = clean_title(title)
    words = cleaned.split()
    return cleaned if 1 <= len(words) <= 2 and len(cleaned) >= 6 and any(w in rare for w in words) else ""


def rare_words(*sources: list[Record], at_most: int = 3) -> frozenset[str]:
    """Words of the cleaned titles that appear in at most `at_most` titles of all these records."""
    counts: dict[str, int] = {}
    for recs in sources:
        for r in recs:
            for word in set(clean_title(r.title).split()):
                counts[word] = counts.get(word, 0) + 1
    return frozenset(w for w, n in counts.items() if n <= at_most)


_WORD = re.compile(r"[a-z][a-z0-9]{3,}")


class TextIndex:
    """Words of each record's title and description weighted by rarity (inverse document frequency over both
    sources), so that two texts sharing "Kudankulam" and "DTrack" count for more than two sharing "government"."""

    def __init__(self, *sources: list[Record]) -> None:
        docs = [r for recs in sources for r in recs]
        self.words = {id(r): frozenset(_WORD.findall(utils.default_process(r.text))) for r in docs}
        df: dict[str, int] = {}
        for words in self.words.values():
            for w in words:
                df[w] = df.get(w, 0) + 1
        n = max(len(docs), 1)
        self.idf = {w: math.log(n / c) for w, c in df.items()}
        self.norm = {k: math.sqrt(sum(self.idf[w] ** 2 for w in ws)) or 1.0 for k, ws in self.words.items()}

    def similarity(self, a: Record, b: Record) -> float:
        """Cosine similarity of the two records' word sets weighted by rarity (0 to 1)."""
        wa, wb = self.words.get(id(a)), self.words.get(id(b))
        if not wa or not wb:
            return 0.0
        shared = sum(self.idf[w] ** 2 for w in wa & wb)
        return shared / (self.norm[id(a)] * self.norm[id(b)])


@dataclass(frozen=True)
class Evidence:
    """The score of a pair and what it rests on (shown to the coordinator who confirms or splits a merge)."""

    score: float
    reasons: tuple[str, ...]


def compare(a: Record, b: Record, rare: frozenset[str] = frozenset(), texts: TextIndex | None = None) -> Evidence:
    """Score a pair of records of different sources (b's date is compared with a's); `rare`: rare_words of both,
    `texts`: the TextIndex of both."""
    score, reasons = 0.0, []
    if texts is not None:
        overlap = texts.similarity(a, b)
        if overlap >= TEXT_STRONG:
            score += 3
            reasons.append(f"descriptions share rare words ({overlap:.2f})")
        elif overlap >= TEXT_SOME:
            score += 1.5
            reasons.append(f"descriptions share some rare words ({overlap:.2f})")
    if a.actors and b.actors:
        if a.actors & b.actors:
            score += ACTOR_POINTS
            reasons.append("same actor: " + ", ".join(sorted(a.actors & b.actors)))
        else:
            score -= 2
            reasons.append("different actors")
    similarity = fuzz.token_set_ratio(clean_title(a.title), clean_title(b.title))
    if similarity >= 90:
        score += 3
        reasons.append(f"titles alike ({similarity:.0f})")
    else:
        if similarity >= 75:
            score += 1.5
            reasons.append(f"titles close ({similarity:.0f})")
        for short, other in ((_distinctive(a.title, rare), b), (_distinctive(b.title, rare), a)):
            if short and re.search(rf"\b{re.escape(short)}\b", utils.default_process(other.text)):
                score += 3
                reasons.append(f'"{short}" named in the other record')
                break
    if a.start and b.start:
        gap = (b.start - a.start).days
        if -CLOSE_BEFORE <= gap <= CLOSE_AFTER:
            score += 2
            reasons.append(f"dates {gap:+d} days")
        elif -BEFORE_DAYS <= gap <= AFTER_DAYS:
            score += 0.5
            reasons.append(f"dates {gap:+d} days")
        else:
            score -= 3
            reasons.append(f"dates {gap:+d} days apart")
    for name, left, right in (("target", a.targets, b.targets), ("initiator", a.initiators, b.initiators)):
        if left and right:
            if left & right:
                score += 1
                reasons.append(f"same {name} country")
            else:
                score -= 1.5
                reasons.append(f"different {name} countries")
    return Evidence(score, tuple(reasons))


def candidate_pairs(left: list[Record], right: list[Record]) -> list[tuple[int, int]]:
    """Pairs worth scoring: dates within the widest gap (or a date missing) and some shared evidence (a country, an
    actor, or a title that is alike)."""
    right_titles = [clean_title(r.title) for r in right]
    alike = process.cdist([clean_title(r.title) for r in left], right_titles, scorer=fuzz.token_set_ratio)
    pairs = []
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if a.start and b.start and not -BEFORE_DAYS * 2 <= (b.start - a.start).days <= AFTER_DAYS * 2:
                continue
            shared = (a.targets & b.targets) or (a.initiators & b.initiators) or (a.actors & b.actors)
            if shared or alike[i, j] >= 75:
                pairs.append((i, j))
    return pairs


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
    scored = [(compare(left[i], right[j], rare, texts), i, j) for i, j in candidate_pairs(left, right)]
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

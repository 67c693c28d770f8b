"""The text side of the matcher (dashboard/analysis/linkage.py): titles without the trackers' template words, the
names a title holds, and the words of title and description weighted by rarity.

Everything here is computed once per record (cached on the string) and, for the blocking, once per pair of sources as
sparse matrices, so that `linkage.match` scores thousands of records against thousands in about a second.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from rapidfuzz import utils
from scipy import sparse

# Words every tracker puts in its titles ("Targeting of", "Compromise of", "Operation"), years, DCID's dyad suffixes
# ("NotPetya_A") and single letters: they say nothing about which operation a title names.
_TEMPLATE = re.compile(
    r"\b(targeting|targeted|targets|compromise|compromised|breach|hack|hacked|hacking|attack|attacks|campaign|"
    r"operation|espionage|incident|attempted|alleged|suspected|etc|via|of|the|on|in|against|and|by|a|an|to|its|at|"
    r"for|with|from|vs|\d{4}|[a-z])\b",
    re.I,
)


class Texted(Protocol):
    """What the text rules read of a record (linkage.Record)."""

    title: str
    text: str


RARITY_MIN_RECORDS = 100  # below this, a word held by two or three records says nothing about its rarity
_WORD = re.compile(r"[a-z][a-z0-9]{3,}")
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9]{3,}")


@functools.lru_cache(maxsize=65536)
def clean_title(title: str) -> str:
    """A title without the template words and years the trackers put in every title."""
    return " ".join(_TEMPLATE.sub(" ", utils.default_process(title)).split())


@functools.lru_cache(maxsize=65536)
def title_names(title: str) -> frozenset[str]:
    """The words of a cleaned title and each two neighbours written as one ("Ghost Secret" also gives "ghostsecret",
    so that it meets "GhostSecret"; "Magic Hound" meets "MagicHound")."""
    words = clean_title(title).split()
    return frozenset(words) | frozenset(a + b for a, b in itertools.pairwise(words))


@functools.lru_cache(maxsize=65536)
def plain_text(text: str) -> str:
    """Lower case, letters and digits, single spaces, padded with a space at each end (for whole-word search)."""
    return f" {' '.join(utils.default_process(text).split())} "


@functools.lru_cache(maxsize=65536)
def joined_text(text: str) -> str:
    """The plain text with no spaces at all ("named MagicHound" and "Magic Hound" both hold "magichound")."""
    return plain_text(text).replace(" ", "")


def rare_words(*sources: Sequence[Texted], at_most: int = 3) -> frozenset[str]:
    """Words (and joined neighbours) of the cleaned titles that appear in at most `at_most` titles of all these
    records (each with a `title`)."""
    counts: dict[str, int] = {}
    for recs in sources:
        for r in recs:
            for word in title_names(r.title):
                counts[word] = counts.get(word, 0) + 1
    return frozenset(w for w, n in counts.items() if n <= at_most)


def distinctive(title: str, rare: frozenset[str]) -> str:
    """A short title that names the operation itself (NotPetya, Bad Rabbit, Operation Parliament: at most two words
    once cleaned, at least six letters, one of them rare among all titles), else ""."""
    cleaned = clean_title(title)
    words = cleaned.split()
    return cleaned if 1 <= len(words) <= 2 and len(cleaned) >= 6 and any(w in rare for w in words) else ""


def named_in(name: str, text: str) -> bool:
    """Whether a distinctive name is in a text, as words or written as one ("Magic Hound" in "...named MagicHound")."""
    return bool(name) and (f" {name} " in plain_text(text) or name.replace(" ", "") in joined_text(text))


@functools.lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(plain_text(text)))


@functools.lru_cache(maxsize=65536)
def names(text: str) -> frozenset[str]:
    """The words of a text written with a capital somewhere (lower-cased): names of tools, operations, victims."""
    return frozenset(w.lower() for w in _CAPITALISED.findall(text)) & _words(text)


class TextIndex:
    """Words of each record's title and description weighted by rarity (inverse document frequency over both
    sources), so that two texts sharing "Kudankulam" and "DTrack" count for more than two sharing "government".
    Words in more than a fifth of all records (stop words, "government", "attack") are left out."""

    def __init__(self, *sources: Sequence[Texted]) -> None:
        docs = [r for recs in sources for r in recs]
        word_sets = [_words(r.text) for r in docs]
        df: dict[str, int] = {}
        for words in word_sets:
            for w in words:
                df[w] = df.get(w, 0) + 1
        self.df = df
        n = max(len(docs), 1)
        self.size = len(docs)
        self.idf = {w: math.log(n / c) for w, c in df.items() if c <= max(n / 5, 2)}
        self.column = {w: i for i, w in enumerate(sorted(self.idf))}
        self.row = {id(r): i for i, r in enumerate(docs)}
        rows, cols, vals = [], [], []
        self.weights: list[dict[str, float]] = []
        for i, words in enumerate(word_sets):
            kept = [w for w in words if w in self.idf]
            norm = math.sqrt(sum(self.idf[w] ** 2 for w in kept)) or 1.0
            self.weights.append({w: self.idf[w] / norm for w in kept})
            for w in kept:
                rows.append(i)
                cols.append(self.column[w])
                vals.append(self.idf[w] / norm)
        self.matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), max(len(self.column), 1)))

    def rows_of(self, recs: Iterable[Texted]) -> sparse.csr_matrix:
        """The weighted, normalised word rows of these records (which must be among the indexed ones)."""
        return self.matrix[[self.row[id(r)] for r in recs]]

    def similarity(self, a: Texted, b: Texted) -> float:
        """Cosine similarity of the two records' word sets weighted by rarity (0 to 1)."""
        if id(a) not in self.row or id(b) not in self.row:
            return 0.0
        wa, wb = self.weights[self.row[id(a)]], self.weights[self.row[id(b)]]
        return sum(wa[w] * wb[w] for w in wa.keys() & wb.keys())

    def rare_shared(self, a: Texted, b: Texted, at_most: int) -> list[str]:
        """The names (capitalised words: "SideWalk", "Bookworm", not "defectors") both records' texts hold that at
        most `at_most` records of all hold, rarest first; none among fewer than RARITY_MIN_RECORDS records, where
        every word is rare."""
        if self.size < RARITY_MIN_RECORDS:
            return []
        wa, wb = names(a.text), names(b.text)
        return sorted((w for w in wa & wb if self.df.get(w, at_most + 1) <= at_most), key=lambda w: (self.df[w], w))

    def rare_sets(self, recs: Iterable[Texted], at_most: int) -> list[frozenset[str]]:
        """Each record's names that at most `at_most` records of all hold (none among few records)."""
        if self.size < RARITY_MIN_RECORDS:
            return [frozenset() for _ in recs]
        return [frozenset(w for w in names(r.text) if self.df.get(w, 0) <= at_most) for r in recs]

    def similarities(self, left: Sequence[Texted], right: Sequence[Texted]) -> np.ndarray:
        """The similarity of every left record with every right one (a dense len(left) x len(right) array)."""
        return (self.rows_of(left) @ self.rows_of(right).T).toarray()


def incidence(sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """A 0/1 matrix: one row per set, one column per word of the vocabulary (words outside it are left out)."""
    rows, cols = [], []
    for i, words in enumerate(sets):
        for w in words:
            j = vocabulary.get(w)
            if j is not None:
                rows.append(i)
                cols.append(j)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), max(len(vocabulary), 1)))


def sharing(left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]) -> np.ndarray:
    """Whether each left set shares an element with each right set (a dense boolean array)."""
    vocabulary: dict[str, int] = {}
    for words in (*left, *right):
        for w in words:
            vocabulary.setdefault(w, len(vocabulary))
    return (incidence(left, vocabulary) @ incidence(right, vocabulary).T).toarray() > 0

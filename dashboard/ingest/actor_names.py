"""Actor names an incident upload brings that the alias table does not resolve become candidates (issue 14).

Every incident commit passes its `initiator_name` cells ("; "-joined labels) to `record_candidates`, in the same
transaction. A label the alias table resolves (dashboard/core/threat_actors.py: "APT28", "Fancy Bear", "Believed to be
the work of APT 28") is an actor already and is not recorded. Of the rest, every label that is an actor's name
(`is_actor_name`: not a missing value, not a generic phrase such as "unknown hackers" or "Chinese government", not a
sentence of free text) is stored in actor_names under its key (dashboard/store/actor_models.label_key) as a candidate,
which a coordinator can merge into a reference actor or keep distinct (dashboard/accounts/actor_decisions.py).
A name stored before keeps its status and its first spelling; its count becomes the number of incidents of this upload
that name it.

The work is done once per distinct cell and label, so a million-row upload with few distinct actors costs little.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from dashboard.core.vocabulary import read_rows
from dashboard.ingest.normalise import _fold, is_missing, resolve_country, split_list
from dashboard.store.actor_models import KEY_LIMIT, SHOWN_LIMIT, ActorName, bare_label, known_actors, label_key
from dashboard.store.db import lock_for_write
from dashboard.store.models import utcnow

# Words that describe who acted without naming them: a label made only of these, stop words and country names or
# adjectives ("unknown hackers", "Chinese state-sponsored hackers", "Government of China", "Russia") names no actor.
GENERIC_WORDS = frozenset(
    """unknown unidentified unnamed unattributed undisclosed hacker hackers hacking hacktivist hacktivists activist
    activists actor actors threat group groups cluster clusters apt apts government governments state sponsored
    state-sponsored authorities authority regime operative operatives operator operators agents military security
    forces services criminal criminals cybercriminal cybercriminals individual individuals person persons citizen
    citizens national nationals insider insiders speaking based several some other others multiple various least two
    three possibly likely suspected""".split()
)
STOP_WORDS = frozenset("the a an of and or by at in from s".split())
MAX_WORDS, MAX_PART_WORDS = 14, 12  # more words in a label, or in one of its parts, are free text, not a name
# Words that tell of an event or a likeness, not of who acted ("Believed to use similar tools as DragonOK", "Same state
# sponsor as the 2014 breach", "A variant of Lucky Cat for Mac computers").
RELATION_WORDS = frozenset(
    """similar same variant incident incidents breach compromise tool tools targeting revealed use uses used assisted
    indicating infrastructure malware attack attacks responsible behind working""".split()
)
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_SENTENCE = re.compile(r"(?:\b\w{4,}|\d)[.!?]+[\s?]*[A-Z]")  # "...APT 28. The Dukes were..." ("Dr. Torjan" is a name)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_POSSESSIVE = re.compile(r"['’]s\b")


@dataclass(frozen=True)
class Recorded:
    """What one upload did to the actor names: keys stored new, and keys seen before whose counts were updated."""

    new: int
    updated: int


@functools.cache
def _demonyms() -> frozenset[str]:
    return frozenset(_fold(r["demonym"]) for r in read_rows("demonyms.csv"))


def _is_place(words: list[str]) -> bool:
    """True when the words are a country or region, or a country adjective ("russian", "north korean")."""
    phrase = " ".join(words)
    if phrase in _demonyms() or phrase.removesuffix("s") in _demonyms():
        return True
    match = resolve_country(phrase)
    return bool(match.iso3 or match.region)


def _only_places(words: list[str]) -> bool:
    """True when the words, split at "and"/"or"/"of", are each a place ("saudi and emirati", "government of china")."""
    pieces: list[list[str]] = [[]]
    for word in words:
        if word in STOP_WORDS:
            pieces.append([])
        else:
            pieces[-1].append(word)
    pieces = [p for p in pieces if p]
    if not pieces:
        return True
    return all(_is_place(p) for p in pieces) or _is_place([w for w in words if w not in {"the", "s"}])


def is_generic(label: str) -> bool:
    """True for a phrase that names no actor: generic words and stop words only, besides country names or
    adjectives ("unknown hackers", "Iranian government", "Government of the UAE", "Russia")."""
    text = _POSSESSIVE.sub(" ", _BRACKETS.sub(" ", bare_label(label)))
    words = [w.casefold() for w in _WORD.findall(text)]
    rest = [w for w in words if w not in GENERIC_WORDS]
    return not rest or _only_places(rest)


def is_free_text(label: str) -> bool:
    """True for a sentence rather than a name: two sentences, too many words (MAX_WORDS, MAX_PART_WORDS), words of an
    event or likeness (RELATION_WORDS), or a lower-case start followed by more words ("behind the ... breach")."""
    text = _BRACKETS.sub(" ", bare_label(label))
    words = [w.casefold() for w in _WORD.findall(text)]
    if _SENTENCE.search(text) or len(words) > MAX_WORDS or RELATION_WORDS.intersection(words):
        return True
    if any(len(_WORD.findall(part)) > MAX_PART_WORDS for part in re.split(r"[,;/|]", text)):
        return True
    return text[:1].islower() and len(words) > 3


def is_actor_name(label: str) -> bool:
    """The one rule for what may become a candidate: a label that is present, names someone, and is not free text."""
    if is_missing(label) or is_missing(bare_label(label)):
        return False
    key = label_key(label)
    if not key or len(key) > KEY_LIMIT or not any(ch.isalpha() for ch in key):
        return False
    return not is_generic(label) and not is_free_text(label)


@functools.lru_cache(maxsize=50_000)
def candidate_key(label: str) -> str:
    """The key a label is recorded under, or "" when it is resolved or is not an actor's name."""
    if known_actors(label) or not is_actor_name(label):
        return ""
    return label_key(label)


def candidates_in(cells: Iterable[object]) -> tuple[dict[str, int], dict[str, str]]:
    """The candidate keys the cells name: incidents naming each (a cell counts once per key), and each key's first
    spelling. Work is done once per distinct cell."""
    series = cells if isinstance(cells, pd.Series) else pd.Series(list(cells), dtype=object)
    counts: dict[str, int] = {}
    shown: dict[str, str] = {}
    # value_counts without sorting keeps the order of first appearance: the first spelling of a key wins
    for cell, n in series.value_counts(sort=False, dropna=True).items():
        keys: dict[str, str] = {}
        for label in split_list(str(cell)):
            key = candidate_key(label)
            if key and key not in keys:
                keys[key] = bare_label(label)[:SHOWN_LIMIT]  # as written, without the lead-in words
        for key, spelling in keys.items():
            counts[key] = counts.get(key, 0) + int(n)
            shown.setdefault(key, spelling)
    return counts, shown


def record_candidates(session: Session, labels: Iterable[object]) -> Recorded:
    """Record the unresolved actor names of an upload's `initiator_name` cells, in the caller's transaction: new
    names as candidates, and the counts of names stored before (their status and first spelling kept)."""
    counts, shown = candidates_in(labels)
    if not counts:
        return Recorded(0, 0)
    lock_for_write(session, "actor_names")  # uploads to two tracks may bring one new name at once
    keys = sorted(counts)
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        known.update(session.scalars(select(ActorName.label).where(ActorName.label.in_(keys[start : start + 500]))))
    if known:
        table = ActorName.__table__
        session.execute(
            update(table).where(table.c.label == bindparam("key")).values(incidents=bindparam("n")),
            [{"key": k, "n": counts[k]} for k in sorted(known)],
        )
    now = utcnow()
    new = [
        {"label": k, "shown": shown[k], "first_seen": now, "incidents": counts[k], "status": "candidate"}
        for k in keys
        if k not in known
    ]
    for start in range(0, len(new), 5_000):
        session.execute(insert(ActorName.__table__), new[start : start + 5_000])
    return Recorded(len(new), len(known))

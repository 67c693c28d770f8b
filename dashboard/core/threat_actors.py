"""Threat actors and their aliases (data/reference/threat_actors*.csv): "APT28", "Fancy Bear" and "Sofacy" are one
actor. The tables are built from MISP galaxy (CC0; see threat_actors.NOTES.md) by scripts/build_threat_actors.py, with
a short hand-kept list of corrections (threat_actor_overrides.csv, each with its reason).

An actor label in an export often names several aliases at once ("Fancy Bear/APT28/Sofacy (GRU, Unit 26165)" in
EuRepoC, "Cozy Bear, APT 29" or "Believed to be the work of APT28" in CFR): `resolve` splits it into parts, matches
each part's normalised form (lower case, letters and digits only), and returns every actor found.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from dashboard.core.vocabulary import read_rows

# Separators between aliases in a label; brackets hold sponsors or units, not aliases of the group.
_SPLIT = re.compile(r"\s*(?:/|,|;|\||\band\b|\bor\b)\s*")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEAD_IN = re.compile(r"^(?:believed to be|possibly|likely|suspected(?: to be)?)?\s*(?:the work of\s*)?", re.I)


def normalise(name: str) -> str:
    """The form aliases are matched on: "APT 28" and "apt-28" are both "apt28"."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@dataclass(frozen=True)
class Actor:
    """A threat actor: its id, canonical name and the state suspected of sponsoring it (ISO3, or "")."""

    id: str
    name: str
    state: str


@functools.cache
def actors() -> dict[str, Actor]:
    """Every actor by id."""
    return {
        row["actor_id"]: Actor(row["actor_id"], row["name"], row["state_iso3"])
        for row in read_rows("threat_actors.csv")
    }


@functools.cache
def aliases() -> dict[str, str]:
    """Normalised alias -> actor id: MISP's unambiguous aliases, each actor's own name (it wins over the same name
    listed as another actor's alias), then the hand-kept overrides (which win over both)."""
    table = {row["normalised"]: row["actor_id"] for row in read_rows("threat_actor_aliases.csv")}
    table.update({normalise(actor.name): actor.id for actor in actors().values()})
    table.update({normalise(row["alias"]): row["actor_id"] for row in read_rows("threat_actor_overrides.csv")})
    return table


def label_parts(label: str) -> list[str]:
    """The alias candidates in one label, without bracketed sponsors and lead-in words."""
    text = _BRACKETS.sub(" ", label or "")
    return [p for p in (_LEAD_IN.sub("", part).strip() for part in _SPLIT.split(text)) if p]


def resolve(label: str) -> frozenset[str]:
    """The actors one label names (empty when none of its parts is a known alias).

    A label that lists one actor's aliases can hold a name the table gives to another actor (EuRepoC's
    "Sandworm/VOODOO Bear/.../IRIDIUM": IRIDIUM is also a MISP actor of its own). When one actor gets at least two
    of the parts and more than any other, the label names that actor alone."""
    table = aliases()
    whole = table.get(normalise(label or ""))
    if whole:
        return frozenset({whole})
    hits: dict[str, int] = {}
    for part in label_parts(label):
        actor = table.get(normalise(part))
        if actor:
            hits[actor] = hits.get(actor, 0) + 1
    if len(hits) > 1:
        top, runner_up = sorted(hits.values(), reverse=True)[:2]
        if top >= 2 and top > runner_up:
            return frozenset(a for a, n in hits.items() if n == top)
    return frozenset(hits)


def resolve_all(labels: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The actors named by any of several labels."""
    return frozenset().union(*(resolve(label) for label in labels)) if labels else frozenset()


@functools.cache
def _aliases_by_actor() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for row in read_rows("threat_actor_aliases.csv"):
        out.setdefault(row["actor_id"], []).append(row["alias"])
    for row in read_rows("threat_actor_overrides.csv"):
        if row["actor_id"]:
            out.setdefault(row["actor_id"], []).append(row["alias"])
    return {actor: tuple(dict.fromkeys(names)) for actor, names in out.items()}


def aliases_of(actor_id: str) -> tuple[str, ...]:
    """The names an actor is also known by, as the alias table writes them (MISP's order, then the overrides)."""
    return _aliases_by_actor().get(actor_id, ())

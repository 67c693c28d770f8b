"""The named rules that link an imported incident to a norm it implicates, and their labels for the pages.

A link the source asserts (our template's `norms` column) is stored with basis "norms". A link one of these rules
infers is stored as inferred, with the rule's id as its basis, so the pages can say why it is there
(`rule_label`). No rule pins norm g (protect your own critical infrastructure) on the victim: it is the victim's
duty, and an incident says nothing about whether it was met.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from dashboard.core.vocabulary import load

ASSERTED = "norms"  # the basis of a link the source lists in its norms column


@dataclass(frozen=True)
class NormRule:
    """A rule: the norm item it links and the sentence that says when."""

    item_id: str
    label: str


RULES: dict[str, NormRule] = {
    "critical-infrastructure-target": NormRule(
        "un-norms:f", "Inferred: a critical-infrastructure sector was targeted (UN norm f)"
    ),
    "supply-chain-compromise": NormRule("un-norms:i", "Inferred: a supply-chain compromise (UN norm i)"),
    "non-state-actor-from-state-territory": NormRule(
        "un-norms:c", "Inferred: a non-state or criminal actor operated from a named country (UN norm c)"
    ),
}
assert all(rule.item_id != "un-norms:g" for rule in RULES.values())  # see the module docstring


def rule_label(rule_id: str) -> str:
    """The sentence shown next to a link with this basis: a rule's label, or 'Listed by the source'."""
    if rule_id == ASSERTED:
        return "Listed by the source"
    rule = RULES.get(rule_id)
    return rule.label if rule else f"Inferred by an import rule ({rule_id})" if rule_id else "Listed by the source"


@functools.cache
def _critical_sectors() -> frozenset[str]:
    return frozenset(s["id"] for s in load("sectors.csv") if s["critical_infrastructure"])


def inferred_norms(types: list[str], sectors: list[str], category: str, initiator_named: bool) -> list[tuple[str, str]]:
    """(item id, rule id) of every rule that applies to an incident with these types, sectors, initiator category,
    and whether its initiator country is named."""
    applies = {
        "critical-infrastructure-target": any(s in _critical_sectors() for s in sectors),
        "supply-chain-compromise": "supply-chain" in types,
        "non-state-actor-from-state-territory": initiator_named
        and ("non-state" in category.lower() or "criminal" in category.lower()),
    }
    return [(RULES[rule].item_id, rule) for rule, yes in applies.items() if yes]

"""What every synthetic demo layer shares: the period, the organisations, the tracks and the TLP mix."""

from __future__ import annotations

import datetime as dt

import numpy as np

SYNTHETIC_TAG = "[SYNTHETIC]"
START = dt.date(2022, 1, 1)
END = dt.date(2026, 10, 31)  # fixed, so a seed gives the same data whatever day it runs
HOST_ORG = "Dialogue Secretariat"
PARTNER_ORGS = {
    "indo-pacific": ["Pacific CERT Network (synthetic)", "Mekong Telecom ISAC (synthetic)"],
    "eastern-europe": ["Baltic Energy ISAC (synthetic)", "Danube CSIRT Alliance (synthetic)"],
}
TRACKS = ("indo-pacific", "eastern-europe")
TLP_IDS = ["clear", "green", "amber", "amber+strict", "red"]
TLP_WEIGHTS = [44, 26, 18, 8, 4]


def owners(rng: np.random.Generator, tlp: np.ndarray, track: np.ndarray) -> np.ndarray:
    """Owning organisation: the secretariat, except some AMBER+STRICT rows that a partner supplied."""
    owner = np.full(len(tlp), HOST_ORG, dtype=object)
    strict = np.flatnonzero(tlp == "amber+strict")
    partner = strict[rng.random(len(strict)) < 0.3]
    pick = rng.integers(0, 2, len(partner))
    owner[partner] = [PARTNER_ORGS[track[i]][p] for i, p in zip(partner, pick)]
    return owner

"""Traffic Light Protocol 2.0: the order of the markings, their labels and the strictest of several."""

from __future__ import annotations

from typing import Any

TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")
TLP_LABELS = {t: "TLP:" + t.upper() for t in TLP_ORDER}


def tlp_rank(tlp: str) -> int:
    """Position of a TLP level from 0 (CLEAR) to 4 (RED)."""
    return TLP_ORDER.index(tlp)


def strictest_marking(*markings: str | None) -> str | None:
    """The strictest of several TLP markings (None and empty ignored); None when there are none."""
    found = [m for m in markings if m]
    return max(found, key=TLP_ORDER.index) if found else None


def strictest_in(frame: Any) -> str | None:
    """The strictest TLP marking in a frame's `tlp` column (None for an empty frame or no column)."""
    if frame is None or frame.empty or "tlp" not in frame:
        return None
    return strictest_marking(*frame["tlp"].dropna().unique())

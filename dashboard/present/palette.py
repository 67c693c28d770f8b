"""The one colour module every page uses: colour-blind safe (Okabe-Ito based) and fixed per vocabulary id.

A given incident type, partnership kind or norm status has the same colour in every figure, so readers
learn the colours once. Ids that are not in the vocabularies (a new id from an upload) get a colour from
the categorical list chosen by a stable checksum of the id, never by the order they happen to appear in.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"

OKABE_ITO: tuple[str, ...] = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE, BLACK)
# Order for cycling through categories: black last, because a black area or bar dominates a chart.
CATEGORICAL: tuple[str, ...] = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, VERMILLION, YELLOW, BLACK)

DARK_GREY = "#4D4D4D"
GREY = "#999999"
LIGHT_GREY = "#D9D9D9"
PRIMARY = BLUE  # single-series bars
NEW_BADGE = "blue"  # Streamlit's named badge colour (st.badge) of a watchlist signal new since the last visit
TEXT = "#1F1F1F"
GRID = "#E5E5E5"

# Meaning colours for "better / worse" (used by movers and gaps): blue vs vermillion, never red vs green.
GOOD = BLUE
BAD = VERMILLION
NEUTRAL = GREY

TYPE_COLOURS: dict[str, str] = {
    "disruption": VERMILLION,
    "ransomware": ORANGE,
    "espionage": BLUE,
    "hack-and-leak": REDDISH_PURPLE,
    "defacement": YELLOW,
    "hijacking": SKY_BLUE,
    "supply-chain": BLUISH_GREEN,
    "information-operation": DARK_GREY,
    "other": LIGHT_GREY,
}

PARTNERSHIP_KIND_COLOURS: dict[str, str] = {
    "ppp": BLUISH_GREEN,
    "capacity-building": BLUE,
    "hotline": VERMILLION,
    "poc-network": ORANGE,
    "mou": REDDISH_PURPLE,
    "exercise": SKY_BLUE,
}

PARTNERSHIP_STATUS_COLOURS: dict[str, str] = {
    "active": BLUE,
    "planned": SKY_BLUE,
    "suspended": VERMILLION,
    "ended": GREY,
}

# Attribution and response events (Responses page, country profile): a colour per kind within each family, and a
# marker shape per family (attributions circles, responses diamonds), so a colour may repeat across the families.
ATTRIBUTION_KIND_COLOURS: dict[str, str] = {
    "government": BLUE,
    "international": SKY_BLUE,
    "company": BLUISH_GREEN,
    "researcher": YELLOW,
    "media": ORANGE,
    "self": REDDISH_PURPLE,
    "victim": VERMILLION,
    "third party": BLACK,
    "contested": DARK_GREY,
    "unknown": GREY,
}
RESPONSE_KIND_COLOURS: dict[str, str] = {
    "statement": BLUE,
    "demarche": SKY_BLUE,
    "sanctions": VERMILLION,
    "indictment": REDDISH_PURPLE,
    "expulsion": ORANGE,
    "other": GREY,
}
EVENT_KIND_COLOURS: dict[str, dict[str, str]] = {
    "attribution": ATTRIBUTION_KIND_COLOURS,
    "response": RESPONSE_KIND_COLOURS,
}
EVENT_SYMBOLS: dict[str, str] = {"attribution": "circle", "response": "diamond"}

# Implemented (dark blue) > in progress (light blue) > not started (orange); greys for no judgement.
NORM_STATUS_ORDER: tuple[str, ...] = ("implemented", "in_progress", "not_started", "not_applicable", "unknown")
NORM_STATUS_COLOURS: dict[str, str] = {
    "implemented": BLUE,
    "in_progress": SKY_BLUE,
    "not_started": ORANGE,
    "not_applicable": LIGHT_GREY,
    "unknown": GREY,
}
NORM_STATUS_LABELS: dict[str, str] = {
    "implemented": "Implemented",
    "in_progress": "In progress",
    "not_started": "Not started",
    "not_applicable": "Not applicable",
    "unknown": "Unknown",
}

# Sequential scale for counts on maps and heatmaps: light blue to navy (monotone in lightness, so it reads in
# greyscale print too). It starts above white so that a zero still differs from land without data.
SEQUENTIAL: list[list[float | str]] = [
    [0.0, "#DEEBF7"],
    [0.25, "#9ECAE1"],
    [0.5, "#4292C6"],
    [0.75, "#2171B5"],
    [1.0, "#08306B"],
]
# A softer scale for a background layer under lines and markers (partnerships per country under hotlines).
SEQUENTIAL_LIGHT: list[list[float | str]] = [[0.0, "#F7FBFF"], [1.0, "#9ECAE1"]]

# TLP 2.0 colours: each label is written in its colour on a black background (page banner, PDF and HTML).
TLP_COLOURS = {
    "clear": "#FFFFFF",
    "green": "#33FF00",
    "amber": "#FFC000",
    "amber+strict": "#FFC000",
    "red": "#FF2B2B",
}

LAND = "#F0F0F0"
OCEAN = "#FAFCFE"
BORDER = "#B0B0B0"
COAST = "#A0A0A0"


@dataclass(frozen=True)
class Bucket:
    """One band of "days since a hotline was last tested"."""

    id: str
    label: str
    max_days: int | None  # inclusive upper bound; None for the open band and for "never"
    colour: str
    dash: str


# Recent is good (blue), stale is bad (orange, vermillion); never tested is dotted as well as coloured.
HOTLINE_BUCKETS: tuple[Bucket, ...] = (
    Bucket("recent", "Tested in the last 90 days", 90, BLUE, "solid"),
    Bucket("year", "Tested 91-365 days ago", 365, SKY_BLUE, "solid"),
    Bucket("stale", "Last test over a year ago", None, ORANGE, "solid"),
    Bucket("never", "Never tested", None, VERMILLION, "dot"),
)
HOTLINE_BUCKET_COLOURS: dict[str, str] = {b.id: b.colour for b in HOTLINE_BUCKETS}


def hotline_bucket(days: float | None) -> Bucket:
    """The band for a number of days since the last test (None or NaN means never tested)."""
    if days is None or math.isnan(days):
        return HOTLINE_BUCKETS[-1]
    for bucket in HOTLINE_BUCKETS[:2]:
        if bucket.max_days is not None and days <= bucket.max_days:
            return bucket
    return HOTLINE_BUCKETS[2]


def fallback_colour(key: str) -> str:
    """A stable categorical colour for an id no vocabulary knows (same id, same colour, in every process)."""
    return CATEGORICAL[zlib.crc32(str(key).encode("utf-8")) % len(CATEGORICAL)]


def _sector_ids() -> list[str]:
    from dashboard.core.vocabulary import read_rows

    return sorted(row["id"] for row in read_rows("sectors.csv"))


def sector_colours() -> dict[str, str]:
    """A colour per sector id: the categorical list cycled over the sorted sector ids of sectors.csv."""
    return {sid: CATEGORICAL[i % len(CATEGORICAL)] for i, sid in enumerate(_sector_ids())}


def categorical_colours(ids: Iterable[str]) -> dict[str, str]:
    """Colours for arbitrary categories: the categorical list cycled over the sorted distinct ids."""
    ordered = sorted({str(i) for i in ids})
    return {key: CATEGORICAL[n % len(CATEGORICAL)] for n, key in enumerate(ordered)}


def family_colours(column: str) -> dict[str, str] | None:
    """The fixed colour table for a column name (type, sector, kind, norm status), or None if there is none."""
    name = column.lower()
    if "sector" in name:
        return sector_colours()
    if "type" in name and "party" not in name:
        return TYPE_COLOURS
    if "kind" in name:
        return PARTNERSHIP_KIND_COLOURS
    if "status" in name:
        return {**PARTNERSHIP_STATUS_COLOURS, **NORM_STATUS_COLOURS}
    if "bucket" in name:
        return HOTLINE_BUCKET_COLOURS
    return None


def colours_for(column: str, ids: Iterable[str]) -> dict[str, str]:
    """A colour per id for the values of `column`: the fixed family table where one exists, else cycled."""
    ids = [str(i) for i in ids]
    table = family_colours(column)
    if table is None:
        return categorical_colours(ids)
    return {i: table.get(i) or fallback_colour(i) for i in ids}


def distinct_colours(column: str, ids: Iterable[str]) -> dict[str, str]:
    """Like colours_for, but ids later in `ids` that would repeat a colour already used get an unused one.

    Types, kinds and statuses have distinct fixed colours, so they never change; only cycled families
    (sectors, free categories) can be re-coloured, and only while unused categorical colours remain.
    """
    ordered = list(dict.fromkeys(str(i) for i in ids))
    base = colours_for(column, ordered)
    used: set[str] = set()
    out: dict[str, str] = {}
    for key in ordered:
        colour = base[key]
        if colour in used:
            colour = next((c for c in CATEGORICAL if c not in used), colour)
        out[key] = colour
        used.add(colour)
    return out

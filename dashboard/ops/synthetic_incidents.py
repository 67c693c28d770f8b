"""Synthetic incidents: seasonal and regional structure, planted surges, drawn with vectorised numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.core.vocabulary import labels, load, track_members
from dashboard.ops.synthetic import END, START, SYNTHETIC_TAG, TLP_IDS, TLP_WEIGHTS, TRACKS, owners

# Relative incident exposure of target states (others in the track get 1).
EXPOSURE = {
    "indo-pacific": {
        "AUS": 9,
        "JPN": 8,
        "IND": 9,
        "KOR": 7,
        "USA": 6,
        "PHL": 6,
        "VNM": 5,
        "SGP": 5,
        "IDN": 5,
        "MYS": 4,
        "THA": 4,
        "NZL": 3,
        "PAK": 3,
        "BGD": 2,
        "TLS": 1,
        "PNG": 2,
        "FJI": 2,
    },
    "eastern-europe": {
        "UKR": 16,
        "POL": 8,
        "EST": 5,
        "LVA": 4,
        "LTU": 5,
        "MDA": 5,
        "GEO": 4,
        "CZE": 4,
        "ROU": 4,
        "ARM": 3,
        "AZE": 2,
        "BGR": 3,
        "SVK": 2,
        "HUN": 2,
        "RUS": 3,
        "SRB": 2,
        "MNE": 2,
    },
}
# Suspected initiator states and their weights; "" stands for no named state.
INITIATORS = {
    "indo-pacific": {"": 40, "CHN": 30, "PRK": 15, "RUS": 8, "IRN": 4, "VNM": 3},
    "eastern-europe": {"": 35, "RUS": 50, "BLR": 6, "CHN": 6, "PRK": 2, "IRN": 1},
}
TYPES = [
    "disruption",
    "ransomware",
    "espionage",
    "hack-and-leak",
    "defacement",
    "hijacking",
    "supply-chain",
    "information-operation",
    "other",
]
TYPE_WEIGHTS = {"indo-pacific": [12, 22, 34, 6, 8, 6, 6, 4, 2], "eastern-europe": [30, 16, 22, 8, 10, 5, 4, 4, 1]}
# Mean severity by type (CISA NCISS 0-5).
TYPE_SEVERITY = dict(zip(TYPES, [2.6, 2.5, 2.2, 2.0, 1.1, 1.5, 2.9, 1.4, 1.0]))
TYPE_SECTORS = {
    "disruption": ["energy", "transport", "banking", "government", "digital-infrastructure", "media"],
    "ransomware": ["health", "manufacturing", "education", "public-administration", "ict-service-management"],
    "espionage": ["government", "defence", "research", "digital-infrastructure", "energy"],
    "hack-and-leak": ["government", "elections", "civil-society", "media"],
    "defacement": ["government", "media", "education", "public-administration"],
    "hijacking": ["media", "government", "digital-providers", "civil-society"],
    "supply-chain": ["ict-service-management", "digital-providers", "energy", "banking"],
    "information-operation": ["elections", "media", "civil-society", "government"],
    "other": ["research", "food", "chemicals", "postal"],
}
# Planted surges: (track, country, type, first month, months, factor). Several are recent, for the watchlist.
SURGES = [
    ("eastern-europe", "UKR", "disruption", "2022-02", 3, 6.0),
    ("eastern-europe", "EST", "disruption", "2022-08", 2, 4.0),
    ("eastern-europe", "MDA", "information-operation", "2024-09", 2, 5.0),
    ("eastern-europe", "POL", "disruption", "2026-08", 3, 3.5),
    ("indo-pacific", "AUS", "ransomware", "2022-10", 2, 4.0),
    ("indo-pacific", "PHL", "espionage", "2026-07", 4, 4.0),
    ("indo-pacific", "SGP", "supply-chain", "2026-09", 2, 5.0),
]
ATTRIBUTION = [
    "technical analysis by a national CERT",
    "private-sector threat report",
    "official government attribution",
    "media reporting",
    "self-attribution by the group",
]
INITIATOR_NAMES = {
    "CHN": "APT-Panda (synthetic)",
    "PRK": "Lazarus-like cluster (synthetic)",
    "RUS": "Sandworm-like cluster (synthetic)",
    "BLR": "Ghostwriter-like cluster (synthetic)",
    "IRN": "Charming-like cluster (synthetic)",
    "VNM": "Ocean-like cluster (synthetic)",
    "": "Unattributed actor (synthetic)",
}


def _months() -> pd.PeriodIndex:
    return pd.period_range(START, END, freq="M")


def _cells(months: pd.PeriodIndex, tracks: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Every (track, country, month) cell with its planted surge type ("" for none) and its relative weight.

    The weight is the country's exposure times the season and the trend, times the factor of a surge.
    """
    m_idx = np.arange(len(months))
    season = 1 + 0.25 * np.sin(2 * np.pi * (months.month.to_numpy() - 3) / 12)
    trend = 1 + 0.35 * m_idx / len(months)
    members = track_members()
    cells_track, cells_country, cells_month, cells_type, weights = [], [], [], [], []
    surge_index = {
        (t, c, str(mo)): (ty, f)
        for t, c, ty, first, k, f in SURGES
        for mo in pd.period_range(first, periods=k, freq="M")
    }
    for track in tracks:
        for iso3 in members[track]:
            base = EXPOSURE[track].get(iso3, 1)
            w = base * season * trend
            for m in m_idx:
                surge = surge_index.get((track, iso3, str(months[m])))
                cells_track.append(track)
                cells_country.append(iso3)
                cells_month.append(m)
                cells_type.append(surge[0] if surge else "")
                weights.append(w[m] * (surge[1] if surge else 1.0))
    return (
        np.asarray(cells_track, dtype=object),
        np.asarray(cells_country, dtype=object),
        np.asarray(cells_month),
        np.asarray(cells_type, dtype=object),
        np.asarray(weights),
    )


def _draw_types(rng: np.random.Generator, c_track: np.ndarray, c_surge_type: np.ndarray, n: int) -> np.ndarray:
    """Incident types by the track's mix; three in four incidents of a surge cell have the surge's type."""
    itype = np.empty(n, dtype=object)
    for track in ("indo-pacific", "eastern-europe"):
        sel = c_track == track
        p = np.asarray(TYPE_WEIGHTS[track], dtype=float)
        itype[sel] = rng.choice(TYPES, size=int(sel.sum()), p=p / p.sum())
    surge_pick = (c_surge_type != "") & (rng.random(n) < 0.75)
    itype[surge_pick] = c_surge_type[surge_pick]
    return itype


def _draw_sectors(rng: np.random.Generator, itype: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two different sectors typical of each incident's type (the second is used for some incidents only)."""
    sec1 = np.empty(n, dtype=object)
    sec2 = np.empty(n, dtype=object)
    for t, options in TYPE_SECTORS.items():
        sel = itype == t
        k = int(sel.sum())
        a = rng.integers(0, len(options), k)
        b = (a + rng.integers(1, len(options), k)) % len(options)
        sec1[sel] = np.asarray(options, dtype=object)[a]
        sec2[sel] = np.asarray(options, dtype=object)[b]
    return sec1, sec2


def _draw_initiators(
    rng: np.random.Generator, c_track: np.ndarray, c_country: np.ndarray, itype: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Suspected initiator state ("" for none), initiator category and attribution confidence."""
    initiator = np.empty(n, dtype=object)
    for track, table in INITIATORS.items():
        sel = c_track == track
        keys = list(table)
        p = np.asarray(list(table.values()), dtype=float)
        initiator[sel] = rng.choice(keys, size=int(sel.sum()), p=p / p.sum())
    initiator[initiator == c_country] = ""  # no state attacks itself in this demo
    category = np.where(
        initiator == "",
        np.where(itype == "ransomware", "criminal", "unknown"),
        np.where(rng.random(n) < 0.6, "state-affiliated", "state"),
    )
    category = np.where((initiator != "") & (itype == "ransomware"), "non-state (territory of state)", category)
    confidence = np.where(initiator == "", "unknown", rng.choice(["low", "medium", "high"], n, p=[0.3, 0.45, 0.25]))
    return initiator, category, confidence


def _add_texts(frame: pd.DataFrame, first_sector: np.ndarray, target: pd.Series) -> None:
    """The synthetic title, description and source address of every incident."""
    type_names = labels("incident_types.csv")
    sector_names = labels("sectors.csv")
    country_names = labels("countries.csv", key="iso3")
    frame["title"] = (
        SYNTHETIC_TAG
        + " "
        + frame["incident_type"].map(type_names)
        + " against "
        + pd.Series(first_sector).map(sector_names).str.lower()
        + " in "
        + target.map(country_names)
    )
    frame["description"] = (
        "Synthetic demo record, not a real incident. Generated for "
        + frame["track"]
        + " with severity "
        + frame["severity"].astype(str)
        + "."
    )
    frame["source_urls"] = [[f"https://example.org/synthetic/incident/{i}"] for i in frame["source_id"]]


def generate_incidents(n: int, rng: np.random.Generator, tracks: Sequence[str] = TRACKS) -> pd.DataFrame:
    """n synthetic incidents with seasonal and regional structure and planted surges, in these tracks.

    Every draw comes from `rng` in a fixed order: change the order and a seed no longer gives the same rows.
    """
    months = _months()
    members = track_members()
    cells_track, cells_country, cells_month, cells_type, weights = _cells(months, tracks)
    cell = rng.choice(len(weights), size=n, p=weights / weights.sum())
    c_track, c_country, c_month = cells_track[cell], cells_country[cell], cells_month[cell]
    c_surge_type = cells_type[cell]

    month_start = months.start_time.to_numpy().astype("datetime64[D]")
    days_in = months.days_in_month.to_numpy()
    start = month_start[c_month] + (rng.random(n) * days_in[c_month]).astype("timedelta64[D]")
    itype = _draw_types(rng, c_track, c_surge_type, n)
    mean_sev = np.vectorize(TYPE_SEVERITY.get, otypes=[float])(itype)
    severity = np.clip(np.rint(mean_sev + rng.normal(0, 0.9, n)), 0, 5).astype(int)
    duration = rng.integers(0, 45, n)
    has_end = rng.random(n) < 0.6
    end = np.where(has_end, start + duration.astype("timedelta64[D]"), np.datetime64("NaT"))
    sec1, sec2 = _draw_sectors(rng, itype, n)
    two_sectors = rng.random(n) < 0.25
    initiator, category, confidence = _draw_initiators(rng, c_track, c_country, itype, n)

    second_target = rng.random(n) < 0.12
    other = np.empty(n, dtype=object)
    for track in ("indo-pacific", "eastern-europe"):
        sel = c_track == track
        other[sel] = rng.choice(members[track], size=int(sel.sum()))
    cert_victim = (itype == "disruption") & (rng.random(n) < 0.05)
    tlp = rng.choice(TLP_IDS, size=n, p=np.asarray(TLP_WEIGHTS) / sum(TLP_WEIGHTS))
    owner = owners(rng, tlp, c_track)
    attribution = np.where(initiator == "", "", rng.choice(ATTRIBUTION, n))

    ids = np.arange(1, n + 1)
    frame = pd.DataFrame(
        {
            "track": c_track,
            "source_id": pd.Series(ids).map("SYN-{:07d}".format).to_numpy(),
            "start_date": pd.to_datetime(start).date,
            "end_date": [None if pd.isna(e) else e for e in pd.to_datetime(end).date],
            "incident_type": itype,
            "severity": severity,
            "initiator_name": pd.Series(initiator).map(INITIATOR_NAMES).to_numpy(),
            "initiator_category": category,
            "attribution_basis": attribution,
            "confidence": confidence,
            "tlp": tlp,
            "owner_org": owner,
        }
    )
    t1 = pd.Series(c_country)
    t2 = pd.Series(other)
    critical = {s["id"] for s in load("sectors.csv") if s["critical_infrastructure"]}
    sectors = [[a] if not two else [a, b] for a, b, two in zip(sec1, sec2, two_sectors)]
    frame["target_countries"] = [[a] if not two or a == b else [a, b] for a, b, two in zip(t1, t2, second_target)]
    frame["initiator_countries"] = [[i] if i else [] for i in initiator]
    frame["sectors"] = sectors
    frame["norms"] = [
        _implicated(ty, secs, cert, cat, critical) for ty, secs, cert, cat in zip(itype, sectors, cert_victim, category)
    ]
    _add_texts(frame, sec1, t1)
    return frame.sort_values(["start_date", "source_id"], kind="stable").reset_index(drop=True)


def _implicated(itype: str, sectors: list[str], cert_victim: bool, category: str, critical: set[str]) -> list[str]:
    """The norms a synthetic source asserts an incident implicates (DESIGN section 4): f for an attack on critical
    infrastructure, never g (protecting one's own infrastructure is the victim's duty, not what an attack strains)."""
    out = []
    if any(s in critical for s in sectors):
        out.append("un-norms:f")
    if itype == "supply-chain":
        out.append("un-norms:i")
    if cert_victim:
        out.append("un-norms:k")
    if category == "non-state (territory of state)":
        out.append("un-norms:c")
    return out

"""Deterministic synthetic demo data for both tracks, clearly labelled as synthetic wherever it is shown.

Everything is drawn from numpy's Generator seeded with --seed, in a fixed order, with vectorised operations,
so the same seed always gives the same rows and a million incidents take seconds. The frames come out in the
canonical shape of our upload templates (list cells as Python lists); `to_template_csv` writes the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.core.vocabulary import labels, load, track_members

SYNTHETIC_TAG = "[SYNTHETIC]"
START = dt.date(2022, 1, 1)
END = dt.date(2026, 10, 31)  # fixed, so a seed gives the same data whatever day it runs
HOST_ORG = "Dialogue Secretariat"
PARTNER_ORGS = {
    "indo-pacific": ["Pacific CERT Network (synthetic)", "Mekong Telecom ISAC (synthetic)"],
    "eastern-europe": ["Baltic Energy ISAC (synthetic)", "Danube CSIRT Alliance (synthetic)"],
}
ROUNDS = [dt.date(2023, 6, 30), dt.date(2024, 6, 30), dt.date(2025, 6, 30), dt.date(2026, 6, 30)]

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
TRACKS = ("indo-pacific", "eastern-europe")
TLP_IDS = ["clear", "green", "amber", "amber+strict", "red"]
TLP_WEIGHTS = [44, 26, 18, 8, 4]


@dataclass(frozen=True)
class DemoData:
    """Synthetic frames per layer, each with a `track` column."""

    incidents: pd.DataFrame
    norms: pd.DataFrame
    partnerships: pd.DataFrame


def _months() -> pd.PeriodIndex:
    return pd.period_range(START, END, freq="M")


def _owner(rng: np.random.Generator, tlp: np.ndarray, track: np.ndarray) -> np.ndarray:
    """Owning organisation: the secretariat, except some AMBER+STRICT rows that a partner supplied."""
    owner = np.full(len(tlp), HOST_ORG, dtype=object)
    strict = np.flatnonzero(tlp == "amber+strict")
    partner = strict[rng.random(len(strict)) < 0.3]
    pick = rng.integers(0, 2, len(partner))
    owner[partner] = [PARTNER_ORGS[track[i]][p] for i, p in zip(partner, pick)]
    return owner


def generate_incidents(n: int, rng: np.random.Generator, tracks: Sequence[str] = TRACKS) -> pd.DataFrame:
    """n synthetic incidents with seasonal and regional structure and planted surges, in these tracks."""
    months = _months()
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
    weights_arr = np.asarray(weights)
    cell = rng.choice(len(weights_arr), size=n, p=weights_arr / weights_arr.sum())
    c_track = np.asarray(cells_track, dtype=object)[cell]
    c_country = np.asarray(cells_country, dtype=object)[cell]
    c_month = np.asarray(cells_month)[cell]
    c_surge_type = np.asarray(cells_type, dtype=object)[cell]

    month_start = months.start_time.to_numpy().astype("datetime64[D]")
    days_in = months.days_in_month.to_numpy()
    start = month_start[c_month] + (rng.random(n) * days_in[c_month]).astype("timedelta64[D]")

    itype = np.empty(n, dtype=object)
    for track in ("indo-pacific", "eastern-europe"):
        sel = c_track == track
        p = np.asarray(TYPE_WEIGHTS[track], dtype=float)
        itype[sel] = rng.choice(TYPES, size=int(sel.sum()), p=p / p.sum())
    surge_pick = (c_surge_type != "") & (rng.random(n) < 0.75)
    itype[surge_pick] = c_surge_type[surge_pick]

    mean_sev = np.vectorize(TYPE_SEVERITY.get)(itype).astype(float)
    severity = np.clip(np.rint(mean_sev + rng.normal(0, 0.9, n)), 0, 5).astype(int)

    duration = rng.integers(0, 45, n)
    has_end = rng.random(n) < 0.6
    end = np.where(has_end, start + duration.astype("timedelta64[D]"), np.datetime64("NaT"))

    sec1 = np.empty(n, dtype=object)
    sec2 = np.empty(n, dtype=object)
    for t, options in TYPE_SECTORS.items():
        sel = itype == t
        k = int(sel.sum())
        a = rng.integers(0, len(options), k)
        b = (a + rng.integers(1, len(options), k)) % len(options)
        sec1[sel] = np.asarray(options, dtype=object)[a]
        sec2[sel] = np.asarray(options, dtype=object)[b]
    two_sectors = rng.random(n) < 0.25

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

    second_target = rng.random(n) < 0.12
    other = np.empty(n, dtype=object)
    for track in ("indo-pacific", "eastern-europe"):
        sel = c_track == track
        other[sel] = rng.choice(members[track], size=int(sel.sum()))
    cert_victim = (itype == "disruption") & (rng.random(n) < 0.05)

    tlp = rng.choice(TLP_IDS, size=n, p=np.asarray(TLP_WEIGHTS) / sum(TLP_WEIGHTS))
    owner = _owner(rng, tlp, c_track)
    attribution = np.where(initiator == "", "", rng.choice(ATTRIBUTION, n))

    critical = {s["id"] for s in load("sectors.csv") if s["critical_infrastructure"]}
    type_names = labels("incident_types.csv")
    sector_names = labels("sectors.csv")
    country_names = labels("countries.csv", key="iso3")

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
    targets = [[a] if not two or a == b else [a, b] for a, b, two in zip(t1, t2, second_target)]
    sectors = [[a] if not two else [a, b] for a, b, two in zip(sec1, sec2, two_sectors)]
    frame["target_countries"] = targets
    frame["initiator_countries"] = [[i] if i else [] for i in initiator]
    frame["sectors"] = sectors
    frame["norms"] = [
        _implicated(ty, secs, cert, cat, critical) for ty, secs, cert, cat in zip(itype, sectors, cert_victim, category)
    ]
    frame["title"] = (
        SYNTHETIC_TAG
        + " "
        + frame["incident_type"].map(type_names)
        + " against "
        + pd.Series(sec1).map(sector_names).str.lower()
        + " in "
        + t1.map(country_names)
    )
    frame["description"] = (
        "Synthetic demo record, not a real incident. Generated for "
        + frame["track"]
        + " with severity "
        + frame["severity"].astype(str)
        + "."
    )
    frame["source_urls"] = [[f"https://example.org/synthetic/incident/{i}"] for i in frame["source_id"]]
    return frame.sort_values(["start_date", "source_id"], kind="stable").reset_index(drop=True)


def _implicated(itype: str, sectors: list[str], cert_victim: bool, category: str, critical: set[str]) -> list[str]:
    """Default norms implicated by an incident (DESIGN section 4)."""
    out = []
    if any(s in critical for s in sectors):
        out += ["un-norms:f", "un-norms:g"]
    if itype == "supply-chain":
        out.append("un-norms:i")
    if cert_victim:
        out.append("un-norms:k")
    if category == "non-state (territory of state)":
        out.append("un-norms:c")
    return out


def generate_norms(rng: np.random.Generator) -> pd.DataFrame:
    """Assessments of every track country on every applicable item across four rounds, mostly improving."""
    items = pd.DataFrame(load("framework_items.csv"))
    frameworks = {f["id"]: f["tracks"].split(";") for f in load("frameworks.csv")}
    members = track_members()
    statuses = np.array(["not_started", "in_progress", "implemented"], dtype=object)
    rows = []
    for track in ("indo-pacific", "eastern-europe"):
        applies = {f for f, tracks in frameworks.items() if track in tracks}
        track_items = items[items["framework_id"].isin(applies)]["id"].tolist()
        for iso3 in members[track]:
            maturity = rng.beta(2, 2)
            level = (rng.random(len(track_items)) < maturity).astype(int) + (rng.random(len(track_items)) < maturity)
            unknown = rng.random(len(track_items)) < 0.05
            for r, when in enumerate(ROUNDS):
                if r:
                    step = rng.random(len(track_items))
                    level = np.clip(level + (step < 0.25) - (step > 0.97), 0, 2)
                tlp = rng.choice(TLP_IDS[:3], size=len(track_items), p=[0.6, 0.3, 0.1])
                for j, item in enumerate(track_items):
                    rows.append(
                        (
                            track,
                            iso3,
                            item,
                            when,
                            f"{when.year} round",
                            "unknown" if unknown[j] else statuses[level[j]],
                            tlp[j],
                        )
                    )
    frame = pd.DataFrame(rows, columns=["track", "iso3", "item_id", "assessed_on", "round_label", "status", "tlp"])
    frame["evidence_url"] = (
        "https://example.org/synthetic/evidence/"
        + frame["iso3"]
        + "/"
        + frame["item_id"].str.replace(":", "-")
        + "/"
        + frame["assessed_on"].astype(str)
    )
    frame["assessor"] = "Synthetic assessor"
    frame["owner_org"] = HOST_ORG
    frame["note"] = "Synthetic demo assessment."
    return frame


HOTLINES = {
    "indo-pacific": [
        ("CHN", "USA"),
        ("CHN", "JPN"),
        ("CHN", "IND"),
        ("IND", "PAK"),
        ("CHN", "PHL"),
        ("CHN", "VNM"),
        ("JPN", "KOR"),
        ("AUS", "CHN"),
        ("AUS", "IDN"),
        ("KOR", "CHN"),
        ("SGP", "MYS"),
        ("USA", "PHL"),
        ("THA", "KHM"),
    ],
    "eastern-europe": [
        ("RUS", "UKR"),
        ("RUS", "EST"),
        ("RUS", "LVA"),
        ("RUS", "LTU"),
        ("RUS", "POL"),
        ("ARM", "AZE"),
        ("RUS", "GEO"),
        ("BLR", "POL"),
        ("BLR", "LTU"),
        ("SRB", "XKX"),
        ("MDA", "ROU"),
        ("UKR", "POL"),
    ],
}
FOCI = [
    "incident response",
    "critical infrastructure protection",
    "cybercrime",
    "CERT maturity",
    "cyber diplomacy",
    "threat information sharing",
    "election security",
    "skills and awareness",
]
COMPANIES = [
    "Telco (synthetic)",
    "Cloud provider (synthetic)",
    "Grid operator (synthetic)",
    "Bank (synthetic)",
    "Security vendor (synthetic)",
]


def generate_partnerships(rng: np.random.Generator) -> pd.DataFrame:
    """About 150 partnerships: hotlines between rival and neighbouring states, plus projects, PPPs and networks."""
    members = track_members()
    names = labels("countries.csv", key="iso3")
    rows = []
    today = END
    for track in ("indo-pacific", "eastern-europe"):
        for a, b in HOTLINES[track]:
            start = START - dt.timedelta(days=int(rng.integers(0, 2000)))
            age = rng.choice([20, 120, 300, 500, 900, -1], p=[0.2, 0.25, 0.2, 0.15, 0.1, 0.1])
            status = "suspended" if (a, b) in {("RUS", "UKR"), ("ARM", "AZE")} else "active"
            rows.append(
                dict(
                    track=track,
                    kind="hotline",
                    name=f"{names[a]}-{names[b]} cyber hotline",
                    countries=[a, b],
                    parties=[
                        (f"Government of {names[a]}", "government", a),
                        (f"Government of {names[b]}", "government", b),
                    ],
                    focus="crisis communication",
                    start_date=start,
                    end_date=None,
                    status=status,
                    last_tested=None if age < 0 else today - dt.timedelta(days=int(age) + int(rng.integers(0, 30))),
                    funding_usd=None,
                    funder="",
                )
            )
        country_list = members[track]
        for k in range(62):
            kind = rng.choice(
                ["capacity-building", "ppp", "poc-network", "mou", "exercise"], p=[0.4, 0.25, 0.1, 0.15, 0.1]
            )
            n_c = 2 if kind == "mou" else int(rng.integers(1, 5))
            cs = list(dict.fromkeys(rng.choice(country_list, size=n_c, replace=False)))
            focus = str(rng.choice(FOCI))
            start = START + dt.timedelta(days=int(rng.integers(-900, 1700)))
            length = int(rng.integers(180, 1500))
            end = start + dt.timedelta(days=length)
            status = "ended" if end < today else ("planned" if start > today else "active")
            if status == "active" and rng.random() < 0.08:
                status = "suspended"
            parties = [(f"Government of {names[c]}", "government", c) for c in cs[:2]]
            if kind == "ppp":
                parties.append((str(rng.choice(COMPANIES)), "company", cs[0]))
            if kind in {"capacity-building", "exercise"}:
                parties.append(
                    (str(rng.choice(["National CERT (synthetic)", "Regional CERT forum (synthetic)"])), "cert", cs[0])
                )
                parties.append(
                    (
                        str(
                            rng.choice(
                                [
                                    "Cyber capacity NGO (synthetic)",
                                    "University lab (synthetic)",
                                    "Regional organisation (synthetic)",
                                ]
                            )
                        ),
                        str(rng.choice(["ngo", "academia", "international-organisation"])),
                        "",
                    )
                )
            if kind == "poc-network":
                parties = [(f"{names[c]} national PoC", "cert", c) for c in cs]
            title = {
                "capacity-building": "capacity-building project",
                "ppp": "public-private partnership",
                "poc-network": "point-of-contact network",
                "mou": "memorandum of understanding",
                "exercise": "exercise",
            }[kind]
            rows.append(
                dict(
                    track=track,
                    kind=kind,
                    name=f"{focus.capitalize()} {title} {k + 1} (synthetic)",
                    countries=cs,
                    parties=parties,
                    focus=focus,
                    start_date=start,
                    end_date=end,
                    status=status,
                    last_tested=(today - dt.timedelta(days=int(rng.integers(10, 600))))
                    if kind == "poc-network"
                    else None,
                    funding_usd=float(rng.integers(5, 400) * 10_000) if kind == "capacity-building" else None,
                    funder=str(rng.choice(["Donor government (synthetic)", "Development bank (synthetic)"]))
                    if kind == "capacity-building"
                    else "",
                )
            )
    frame = pd.DataFrame(rows)
    frame["source_id"] = [f"SYN-P{i:04d}" for i in range(1, len(frame) + 1)]
    tlp = rng.choice(TLP_IDS, size=len(frame), p=[0.4, 0.3, 0.18, 0.08, 0.04])
    frame["tlp"] = tlp
    frame["owner_org"] = _owner(rng, tlp, frame["track"].to_numpy())
    frame["description"] = "Synthetic demo partnership, not a real agreement."
    frame["url"] = [f"https://example.org/synthetic/partnership/{s}" for s in frame["source_id"]]
    return frame


def generate(seed: int = 42, incidents: int = 2000, *, incident_tracks: Sequence[str] = TRACKS) -> DemoData:
    """All three layers for both tracks from one seed (incidents only in `incident_tracks`, by default both)."""
    rng = np.random.default_rng(seed)
    return DemoData(
        incidents=generate_incidents(incidents, rng, incident_tracks),
        norms=generate_norms(rng),
        partnerships=generate_partnerships(rng),
    )


def write_template_files(data: DemoData, out_dir: Path) -> dict[str, Path]:
    """Write the demo data as upload files in our template format: incidents.csv, norms.csv, partnerships.csv."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from dashboard.ingest.templates import to_template_frame

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for layer in ("incidents", "norms", "partnerships"):
        path = out_dir / f"{layer}.csv"
        table = pa.Table.from_pandas(to_template_frame(layer, getattr(data, layer)), preserve_index=False)
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        paths[layer] = path
    return paths


def seed_database(engine, seed: int = 42, incidents: int = 2000) -> list[int]:
    """Store the demo data as one synthetic dataset version per layer and track; returns the version ids."""
    import hashlib

    from dashboard.ingest.commit import VersionMeta, commit_version
    from dashboard.ingest.templates import to_template_frame

    data = generate(seed, incidents)
    version_ids = []
    for layer in ("incidents", "norms", "partnerships"):
        frame = getattr(data, layer)
        for track, part in frame.groupby("track", sort=True):
            digest = hashlib.sha256(to_template_frame(layer, part).to_csv(index=False).encode()).hexdigest()
            meta = VersionMeta(
                layer=layer,
                track_id=str(track),
                uploaded_by="demo-generator",
                file_name=f"synthetic-demo-seed-{seed}-{layer}.csv",
                sha256=digest,
                mode="seed",
                synthetic=True,
                note=f"Synthetic demo data generated with seed {seed}; not real events.",
            )
            version_ids.append(commit_version(engine, meta, part.drop(columns="track").reset_index(drop=True)))
    return version_ids

"""Synthetic norm assessments and partnerships (hotlines, projects, PPPs and networks) for both tracks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.vocabulary import labels, load, track_members
from dashboard.ops.synthetic import END, HOST_ORG, START, TLP_IDS, owners

ROUNDS = [dt.date(2023, 6, 30), dt.date(2024, 6, 30), dt.date(2025, 6, 30), dt.date(2026, 6, 30)]


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
PROJECT_TITLES = {
    "capacity-building": "capacity-building project",
    "ppp": "public-private partnership",
    "poc-network": "point-of-contact network",
    "mou": "memorandum of understanding",
    "exercise": "exercise",
}
COMPANIES = [
    "Telco (synthetic)",
    "Cloud provider (synthetic)",
    "Grid operator (synthetic)",
    "Bank (synthetic)",
    "Security vendor (synthetic)",
]


def _hotline(rng: np.random.Generator, track: str, a: str, b: str, names: dict[str, str]) -> dict[str, Any]:
    """One hotline between two states, most tested recently, some never."""
    start = START - dt.timedelta(days=int(rng.integers(0, 2000)))
    age = rng.choice([20, 120, 300, 500, 900, -1], p=[0.2, 0.25, 0.2, 0.15, 0.1, 0.1])
    status = "suspended" if (a, b) in {("RUS", "UKR"), ("ARM", "AZE")} else "active"
    return dict(
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
        last_tested=None if age < 0 else END - dt.timedelta(days=int(age) + int(rng.integers(0, 30))),
        funding_usd=None,
        funder="",
    )


def _project_parties(
    rng: np.random.Generator, kind: str, cs: list[str], names: dict[str, str]
) -> list[tuple[str, str, str]]:
    """The parties of a project: the first two governments, and a company, CERT or civil-society party by kind."""
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
    return parties


def _project(rng: np.random.Generator, track: str, k: int, names: dict[str, str]) -> dict[str, Any]:
    """The k-th project, PPP, PoC network, MoU or exercise of a track."""
    today = END
    kind = rng.choice(["capacity-building", "ppp", "poc-network", "mou", "exercise"], p=[0.4, 0.25, 0.1, 0.15, 0.1])
    n_c = 2 if kind == "mou" else int(rng.integers(1, 5))
    cs = list(dict.fromkeys(rng.choice(track_members()[track], size=n_c, replace=False)))
    focus = str(rng.choice(FOCI))
    start = START + dt.timedelta(days=int(rng.integers(-900, 1700)))
    length = int(rng.integers(180, 1500))
    end = start + dt.timedelta(days=length)
    status = "ended" if end < today else ("planned" if start > today else "active")
    if status == "active" and rng.random() < 0.08:
        status = "suspended"
    parties = _project_parties(rng, kind, cs, names)
    return dict(
        track=track,
        kind=kind,
        name=f"{focus.capitalize()} {PROJECT_TITLES[kind]} {k + 1} (synthetic)",
        countries=cs,
        parties=parties,
        focus=focus,
        start_date=start,
        end_date=end,
        status=status,
        last_tested=(today - dt.timedelta(days=int(rng.integers(10, 600)))) if kind == "poc-network" else None,
        funding_usd=float(rng.integers(5, 400) * 10_000) if kind == "capacity-building" else None,
        funder=str(rng.choice(["Donor government (synthetic)", "Development bank (synthetic)"]))
        if kind == "capacity-building"
        else "",
    )


def generate_partnerships(rng: np.random.Generator) -> pd.DataFrame:
    """About 150 partnerships: hotlines between rival and neighbouring states, plus projects, PPPs and networks.

    Every draw comes from `rng` in a fixed order: change the order and a seed no longer gives the same rows.
    """
    names = labels("countries.csv", key="iso3")
    rows = []
    for track in ("indo-pacific", "eastern-europe"):
        rows += [_hotline(rng, track, a, b, names) for a, b in HOTLINES[track]]
        rows += [_project(rng, track, k, names) for k in range(62)]
    frame = pd.DataFrame(rows)
    frame["source_id"] = [f"SYN-P{i:04d}" for i in range(1, len(frame) + 1)]
    tlp = rng.choice(TLP_IDS, size=len(frame), p=[0.4, 0.3, 0.18, 0.08, 0.04])
    frame["tlp"] = tlp
    frame["owner_org"] = owners(rng, tlp, frame["track"].to_numpy())
    frame["description"] = "Synthetic demo partnership, not a real agreement."
    frame["url"] = [f"https://example.org/synthetic/partnership/{s}" for s in frame["source_id"]]
    return frame

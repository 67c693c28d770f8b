"""Small hand-made datasets for tests where the right answer is known."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from dashboard.ingest.commit import VersionMeta, commit_version


def incident(
    title: str,
    *,
    tlp: str = "clear",
    owner: str = "Dialogue Secretariat",
    when: str = "2025-03-10",
    targets: tuple[str, ...] = ("EST",),
    sectors: tuple[str, ...] = ("energy",),
    itype: str = "disruption",
    severity: int = 3,
    initiators: tuple[str, ...] = (),
) -> dict:
    """One canonical incident row."""
    return {
        "source_id": title,
        "title": title,
        "description": "",
        "start_date": dt.date.fromisoformat(when),
        "end_date": None,
        "incident_type": itype,
        "severity": severity,
        "target_countries": list(targets),
        "initiator_countries": list(initiators),
        "initiator_name": "",
        "initiator_category": "",
        "sectors": list(sectors),
        "norms": [],
        "attribution_basis": "",
        "confidence": "unknown",
        "source_urls": [],
        "tlp": tlp,
        "owner_org": owner,
    }


def store_incidents(engine: Engine, track: str, rows: list[dict], *, mode: str = "append", user: str = "tester") -> int:
    """Commit incident rows as one dataset version; returns its id."""
    meta = VersionMeta(
        layer="incidents", track_id=track, uploaded_by=user, file_name="test.csv", sha256="0" * 64, mode=mode
    )
    return commit_version(engine, meta, pd.DataFrame(rows))

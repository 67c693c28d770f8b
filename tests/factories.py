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


def norm(iso3: str, item: str, when: str, status: str, *, tlp: str = "clear") -> dict:
    """One canonical norm assessment row."""
    return {
        "iso3": iso3,
        "item_id": item,
        "assessed_on": dt.date.fromisoformat(when),
        "round_label": when[:4],
        "status": status,
        "evidence_url": f"https://example.org/{iso3}/{item}",
        "assessor": "t",
        "tlp": tlp,
        "owner_org": "Dialogue Secretariat",
        "note": "",
    }


def partnership(
    name: str,
    kind: str,
    countries: tuple[str, ...],
    *,
    status: str = "active",
    tlp: str = "clear",
    start: str | None = "2024-01-01",
    end: str | None = None,
    tested: str | None = None,
    parties: tuple[tuple[str, str, str], ...] = (),
) -> dict:
    """One canonical partnership row."""
    day = dt.date.fromisoformat
    return {
        "source_id": name,
        "name": name,
        "kind": kind,
        "focus": "incident response",
        "description": "",
        "countries": list(countries),
        "parties": list(parties),
        "start_date": day(start) if start else None,
        "end_date": day(end) if end else None,
        "status": status,
        "last_tested": day(tested) if tested else None,
        "funding_usd": None,
        "funder": "",
        "url": "",
        "tlp": tlp,
        "owner_org": "Dialogue Secretariat",
    }


def store(engine: Engine, layer: str, track: str, rows: list[dict]) -> int:
    """Commit rows of any layer as one dataset version."""
    meta = VersionMeta(layer=layer, track_id=track, uploaded_by="tester", file_name="t.csv", sha256="0" * 64)
    return commit_version(engine, meta, pd.DataFrame(rows))


def attribution(
    attributor: str,
    *,
    when: str | None = None,
    attributor_country: str = "",
    attributed: str = "",
    attributed_country: str = "RUS",
    kind: str = "government",
    source: str = "",
    confidence: str = "high",
):
    """One attribution event, for an incident row's "attributions" list (stored with the incident)."""
    from dashboard.ingest.attributions import Attribution

    return Attribution(
        date=dt.date.fromisoformat(when) if when else None,
        attributor=attributor,
        attributor_country=attributor_country,
        attributed=attributed,
        attributed_actors=frozenset(),
        attributed_country=attributed_country,
        kind=kind,
        basis="",
        source=source,
        confidence=confidence,
    )


def response(
    responder: str,
    *,
    when: str | None = None,
    responder_country: str = "",
    kind: str = "statement",
    target: str = "",
    link: str = "",
):
    """One response event, for an incident row's "responses" list (stored with the incident)."""
    from dashboard.ingest.responses import Response

    return Response(
        date=dt.date.fromisoformat(when) if when else None,
        responder=responder,
        responder_country=responder_country,
        responder_region="",
        kind=kind,
        source_kind=kind,
        target=target,
        link=link,
        layer="political",
    )

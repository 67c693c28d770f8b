"""ORM models of the events around an incident: who attributed it to whom (incident_attributions) and what states
did next (incident_responses). They share the incident's track, marking and version: a viewer sees an event exactly
when they see its incident."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.store.models import Base


class IncidentAttribution(Base):
    """One attribution event of an incident (dashboard/ingest/attributions.py): date, who attributed, to whom, of
    what kind and on what basis, the source link, and the confidence the rule derives from the source's words."""

    __tablename__ = "incident_attributions"
    __table_args__ = (CheckConstraint("confidence IN ('low', 'medium', 'high')", name="confidence"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the source record
    date: Mapped[dt.date | None] = mapped_column(Date)
    attributor: Mapped[str] = mapped_column(Text, default="")
    attributor_country: Mapped[str] = mapped_column(String(3), default="")
    attributed: Mapped[str] = mapped_column(Text, default="")
    attributed_actors: Mapped[list[str]] = mapped_column(JSON, default=list)  # actor ids (core/threat_actors)
    attributed_country: Mapped[str] = mapped_column(String(3), default="")
    kind: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[str] = mapped_column(String(10))


class IncidentResponse(Base):
    """One political or legal response to an incident (dashboard/ingest/responses.py): when, who responded (a state,
    a region such as the EU, or unnamed), the kind (statement, démarche, sanctions, indictment, expulsion, other),
    the source's own label, the target, and the link."""

    __tablename__ = "incident_responses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the source record
    date: Mapped[dt.date | None] = mapped_column(Date)
    responder: Mapped[str] = mapped_column(Text, default="")
    responder_country: Mapped[str] = mapped_column(String(3), default="")
    responder_region: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20))
    source_kind: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(String(120), default="")  # ISO3 codes, "; "-joined
    link: Mapped[str] = mapped_column(Text, default="")
    layer: Mapped[str] = mapped_column(String(20), default="political")  # political | legal

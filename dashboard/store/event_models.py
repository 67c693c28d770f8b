"""ORM models of the events around an incident: who attributed it to whom (incident_attributions). They share the
incident's track, marking and version: a viewer sees an event exactly when they see its incident."""

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

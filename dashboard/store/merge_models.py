"""ORM models of one incident across sources: the merges of source records (dashboard/read/merges.py) and the
merge group of each source key that has partners."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.store.models import Base

MERGE_STATUSES = ("matched", "confirmed", "split")  # found by the matcher; confirmed; split by a coordinator


class IncidentMerge(Base):
    """Two source records (by source key, the smaller first) that describe one incident, or were decided not to."""

    __tablename__ = "incident_merges"
    __table_args__ = (
        CheckConstraint("status IN ('matched', 'confirmed', 'split')", name="status"),
        CheckConstraint("left_key < right_key", name="ordered"),
        UniqueConstraint("left_key", "right_key"),
        Index("ix_incident_merges_right_key", "right_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    left_key: Mapped[str] = mapped_column(String(200))
    right_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    found_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SourceGroup(Base):
    """The merge group (its smallest source key) of a source key that has merge partners."""

    __tablename__ = "source_groups"
    source_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(200), index=True)

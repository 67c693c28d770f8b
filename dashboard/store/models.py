"""SQLAlchemy 2.0 typed ORM models: reference vocabularies, the three data layers, versions and audit."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LAYERS = ("incidents", "norms", "partnerships")


def utcnow() -> dt.datetime:
    """Timezone-aware current time in UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# ---------------------------------------------------------------- reference vocabularies


class Country(Base):
    __tablename__ = "countries"
    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    official_name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # False for states too small for the 1:110m boundaries: drawn as markers at (lat, lon).
    has_shape: Mapped[bool] = mapped_column(Boolean, default=True)


class Track(Base):
    __tablename__ = "tracks"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")


class TrackMember(Base):
    __tablename__ = "track_members"
    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"), primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), primary_key=True)
    basis: Mapped[str] = mapped_column(String(200), default="")


class Framework(Base):
    __tablename__ = "frameworks"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(Text, default="")
    tracks: Mapped[str] = mapped_column(String(200), default="")  # ";"-joined track ids it applies to


class FrameworkItem(Base):
    __tablename__ = "framework_items"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    framework_id: Mapped[str] = mapped_column(ForeignKey("frameworks.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Sector(Base):
    __tablename__ = "sectors"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    group: Mapped[str] = mapped_column(String(60), default="")
    critical_infrastructure: Mapped[bool] = mapped_column(Boolean, default=False)
    cisa_sector: Mapped[str] = mapped_column(String(120), default="")


class IncidentType(Base):
    __tablename__ = "incident_types"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    examples: Mapped[str] = mapped_column(Text, default="")
    enisa_class: Mapped[str] = mapped_column(String(120), default="")


class TlpLevel(Base):
    __tablename__ = "tlp_levels"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    rank: Mapped[int] = mapped_column(Integer, unique=True)
    audience: Mapped[str] = mapped_column(Text, default="")
    shareable_by_link: Mapped[bool] = mapped_column(Boolean, default=False)
    colour: Mapped[str] = mapped_column(String(10), default="")


class SeverityLevel(Base):
    __tablename__ = "severity_levels"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40))
    significant: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")


class NormStatus(Base):
    __tablename__ = "norm_statuses"
    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    score: Mapped[float | None] = mapped_column(Float)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PartnershipKind(Base):
    __tablename__ = "partnership_kinds"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class PartyType(Base):
    __tablename__ = "party_types"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class PartnershipStatus(Base):
    __tablename__ = "partnership_statuses"
    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))


# ---------------------------------------------------------------- versions and audit


class DatasetVersion(Base):
    """One accepted upload (or demo seed) of one layer for one track; rows point at the version they came from."""

    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("layer", "track_id", "number", name="layer_track_number"),
        CheckConstraint("layer IN ('incidents', 'norms', 'partnerships')", name="layer"),
        CheckConstraint("mode IN ('append', 'replace', 'seed')", name="mode"),
        CheckConstraint("status IN ('active', 'inactive')", name="status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer: Mapped[str] = mapped_column(String(20))
    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"))
    number: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(10))
    # 'active': its rows are visible. In append mode a version builds on base_version_id, whose rows stay visible.
    status: Mapped[str] = mapped_column(String(10), default="active")
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_warning: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # Ids of the versions of this layer and track that were active right after this commit: rolling back to this
    # version re-activates exactly these.
    active_set: Mapped[list[int]] = mapped_column(JSON, default=list)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_removed: Mapped[int] = mapped_column(Integer, default=0)
    preset: Mapped[str] = mapped_column(String(20), default="")


class RowReplacement(Base):
    """A row hidden by a later version that carries its new content (append mode, changed rows).

    The old row stays stored; it is hidden only while the replacing version is active, so a rollback shows it again.
    """

    __tablename__ = "row_replacements"
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"), primary_key=True)
    layer: Mapped[str] = mapped_column(String(20), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True)


Index("ix_row_replacements_layer_row", RowReplacement.layer, RowReplacement.row_id)


Index("ix_dataset_versions_layer_track_status", DatasetVersion.layer, DatasetVersion.track_id, DatasetVersion.status)


class WriteCounter(Base):
    """One row (id 1) whose n grows with every write that changes what a reader may see (triggers and
    `store.db.bump_write_counter`); data stamps include it. Never backed up or restored: it only grows."""

    __tablename__ = "write_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# ---------------------------------------------------------------- shared columns of the three layers


class _Scoped:
    """Columns every data row carries: the track, TLP marking, owning organisation and source version."""

    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"))
    tlp: Mapped[str] = mapped_column(ForeignKey("tlp_levels.id"))
    # The organisation that supplied the row; TLP:AMBER+STRICT rows are visible to it alone.
    owner_org: Mapped[str] = mapped_column(String(120), default="")
    dataset_version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"), index=True)


# ---------------------------------------------------------------- incidents


class Incident(_Scoped, Base):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("severity IS NULL OR (severity BETWEEN 0 AND 5)", name="severity"),
        CheckConstraint("confidence IN ('low', 'medium', 'high', 'unknown')", name="confidence"),
        Index("ix_incidents_track_start", "track_id", "start_date"),
        # Covering index of the columnar snapshot's read (dashboard/read/snapshot.py), in its grouping order.
        Index(
            "ix_incidents_facts",
            "track_id",
            "tlp",
            "incident_type_id",
            "severity",
            "dataset_version_id",
            "start_date",
            "id",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(120), default="", index=True)
    # "<source>:<source id>" ("eurepoc:1234", "template:NCSC-2026-014"), "" without a source id: copies of one
    # source record uploaded into both tracks share it, and the views count them once (dashboard/read/scope.py).
    source_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    # The primary type (charts that need one type); every type the source gives is in incident_type_links.
    incident_type_id: Mapped[str] = mapped_column(ForeignKey("incident_types.id"))
    severity: Mapped[int | None] = mapped_column(ForeignKey("severity_levels.level"))
    initiator_name: Mapped[str] = mapped_column(Text, default="")  # "; "-joined names, aliases kept whole
    initiator_category: Mapped[str] = mapped_column(String(200), default="")
    attribution_basis: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(10), default="unknown")
    source_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    original: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # source values before mapping

    targets: Mapped[list[IncidentTarget]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    initiators: Mapped[list[IncidentInitiator]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    sectors: Mapped[list[IncidentSector]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    norms: Mapped[list[IncidentNorm]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    types: Mapped[list[IncidentTypeLink]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class _IncidentFact:
    """A link from an incident to one value of a list field, keyed (incident_id, value).

    (value, incident) answers "incidents of these values"; on SQLite the key is the table (WITHOUT ROWID).
    """

    __tablename__: str
    value_column: ClassVar[str]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, sort_order=-1
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index(f"ix_{cls.__tablename__}_facts", cls.value_column, "incident_id"), {"sqlite_with_rowid": False})


class IncidentTarget(_IncidentFact, Base):
    __tablename__ = "incident_targets"
    value_column = "iso3"
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), primary_key=True)


class IncidentInitiator(_IncidentFact, Base):
    __tablename__ = "incident_initiators"
    value_column = "iso3"
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), primary_key=True)


class IncidentSector(_IncidentFact, Base):
    __tablename__ = "incident_sectors"
    value_column = "sector_id"
    sector_id: Mapped[str] = mapped_column(ForeignKey("sectors.id"), primary_key=True)


class IncidentNorm(_IncidentFact, Base):
    """A norm or CBM item an incident implicates: asserted by the source (basis: the source column) or inferred by
    a named rule (basis: the rule's id, dashboard/ingest/norm_rules.py)."""

    __tablename__ = "incident_norms"
    value_column = "item_id"
    item_id: Mapped[str] = mapped_column(ForeignKey("framework_items.id"), primary_key=True)
    inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    basis: Mapped[str] = mapped_column(String(120), default="")


class IncidentTypeLink(_IncidentFact, Base):
    """Every type an incident has (the source may give several); incidents.incident_type_id is the primary one."""

    __tablename__ = "incident_type_links"
    value_column = "type_id"
    type_id: Mapped[str] = mapped_column(ForeignKey("incident_types.id"), primary_key=True)


# ---------------------------------------------------------------- norm adherence


class NormAssessment(_Scoped, Base):
    __tablename__ = "norm_assessments"
    __table_args__ = (Index("ix_norm_assessments_country_item", "iso3", "item_id", "assessed_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    item_id: Mapped[str] = mapped_column(ForeignKey("framework_items.id"))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    round_label: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(ForeignKey("norm_statuses.id"))
    evidence_url: Mapped[str] = mapped_column(Text, default="")
    assessor: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


# ---------------------------------------------------------------- partnerships


class Partnership(_Scoped, Base):
    __tablename__ = "partnerships"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(120), default="", index=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(ForeignKey("partnership_kinds.id"))
    focus: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(ForeignKey("partnership_statuses.id"))
    last_tested: Mapped[dt.date | None] = mapped_column(Date)  # hotlines and PoC networks
    funding_usd: Mapped[float | None] = mapped_column(Float)
    funder: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(Text, default="")

    parties: Mapped[list[PartnershipParty]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    countries: Mapped[list[PartnershipCountry]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class PartnershipParty(Base):
    __tablename__ = "partnership_parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    party_type: Mapped[str] = mapped_column(ForeignKey("party_types.id"))
    iso3: Mapped[str | None] = mapped_column(ForeignKey("countries.iso3"))


class PartnershipCountry(Base):
    __tablename__ = "partnership_countries"
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), primary_key=True, index=True)


for _table in (Incident, NormAssessment, Partnership):
    Index(f"ix_{_table.__tablename__}_scope", _table.track_id, _table.tlp)


# ---------------------------------------------------------------- accounts and share links


class User(Base):
    """A local (or single-sign-on) account: role, tracks, TLP ceiling and organisation decide what it sees."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'official', 'coordinator', 'partner')", name="role"),
        CheckConstraint("auth_source IN ('local', 'oidc')", name="auth_source"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    tlp_ceiling: Mapped[str] = mapped_column(ForeignKey("tlp_levels.id"))
    pages: Mapped[str] = mapped_column(String(400), default="")  # ";"-joined page keys; empty: all of the role
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id; None for single-sign-on accounts
    auth_source: Mapped[str] = mapped_column(String(10), default="local")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Raised by a password reset or an account change: sessions signed in under an older epoch end.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UserTrack(Base):
    __tablename__ = "user_tracks"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"), primary_key=True)


class ShareLink(Base):
    """A read-only link for a partner organisation. Only an HMAC of the token is stored."""

    __tablename__ = "share_links"
    __table_args__ = (CheckConstraint("tlp_ceiling IN ('clear', 'green', 'amber')", name="tlp_ceiling"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation: Mapped[str] = mapped_column(String(120))
    tracks: Mapped[str] = mapped_column(String(200))  # ";"-joined track ids
    pages: Mapped[str] = mapped_column(String(400))  # ";"-joined page keys
    tlp_ceiling: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str] = mapped_column(String(120), default="")
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class WebSession(Base):
    """A browser session: the cookie holds a random token, the database only its HMAC (see accounts/sessions.py).

    A session is for an account (user_id) or a share link (share_link_id). Until the browser has its cookie, a
    one-time handoff ticket (HMAC, one minute) stands in for the token. Ended sessions are kept for the record.
    """

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ticket_binding: Mapped[str | None] = mapped_column(String(64))  # HMAC of what only the signing-in browser sends
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    share_link_id: Mapped[int | None] = mapped_column(Integer, index=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)  # the account's session epoch when it started
    client: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    end_reason: Mapped[str] = mapped_column(String(80), default="")


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as aware UTC (SQLite returns naive datetimes; everything here is UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)

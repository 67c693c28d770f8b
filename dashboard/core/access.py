"""Who is looking: roles, permissions and the Viewer that every query takes. No Streamlit here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from dashboard.core.tlp import TLP_ORDER, tlp_rank
from dashboard.core.vocabulary import TRACK_IDS


class Role(StrEnum):
    ADMIN = "admin"
    OFFICIAL = "official"
    COORDINATOR = "coordinator"
    PARTNER = "partner"


class Permission(StrEnum):
    """One per page (so a share link's page list is a set of permissions), plus actions."""

    VIEW_BRIEFING = "view_briefing"
    VIEW_INCIDENTS = "view_incidents"
    VIEW_NORMS = "view_norms"
    VIEW_PARTNERSHIPS = "view_partnerships"
    VIEW_COUNTRY = "view_country"
    VIEW_DATASETS = "view_datasets"
    VIEW_WATCHLIST = "view_watchlist"
    EXPORT_BRIEFING = "export_briefing"
    UPLOAD = "upload"
    SHARE = "share"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"  # the audit trail: administrators only


_READ = {
    Permission.VIEW_BRIEFING,
    Permission.VIEW_INCIDENTS,
    Permission.VIEW_NORMS,
    Permission.VIEW_PARTNERSHIPS,
    Permission.VIEW_COUNTRY,
    Permission.VIEW_DATASETS,
    Permission.VIEW_WATCHLIST,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OFFICIAL: frozenset(_READ | {Permission.EXPORT_BRIEFING}),
    Role.COORDINATOR: frozenset(_READ | {Permission.EXPORT_BRIEFING, Permission.UPLOAD, Permission.SHARE}),
    Role.PARTNER: frozenset(_READ - {Permission.VIEW_DATASETS}),
}


@dataclass(frozen=True)
class Viewer:
    """The person (or share link) a query runs for: role, tracks, TLP ceiling and organisation."""

    name: str
    role: Role
    tracks: frozenset[str]
    tlp_ceiling: str
    organisation: str
    permissions: frozenset[Permission] = field(default=frozenset())
    # Set for partners who came through a share link: which link, and until when it is valid.
    share_link_id: int | None = None
    expires_at: dt.datetime | None = None
    user_id: int | None = None
    # Only for the upload comparison (queries.current_rows_for_diff): AMBER+STRICT rows of every organisation.
    all_organisations: bool = False

    def __post_init__(self) -> None:
        if self.tlp_ceiling not in TLP_ORDER:
            raise ValueError(f"unknown TLP ceiling {self.tlp_ceiling!r}")
        unknown = set(self.tracks) - set(TRACK_IDS)
        if unknown:
            raise ValueError(f"unknown tracks {sorted(unknown)}")
        if not self.permissions:
            object.__setattr__(self, "permissions", ROLE_PERMISSIONS[self.role])
        elif not self.permissions <= ROLE_PERMISSIONS[self.role]:
            raise ValueError(f"a {self.role} cannot hold {sorted(self.permissions - ROLE_PERMISSIONS[self.role])}")
        if self.share_link_id is not None and self.tlp_ceiling not in {"clear", "green", "amber"}:
            raise ValueError("a share link never reaches beyond TLP:AMBER")

    def can(self, permission: Permission) -> bool:
        """True when the viewer holds the permission."""
        return permission in self.permissions

    def may_act_on(self, *tracks: str) -> bool:
        """The one rule for acting on a track's data: an administrator, or every track named is the viewer's own."""
        return self.role == Role.ADMIN or set(tracks) <= self.tracks

    def may_upload_to(self, track: str) -> bool:
        """Holds the upload permission and may act on the track (uploads, rollbacks, the upload comparison)."""
        return self.can(Permission.UPLOAD) and self.may_act_on(track)

    @property
    def visible_tlp(self) -> tuple[str, ...]:
        """TLP levels within the ceiling; AMBER+STRICT is further limited to the viewer's own organisation."""
        return TLP_ORDER[: tlp_rank(self.tlp_ceiling) + 1]


def local_admin(organisation: str) -> Viewer:
    """The viewer the app runs as until accounts exist: an administrator of every track, cleared for TLP:RED."""
    return Viewer(
        name="local-admin",
        role=Role.ADMIN,
        tracks=frozenset(TRACK_IDS),
        tlp_ceiling="red",
        organisation=organisation,
    )

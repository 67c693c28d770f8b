"""The one scope rule: which rows of a layer are current, and which of them a viewer may see.

Norm assessments and partnerships belong to the track they were uploaded into. Incidents belong to a track by their
countries: a track's views show the incidents in which at least one target or initiator country is a member of the
track (track_members, read at query time: when the membership changes, the views follow it and nothing is
re-uploaded). An incident without any country ('target not identified') belongs to the track it was uploaded into.
Copies of one source record (the same source_key, e.g. EuRepoC 1234 uploaded into both tracks) count once: a
viewer sees the copy with the lowest id among those they may see in the tracks asked for. Records of other sources
merged with it (one incident across sources: source_groups, dashboard/ingest/merges.py) count once the same way.
The columnar snapshot (dashboard/read/snapshot.py) applies the same rule to its arrays.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, and_, exists, literal_column, or_, select
from sqlalchemy.orm import aliased

from dashboard.core.access import Viewer
from dashboard.core.tlp import TLP_ORDER
from dashboard.store.merge_models import SourceGroup
from dashboard.store.models import (
    DatasetVersion,
    Incident,
    IncidentInitiator,
    IncidentTarget,
    NormAssessment,
    Partnership,
    RowReplacement,
    TrackMember,
)

LAYER_MODELS = {"incidents": Incident, "norms": NormAssessment, "partnerships": Partnership}
LAYER_OF = {model: layer for layer, model in LAYER_MODELS.items()}
STRICT = "amber+strict"
_STRICT_RANK = TLP_ORDER.index(STRICT)
# The columns of the current-rows rule with a unary plus: SQLite then scans a covering index instead of looking rows
# up by version (the snapshot's load, which reads one table without joins). Constant SQL: nothing from the data.
_HINTED = {"dataset_version_id": literal_column("+dataset_version_id"), "id": literal_column("+id")}


def current_rows(model: type, *, index_hint: bool = False, layer: str | None = None) -> ColumnElement[bool]:
    """Rows of one layer (a model of LAYER_MODELS) in an active dataset version and not replaced by an active version.

    With index_hint, the row's own columns are written unqualified with a unary plus (for a single-table read);
    `layer` names the layer of an aliased model.
    """
    version_id = _HINTED["dataset_version_id"] if index_hint else model.dataset_version_id
    row_id = _HINTED["id"] if index_hint else model.id
    active = select(DatasetVersion.id).where(DatasetVersion.status == "active")
    replaced = (  # replacements are recorded under the layer's name ('norms'), not the table's
        select(RowReplacement.row_id)
        .join(DatasetVersion, DatasetVersion.id == RowReplacement.version_id)
        .where(RowReplacement.layer == (layer or LAYER_OF[model]), DatasetVersion.status == "active")
    )
    return and_(version_id.in_(active), row_id.not_in(replaced))


@dataclass(frozen=True)
class Scope:
    """What a viewer may see of the current rows: their tracks, the TLP levels visible whoever owns the row, and
    the organisation whose AMBER+STRICT rows are visible too (None: no AMBER+STRICT row beyond `tlp`)."""

    tracks: frozenset[str]
    tlp: tuple[str, ...]
    strict_org: str | None

    @classmethod
    def of(cls, viewer: Viewer) -> Scope:
        """The scope of a viewer: AMBER+STRICT rows only of their own organisation, unless all_organisations."""
        visible = viewer.visible_tlp
        plain = tuple(t for t in visible if t != STRICT or viewer.all_organisations)
        own = viewer.organisation if STRICT in visible and not viewer.all_organisations else None
        return cls(tracks=frozenset(viewer.tracks), tlp=plain, strict_org=own)

    def marking_clause(self, model: type) -> ColumnElement[bool]:
        """The rows of one layer (or an alias) whose marking this scope may see, in SQL."""
        tlp_ok = model.tlp.in_(list(self.tlp))
        if self.strict_org is not None:
            tlp_ok = or_(tlp_ok, and_(model.tlp == STRICT, model.owner_org == self.strict_org))
        return tlp_ok

    def clause(self, model: type) -> ColumnElement[bool]:
        """The rows of one layer uploaded into this scope's tracks, with a visible marking (in SQL; current rows
        are `current_rows`). For incidents this is the stored side (versions, upload comparison); what a viewer
        sees of incidents is `incident_view_clause`."""
        return and_(model.track_id.in_(sorted(self.tracks)), self.marking_clause(model))

    def marking_mask(self, tlp: np.ndarray, orgs: list[str], org: np.ndarray) -> np.ndarray:
        """The rows whose marking this scope may see, over arrays: TLP ranks and owner codes into orgs
        (AMBER+STRICT rows; -1 otherwise)."""
        plain = np.array([t in self.tlp for t in TLP_ORDER] + [False], dtype=bool)
        mask = plain[tlp]
        if self.strict_org is not None and self.strict_org in orgs:
            mask |= (tlp == _STRICT_RANK) & (org == orgs.index(self.strict_org))
        return mask


def in_tracks(model: type, tracks: list[str]) -> ColumnElement[bool]:
    """Incidents (or an alias) that belong to any of the tracks: a target or initiator country is a member, or,
    with no country at all, it was uploaded into one of them."""
    members = select(TrackMember.iso3).where(TrackMember.track_id.in_(tracks))
    conds = []
    for link_model in (IncidentTarget, IncidentInitiator):
        link = aliased(link_model)  # its own alias: never correlated with a link table of the enclosing query
        conds.append(
            (
                exists(select(link.incident_id).where(link.incident_id == model.id)).correlate_except(link),
                exists(
                    select(link.incident_id).where(link.incident_id == model.id, link.iso3.in_(members))
                ).correlate_except(link),
            )
        )
    (any_target, member_target), (any_initiator, member_initiator) = conds
    return or_(member_target, member_initiator, and_(model.track_id.in_(tracks), ~any_target, ~any_initiator))


def incident_view_clause(scope: Scope, tracks: list[str]) -> ColumnElement[bool]:
    """The current incidents of the tracks whose marking the scope may see, each source record once (in SQL)."""
    return _view_clause(scope, tuple(sorted(tracks)))


@functools.lru_cache(maxsize=256)
def _view_clause(scope: Scope, tracks: tuple[str, ...]) -> ColumnElement[bool]:
    """incident_view_clause, built once per scope and tracks (building the aliases and subqueries costs ~10 ms)."""
    tracks = list(tracks)
    other, partner = aliased(Incident), aliased(Incident)
    theirs = aliased(SourceGroup)
    earlier_copy = exists(
        select(other.id).where(
            other.source_key == Incident.source_key,  # one index lookup per row
            other.id < Incident.id,
            current_rows(other, layer="incidents"),
            scope.marking_clause(other),
            in_tracks(other, tracks),
        )
    ).correlate_except(other)
    # Records of other sources merged with this one (dashboard/ingest/merges.py): this key's group (NULL for most
    # rows, which then find nothing through the group_key index), its keys, their incidents.
    group = (
        select(SourceGroup.group_key).where(SourceGroup.source_key == Incident.source_key).correlate(Incident)
    ).scalar_subquery()
    earlier_partner = exists(
        select(partner.id)
        .join(theirs, theirs.source_key == partner.source_key)
        .where(
            theirs.group_key == group,
            partner.id < Incident.id,
            current_rows(partner, layer="incidents"),
            scope.marking_clause(partner),
            in_tracks(partner, tracks),
        )
    ).correlate_except(partner, theirs)
    return and_(
        current_rows(Incident),
        scope.marking_clause(Incident),
        in_tracks(Incident, tracks),
        or_(Incident.source_key == "", and_(~earlier_copy, ~earlier_partner)),
    )


def scope_clause(model: type, viewer: Viewer) -> ColumnElement[bool]:
    """The rows of one layer this viewer may see: their tracks, within their TLP ceiling, from active versions.

    Incidents by their countries' track membership, each source record once (see the module's docstring)."""
    scope = Scope.of(viewer)
    if model is Incident:
        return incident_view_clause(scope, sorted(scope.tracks))
    return and_(scope.clause(model), current_rows(model))


def track_list(viewer: Viewer, tracks: frozenset[str] | None) -> list[str]:
    """The requested tracks, never more than the viewer's."""
    wanted = set(viewer.tracks) if not tracks else set(tracks) & set(viewer.tracks)
    return sorted(wanted)

"""The one scope rule: which rows of a layer are current, and which of them a viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, and_, literal_column, or_, select

from dashboard.core.access import Viewer
from dashboard.core.tlp import TLP_ORDER
from dashboard.store.models import DatasetVersion, Incident, NormAssessment, Partnership, RowReplacement

LAYER_MODELS = {"incidents": Incident, "norms": NormAssessment, "partnerships": Partnership}
STRICT = "amber+strict"
_STRICT_RANK = TLP_ORDER.index(STRICT)
# The columns of the current-rows rule with a unary plus: SQLite then scans a covering index instead of looking rows
# up by version (the snapshot's load, which reads one table without joins). Constant SQL: nothing from the data.
_HINTED = {"dataset_version_id": literal_column("+dataset_version_id"), "id": literal_column("+id")}


def current_rows(model: type, *, index_hint: bool = False) -> ColumnElement[bool]:
    """Rows of one layer (a model of LAYER_MODELS) in an active dataset version and not replaced by an active version.

    With index_hint, the row's own columns are written unqualified with a unary plus (for a single-table read).
    """
    version_id = _HINTED["dataset_version_id"] if index_hint else model.dataset_version_id
    row_id = _HINTED["id"] if index_hint else model.id
    active = select(DatasetVersion.id).where(DatasetVersion.status == "active")
    replaced = (
        select(RowReplacement.row_id)
        .join(DatasetVersion, DatasetVersion.id == RowReplacement.version_id)
        .where(RowReplacement.layer == model.__tablename__, DatasetVersion.status == "active")
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

    def clause(self, model: type) -> ColumnElement[bool]:
        """The rows of one layer within this scope (in SQL; current rows are `current_rows`)."""
        tlp_ok = model.tlp.in_(list(self.tlp))
        if self.strict_org is not None:
            tlp_ok = or_(tlp_ok, and_(model.tlp == STRICT, model.owner_org == self.strict_org))
        return and_(model.track_id.in_(sorted(self.tracks)), tlp_ok)

    def mask(
        self, tracks: list[str], track: np.ndarray, tlp: np.ndarray, orgs: list[str], org: np.ndarray
    ) -> np.ndarray:
        """The rows within this scope, over arrays: track codes into tracks (len(tracks): unknown), TLP ranks and
        owner codes into orgs (AMBER+STRICT rows; -1 otherwise)."""
        track_ok = np.array([t in self.tracks for t in tracks] + [False], dtype=bool)[track]
        plain = np.array([t in self.tlp for t in TLP_ORDER] + [False], dtype=bool)
        mask = track_ok & plain[tlp]
        if self.strict_org is not None and self.strict_org in orgs:
            mask |= track_ok & (tlp == _STRICT_RANK) & (org == orgs.index(self.strict_org))
        return mask


def scope_clause(model: type, viewer: Viewer) -> ColumnElement[bool]:
    """The rows of one layer this viewer may see: their tracks, within their TLP ceiling, from active versions."""
    return and_(Scope.of(viewer).clause(model), current_rows(model))


def track_list(viewer: Viewer, tracks: frozenset[str] | None) -> list[str]:
    """The requested tracks, never more than the viewer's."""
    wanted = set(viewer.tracks) if not tracks else set(tracks) & set(viewer.tracks)
    return sorted(wanted)

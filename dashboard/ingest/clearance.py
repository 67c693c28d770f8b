"""An uploader stores only rows they could read back: a marking within their clearance, and TLP:AMBER+STRICT only
for their own organisation (administrators: any organisation). A row marked above that is an error, so an upload
can neither hide rows from the one who made it nor put rows into another organisation's AMBER+STRICT view."""

from __future__ import annotations

from dashboard.core.access import Viewer
from dashboard.core.tlp import TLP_LABELS
from dashboard.ingest.issues import Issue, Validated
from dashboard.read.scope import STRICT, Scope


def may_mark(viewer: Viewer, tlp: str, owner_org: str | None = None) -> bool:
    """Whether the viewer could read a row with this marking (and, for AMBER+STRICT, this owner)."""
    scope = Scope.of(viewer)
    if tlp in scope.tlp:
        return True
    return tlp == STRICT and scope.strict_org is not None and (owner_org or viewer.organisation) == scope.strict_org


def check_clearance(checked: Validated, viewer: Viewer) -> None:
    """Add an error for every row the uploader could not read back after storing it."""
    rows = checked.rows
    if rows.empty or "tlp" not in rows:
        return
    owners = rows["owner_org"] if "owner_org" in rows else [viewer.organisation] * len(rows)
    ceiling = TLP_LABELS[viewer.tlp_ceiling]
    for number, tlp, owner in zip(rows["row"], rows["tlp"], owners, strict=True):
        if may_mark(viewer, tlp, owner):
            continue
        if tlp == STRICT and tlp in viewer.visible_tlp:
            message = (
                f"TLP:AMBER+STRICT rows can be marked only for your own organisation ({viewer.organisation}), "
                f"not '{owner}'"
            )
            checked.issues.append(Issue(int(number), "owner_org", str(owner), message, "error"))
        else:
            message = f"{TLP_LABELS[tlp]} is above your clearance ({ceiling}): you could not see this row once stored"
            checked.issues.append(Issue(int(number), "tlp", TLP_LABELS[tlp], message, "error"))

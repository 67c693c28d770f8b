"""Downloads leave a trace: each press of a download button is an audit event naming the file, its marking and how
many rows it holds, written by the button's on_click callback through dashboard.store.audit.

    st.download_button(label, data, file_name=name, **audited(name, tlp, rows=len(frame)))
"""

from __future__ import annotations

from typing import Any

from dashboard.app.auth import current_viewer
from dashboard.app.context import engine
from dashboard.core.access import Viewer
from dashboard.core.tlp import TLP_LABELS
from dashboard.store import audit
from dashboard.store.db import transaction

DOWNLOAD = "download"
BRIEFING_EXPORT = "briefing.export"


def actor_name(viewer: Viewer | None) -> str:
    """Who the audit trail names: the account, `share:<link id>` for a share link (as its uses are), or anonymous."""
    if viewer is None:
        return "anonymous"
    return f"share:{viewer.share_link_id}" if viewer.share_link_id is not None else viewer.name


def record_file(viewer: Viewer | None, action: str, file_name: str, tlp: str | None, **detail: Any) -> None:
    """One audit event, in a transaction of its own, for a file handed out: its name, marking and detail."""
    marking = TLP_LABELS[tlp] if tlp else ""
    with transaction(engine()) as session:
        audit.record(
            session,
            actor_name(viewer)[:120],
            action,
            "file",
            file_name[:120],
            file_name=file_name,
            marking=marking,
            **detail,
        )


def _on_click(action: str, file_name: str, tlp: str | None, detail: dict[str, Any]) -> None:
    record_file(current_viewer(), action, file_name, tlp, **detail)


def audited(file_name: str, tlp: str | None, rows: int | None = None, *, action: str = DOWNLOAD, **detail: Any) -> dict:
    """Keyword arguments for st.download_button that audit each press: the file name, its marking, the rows it
    holds (when known) and any further detail (JSON values)."""
    if rows is not None:
        detail["rows"] = int(rows)
    return {"on_click": _on_click, "kwargs": {"action": action, "file_name": file_name, "tlp": tlp, "detail": detail}}

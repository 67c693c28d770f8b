"""The page registry: every page's title, icon, script, stable URL path and the permission it needs."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import PROJECT_ROOT
from dashboard.core.access import Permission, Viewer


@dataclass(frozen=True)
class PageSpec:
    """One page of the dashboard."""

    key: str
    title: str
    icon: str  # empty: no icon (emoji need a colour-emoji font that air-gapped desktops often lack)
    script: str  # relative to the project root
    url_path: str
    permission: Permission
    default: bool = False
    reads_data: bool = True  # False for pages that act (upload, share, manage accounts) rather than show data

    @property
    def path(self):
        """Absolute path of the page script."""
        return PROJECT_ROOT / self.script


PAGES: tuple[PageSpec, ...] = (
    PageSpec("briefing", "Track briefing", "", "pages/briefing.py", "briefing", Permission.VIEW_BRIEFING, default=True),
    PageSpec("watchlist", "Watchlist", "", "pages/watchlist.py", "watchlist", Permission.VIEW_WATCHLIST),
    PageSpec("incidents", "Incidents", "", "pages/incidents.py", "incidents", Permission.VIEW_INCIDENTS),
    PageSpec(
        "responses", "Attributions and responses", "", "pages/responses.py", "responses", Permission.VIEW_INCIDENTS
    ),
    PageSpec("norms", "Norms and CBMs", "", "pages/norms.py", "norms", Permission.VIEW_NORMS),
    PageSpec("partnerships", "Partnerships", "", "pages/partnerships.py", "partnerships", Permission.VIEW_PARTNERSHIPS),
    PageSpec("country", "Country profile", "", "pages/country.py", "country", Permission.VIEW_COUNTRY),
    PageSpec("ledger", "Norm-evidence ledger", "", "pages/ledger.py", "ledger", Permission.VIEW_NORMS),
    PageSpec("datasets", "Datasets", "", "pages/datasets.py", "datasets", Permission.VIEW_DATASETS),
    PageSpec("upload", "Upload data", "", "pages/upload.py", "upload", Permission.UPLOAD, reads_data=False),
    PageSpec("sharing", "Share links", "", "pages/sharing.py", "sharing", Permission.SHARE, reads_data=False),
    PageSpec("accounts", "Accounts", "", "pages/accounts.py", "accounts", Permission.MANAGE_USERS, reads_data=False),
    PageSpec("audit", "Audit trail", "", "pages/audit.py", "audit", Permission.VIEW_AUDIT, reads_data=False),
)
DATA_PAGES = tuple(p for p in PAGES if p.reads_data)  # the pages that show data: TLP banner, filters, charts


def pages_for(viewer: Viewer) -> list[PageSpec]:
    """The pages this viewer may open, in menu order."""
    return [p for p in PAGES if viewer.can(p.permission)]

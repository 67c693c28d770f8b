"""The page registry: every page's title, icon, script, stable URL path and the permission it needs."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import PROJECT_ROOT
from dashboard.access import Permission, Viewer


@dataclass(frozen=True)
class PageSpec:
    """One page of the dashboard."""

    key: str
    title: str
    icon: str
    script: str  # relative to the project root
    url_path: str
    permission: Permission
    default: bool = False

    @property
    def path(self):
        """Absolute path of the page script."""
        return PROJECT_ROOT / self.script


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "Overview", "🧭", "pages/overview.py", "overview", Permission.VIEW_OVERVIEW, default=True),
)


def pages_for(viewer: Viewer) -> list[PageSpec]:
    """The pages this viewer may open, in menu order."""
    return [p for p in PAGES if viewer.can(p.permission)]

"""How much of the PDF briefing goes on its pages: row limits that shrink to fit MAX_PAGES and grow to fill them.

The briefing is at most MAX_PAGES A4 pages, and no page may be left more than MAX_BLANK empty (the issue: no
half-empty pages; tests/test_briefing_layout.py measures it on the rendered pages). Tables are shortened step by
step until the PDF fits (`Limits.smaller`); when the last page would be left too empty, lists that were cut (states
that moved back, untested hotlines, cited sources) show more rows (`Limits.larger`) as long as the page count holds.
The layout reports how far down each page its content reaches (`FillingDocTemplate`), so no rendering is rasterised
to decide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import dashboard.export.briefing.text as txt
from dashboard.export.briefing.content import WATCHLIST_ROWS, BriefingContent

MAX_PAGES = 4
MAX_BLANK = 0.4  # no page may be emptier than this (share of the height between the TLP banners)
TARGET_BLANK = 0.3  # the last page is filled up to this, to stay clear of MAX_BLANK on the rendered page


@dataclass(frozen=True)
class Limits:
    """How many rows each table may show; lowered until the PDF fits, raised while its last page is too empty."""

    signals: int = WATCHLIST_ROWS
    downgrades: int = 12
    stale: int = 10
    versions: int = 24
    sources: int = 8

    def smaller(self) -> Limits | None:
        """The next, shorter limits (None when nothing is left to shorten)."""
        if self.versions > 8:
            return replace(self, versions=self.versions - 8)
        if self.downgrades > 6 or self.stale > 5:
            return replace(self, downgrades=max(6, self.downgrades - 3), stale=max(5, self.stale - 3), sources=4)
        if self.signals > 5:
            return replace(self, signals=self.signals - 2)
        return None

    def larger(self, c: BriefingContent) -> Limits | None:
        """The next, longer limits for lists that were cut (never the watchlist's top-N); None when none was cut."""
        downs, stale = len(txt.downgrade_rows(c)), len(txt.stale_rows(c))
        grown = replace(
            self,
            downgrades=min(downs, self.downgrades + 4) if downs > self.downgrades else self.downgrades,
            stale=min(stale, self.stale + 4) if stale > self.stale else self.stale,
            sources=min(len(c.sources), self.sources + 4) if len(c.sources) > self.sources else self.sources,
        )
        return grown if grown != self else None


@dataclass(frozen=True)
class Layout:
    """One rendering: the PDF bytes, its page count and how much of each page's frame its content fills (0 to 1)."""

    data: bytes
    pages: int
    fills: tuple[float, ...]

    @property
    def last_blank(self) -> float:
        """The empty share of the last page's frame."""
        return 1 - self.fills[-1] if self.fills else 1.0


def filling_doc_template() -> type:
    """reportlab's SimpleDocTemplate that records, per page, the lowest point its flowables reach (`fills`)."""
    from reportlab.platypus import SimpleDocTemplate

    class FillingDocTemplate(SimpleDocTemplate):
        """Records the share of each page's frame its content fills, from the top down."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.lowest: dict[int, float] = {}

        def afterFlowable(self, flowable: Any) -> None:
            """After each flowable: how far down the page the frame's cursor now is."""
            frame = getattr(self, "frame", None)
            if frame is not None:  # a flowable drawn into a frame (not a page break)
                page = self.canv.getPageNumber()
                self.lowest[page] = min(self.lowest.get(page, frame._y), frame._y)

        @property
        def fills(self) -> tuple[float, ...]:
            """The filled share of each page's frame, first page first."""
            top = self.bottomMargin + self.height
            return tuple(min(1.0, (top - self.lowest[p]) / self.height) for p in sorted(self.lowest))

    return FillingDocTemplate


def shrinking_image(data: bytes, width: float, height: float, min_height: float) -> Any:
    """A reportlab Image drawn at width x height where the frame has room, else scaled down to the room left (but
    not below min_height), so a chart stays on the page its heading is on rather than leaving that page half empty.
    Put a CondPageBreak of min_height (and the heading) before it: below that, it moves to the next page whole."""
    import io

    from reportlab.platypus import Image

    class ShrinkingImage(Image):
        """An image that takes the height left on the page, between min_height and its full height."""

        def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
            scale = availHeight / height if min_height <= availHeight < height else 1.0
            self.drawWidth, self.drawHeight = width * scale, height * scale
            return super().wrap(availWidth, availHeight)

    return ShrinkingImage(io.BytesIO(data), width=width, height=height, hAlign="CENTER")


def fit(c: BriefingContent, render: Callable[[Limits], Layout]) -> Layout:
    """The rendering that fits MAX_PAGES with no nearly empty last page, where the lists allow.

    First shorten the tables until the PDF fits; while its last page is emptier than TARGET_BLANK, show more rows
    of the lists that were cut, as long as no page is added; if the last page is still emptier than MAX_BLANK,
    shorten the tables again when that saves the page.
    """
    limits = Limits()
    layout = render(limits)
    while layout.pages > MAX_PAGES:
        smaller = limits.smaller()
        if smaller is None:  # nothing left to shorten: the longer PDF, as before
            return layout
        limits = smaller
        layout = render(limits)
    while layout.last_blank > TARGET_BLANK and (grown := limits.larger(c)) is not None:
        longer = render(grown)
        if longer.pages > layout.pages:  # more rows would open a new, nearly empty page: keep the shorter lists
            break
        layout, limits = longer, grown
    shorter = limits.smaller()
    while layout.last_blank > MAX_BLANK and layout.pages > 1 and shorter is not None:
        fewer = render(shorter)
        if fewer.pages < layout.pages:
            return fewer
        shorter = shorter.smaller()
    return layout

"""Briefing export: a printable PDF (A4, at most four pages) or one self-contained HTML file. No Streamlit."""

from __future__ import annotations

from typing import Unpack

from sqlalchemy import Engine

from dashboard.core.access import Viewer
from dashboard.export.briefing.chromium import ChartSession, render_images
from dashboard.export.briefing.content import (
    MAX_PERIOD_DAYS,
    WATCHLIST_ROWS,
    BriefingContent,
    BriefingFile,
    BriefingOptions,
    ExportError,
    collect,
    default_as_of,
)
from dashboard.export.briefing.content import _sources as _sources  # tests/test_source_hosts.py reads it from here
from dashboard.export.briefing.html import html_from_content, render_html
from dashboard.export.briefing.pages import MAX_PAGES
from dashboard.export.briefing.pdf import collect_pdf, pdf_from_content, render_pdf
from dashboard.export.briefing.text import file_name, headline_rows

__all__ = [
    "MAX_PAGES",
    "MAX_PERIOD_DAYS",
    "WATCHLIST_ROWS",
    "BriefingContent",
    "BriefingFile",
    "BriefingOptions",
    "ChartSession",
    "ExportError",
    "collect",
    "default_as_of",
    "export_briefing",
    "file_name",
    "headline_rows",
    "html_from_content",
    "pdf_from_content",
    "render_html",
    "render_images",
    "render_pdf",
]


def export_briefing(engine: Engine, viewer: Viewer, *, fmt: str, **options: Unpack[BriefingOptions]) -> BriefingFile:
    """Render the briefing as "pdf" or "html", with a file name that carries the marking (for download buttons)."""
    if fmt not in {"pdf", "html"}:
        raise ExportError(f"unknown format {fmt!r}: use pdf or html")
    if fmt == "pdf":
        content, data, pages = collect_pdf(engine, viewer, **options)
        return BriefingFile(data, file_name(content, "pdf"), "application/pdf", content.marking, pages)
    content = collect(engine, viewer, **options)
    return BriefingFile(html_from_content(content), file_name(content, "html"), "text/html", content.marking)

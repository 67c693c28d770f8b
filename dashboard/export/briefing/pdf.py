"""The PDF briefing: A4, at most MAX_PAGES pages, the TLP marking at the top and bottom of every page (reportlab)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack
from xml.sax.saxutils import escape as xml_escape

import plotly.graph_objects as go
from sqlalchemy import Engine

import dashboard.export.briefing.text as txt
from dashboard import __version__
from dashboard.core.access import Viewer
from dashboard.export.briefing import annex
from dashboard.export.briefing.chromium import ChartSession, render_images
from dashboard.export.briefing.content import (
    DEFAULT_PERIOD_DAYS,
    BriefingContent,
    BriefingOptions,
    check_request,
    collect,
)
from dashboard.export.briefing.pages import Layout, Limits, filling_doc_template, fit, shrinking_image
from dashboard.present.palette import TLP_COLOURS

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Flowable, Image, Paragraph, Table

BANNER_HEIGHT = 17
MAP_MAX_HEIGHT = 380  # points: the map of one wide region with its list under it (Indo-Pacific) at full width
MAP_MIN_HEIGHT = 210  # points: below this the map moves to the next page whole


class _PdfFonts:
    """A Unicode TrueType font pair (DejaVu Sans when installed, else Bitstream Vera shipped with reportlab)."""

    _registered: tuple[str, str, frozenset[int]] | None = None

    @classmethod
    def get(cls) -> tuple[str, str, frozenset[int]]:
        """The regular and bold font names and the code points the font has glyphs for (registered once)."""
        if cls._registered is None:
            import reportlab
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            system = Path("/usr/share/fonts/truetype/dejavu")
            bundled = Path(reportlab.__file__).parent / "fonts"
            pairs = [
                (system / "DejaVuSans.ttf", system / "DejaVuSans-Bold.ttf"),
                (bundled / "Vera.ttf", bundled / "VeraBd.ttf"),
            ]
            regular, bold = next((r, b) for r, b in pairs if r.is_file() and b.is_file())
            font = TTFont("BriefingSans", str(regular))
            pdfmetrics.registerFont(font)
            pdfmetrics.registerFont(TTFont("BriefingSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily(
                "BriefingSans",
                normal="BriefingSans",
                bold="BriefingSans-Bold",
                italic="BriefingSans",
                boldItalic="BriefingSans-Bold",
            )
            cls._registered = ("BriefingSans", "BriefingSans-Bold", frozenset(font.face.charToGlyph))
        return cls._registered


_FALLBACK = {"→": "->", "–": "-", "≤": "<=", "≥": ">=", "×": "x", "…": "...", "±": "+/-"}


def _plain(text: object, glyphs: frozenset[int]) -> str:
    """Text with the characters the font lacks replaced by ASCII look-alikes (or '?')."""
    return "".join(ch if ord(ch) in glyphs or ch in "\n\t" else _FALLBACK.get(ch, "?") for ch in str(text))


def _pdf_text(text: object, glyphs: frozenset[int]) -> str:
    """Text for a reportlab Paragraph: characters the font lacks replaced, markup characters escaped."""
    return xml_escape(_plain(text, glyphs))


def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    """The paragraph styles of the briefing, by name."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5, textColor=colors.HexColor("#1F1F1F"))
    cell = ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6)
    cell_bold = ParagraphStyle("cellb", parent=cell, fontName=bold)
    tiny = ParagraphStyle("tiny", parent=cell, fontSize=7, leading=8.6)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "cell": cell,
        "cell_bold": cell_bold,
        "cell_right": ParagraphStyle("cellr", parent=cell, alignment=2),
        "head_right": ParagraphStyle("cellbr", parent=cell_bold, alignment=2),
        "tiny": tiny,
        "tiny_bold": ParagraphStyle("tinyb", parent=tiny, fontName=bold),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=2),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=11.5, leading=14, spaceBefore=8, spaceAfter=4),
        "warn": ParagraphStyle(
            "warn",
            parent=base,
            fontName=bold,
            fontSize=9.5,
            leading=12,
            textColor=colors.HexColor("#5A2E00"),
            backColor=colors.HexColor("#FFF1D6"),
            borderColor=colors.HexColor("#D55E00"),
            borderWidth=1.2,
            borderPadding=5,
            spaceBefore=6,
            spaceAfter=8,
        ),
    }


@dataclass(frozen=True)
class _Drawing:
    """One rendering of the PDF: content, chart images, row limits, fonts, styles and page geometry."""

    c: BriefingContent
    images: dict[str, bytes]
    limits: Limits
    regular: str
    bold: str
    glyphs: frozenset[int]
    styles: dict[str, ParagraphStyle]
    width: float
    height: float
    margin: float

    @classmethod
    def start(cls, c: BriefingContent, images: dict[str, bytes], limits: Limits) -> _Drawing:
        """Fonts registered, styles made, A4 with 15 mm side margins."""
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm

        regular, bold, glyphs = _PdfFonts.get()
        width, height = A4
        return cls(c, images, limits, regular, bold, glyphs, _styles(regular, bold), width, height, 15 * mm)

    @property
    def usable(self) -> float:
        """The width between the side margins."""
        return self.width - 2 * self.margin

    def para(self, text: object, style: str = "base") -> Paragraph:
        """A paragraph of plain text (escaped, characters the font lacks replaced)."""
        from reportlab.platypus import Paragraph

        return Paragraph(_pdf_text(text, self.glyphs), self.styles[style])

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
        numeric: Sequence[int] = (),
        compact: bool = False,
    ) -> Table:
        """A table with a repeated header row; widths are shares of the usable width, numeric columns right-aligned."""
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        head_style, body_style = ("tiny_bold", "tiny") if compact else ("cell_bold", "cell")
        body = [[self.para(h, "head_right" if i in numeric else head_style) for i, h in enumerate(header)]]
        for row in rows:
            body.append([self.para(v, "cell_right" if i in numeric else body_style) for i, v in enumerate(row)])
        tbl = Table(body, colWidths=[w * self.usable for w in widths], repeatRows=1, hAlign="LEFT")
        tbl.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#4D4D4D")),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#D9D9D9")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return tbl

    def image(self, name: str, max_height: float, min_height: float | None = None) -> Image:
        """A chart image, as wide as the page allows and at most max_height high; with min_height, it shrinks to
        the room left on the page down to min_height (pages.shrinking_image)."""
        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        data = self.images[name]
        w, h = ImageReader(io.BytesIO(data)).getSize()
        scale = min(self.usable / w, max_height / h)
        if min_height is not None:
            return shrinking_image(data, w * scale, h * scale, min_height)
        return Image(io.BytesIO(data), width=w * scale, height=h * scale, hAlign="CENTER")

    def more(self, total: int, shown: int, what: str, where: str = "in the dashboard") -> list[Paragraph]:
        """The '… and 3 more' line under a shortened table (nothing when none were left out)."""
        line = txt.more_line(total, shown, what, where)
        return [self.para(line, "small")] if line else []


def _opening(d: _Drawing) -> list[Flowable]:
    """Title, period, recipient, marking note and the synthetic-data warning."""
    from reportlab.platypus import Spacer

    c = d.c
    story: list[Flowable] = [
        d.para(f"Track briefing: {c.track_label}", "title"),
        d.para(txt.period_line(c)),
        d.para(f"{txt.prepared_for(c)} · {txt.generated_line(c)}", "small"),
        d.para(txt.marking_note(c), "small"),
        d.para(txt.SYNTHETIC_NOTE, "warn") if c.synthetic else Spacer(1, 6),
    ]
    if c.brief.empty:
        story.append(d.para(txt.NO_DATA))
    return story + annex.key_developments(d)


def _headlines(d: _Drawing) -> list[Flowable]:
    """Headline figures with the movers, then the map and the monthly trend."""
    from reportlab.platypus import CondPageBreak, KeepTogether, Spacer

    c = d.c
    return [
        d.para("Headline figures", "h2"),
        d.table(txt.HEADLINE_HEADER, txt.headline_rows(c), [0.38, 0.18, 0.2, 0.24], numeric=(1, 2, 3)),
        Spacer(1, 3),
        *[d.para(line, "small") for line in txt.mover_lines(c)],
        d.para(txt.events_line(c), "small"),
        # The map takes the room left on page 1 (MAP_MIN_HEIGHT to MAP_MAX_HEIGHT) rather than leaving it empty.
        CondPageBreak(MAP_MIN_HEIGHT + 30),
        d.para("Incidents by target country", "h2"),
        d.image("map", MAP_MAX_HEIGHT, MAP_MIN_HEIGHT),
        KeepTogether([d.para("Incidents per month by type", "h2"), d.image("trend", 230)]),
    ]


def _watchlist(d: _Drawing) -> list[Flowable]:
    """The strongest signals, as many as the limits allow."""
    c = d.c
    shown = c.signals[: d.limits.signals]
    watch: list[Flowable] = [d.para("Watchlist: what to look at", "h2")]
    if not shown:
        return [*watch, d.para(txt.NO_SIGNALS)]
    watch.append(d.table(txt.SIGNAL_HEADER, txt.signal_rows(shown), [0.04, 0.14, 0.24, 0.58]))
    return watch + d.more(len(c.signals), len(shown), "signal", "on the Watchlist page")


def _norms(d: _Drawing) -> list[Flowable]:
    """Norm implementation and the states that moved back since the previous round."""
    from reportlab.platypus import Spacer

    c = d.c
    norms: list[Flowable] = [d.para("Norms and confidence-building measures", "h2")]
    norms += [d.para(line) for line in txt.norm_lines(c)]
    downs = txt.downgrade_rows(c)
    if downs:
        limit = d.limits.downgrades
        norms += [Spacer(1, 3), d.para(txt.downgrade_intro(c))]
        norms.append(d.table(txt.DOWNGRADE_HEADER, downs[:limit], [0.2, 0.7, 0.1], numeric=(2,)))
        norms += d.more(len(downs), min(len(downs), limit), "state")
    elif not c.brief.norm_shares.empty:
        norms.append(d.para(txt.NO_DOWNGRADES))
    return norms


def _partners(d: _Drawing) -> list[Flowable]:
    """Active partnerships and the hotlines not tested for a year."""
    from reportlab.platypus import Spacer

    c = d.c
    partners: list[Flowable] = [d.para("Partnerships and hotlines", "h2"), d.para(txt.partnership_line(c))]
    stale = txt.stale_rows(c)
    if not stale:
        return [*partners, d.para(txt.ALL_TESTED)]
    limit = d.limits.stale
    partners += [Spacer(1, 3), d.para(txt.stale_intro(c))]
    partners.append(d.table(txt.STALE_HEADER, stale[:limit], [0.5, 0.15, 0.2, 0.15], numeric=(3,)))
    return partners + d.more(len(stale), min(len(stale), limit), "hotline")


def _provenance(d: _Drawing) -> list[Flowable]:
    """Dataset versions, cited sources, frameworks and how the figures are computed."""
    from reportlab.platypus import Spacer

    c = d.c
    header, versions = txt.version_rows(c)
    widths = [0.11, 0.1, 0.08, 0.21, 0.13, 0.15, 0.13, 0.09] if len(header) == 8 else [0.16, 0.16, 0.14, 0.2, 0.2, 0.14]
    prov: list[Flowable] = [d.para("Provenance", "h2"), d.para(txt.versions_intro(len(versions)))]
    if versions:
        limit = d.limits.versions
        prov.append(d.table(header, versions[:limit], widths, compact=True))
        prov += d.more(len(versions), min(len(versions), limit), "version")
        prov.append(Spacer(1, 4))
    prov.append(d.para(txt.sources_line(c.sources[: d.limits.sources], len(c.sources))))
    prov += [d.para(f"{name}: {source}.", "small") for name, source in c.frameworks]
    prov += [d.para(line, "small") for line in txt.method_notes(c)]
    prov.append(d.para(txt.generated_line(c), "small"))
    if c.synthetic:
        prov.append(d.para(txt.SYNTHETIC_NOTE, "small"))
    return prov


def _banner(d: _Drawing, canvas: Any, y: float, text: str) -> None:
    """A black bar across the page with the marking in its TLP colour on the right and a line of text on the left."""
    from reportlab.lib import colors

    canvas.setFillColor(colors.black)
    canvas.rect(d.margin, y, d.usable, BANNER_HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(colors.HexColor(TLP_COLOURS[d.c.marking]))
    canvas.setFont(d.bold, 12)
    canvas.drawRightString(d.width - d.margin - 6, y + 4.6, d.c.marking_label)
    canvas.setFillColor(colors.white)
    canvas.setFont(d.regular, 7.5)
    canvas.drawString(d.margin + 6, y + 5.5, text)


def _numbered_canvas(d: _Drawing, pages_seen: list[int]) -> type:
    """A canvas class that draws the TLP banners once the page count is known (and appends it to pages_seen)."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas

    footer = f"Track briefing · {d.c.track_label} · as of {d.c.as_of.isoformat()}"

    class NumberedCanvas(rl_canvas.Canvas):
        """Draws the TLP banners once the page count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            """Keep the page for save() instead of emitting it."""
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            """Draw the banners on every kept page, now that the total is known, and write the file."""
            total = len(self._saved)
            pages_seen.append(total)
            for state in self._saved:
                self.__dict__.update(state)
                top = d.height - 10 * mm - BANNER_HEIGHT
                _banner(d, self, top, "Cyber Dialogue Dashboard · track briefing")
                _banner(d, self, 8 * mm, _plain(f"{footer} · page {self._pageNumber} of {total}", d.glyphs))
                super().showPage()
            super().save()

    return NumberedCanvas


def _render_pdf(c: BriefingContent, images: dict[str, bytes], limits: Limits) -> Layout:
    """The PDF bytes, page count and how full each page is, with these row limits."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak

    d = _Drawing.start(c, images, limits)
    story = [
        *_opening(d),
        *_headlines(d),
        CondPageBreak(120),
        *_watchlist(d),
        CondPageBreak(110),
        *_norms(d),
        CondPageBreak(100),
        *_partners(d),
        CondPageBreak(140),
        *_provenance(d),
        CondPageBreak(120),
        *annex.annex(d),
    ]
    pages_seen: list[int] = []
    out = io.BytesIO()
    doc = filling_doc_template()(
        out,
        pagesize=A4,
        leftMargin=d.margin,
        rightMargin=d.margin,
        topMargin=10 * mm + BANNER_HEIGHT + 8,
        bottomMargin=8 * mm + BANNER_HEIGHT + 8,
        title=txt.document_title(c),
        author=c.viewer.organisation,
        subject=f"{c.marking_label}. Cyber Dialogue Dashboard briefing",
        creator=f"Cyber Dialogue Dashboard {__version__}",
        invariant=1,
    )
    doc.build(story, canvasmaker=_numbered_canvas(d, pages_seen))
    return Layout(out.getvalue(), pages_seen[-1], doc.fills)


def _pdf_figures(c: BriefingContent) -> dict[str, tuple[go.Figure, dict[str, Any]]]:
    """The map and the trend for kaleido: no title, a small top margin, twice the pixels."""
    figures = {}
    for name in ("map", "trend"):
        figure = go.Figure(c.figures[name])
        if name == "trend":  # the map lays itself out for this width and its own height (present/briefing_maps.py)
            figure.update_layout(title=None, margin={"t": 16})
        figures[name] = (figure, {"width": 900, "height": figure.layout.height or 360, "scale": 2})
    return figures


def pdf_from_content(c: BriefingContent, charts: ChartSession | None = None) -> tuple[bytes, int]:
    """The PDF bytes and page count: tables shortened to fit MAX_PAGES A4 pages, lengthened to fill the last one."""
    images = charts.render(_pdf_figures(c)) if charts else render_images(_pdf_figures(c))
    layout = fit(c, lambda limits: _render_pdf(c, images, limits))
    return layout.data, layout.pages


def collect_pdf(
    engine: Engine, viewer: Viewer, **options: Unpack[BriefingOptions]
) -> tuple[BriefingContent, bytes, int]:
    """The content, PDF bytes and page count; Chromium starts while the data is read."""
    check_request(viewer, options["track"], options.get("period_days", DEFAULT_PERIOD_DAYS))  # before the browser
    with ChartSession() as charts:
        content = collect(engine, viewer, **options)
        data, pages = pdf_from_content(content, charts)
    return content, data, pages


def render_pdf(engine: Engine, viewer: Viewer, **options: Unpack[BriefingOptions]) -> bytes:
    """The briefing as an A4 PDF of at most four pages, marked with its TLP at the top and bottom of every page."""
    _content, data, _pages = collect_pdf(engine, viewer, **options)
    return data

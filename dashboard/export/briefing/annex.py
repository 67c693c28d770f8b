"""The PDF briefing's Key developments (first) and its annex of statistical detail (last), with reportlab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

import dashboard.export.briefing.text as txt

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

KEY_TITLE = "Key developments"
LINK_COLOUR = "#0072B2"  # Okabe-Ito blue


def key_developments(d: Any) -> list[Flowable]:
    """The three to five sentences, each followed by a link to the view behind it (d: the PDF's _Drawing)."""
    from reportlab.platypus import ListFlowable, ListItem, Paragraph

    from dashboard.export.briefing.pdf import _pdf_text

    c = d.c
    if not c.developments:
        return []
    items = []
    for dev in c.developments:
        link = xml_escape(dev.link, {'"': "&quot;"})
        markup = f'{_pdf_text(dev.text, d.glyphs)} <a href="{link}" color="{LINK_COLOUR}">view</a>'
        items.append(ListItem(Paragraph(markup, d.styles["base"]), leftIndent=12))
    bullets = ListFlowable(items, bulletType="bullet", start="•", leftIndent=12, bulletFontName=d.regular)
    return [d.para(KEY_TITLE, "h2"), bullets]


def annex(d: Any) -> list[Flowable]:
    """The test statistics of the shown signals, how signals are tested and what the headline figures count."""
    c = d.c
    story: list[Flowable] = [d.para(txt.ANNEX_TITLE, "h2")]
    rows = txt.annex_rows(c.signals[: d.limits.signals])
    if rows:
        widths = [0.05, 0.35, 0.1, 0.1, 0.12, 0.13, 0.15]
        story.append(d.table(txt.ANNEX_HEADER, rows, widths, numeric=(2, 3, 4, 5, 6), compact=True))
    story += [d.para(line, "small") for line in txt.annex_notes(c)]
    return story

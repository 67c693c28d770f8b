"""The norm-evidence ledger as ONE A4 page (reportlab, the briefing's fonts): the TLP marking at the top and bottom,
the three sections as tables, every line with its source link (or "no link in the source"). When the lines do not fit,
the most recent (and, for events, those of the incidents shown) are kept and each cut section says "N more lines in
the CSV"; the CSV holds every line."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dashboard import __version__
from dashboard.core.tlp import TLP_LABELS
from dashboard.export.briefing.pdf import _pdf_text, _PdfFonts, _plain
from dashboard.export.ledger.lines import COLUMNS, NO_LINK, SECTIONS, LedgerLines
from dashboard.present.palette import TLP_COLOURS

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

BANNER_HEIGHT = 16
LINK_CHARS = 42  # a link shown on one line of its column; the CSV holds it whole
# Share of the usable width of each column, per section (the Source column last).
WIDTHS = {
    "assessments": [0.085, 0.1, 0.12, 0.25, 0.145, 0.30],
    "asserted": [0.085, 0.295, 0.11, 0.12, 0.09, 0.30],
    "inferred": [0.085, 0.245, 0.11, 0.11, 0.15, 0.30],
    "attributions": [0.085, 0.24, 0.15, 0.135, 0.09, 0.30],
    "responses": [0.085, 0.275, 0.125, 0.12, 0.095, 0.30],
}
MAX_ROUNDS = 8  # the state's most recent assessment rounds, taken first
MEASURED = 80  # lines per section measured (more never fit on one page)
SLACK = 4  # points kept free below the measured lines
TEXT_CHARS = 72  # an incident title is cut here, other text at SHORT_CHARS (the CSV holds it whole)
SHORT_CHARS = 44
CONDENSED = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf")  # for the cells, when installed


@dataclass(frozen=True)
class LedgerPdf:
    """The PDF bytes, its page count and how many lines of each section it shows."""

    data: bytes
    pages: int
    shown: dict[str, int]


def _short_link(url: str) -> str:
    """A link cut to LINK_CHARS for print (scheme dropped, middle elided)."""
    text = url.split("://", 1)[-1]
    return text if len(text) <= LINK_CHARS else f"{text[: LINK_CHARS - 14]}…{text[-13:]}"


def _condensed() -> str | None:
    """The name of DejaVu Sans Condensed, registered once, when the system has it (None otherwise)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "LedgerCondensed" in pdfmetrics.getRegisteredFontNames():
        return "LedgerCondensed"
    if not CONDENSED.is_file():
        return None
    pdfmetrics.registerFont(TTFont("LedgerCondensed", str(CONDENSED)))
    return "LedgerCondensed"


def _fewer(names: str) -> str:
    """'Germany +3' for 'Germany, United Kingdom, Netherlands, Poland' (the CSV names them all)."""
    parts = [n for n in str(names).split(", ") if n]
    return parts[0] if len(parts) <= 1 else f"{parts[0]} +{len(parts) - 1}"


def _cut(text: object, limit: int = TEXT_CHARS) -> str:
    value = str(text or "")
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _ranked(lines: LedgerLines, key: str, shown_incidents: set[int]) -> pd.DataFrame:
    """A section's lines, most important first: for events, those of the incidents shown, then high confidence;
    then the most recent (undated last)."""
    frame = lines.sections[key].copy()
    frame["_undated"] = frame["_date"].isna()
    frame["_order"] = frame["_date"].map(lambda d: -d.toordinal() if isinstance(d, dt.date) else 0)
    sort = ["_undated", "_order"]
    if key in ("attributions", "responses") and not frame.empty:
        frame["_other"] = ~frame["_incident"].astype(int).isin(shown_incidents)
        sort = ["_other", *sort]
        if key == "attributions":
            frame["_conf"] = frame["Confidence"].map({"high": 0, "medium": 1, "low": 2}).fillna(3)
            sort = ["_other", "_conf", "_undated", "_order"]
    return frame.sort_values(sort, kind="stable")


class _Page:
    """Fonts, styles and the one page's geometry."""

    def __init__(self) -> None:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm

        self.regular, self.bold, self.glyphs = _PdfFonts.get()
        cell_font = _condensed() or self.regular
        self.width, self.height = A4
        self.margin = 12 * mm
        ink = colors.HexColor("#1F1F1F")
        base = ParagraphStyle("l_base", fontName=self.regular, fontSize=8, leading=10, textColor=ink)
        cell = ParagraphStyle("l_cell", parent=base, fontName=cell_font, fontSize=6.7, leading=8)
        self.styles = {
            "base": base,
            "small": ParagraphStyle("l_small", parent=base, fontSize=7, leading=8.6),
            "more": ParagraphStyle("l_more", parent=base, fontSize=7, leading=8.6, fontName=self.bold, spaceBefore=1),
            "cell": cell,
            "link": ParagraphStyle("l_link", parent=cell, textColor=colors.HexColor("#0B4F9C")),
            "head": ParagraphStyle("l_head", parent=cell, fontName=self.bold, fontSize=6.5),
            "title": ParagraphStyle("l_title", parent=base, fontName=self.bold, fontSize=14, leading=17),
            "item": ParagraphStyle("l_item", parent=base, fontName=self.bold, fontSize=9.5, leading=12),
            "h2": ParagraphStyle(
                "l_h2", parent=base, fontName=self.bold, fontSize=9.5, leading=11.5, spaceBefore=5, spaceAfter=2
            ),
            "note": ParagraphStyle(
                "l_note", parent=cell, fontSize=6.8, leading=8.2, textColor=colors.HexColor("#444444")
            ),
        }

    @property
    def usable(self) -> float:
        return self.width - 2 * self.margin

    def para(self, text: object, style: str = "base") -> Any:
        from reportlab.platypus import Paragraph

        return Paragraph(_pdf_text(text, self.glyphs), self.styles[style])

    def link(self, url: str) -> Any:
        """A source cell: the link (clickable, cut for print), or the words saying there is none."""
        from reportlab.platypus import Paragraph

        if url == NO_LINK or not url:
            return self.para(NO_LINK, "note")
        href = _pdf_text(url, self.glyphs).replace('"', "%22")
        return Paragraph(f'<link href="{href}">{_pdf_text(_short_link(url), self.glyphs)}</link>', self.styles["link"])

    def table(self, key: str, frame: pd.DataFrame) -> Any:
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        header = COLUMNS[key]
        body = [[self.para(h, "head") for h in header]]
        shown = frame[header]
        if "Rule" in header:  # the rule's short name; the note under the heading gives each rule whole
            shown = shown.assign(Rule=frame["_rule"].map(lambda r: str(r).replace("-", " ")))
        if "Other side" in header:
            shown = shown.assign(**{"Other side": shown["Other side"].map(_fewer)})
        limits = [TEXT_CHARS if h == "Incident" else SHORT_CHARS for h in header]
        for row in shown.itertuples(index=False):
            *cells, source = row
            body.append([*(self.para(_cut(v, n), "cell") for v, n in zip(cells, limits)), self.link(source)])
        tbl = Table(body, colWidths=[w * self.usable for w in WIDTHS[key]], hAlign="LEFT")
        tbl.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#4D4D4D")),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#D9D9D9")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                ]
            )
        )
        return tbl

    def banner(self, canvas: Any, y: float, text: str, marking: str | None) -> None:
        """A black bar with the marking in its TLP colour on the right and a line of text on the left."""
        from reportlab.lib import colors

        label = TLP_LABELS[marking] if marking else "TLP:CLEAR"
        canvas.setFillColor(colors.black)
        canvas.rect(self.margin, y, self.usable, BANNER_HEIGHT, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor(TLP_COLOURS[marking or "clear"]))
        canvas.setFont(self.bold, 11)
        canvas.drawRightString(self.width - self.margin - 6, y + 4.4, label)
        canvas.setFillColor(colors.white)
        canvas.setFont(self.regular, 7.2)
        canvas.drawString(self.margin + 6, y + 5.2, _plain(text, self.glyphs))


def _story(
    p: _Page, lines: LedgerLines, selected: dict[str, pd.DataFrame], header: dict[str, str], notes: dict[str, str]
) -> list[Flowable]:
    """The flowables of the page with the selected lines of each section (newest first on the page)."""
    counts = lines.counts()
    story: list[Flowable] = _opening(p, lines, header)
    numbers = {"assessments": "1", "asserted": "2", "inferred": "2b", "attributions": "3", "responses": "3b"}
    for key, heading in SECTIONS.items():
        story.append(p.para(f"{numbers[key]}  {heading}", "h2"))
        if key in notes:
            story.append(p.para(notes[key], "note"))
        if counts[key] == 0:
            story.append(p.para(header[f"none_{key}"], "small"))
            continue
        kept = selected[key]
        if len(kept):
            story.append(p.table(key, kept.sort_values(["_undated", "_order"], kind="stable")))
        more = counts[key] - len(kept)
        if more:
            story.append(p.para(f"{more:,} more {'line' if more == 1 else 'lines'} in the CSV", "more"))
    return story


def _opening(p: _Page, lines: LedgerLines, header: dict[str, str]) -> list[Flowable]:
    from reportlab.platypus import Spacer

    return [
        p.para(f"Norm-evidence ledger: {lines.state_name} ({lines.ledger.iso3})", "title"),
        p.para(f"{lines.item_label} ({lines.ledger.item_id})", "item"),
        Spacer(0, 2),
        p.para(header["meta"], "small"),
        p.para(header["summary"], "small"),
    ]


def _height(p: _Page, flowables: list[Flowable]) -> float:
    """The height the flowables take in the frame, with their spacing."""
    total = 0.0
    for f in flowables:
        _, h = f.wrap(p.usable, p.height)
        total += h + f.getSpaceBefore() + f.getSpaceAfter()
    return total


def _row_heights(p: _Page, key: str, frame: pd.DataFrame) -> tuple[float, list[float]]:
    """The header row's height and each line's height in a section's table (in the frame's order)."""
    if frame.empty:
        return 0.0, []
    table = p.table(key, frame)
    table.wrap(p.usable, p.height)
    heights = list(table._rowHeights)
    return heights[0], heights[1:]


def _fill(
    p: _Page, budget: float, keys: tuple[str, ...], ranked: dict[str, pd.DataFrame], taken: dict[str, int]
) -> float:
    """Take lines of these sections in turn (one each per round, in ranked order) while they fit in the budget;
    returns the budget left."""
    heights = {k: _row_heights(p, k, ranked[k].head(MEASURED))[1] for k in keys}
    open_keys = [k for k in keys if taken[k] < len(heights[k])]
    while open_keys:
        for key in list(open_keys):
            h = heights[key][taken[key]]
            if h > budget:
                open_keys.remove(key)
                continue
            budget -= h
            taken[key] += 1
            if taken[key] >= len(heights[key]):
                open_keys.remove(key)
    return budget


def _select(p: _Page, lines: LedgerLines, header: dict[str, str], notes: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The lines that fit on the page: the state's rounds first (the most recent MAX_ROUNDS), then incidents (asserted
    and inferred in turn, at most half the room), then the events of the incidents shown, then more incidents."""
    from reportlab.lib.units import mm

    counts = lines.counts()
    frame_height = p.height - (9 * mm + BANNER_HEIGHT + 6) - (7 * mm + BANNER_HEIGHT + 6) - SLACK
    empty = {k: lines.sections[k].head(0) for k in SECTIONS}
    fixed = _height(p, _story(p, lines, empty, header, notes))  # headings, notes and a "more" line per section
    heads = {k: _row_heights(p, k, lines.sections[k].head(1))[0] for k in SECTIONS if counts[k]}
    budget = frame_height - fixed - sum(heads.values())
    taken = dict.fromkeys(SECTIONS, 0)
    ranked = {k: _ranked(lines, k, set()) for k in ("assessments", "asserted", "inferred")}
    rounds = _row_heights(p, "assessments", ranked["assessments"].head(MAX_ROUNDS))[1]
    for h in rounds:
        if h > budget:
            break
        budget, taken["assessments"] = budget - h, taken["assessments"] + 1
    left = _fill(p, budget / 2, ("asserted", "inferred"), ranked, taken)
    budget = budget / 2 + left
    shown = set(ranked["asserted"]["_incident"].head(taken["asserted"]).astype(int))
    shown |= set(ranked["inferred"]["_incident"].head(taken["inferred"]).astype(int))
    ranked |= {k: _ranked(lines, k, shown) for k in ("attributions", "responses")}
    budget = _fill(p, budget, ("attributions", "responses"), ranked, taken)
    _fill(p, budget, ("asserted", "inferred", "assessments"), ranked, taken)
    return {k: ranked[k].head(taken[k]) for k in SECTIONS}


def _render(
    lines: LedgerLines, selected: dict[str, pd.DataFrame], header: dict[str, str], notes: dict[str, str]
) -> LedgerPdf:
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    p = _Page()
    pages: list[int] = []
    marking = lines.marking

    def on_page(canvas: Any, doc: Any) -> None:
        pages.append(doc.page)
        p.banner(canvas, p.height - 9 * mm - BANNER_HEIGHT, "Cyber Dialogue Dashboard · norm-evidence ledger", marking)
        p.banner(canvas, 7 * mm, header["footer"], marking)

    story = _story(p, lines, selected, header, notes)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=(p.width, p.height),
        leftMargin=p.margin,
        rightMargin=p.margin,
        topMargin=9 * mm + BANNER_HEIGHT + 6,
        bottomMargin=7 * mm + BANNER_HEIGHT + 6,
        title=f"Norm-evidence ledger: {lines.state_name}, {lines.ledger.item_id}",
        author=header["org"],
        subject=f"{TLP_LABELS[marking] if marking else 'TLP:CLEAR'}. Cyber Dialogue Dashboard norm-evidence ledger",
        creator=f"Cyber Dialogue Dashboard {__version__}",
        invariant=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return LedgerPdf(out.getvalue(), len(pages), {k: len(v) for k, v in selected.items()})


def _texts(lines: LedgerLines, tracks: str, organisation: str, when: str) -> tuple[dict[str, str], dict[str, str]]:
    """The header, footer and empty-section sentences, and the notes under section headings."""
    counts = lines.counts()
    marking = lines.marking
    label = TLP_LABELS[marking] if marking else "TLP:CLEAR"
    total = sum(counts.values())
    header = {
        "org": organisation,
        "meta": (
            f"Tracks: {tracks} · prepared for {organisation} · {when} · {label}, the strictest marking of any line. "
            f"Every line names its source; the CSV of this ledger holds all {total:,} lines with every link whole."
        ),
        "summary": (
            f"{counts['assessments']} assessment rounds · {counts['asserted']} incidents a source links to the norm · "
            f"{counts['inferred']} linked by an import rule only · {counts['attributions']} attributions · "
            f"{counts['responses']} responses (the state as suspected initiator or as target). Most recent first."
        ),
        "footer": f"{label} · {lines.state_name} · {lines.ledger.item_id} · {when} · page 1 of 1",
        "none_assessments": f"No assessment of {lines.state_name} on this item that you may see.",
        "none_asserted": f"No source links an incident involving {lines.state_name} to this item.",
        "none_inferred": "None.",
        "none_attributions": "No attribution recorded for these incidents.",
        "none_responses": "No political or legal response recorded for these incidents.",
    }
    rules = sorted(set(lines.sections["inferred"]["_how"]))
    notes = {
        "inferred": "Not evidence a source gives: a named import rule linked these incidents to the item "
        f"({'; '.join(rules) if rules else 'no rule applied'}). Figures elsewhere in the dashboard do not count them."
    }
    return header, notes


def render_ledger_pdf(
    lines: LedgerLines, *, organisation: str, tracks: str, generated: dt.datetime | None = None
) -> LedgerPdf:
    """The ledger on one A4 page: the lines that fit (measured), the most recent and most important first; should
    the measure be off, a line is taken from the longest section until the page is one."""
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    header, notes = _texts(lines, tracks, organisation, when)
    selected = _select(_Page(), lines, header, notes)
    result = _render(lines, selected, header, notes)
    while result.pages > 1:
        longest = max(selected, key=lambda k: len(selected[k]))
        if len(selected[longest]) <= 1:
            break
        selected = {**selected, longest: selected[longest].head(len(selected[longest]) - 1)}
        result = _render(lines, selected, header, notes)
    return result

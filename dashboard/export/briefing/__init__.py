"""Briefing export: a printable PDF (A4, at most four pages) or one self-contained HTML file. No Streamlit.

Both formats show the same content, computed once by `collect` from the viewer's scoped queries
(`build_briefing` and `build_watchlist`), so a partner's export never holds rows beyond their grant. The
marking is the strictest TLP of the data the export contains, never above the viewer's ceiling, and is
printed at the top and bottom of every page. Charts come from the same builders as the pages: the PDF
embeds static images made by kaleido (Chromium, one session, MathJax off, the vendored topojson), the
HTML inlines plotly.js and the world topology so it opens with no network at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
import json
import logging
import math
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from sqlalchemy import Engine

from dashboard import __version__, read
from dashboard.analysis.briefing import Briefing, Headline, build_briefing
from dashboard.analysis.watchlist import Signal, build_watchlist
from dashboard.core.access import Permission, Viewer
from dashboard.core.filters import TRACK_BOTH, IncidentFilter, ViewFilter
from dashboard.core.settings import SettingsError, Thresholds, load_settings
from dashboard.core.tlp import TLP_LABELS, strictest_in, strictest_marking, tlp_rank
from dashboard.core.vocabulary import TRACK_IDS, load
from dashboard.present import charts, maps
from dashboard.present.labels import (
    BOTH_TRACKS,
    FIGURE_NAMES,
    FRAMEWORK_NAMES,
    KIND_NAMES,
    KIND_PLURALS,
    LAYER_NAMES,
    SECTOR_NAMES,
    SIGNAL_KINDS,
    STATUS_NAMES,
    TRACK_NAMES,
    TYPE_NAMES,
)
from dashboard.present.palette import TLP_COLOURS

MAX_PAGES = 4
MAX_PERIOD_DAYS = 3660
WATCHLIST_ROWS = 10
INCIDENT_SIGNALS = {"surge", "norm-strain", "hotline-gap", "partnership-lapse"}


class ExportError(Exception):
    """The briefing cannot be exported; the message says why in one line."""


@dataclass(frozen=True)
class BriefingFile:
    """One rendered briefing: the bytes, a file name that carries the marking, and what a caller may report."""

    data: bytes
    file_name: str
    mime: str
    marking: str
    pages: int | None = None


@dataclass
class BriefingContent:
    """Everything an export shows, computed once from scoped queries for one viewer, track choice and as-of date."""

    viewer: Viewer
    track: str  # a track id or "both"
    tracks: frozenset[str]
    track_label: str
    as_of: dt.date
    brief: Briefing
    signals: list[Signal]
    marking: str
    versions: pd.DataFrame
    synthetic: bool
    sources: list[tuple[str, int]]
    frameworks: list[tuple[str, str]]
    countries: pd.DataFrame
    thresholds: Thresholds
    generated_at: dt.datetime
    figures: dict[str, go.Figure] = field(default_factory=dict)

    @property
    def marking_label(self) -> str:
        """The marking as printed: TLP:CLEAR ... TLP:RED."""
        return TLP_LABELS[self.marking]

    @property
    def shown_signals(self) -> list[Signal]:
        """The strongest signals, as many as the export shows."""
        return self.signals[:WATCHLIST_ROWS]


# ---------------------------------------------------------------- collecting the content


def default_as_of(engine: Engine, viewer: Viewer) -> dt.date:
    """Today, or the newest incident the viewer can see if the data stops earlier (as the pages do)."""
    latest = read.latest_incident_date(engine, viewer)
    today = dt.date.today()
    return min(today, latest) if latest else today


def _strictest(markings: Sequence[str | None]) -> str | None:
    return strictest_marking(*markings)


def _frame_tlp(frame: pd.DataFrame) -> str | None:
    return strictest_in(frame)


def _check(viewer: Viewer, track: str | None, period_days: int) -> str:
    track = track or TRACK_BOTH
    if track != TRACK_BOTH and track not in TRACK_IDS:
        raise ExportError(f"unknown track {track!r}: use one of {', '.join(TRACK_IDS)} or both")
    if track != TRACK_BOTH and track not in viewer.tracks:
        raise ExportError(f"track {track!r} is not available to {viewer.name}")
    if not viewer.tracks:
        raise ExportError(f"{viewer.name} has no tracks")
    if not 1 <= period_days <= MAX_PERIOD_DAYS:
        raise ExportError(f"the period must be 1 to {MAX_PERIOD_DAYS} days, not {period_days}")
    return track


def _marking(
    engine: Engine,
    viewer: Viewer,
    content_tracks: frozenset[str],
    brief: Briefing,
    *,
    shown: list[Signal],
    th: Thresholds,
) -> str:
    """Strictest TLP of everything shown (briefing, and the rows behind the shown signals), capped at the ceiling."""
    found = [brief.tlp]
    if any(s.kind in INCIDENT_SIGNALS for s in shown):
        start = brief.as_of - dt.timedelta(days=th.recent_days - 1 + th.baseline_days)
        window = IncidentFilter(tracks=content_tracks, start=start, end=brief.as_of)
        found.append(read.incident_summary(engine, viewer, window)["tlp"])
    if any(s.kind == "norm-downgrade" for s in shown) or not brief.norm_downgrades.empty:
        for day in brief.norm_rounds[-2:]:  # the briefing's rounds and statuses, of the same tracks
            if day in brief.round_tlps:
                found.append(brief.round_tlps[day])
            else:
                found.append(_frame_tlp(read.norm_status_as_of(engine, viewer, day, content_tracks)))
    marking = _strictest(found) or "clear"
    # Scoped queries never return rows above the ceiling; the cap only guards against a future mistake.
    return marking if tlp_rank(marking) <= tlp_rank(viewer.tlp_ceiling) else viewer.tlp_ceiling


def _sources(engine: Engine, viewer: Viewer, view: ViewFilter, brief: Briefing) -> list[tuple[str, int]]:
    """Web sites cited by the period's incidents, with the number of incidents citing each (most cited first)."""
    hosts = read.incident_source_hosts(engine, viewer, view.incident_filter(viewer, brief.period))
    return list(zip(hosts["host"].tolist(), hosts["incidents"].tolist(), strict=True))


def _setting_thresholds() -> Thresholds:
    """The watchlist thresholds from the settings, so an export lists the same signals as the watchlist page."""
    try:
        return load_settings().watchlist_thresholds()
    except SettingsError as exc:
        raise ExportError(str(exc)) from None


def collect(
    engine: Engine,
    viewer: Viewer,
    *,
    track: str | None,
    as_of: dt.date,
    period_days: int = 365,
    thresholds: Thresholds | None = None,
    generated_at: dt.datetime | None = None,
) -> BriefingContent:
    """Compute the briefing, watchlist, marking and provenance for one export (every read scoped to the viewer).

    thresholds: the watchlist's (default: from the settings, as on the watchlist page).
    """
    track = _check(viewer, track, period_days)
    th = thresholds or _setting_thresholds()
    view = ViewFilter(track=track, period="custom", start=as_of - dt.timedelta(days=period_days - 1), end=as_of)
    tracks = view.tracks(viewer)
    brief = build_briefing(engine, viewer, view, as_of)
    signals = build_watchlist(engine, viewer, tracks, as_of, th)
    versions = read.active_versions(engine, viewer)
    versions = versions[versions["track_id"].isin(tracks)].reset_index(drop=True)
    names = TRACK_NAMES
    if track == TRACK_BOTH:
        label = " and ".join(names[t] for t in sorted(tracks, key=names.get))
        label = f"{BOTH_TRACKS} ({label})" if len(tracks) > 1 else label
    else:
        label = names[track]
    frameworks = [
        (f["short_name"], f["source"]) for f in load("frameworks.csv") if set(f["tracks"].split(";")) & set(tracks)
    ]
    content = BriefingContent(
        viewer=viewer,
        track=track,
        tracks=tracks,
        track_label=label,
        as_of=as_of,
        brief=brief,
        signals=signals,
        marking="clear",
        versions=versions,
        synthetic=bool(versions["synthetic"].astype(bool).any()) if not versions.empty else False,
        sources=_sources(engine, viewer, view, brief),
        frameworks=frameworks,
        countries=read.track_countries(engine, viewer, tracks),
        thresholds=th,
        generated_at=(generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0),
    )
    content.marking = _marking(engine, viewer, tracks, brief, shown=content.shown_signals, th=th)
    content.figures = {
        "map": maps.build_country_map(
            brief.by_country,
            "incidents",
            countries=content.countries,
            hover_cols={"significant": "Significant"},
            colorbar_title="Incidents",
            height=430,
        ),
        "trend": charts.build_trend_figure(
            brief.monthly,
            stack_col="type",
            labels=TYPE_NAMES,
            height=360,
        ),
    }
    return content


# ---------------------------------------------------------------- text shared by both formats


def plural(count: int, word: str, words: str | None = None) -> str:
    """'1 hotline', '3 hotlines'."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _number(value: object) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,}"


def period_line(c: BriefingContent) -> str:
    """Which dates the figures cover."""
    p = c.brief.period
    return (
        f"As of {c.as_of.isoformat()} · period {_date(p.start)} – {_date(p.end)} ({p.days} days), compared with "
        f"the {p.days} days before ({_date(p.previous.start)} – {_date(p.previous.end)})"
    )


def headline_rows(c: BriefingContent) -> list[tuple[str, str, str, str]]:
    """Figure, this period, previous period, change: the same numbers as build_briefing."""
    rows = []
    for h in c.brief.headlines:
        delta = h.delta
        rows.append(
            (
                h.label,
                _number(h.current),
                _number(h.previous) if h.previous is not None else "n/a",
                delta.label() if delta else "latest test only",
            )
        )
    return rows


def headline_help(headlines: Sequence[Headline]) -> str:
    """What the headline figures count, in one paragraph."""
    return " ".join(f"{h.label}: {h.help}" for h in headlines)


def mover_lines(c: BriefingContent) -> list[str]:
    """Countries and sectors with the largest change against the previous period."""
    sectors = SECTOR_NAMES
    out = []
    for title, frame, key, names in (
        ("Countries", c.brief.country_movers, "name", None),
        ("Sectors", c.brief.sector_movers, "sector_id", sectors),
    ):
        if frame.empty:
            continue
        parts = [f"{(names or {}).get(r[key], r[key])} {r['change']:+,}" for _, r in frame.iterrows()]
        out.append(f"{title} with the largest change in incidents: " + ", ".join(parts) + ".")
    return out


def signal_figures(s: Signal) -> str:
    """The figures behind a signal, short."""
    parts = []
    for key, value in s.figures.items():
        if key == "days_since_test" and value is None:
            parts.append("never tested")
            continue
        if key in {"baseline", "codes"} or value in (None, ""):
            continue
        parts.append(f"{FIGURE_NAMES.get(key, key.replace('_', ' '))} {value}")
    return ", ".join(parts)


def norm_lines(c: BriefingContent) -> list[str]:
    """Median share implemented, most and least advanced states."""
    shares = c.brief.norm_shares
    if shares.empty:
        return ["No norm or CBM assessments in these tracks yet."]
    top = ", ".join(f"{r.country} ({r.share:.0%})" for r in shares.head(3).itertuples())
    bottom = ", ".join(f"{r.country} ({r.share:.0%})" for r in shares.tail(3).iloc[::-1].itertuples())
    return [
        f"Median share of norm and CBM items implemented in the latest round: {shares['share'].median():.0%} "
        f"across {len(shares)} states.",
        f"Most advanced: {top}.",
        f"Least advanced: {bottom}.",
    ]


def downgrade_rows(c: BriefingContent) -> list[tuple[str, str, str]]:
    """One row per state that moved back: state, items (framework: codes), count."""
    down = c.brief.norm_downgrades
    if down.empty:
        return []
    frameworks = FRAMEWORK_NAMES
    statuses = STATUS_NAMES
    rows = []
    for country, part in down.groupby("country", sort=True):
        items = []
        for fw, items_part in part.groupby("framework_id", sort=True):
            codes = ", ".join(
                f"{r.code} ({statuses.get(r.before, r.before)} → {statuses.get(r.after, r.after)})"
                for r in items_part.itertuples()
            )
            items.append(f"{frameworks.get(fw, fw)}: {codes}")
        rows.append((str(country), "; ".join(items), str(len(part))))
    return rows


def downgrade_intro(c: BriefingContent) -> str:
    """How many items moved back, in how many states."""
    states = c.brief.norm_downgrades["country"].nunique()
    return (
        f"{plural(len(c.brief.norm_downgrades), 'item')} moved back since the previous round, "
        f"in {plural(states, 'state')}:"
    )


def stale_intro(c: BriefingContent) -> str:
    """How many hotlines are stale."""
    return f"{plural(len(c.brief.stale_hotlines), 'hotline')} not tested in the last 12 months or never tested:"


def more_line(total: int, shown: int, word: str, where: str = "in the dashboard") -> str:
    """'… and 3 more states in the dashboard.' (empty when nothing was left out)."""
    return f"… and {plural(total - shown, 'more ' + word, 'more ' + word + 's')} {where}." if total > shown else ""


def partnership_line(c: BriefingContent) -> str:
    """Active partnerships by kind, in one sentence."""
    kinds = c.brief.partnership_kinds
    if kinds.empty:
        return "No active partnerships in these tracks."
    names = KIND_NAMES
    parts = [
        f"{r.partnerships} "
        + (KIND_PLURALS.get(r.kind, r.kind) if r.partnerships != 1 else names.get(r.kind, r.kind).lower())
        for r in kinds.itertuples()
    ]
    return f"Active now ({int(kinds['partnerships'].sum())} in all): " + ", ".join(parts) + "."


def stale_rows(c: BriefingContent) -> list[tuple[str, str, str, str]]:
    """Hotlines untested for over a year or never tested: name, status, last tested, days since."""
    rows = []
    for r in c.brief.stale_hotlines.itertuples():
        never = r.last_tested is None or pd.isna(r.last_tested)
        days = "" if pd.isna(r.days) else f"{int(r.days):,}"
        rows.append((str(r.name), str(r.status), "never" if never else str(r.last_tested), days))
    return rows


def version_rows(c: BriefingContent) -> tuple[list[str], list[tuple[str, ...]]]:
    """Active dataset versions behind the export; file names and uploaders only for those who may see datasets."""
    full = c.viewer.can(Permission.VIEW_DATASETS)
    header = ["Layer", "Track", "Version", "Uploaded (UTC)", "SHA-256 (start)", "Synthetic"]
    if full:
        header[3:3] = ["File", "Uploaded by"]
    names = TRACK_NAMES
    rows = []
    for v in c.versions.itertuples():
        when = pd.Timestamp(v.uploaded_at)
        when = when.tz_convert("UTC") if when.tzinfo else when
        row = [
            LAYER_NAMES.get(v.layer, v.layer),
            names.get(v.track_id, v.track_id),
            f"#{v.number} (id {v.id})",
            f"{when:%Y-%m-%d %H:%M}",
            str(v.sha256)[:12],
            "yes" if v.synthetic else "no",
        ]
        if full:
            row[3:3] = [str(v.file_name), str(v.uploaded_by)]
        rows.append(tuple(row))
    return header, rows


def prepared_for(c: BriefingContent) -> str:
    """Who the export was made for, and their ceiling."""
    v = c.viewer
    return f"Prepared for {v.name} ({v.organisation}), cleared to {TLP_LABELS[v.tlp_ceiling]}"


def generated_line(c: BriefingContent) -> str:
    """When the export was made (the only text that differs between two exports of the same data)."""
    return f"Generated {c.generated_at:%Y-%m-%d %H:%M:%S} UTC by Cyber Dialogue Dashboard {__version__}"


def marking_note(c: BriefingContent) -> str:
    """Why the export carries its marking."""
    return (
        f"{c.marking_label}: the strictest marking of the data in this briefing. Share it only as "
        f"{c.marking_label} allows."
    )


SYNTHETIC_NOTE = (
    "SYNTHETIC DEMO DATA: every figure in this briefing comes from generated test data; "
    "it describes no real incident, assessment or partnership."
)


def method_notes(c: BriefingContent) -> list[str]:
    """How the figures and signals are computed."""
    th = c.thresholds
    return [
        "Counts use only rows the recipient may see (their tracks and TLP ceiling), from the active dataset versions.",
        "Significant incidents: severity 3 (high) or above on the CISA National Cyber Incident Scoring System.",
        f"Watchlist: a surge is {th.min_count}+ incidents in the last {th.recent_days} days at "
        f"{th.min_rate_ratio:g}x or more the rate of the {th.baseline_days} days before (one-sided Poisson test, "
        f"p ≤ {th.max_p_value:g}); a hotline gap is {th.dyad_min_incidents}+ incidents in 12 months between two "
        "states with no active hotline or point-of-contact link; hotlines are stale after "
        f"{th.hotline_stale_days} days without a test. {plural(len(c.signals), 'signal')} in all; "
        f"{min(len(c.signals), WATCHLIST_ROWS):,} shown here.",
    ]


def file_name(c: BriefingContent, suffix: str) -> str:
    """A file name that carries track, as-of date and marking, e.g. briefing_eastern-europe_2026-10-31_TLP-AMBER.pdf."""
    marking = c.marking_label.replace(":", "-").replace("+", "-")
    return f"briefing_{c.track}_{c.as_of.isoformat()}_{marking}.{suffix}"


# ---------------------------------------------------------------- static chart images (kaleido)


# Debian's chromium launcher turns background networking on (extension updates, search-engine preconnects), and
# choreographer has no switch for it: these flags keep the export browser off the network entirely. Every host name
# fails to resolve, so even a request we did not foresee cannot leave the machine (file: URLs need no resolver).
OFFLINE_CHROMIUM_FLAGS = (
    "--disable-background-networking",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def _offline_chromium() -> type:
    """choreographer's Chromium with OFFLINE_CHROMIUM_FLAGS added to its command line."""
    from choreographer.browsers.chromium import Chromium

    class OfflineChromium(Chromium):
        def get_cli(self) -> list[str]:
            return [*super().get_cli(), *OFFLINE_CHROMIUM_FLAGS]

    return OfflineChromium


class ChartSession:
    """One kaleido (Chromium) session for the static charts of an export, started at once in a thread of its own.

    Chromium takes seconds to start, so it starts while the data is still being read; `render` then draws every
    figure in the same session. MathJax is off (kaleido would fetch it from a CDN otherwise), plotly.js comes from
    the plotly package, the world topology from the vendored folder, and the browser runs with
    OFFLINE_CHROMIUM_FLAGS, so no request leaves the machine. Always `close()` it (or use `with`).
    """

    def __init__(self) -> None:
        for name in ("kaleido", "choreographer"):  # their INFO lines (tabs, temp folders) are noise in a CLI or app log
            logging.getLogger(name).setLevel(logging.WARNING)
        self._jobs: queue.Queue[dict[str, tuple[go.Figure, dict[str, Any]]] | None] = queue.Queue()
        self._done: queue.Queue[dict[str, bytes] | BaseException] = queue.Queue()
        self._closed = False
        self._topojson = maps.configure_static_export()
        self._thread = threading.Thread(target=self._serve, name="briefing-export-charts", daemon=True)
        self._thread.start()

    def __enter__(self) -> ChartSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to the caller's thread by render()
            self._done.put(exc)

    async def _main(self) -> None:
        import kaleido

        loop = asyncio.get_running_loop()
        browser = _offline_chromium()
        async with kaleido.Kaleido(n=1, mathjax=False, timeout=60, browser_cls=browser, enable_extensions=False) as k:
            figures = await loop.run_in_executor(None, self._jobs.get)
            if figures is None:
                return
            images = {}
            for name, (fig, opts) in figures.items():
                images[name] = await k.calc_fig(fig, {"format": "png", **opts}, topojson=self._topojson)
            self._done.put(images)

    def render(self, figures: dict[str, tuple[go.Figure, dict[str, Any]]]) -> dict[str, bytes]:
        """PNG bytes of each figure (name -> (figure, kaleido options: width, height, scale))."""
        from choreographer.errors import ChromeNotFoundError

        if self._closed:
            raise ExportError("the chart session is closed")
        self._closed = True
        self._jobs.put(figures)
        result = self._done.get()
        self._thread.join()
        if isinstance(result, ChromeNotFoundError):
            raise ExportError("static charts need Chromium (install Debian's chromium package)")
        if isinstance(result, BaseException):
            reason = str(result).strip().splitlines()[0] if str(result).strip() else repr(result)
            raise ExportError(f"chart rendering failed: {reason}")
        return result

    def close(self) -> None:
        """Stop the browser if nothing was rendered."""
        if not self._closed:
            self._closed = True
            self._jobs.put(None)
            self._thread.join(timeout=30)


def render_images(figures: dict[str, tuple[go.Figure, dict[str, Any]]]) -> dict[str, bytes]:
    """PNG images of the figures, all in one offline kaleido session (see ChartSession)."""
    with ChartSession() as session:
        return session.render(figures)


# ---------------------------------------------------------------- PDF


@dataclass(frozen=True)
class _Limits:
    """How many rows each table may show; lowered step by step until the PDF fits on MAX_PAGES pages."""

    signals: int = WATCHLIST_ROWS
    downgrades: int = 12
    stale: int = 10
    versions: int = 24
    sources: int = 8

    def smaller(self) -> _Limits | None:
        if self.versions > 8:
            return _Limits(self.signals, self.downgrades, self.stale, self.versions - 8, self.sources)
        if self.downgrades > 6 or self.stale > 5:
            return _Limits(self.signals, max(6, self.downgrades - 3), max(5, self.stale - 3), self.versions, 4)
        if self.signals > 5:
            return _Limits(self.signals - 2, self.downgrades, self.stale, self.versions, self.sources)
        return None


class _PdfFonts:
    """A Unicode TrueType font pair (DejaVu Sans when installed, else Bitstream Vera shipped with reportlab)."""

    _registered: tuple[str, str, frozenset[int]] | None = None

    @classmethod
    def get(cls) -> tuple[str, str, frozenset[int]]:
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


def _render_pdf(c: BriefingContent, images: dict[str, bytes], limits: _Limits) -> tuple[bytes, int]:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold, glyphs = _PdfFonts.get()
    width, height = A4
    margin = 15 * mm
    usable = width - 2 * margin

    def t(text: object) -> str:
        return _pdf_text(text, glyphs)

    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5, textColor=colors.HexColor("#1F1F1F"))
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
    cell = ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6)
    cell_bold = ParagraphStyle("cellb", parent=cell, fontName=bold)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=base, fontName=bold, fontSize=11.5, leading=14, spaceBefore=8, spaceAfter=4)
    warn = ParagraphStyle(
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
    )
    grey = colors.HexColor("#D9D9D9")

    cell_right = ParagraphStyle("cellr", parent=cell, alignment=2)
    head_right = ParagraphStyle("cellbr", parent=cell_bold, alignment=2)

    tiny = ParagraphStyle("tiny", parent=cell, fontSize=7, leading=8.6)
    tiny_bold = ParagraphStyle("tinyb", parent=tiny, fontName=bold)

    def table(
        header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float], numeric=(), compact=False
    ) -> Table:
        head_style, body_style = (tiny_bold, tiny) if compact else (cell_bold, cell)
        body = [[Paragraph(t(h), head_right if i in numeric else head_style) for i, h in enumerate(header)]]
        for row in rows:
            body.append([Paragraph(t(v), cell_right if i in numeric else body_style) for i, v in enumerate(row)])
        tbl = Table(body, colWidths=[w * usable for w in widths], repeatRows=1, hAlign="LEFT")
        tbl.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#4D4D4D")),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return tbl

    def image(name: str, max_height: float) -> Image:
        from reportlab.lib.utils import ImageReader

        data = images[name]
        w, h = ImageReader(io.BytesIO(data)).getSize()
        scale = min(usable / w, max_height / h)
        return Image(io.BytesIO(data), width=w * scale, height=h * scale, hAlign="CENTER")

    def more(total: int, shown: int, what: str, where: str = "in the dashboard") -> list[Paragraph]:
        line = more_line(total, shown, what, where)
        return [Paragraph(t(line), small)] if line else []

    b = c.brief
    story: list[Any] = [
        Paragraph(t(f"Track briefing: {c.track_label}"), title),
        Paragraph(t(period_line(c)), base),
        Paragraph(t(f"{prepared_for(c)} · {generated_line(c)}"), small),
        Paragraph(t(marking_note(c)), small),
    ]
    if c.synthetic:
        story.append(Paragraph(t(SYNTHETIC_NOTE), warn))
    else:
        story.append(Spacer(1, 6))
    if b.empty:
        story.append(Paragraph(t("No data visible to the recipient in these tracks and this period."), base))
    story += [
        Paragraph(t("Headline figures"), h2),
        table(
            ["Figure", "This period", "Previous period", "Change"],
            headline_rows(c),
            [0.38, 0.18, 0.2, 0.24],
            numeric=(1, 2, 3),
        ),
        Spacer(1, 3),
        *[Paragraph(t(line), small) for line in mover_lines(c)],
        Paragraph(t(headline_help(b.headlines)), small),
        KeepTogether([Paragraph(t("Incidents by target country"), h2), image("map", 300)]),
        KeepTogether([Paragraph(t("Incidents per month by type"), h2), image("trend", 230)]),
    ]
    shown = c.signals[: limits.signals]
    watch: list[Any] = [Paragraph(t("Watchlist: what to look at"), h2)]
    if shown:
        watch.append(
            table(
                ["#", "Signal", "Subject", "Why", "Figures"],
                [
                    (str(i), SIGNAL_KINDS.get(s.kind, s.kind), s.subject, s.explanation, signal_figures(s))
                    for i, s in enumerate(shown, 1)
                ],
                [0.04, 0.12, 0.17, 0.47, 0.2],
            )
        )
        watch += more(len(c.signals), len(shown), "signal", "on the Watchlist page")
    else:
        watch.append(Paragraph(t("No signals: nothing stands out in these tracks as of this date."), base))
    story += [CondPageBreak(120), *watch]

    norms: list[Any] = [Paragraph(t("Norms and confidence-building measures"), h2)]
    norms += [Paragraph(t(line), base) for line in norm_lines(c)]
    downs = downgrade_rows(c)
    if downs:
        norms.append(Spacer(1, 3))
        norms.append(Paragraph(t(downgrade_intro(c)), base))
        norms.append(
            table(
                ["State", "Items moved back (before → now)", "Items"],
                downs[: limits.downgrades],
                [0.2, 0.7, 0.1],
                numeric=(2,),
            )
        )
        norms += more(len(downs), min(len(downs), limits.downgrades), "state")
    elif not b.norm_shares.empty:
        norms.append(Paragraph(t("No state moved back on any item since the previous round."), base))
    story += [CondPageBreak(110), *norms]

    partners: list[Any] = [Paragraph(t("Partnerships and hotlines"), h2), Paragraph(t(partnership_line(c)), base)]
    stale = stale_rows(c)
    if stale:
        partners.append(Spacer(1, 3))
        partners.append(Paragraph(t(stale_intro(c)), base))
        partners.append(
            table(
                ["Hotline", "Status", "Last tested", "Days since"],
                stale[: limits.stale],
                [0.5, 0.15, 0.2, 0.15],
                numeric=(3,),
            )
        )
        partners += more(len(stale), min(len(stale), limits.stale), "hotline")
    else:
        partners.append(Paragraph(t("Every hotline was tested in the last 12 months."), base))
    story += [CondPageBreak(100), *partners]

    header, versions = version_rows(c)
    widths = [0.11, 0.1, 0.08, 0.21, 0.13, 0.15, 0.13, 0.09] if len(header) == 8 else [0.16, 0.16, 0.14, 0.2, 0.2, 0.14]
    prov: list[Any] = [Paragraph(t("Provenance"), h2)]
    prov.append(Paragraph(t(f"Active dataset versions behind this briefing ({len(versions)}):"), base))
    if versions:
        prov.append(table(header, versions[: limits.versions], widths, compact=True))
        prov += more(len(versions), min(len(versions), limits.versions), "version")
        prov.append(Spacer(1, 4))
    sources = c.sources[: limits.sources]
    if sources:
        listed = ", ".join(f"{host} ({n:,})" for host, n in sources)
        extra = f" and {len(c.sources) - len(sources)} more" if len(c.sources) > len(sources) else ""
        prov.append(
            Paragraph(t(f"Incident sources cited in the period (incidents citing each): {listed}{extra}."), base)
        )
    else:
        prov.append(Paragraph(t("No incident sources cited in the period."), base))
    for name, source in c.frameworks:
        prov.append(Paragraph(t(f"{name}: {source}."), small))
    prov += [Paragraph(t(line), small) for line in method_notes(c)]
    prov.append(Paragraph(t(generated_line(c)), small))
    if c.synthetic:
        prov.append(Paragraph(t(SYNTHETIC_NOTE), small))
    story += [CondPageBreak(140), *prov]

    label = c.marking_label
    colour = colors.HexColor(TLP_COLOURS[c.marking])
    footer_text = f"Track briefing · {c.track_label} · as of {c.as_of.isoformat()}"
    pages_seen: list[int] = []

    def banner(canvas: Any, y: float, page: int, total: int, top: bool) -> None:
        bar = 17
        canvas.setFillColor(colors.black)
        canvas.rect(margin, y, usable, bar, stroke=0, fill=1)
        canvas.setFillColor(colour)
        canvas.setFont(bold, 12)
        canvas.drawRightString(width - margin - 6, y + 4.6, label)
        canvas.setFillColor(colors.white)
        canvas.setFont(regular, 7.5)
        if top:
            canvas.drawString(margin + 6, y + 5.5, "Cyber Dialogue Dashboard · track briefing")
        else:
            canvas.drawString(margin + 6, y + 5.5, _plain(f"{footer_text} · page {page} of {total}", glyphs))

    class NumberedCanvas(rl_canvas.Canvas):
        """Draws the TLP banners once the page count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            pages_seen.append(total)
            for state in self._saved:
                self.__dict__.update(state)
                banner(self, height - 10 * mm - 17, self._pageNumber, total, True)
                banner(self, 8 * mm, self._pageNumber, total, False)
                super().showPage()
            super().save()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=10 * mm + 17 + 8,
        bottomMargin=8 * mm + 17 + 8,
        title=f"Track briefing: {c.track_label}, as of {c.as_of.isoformat()} ({label})",
        author=c.viewer.organisation,
        subject=f"{label}. Cyber Dialogue Dashboard briefing",
        creator=f"Cyber Dialogue Dashboard {__version__}",
        invariant=1,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return out.getvalue(), pages_seen[-1]


def _pdf_figures(c: BriefingContent) -> dict[str, tuple[go.Figure, dict[str, Any]]]:
    figures = {}
    for name, fig, h in (("map", c.figures["map"], 520), ("trend", c.figures["trend"], 360)):
        figure = go.Figure(fig)
        figure.update_layout(title=None, margin={"t": 16})
        figures[name] = (figure, {"width": 900, "height": h, "scale": 2})
    return figures


def pdf_from_content(c: BriefingContent, charts: ChartSession | None = None) -> tuple[bytes, int]:
    """The PDF bytes and page count; tables are shortened until it fits on MAX_PAGES A4 pages."""
    images = charts.render(_pdf_figures(c)) if charts else render_images(_pdf_figures(c))
    limits: _Limits | None = _Limits()
    while limits is not None:
        data, pages = _render_pdf(c, images, limits)
        if pages <= MAX_PAGES:
            return data, pages
        limits = limits.smaller()
    return data, pages


def _pdf(engine: Engine, viewer: Viewer, **kwargs: Any) -> tuple[BriefingContent, bytes, int]:
    _check(viewer, kwargs["track"], kwargs["period_days"])  # refuse before starting a browser
    with ChartSession() as charts:  # Chromium starts while the data is read
        content = collect(engine, viewer, **kwargs)
        data, pages = pdf_from_content(content, charts)
    return content, data, pages


def render_pdf(
    engine: Engine,
    viewer: Viewer,
    *,
    track: str | None,
    as_of: dt.date,
    period_days: int = 365,
    thresholds: Thresholds | None = None,
    generated_at: dt.datetime | None = None,
) -> bytes:
    """The briefing as an A4 PDF of at most four pages, marked with its TLP at the top and bottom of every page."""
    _content, data, _pages = _pdf(
        engine,
        viewer,
        track=track,
        as_of=as_of,
        period_days=period_days,
        thresholds=thresholds,
        generated_at=generated_at,
    )
    return data


# ---------------------------------------------------------------- HTML


HTML_STYLE = """
:root { color-scheme: light; }
body { margin: 0; font-family: "Source Sans Pro", "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1F1F1F;
       background: #FFFFFF; line-height: 1.4; }
main { max-width: 1120px; margin: 0 auto; padding: 8px 24px 24px; }
.tlp { background: #000000; padding: 6px 24px; display: flex; justify-content: space-between; align-items: center; }
.tlp .label { font: 700 16px/1.2 "DejaVu Sans Mono", monospace; }
.tlp .note { color: #FFFFFF; font-size: 13px; }
h1 { font-size: 28px; margin: 16px 0 4px; }
h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 1px solid #D9D9D9; padding-bottom: 4px; }
.meta { color: #4D4D4D; font-size: 14px; margin: 2px 0; }
.synthetic { border: 2px solid #D55E00; background: #FFF1D6; color: #5A2E00; font-weight: 700; padding: 8px 12px;
             margin: 12px 0; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0; }
th, td { border-bottom: 1px solid #E5E5E5; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #EEEEEE; border-bottom: 1px solid #4D4D4D; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.small { font-size: 13px; color: #4D4D4D; }
.chart { width: 100%; }
@media print { .chart { break-inside: avoid; } h2 { break-after: avoid; } }
"""
# The page may load nothing from anywhere: every script, style and the world topology are inline.
HTML_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{_h(v)}</th>" for i, v in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{_h(v)}</td>" for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


def _chart_html(fig: go.Figure, div_id: str) -> str:
    config = {**maps.PLOTLY_CONFIG, "topojsonURL": "./", "displaylogo": False, "responsive": True}
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, config=config, div_id=div_id, default_width="100%")


def html_from_content(c: BriefingContent) -> bytes:
    """One self-contained HTML document: plotly.js, the world topology and every chart inline; text escaped."""
    b = c.brief
    label = c.marking_label
    colour = TLP_COLOURS[c.marking]

    def banner(where: str) -> str:
        return (
            f'<div class="tlp {where}" role="note" aria-label="{_h(label)}"><span class="note">'
            f"Cyber Dialogue Dashboard · track briefing · {_h(c.track_label)} · as of {_h(c.as_of.isoformat())}</span>"
            f'<span class="label" style="color:{colour}">{_h(label)}</span></div>'
        )

    parts = [
        f"<h1>Track briefing: {_h(c.track_label)}</h1>",
        f'<p class="meta">{_h(period_line(c))}</p>',
        f'<p class="meta">{_h(prepared_for(c))} · {_h(generated_line(c))}</p>',
        f'<p class="meta">{_h(marking_note(c))}</p>',
    ]
    if c.synthetic:
        parts.append(f'<p class="synthetic">{_h(SYNTHETIC_NOTE)}</p>')
    if b.empty:
        parts.append("<p>No data visible to the recipient in these tracks and this period.</p>")
    parts.append("<h2>Headline figures</h2>")
    parts.append(_html_table(["Figure", "This period", "Previous period", "Change"], headline_rows(c), (1, 2, 3)))
    parts += [f'<p class="small">{_h(line)}</p>' for line in mover_lines(c)]
    parts.append(f'<p class="small">{_h(headline_help(b.headlines))}</p>')
    parts.append("<h2>Incidents by target country</h2>")
    parts.append(f'<div class="chart">{_chart_html(c.figures["map"], "briefing-map")}</div>')
    parts.append("<h2>Incidents per month by type</h2>")
    parts.append(f'<div class="chart">{_chart_html(c.figures["trend"], "briefing-trend")}</div>')

    parts.append("<h2>Watchlist: what to look at</h2>")
    shown = c.shown_signals
    if shown:
        rows = [
            (str(i), SIGNAL_KINDS.get(s.kind, s.kind), s.subject, s.explanation, signal_figures(s))
            for i, s in enumerate(shown, 1)
        ]
        parts.append(_html_table(["#", "Signal", "Subject", "Why", "Figures"], rows, (0,)))
        if len(c.signals) > len(shown):
            parts.append(
                f'<p class="small">{_h(more_line(len(c.signals), len(shown), "signal", "on the Watchlist page"))}</p>'
            )
    else:
        parts.append("<p>No signals: nothing stands out in these tracks as of this date.</p>")

    parts.append("<h2>Norms and confidence-building measures</h2>")
    parts += [f"<p>{_h(line)}</p>" for line in norm_lines(c)]
    downs = downgrade_rows(c)
    if downs:
        parts.append(f"<p>{_h(downgrade_intro(c))}</p>")
        parts.append(_html_table(["State", "Items moved back (before → now)", "Items"], downs, (2,)))
    elif not b.norm_shares.empty:
        parts.append("<p>No state moved back on any item since the previous round.</p>")

    parts.append("<h2>Partnerships and hotlines</h2>")
    parts.append(f"<p>{_h(partnership_line(c))}</p>")
    stale = stale_rows(c)
    if stale:
        parts.append(f"<p>{_h(stale_intro(c))}</p>")
        parts.append(_html_table(["Hotline", "Status", "Last tested", "Days since"], stale, (3,)))
    else:
        parts.append("<p>Every hotline was tested in the last 12 months.</p>")

    parts.append("<h2>Provenance</h2>")
    header, versions = version_rows(c)
    parts.append(f"<p>Active dataset versions behind this briefing ({len(versions)}):</p>")
    if versions:
        parts.append(_html_table(header, versions))
    if c.sources:
        listed = ", ".join(f"{host} ({n:,})" for host, n in c.sources)
        parts.append(f"<p>Incident sources cited in the period (incidents citing each): {_h(listed)}.</p>")
    else:
        parts.append("<p>No incident sources cited in the period.</p>")
    parts += [f'<p class="small">{_h(name)}: {_h(source)}.</p>' for name, source in c.frameworks]
    parts += [f'<p class="small">{_h(line)}</p>' for line in method_notes(c)]
    parts.append(f'<p class="small">{_h(generated_line(c))}</p>')
    if c.synthetic:
        parts.append(f'<p class="small">{_h(SYNTHETIC_NOTE)}</p>')

    topology = json.loads(maps.TOPOJSON_FILE.read_text(encoding="utf-8"))
    title = f"Track briefing: {c.track_label}, as of {c.as_of.isoformat()} ({label})"
    document = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{HTML_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>{HTML_STYLE}</style>\n"
        # plotly.js looks here before it fetches <topojsonURL>world_110m.json, so the map needs no request.
        f"<script>window.PlotlyGeoAssets={{topojson:{{world_110m:{_script_json(topology)}}}}};</script>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        "</head>\n<body>\n"
        f"{banner('top')}\n<main>\n" + "\n".join(parts) + f"\n</main>\n{banner('bottom')}\n</body>\n</html>\n"
    )
    return document.encode("utf-8")


def render_html(
    engine: Engine,
    viewer: Viewer,
    *,
    track: str | None,
    as_of: dt.date,
    period_days: int = 365,
    thresholds: Thresholds | None = None,
    generated_at: dt.datetime | None = None,
) -> bytes:
    """The briefing as one HTML file with interactive charts that opens offline; TLP marking at top and bottom."""
    content = collect(
        engine,
        viewer,
        track=track,
        as_of=as_of,
        period_days=period_days,
        thresholds=thresholds,
        generated_at=generated_at,
    )
    return html_from_content(content)


def export_briefing(
    engine: Engine,
    viewer: Viewer,
    *,
    fmt: str,
    track: str | None,
    as_of: dt.date,
    period_days: int = 365,
    thresholds: Thresholds | None = None,
    generated_at: dt.datetime | None = None,
) -> BriefingFile:
    """Render the briefing as "pdf" or "html", with a file name that carries the marking (for download buttons)."""
    if fmt not in {"pdf", "html"}:
        raise ExportError(f"unknown format {fmt!r}: use pdf or html")
    kwargs = {
        "track": track,
        "as_of": as_of,
        "period_days": period_days,
        "thresholds": thresholds,
        "generated_at": generated_at,
    }
    if fmt == "pdf":
        content, data, pages = _pdf(engine, viewer, **kwargs)
        return BriefingFile(data, file_name(content, "pdf"), "application/pdf", content.marking, pages)
    content = collect(engine, viewer, **kwargs)
    return BriefingFile(html_from_content(content), file_name(content, "html"), "text/html", content.marking)

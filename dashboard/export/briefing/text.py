"""The sentences, table rows and file name that the PDF and the HTML briefing share."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

import pandas as pd

from dashboard import __version__
from dashboard.analysis.briefing import Headline
from dashboard.analysis.watchlist import Signal
from dashboard.core.access import Permission
from dashboard.core.tlp import TLP_LABELS
from dashboard.core.vocabulary import load
from dashboard.export.briefing.content import WATCHLIST_ROWS, BriefingContent
from dashboard.present.labels import (
    FIGURE_NAMES,
    FRAMEWORK_NAMES,
    KIND_NAMES,
    KIND_PLURALS,
    LAYER_NAMES,
    SECTOR_NAMES,
    SIGNAL_KINDS,
    STATUS_NAMES,
    TRACK_NAMES,
    inferred_links_note,
    period_events_line,
)

HEADLINE_HEADER = ("Figure", "This period", "Previous period", "Change")
SIGNAL_HEADER = ("#", "Signal", "Subject", "What and why")
ANNEX_HEADER = ("#", "Subject", "Recent", "Baseline", "Expected", "Rate ratio", "p-value")
DOWNGRADE_HEADER = ("State", "Items moved back (before → now)", "Items")
STALE_HEADER = ("Hotline", "Status", "Last tested", "Days since")

NO_DATA = "No data visible to the recipient in these tracks and this period."
NO_SIGNALS = "No signals: nothing stands out in these tracks as of this date."
NO_DOWNGRADES = "No state moved back on any item since the previous round."
ALL_TESTED = "Every hotline was tested in the last 12 months."
SYNTHETIC_NOTE = (
    "SYNTHETIC DEMO DATA: every figure in this briefing comes from generated test data; "
    "it describes no real incident, assessment or partnership."
)


def plural(count: int, word: str, words: str | None = None) -> str:
    """'1 hotline', '3 hotlines'."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _number(value: object) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,}"


def document_title(c: BriefingContent) -> str:
    """The title of the PDF and the HTML document: track, as-of date and marking."""
    return f"Track briefing: {c.track_label}, as of {c.as_of.isoformat()} ({c.marking_label})"


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
    out = []
    for title, frame, key, names in (
        ("Countries", c.brief.country_movers, "name", None),
        ("Sectors", c.brief.sector_movers, "sector_id", SECTOR_NAMES),
    ):
        if frame.empty:
            continue
        parts = [f"{(names or {}).get(r[key], r[key])} {r['change']:+,}" for _, r in frame.iterrows()]
        out.append(f"{title} with the largest change in incidents: " + ", ".join(parts) + ".")
    return out


# The statistics in a watchlist explanation ("(4.2 expected; Poisson p = 1.7e-08)", "(p = 0.003)"): the annex has them.
_STATS = re.compile(r"\s*\((?:[^()]*;\s*)?(?:Poisson )?p = [^)]*\)")
_CODES = re.compile(r"\s*\([^()]*\)(?= between)")
_ITEMS = {(r["framework_id"], str(r["code"])): str(r["title"]) for r in load("framework_items.csv")}
TITLE_CHARS = 70


def events_line(c: BriefingContent) -> str:
    """The one line on new attributions and responses in the period (worded once, in present.labels)."""
    return period_events_line(c.brief.event_counts)


def item_label(framework_id: str, code: object) -> str:
    """A norm or CBM item by title with its id beside it: 'UN norm g: Protect own critical infrastructure…'."""
    kind = FRAMEWORK_NAMES.get(framework_id, framework_id).removesuffix("s")
    title = _ITEMS.get((framework_id, str(code)), "")
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    return f"{kind} {code}: {title}" if title else f"{kind} {code}"


def _strained_item(subject: str) -> str:
    """The subject of a norm-strain signal ('UN norm g' or a CBM code) as the item's title with its id."""
    if subject.startswith("UN norm "):
        return item_label("un-norms", subject.removeprefix("UN norm "))
    found = [fw for fw, code in _ITEMS if code == subject and fw != "un-norms"]
    return item_label(found[0], subject) if len(found) == 1 else subject


def signal_text(s: Signal) -> str:
    """A signal's explanation without its statistics (they are in the annex) and without bare item codes."""
    text = _STATS.sub("", s.explanation)
    if s.kind == "norm-downgrade":
        text = _CODES.sub("", text).replace("item(s)", "items" if s.figures.get("items") != 1 else "item")
        return text.removesuffix(".") + " (items under Norms below)."
    if s.kind == "norm-strain":
        text = text.replace(f"norm {s.subject.removeprefix('UN norm ')} rose", f"{_strained_item(s.subject)} rose")
    return text


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


def signal_rows(signals: Sequence[Signal]) -> list[tuple[str, str, str, str]]:
    """One watchlist row per signal: number, kind, subject, what and why (the statistics are in the annex)."""
    return [
        (
            str(i),
            SIGNAL_KINDS.get(s.kind, s.kind),
            _strained_item(s.subject) if s.kind == "norm-strain" else s.subject,
            signal_text(s),
        )
        for i, s in enumerate(signals, 1)
    ]


def annex_rows(signals: Sequence[Signal]) -> list[tuple[str, ...]]:
    """Test statistics of the shown signals that have them: number, subject, recent, baseline, expected, ratio, p."""
    rows = []
    for i, s in enumerate(signals, 1):
        f = s.figures
        if "p_value" not in f:
            continue
        cells = (f.get("recent"), f.get("baseline"), f.get("expected"), f.get("rate_ratio"))
        rows.append((str(i), s.subject, *(_number(v) for v in cells), f"{f['p_value']:.2g}"))
    return rows


def top_n_line() -> str:
    """The one place the text states how many countries, sectors and signals are listed."""
    return (
        f"Lists show the top {WATCHLIST_ROWS}: countries and sectors with the largest change, and the strongest "
        "watchlist signals."
    )


def norm_lines(c: BriefingContent) -> list[str]:
    """Median share implemented, most and least advanced states."""
    shares = c.brief.norm_shares
    inferred = getattr(c.brief, "inferred_norm_links", 0)
    note = [inferred_links_note(inferred)] if inferred else []
    if shares.empty:
        return ["No norm or CBM assessments in these tracks yet.", *note]
    top = ", ".join(f"{r.country} ({r.share:.0%})" for r in shares.head(3).itertuples())
    bottom = ", ".join(f"{r.country} ({r.share:.0%})" for r in shares.tail(3).iloc[::-1].itertuples())
    return [
        f"Median share of norm and CBM items implemented in the latest round: {shares['share'].median():.0%} "
        f"across {len(shares)} states.",
        f"Most advanced: {top}.",
        f"Least advanced: {bottom}.",
        *note,
    ]


def downgrade_rows(c: BriefingContent) -> list[tuple[str, str, str]]:
    """One row per state that moved back: state, items (framework: codes), count."""
    down = c.brief.norm_downgrades
    if down.empty:
        return []
    rows = []
    for country, part in down.groupby("country", sort=True):
        items = []
        for fw, items_part in part.groupby("framework_id", sort=True):
            items += [
                f"{item_label(fw, r.code)} ({STATUS_NAMES.get(r.before, r.before)} → "
                f"{STATUS_NAMES.get(r.after, r.after)})"
                for r in items_part.itertuples()
            ]
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
    parts = [
        f"{r.partnerships} "
        + (KIND_PLURALS.get(r.kind, r.kind) if r.partnerships != 1 else KIND_NAMES.get(r.kind, r.kind).lower())
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
    rows = []
    for v in c.versions.itertuples():
        when = pd.Timestamp(v.uploaded_at)
        when = when.tz_convert("UTC") if when.tzinfo else when
        row = [
            LAYER_NAMES.get(v.layer, v.layer),
            TRACK_NAMES.get(v.track_id, v.track_id),
            f"#{v.number} (id {v.id})",
            f"{when:%Y-%m-%d %H:%M}",
            str(v.sha256)[:12],
            "yes" if v.synthetic else "no",
        ]
        if full:
            row[3:3] = [str(v.file_name), str(v.uploaded_by)]
        rows.append(tuple(row))
    return header, rows


def versions_intro(count: int) -> str:
    """The line above the table of dataset versions."""
    return f"Active dataset versions behind this briefing ({count}):"


def sources_line(sources: Sequence[tuple[str, int]], total: int) -> str:
    """The cited web sites with their incident counts, and how many more there are (total: all cited sites)."""
    if not sources:
        return "No incident sources cited in the period."
    listed = ", ".join(f"{host} ({n:,})" for host, n in sources)
    extra = f" and {total - len(sources)} more" if total > len(sources) else ""
    return f"Incident sources cited in the period (incidents citing each): {listed}{extra}."


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


def method_notes(c: BriefingContent) -> list[str]:
    """How the figures are counted (the statistics of the watchlist are in the annex)."""
    return [
        "Counts use only rows the recipient may see (their tracks and TLP ceiling), from the active dataset versions.",
        "Significant incidents: severity 3 (high) or above on the CISA National Cyber Incident Scoring System.",
        top_n_line(),
    ]


ANNEX_TITLE = "Annex: statistical detail and definitions"


def annex_notes(c: BriefingContent) -> list[str]:
    """How the watchlist's signals are tested, and what the headline figures count."""
    th = c.thresholds
    return [
        f"Watchlist: a surge is {th.min_count}+ incidents in the last {th.recent_days} days at "
        f"{th.min_rate_ratio:g}x or more the rate of the {th.baseline_days} days before (one-sided Poisson test, "
        f"p ≤ {th.max_p_value:g}); a hotline gap is {th.dyad_min_incidents}+ incidents in 12 months between two "
        "states with no active hotline or point-of-contact link; hotlines are stale after "
        f"{th.hotline_stale_days} days without a test. {plural(len(c.signals), 'signal')} in all; "
        f"{min(len(c.signals), WATCHLIST_ROWS):,} shown here.",
        headline_help(c.brief.headlines),
    ]


def file_name(c: BriefingContent, suffix: str) -> str:
    """A file name that carries track, as-of date and marking, e.g. briefing_eastern-europe_2026-10-31_TLP-AMBER.pdf."""
    marking = c.marking_label.replace(":", "-").replace("+", "-")
    return f"briefing_{c.track}_{c.as_of.isoformat()}_{marking}.{suffix}"

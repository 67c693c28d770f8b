"""Key developments (issue 13, item 3): three to five sentences that open the briefing, each number recomputed here
from the read and analysis functions; statistics only in the annex; names, never codes; one top-N everywhere."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from dashboard import read
from dashboard.analysis import analytics
from dashboard.analysis.briefing import TOP_N
from dashboard.analysis.key_developments import MAX_SENTENCES, MIN_SENTENCES, Development, ratio_shown
from dashboard.analysis.watchlist import surges
from dashboard.core.filters import ViewFilter
from dashboard.core.vocabulary import labels, load
from dashboard.export import briefing as bx
from dashboard.export.briefing import text as txt
from tests.browser import require_chromium
from tests.test_briefing_export import ADMIN, AS_OF, PERIOD, own_html, pdf_text, require_poppler

TRACKS = ["eastern-europe", "indo-pacific", "both"]
ISO3 = {row["iso3"] for row in load("countries.csv")}
COUNTRY_NAMES = labels("countries.csv", key="iso3")
SECTOR_NAMES = labels("sectors.csv")
# A norm letter without its title ("UN norms: g", "norm g rose"); "UN norm g: Protect ..." is how items read.
BARE_NORM = re.compile(r"\b(?:UN norms?|norm)\s*:?\s+[a-k]\b(?!:\s*\w)|\b(?:OSCE CBMs|ARF measures):")
STATS = re.compile(r"\bp = |p-value|p ≤|expected;", re.I)

_CONTENT: dict[tuple[str, str], bx.BriefingContent] = {}


@pytest.fixture
def content(demo_engine: Engine, backend: str) -> object:
    def get(track: str) -> bx.BriefingContent:
        if (backend, track) not in _CONTENT:
            _CONTENT[backend, track] = bx.collect(
                demo_engine, ADMIN, track=None if track == "both" else track, as_of=AS_OF, period_days=PERIOD
            )
        return _CONTENT[backend, track]

    return get


def _shown(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _recompute(engine: Engine, c: bx.BriefingContent, dev: Development) -> dict[str, int | float]:
    """The numbers of one sentence, computed again from the read and analysis functions (not from the briefing)."""
    view = ViewFilter(track=c.track, period="custom", start=AS_OF - dt.timedelta(days=PERIOD - 1), end=AS_OF)
    period = view.window(AS_OF)
    now_filter = view.incident_filter(ADMIN, period)
    before_filter = view.incident_filter(ADMIN, period.previous)
    th = c.thresholds
    if dev.kind == "headline":
        now = read.incident_summary(engine, ADMIN, now_filter)
        before = read.incident_summary(engine, ADMIN, before_filter)
        return {
            "incidents": now["incidents"],
            "previous": before["incidents"],
            "days": PERIOD,
            "significant": now["significant"],
        }
    if dev.kind == "surge":
        recent_start = AS_OF - dt.timedelta(days=th.recent_days - 1)
        window = (recent_start - dt.timedelta(days=th.baseline_days), recent_start, AS_OF)
        by = "dyad" if ">" in dev.key else "country" if dev.key in ISO3 else "sector"
        found = surges(read.window_counts(engine, ADMIN, c.tracks, by, *window), th).set_index("key")
        row = found.loc[dev.key]
        ratio = ratio_shown(round(row["rate_ratio"], 2))
        return {"recent": int(row["recent"]), "rate_ratio": ratio, "days": th.recent_days}
    if dev.kind == "hotline-gap":
        year_ago = AS_OF - dt.timedelta(days=364)
        dyads = read.window_counts(engine, ADMIN, c.tracks, "dyad", year_ago, year_ago, AS_OF).set_index("key")
        return {"incidents_12m": int(dyads.loc[dev.key, "recent"])}
    if dev.kind in {"country-mover", "sector-mover"}:
        if dev.kind == "country-mover":
            counts = [read.incident_counts_by_country(engine, ADMIN, f) for f in (now_filter, before_filter)]
            key, value = "name", COUNTRY_NAMES[dev.key]
        else:
            counts = [read.incident_counts_by_sector(engine, ADMIN, f) for f in (now_filter, before_filter)]
            key, value = "sector_id", dev.key
        found = [int(frame.loc[frame[key] == value, "incidents"].sum()) for frame in counts]
        return {"current": found[0], "previous": found[1]}
    assert dev.kind == "norm-downgrades", dev.kind
    rounds = read.norm_rounds(engine, ADMIN, c.tracks)
    before, after = (read.norm_status_as_of(engine, ADMIN, day, c.tracks) for day in rounds[-2:])
    changes = analytics.norm_changes(before, after)
    down = changes[changes["direction"] == "down"]
    return {"items": len(down), "states": int(down["country"].nunique())}


@pytest.mark.parametrize("track", TRACKS)
def test_three_to_five_sentences_whose_numbers_recompute(demo_engine: Engine, content, track: str) -> None:
    c = content(track)
    devs = c.developments
    assert MIN_SENTENCES <= len(devs) <= MAX_SENTENCES, [d.text for d in devs]
    assert devs[0].kind == "headline"
    for dev in devs:
        assert dev.numbers, dev
        assert _recompute(demo_engine, c, dev) == dev.numbers, dev.text
        for value in dev.numbers.values():
            assert _shown(value) in dev.text, (value, dev.text)
        assert dev.text.endswith(".") and (dev.text[0].isupper() or dev.text[0].isdigit())


@pytest.mark.parametrize("track", TRACKS)
def test_sentences_name_things_and_link_to_the_view_behind_them(content, track: str) -> None:
    c = content(track)
    for dev in c.developments:
        codes = set(re.findall(r"\b[A-Z]{3}\b", dev.text)) & ISO3
        assert not codes, dev.text
        assert not BARE_NORM.search(dev.text) and not STATS.search(dev.text), dev.text
        if dev.kind in {"surge", "country-mover"} and dev.key in ISO3:
            assert COUNTRY_NAMES[dev.key] in dev.text
        if dev.kind == "sector-mover":
            assert SECTOR_NAMES[dev.key] in dev.text
        parts = urlsplit(dev.link)
        assert parts.path.startswith("/") and not parts.netloc  # relative: DASHBOARD_PUBLIC_URL is not set
        query = parse_qs(parts.query)
        assert query.get("track") == [track], dev.link
        if dev.kind in {"headline", "country-mover", "sector-mover"}:
            assert query["from"] == [c.brief.period.start.isoformat()] and query["to"] == [AS_OF.isoformat()]
        if dev.kind == "country-mover":
            assert query["countries"] == [dev.key]
        if dev.kind == "sector-mover":
            assert query["sectors"] == [dev.key]
        if dev.kind == "hotline-gap":
            assert parts.path == "/partnerships" and query["countries"] == [dev.key.replace(">", ",")]


def test_links_start_with_the_public_url_when_it_is_set(demo_engine: Engine, monkeypatch) -> None:
    monkeypatch.setenv("DASHBOARD_PUBLIC_URL", "https://dialogue.example.org/")
    c = bx.collect(demo_engine, ADMIN, track="eastern-europe", as_of=AS_OF, period_days=PERIOD)
    assert c.developments and all(d.link.startswith("https://dialogue.example.org/") for d in c.developments)
    assert all("//" not in d.link.removeprefix("https://") for d in c.developments)


@pytest.mark.parametrize("track", TRACKS)
def test_one_top_n_and_item_titles_in_the_tables(content, track: str) -> None:
    c = content(track)
    assert bx.WATCHLIST_ROWS == TOP_N
    assert len(c.shown_signals) == min(TOP_N, len(c.signals))
    assert len(c.brief.country_movers) <= TOP_N and len(c.brief.sector_movers) <= TOP_N
    assert sum(f"top {TOP_N}" in line for line in txt.method_notes(c)) == 1
    for row in txt.signal_rows(c.shown_signals):
        assert not STATS.search(" ".join(row)), row
        assert not BARE_NORM.search(" ".join(row)), row
    for _state, items, _count in txt.downgrade_rows(c):
        assert not BARE_NORM.search(items), items
        assert re.search(r"(?:UN norm [a-k]|OSCE CBM \d+|ARF measure [A-Z]+): \w", items), items


def test_item_labels_carry_the_title_beside_the_id() -> None:
    title = "Cooperate to increase stability and security in the use of ICTs"
    assert txt.item_label("un-norms", "a") == f"UN norm a: {title}"
    assert txt.item_label("osce-cbms", "3").startswith("OSCE CBM 3: ")
    long = txt.item_label("un-norms", "c")
    assert long.startswith("UN norm c: Do not knowingly") and long.endswith("…")
    assert len(long) <= len("UN norm c: ") + txt.TITLE_CHARS


@pytest.mark.parametrize("track", TRACKS)
def test_html_opens_with_key_developments_and_keeps_statistics_in_the_annex(content, track: str) -> None:
    c = content(track)
    document = own_html(bx.html_from_content(c))
    main = document[document.index("<main>") :]
    key = main.index("<h2>Key developments</h2>")
    assert key < main.index("<h2>Headline figures</h2>")
    annex = main.index(f"<h2>{txt.ANNEX_TITLE}</h2>")
    assert not STATS.search(main[:annex]), STATS.search(main[:annex])
    assert re.search(r"<td class=\"num\">[0-9.e+-]+</td></tr>", main[annex:])  # the p-values, in the annex
    watch = main[main.index("<h2>Watchlist") : main.index("<h2>Norms")]
    assert watch.count("<tr>") - 1 <= TOP_N  # header row excluded
    for dev in c.developments:
        assert f'<li>{html.escape(dev.text)} <a href="{html.escape(dev.link)}">view</a></li>' in main


@pytest.mark.browser
@pytest.mark.parametrize("track", TRACKS)
def test_pdf_opens_with_key_developments_and_keeps_statistics_in_the_annex(content, track: str, tmp_path: Path):
    require_chromium()
    require_poppler()
    c = content(track)
    data, _pages = bx.pdf_from_content(c)
    _n, texts = pdf_text(data, tmp_path)
    text = "\n".join(texts)
    flat = " ".join(" ".join(texts).split())
    assert "Key developments" in texts[0]
    assert texts[0].index("Key developments") < texts[0].index("Headline figures")
    for dev in c.developments:
        assert " ".join(dev.text.split()[:6]) in flat, dev.text
    annex = text.index(txt.ANNEX_TITLE)
    assert not STATS.search(text[:annex]), STATS.search(text[:annex])
    assert "p-value" in text[annex:]
    more = len(c.signals) - TOP_N
    if more > 0:
        assert f"{more} more signal" in text
    if track == "eastern-europe":
        out = Path(__file__).resolve().parents[1] / "test-artifacts"
        out.mkdir(exist_ok=True)
        (out / "brief.pdf").write_bytes(data)

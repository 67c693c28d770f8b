"""The PDF briefing's pages and map, measured on the rendered pages (the issue: no half-empty pages; a map framed on
each track's region with the most affected countries named; Key developments first; statistics only in the annex).

The PDFs of each track and of both tracks are rendered once for this module from a demo database of its own (seed 42,
2,000 incidents; SQLite only: the layout does not depend on the backend), rasterised with poppler's pdftoppm and read
back with pdftotext. Page 1 and the map page of each are written to test-artifacts/ as PNGs to look at.
"""

from __future__ import annotations

import csv
import itertools
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image
from sqlalchemy import Engine

from dashboard import PROJECT_ROOT
from dashboard.analysis.briefing import TOP_N
from dashboard.export import briefing as bx
from dashboard.export.briefing import pages as page_fit
from dashboard.export.briefing import text as txt
from dashboard.ops.bootstrap import initialise
from tests.browser import require_chromium
from tests.conftest import Database
from tests.test_briefing_export import ADMIN, AS_OF, PERIOD, require_poppler

TRACKS = ["eastern-europe", "indo-pacific", "both"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
REFERENCE = PROJECT_ROOT / "data" / "reference"
MAX_BLANK = 0.4  # the issue: no page more than 40 % blank
DPI = 40  # low resolution keeps rasterising fast; a line of 9 pt text is still 5 pixels high
INK = 235  # a pixel darker than this (0 black .. 255 white) is ink; the lightest land and grid colours count
LINE_GAP_PT = 12  # an ink-free gap up to one line of body text (11.5 pt leading) is line spacing, not blank
STATS = re.compile(r"\bp\s*(?:=|<|≤|<=)|p-value", re.I)

with (REFERENCE / "countries.csv").open(encoding="utf-8") as f:
    COUNTRIES = {row["iso3"]: row for row in csv.DictReader(f)}
with (REFERENCE / "track_members.csv").open(encoding="utf-8") as f:
    MEMBERS: dict[str, set[str]] = {}
    for row in csv.DictReader(f):
        MEMBERS.setdefault(row["track_id"], set()).add(row["iso3"])
NAMES = {iso3: row["name"] for iso3, row in COUNTRIES.items()}


@dataclass
class Rendered:
    """One briefing: its content, PDF, the text of each page and the blank share of each page."""

    content: bx.BriefingContent
    pdf: Path
    texts: list[str]
    blank: list[float]
    seconds: float


def blank_fractions(pdf: Path, out: Path) -> list[float]:
    """The blank share of each page, measured on the page rasterised at DPI (greyscale).

    Definition: the measured area is the page between the TLP banners (the black bars at the top and bottom, which
    every page has and which are not content) and inside the 15 mm side margins. A pixel row of that area has ink
    when any pixel in it is darker than INK. Gaps of ink-free rows up to LINE_GAP_PT high between inked rows are the
    spacing between lines of text and count as filled, so a full page of text reads as (nearly) 0 % blank; every other
    ink-free row is blank. Blank share = blank rows / rows of the area. Charts count as ink wherever they draw
    (land, bars, grid lines, labels); their white margins are blank. No page is exempt, the last one included.
    """
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(pdf), str(out / "page")], check=True)
    fractions = []
    margin = round(15 / 25.4 * DPI)
    gap = round(LINE_GAP_PT / 72 * DPI)
    for path in sorted(out.glob("page-*.png")):
        pixels = np.asarray(Image.open(path).convert("L"))
        height = pixels.shape[0]
        bars = np.flatnonzero((pixels < 60).mean(axis=1) > 0.5)  # rows of the black TLP banners
        top = bars[bars < height / 2].max() + 1
        bottom = bars[bars > height / 2].min()
        inked = (pixels[top:bottom, margin:-margin] < INK).any(axis=1)
        filled = inked.copy()
        rows = np.flatnonzero(inked)
        for a, b in itertools.pairwise(rows):
            if b - a - 1 <= gap:
                filled[a:b] = True
        fractions.append(round(1 - float(filled.mean()), 3))
    return fractions


def _write_artifacts(pdf: Path, track: str, texts: list[str]) -> None:
    """Page 1 (110 dpi) and the map page (150 dpi, to read the labels; page 1 again when the map is on it) as PNGs."""
    ARTIFACTS.mkdir(exist_ok=True)
    map_page = next(i for i, t in enumerate(texts, 1) if "Incidents by target country" in t)
    for page, name, dpi in ((1, "page1", 110), (map_page, "map-page", 150)):
        stem = ARTIFACTS / f"briefing-{track}-{name}"
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "-png", str(pdf), str(stem)],
            check=True,
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A demo database of this module's own (seed 42, 2,000 incidents), read only."""
    db = Database("sqlite", tmp_path_factory.mktemp("layout-db"))
    initialise(db.engine, seed_demo=True, seed=42, incidents=2000)
    yield db.engine
    db.drop()


@pytest.fixture(scope="module")
def rendered(demo: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """The PDF of each track and of both tracks, rendered once, with page texts and blank shares."""
    require_chromium()
    require_poppler()
    out: dict[str, Rendered] = {}
    for track in TRACKS:
        started = time.perf_counter()
        content, data, pages = bx.collect_pdf(
            demo, ADMIN, track=None if track == "both" else track, as_of=AS_OF, period_days=PERIOD
        )
        seconds = time.perf_counter() - started
        folder = tmp_path_factory.mktemp(f"layout-{track}")
        pdf = folder / "briefing.pdf"
        pdf.write_bytes(data)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
        texts = text.stdout.split("\f")[:pages]
        blank = blank_fractions(pdf, folder)
        _write_artifacts(pdf, track, texts)
        print(f"{track}: {pages} pages in {seconds:.1f} s, blank per page {blank}")
        out[track] = Rendered(content, pdf, texts, blank, seconds)
    return out


@pytest.mark.browser
@pytest.mark.parametrize("track", TRACKS)
def test_no_page_is_more_than_40_percent_blank(rendered: dict[str, Rendered], track: str) -> None:
    r = rendered[track]
    assert 1 <= len(r.blank) <= bx.MAX_PAGES
    assert len(r.blank) == len(r.texts)
    for page, blank in enumerate(r.blank, 1):
        assert blank <= MAX_BLANK, f"{track}: page {page} of {len(r.blank)} is {blank:.0%} blank ({r.blank})"


@pytest.mark.browser
@pytest.mark.parametrize("track", TRACKS)
def test_page_one_opens_with_key_developments_and_statistics_stay_in_the_annex(
    rendered: dict[str, Rendered], track: str
) -> None:
    r = rendered[track]
    first = r.texts[0]
    sections = ("Key developments", "Headline figures", "Incidents by target country")
    headings = sorted((first.index(h), h) for h in sections if h in first)
    assert headings and headings[0][1] == "Key developments", headings  # the first section of page 1
    before = first[: first.index("Key developments")]
    assert "Track briefing:" in before and not STATS.search(before)
    annex_page = next(i for i, t in enumerate(r.texts) if txt.ANNEX_TITLE in t)
    for number, page in enumerate(r.texts[:annex_page], 1):
        assert not STATS.search(page), f"page {number}: {STATS.search(page)}"
    annex_text = r.texts[annex_page]
    before_annex = annex_text[: annex_text.index(txt.ANNEX_TITLE)]
    assert not STATS.search(before_annex), STATS.search(before_annex)
    assert "p-value" in "\n".join(r.texts[annex_page:])


def _geo_panels(fig: go.Figure) -> dict[str, go.layout.Geo]:
    names = sorted(k for k in fig.layout.to_plotly_json() if re.fullmatch(r"geo\d*", k))
    return {name: fig.layout[name] for name in names}


def _covers(geo: go.layout.Geo, iso3: str) -> bool:
    """Whether a country's capital lies inside the panel's longitude and latitude ranges (across the antimeridian)."""
    west, east = geo.lonaxis.range
    south, north = geo.lataxis.range
    lat, lon = float(COUNTRIES[iso3]["lat"]), float(COUNTRIES[iso3]["lon"])
    return (lon - west) % 360 <= east - west and south <= lat <= north


def _panel_track(fig: go.Figure, geo: str) -> str:
    """The track whose members a panel colours."""
    shapes = next(t for t in fig.data if t.type == "choropleth" and (t.geo or "geo") == geo)
    found = {track for track, members in MEMBERS.items() if set(shapes.locations) <= members}
    assert len(found) == 1, (geo, found)
    return found.pop()


def _assert_framed_and_named(c: bx.BriefingContent, fig: go.Figure, panels: dict[str, go.layout.Geo]) -> None:
    """Each panel frames its track's members and nothing like the whole world; labels and lists name the top-N."""
    counts = c.brief.by_country.set_index("iso3")["incidents"]
    label_traces = [t for t in fig.data if t.type == "scattergeo" and t.mode == "markers+text"]
    tables = [t for t in fig.data if t.type == "table"]
    assert len(label_traces) == len(tables) == len(panels)
    for geo, panel in panels.items():
        track = _panel_track(fig, geo)
        assert panel.fitbounds is False
        assert all(_covers(panel, iso3) for iso3 in MEMBERS[track]), (track, panel.lonaxis.range, panel.lataxis.range)
        west, east = panel.lonaxis.range
        south, north = panel.lataxis.range
        assert east - west < 300 and north - south < 130, (track, panel.lonaxis.range, panel.lataxis.range)
        members = [i for i in MEMBERS[track] if counts.get(i, 0) > 0]
        expected = sorted(members, key=lambda i: (-counts[i], NAMES[i]))[:TOP_N]
        labels = next(t for t in label_traces if (t.geo or "geo") == geo)
        assert list(labels.text) == [f"{n} {NAMES[i]}" for n, i in enumerate(expected, 1)]
        table = tables[list(panels).index(geo)]
        ranks, names, values = table.cells.values
        assert list(ranks) == list(range(1, TOP_N + 1))
        assert list(names) == [NAMES[i] for i in expected] and len(names) == TOP_N
        assert list(values) == [f"{counts[i]:,}" for i in expected]
        for text in [*labels.text, *names]:
            assert not re.search(r"\b[A-Z]{3}\b", text), text  # names, never ISO codes


@pytest.mark.browser
def test_both_tracks_map_has_one_panel_per_track_framed_on_its_region(rendered: dict[str, Rendered]) -> None:
    c = rendered["both"].content
    fig = c.figures["map"]
    panels = _geo_panels(fig)
    assert len(panels) == 2
    assert {_panel_track(fig, geo) for geo in panels} == {"eastern-europe", "indo-pacific"}
    (a, b) = (sorted(p.domain.x) for p in panels.values())
    assert a[1] <= b[0] or b[1] <= a[0], (a, b)  # side by side, not overlapping
    _assert_framed_and_named(c, fig, panels)


@pytest.mark.browser
@pytest.mark.parametrize("track", ["eastern-europe", "indo-pacific"])
def test_single_track_map_is_framed_on_its_region_with_the_top_countries_named(
    rendered: dict[str, Rendered], track: str
) -> None:
    c = rendered[track].content
    fig = c.figures["map"]
    panels = _geo_panels(fig)
    assert len(panels) == 1 and _panel_track(fig, "geo") == track
    _assert_framed_and_named(c, fig, panels)


def _fake(fills: Callable[[page_fit.Limits], tuple[float, ...]]) -> Callable[[page_fit.Limits], page_fit.Layout]:
    """A render that lays out nothing: each page's fill follows the limits; the bytes name the limits used."""
    return lambda limits: page_fit.Layout(repr(limits).encode(), len(fills(limits)), fills(limits))


def test_cut_lists_grow_to_fill_the_last_page_without_adding_one(demo: Engine) -> None:
    c = bx.collect(demo, ADMIN, track=None, as_of=AS_OF, period_days=PERIOD)
    downs = len(txt.downgrade_rows(c))
    assert downs > page_fit.Limits().downgrades  # the demo cuts the list of states that moved back

    def fills(limits: page_fit.Limits) -> tuple[float, ...]:  # 4 more rows fill 10 % more; past 16 rows, a 4th page
        return (1.0, 1.0, 0.5 + 0.1 * (limits.downgrades - 12) / 4) if limits.downgrades <= 16 else (1, 1, 1, 0.1)

    layout = page_fit.fit(c, _fake(fills))
    assert layout.pages == 3 and b"downgrades=16" in layout.data  # grown, but not onto a new page

    def roomy(limits: page_fit.Limits) -> tuple[float, ...]:  # every row fits on page 3
        return (1.0, 1.0, 0.2 + 0.02 * limits.downgrades)

    assert f"downgrades={downs},".encode() in page_fit.fit(c, _fake(roomy)).data  # the whole list


def test_a_nearly_empty_last_page_is_saved_by_shorter_tables(demo: Engine) -> None:
    c = bx.collect(demo, ADMIN, track="eastern-europe", as_of=AS_OF, period_days=PERIOD)

    def fills(limits: page_fit.Limits) -> tuple[float, ...]:  # the versions table alone spills onto page 4
        return (1.0, 1.0, 1.0, 0.1) if limits.versions > 16 else (1.0, 1.0, 0.95)

    layout = page_fit.fit(c, _fake(fills))
    assert layout.pages == 3 and b"versions=16" in layout.data

"""Briefing export: PDF pages read back with poppler, HTML opened offline in Chromium, partner scope, the CLI.

Exports take a few seconds each (the PDF starts Chromium for its charts), so each one is made once per backend and
shared by the tests below. Timings are printed (run with -s or -rP to see them), not asserted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs
from sqlalchemy import Engine

from dashboard.analysis.briefing import Briefing, build_briefing
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.filters import IncidentFilter, ViewFilter
from dashboard.core.tlp import TLP_LABELS, tlp_rank
from dashboard.export import briefing as bx
from dashboard.ops.bootstrap import initialise
from dashboard.present.palette import TLP_COLOURS
from dashboard.read import incident_rows
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.conftest import Database
from tests.factories import incident, partnership, store, store_incidents
from tests.test_cli import run

AS_OF = dt.date(2026, 10, 31)  # the demo data ends here
PERIOD = 365
ADMIN = local_admin("Dialogue Secretariat")
PARTNER = Viewer(
    name="partner-x", role=Role.PARTNER, tracks=frozenset({"eastern-europe"}), tlp_ceiling="green", organisation="x"
)
TRACK_NAMES = {"eastern-europe": "Eastern Europe", "indo-pacific": "Indo-Pacific"}
GENERATED = re.compile(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")

_EXPORTS: dict[tuple[str, str, str, str], bytes] = {}


def require_poppler() -> None:
    """pdftotext and pdfinfo (Debian poppler-utils) read the PDFs back; CI must have them."""
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        if os.environ.get("CI"):
            pytest.fail("pdftotext/pdfinfo are missing: install Debian's poppler-utils")
        pytest.skip("pdftotext/pdfinfo are missing: apt-get install poppler-utils")


def timed_export(engine: Engine, viewer: Viewer, fmt: str, track: str, **kwargs) -> bytes:
    started = time.perf_counter()
    render = bx.render_pdf if fmt == "pdf" else bx.render_html
    data = render(engine, viewer, track=track, as_of=AS_OF, period_days=PERIOD, **kwargs)
    print(f"export {fmt} {track} as {viewer.name} on {engine.dialect.name}: {time.perf_counter() - started:.2f} s")
    return data


@pytest.fixture
def export(demo_engine: Engine, backend: str) -> Callable[[Viewer, str, str], bytes]:
    """Export once per backend, viewer, format and track; later calls reuse the bytes."""

    def get(viewer: Viewer, fmt: str, track: str) -> bytes:
        key = (backend, viewer.name, fmt, track)
        if key not in _EXPORTS:
            _EXPORTS[key] = timed_export(demo_engine, viewer, fmt, track)
        return _EXPORTS[key]

    return get


def pdf_text(data: bytes, tmp_path: Path) -> tuple[int, list[str]]:
    """Page count (pdfinfo) and the text of each page (pdftotext -layout)."""
    path = tmp_path / f"briefing-{len(list(tmp_path.glob('*.pdf')))}.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return pages, text.split("\f")[:pages]


def own_html(data: bytes) -> str:
    """The HTML document without the inlined plotly.js (whose country-name table names every state)."""
    return data.decode("utf-8").replace(get_plotlyjs(), "")


def brief_for(engine: Engine, viewer: Viewer, track: str) -> Briefing:
    view = ViewFilter(track=track, period="custom", start=AS_OF - dt.timedelta(days=PERIOD - 1), end=AS_OF)
    return build_briefing(engine, viewer, view, AS_OF)


def assert_marked(pages: list[str], label: str) -> None:
    for number, page in enumerate(pages, 1):
        lines = [line for line in page.splitlines() if line.strip()]
        assert label in lines[0], f"page {number}: no {label} at the top: {lines[0]!r}"
        assert label in lines[-1], f"page {number}: no {label} at the bottom: {lines[-1]!r}"


def assert_headlines(text: str, brief: Briefing) -> None:
    """Each headline row reads: label, this period, previous period, change, all equal to build_briefing's."""
    for h in brief.headlines:
        previous = f"{h.previous:,}" if h.previous is not None else "n/a"
        change = h.delta.label() if h.delta else "latest test only"
        row = rf"^\s*{re.escape(h.label)}\s+{h.current:,}\s+{re.escape(previous)}\s+{re.escape(change)}\s*$"
        assert re.search(row, text, re.M), f"headline row {h.label} {h.current} {previous} {change} not found"


# ---------------------------------------------------------------- PDF


@pytest.mark.browser
@pytest.mark.parametrize("track", ["eastern-europe", "indo-pacific"])
def test_pdf_briefing_for_each_track(demo_engine: Engine, export, track: str, tmp_path: Path) -> None:
    require_chromium()
    require_poppler()
    content = bx.collect(demo_engine, ADMIN, track=track, as_of=AS_OF, period_days=PERIOD)
    pages, texts = pdf_text(export(ADMIN, "pdf", track), tmp_path)
    assert 1 <= pages <= bx.MAX_PAGES
    text = "\n".join(texts)
    assert_marked(texts, content.marking_label)
    assert content.marking == content.brief.tlp or tlp_rank(content.marking) > tlp_rank(content.brief.tlp)
    assert f"Track briefing: {TRACK_NAMES[track]}" in texts[0]
    assert AS_OF.isoformat() in texts[0]
    assert "SYNTHETIC DEMO DATA" in texts[0]
    assert "Key developments" in texts[0] and len(content.developments) >= 3  # tests/test_key_developments.py
    assert_headlines(text, brief_for(demo_engine, ADMIN, track))
    for heading in ("Headline figures", "Incidents by target country", "Incidents per month by type", "Watchlist"):
        assert heading in text
    for heading in ("Norms and confidence-building measures", "Partnerships and hotlines", "Provenance"):
        assert heading in text
    assert f"{len(content.signals) - bx.WATCHLIST_ROWS} more signals" in text
    for sha in content.versions["sha256"]:
        assert sha[:12] in text
    assert GENERATED.search(text)


@pytest.mark.browser
def test_same_data_and_date_give_the_same_numbers(demo_engine: Engine, export, tmp_path: Path) -> None:
    require_chromium()
    require_poppler()
    first = export(ADMIN, "pdf", "eastern-europe")
    later = timed_export(
        demo_engine, ADMIN, "pdf", "eastern-europe", generated_at=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    _, a = pdf_text(first, tmp_path)
    _, b = pdf_text(later, tmp_path)
    assert "Generated 2030-01-02 03:04:05 UTC" in "\n".join(b)
    assert [GENERATED.sub("", p) for p in a] == [GENERATED.sub("", p) for p in b]
    html_a = export(ADMIN, "html", "eastern-europe").decode()
    html_b = timed_export(demo_engine, ADMIN, "html", "eastern-europe").decode()
    assert GENERATED.sub("", html_a) == GENERATED.sub("", html_b)


@pytest.mark.browser
def test_a_green_partner_export_holds_only_their_grant(demo_engine: Engine, export, tmp_path: Path) -> None:
    require_chromium()
    require_poppler()
    pages, texts = pdf_text(export(PARTNER, "pdf", "eastern-europe"), tmp_path)
    html = own_html(export(PARTNER, "html", "eastern-europe"))
    text = "\n".join(texts)
    label = re.search(r"TLP:[A-Z+]+", texts[0]).group(0)
    assert label in {"TLP:GREEN", "TLP:CLEAR"}
    assert pages <= bx.MAX_PAGES
    assert_marked(texts, label)
    assert f'<span class="label" style="color:{TLP_COLOURS[label[4:].lower()]}">{label}</span>' in html
    for document in (text, html):
        assert "TLP:AMBER" not in document and "TLP:RED" not in document
        assert "Indo-Pacific" not in document
        assert "demo-generator" not in document  # partners do not see who uploaded what
    partner_brief = brief_for(demo_engine, PARTNER, "eastern-europe")
    assert_headlines(text, partner_brief)
    assert partner_brief.headlines[0].current < brief_for(demo_engine, ADMIN, "eastern-europe").headlines[0].current
    hidden = incident_rows(demo_engine, ADMIN, IncidentFilter(tracks=frozenset({"eastern-europe"})), limit=None).query(
        "tlp in ['amber', 'amber+strict', 'red']"
    )
    assert len(hidden) > 0
    for title in hidden["title"]:
        assert title not in text and title not in html


@pytest.mark.browser
def test_the_partner_grant_holds_on_planted_rows_and_text_is_escaped(engine: Engine, tmp_path: Path) -> None:
    require_chromium()
    require_poppler()
    store_incidents(
        engine,
        "eastern-europe",
        [
            incident("Visible green op", tlp="green", when="2026-09-01", targets=("EST",)),
            incident("RED-ONLY op", tlp="red", when="2026-09-02", targets=("MDA",), severity=5),
            incident("AMBER-ONLY op", tlp="amber", when="2026-09-03", targets=("MDA",)),
        ],
    )
    store(
        engine,
        "partnerships",
        "eastern-europe",
        [
            partnership("AMBER-ONLY hotline", "hotline", ("EST", "LVA"), tlp="amber"),
            partnership('<script>alert("x")</script> & <b>hotline</b>', "hotline", ("LTU", "POL"), tlp="green"),
        ],
    )
    partner_html = own_html(timed_export(engine, PARTNER, "html", "eastern-europe"))
    admin_html = own_html(timed_export(engine, ADMIN, "html", "eastern-europe"))
    _, texts = pdf_text(timed_export(engine, PARTNER, "pdf", "eastern-europe"), tmp_path)
    partner_pdf = "\n".join(texts)
    assert_marked(texts, "TLP:GREEN")
    assert re.search(r"^\s*Incidents\s+1\s+0\s+\+1\s*$", partner_pdf, re.M)
    for document in (partner_html, partner_pdf):
        assert "TLP:GREEN" in document and "TLP:RED" not in document
        assert "AMBER-ONLY" not in document and "RED-ONLY" not in document and "Moldova" not in document
    assert "Moldova" in admin_html and "AMBER-ONLY hotline" in admin_html and "TLP:RED" in admin_html
    assert '<script>alert("x")</script>' not in partner_html and "<b>hotline" not in partner_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;hotline&lt;/b&gt;" in partner_html
    assert '<script>alert("x")</script> & <b>hotline</b>' in partner_pdf  # drawn as text, not markup


def test_bad_requests_are_refused_before_anything_is_rendered(demo_engine: Engine) -> None:
    with pytest.raises(bx.ExportError, match="not available"):
        bx.render_pdf(demo_engine, PARTNER, track="indo-pacific", as_of=AS_OF, period_days=PERIOD)
    with pytest.raises(bx.ExportError, match="unknown track"):
        bx.render_html(demo_engine, ADMIN, track="atlantis", as_of=AS_OF, period_days=PERIOD)
    with pytest.raises(bx.ExportError, match="1 to"):
        bx.render_html(demo_engine, ADMIN, track=None, as_of=AS_OF, period_days=0)


def test_both_tracks_means_the_viewers_tracks(demo_engine: Engine) -> None:
    both = bx.collect(demo_engine, ADMIN, track=None, as_of=AS_OF, period_days=PERIOD)
    assert both.tracks == frozenset(TRACK_NAMES) and both.track_label.startswith("Both tracks")
    partner = bx.collect(demo_engine, PARTNER, track=None, as_of=AS_OF, period_days=PERIOD)
    assert partner.tracks == frozenset({"eastern-europe"}) and partner.track_label == "Eastern Europe"
    assert tlp_rank(partner.marking) <= tlp_rank(PARTNER.tlp_ceiling)
    marking = TLP_LABELS[partner.marking].replace(":", "-").replace("+", "-")
    assert bx.file_name(partner, "pdf") == f"briefing_both_{AS_OF.isoformat()}_{marking}.pdf"


# ---------------------------------------------------------------- HTML in a browser with the network cut off


@pytest.mark.browser
@pytest.mark.parametrize("track", ["eastern-europe", "indo-pacific"])
def test_html_briefing_opens_offline_and_draws_the_map(demo_engine: Engine, export, track: str, tmp_path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    content = bx.collect(demo_engine, ADMIN, track=track, as_of=AS_OF, period_days=PERIOD)
    path = tmp_path / "briefing.html"
    path.write_bytes(export(ADMIN, "html", track))
    blocked: list[str] = []
    errors: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path.as_uri())
            page.wait_for_function(
                "document.querySelectorAll('#briefing-map path.choroplethlocation').length > 5", timeout=30_000
            )
            page.wait_for_function("document.querySelectorAll('#briefing-trend .bars .point').length > 0")
            banners = page.locator(".tlp .label").all_inner_texts()
            body = page.inner_text("body")
            rows = page.eval_on_selector_all(
                "main table:first-of-type tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
            )
        finally:
            browser.close()
    assert blocked == [] and errors == []
    assert banners == [content.marking_label, content.marking_label]
    assert body.strip().startswith("Cyber Dialogue Dashboard") and body.strip().endswith(content.marking_label)
    assert f"Track briefing: {TRACK_NAMES[track]}" in body and AS_OF.isoformat() in body
    assert rows == [list(r) for r in bx.headline_rows(content)]
    assert [r[1] for r in rows] == [f"{h.current:,}" for h in brief_for(demo_engine, ADMIN, track).headlines]


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A small demo database with the demo accounts (the CLI tests write to it)."""
    db = Database(backend, tmp_path)
    initialise(db.engine, seed_demo=True, seed=42, incidents=600, demo_accounts=True)
    yield db
    db.drop()


@pytest.mark.browser
def test_cli_writes_pdf_and_html_and_refuses_bad_input(cli_database: Database, backend: str, tmp_path: Path) -> None:
    require_chromium()
    require_poppler()
    url = cli_database.url
    html_out = tmp_path / "coordinator.html"
    ok = run(
        "briefing", "--track", "eastern-europe", "--out", str(html_out), "--as-of", "2026-10-31",
        "--user", "demo-coordinator-ee", url=url,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "TLP:RED" not in ok.stdout  # the export's marking never above the account's ceiling (AMBER+STRICT)
    html = html_out.read_text(encoding="utf-8")
    assert "Track briefing: Eastern Europe" in html and "Indo-Pacific" not in html and "TLP:RED" not in html
    if backend == "sqlite":  # one PDF through the CLI is enough; the PDF itself is tested above on every backend
        pdf_out = tmp_path / "both.pdf"
        started = time.perf_counter()
        done = run("briefing", "--track", "both", "--out", str(pdf_out), "--period-days", "180", url=url)
        print(
            f"CLI export pdf both (180 days) on {backend}: {time.perf_counter() - started:.2f} s, {done.stdout.strip()}"
        )
        assert done.returncode == 0, done.stderr
        pages, texts = pdf_text(pdf_out.read_bytes(), tmp_path)
        assert pages <= bx.MAX_PAGES
        assert "Track briefing: Both tracks (Eastern Europe and Indo-Pacific)" in " ".join(texts[0].split())
        assert "(180 days)" in texts[0]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    refused = [
        (
            ["--track", "indo-pacific", "--out", str(tmp_path / "x.pdf"), "--user", "demo-coordinator-ee"],
            "not available",
        ),
        (["--track", "eastern-europe", "--out", str(tmp_path / "x.pdf"), "--user", "demo-partner"], "may not export"),
        (["--track", "both", "--out", str(tmp_path / "x.docx")], ".pdf or .html"),
        (["--track", "both", "--out", str(tmp_path / "x.html"), "--period-days", "0"], "1 to"),
        (["--track", "both", "--out", str(tmp_path / "x.html"), "--user", "nobody"], "no active user"),
        (["--track", "both", "--out", str(blocker / "x.html")], "cannot write"),
    ]
    for args, message in refused:
        result = run("briefing", *args, url=url)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    usage = [
        ["--track", "atlantis", "--out", "x.pdf"],
        ["--track", "both", "--out", "x.pdf", "--as-of", "31/10/2026"],
        ["--track", "both"],
    ]
    for args in usage:
        result = run("briefing", *args, url=url)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr

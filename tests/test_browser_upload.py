"""Browser: upload a file through the page, read the report, commit, see the new version on the incidents page,
roll back on the upload page and see the old data again. Every step is checked in the page and in the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, func, select

from dashboard.ops.bootstrap import initialise
from dashboard.store.models import AuditEvent, DatasetVersion
from tests.browser import (
    ARTIFACTS,
    BROWSER_USER,
    browser_page,
    expect_metrics,
    metric_values,
    open_signed_in,
    press_download,
    require_chromium,
    streamlit_server,
    wait_for_app,
    wait_until_drawn,
)
from tests.conftest import Database

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "upload"
TRACK = "eastern-europe"


@dataclass(frozen=True)
class Server:
    base: str
    engine: Engine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    db = Database("sqlite", tmp_path_factory.mktemp("browser-upload"))
    initialise(db.engine, seed_demo=True, seed=42, incidents=500)
    with streamlit_server(db.url) as base:
        yield Server(base, db.engine)
    db.drop()


def write_upload(folder: Path, marker: str) -> tuple[Path, list[str]]:
    """A template CSV with 3 valid recent TLP:CLEAR incidents in Estonia and 1 row with an impossible date."""
    today = dt.date.today()
    titles = [f"{marker} wiper at Tallinn port", f"{marker} phishing of Tartu ministry", f"{marker} Narva defacement"]
    rows = [
        (f"{marker}-1", titles[0], today - dt.timedelta(days=3), "disruption", 3, "transport"),
        (f"{marker}-2", titles[1], today - dt.timedelta(days=4), "espionage", 2, "government"),
        (f"{marker}-3", titles[2], today - dt.timedelta(days=5), "defacement", 1, "media"),
        (f"{marker}-4", f"{marker} broken date", "31/02/2021", "disruption", 2, "energy"),
    ]
    buf = io.StringIO()
    writer = csv.writer(buf)
    header = ["source_id", "title", "start_date", "incident_type", "severity", "target_countries", "sectors", "tlp"]
    writer.writerow(header)
    for source_id, title, when, itype, severity, sector in rows:
        writer.writerow([source_id, title, str(when), itype, severity, "EST", sector, "clear"])
    path = folder / f"{marker.lower()}_incidents.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path, titles


def upload_to_eastern_europe(page, path: Path) -> None:
    """On the upload page: choose Eastern Europe (if it is not already chosen), upload the file, wait for the report."""
    if page.get_by_role("combobox", name="Track").input_value() != "Eastern Europe":
        page.get_by_role("combobox", name="Track").click()
        page.get_by_role("option", name="Eastern Europe", exact=True).click()
        wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(path)
    page.get_by_text("Validation report").wait_for(timeout=60_000)
    wait_for_app(page)


def number(text: str) -> int:
    """'1,234' -> 1234."""
    return int(text.replace(",", ""))


def download_csv(page, button: str) -> pd.DataFrame:
    """Press a download button and read the CSV it delivers."""
    _name, data = press_download(page, page.get_by_role("button", name=button, exact=True))
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)


def tall_screenshot(page, name: str) -> None:
    """The whole page (it scrolls inside stMain, so grow the viewport first)."""
    height = page.eval_on_selector("[data-testid='stMain']", "main => main.scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, min(height + 40, 6000))})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / name))
    page.set_viewport_size({"width": 1440, "height": 900})


def incidents_view(page, base: str, shot: str) -> tuple[int, pd.DataFrame]:
    """Open the Eastern Europe incidents for all time in a new session: the Incidents metric and the CSV download."""
    open_signed_in(page, f"{base}/incidents?track={TRACK}&period=all")
    wait_until_drawn(page)
    caption = page.locator("[data-testid='stMain'] [data-testid='stCaptionContainer']").first.inner_text()
    assert caption.startswith("Eastern Europe · 01 Jan 2000"), caption
    shown = number(metric_values(page)["Incidents"])
    page.screenshot(path=str(SHOTS / f"{shot}.png"))
    rows = download_csv(page, "Download CSV")  # scrolls the newest incidents of the table into view
    assert len(rows) == shown
    wait_until_drawn(page)
    page.screenshot(path=str(SHOTS / f"{shot}-table.png"))
    return shown, rows


def audit_events(engine: Engine, action: str) -> list[tuple[str, str]]:
    """(actor, object_id) of the audit events of one kind, oldest first."""
    with engine.connect() as conn:
        stmt = select(AuditEvent.actor, AuditEvent.object_id).where(AuditEvent.action == action)
        return [tuple(r) for r in conn.execute(stmt.order_by(AuditEvent.id)).all()]


def version_states(engine: Engine) -> dict[int, str]:
    """Status of each incidents version of the track, by number."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(DatasetVersion.number, DatasetVersion.status).where(
                DatasetVersion.layer == "incidents", DatasetVersion.track_id == TRACK
            )
        ).all()
    return dict(rows)


def roll_back_to(page, engine: Engine, label: re.Pattern[str]) -> None:
    """Pick a version in 'Roll back to', press 'Roll back' and wait until the rollback is stored and drawn."""
    done = len(audit_events(engine, "dataset.rollback"))
    page.get_by_role("combobox", name="Roll back to").click()
    page.get_by_role("option", name=label).first.click()
    wait_for_app(page)
    page.get_by_role("button", name="Roll back", exact=True).click()
    deadline = time.monotonic() + 30
    while len(audit_events(engine, "dataset.rollback")) == done:
        assert time.monotonic() < deadline, "pressing 'Roll back' stored no rollback"
        time.sleep(0.2)
    page.wait_for_timeout(1_000)  # the page reruns after the rollback
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)
    wait_for_app(page)


def test_upload_commit_see_it_roll_back_and_see_the_old_data(server: Server, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    marker = f"Quokka{uuid.uuid4().hex[:6]}"
    path, titles = write_upload(tmp_path, marker)
    previous = max(version_states(server.engine))
    commits = len(audit_events(server.engine, "dataset.commit"))
    with browser_page() as (page, requests):
        before, rows = incidents_view(page, server.base, "1-incidents-before")
        assert before > 0 and not rows["title"].isin(titles).any()

        # Upload: the defaults are the incidents layer and the Eastern Europe track.
        open_signed_in(page, f"{server.base}/upload")
        assert page.get_by_role("combobox", name="Layer").input_value() == "Incidents"
        upload_to_eastern_europe(page, path)
        expect_metrics(page, {"Rows": "4", "With errors": "1", "New": "3", "Changed": "0"})
        report = download_csv(page, "Download the report (CSV)")
        assert report[["row", "column", "value", "level"]].values.tolist() == [[5, "start_date", "31/02/2021", "error"]]
        assert "'31/02/2021' is not a date" in report["message"].iloc[0]
        commit = page.get_by_role("button", name="Commit as a new version")
        # a file with errors must not be committed without skipping them
        expect(commit).to_be_disabled()
        tall_screenshot(page, "2-report.png")

        page.get_by_text("Store the 3 valid rows and skip the 1 with errors").click()
        expect(commit).to_be_enabled(timeout=30_000)
        commit.click()
        success = page.locator("[data-testid='stAlert']").filter(has_text="Every page now shows it")
        success.wait_for(timeout=30_000)
        found = re.search(
            r"Stored 3 rows as version (\d+) of incidents for Eastern Europe \(id (\d+)\)", success.inner_text()
        )
        assert found, success.inner_text()
        new_number, new_id = int(found[1]), int(found[2])
        assert new_number == previous + 1
        wait_for_app(page)
        tall_screenshot(page, "3-committed.png")
        assert version_states(server.engine)[new_number] == "active"
        with server.engine.connect() as conn:
            stored = conn.execute(
                select(
                    DatasetVersion.rows_stored,
                    DatasetVersion.rows_skipped,
                    DatasetVersion.uploaded_by,
                    DatasetVersion.file_name,
                ).where(DatasetVersion.id == new_id)
            ).one()
        assert tuple(stored) == (3, 1, BROWSER_USER, path.name)
        assert audit_events(server.engine, "dataset.commit")[commits:] == [(BROWSER_USER, str(new_id))]

        # Every page shows the new version at once.
        after, rows = incidents_view(page, server.base, "4-incidents-after-commit")
        assert after == before + 3
        assert set(titles) <= set(rows["title"])
        assert f"{marker} broken date" not in set(rows["title"])

        # Roll back to the version before it, on the upload page.
        open_signed_in(page, f"{server.base}/upload")
        page.get_by_text("Versions of incidents for Eastern Europe").wait_for(timeout=30_000)
        roll_back_to(page, server.engine, re.compile(rf"^#{previous} · "))
        tall_screenshot(page, "5-rolled-back.png")
        assert version_states(server.engine)[new_number] == "inactive"
        assert version_states(server.engine)[previous] == "active"
        assert audit_events(server.engine, "dataset.rollback")[-1] == (BROWSER_USER, str(_version_id(server, previous)))

        final, rows = incidents_view(page, server.base, "6-incidents-after-rollback")
        assert final == before
        assert not rows["title"].isin(titles).any()
    assert requests.outside == []


def _version_id(server: Server, number_: int) -> int:
    with server.engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.min(DatasetVersion.id)).where(
                    DatasetVersion.layer == "incidents",
                    DatasetVersion.track_id == TRACK,
                    DatasetVersion.number == number_,
                )
            )
        )


def test_a_rollback_is_confirmed_on_the_page(server: Server) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page() as (page, _):
        open_signed_in(page, f"{server.base}/upload")
        page.get_by_text("Versions of incidents for Eastern Europe").wait_for(timeout=30_000)
        # Roll back to the version that is active now: the data stay the same, the action is still confirmed.
        roll_back_to(page, server.engine, re.compile(r"^#\d+ · .* · current$"))
        expect(page.get_by_text("Rolled back: version")).to_be_visible(timeout=30_000)
        page.screenshot(path=str(SHOTS / "7-rollback-confirmation.png"))


def test_unrecognised_headers_are_explained_then_mapped_by_hand_in_the_page(server: Server, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    marker = f"Wombat{uuid.uuid4().hex[:6]}"
    own = tmp_path / "own_headers.csv"
    day = dt.date.today() - dt.timedelta(days=2)
    own.write_text(f"Ref,Headline,When,Kind,Victim,Level\n{marker}-1,{marker} port outage,{day},disruption,EST,3\n")
    versions = version_states(server.engine)
    with browser_page() as (page, requests):
        open_signed_in(page, f"{server.base}/upload")
        if page.get_by_role("combobox", name="Track").input_value() != "Eastern Europe":
            page.get_by_role("combobox", name="Track").click()
            page.get_by_role("option", name="Eastern Europe", exact=True).click()
            wait_for_app(page)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(own)
        error = page.locator("[data-testid='stAlert']").filter(has_text="not recognised")
        expect(error).to_contain_text("Missing for the template", timeout=30_000)
        expect(error).to_contain_text('Map the columns by hand under "Format, sheet and column mapping" above.')
        expect(page.locator("[data-testid='stMetric']")).to_have_count(0)  # no report
        page.screenshot(path=str(SHOTS / "8-not-recognised.png"))

        page.get_by_text("Format, sheet and column mapping", exact=True).click()
        mapping = page.get_by_role("textbox", name="Mapping: our field -> your column, as JSON")
        mapping.fill(
            '{"source_id": "Ref", "title": "Headline", "start_date": "When", "incident_type": "Kind",'
            ' "target_countries": "Victim", "severity": "Level"}'
        )
        mapping.press("Control+Enter")  # text areas apply on Ctrl+Enter (or when they lose focus)
        page.get_by_text("Our incidents template with your column mapping").wait_for(timeout=30_000)
        expect_metrics(page, {"Rows": "1", "With errors": "0", "New": "1"})
        expect(page.get_by_text("Every row passed the checks.")).to_be_visible()
        expect(page.get_by_role("button", name="Save this mapping (JSON)")).to_be_visible()
        tall_screenshot(page, "9-mapped-by-hand.png")
    assert version_states(server.engine) == versions  # checked, not committed
    assert requests.outside == []


CFR_EXPORT = (
    Path(__file__).resolve().parents[2] / "shared" / "datasets" / "CFR_cyber_operations_incidents_2005-2022.csv"
)


@pytest.mark.skipif(not CFR_EXPORT.exists(), reason=f"the real CFR export is not at {CFR_EXPORT}")
def test_a_coordinator_loads_the_real_cfr_export(server: Server) -> None:
    """The real CFR Cyber Operations Tracker export (global): rows that involve no Eastern Europe member are their
    own category in the report, never stored; the rest are stored once the coordinator skips the rows in error."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page() as (page, requests):
        open_signed_in(page, f"{server.base}/upload")
        upload_to_eastern_europe(page, CFR_EXPORT)
        expect_metrics(
            page,
            {"Rows": "768", "Outside": "454", "With errors": "18", "Target not identified": "23", "New": "213"},
        )
        expect(page.get_by_text("454 rows involve no member of Eastern Europe")).to_be_visible()
        expect(page.get_by_text("83 rows profile a threat actor")).to_be_visible()
        report = download_csv(page, "Download the report (CSV)")
        outside = report[report["level"] == "outside the track"]
        assert len(outside) == 454 and outside["row"].is_unique
        assert outside["message"].str.startswith("involves no member of Eastern Europe").all()
        inferred = report[report["level"] == "inferred country"]
        vinnytsia = inferred[inferred["value"] == "Targeting of government network in Vinnytsia, Ukraine"]
        assert len(inferred) > 30 and vinnytsia["message"].str.startswith("target_countries: UKR inferred").all()
        unidentified = report[report["level"] == "target not identified"]  # a sponsor but no target country
        assert len(unidentified) == 23 and unidentified["message"].str.contains("with its initiator country").all()
        tall_screenshot(page, "cfr-1-report.png")

        page.get_by_text("Store the 213 valid rows and skip the 18 with errors").click()
        commit = page.get_by_role("button", name="Commit as a new version")
        expect(commit).to_be_enabled(timeout=30_000)
        commit.click()
        success = page.locator("[data-testid='stAlert']").filter(has_text="Every page now shows it")
        success.wait_for(timeout=60_000)
        found = re.search(
            r"Stored 213 rows as version \d+ of incidents for Eastern Europe \(id (\d+)\)", success.inner_text()
        )
        assert found, success.inner_text()
        wait_for_app(page)
        tall_screenshot(page, "cfr-2-committed.png")
    with server.engine.connect() as conn:
        stored = conn.execute(
            select(DatasetVersion.rows_total, DatasetVersion.rows_stored, DatasetVersion.rows_skipped).where(
                DatasetVersion.id == int(found[1])
            )
        ).one()
    assert tuple(stored) == (768, 213, 555)
    assert requests.outside == []

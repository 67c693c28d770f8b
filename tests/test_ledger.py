"""The norm-evidence ledger (issue 14 item 6): for a state and a norm, its own assessment rounds, the incidents
linked to the norm with the state as initiator or target (asserted apart from inferred by rule), and their
attributions and responses; every line with its source; scoped to the viewer; one PDF page and a CSV of every line."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT
from dashboard.accounts import sharing
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.vocabulary import load
from dashboard.export import ledger as lx
from dashboard.ingest import pipeline
from dashboard.ingest.attributions import Attribution
from dashboard.ingest.responses import Response
from dashboard.ops.bootstrap import initialise
from dashboard.read.ledger import ledger_marking, norm_ledger
from tests.conftest import HOST_ORG, TEST_SECRET, Database, sign_in
from tests.factories import incident, norm, store, store_incidents

APP = str(PROJECT_ROOT / "app.py")
PAGE = str(PROJECT_ROOT / "pages" / "ledger.py")
EE, IP = "eastern-europe", "indo-pacific"
F = "un-norms:f"
ADMIN = local_admin(HOST_ORG)
EUREPOC = PROJECT_ROOT.parent / "shared" / "datasets" / "EuRepoC_Global_Database_1.1.csv"


def _viewer(role: Role, ceiling: str, tracks: frozenset[str] = frozenset({EE, IP}), org: str = HOST_ORG) -> Viewer:
    return Viewer(name=f"t-{role.value}", role=role, tracks=tracks, tlp_ceiling=ceiling, organisation=org)


def _incident(title: str, *, tlp: str, initiators=("RUS",), targets=("UKR",), norms=(F,), inferred=(), **kw) -> dict:
    row = incident(title, tlp=tlp, owner=HOST_ORG, initiators=initiators, targets=targets, **kw)
    return row | {
        "norms": list(norms),
        "norms_inferred": [(F, "critical-infrastructure-target")] if inferred else [],
        "source_urls": [f"https://example.org/incident/{title}"],
        "attributions": [],
        "responses": [],
    }


def _attribution(day: str, by: str, link: str) -> Attribution:
    return Attribution(
        dt.date.fromisoformat(day),
        by,
        "GBR",
        "APT28",
        frozenset({"apt28"}),
        "RUS",
        "government",
        "statement",
        link,
        "high",
    )


def _response(day: str, link: str) -> Response:
    return Response(
        dt.date.fromisoformat(day), "United Kingdom", "GBR", "", "sanctions", "Sanctions", "RUS", link, "legal"
    )


@pytest.fixture
def ledger_db(engine: Engine) -> Engine:
    """Russia and norm f at several markings: asserted and inferred links, events, an incident against Singapore
    (in both tracks by its countries: Russia is an Eastern Europe member, Singapore an Indo-Pacific one; the
    Russia-Ukraine ones are Eastern Europe only), and incidents the ledger must leave out (another norm, another
    state)."""
    clear = _incident("LEDGER-CLEAR", tlp="clear", when="2024-05-01")
    clear["attributions"] = [_attribution("2024-06-01", "UK NCSC", "https://example.org/attribution/clear")]
    clear["responses"] = [_response("2024-07-01", "")]  # the source gives no link
    amber = _incident("LEDGER-AMBER", tlp="amber", initiators=("BLR",), targets=("RUS",), when="2025-01-01")
    amber["attributions"] = [
        _attribution("2025-02-01", "LEAK-AMBER-ATTRIBUTOR", "https://example.org/attribution/amber")
    ]
    red = _incident("LEDGER-RED", tlp="red", when="2025-03-01")
    red["responses"] = [_response("2025-04-01", "https://example.org/response/LEAK-RED")]
    rows = [
        clear,
        amber,
        red,
        _incident("LEDGER-INFERRED", tlp="green", norms=(), inferred=True, when="2023-01-01"),
        _incident("LEDGER-OTHER-NORM", tlp="clear", norms=("un-norms:i",)),
        _incident("LEDGER-OTHER-STATE", tlp="clear", initiators=("BLR",), targets=("EST",)),
    ]
    store_incidents(engine, EE, rows)
    store_incidents(engine, IP, [_incident("LEDGER-SINGAPORE", tlp="clear", targets=("SGP",), when="2022-01-01")])
    store(
        engine,
        "norms",
        EE,
        [
            norm("RUS", F, "2023-06-30", "not_started"),
            norm("RUS", F, "2025-06-30", "in_progress", tlp="amber"),
            {**norm("RUS", F, "2026-06-30", "in_progress"), "evidence_url": ""},
            norm("RUS", "un-norms:g", "2025-06-30", "implemented"),
        ],
    )
    return engine


def _titles(frame: pd.DataFrame, column: str = "title") -> set[str]:
    return set(frame[column])


# ---------------------------------------------------------------- the read, scoped


def test_the_ledger_holds_the_states_rounds_and_the_incidents_linked_to_the_norm(ledger_db: Engine) -> None:
    ledger = norm_ledger(ledger_db, ADMIN, "RUS", F)
    assert ledger.assessments["assessed_on"].tolist() == [
        dt.date(2026, 6, 30),
        dt.date(2025, 6, 30),
        dt.date(2023, 6, 30),
    ]
    assert _titles(ledger.asserted()) == {"LEDGER-CLEAR", "LEDGER-AMBER", "LEDGER-RED", "LEDGER-SINGAPORE"}
    assert _titles(ledger.inferred()) == {"LEDGER-INFERRED"}
    assert ledger.inferred()["basis"].tolist() == ["critical-infrastructure-target"]
    roles = dict(zip(ledger.incidents["title"], ledger.incidents["role"], strict=True))
    assert roles["LEDGER-CLEAR"] == "initiator" and roles["LEDGER-AMBER"] == "target"
    other = dict(zip(ledger.incidents["title"], ledger.incidents["counterparts"], strict=True))
    assert other["LEDGER-CLEAR"] == "UKR" and other["LEDGER-AMBER"] == "BLR"
    assert ledger.incidents["start_date"].tolist() == sorted(ledger.incidents["start_date"], reverse=True)
    assert len(ledger.attributions) == 2 and len(ledger.responses) == 2
    assert ledger.marking == "red"


@pytest.mark.parametrize(
    ("viewer", "incidents", "rounds", "marking"),
    [
        (_viewer(Role.OFFICIAL, "amber"), {"CLEAR", "AMBER", "INFERRED", "SINGAPORE"}, 3, "amber"),
        (_viewer(Role.PARTNER, "green", frozenset({EE}), "Grid ISAC"), {"CLEAR", "INFERRED", "SINGAPORE"}, 2, "green"),
        (_viewer(Role.PARTNER, "clear", frozenset({EE}), "Grid ISAC"), {"CLEAR", "SINGAPORE"}, 2, "clear"),
        (_viewer(Role.PARTNER, "amber", frozenset({IP}), "Grid ISAC"), {"SINGAPORE"}, 0, "clear"),
    ],
    ids=["official-amber", "partner-green", "partner-clear", "partner-indo-pacific"],
)
def test_a_viewer_gets_no_row_above_their_marking_nor_outside_their_tracks(
    ledger_db: Engine, viewer: Viewer, incidents: set[str], rounds: int, marking: str
) -> None:
    ledger = norm_ledger(ledger_db, viewer, "RUS", F)
    assert {t.removeprefix("LEDGER-") for t in ledger.incidents["title"]} == incidents
    assert len(ledger.assessments) == rounds
    assert ledger.marking == marking
    visible = set(ledger.incidents["incident_id"])
    assert set(ledger.attributions["incident_id"]) <= visible and set(ledger.responses["incident_id"]) <= visible
    text = pd.concat([ledger.attributions.astype(str), ledger.responses.astype(str)]).to_csv()
    assert "LEAK-RED" not in text
    if "AMBER" not in incidents:
        assert "LEAK-AMBER" not in text


def test_the_tracks_asked_for_narrow_the_ledger(ledger_db: Engine) -> None:
    ledger = norm_ledger(ledger_db, ADMIN, "RUS", F, frozenset({IP}))
    assert _titles(ledger.incidents) == {"LEDGER-SINGAPORE"} and ledger.assessments.empty


def test_the_page_reads_the_newest_incidents_and_the_files_carry_the_marking_of_every_row(ledger_db: Engine) -> None:
    official = _viewer(Role.OFFICIAL, "amber")
    page, full = norm_ledger(ledger_db, official, "RUS", F, None, 2), norm_ledger(ledger_db, official, "RUS", F)
    assert page.limited and not full.limited
    assert page.incidents["incident_id"].tolist() == full.incidents["incident_id"].head(2).tolist()
    assert set(page.attributions["incident_id"]) <= set(page.incidents["incident_id"])
    assert ledger_marking(ledger_db, official, "RUS", F) == full.marking == "amber"
    partner = _viewer(Role.PARTNER, "green", frozenset({EE}), "Grid ISAC")
    newest = norm_ledger(ledger_db, partner, "RUS", F, None, 1)
    assert _titles(newest.incidents) == {"LEDGER-CLEAR"} and newest.marking == "clear"
    assert ledger_marking(ledger_db, partner, "RUS", F) == "green"  # the inferred incident beyond the page


# ---------------------------------------------------------------- lines, CSV and the one-page PDF


def test_every_line_names_its_source_and_says_so_when_there_is_none(ledger_db: Engine) -> None:
    lines = lx.ledger_lines(norm_ledger(ledger_db, ADMIN, "RUS", F))
    for key, frame in lines.sections.items():
        assert frame["Source"].map(bool).all(), key
    assert lines.sections["assessments"]["Source"].tolist()[0] == lx.NO_LINK  # the 2026 round has no evidence URL
    assert lx.NO_LINK in lines.sections["responses"]["Source"].tolist()
    inferred = lines.sections["inferred"]
    assert inferred["Rule"].tolist() == ["Inferred: a critical-infrastructure sector was targeted (UN norm f)"]
    frame = lx.ledger_frame(lines)
    assert list(frame.columns) == lx.CSV_COLUMNS
    assert len(frame) == sum(lines.counts().values()) == 3 + 5 + 2 + 2
    assert (frame["source"] != "").all() and (frame["tlp"].str.startswith("TLP:")).all()
    csv = pd.read_csv(io.BytesIO(lx.ledger_csv(lines)), encoding="utf-8-sig", dtype=str)
    assert list(csv.columns) == lx.CSV_COLUMNS and len(csv) == len(frame)
    assert "incident (inferred by an import rule)" in set(csv["section"])


def _pdf(data: bytes, tmp_path: Path) -> tuple[int, str]:
    """Page count (pdfinfo) and text (pdftotext -layout), as tests/test_briefing_export.py reads the briefing."""
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        pytest.skip("pdftotext/pdfinfo are missing: apt-get install poppler-utils")
    path = tmp_path / "ledger.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return pages, text


def test_the_pdf_is_one_page_with_the_marking_and_a_link_on_every_line(ledger_db: Engine, tmp_path: Path) -> None:
    viewer = _viewer(Role.OFFICIAL, "amber")
    lines = lx.ledger_lines(norm_ledger(ledger_db, viewer, "RUS", F))
    pdf = lx.render_ledger_pdf(lines, organisation=HOST_ORG, tracks="Eastern Europe")
    pages, text = _pdf(pdf.data, tmp_path)
    assert pages == 1 == pdf.pages
    assert text.count("TLP:AMBER") >= 2  # the top and bottom banners: the strictest marking of its lines
    assert "TLP:RED" not in text and "LEDGER-RED" not in text
    assert pdf.shown == lines.counts()  # everything fits
    for name in ("LEDGER-CLEAR", "LEDGER-AMBER", "LEDGER-SINGAPORE", "LEDGER-INFERRED"):
        assert f"example.org/incident/{name}" in text
    assert "example.org/attribution/clear" in text and "example.org/RUS/un-norms:f" in text
    assert text.count(lx.NO_LINK) >= 2  # the 2026 round and the response without a link
    uris = re.findall(rb"/URI \((.*?)\)", pdf.data)  # reportlab writes link annotations uncompressed
    assert len(uris) == sum(1 for f in lines.sections.values() for s in f["Source"] if s != lx.NO_LINK)


def test_a_long_ledger_stays_on_one_page_and_counts_the_lines_left_for_the_csv(engine: Engine, tmp_path: Path) -> None:
    rows = [
        _incident(f"LONG-{i:03d} a long incident title that wraps onto a second line of its cell", tlp="clear")
        | {"start_date": dt.date(2020, 1, 1) + dt.timedelta(days=7 * i)}
        for i in range(120)
    ]
    for row in rows[:40]:
        row["attributions"] = [_attribution("2024-01-01", "UK NCSC", "https://example.org/a")] * 2
    store_incidents(engine, EE, rows)
    lines = lx.ledger_lines(norm_ledger(engine, ADMIN, "RUS", F))
    pdf = lx.render_ledger_pdf(lines, organisation=HOST_ORG, tracks="Eastern Europe")
    pages, text = _pdf(pdf.data, tmp_path)
    assert pages == 1
    assert pdf.shown["asserted"] < 120 and pdf.shown["attributions"] < 80
    assert f"{120 - pdf.shown['asserted']} more lines in the CSV" in text
    assert f"{80 - pdf.shown['attributions']} more lines in the CSV" in text
    assert "LONG-119" in text  # the most recent incidents are kept
    assert len(lx.ledger_frame(lines)) == 120 + 80


# ---------------------------------------------------------------- the page


def _open(viewer: Viewer | None, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if viewer is not None:
        sign_in(at, viewer)
    at.switch_page(PAGE)
    at.query_params.update(params)
    return at.run()


def _shown(at: AppTest) -> str:
    parts = [
        e.value for kind in ("title", "subheader", "markdown", "caption", "info", "warning") for e in getattr(at, kind)
    ]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_the_page_for_an_official(app_engine: Engine, ledger_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.app import download_audit, ledger_panel

    offered: list[tuple[str, str | None]] = []

    def audited(file_name: str, tlp: str | None, rows: int | None = None, **detail: object) -> dict:
        offered.append((file_name, tlp))
        return download_audit.audited(file_name, tlp, rows, **detail)

    monkeypatch.setattr(ledger_panel, "audited", audited)
    at = _open(_viewer(Role.OFFICIAL, "amber"), {"country": "RUS", "norm": F})
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Norm-evidence ledger"]
    assert at.selectbox(key="ledger_state").value == "RUS"
    options = at.selectbox(key="ledger_item").options
    assert "Do not conduct or support ICT activity that damages critical infrastructure (un-norms:f)" in options
    text = _shown(at)
    assert "TLP:AMBER" in text and "LEDGER-AMBER" in text and "LEDGER-INFERRED" in text
    assert "LEDGER-RED" not in text and "LEAK-RED" not in text
    assert lx.NO_LINK in text
    buttons = {b.label: b for b in at.download_button}
    assert buttons["Ledger (PDF, one page)"].proto.HasField("deferred_file_id")  # made when pressed, checked then
    assert buttons["Every line (CSV)"].proto.HasField("deferred_file_id")
    today = dt.date.today().isoformat()
    assert (f"ledger_RUS_un-norms-f_TLP-AMBER_{today}.pdf", "amber") in offered
    assert (f"ledger_RUS_un-norms-f_TLP-AMBER_{today}.csv", "amber") in offered


def test_the_page_through_a_green_share_link_shows_nothing_above_green(app_engine: Engine, ledger_db: Engine) -> None:
    coordinator = _viewer(Role.COORDINATOR, "amber+strict", frozenset({EE}))
    token = sharing.create_link(
        ledger_db,
        coordinator,
        organisation="Grid ISAC",
        tracks=[EE],
        pages=["ledger"],
        tlp_ceiling="green",
        days=7,
        secret_key=TEST_SECRET,
    ).token
    at = _open(None, {"share": token, "country": "RUS", "norm": F})
    assert not at.exception, [e.value for e in at.exception]
    text = _shown(at)
    assert "LEDGER-CLEAR" in text and "LEDGER-INFERRED" in text and "TLP:GREEN" in text
    for hidden in ("LEDGER-AMBER", "LEDGER-RED", "LEAK-AMBER", "LEAK-RED", "TLP:AMBER"):
        assert hidden not in text, hidden


def test_a_page_showing_the_newest_only_marks_its_files_by_every_row(
    app_engine: Engine, ledger_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.app import download_audit, ledger_panel

    offered: list[str] = []

    def audited(file_name: str, tlp: str | None, rows: int | None = None, **detail: object) -> dict:
        offered.append(file_name)
        return download_audit.audited(file_name, tlp, rows, **detail)

    monkeypatch.setattr(ledger_panel, "audited", audited)
    monkeypatch.setattr(ledger_panel, "PAGE_LIMIT", 1)
    at = _open(_viewer(Role.PARTNER, "green", frozenset({EE}), "Grid ISAC"), {"country": "RUS", "norm": F})
    assert not at.exception, [e.value for e in at.exception]
    text = _shown(at)
    assert "LEDGER-CLEAR" in text and "LEDGER-INFERRED" not in text
    assert any("1 most recent incidents are shown here" in c.value for c in at.caption)
    assert offered and all("_TLP-GREEN_" in name for name in offered)


def test_the_page_says_so_when_there_is_nothing(app_engine: Engine) -> None:
    at = _open(ADMIN, {"country": "RUS", "norm": F})
    assert not at.exception and [t.value for t in at.title] == ["Norm-evidence ledger"]
    assert any("Nothing recorded for Russia" in i.value for i in at.info)
    assert not at.get("download_button")


def test_the_item_picker_lists_the_items_of_the_tracks_by_title() -> None:
    from dashboard.read.ledger import ledger_items

    ee, ip = ledger_items(frozenset({EE})), ledger_items(frozenset({IP}))
    assert F in ee and F in ip and "osce-cbms:8" in ee and "osce-cbms:8" not in ip
    assert {i["id"] for i in load("framework_items.csv")} >= set(ee) | set(ip)


# ---------------------------------------------------------------- the real EuRepoC export


@pytest.fixture(scope="module")
def eurepoc_db(tmp_path_factory: pytest.TempPathFactory):
    """EuRepoC 1.1 uploaded into Eastern Europe (as tests/test_attributions.py loads it)."""
    if not EUREPOC.exists():
        pytest.skip(f"the real EuRepoC export is not in {EUREPOC.parent}")
    db = Database("sqlite", tmp_path_factory.mktemp("ledger_eurepoc"))
    initialise(db.engine)
    prepared = pipeline.prepare(
        db.engine,
        ADMIN,
        layer="incidents",
        track=EE,
        file_name=EUREPOC.name,
        data=EUREPOC.read_bytes(),
        max_bytes=10**8,
    )
    pipeline.commit(db.engine, prepared, ADMIN, skip_invalid=True)
    yield db.engine
    db.drop()


def test_the_real_russia_norm_f_ledger_has_attributed_incidents_and_fits_one_page(
    eurepoc_db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = norm_ledger(eurepoc_db, ADMIN, "RUS", F)
    lines = lx.ledger_lines(ledger)
    counts = lines.counts()
    with capsys.disabled():
        print(f"\nEuRepoC 1.1, RUS / {F}: {counts}")
    # EuRepoC asserts no norm links: its incidents reach norm f through the critical-infrastructure rule only,
    # and the ledger shows them apart, labelled as inferred.
    assert counts["asserted"] == 0 and counts["inferred"] > 0
    assert set(ledger.inferred()["basis"]) == {"critical-infrastructure-target"}
    attributed = set(ledger.attributions["incident_id"])
    assert attributed and attributed <= set(ledger.incidents["incident_id"])
    assert (ledger.attributions["attributed_country"] == "RUS").any()
    for frame in lines.sections.values():
        assert frame["Source"].map(bool).all()
    pdf = lx.render_ledger_pdf(lines, organisation=HOST_ORG, tracks="Eastern Europe")
    pages, text = _pdf(pdf.data, tmp_path)
    assert pages == 1 and "TLP:" in text and "more lines in the CSV" in text
    assert len(lx.ledger_frame(lines)) == sum(counts.values())

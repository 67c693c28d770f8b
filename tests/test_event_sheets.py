"""Attributions and responses a coordinator writes: the attributions and responses sheets of our incidents workbook
are checked with the upload, joined to its incidents by source_id, stored with them, and bad cells refuse the whole
upload with each problem named (issue 14)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from dashboard import DATA_DIR, read
from dashboard.core.access import local_admin
from dashboard.ingest import pipeline
from dashboard.ingest.templates import EVENT_TEMPLATES, incidents_workbook
from dashboard.ops.bootstrap import initialise
from dashboard.store.models import DatasetVersion, Incident
from tests.conftest import BACKENDS, HOST_ORG, Database

ADMIN = local_admin(HOST_ORG)
EE = "eastern-europe"


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path) -> Engine:
    db = Database(request.param, tmp_path)
    initialise(db.engine)
    yield db.engine
    db.drop()


def _sheets(data: bytes) -> dict[str, pd.DataFrame]:
    return pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str, keep_default_na=False)


def _workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        for name, frame in sheets.items():
            frame.to_excel(book, sheet_name=name, index=False)
    return buffer.getvalue()


def _upload(engine: Engine, data: bytes) -> pipeline.Prepared:
    return pipeline.prepare(
        engine, ADMIN, layer="incidents", track=EE, file_name="incidents.xlsx", data=data, max_bytes=10**7
    )


def _events(engine: Engine, source_id: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    with engine.connect() as conn:
        incident_id, confidence = conn.execute(
            select(Incident.id, Incident.confidence)
            .where(Incident.source_id == source_id)
            .order_by(Incident.id.desc())
            .limit(1)
        ).one()
    return (
        read.incident_attributions(engine, ADMIN, incident_id),
        read.incident_responses(engine, ADMIN, incident_id),
        confidence,
    )


def test_the_workbook_template_has_the_three_sheets_with_their_columns() -> None:
    sheets = _sheets(incidents_workbook(DATA_DIR / "templates"))
    assert list(sheets) == ["incidents", "attributions", "responses"]
    for name, columns in EVENT_TEMPLATES.items():
        assert list(sheets[name].columns) == [c.name for c in columns]
        assert set(sheets[name]["source_id"]) <= set(sheets["incidents"]["source_id"])


def test_the_workbook_stores_its_events_with_their_incident_and_a_new_response_changes_it(engine: Engine) -> None:
    data = incidents_workbook(DATA_DIR / "templates")
    prepared = _upload(engine, data)
    pipeline.commit(engine, prepared, ADMIN)
    attributions, responses, confidence = _events(engine, "NCSC-2026-014")
    assert attributions[["attributor_country", "attributed_country", "kind"]].values.tolist() == [
        ["EST", "RUS", "government"]
    ]
    assert list(attributions["attributed_actors"].iloc[0]) == ["sandworm"]
    assert attributions["confidence"].tolist() == ["high"]  # a government's political statement, by the rule
    assert confidence == "medium"  # the row's own confidence cell stands
    assert responses[["responder_country", "kind", "target"]].values.tolist() == [["EST", "demarche", "RUS"]]
    # The coordinator adds a sanctions response: the incident is changed and stored again with both responses.
    sheets = _sheets(data)
    extra = {c: "" for c in sheets["responses"].columns} | {
        "source_id": "NCSC-2026-014",
        "date": "2026-06-01",
        "responder": "Council of the EU",
        "responder_country": "EU",
        "kind": "sanctions",
        "target": "Russia",
    }
    sheets["responses"] = pd.concat([sheets["responses"], pd.DataFrame([extra])], ignore_index=True)
    again = _upload(engine, _workbook(sheets))
    assert again.counts["changed"] == 1 and again.counts["unchanged"] == 1
    pipeline.commit(engine, again, ADMIN)
    _, responses, _ = _events(engine, "NCSC-2026-014")
    assert responses["kind"].tolist() == ["demarche", "sanctions"]
    assert responses["responder_region"].tolist()[1] != "" or responses["responder"].tolist()[1] == "Council of the EU"


def test_bad_event_cells_refuse_the_upload_with_each_problem_and_write_nothing(engine: Engine) -> None:
    sheets = _sheets(incidents_workbook(DATA_DIR / "templates"))
    sheets["attributions"].loc[0, "kind"] = "rumour"
    sheets["attributions"].loc[0, "attributor_country"] = "Atlantis"
    sheets["responses"].loc[0, "source_id"] = "NO-SUCH-ID"
    sheets["responses"].loc[1] = {c: "" for c in sheets["responses"].columns} | {
        "source_id": "NCSC-2026-014",
        "kind": "sanctions",
        "date": "14/03/2026",
        "link": "javascript:alert(1)",
    }
    with pytest.raises(pipeline.UploadRefused) as refused:
        _upload(engine, _workbook(sheets))
    message = str(refused.value)
    assert "nothing was stored" in message
    assert "attributions sheet, row 2, kind 'rumour'" in message
    assert "attributions sheet, row 2, attributor_country 'Atlantis'" in message
    assert "responses sheet, row 2, source_id 'NO-SUCH-ID'" in message
    assert "responses sheet, row 3, date" in message and "responses sheet, row 3, link" in message
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DatasetVersion)) == 0

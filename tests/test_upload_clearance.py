"""An uploader stores only rows they could read back (issue 12): a marking within their clearance, and
TLP:AMBER+STRICT only for their own organisation. Before, a coordinator cleared for AMBER could store RED rows that
they then could not see or correct, and put rows into another organisation's AMBER+STRICT view."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from dashboard.core.access import Role, Viewer, local_admin
from dashboard.ingest import pipeline
from dashboard.store.models import Incident
from tests.conftest import HOST_ORG

TRACK = "eastern-europe"
AMBER_COORDINATOR = Viewer(
    name="coord", role=Role.COORDINATOR, tracks=frozenset({TRACK}), tlp_ceiling="amber+strict", organisation=HOST_ORG
)
HEADER = "source_id,title,start_date,incident_type,target_countries,severity,tlp,owner_org\n"


def _file(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


FILE = _file(
    "C-1,Clear row,2025-03-10,disruption,EST,3,clear,",
    "R-1,Red row,2025-03-11,disruption,EST,3,red,",
    "S-1,Own strict row,2025-03-12,disruption,EST,3,amber+strict,",
    "S-2,Other strict row,2025-03-13,disruption,EST,3,amber+strict,Grid ISAC",
)


def _prepare(engine: Engine, viewer: Viewer, data: bytes = FILE, default_tlp: str = "amber") -> pipeline.Prepared:
    return pipeline.prepare(
        engine,
        viewer,
        layer="incidents",
        track=TRACK,
        file_name="marks.csv",
        data=data,
        default_tlp=default_tlp,
        max_bytes=1 << 20,
    )


def _stored(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Incident.source_id, Incident.tlp, Incident.owner_org)).all()
    return {source_id: (tlp, owner) for source_id, tlp, owner in rows}


def test_rows_above_the_uploaders_clearance_or_for_another_organisation_are_errors(engine: Engine) -> None:
    prepared = _prepare(engine, AMBER_COORDINATOR)
    errors = {(i.row, i.column): i.message for i in prepared.checked.issues if i.level == "error"}
    assert set(errors) == {(3, "tlp"), (5, "owner_org")}, errors  # file rows: header is row 1
    assert "above your clearance" in errors[(3, "tlp")]
    assert "only for your own organisation" in errors[(5, "owner_org")]
    with pytest.raises(pipeline.UploadRefused):
        pipeline.commit(engine, prepared, AMBER_COORDINATOR)
    assert _stored(engine) == {}
    pipeline.commit(engine, _prepare(engine, AMBER_COORDINATOR), AMBER_COORDINATOR, skip_invalid=True)
    assert _stored(engine) == {"C-1": ("clear", HOST_ORG), "S-1": ("amber+strict", HOST_ORG)}


def test_a_default_marking_above_the_clearance_is_refused(engine: Engine) -> None:
    with pytest.raises(pipeline.UploadRefused, match="above your clearance"):
        _prepare(engine, AMBER_COORDINATOR, _file("C-1,Row,2025-03-10,disruption,EST,3,,"), default_tlp="red")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Incident)) == 0


def test_an_administrator_cleared_for_red_may_mark_red_but_not_for_another_organisation(engine: Engine) -> None:
    admin = local_admin(HOST_ORG)  # RED, own organisation's AMBER+STRICT only (not all_organisations)
    prepared = _prepare(engine, admin)
    assert {(i.row, i.column) for i in prepared.checked.issues if i.level == "error"} == {(5, "owner_org")}
    pipeline.commit(engine, prepared, admin, skip_invalid=True)
    assert _stored(engine) == {
        "C-1": ("clear", HOST_ORG),
        "R-1": ("red", HOST_ORG),
        "S-1": ("amber+strict", HOST_ORG),
    }

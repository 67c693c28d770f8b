"""Attribution events from the public exports (issue 14, first part): as many events as EuRepoC numbers, the
attributing and attributed states as ISO3, actors through the alias table, and a confidence derived by the stated
rule from what the source says, never a constant."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import func, select

from dashboard import PROJECT_ROOT, read
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.ingest import attributions as attr
from dashboard.ingest import pipeline
from dashboard.ingest.event_lists import aligned, split_top
from dashboard.ops.bootstrap import initialise
from dashboard.store.event_models import IncidentResponse
from dashboard.store.models import Incident
from tests.conftest import BACKENDS, HOST_ORG, Database

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"
EUREPOC = DATASETS / "EuRepoC_Global_Database_1.1.csv"
CFR = DATASETS / "CFR_cyber_operations_incidents_2005-2022.csv"
ADMIN = local_admin(HOST_ORG)
TRACK = "eastern-europe"
real_exports = pytest.mark.skipif(
    not (EUREPOC.exists() and CFR.exists()), reason=f"the real exports are not in {DATASETS}"
)


def test_lists_split_outside_brackets_and_line_up_with_missing_items() -> None:
    assert split_top("Lord Ahmad (Minister; GBR); The White House") == ["Lord Ahmad (Minister; GBR)", "The White House"]
    row = {"d": "2018-02-15; Not available", "c": "United Kingdom", "n": ""}
    assert aligned(row, {"date": "d", "country": "c", "none": "n"}, count=3) == [
        {"date": "2018-02-15", "country": "United Kingdom", "none": ""},
        {"date": "", "country": "", "none": ""},
        {"date": "", "country": "", "none": ""},
    ]


@pytest.mark.parametrize(
    ("kind", "kind_of_statement", "confidence"),
    [
        ("government", "Political statement / report (e.g., on government / state agency websites)", "high"),
        ("government", "Political statement/report and indictment / sanctions", "high"),
        ("government", "Direct statement in media report (e.g., Reuters article cites ...)", "medium"),
        ("government", "Anonymous statement in media report (e.g., Reuters article cites unnamed officials)", "low"),
        ("researcher", "Technical report (e.g., by IT-companies, Citizen Lab, EFF)", "medium"),
        (
            "self",
            "Self-attribution in the course of the attack (e.g., via defacement statements on websites)",
            "medium",
        ),
        ("media", "Media report (e.g., Reuters makes an attribution statement, without naming further sources)", "low"),
        ("contested", "Technical report (e.g., by IT-companies, Citizen Lab, EFF)", "low"),
    ],
)
def test_the_confidence_rule(kind: str, kind_of_statement: str, confidence: str) -> None:
    assert attr.event_confidence(kind, kind_of_statement) == confidence


def _event(kind: str, confidence: str, state: str = "RUS") -> attr.Attribution:
    return attr.Attribution(None, "x", "", "", frozenset(), state, kind, "", "", confidence)


def test_two_independent_kinds_of_attributor_naming_one_state_raise_medium_to_high() -> None:
    assert attr.incident_confidence([]) is None
    assert attr.incident_confidence([_event("researcher", "medium")]) == "medium"
    assert attr.incident_confidence([_event("researcher", "medium"), _event("company", "medium")]) == "high"
    assert attr.incident_confidence([_event("researcher", "medium"), _event("government", "medium")]) == "high"
    assert attr.incident_confidence([_event("researcher", "medium"), _event("government", "medium", "CHN")]) == "medium"
    assert attr.incident_confidence([_event("media", "low"), _event("researcher", "medium")]) == "medium"


@pytest.fixture(scope="module")
def eurepoc() -> pd.DataFrame:
    return pd.read_csv(EUREPOC, dtype=str, keep_default_na=False)


@real_exports
def test_notpetya_lists_its_attributions_with_dates_states_and_sandworm(eurepoc) -> None:
    events = attr.eurepoc_attributions(eurepoc[eurepoc["ID"] == "1032"].iloc[0].to_dict())
    assert len(events) >= 10  # EuRepoC numbers 10 and lists 15
    by_state = {e.attributor_country for e in events}
    assert {"GBR", "USA", "CAN", "AUS", "NZL", "UKR"} <= by_state
    assert {e.attributed_country for e in events} == {"RUS", ""} or {e.attributed_country for e in events} == {"RUS"}
    assert any(e.attributed_actors == {"sandworm"} for e in events)
    uk = next(e for e in events if e.attributor_country == "GBR")
    assert uk.date == dt.date(2018, 2, 15) and uk.kind == "government" and uk.confidence == "high"
    assert all(e.sources and e.sources[0].startswith("https://") for e in events)
    assert attr.incident_confidence(events) == "high"


@real_exports
def test_every_eurepoc_row_carries_as_many_events_as_it_numbers(eurepoc, capsys) -> None:
    numbered = carried = 0
    confidence: Counter[str | None] = Counter()
    for row in eurepoc.to_dict("records"):
        events = attr.eurepoc_attributions(row)
        wanted = int(float(row["number_of_attributions"] or 0))
        confidence[attr.incident_confidence(events)] += 1
        if wanted > 0:
            numbered += 1
            carried += len(events) >= wanted
        assert all(e.kind in attr.KINDS and e.confidence in attr.CONFIDENCE for e in events)
    with capsys.disabled():
        print(
            f"\nEuRepoC: {carried} of {numbered} numbered rows carry their attributions; confidence {dict(confidence)}"
        )
    assert carried >= 0.9 * numbered
    assert len([c for c in confidence if c]) == 3  # derived: all three levels occur, never one constant


@real_exports
def test_cfr_gives_its_suspected_sponsor_as_one_low_confidence_event() -> None:
    cfr = pd.read_csv(CFR, dtype=str, keep_default_na=False)
    events = [attr.cfr_attributions(row) for row in cfr.to_dict("records")]
    assert sum(1 for e in events if e) >= 0.9 * len(cfr)
    sample = next(
        e[0] for e, row in zip(events, cfr.to_dict("records"), strict=True) if row["Affiliations"] == "UNC1151"
    )
    assert sample.attributed_country == "BLR" and sample.confidence == "low" and sample.kind == "unknown"
    assert sample.date == dt.date(2022, 3, 7) and sample.source.startswith("https://")


@pytest.fixture(scope="module", params=BACKENDS)
def stored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """EuRepoC and CFR uploaded into Eastern Europe (once per backend)."""
    db = Database(request.param, tmp_path_factory.mktemp("attributions"))
    initialise(db.engine)
    for path in (EUREPOC, CFR):
        prepared = pipeline.prepare(
            db.engine,
            ADMIN,
            layer="incidents",
            track=TRACK,
            file_name=path.name,
            data=path.read_bytes(),
            max_bytes=10**8,
        )
        pipeline.commit(db.engine, prepared, ADMIN, skip_invalid=True)
    yield db.engine
    db.drop()


def _incident_id(engine, source_key: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(Incident.id).where(Incident.source_key == source_key))


@real_exports
def test_stored_attributions_are_read_in_time_order_and_only_by_those_who_see_the_incident(stored) -> None:
    notpetya = _incident_id(stored, "eurepoc:1032")
    events = read.incident_attributions(stored, ADMIN, notpetya)
    assert len(events) >= 10
    dated = events["date"].dropna().tolist()
    assert dated == sorted(dated) and dated[0] == dt.date(2017, 6, 28)
    assert {"GBR", "USA", "CAN"} <= set(events["attributor_country"])
    assert any(list(a) == ["sandworm"] for a in events["attributed_actors"])
    outsider = Viewer(
        name="p", role=Role.PARTNER, tracks=frozenset({"indo-pacific"}), tlp_ceiling="green", organisation="ISAC"
    )
    assert read.incident_attributions(stored, outsider, notpetya).empty
    cfr = read.incident_attributions(stored, ADMIN, _incident_id(stored, "cfr:NotPetya"))
    assert len(cfr) == 1 and cfr["confidence"].tolist() == ["low"] and cfr["attributed_country"].tolist() == ["RUS"]


@real_exports
def test_an_incidents_confidence_comes_from_its_attributions(stored) -> None:
    with stored.connect() as conn:
        levels = dict(conn.execute(select(Incident.confidence, func.count()).group_by(Incident.confidence)).all())
        notpetya = conn.scalar(select(Incident.confidence).where(Incident.source_key == "eurepoc:1032"))
    assert notpetya == "high"
    assert {"low", "medium", "high"} <= set(levels)  # derived, not one constant


@real_exports
def test_stored_responses_of_notpetya_are_read_in_time_order_for_those_who_see_it(stored) -> None:
    notpetya = _incident_id(stored, "eurepoc:1032")
    responses = read.incident_responses(stored, ADMIN, notpetya)
    assert (responses["layer"] == "political").sum() >= 6 and (responses["layer"] == "legal").sum() >= 3
    sanctions = responses[responses["kind"] == "sanctions"]
    assert {"USA"} <= set(sanctions["responder_country"]) and "EU (region)" in set(sanctions["responder_region"])
    dated = responses["date"].dropna().tolist()
    assert dated == sorted(dated)
    outsider = Viewer(
        name="p", role=Role.PARTNER, tracks=frozenset({"indo-pacific"}), tlp_ceiling="green", organisation="ISAC"
    )
    assert read.incident_responses(stored, outsider, notpetya).empty
    with stored.connect() as conn:
        cfr_kinds = set(
            conn.scalars(
                select(IncidentResponse.kind)
                .join(Incident, Incident.id == IncidentResponse.incident_id)
                .where(Incident.source_key.like("cfr:%"))
            )
        )
    assert {"statement", "sanctions", "indictment"} <= cfr_kinds


@real_exports
def test_the_incident_details_show_attributions_and_responses(stored, monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest: an administrator picks NotPetya in the Incidents page's details and reads who attributed it, with
    confidence, and who responded; an official of the other track cannot pick it at all."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import TEST_SECRET, sign_in

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", stored.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_DEMO_MODE", "false")
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", TEST_SECRET)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = sign_in(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90), ADMIN)
    at.switch_page("pages/incidents.py")
    at.query_params.update({"track": TRACK, "period": "all"})
    at.run()
    notpetya = _incident_id(stored, "eurepoc:1032")
    chooser = next(s for s in at.selectbox if s.label.startswith("Incident details"))
    chooser.set_value(notpetya).run()
    shown = " ".join(str(m.value) for m in at.markdown)
    # NotPetya is one incident across EuRepoC and CFR: EuRepoC's 15 attributions and 9 responses, CFR's one each
    assert "Sources** (2)" in shown and "Attributions** (16)" in shown and "Responses** (10)" in shown
    tables = [t.value for t in at.dataframe]
    attributions = next(t for t in tables if {"by", "to", "confidence"} <= set(t.columns))
    assert {"high", "medium", "low"} <= set(attributions["confidence"])
    assert any("Russia" in str(v) for v in attributions["to"])
    responses = next(t for t in tables if {"by", "kind", "label"} <= set(t.columns))
    assert "Sanctions" in set(responses["kind"]) and "EU (region)" in set(responses["by"])
    st.cache_resource.clear()
    st.cache_data.clear()


@real_exports
def test_the_cli_finds_incidents_by_an_actor_alias_with_their_attributions(stored) -> None:
    from tests.test_cli import run

    if stored.dialect.name != "sqlite":
        pytest.skip("one backend is enough for the command line")
    found = run("incidents", "--search", "Fancy Bear", "--json", "--limit", "100", url=str(stored.url))
    assert found.returncode == 0, found.stderr
    incidents = json.loads(found.stdout)
    assert incidents and all(i["source"].startswith(("eurepoc:", "cfr:")) for i in incidents)
    by_alias = [i for i in incidents if any("apt28" in a["attributed_actors"] for a in i["attributions"])]
    assert len(by_alias) >= 5  # found through the alias table, whatever the records call the actor
    text = run("incidents", "--search", "NotPetya", "--track", TRACK, url=str(stored.url))
    assert text.returncode == 0 and "response" in text.stdout and "attributed" in text.stdout
    assert run("incidents", "--search", " ", url=str(stored.url)).returncode == 1

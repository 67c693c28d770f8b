"""Faithful to the source (DESIGN 2, rule 5a) on the display side: figures count the norm links the source asserts,
inferred links are shown apart and labelled, an incident's every type and inferred countries are marked, and an
incident without a severity is 'Not rated' (never 0, never "None"; an empty cell in downloads)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, read
from dashboard.analysis.briefing import build_briefing
from dashboard.app.norms_panel import rule_name
from dashboard.core.access import local_admin
from dashboard.core.filters import IncidentFilter, ViewFilter
from dashboard.export import tables as exports
from dashboard.export.briefing import text as txt
from dashboard.ingest import norm_rules
from dashboard.present.labels import SEVERITY_UNKNOWN, inferred_links_note, norm_link_label, severity_label
from dashboard.read import snapshot as facts
from tests import oracle
from tests.conftest import sign_in
from tests.factories import incident, norm, store, store_incidents

EE = "eastern-europe"
ADMIN = local_admin("Dialogue Secretariat")
RULE = "critical-infrastructure-target"
APP = str(PROJECT_ROOT / "app.py")


def _linked(title: str, **kwargs: object) -> dict:
    """An incident row asserting UN norm c and with UN norm f inferred by a rule."""
    row = incident(title, **kwargs)  # type: ignore[arg-type]
    row["norms"] = ["un-norms:c"]
    row["norms_inferred"] = [("un-norms:f", RULE)]
    return row


@pytest.fixture
def linked(engine: Engine) -> Engine:
    """Two incidents: one with an asserted and an inferred norm link, several types and countries found in its
    title; one the source gives no severity. Plus one norm assessment, so the norms page has content."""
    first = _linked("Grid outage in Estonia", when="2025-03-10", severity=3)
    first["types"] = ["disruption", "espionage"]
    first["original"] = {"title": "Grid outage in Estonia", "inferred: target_countries": "title"}
    unrated = incident("Unrated intrusion", when="2025-03-12", itype="ransomware")
    unrated["severity"] = None
    unrated["types"] = ["ransomware"]
    unrated["norms_inferred"] = []
    first_rows = [first, unrated]
    store_incidents(engine, EE, first_rows)
    store(engine, "norms", EE, [norm("EST", "un-norms:c", "2025-01-01", "implemented")])
    facts.clear_cache()
    read.clear_cache()
    return engine


def _all(**kwargs: object) -> IncidentFilter:
    return IncidentFilter(tracks=frozenset({EE}), **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- norm links: asserted in figures, inferred apart


def test_the_snapshot_keeps_asserted_and_inferred_links_apart(linked: Engine) -> None:
    snap = facts.snapshot(linked)
    assert [snap.norms.vocab[c] for c in snap.norms.code] == ["un-norms:c"]
    assert [snap.norms_inferred.vocab[c] for c in snap.norms_inferred.code] == [f"un-norms:f|{RULE}"]


def test_norm_window_counts_only_the_asserted_link_and_equal_the_sql_twin(linked: Engine) -> None:
    window = (dt.date(2025, 1, 1), dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    counts = read.window_counts(linked, ADMIN, frozenset({EE}), "norm", *window)
    assert counts.to_dict("records") == [{"key": "un-norms:c", "baseline": 0, "recent": 1}]
    twin = oracle.window_counts(linked, ADMIN, frozenset({EE}), "norm", *window)
    assert twin.to_dict("records") == counts.to_dict("records")


def test_incident_norm_counts_label_each_link_by_where_it_comes_from(linked: Engine) -> None:
    counts = read.incident_norm_counts(linked, ADMIN, _all())
    assert counts[["item_id", "inferred", "basis", "incidents"]].to_dict("records") == [
        {"item_id": "un-norms:c", "inferred": False, "basis": "norms", "incidents": 1},
        {"item_id": "un-norms:f", "inferred": True, "basis": RULE, "incidents": 1},
    ]
    pd.testing.assert_frame_equal(counts, oracle.incident_norm_counts(linked, ADMIN, _all()))
    assert read.incident_norm_counts(linked, ADMIN, _all(start=dt.date(2026, 1, 1))).empty


def test_the_briefing_counts_inferred_links_only_in_its_one_line_note(linked: Engine) -> None:
    brief = build_briefing(linked, ADMIN, ViewFilter(track=EE, period="all"), dt.date(2025, 6, 30))
    assert brief.inferred_norm_links == 1
    lines = txt.norm_lines(SimpleNamespace(brief=brief))  # type: ignore[arg-type]
    assert lines[-1] == inferred_links_note(1)
    assert "1 further link" in lines[-1] and "not asserted by the source" in lines[-1]


def test_link_labels_name_the_source_column_or_the_rule() -> None:
    assert norm_link_label(False, "norms") == "asserted by the source (column norms)"
    assert norm_link_label(True, RULE, "A sector was hit") == "inferred: A sector was hit"
    assert norm_link_label(True, RULE) == f"inferred: {RULE}"
    assert norm_link_label(True, RULE, "Inferred: a sector was hit") == "Inferred: a sector was hit"  # said once
    assert rule_name(RULE) == norm_rules.rule_label(RULE) != RULE


# ---------------------------------------------------------------- incident detail


def test_incident_detail_marks_the_primary_type_inferred_countries_and_each_link(linked: Engine) -> None:
    rows = read.incident_rows(linked, ADMIN, _all(), 10)
    first = int(rows.loc[rows["title"] == "Grid outage in Estonia", "id"].iloc[0])
    detail = read.incident_detail(linked, ADMIN, first)
    assert detail is not None
    assert detail["types"] == [("disruption", True), ("espionage", False)]
    assert detail["targets"] == ["EST"]
    assert detail["targets_inferred_from"] == "title"
    assert detail["norms"] == [("un-norms:c", False, "norms"), ("un-norms:f", True, RULE)]
    outsider = replace(ADMIN, tracks=frozenset({"indo-pacific"}))
    assert read.incident_detail(linked, outsider, first) is None


def test_the_type_filter_matches_any_type_and_equals_the_sql_twin(linked: Engine) -> None:
    by_secondary = _all(types=frozenset({"espionage"}))
    assert read.incident_summary(linked, ADMIN, by_secondary)["incidents"] == 1
    assert oracle.incident_summary(linked, ADMIN, by_secondary)["incidents"] == 1
    # charts by type keep the primary type
    monthly = read.incident_counts_by_month_and(linked, ADMIN, by_secondary, "type")
    assert set(monthly["key"]) == {"disruption"}


# ---------------------------------------------------------------- severity: not rated


def test_severity_label_never_says_none_or_baseline_for_an_unrated_incident() -> None:
    assert severity_label(None) == severity_label(float("nan")) == severity_label(pd.NA) == SEVERITY_UNKNOWN
    assert severity_label(-1) == SEVERITY_UNKNOWN
    assert severity_label(0) == "0 Baseline"
    assert severity_label(3.0) == "3 High"


def test_an_unrated_incident_is_not_counted_as_baseline_or_significant(linked: Engine) -> None:
    assert read.incident_summary(linked, ADMIN, _all())["significant"] == 1
    assert read.incident_summary(linked, ADMIN, _all(min_severity=1))["incidents"] == 1  # only the rated one


def test_incident_csv_writes_severity_as_an_integer_or_empty(linked: Engine) -> None:
    for limit in (None, 10):
        rows = read.incident_rows(linked, ADMIN, _all(), limit)
        written = exports.to_csv_bytes(rows).decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(written), dtype=str, keep_default_na=False)
        assert sorted(frame["severity"]) == ["", "3"]
        assert "None" not in written and "3.0" not in written


def test_severity_from_other_frames_is_written_whole() -> None:
    frame = pd.DataFrame({"severity": [1.0, None, 4.0], "title": ["a", "b", "c"]})
    assert exports.to_csv_bytes(frame).decode("utf-8-sig").splitlines() == ["severity,title", "1,a", ",b", "4,c"]


def test_the_check_report_writes_severity_values_whole() -> None:
    issues = [
        SimpleNamespace(row=2, column="severity", value="3.0", level="warning", message="m"),
        SimpleNamespace(row=3, column="severity", value="None", level="warning", message="m"),
        SimpleNamespace(row=4, column="title", value="3.0", level="warning", message="m"),
    ]
    from dashboard.ingest.pipeline import Prepared

    prepared = SimpleNamespace(issues=issues)
    report = Prepared.report_frame(prepared)  # type: ignore[arg-type]
    written = exports.report_csv(SimpleNamespace(report_frame=lambda: report))  # type: ignore[arg-type]
    frame = pd.read_csv(io.BytesIO(written), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert frame["value"].tolist() == ["3", "", "3.0"]


# ---------------------------------------------------------------- pages


def _open(key: str) -> AppTest:
    from dashboard.core.pages import PAGES

    at = sign_in(AppTest.from_file(APP, default_timeout=60))
    at.switch_page(next(p for p in PAGES if p.key == key).script)
    return at.run()


def test_the_incident_table_says_not_rated_never_none(linked: Engine, app_engine: Engine) -> None:
    at = _open("incidents")
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if {"title", "severity"} <= set(d.value.columns))
    shown = dict(zip(table["title"], table["severity"].astype(str), strict=True))
    assert shown == {"Grid outage in Estonia": "3 High", "Unrated intrusion": SEVERITY_UNKNOWN}


def test_the_incident_detail_panel_shows_types_countries_and_links(linked: Engine, app_engine: Engine) -> None:
    at = _open("incidents")
    picker = next(s for s in at.selectbox if s.label.startswith("Incident details"))
    rows = read.incident_rows(linked, ADMIN, _all(), 10)
    at = picker.set_value(int(rows.loc[rows["title"] == "Grid outage in Estonia", "id"].iloc[0])).run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "Disruption (primary)" in text and "Espionage" in text
    assert "inferred from title/description" in text
    links = next(d.value for d in at.dataframe if {"item", "basis"} <= set(d.value.columns))
    assert links["basis"].tolist() == ["asserted by the source (column norms)", norm_rules.rule_label(RULE)]


def test_the_norms_page_shows_inferred_links_apart_with_their_rule(linked: Engine, app_engine: Engine) -> None:
    at = _open("norms")
    assert not at.exception, [e.value for e in at.exception]
    assert "Incidents implicating each item" in [s.value for s in at.subheader]
    tables = [d.value for d in at.dataframe if {"item", "incidents"} <= set(d.value.columns)]
    asserted = next(t for t in tables if "rule" not in t.columns)
    inferred = next(t for t in tables if "rule" in t.columns)
    assert asserted[["item", "incidents"]].to_dict("records") == [{"item": "UN norms c", "incidents": 1}]
    assert inferred[["item", "rule", "incidents"]].to_dict("records") == [
        {"item": "UN norms f", "rule": rule_name(RULE), "incidents": 1}
    ]
    assert any("Inferred by import rules (not asserted by the source)" in m.value for m in at.markdown)

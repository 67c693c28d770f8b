"""The synthetic demo data: deterministic, realistic in shape, covering both tracks and every TLP level."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.core.vocabulary import track_members
from dashboard.ingest.templates import column_names
from dashboard.ops import demo


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate(seed=42, incidents=2000)


def test_same_seed_same_data_other_seed_other_data(data: demo.DemoData) -> None:
    again = demo.generate(seed=42, incidents=2000)
    for layer in ("incidents", "norms", "partnerships"):
        pd.testing.assert_frame_equal(getattr(data, layer), getattr(again, layer))
    other = demo.generate(seed=43, incidents=2000)
    assert not other.incidents["source_id"].equals(data.incidents["source_id"])


def test_incidents_span_four_years_both_tracks_and_every_tlp(data: demo.DemoData) -> None:
    inc = data.incidents
    assert len(inc) == 2000
    days = (inc["start_date"].max() - inc["start_date"].min()).days
    assert days >= 4 * 365
    assert set(inc["track"]) == {"indo-pacific", "eastern-europe"}
    assert set(inc["tlp"]) == {"clear", "green", "amber", "amber+strict", "red"}
    assert inc["severity"].between(0, 5).all()
    assert inc["title"].str.startswith(demo.SYNTHETIC_TAG).all()
    for track, codes in track_members().items():
        targets = {c for row in inc[inc["track"] == track]["target_countries"] for c in row}
        assert targets <= set(codes)
    assert (inc["target_countries"].map(len) > 1).any(), "some incidents hit several countries"


def test_planted_surge_stands_out(data: demo.DemoData) -> None:
    inc = data.incidents
    ukr = inc[inc["target_countries"].map(lambda t: "UKR" in t)]
    month = pd.to_datetime(ukr["start_date"]).dt.to_period("M").astype(str)
    per_month = month.value_counts()
    surge = per_month.reindex(["2022-02", "2022-03", "2022-04"]).mean()
    baseline = per_month.drop(["2022-02", "2022-03", "2022-04"]).median()
    assert surge > 3 * baseline


def test_norm_assessments_cover_every_track_country_over_three_rounds(data: demo.DemoData) -> None:
    norms = data.norms
    members = track_members()
    assert norms["assessed_on"].nunique() >= 3
    for track, codes in members.items():
        part = norms[norms["track"] == track]
        assert set(part["iso3"]) == set(codes)
        frameworks = set(part["item_id"].str.split(":").str[0])
        expected = {"un-norms", "osce-cbms"} if track == "eastern-europe" else {"un-norms", "arf-measures"}
        assert frameworks == expected
    assert set(norms["status"]) >= {"implemented", "in_progress", "not_started"}


def test_partnerships_include_hotlines_between_rivals(data: demo.DemoData) -> None:
    p = data.partnerships
    assert 130 <= len(p) <= 170
    hotlines = p[p["kind"] == "hotline"]
    dyads = {tuple(sorted(c)) for c in hotlines["countries"]}
    assert ("CHN", "USA") in dyads and ("RUS", "UKR") in dyads and ("ARM", "AZE") in dyads
    assert hotlines["last_tested"].isna().any() and hotlines["last_tested"].notna().any()
    assert set(p["kind"]) == {"hotline", "capacity-building", "ppp", "poc-network", "mou", "exercise"}
    assert set(p["tlp"]) == {"clear", "green", "amber", "amber+strict", "red"}


def test_template_files_have_the_documented_columns(tmp_path, data: demo.DemoData) -> None:
    paths = demo.write_template_files(data, tmp_path)
    for layer, path in paths.items():
        frame = pd.read_csv(path)
        assert list(frame.columns) == ["track", *column_names(layer)]
        assert len(frame) == len(getattr(data, layer))
    inc = pd.read_csv(paths["incidents"], keep_default_na=False)
    assert inc["target_countries"].str.fullmatch(r"[A-Z]{3}(; [A-Z]{3})*").all()


# ---------------------------------------------------------------- attribution and response events


@pytest.fixture(scope="module")
def with_events() -> demo.DemoData:
    return demo.generate(seed=42, incidents=2000, events=True)


def _named(inc: pd.DataFrame) -> pd.Series:
    return inc["initiator_countries"].map(bool)


def test_a_realistic_share_of_incidents_has_attributions_and_responses(with_events: demo.DemoData) -> None:
    inc = with_events.incidents
    named = _named(inc)
    attributed = inc["attributions"].map(len)
    responded = inc["responses"].map(len)
    assert 0.30 <= (attributed[named] > 0).mean() <= 0.40
    assert 0.10 <= (responded[named] > 0).mean() <= 0.15
    assert (attributed[~named] == 0).all() and (responded[~named] == 0).all()  # only a named state is attributed
    assert attributed.max() <= 3 and responded.max() <= 3
    attributions = [e for listed in inc["attributions"] for e in listed]
    responses = [e for listed in inc["responses"] for e in listed]
    assert {e.kind for e in attributions} == {"government", "company", "researcher", "media"}
    assert {e.kind for e in responses} == {"statement", "demarche", "sanctions", "indictment", "expulsion"}
    assert {e.layer for e in responses} == {"political", "legal"}
    assert {e.confidence for e in attributions} == {"low", "medium", "high"}


def test_events_are_dated_after_their_incident_and_name_its_initiator(with_events: demo.DemoData) -> None:
    for row in with_events.incidents.itertuples():
        initiator = row.initiator_countries[0] if row.initiator_countries else ""
        for e in row.attributions:
            assert row.start_date < e.date <= demo.END
            assert e.attributed_country == initiator and e.attributed == row.initiator_name
            assert e.attributor and e.attributor_country and e.attributor_country != initiator
            assert e.source.startswith("https://example.org/synthetic/attribution/") and e.sources == (e.source,)
            assert e.basis.startswith(demo.SYNTHETIC_TAG)
        for e in row.responses:
            assert row.start_date < e.date <= demo.END
            assert e.target == initiator and e.responder
            assert e.responder_country or e.responder_region  # a state, or the EU as a region
            assert e.link.startswith("https://example.org/synthetic/response/")
            assert e.source_kind.startswith(demo.SYNTHETIC_TAG)
        assert [e.date for e in row.attributions] == sorted(e.date for e in row.attributions)


def test_confidence_follows_from_the_attributions_by_the_rule(with_events: demo.DemoData) -> None:
    from dashboard.ingest.attributions import event_confidence, incident_confidence

    inc = with_events.incidents
    attributed = inc[inc["attributions"].map(bool)]
    for row in attributed.itertuples():
        assert row.confidence == incident_confidence(row.attributions)
        for e in row.attributions:
            assert e.confidence == event_confidence(e.kind, e.basis.rsplit("; ", 1)[1])
    shares = attributed["confidence"].value_counts(normalize=True)
    assert set(shares.index) == {"low", "medium", "high"} and shares.max() < 0.6


def test_events_are_deterministic_and_leave_the_other_draws_alone(
    data: demo.DemoData, with_events: demo.DemoData
) -> None:
    again = demo.generate(seed=42, incidents=2000, events=True)
    pd.testing.assert_frame_equal(with_events.incidents, again.incidents)
    other = demo.generate(seed=43, incidents=2000, events=True)
    assert not other.incidents["attributions"].map(len).equals(with_events.incidents["attributions"].map(len))
    same = [c for c in data.incidents.columns if c not in ("confidence", "attribution_basis")]
    pd.testing.assert_frame_equal(data.incidents[same], with_events.incidents[same])
    unattributed = ~with_events.incidents["attributions"].map(bool)
    assert data.incidents["confidence"][unattributed].equals(with_events.incidents["confidence"][unattributed])
    for layer in ("norms", "partnerships"):
        pd.testing.assert_frame_equal(getattr(data, layer), getattr(with_events, layer))


def test_the_seeded_database_stores_the_events_as_an_import_does(demo_engine, with_events: demo.DemoData) -> None:
    from sqlalchemy import func, select

    from dashboard.store.event_models import IncidentAttribution, IncidentResponse
    from dashboard.store.models import Incident

    inc = with_events.incidents
    with demo_engine.connect() as conn:
        attributions = conn.scalar(select(func.count()).select_from(IncidentAttribution))
        responses = conn.scalar(select(func.count()).select_from(IncidentResponse))
        stored = dict(
            conn.execute(
                select(Incident.source_id, Incident.confidence)
                .join(IncidentAttribution, IncidentAttribution.incident_id == Incident.id)
                .distinct()
            ).all()
        )
    assert attributions == inc["attributions"].map(len).sum() > 0
    assert responses == inc["responses"].map(len).sum() > 0
    expected = inc[inc["attributions"].map(bool)].set_index("source_id")["confidence"].to_dict()
    assert stored == expected

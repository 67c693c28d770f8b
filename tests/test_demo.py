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

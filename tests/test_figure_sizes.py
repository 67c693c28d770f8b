"""Figures aggregate server-side: however many rows, no chart sends more than a few thousand points."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT
from dashboard.core.pages import DATA_PAGES
from dashboard.ops.bootstrap import initialise
from tests.conftest import Database, sign_in

MAX_POINTS = 5_000
MAX_JSON_BYTES = 1_000_000
INCIDENTS = 20_000  # ten times the default demo data


@pytest.fixture(scope="module")
def big_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = Database("sqlite", tmp_path_factory.mktemp("big"))
    initialise(db.engine, seed_demo=True, seed=7, incidents=INCIDENTS)
    yield db.url
    db.drop()


def _points(trace: dict) -> int:
    total = 0
    for key in ("x", "y", "locations", "lat", "lon"):
        value = trace.get(key)
        if isinstance(value, list):
            total = max(total, len(value))
    z = trace.get("z")
    if isinstance(z, list):
        total = max(total, sum(len(row) if isinstance(row, list) else 1 for row in z))
    return total


@pytest.mark.parametrize("page", DATA_PAGES, ids=lambda p: p.key)
def test_no_figure_carries_more_than_a_few_thousand_points(
    page, big_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", big_database)
    monkeypatch.setenv("DASHBOARD_DEMO_MODE", "false")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = sign_in(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120))
    at.query_params["period"] = "all"
    at.run()
    at.switch_page(page.script).run()
    assert not at.exception
    figures = at.get("plotly_chart")
    if page.key not in {"datasets", "watchlist"}:
        assert figures, f"{page.key} shows no chart"
    for figure in figures:
        spec = figure.proto.spec
        assert len(spec.encode()) < MAX_JSON_BYTES, f"{page.key}: a figure is {len(spec) / 1e6:.1f} MB"
        for trace in json.loads(spec)["data"]:
            assert _points(trace) <= MAX_POINTS, f"{page.key}: a {trace.get('type')} trace has too many points"
    st.cache_resource.clear()
    st.cache_data.clear()

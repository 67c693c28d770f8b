"""AppTest: the app and every page render for the local administrator, with demo data and with an empty database."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, read
from dashboard.core.access import local_admin
from dashboard.core.pages import PAGES
from tests.conftest import Database, sign_in

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch):
    """Point the app at a database and start with empty Streamlit caches."""

    def _use(url: str, *, demo_mode: bool = False) -> None:
        monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
        monkeypatch.setenv("DASHBOARD_DEMO_MODE", "true" if demo_mode else "false")
        st.cache_resource.clear()
        st.cache_data.clear()

    yield _use
    st.cache_resource.clear()
    st.cache_data.clear()


def _metrics(at: AppTest) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(m.value)
    return out


def test_datasets_page_shows_the_demo_counts(demo_engine: Engine, use_database) -> None:
    use_database(str(demo_engine.url.render_as_string(hide_password=False)))
    at = sign_in(AppTest.from_file(APP, default_timeout=60)).run()
    at.switch_page("pages/datasets.py").run()
    assert not at.exception
    counts = read.layer_counts(demo_engine, local_admin("Dialogue Secretariat"))
    expected = sorted(f"{n:,}" for n in counts[counts["layer"] == "incidents"]["rows"])
    assert sorted(_metrics(at)["Incidents"]) == expected
    assert any("Synthetic demo data" in i.value for i in at.info)
    assert [h.value for h in at.subheader][:2] == ["Eastern Europe", "Indo-Pacific"]


def test_empty_database_gets_a_helpful_empty_state(engine: Engine, use_database) -> None:
    use_database(str(engine.url.render_as_string(hide_password=False)))
    at = sign_in(AppTest.from_file(APP, default_timeout=60)).run()
    at.switch_page("pages/datasets.py").run()
    assert not at.exception
    assert any("No data yet" in i.value for i in at.info)
    assert not any("Synthetic" in i.value for i in at.info)
    assert set(_metrics(at)["Incidents"]) == {"0"}


def test_first_start_in_demo_mode_creates_and_seeds_the_database(database: Database, use_database) -> None:
    use_database(database.url, demo_mode=True)
    at = sign_in(AppTest.from_file(APP, default_timeout=120)).run()
    at.switch_page("pages/datasets.py").run()
    assert not at.exception
    assert any("Synthetic demo data" in i.value for i in at.info)
    assert all(v != "0" for v in _metrics(at)["Incidents"])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.key)
def test_every_page_renders_when_opened_directly(page, demo_engine: Engine, use_database) -> None:
    """A deep link runs the page script without app.py: it must still guard itself and render."""
    use_database(str(demo_engine.url.render_as_string(hide_password=False)))
    at = sign_in(AppTest.from_file(str(page.path), default_timeout=60)).run()
    assert not at.exception
    assert at.title or at.header

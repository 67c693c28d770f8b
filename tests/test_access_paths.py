"""Access paths beyond what a page shows: rows read by id from a stale snapshot, the markings of chart-table
downloads, and the dataset versions a briefing cites (issue 12, findings 1, 8 and 9).

The restore-under-a-running-session path is in test_backup.py, the upload comparison as a probe in
test_upload_visibility.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, read
from dashboard.core.access import Role, Viewer
from dashboard.core.filters import IncidentFilter
from dashboard.export.briefing.content import collect
from dashboard.read import snapshot as facts
from tests.conftest import sign_in
from tests.factories import incident, norm, store, store_incidents

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
EE = "eastern-europe"
LEVELS = ("clear", "green", "amber", "red")


def _recent(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def _viewer(role: Role, ceiling: str) -> Viewer:
    return Viewer(name=f"t-{role.value}", role=role, tracks=frozenset({EE}), tlp_ceiling=ceiling, organisation=HOST)


@pytest.fixture
def layered(app_engine: Engine) -> Engine:
    """Eastern Europe: incidents targeting Latvia initiated by Estonia, and Estonia's norm assessments, one at each
    level; the RED assessment is the only one of its round (an older one), as in the red-team finding."""
    engine = app_engine
    store_incidents(
        engine,
        EE,
        [
            incident(f"PATH-{t}", tlp=t, owner=HOST, when=_recent(30 + i), targets=("LVA",), initiators=("EST",))
            for i, t in enumerate(LEVELS)
        ],
    )
    rows = [
        {**norm("EST", f"un-norms:{code}", _recent(40), "implemented", tlp=t), "owner_org": HOST}
        for code, t in zip("abc", LEVELS[:3], strict=True)
    ]
    rows.append({**norm("EST", "un-norms:d", _recent(400), "implemented", tlp="red"), "owner_org": HOST})
    store(engine, "norms", EE, rows)
    return engine


def _download_markings(monkeypatch: pytest.MonkeyPatch, viewer: Viewer, page: str, **params: str) -> dict[str, str]:
    """Run a page as the viewer and return the marking of every download it offers, by file stem."""
    from dashboard.export import tables

    seen: dict[str, str] = {}
    original = tables.file_name

    def record(stem: str, tlp: str | None, ext: str, today: dt.date | None = None) -> str:
        seen[stem] = tlp or "clear"
        return original(stem, tlp, ext, today)

    monkeypatch.setattr(tables, "file_name", record)
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, viewer)
    at.switch_page(f"pages/{page}.py")
    at.query_params.update({"period": "all", **params})
    at.run()
    assert not at.exception, at.exception
    return seen


@pytest.mark.parametrize("ceiling", ["green", "amber", "red"])
def test_norm_chart_downloads_carry_the_strictest_marking_of_every_round(
    layered: Engine, monkeypatch: pytest.MonkeyPatch, ceiling: str
) -> None:
    """The map, trajectory and matrix tables are built from every round: a RED-only older assessment marks them."""
    viewer = _viewer(Role.OFFICIAL, ceiling)
    seen = _download_markings(monkeypatch, viewer, "norms")
    charts = {stem: tlp for stem, tlp in seen.items() if stem.startswith(("norm_adherence", "norm_trajectory"))}
    assert {"norm_adherence", "norm_trajectory"} <= set(charts), seen
    assert any(stem.startswith("norm_status_un-norms") for stem in seen), seen
    for stem, tlp in seen.items():
        if stem != "norm_status":  # the evidence download holds the latest round only
            assert tlp == ceiling, f"{stem} marked {tlp} for a {ceiling} reader"


@pytest.mark.parametrize("ceiling", ["green", "red"])
def test_the_initiated_chart_download_carries_the_marking_of_the_incidents_it_counts(
    layered: Engine, monkeypatch: pytest.MonkeyPatch, ceiling: str
) -> None:
    viewer = _viewer(Role.OFFICIAL, ceiling)
    seen = _download_markings(monkeypatch, viewer, "country", country="EST")
    assert seen.get("EST_initiated") == ceiling, seen


def test_detail_rows_apply_the_visibility_rules_even_when_the_snapshot_is_stale(layered: Engine) -> None:
    """A write the data stamp does not see (here: a marking changed behind the app's back) must not let a table
    read by id show a row above the reader's ceiling."""
    green = _viewer(Role.PARTNER, "green")
    flt = IncidentFilter(tracks=frozenset({EE}))
    before = read.incident_rows(layered, green, flt, limit=500)
    assert {"PATH-clear", "PATH-green"} == set(before["title"])
    stamp = facts.snapshot(layered).stamp
    with layered.begin() as conn:
        conn.execute(text("UPDATE incidents SET tlp = 'red' WHERE title = 'PATH-green'"))
    assert facts.snapshot(layered).stamp == stamp  # the snapshot still holds the old marking
    after = read.incident_rows(layered, green, flt, limit=500)
    assert set(after["title"]) == {"PATH-clear"}


def test_a_restore_style_write_changes_the_data_stamp(layered: Engine) -> None:
    """Restore rewrites versions under the same ids; the write counter in the stamp tells the caches."""
    stamp = facts.snapshot(layered).stamp
    with layered.begin() as conn:
        conn.execute(
            text("UPDATE dataset_versions SET note = note || ' ' WHERE id = (SELECT min(id) FROM dataset_versions)")
        )
    assert facts.snapshot(layered).stamp != stamp


def test_briefing_provenance_lists_only_versions_with_rows_the_reader_may_see(layered: Engine) -> None:
    hidden = store_incidents(layered, EE, [incident("PATH-ONLY-RED", tlp="red", owner=HOST, when=_recent(5))])
    green, red = _viewer(Role.OFFICIAL, "green"), _viewer(Role.OFFICIAL, "red")
    assert hidden not in set(read.active_versions(layered, green)["id"])
    assert hidden in set(read.active_versions(layered, red)["id"])
    counts = read.active_versions(layered, green).set_index("layer")["rows_visible"]
    assert counts["incidents"] == 2 and counts["norms"] == 2  # CLEAR and GREEN of each, not the RED or AMBER ones
    for viewer, expected in ((green, False), (red, True)):
        content = collect(layered, viewer, track=EE, as_of=dt.date.today(), period_days=365)
        assert (hidden in set(content.versions["id"])) is expected

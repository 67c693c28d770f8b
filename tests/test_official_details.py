"""The small things an official notices (issue 13, item 6): whole-number ticks on count axes, one message for a bad
link, the synthetic-data notice only over synthetic rows, withheld rows explained to administrators, "never" for an
account that never signed in, one stated upload limit, rollback choices that say what they are, a grouped timeline.
"""

from __future__ import annotations

import datetime as dt
import tomllib

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, accounts, read
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.core.settings import setting
from dashboard.ingest import versions
from dashboard.ingest.commit import VersionMeta, commit_version
from dashboard.present import charts, labels, maps, palette
from tests.conftest import HOST_ORG, sign_in
from tests.factories import incident, norm, partnership
from tests.test_markdown_escaping import displayed

APP = str(PROJECT_ROOT / "app.py")
ADMIN = local_admin(HOST_ORG)
EE = "eastern-europe"
AS_OF = dt.date(2026, 10, 31)
TRACKS = frozenset({"eastern-europe", "indo-pacific"})


def _viewer(role: Role, ceiling: str = "amber") -> Viewer:
    return Viewer(name=f"{role}-1", role=role, tracks=TRACKS, tlp_ceiling=ceiling, organisation=HOST_ORG)


def put(engine: Engine, layer: str, rows: list[dict], *, synthetic: bool = False, name: str = "t.csv") -> int:
    """Commit rows of a layer into Eastern Europe as one version, synthetic (demo) or real."""
    meta = VersionMeta(
        layer=layer, track_id=EE, uploaded_by="tester", file_name=name, sha256="0" * 64, synthetic=synthetic
    )
    return commit_version(engine, meta, pd.DataFrame(rows))


def open_page(script: str, viewer: Viewer = ADMIN, params: dict[str, str] | None = None) -> AppTest:
    at = sign_in(AppTest.from_file(APP, default_timeout=60), viewer)
    at.switch_page(script)
    at.query_params.update(params or {})
    return at.run()


# ---------------------------------------------------------------- 1. whole-number ticks on count axes


def _whole(axis) -> bool:
    """The axis (or colour bar) writes whole numbers and steps by at least 1."""
    return axis.tickformat == ",d" and (axis.dtick is None or float(axis.dtick) >= 1)


SMALL_COUNT_FIGURES = {
    "trend": lambda: (
        charts.build_trend_figure(
            pd.DataFrame({"month": ["2026-01", "2026-02"], "incident_type": ["ransomware"] * 2, "incidents": [1, 2]}),
            stack_col="incident_type",
        ).layout.yaxis
    ),
    "dyads": lambda: (
        charts.build_dyad_bar(
            pd.DataFrame({"initiator": ["A", "B"], "target": ["C", "D"], "incidents": [2, 1]})
        ).layout.xaxis
    ),
    "count_bar": lambda: (
        charts.build_count_bar(
            pd.DataFrame({"kind": ["ppp", "mou"], "partnerships": [2, 1]}), "kind", "partnerships"
        ).layout.xaxis
    ),
    "movers": lambda: (
        charts.build_movers_bar(
            pd.DataFrame({"country": ["A", "B"], "delta": [2, -1]}), "country", "delta"
        ).layout.xaxis
    ),
    "heatmap": lambda: (
        charts.build_heatmap(
            pd.DataFrame({"incident_type": ["ransomware", "espionage"], "sector": ["energy"] * 2, "incidents": [2, 1]}),
            "incident_type",
            "sector",
            "incidents",
        )
        .data[0]
        .colorbar
    ),
}


@pytest.mark.parametrize("name", list(SMALL_COUNT_FIGURES))
def test_count_axes_with_a_small_maximum_tick_every_whole_number(name: str) -> None:
    axis = SMALL_COUNT_FIGURES[name]()
    assert axis.tickformat == ",d" and axis.dtick == 1 and axis.tick0 == 0  # 0, 1, 2: never 0.5 or 1.5


def test_count_maps_tick_whole_numbers(countries_frame: pd.DataFrame) -> None:
    counts = pd.DataFrame({"iso3": ["EST", "LVA"], "incidents": [1, 2]})
    choropleth = maps.build_country_map(counts, "incidents", countries=countries_frame).data[0]
    assert choropleth.colorbar.dtick == 1 and choropleth.colorbar.tickformat == ",d"
    weighted = pd.DataFrame({"iso3": ["EST", "LVA"], "severity_weighted": [1.5, 2.25]})
    weighted_map = maps.build_country_map(weighted, "severity_weighted", countries=countries_frame)
    assert weighted_map.data[0].colorbar.dtick is None


def test_large_counts_keep_plotly_steps_written_as_integers() -> None:
    frame = pd.DataFrame({"kind": ["ppp", "mou"], "partnerships": [250, 40]})
    axis = charts.build_count_bar(frame, "kind", "partnerships").layout.xaxis
    assert _whole(axis) and axis.dtick is None
    monthly = pd.DataFrame({"month": ["2026-01", "2026-02"], "incident_type": ["other"] * 2, "incidents": [0, 80]})
    assert _whole(charts.build_trend_figure(monthly, stack_col="incident_type").layout.yaxis)


def test_fractional_values_are_not_forced_onto_whole_ticks() -> None:
    frame = pd.DataFrame({"month": ["2026-01", "2026-02"], "score": [0.5, 1.25]})
    axis = charts.build_trend_figure(frame, stack_col=None, value_col="score").layout.yaxis
    assert axis.tickformat is None and axis.dtick is None


@pytest.fixture(scope="module")
def countries_frame() -> pd.DataFrame:
    from dashboard.core.vocabulary import load

    return pd.DataFrame(load("countries.csv"))


# ---------------------------------------------------------------- 8. the partnership timeline


def _projects() -> pd.DataFrame:
    kinds = ["mou", "ppp", "capacity-building", "exercise"]
    rows = []
    for i in range(60):
        rows.append(
            {
                "name": f"Regional programme number {i:02d} for cyber resilience of critical infrastructure",
                "kind": kinds[i % 4],
                "start_date": dt.date(2020, 1, 1) + dt.timedelta(days=20 * i),
                "end_date": None if i % 3 else dt.date(2027, 1, 1),
                "status": "active",
            }
        )
    return pd.DataFrame(rows)


def test_timeline_groups_by_kind_cuts_labels_and_keeps_full_names_on_hover() -> None:
    frame = _projects()
    fig = charts.build_timeline(frame, as_of=AS_OF, labels=labels.KIND_NAMES)
    order = list(fig.layout.yaxis.categoryarray)
    assert len(order) == 60 and len(set(order)) == 60
    assert max(len(label) for label in order) <= charts.TIMELINE_LABEL_CHARS
    full = {name for trace in fig.data for name in trace.customdata[:, 0]}
    assert full == set(frame["name"])  # every full name is in the hover
    assert all("%{customdata[0]}" in trace.hovertemplate for trace in fig.data)
    # grouped: the rows of a kind are together, in the vocabulary's order of kinds
    kind_of = {row: trace.name for trace in fig.data for row in trace.y}
    groups = [kind_of[row] for row in order]
    runs = [k for n, k in enumerate(groups) if n == 0 or groups[n - 1] != k]
    vocabulary = [labels.KIND_NAMES[k] for k in palette.PARTNERSHIP_KIND_COLOURS if labels.KIND_NAMES[k] in runs]
    assert runs == vocabulary
    separators = [s for s in fig.layout.shapes if s.yref == "y"]
    assert len(separators) == len(runs) - 1
    assert fig.layout.height <= charts.TIMELINE_MAX_HEIGHT


def test_timeline_labels_stay_distinct_and_short_when_names_share_a_beginning() -> None:
    frame = _projects().head(12).assign(name=lambda f: "The same very long programme name " * 3 + f.index.astype(str))
    order = list(charts.build_timeline(frame, as_of=AS_OF).layout.yaxis.categoryarray)
    assert len(set(order)) == 12 and max(map(len, order)) <= charts.TIMELINE_LABEL_CHARS


# ---------------------------------------------------------------- 3. synthetic data only when it is shown


def test_synthetic_share_follows_the_rows_the_viewer_sees(engine: Engine) -> None:
    assert read.synthetic_share(engine, ADMIN) is None  # nothing stored
    put(engine, "norms", [norm("EST", "un-norms:a", "2025-01-01", "implemented")])
    assert read.synthetic_share(engine, ADMIN) is None  # only real data
    put(engine, "incidents", [incident("Demo", tlp="amber")], synthetic=True)
    assert read.synthetic_share(engine, ADMIN) == "partly"
    assert read.synthetic_share(engine, ADMIN, ("incidents",)) == "all"
    assert read.synthetic_share(engine, ADMIN, ("norms",)) is None
    green = _viewer(Role.OFFICIAL, "green")  # the demo incident is above their marking
    assert read.synthetic_share(engine, green) is None
    put(engine, "incidents", [incident("Real")])
    assert read.synthetic_share(engine, ADMIN, ("incidents",)) == "partly"
    assert read.synthetic_share(engine, green, ("incidents",)) is None


def test_pages_say_partly_synthetic_beside_real_data_and_nothing_without_demo_data(app_engine: Engine) -> None:
    put(app_engine, "incidents", [incident("Real one")])
    put(app_engine, "partnerships", [partnership("Real hotline", "hotline", ("EST", "LVA"))])
    at = open_page("pages/incidents.py")
    assert not at.exception and not [i for i in at.info if "synthetic" in i.value.lower()]
    put(app_engine, "norms", [norm("EST", "un-norms:a", "2025-01-01", "implemented")], synthetic=True)
    at = open_page("pages/incidents.py")  # the demo norms are not on this page
    assert not [i for i in at.info if "synthetic" in i.value.lower()]
    at = open_page("pages/datasets.py")
    assert [i.value for i in at.info if i.value.startswith("**Partly synthetic demo data.**")]
    at = open_page("pages/norms.py")
    assert [i.value for i in at.info if i.value.startswith("**Synthetic demo data.**")]


# ---------------------------------------------------------------- 2. one message for a bad link


def test_a_link_with_three_bad_values_gets_one_warning_naming_each(app_engine: Engine) -> None:
    at = open_page("pages/incidents.py", params={"track": "narnia", "severity": "9", "period": "fortnight"})
    assert not at.exception
    (warning,) = [displayed(w.value) for w in at.warning]
    assert "narnia" in warning and "severity '9'" in warning and "fortnight" in warning
    assert warning.startswith("Link filters ignored (3):")


# ---------------------------------------------------------------- 4. withheld rows explained to administrators


def test_datasets_page_tells_administrators_only_why_rows_are_not_counted(app_engine: Engine) -> None:
    put(
        app_engine,
        "incidents",
        [incident("Ours"), incident("Theirs", tlp="amber+strict", owner="Other CERT")],
    )
    assert read.withheld_rows(app_engine, ADMIN) == {"incidents": 1}
    with pytest.raises(PermissionError):
        read.withheld_rows(app_engine, _viewer(Role.OFFICIAL))
    at = open_page("pages/datasets.py")
    notes = [displayed(c.value) for c in at.caption if "not counted here" in c.value]
    assert notes == [f"Incidents: 1 stored row is not counted here: {labels.WITHHELD_REASONS['incidents']}."]
    for role in (Role.OFFICIAL, Role.COORDINATOR):
        at = open_page("pages/datasets.py", _viewer(role))
        assert not at.exception and not [c for c in at.caption if "not counted here" in c.value]


# ---------------------------------------------------------------- 5. "never" for an account that never signed in


def test_accounts_page_says_never_for_an_account_that_never_signed_in(app_engine: Engine) -> None:
    accounts.create_user(
        app_engine,
        "olga",
        role="official",
        tracks=[EE],
        organisation=HOST_ORG,
        tlp_ceiling="green",
        password="olga password 123",
        actor=ADMIN,
    )
    at = open_page("pages/accounts.py")
    table = at.dataframe[0].value.set_index("username")
    assert table.loc["olga", "last_sign_in"] == "never"
    accounts.authenticate(app_engine, "olga", "olga password 123", max_failures=100, lockout_minutes=1)
    at = open_page("pages/accounts.py")
    signed = at.dataframe[0].value.set_index("username").loc["olga", "last_sign_in"]
    assert signed != "never" and str(dt.datetime.now(dt.UTC).year) in signed


# ---------------------------------------------------------------- 6. one upload limit


def test_streamlit_upload_limit_equals_the_app_default() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == setting("max_upload_mb").default


def test_upload_page_states_the_limit_from_settings(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_MAX_UPLOAD_MB", "7")
    at = open_page("pages/upload.py")
    assert not at.exception
    assert [c.value for c in at.caption if c.value.startswith("Upload limit: 7 MB a file")]


# ---------------------------------------------------------------- 7. rollback choices that say what they are


def test_rollback_choices_name_version_mode_file_time_author_and_state(app_engine: Engine) -> None:
    first = put(app_engine, "incidents", [incident("One")], name="first.csv")
    put(app_engine, "incidents", [incident("Two")], name="second.csv")
    at = open_page("pages/upload.py")
    options = at.selectbox(key="rb_target").options
    assert len(options) == 2
    second_label, first_label = options  # newest first
    assert second_label.startswith("#2 · append · second.csv · ") and second_label.endswith("by tester · current")
    assert first_label.startswith("#1 · append · first.csv · ") and first_label.endswith("· active (kept by #2)")
    assert " UTC by tester" in first_label
    versions.rollback(app_engine, first, ADMIN)
    options = open_page("pages/upload.py").selectbox(key="rb_target").options
    assert options[0].endswith("· inactive") and options[1].endswith("· current")

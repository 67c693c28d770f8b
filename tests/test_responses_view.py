"""Attributions and responses across incidents (issue 14, item 5): the scoped reads of read/event_timeline.py, the
timeline figure, the Responses page, the country profile's sections and the briefing's one line, on hand-made data
and on the real EuRepoC export."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.present import event_charts
from dashboard.present.labels import period_events_line
from dashboard.read import event_timeline as et
from dashboard.store.models import Incident
from tests.conftest import BACKENDS, HOST_ORG, Database, sign_in
from tests.factories import attribution, incident, response, store_incidents
from tests.test_markdown_escaping import displayed

APP = str(PROJECT_ROOT / "app.py")
EUREPOC = PROJECT_ROOT.parent / "shared" / "datasets" / "EuRepoC_Global_Database_1.1.csv"
TODAY = dt.date.today()
EE, IP = "eastern-europe", "indo-pacific"


def _day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


def _viewer(role: Role = Role.OFFICIAL, ceiling: str = "amber", tracks: tuple[str, ...] = (EE, IP)) -> Viewer:
    return Viewer(
        name=f"t-{role.value}", role=role, tracks=frozenset(tracks), tlp_ceiling=ceiling, organisation=HOST_ORG
    )


def _events(title: str, days: int) -> dict:
    return {
        "attributions": [
            attribution(f"{title} government", when=_day(days), attributor_country="GBR", source="https://a.example"),
            attribution(f"{title} researchers", attributor_country="USA", kind="researcher", confidence="medium"),
        ],
        "responses": [
            response(
                f"{title} sanctions",
                when=_day(days - 5),
                responder_country="GBR",
                kind="sanctions",
                target="RUS",
                link="https://r.example",
            ),
        ],
    }


@pytest.fixture
def events_db(engine: Engine) -> Engine:
    """Eastern Europe: a CLEAR, an AMBER and a RED incident with events; the CLEAR one uploaded into Indo-Pacific
    too (the same source record, counted once); an Indo-Pacific incident with its own events; an incident of today
    without events."""
    store_incidents(
        engine,
        EE,
        [
            {**incident("EE-CLEAR", when=_day(60), targets=("UKR",)), **_events("EE-CLEAR", 50)},
            {**incident("EE-AMBER", tlp="amber", when=_day(40), targets=("POL",)), **_events("EE-AMBER", 30)},
            {**incident("EE-RED", tlp="red", when=_day(40), targets=("EST",)), **_events("EE-RED", 30)},
        ],
    )
    store_incidents(
        engine, IP, [{**incident("EE-CLEAR", when=_day(60), targets=("UKR", "JPN")), **_events("EE-CLEAR", 50)}]
    )
    store_incidents(engine, IP, [{**incident("IP-ONLY", when=_day(20), targets=("JPN",)), **_events("IP-ONLY", 15)}])
    # the newest incident, today: the pages' periods end today (they end on the newest incident when data stops)
    store_incidents(engine, EE, [incident("EE-TODAY", when=_day(0), targets=("UKR",))])
    return engine


def _titles(frame) -> set[str]:
    return set(frame["title"])


def test_events_are_read_only_where_their_incident_is_visible_and_copies_count_once(events_db: Engine) -> None:
    official = _viewer()
    rows = et.event_rows(events_db, official, et.EventFilter())
    assert _titles(rows) == {"EE-CLEAR", "EE-AMBER", "IP-ONLY"}  # RED is above the ceiling
    assert len(rows[rows["title"] == "EE-CLEAR"]) == 3  # uploaded into both tracks, its events counted once
    assert not rows["by"].str.contains("EE-RED").any()
    partner = _viewer(Role.PARTNER, "green", (EE,))
    seen = et.event_rows(events_db, partner, et.EventFilter())
    assert _titles(seen) == {"EE-CLEAR"}  # AMBER above the ceiling, IP-ONLY outside the track
    asked = et.event_rows(events_db, official, et.EventFilter(tracks=frozenset({IP})))
    assert _titles(asked) == {"EE-CLEAR", "IP-ONLY"}  # EE-CLEAR targets Japan too: it belongs to both
    admin = local_admin(HOST_ORG)
    assert "EE-RED" in _titles(et.event_rows(events_db, admin, et.EventFilter()))


def test_filters_by_period_kind_and_state_in_sql_and_on_the_frame_agree(events_db: Engine) -> None:
    official = _viewer()
    everything = et.event_rows(events_db, official, et.EventFilter())
    undated = everything[~everything["dated"]]
    assert set(undated["kind"]) == {"researcher"}  # no date: placed at the incident's start
    assert all(
        d == dt.date.fromisoformat(_day(60 if t == "EE-CLEAR" else 40 if t == "EE-AMBER" else 20))
        for d, t in zip(undated["date"], undated["title"], strict=True)
    )
    cases = [
        et.EventFilter(start=TODAY - dt.timedelta(days=35)),
        et.EventFilter(kinds=frozenset({"response:sanctions"})),
        et.EventFilter(kinds=frozenset({"attribution:*"})),
        et.EventFilter(states=frozenset({"USA"}), role="actor"),
        et.EventFilter(states=frozenset({"RUS"}), role="target"),
        et.EventFilter(states=frozenset({"GBR"}), role="target"),
    ]
    for flt in cases:
        in_sql = et.event_rows(events_db, official, flt)
        by_frame = et.select_events(everything, flt.kinds, flt.states, flt.role)
        if flt.start:
            by_frame = by_frame[by_frame["date"] >= flt.start]
        assert sorted(map(tuple, in_sql[["title", "event", "kind"]].values)) == sorted(
            map(tuple, by_frame[["title", "event", "kind"]].values)
        ), flt
    assert len(et.event_rows(events_db, official, cases[1])) == 3
    assert set(et.event_rows(events_db, official, cases[2])["event"]) == {"attribution"}
    assert et.event_rows(events_db, official, cases[5]).empty
    counts = et.event_kind_counts(events_db, official, et.EventFilter())
    assert counts.groupby("event")["events"].sum().to_dict() == {"attribution": 6, "response": 3}
    assert set(counts["tlp"]) == {"clear", "amber"}


def test_a_states_events_split_into_made_and_received(events_db: Engine) -> None:
    frames = et.state_events(events_db, _viewer(), "GBR", et.EventFilter())
    assert {k: len(v) for k, v in frames.items()} == {
        "attributed_by": 3,
        "attributed_to": 0,
        "responses_made": 3,
        "responses_received": 0,
    }
    russia = et.state_events(events_db, _viewer(), "RUS", et.EventFilter())
    assert len(russia["attributed_to"]) == 6 and len(russia["responses_received"]) == 3
    assert russia["attributed_by"].empty and russia["responses_made"].empty


def test_the_timeline_draws_every_event_coloured_by_kind(events_db: Engine) -> None:
    from dashboard.app.responses_panel import KIND_NAMES, described

    events = described(et.event_rows(events_db, _viewer(), et.EventFilter()))
    fig = event_charts.build_event_timeline(events.assign(row=events["state_row"]), kind_names=KIND_NAMES)
    assert sum(len(trace.x) for trace in fig.data) == len(events) == 9
    names = {trace.name for trace in fig.data}
    assert names == {"Attribution: Government", "Attribution: Researchers", "Response: Sanctions"}
    colours = {trace.name: trace.marker.color for trace in fig.data}
    assert len(set(colours.values())) == 3
    hover = " ".join(str(c) for trace in fig.data for row in trace.customdata for c in row)
    assert "EE-AMBER" in hover and "https://r.example" in hover and "Russia" in hover
    researchers = next(t for t in fig.data if t.name == "Attribution: Researchers")
    assert all(s.endswith("-open") for s in researchers.marker.symbol)  # undated: hollow
    assert set(fig.layout.yaxis.categoryarray) == {"United Kingdom", "United States"}
    assert event_charts.build_event_timeline(events.iloc[:0].assign(row=[]), kind_names=KIND_NAMES).data == ()


def test_the_briefing_line_is_worded_once() -> None:
    import pandas as pd

    counts = pd.DataFrame(
        [
            ("attribution", "government", "clear", 2),
            ("attribution", "media", "amber", 2),
            ("response", "sanctions", "clear", 1),
            ("response", "statement", "clear", 2),
        ],
        columns=["event", "kind", "tlp", "events"],
    )
    assert period_events_line(counts) == (
        "In the period: 4 new attributions (2 by governments) and 3 responses (2 statements, 1 sanction)."
    )
    assert period_events_line(counts.iloc[:0]) == "In the period: no new attributions or responses recorded."


def _app(engine: Engine, viewer: Viewer, script: str, params: dict[str, str] | None = None) -> AppTest:
    at = sign_in(AppTest.from_file(APP, default_timeout=90), viewer)
    at.switch_page(script)
    at.query_params.update(params or {})
    return at.run()


def _all_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("title", "markdown", "caption", "info", "warning") for e in getattr(at, kind)]
    parts += [m.label + " " + str(m.value) for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    return "\n".join(parts)


@pytest.fixture
def app_events(events_db: Engine, app_engine: Engine) -> Engine:
    return app_engine


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.COORDINATOR])
def test_the_responses_page_shows_the_timeline_the_table_and_downloads(app_events: Engine, role: Role) -> None:
    at = _app(app_events, _viewer(role), "pages/responses.py")
    assert not at.exception, at.exception
    assert at.title[0].value == "Attributions and responses"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Attributions": "6", "By governments": "3", "Responses": "3", "Incidents": "3"}
    table = next(df.value for df in at.dataframe if "incident" in df.value.columns)
    assert set(table["incident"]) == {"EE-CLEAR", "EE-AMBER", "IP-ONLY"}
    assert "https://r.example" in set(table["source"])
    text = _all_text(at)
    assert "EE-RED" not in text and "TLP:AMBER" in " ".join(m.value for m in at.markdown)
    assert at.get("plotly_chart") and {b.label for b in at.get("download_button")} >= {"Download CSV"}
    # Narrow to sanctions aimed at Russia: the URL keeps the choice.
    at.multiselect(key="ev_kinds").set_value(["response:sanctions"]).run()
    at.multiselect(key="ev_states").set_value(["RUS"]).run()
    at.radio(key="ev_role").set_value("target").run()
    assert {m.label: m.value for m in at.metric}["Responses"] == "3"
    assert {m.label: m.value for m in at.metric}["Attributions"] == "0"
    assert at.query_params["kinds"] == "response:sanctions" and at.query_params["as"] == "target"


def test_the_responses_page_for_a_partner_of_one_track(app_events: Engine) -> None:
    at = _app(app_events, _viewer(Role.PARTNER, "green", (EE,)), "pages/responses.py", {"track": EE})
    assert not at.exception
    text = _all_text(at)
    assert "EE-CLEAR" in text and "EE-AMBER" not in text and "IP-ONLY" not in text


def test_the_country_profile_lists_a_states_attributions_and_responses(app_events: Engine) -> None:
    at = _app(app_events, _viewer(), "pages/country.py", {"country": "RUS"})
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Attributed to"] == "6" and metrics["Responses received"] == "3"
    assert metrics["Attributed by"] == "0" and metrics["Responses made"] == "0"
    subheaders = [h.value for h in at.subheader]
    assert "Attributed by / attributed to" in subheaders and "Responses made / received" in subheaders
    tables = [df.value for df in at.dataframe if {"by", "against", "source"} <= set(df.value.columns)]
    assert len(tables) == 2 and "https://r.example" in set(tables[1]["source"])
    assert "EE-RED" not in _all_text(at)


def test_the_briefing_says_the_new_attributions_and_responses_on_the_page_and_in_the_export(
    app_events: Engine, tmp_path
) -> None:
    from dashboard.export import briefing as bx

    line = "In the period: 6 new attributions (3 by governments) and 3 responses (3 sanctions)."
    at = _app(app_events, _viewer(), "pages/briefing.py")
    assert not at.exception, at.exception
    assert line in [displayed(m.value) for m in at.markdown]
    official = _viewer()
    html = bx.render_html(app_events, official, track="both", as_of=TODAY, period_days=365).decode("utf-8")
    assert line in html
    assert "EE-RED" not in html
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is missing: apt-get install poppler-utils")
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(bx.render_pdf(app_events, official, track="both", as_of=TODAY, period_days=365))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert line in " ".join(text.split())
    green = bx.render_html(app_events, _viewer(Role.PARTNER, "green", (EE,)), track=EE, as_of=TODAY).decode()
    assert "In the period: 2 new attributions (1 by a government) and 1 response (1 sanction)." in green


real_export = pytest.mark.skipif(not EUREPOC.exists(), reason=f"the real export is not at {EUREPOC}")


@pytest.fixture(scope="module", params=BACKENDS)
def eurepoc(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """EuRepoC 1.1 uploaded into both tracks (once per backend), as tests/test_attributions.py does."""
    from dashboard.ingest import pipeline
    from dashboard.ops.bootstrap import initialise

    if not EUREPOC.exists():
        pytest.skip(f"the real export is not at {EUREPOC}")
    db = Database(request.param, tmp_path_factory.mktemp("eurepoc_events"))
    initialise(db.engine)
    admin = local_admin(HOST_ORG)
    for track in (EE, IP):
        prepared = pipeline.prepare(
            db.engine,
            admin,
            layer="incidents",
            track=track,
            file_name=EUREPOC.name,
            data=EUREPOC.read_bytes(),
            max_bytes=10**8,
        )
        pipeline.commit(db.engine, prepared, admin, skip_invalid=True)
    yield db.engine
    db.drop()


@real_export
def test_on_eurepoc_russia_is_attributed_to_and_the_united_states_attributes(eurepoc: Engine) -> None:
    official = _viewer(ceiling="amber")
    russia = et.state_events(eurepoc, official, "RUS", et.EventFilter())
    usa = et.state_events(eurepoc, official, "USA", et.EventFilter())
    assert len(russia["attributed_to"]) >= 100 and len(usa["attributed_by"]) >= 50
    assert len(usa["responses_made"]) >= 10  # EuRepoC names no target: nothing is "received"
    assert russia["responses_received"].empty
    assert (usa["attributed_by"]["link"].str.startswith("http")).mean() > 0.5
    both = et.event_rows(eurepoc, official, et.EventFilter())
    one = et.event_rows(eurepoc, official, et.EventFilter(tracks=frozenset({EE})))
    # EuRepoC is stored in both tracks: each source record's events are read from one copy only
    with eurepoc.connect() as conn:
        keys = conn.execute(
            select(Incident.id, Incident.source_key).where(Incident.id.in_(both["incident_id"].unique().tolist()))
        ).all()
    assert len(keys) == both["incident_id"].nunique() and len({k for _, k in keys}) == len(keys)
    assert len(one) < len(both)
    outsider = _viewer(Role.PARTNER, "green", (EE,))
    assert et.event_rows(eurepoc, outsider, et.EventFilter()).empty  # EuRepoC rows are stored as AMBER


@real_export
def test_on_eurepoc_the_pages_and_the_briefing_show_the_events(eurepoc: Engine, monkeypatch) -> None:
    from dashboard.analysis.briefing import build_briefing
    from dashboard.core.filters import ViewFilter

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", eurepoc.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_DEMO_MODE", "false")
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        official = _viewer(ceiling="amber")
        at = _app(eurepoc, official, "pages/country.py", {"country": "RUS", "period": "all"})
        assert not at.exception, at.exception
        assert int({m.label: m.value for m in at.metric}["Attributed to"].replace(",", "")) >= 100
        at = _app(eurepoc, official, "pages/country.py", {"country": "USA", "period": "all"})
        assert int({m.label: m.value for m in at.metric}["Attributed by"].replace(",", "")) >= 50
        at = _app(eurepoc, official, "pages/responses.py", {"period": "all", "states": "RUS", "as": "target"})
        assert not at.exception, at.exception
        table = next(df.value for df in at.dataframe if "incident" in df.value.columns)
        assert len(table) >= 100 and at.get("plotly_chart")
        view = ViewFilter(period="custom", start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31))
        brief = build_briefing(eurepoc, official, view, dt.date(2022, 12, 31))
        line = period_events_line(brief.event_counts)
        assert line.startswith("In the period: ") and "new attributions (" in line and "by governments)" in line
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()

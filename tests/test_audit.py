"""The audit trail can be read (administrators only: page, read layer, CLI), and downloads and briefing exports made
in the app or on the command line are recorded in it with the file name, marking and rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT
from dashboard.accounts import sharing
from dashboard.core.access import Permission, Role, Viewer, local_admin
from dashboard.core.pages import PAGES
from dashboard.read import audit as audit_read
from dashboard.store.models import AuditEvent
from tests.conftest import TEST_SECRET, Database, sign_in
from tests.factories import incident, store_incidents

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
ADMIN = local_admin(HOST)
TODAY = dt.datetime.now(dt.UTC).date()


def _viewer(role: Role, **kw) -> Viewer:
    ceiling = "amber" if role == Role.PARTNER else "red"
    return Viewer(name=f"t-{role.value}", role=role, tracks=frozenset({"eastern-europe"}), tlp_ceiling=ceiling,
                  organisation=HOST, **kw)  # fmt: skip


def _event(engine: Engine, actor: str, action: str, days_ago: int, **detail) -> None:
    at = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(12), tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(AuditEvent).values(at=at, actor=actor, action=action, object_type="user", detail=detail))


@pytest.fixture
def trail(app_engine: Engine) -> Engine:
    """Five events by three actors over 40 days (newest last)."""
    _event(app_engine, "olga", "auth.sign_in", 40)
    _event(app_engine, "olga", "auth.failure", 10, reason="wrong password")
    _event(app_engine, "mallory\x1b[31m", "auth.failure", 5, reason="unknown or disabled")
    _event(app_engine, "alice", "user.create", 2, username="olga")
    _event(app_engine, "olga", "download", 0, file_name="incidents_TLP-GREEN.csv", rows=3)
    return app_engine


def _actions(engine: Engine, action: str) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        stmt = select(AuditEvent.actor, AuditEvent.object_id, AuditEvent.detail).where(AuditEvent.action == action)
        return [(a, o, d) for a, o, d in conn.execute(stmt.order_by(AuditEvent.id))]


# ----------------------------------------------------------------------------------------------- the read layer


def test_the_read_layer_filters_by_actor_action_and_days(trail: Engine) -> None:
    def actors(**kw) -> list[tuple[str, str]]:
        events = audit_read.audit_events(trail, ADMIN, audit_read.AuditFilter(**kw))
        return list(zip(events["actor"], events["action"], strict=True))

    assert len(actors()) == 5
    assert actors(actor="olga") == [("olga", "download"), ("olga", "auth.failure"), ("olga", "auth.sign_in")]
    assert [a for _, a in actors(actions=("auth",))] == ["auth.failure", "auth.failure", "auth.sign_in"]
    assert actors(actions=("auth.failure", "download"), actor="olga") == [
        ("olga", "download"),
        ("olga", "auth.failure"),
    ]
    assert [a for a, _ in actors(since=TODAY - dt.timedelta(days=10), until=TODAY - dt.timedelta(days=2))] == [
        "alice",
        "mallory\x1b[31m",
        "olga",
    ]  # both days included
    assert actors(actions=("auth%",)) == [] and actors(actions=("auth_failure",)) == []  # no LIKE wildcards
    flt = audit_read.AuditFilter(actor="olga")
    assert audit_read.audit_count(trail, ADMIN, flt) == 3
    assert len(audit_read.audit_events(trail, ADMIN, flt, 2)) == 2
    assert audit_read.audit_actors(trail, ADMIN)[0] == "olga"  # most recently active first
    assert audit_read.audit_actions(trail, ADMIN) == ["auth.failure", "auth.sign_in", "download", "user.create"]


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.COORDINATOR, Role.PARTNER])
def test_the_read_layer_refuses_everyone_but_administrators(trail: Engine, role: Role) -> None:
    viewer = _viewer(role)
    for read in (audit_read.audit_actors, audit_read.audit_actions):
        with pytest.raises(audit_read.AuditAccessDenied):
            read(trail, viewer)
    with pytest.raises(audit_read.AuditAccessDenied):
        audit_read.audit_events(trail, viewer, audit_read.AuditFilter())
    with pytest.raises(audit_read.AuditAccessDenied):
        audit_read.audit_count(trail, viewer, audit_read.AuditFilter())
    narrowed_admin = Viewer(name="a", role=Role.ADMIN, tracks=frozenset({"eastern-europe"}), tlp_ceiling="red",
                            organisation=HOST, permissions=frozenset({Permission.VIEW_INCIDENTS}))  # fmt: skip
    with pytest.raises(audit_read.AuditAccessDenied):
        audit_read.audit_events(trail, narrowed_admin, audit_read.AuditFilter())


def test_only_administrators_hold_the_audit_permission_and_it_is_never_shared() -> None:
    spec = next(p for p in PAGES if p.key == "audit")
    assert spec.permission == Permission.VIEW_AUDIT and spec.url_path == "audit"
    assert {r for r in Role if _viewer(r).can(Permission.VIEW_AUDIT)} == {Role.ADMIN}
    assert "audit" not in sharing.SHAREABLE_PAGES


# ------------------------------------------------------------------------------------------------ the Audit page


def _open(viewer: Viewer | None, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if viewer is not None:
        sign_in(at, viewer)
    at.switch_page("pages/audit.py")
    at.query_params.update(params or {})
    return at.run()


def test_an_administrator_reads_and_filters_the_trail(trail: Engine) -> None:
    at = _open(ADMIN)
    assert not at.exception and at.title[0].value == "Audit trail"
    shown = at.dataframe[0].value
    assert list(shown["actor"]) == ["olga", "alice", "mallory\x1b[31m", "olga"]  # the last 30 days, newest first
    assert any("All 4 matching events" in c.value for c in at.caption)
    assert "reason: wrong password" in set(shown["detail"])
    at.selectbox(key="audit_actor").set_value("olga").run()
    assert list(at.dataframe[0].value["action"]) == ["download", "auth.failure"]
    at.multiselect(key="audit_actions").set_value(["auth.failure"]).run()
    assert list(at.dataframe[0].value["action"]) == ["auth.failure"]
    at.selectbox(key="audit_actor").set_value("").run()
    at.date_input(key="audit_days").set_value((TODAY - dt.timedelta(days=50), TODAY - dt.timedelta(days=6))).run()
    assert not at.exception
    assert list(at.dataframe[0].value["actor"]) == ["olga"]  # auth.failure 10 days ago; the one 5 days ago is later
    at.date_input(key="audit_days").set_value((TODAY - dt.timedelta(days=1), TODAY)).run()
    assert not at.dataframe and any("No events match" in i.value for i in at.info)


def test_the_csv_download_of_the_trail_is_itself_audited(trail: Engine) -> None:
    at = _open(ADMIN)
    at.download_button(key="audit_csv").click().run()
    assert not at.exception
    [(actor, object_id, detail)] = _actions(trail, "download")[1:]
    assert actor == ADMIN.name and object_id.startswith("audit_trail_TLP-AMBER+STRICT_")
    assert detail["rows"] == 4 and detail["marking"] == "TLP:AMBER+STRICT" and detail["filter"]["actor"] == ""


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.COORDINATOR, Role.PARTNER])
def test_no_one_else_opens_the_audit_page(trail: Engine, role: Role) -> None:
    at = _open(_viewer(role))
    assert not at.exception
    assert any("do not have access" in e.value for e in at.error)
    assert not at.dataframe and not at.download_button and "olga" not in " ".join(m.value for m in at.markdown)


def test_a_share_link_does_not_open_the_audit_page(trail: Engine) -> None:
    link = sharing.create_link(
        trail, ADMIN, organisation="Grid ISAC", tracks=["eastern-europe"], tlp_ceiling="green", days=5,
        secret_key=TEST_SECRET,
    )  # fmt: skip
    at = _open(None, {"share": link.token})
    assert not at.exception and any("do not have access" in e.value for e in at.error)
    assert not at.dataframe and not at.download_button


def test_without_signing_in_the_audit_page_shows_the_sign_in_form(trail: Engine) -> None:
    at = _open(None)
    assert at.text_input(key="sign_in_user") is not None and not at.dataframe


# ---------------------------------------------------------------------------------- downloads and exports in the app


@pytest.fixture
def incidents(app_engine: Engine) -> Engine:
    recent = (TODAY - dt.timedelta(days=20)).isoformat()
    rows = [incident(f"Incident {i}", tlp="green", when=recent, targets=("EST",)) for i in range(3)]
    store_incidents(app_engine, "eastern-europe", rows)
    return app_engine


def _page(viewer: Viewer | None, script: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if viewer is not None:
        sign_in(at, viewer)
    at.switch_page(script)
    at.query_params.update(params)
    return at.run()


def test_table_and_chart_downloads_are_audited_with_file_marking_and_rows(incidents: Engine) -> None:
    at = _page(ADMIN, "pages/incidents.py", {"period": "12m"})
    assert not at.exception
    assert _actions(incidents, "download") == []  # showing a button records nothing
    at.download_button(key="inc_rows_csv").click().run()
    at.download_button(key="inc_rows_xlsx").click().run()
    at.download_button(key="inc_map_table_csv").click().run()
    assert not at.exception
    events = _actions(incidents, "download")
    names = [o for _, o, _ in events]
    assert [n.rsplit("_", 1)[0] for n in names] == [
        "incidents_TLP-GREEN",
        "incidents_TLP-GREEN",
        "incidents_by_country_TLP-GREEN",
    ]
    assert names[0].endswith(".csv") and names[1].endswith(".xlsx")
    assert {a for a, _, _ in events} == {ADMIN.name}
    assert [d["rows"] for _, _, d in events] == [3, 3, 1]  # three incidents; one country on the map
    assert {d["marking"] for _, _, d in events} == {"TLP:GREEN"}
    assert [d["file_name"] for _, _, d in events] == names


def test_a_share_link_download_names_the_link(incidents: Engine) -> None:
    link = sharing.create_link(
        incidents, ADMIN, organisation="Grid ISAC", tracks=["eastern-europe"], tlp_ceiling="green", days=5,
        secret_key=TEST_SECRET,
    )  # fmt: skip
    at = _page(None, "pages/incidents.py", {"share": link.token, "period": "12m"})
    at.download_button(key="inc_rows_csv").click().run()
    assert not at.exception
    [(actor, _, detail)] = _actions(incidents, "download")
    assert actor == f"share:{link.id}" and detail["rows"] == 3


def test_briefing_exports_in_the_app_are_audited(incidents: Engine) -> None:
    official = _viewer(Role.OFFICIAL)
    at = _page(official, "pages/briefing.py", {"period": "12m", "track": "eastern-europe"})
    assert not at.exception
    at.download_button(key="briefing_pdf").click().run()
    at.download_button(key="briefing_html").click().run()
    events = _actions(incidents, "briefing.export")
    assert [(a, d["format"], d["track"], d["marking"]) for a, _, d in events] == [
        (official.name, "pdf", "eastern-europe", "TLP:GREEN"),
        (official.name, "html", "eastern-europe", "TLP:GREEN"),
    ]
    assert events[0][1].startswith("briefing_eastern-europe_") and "_TLP-GREEN_" in events[0][1]
    assert events[0][2]["period_days"] == 365 and events[0][2]["as_of"]


# ---------------------------------------------------------------------------------------------- the command line


def _cli(*args: str, url: str) -> tuple[int, str, str]:
    from tests.test_cli import run

    result = run(*args, url=url)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def cli_trail(database: Database) -> Database:
    from dashboard import accounts
    from dashboard.ops.bootstrap import initialise

    initialise(database.engine)
    for name, role in (("ada", "admin"), ("olga", "official")):
        accounts.create_user(database.engine, name, role=role, tracks=["eastern-europe"], organisation=HOST,
                             tlp_ceiling="green", password="a long password 123", actor=ADMIN)  # fmt: skip
    _event(database.engine, "olga", "auth.failure", 10, reason="wrong password")
    _event(database.engine, "mallory\x1b[31m", "auth.failure", 5, reason="unknown or disabled")
    _event(database.engine, "=2+5", "auth.failure", 3, reason="unknown or disabled")  # a name typed at sign-in
    _event(database.engine, "olga", "download", 1, file_name="incidents_TLP-GREEN.csv", rows=3)
    return database


def test_the_audit_command_prints_and_filters_the_trail(cli_trail: Database) -> None:
    url = cli_trail.url
    since, until = (TODAY - dt.timedelta(days=11)).isoformat(), (TODAY - dt.timedelta(days=5)).isoformat()
    code, out, err = _cli("audit", "--action", "auth.failure", "--since", since, "--until", until, url=url)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split() == ["at", "(UTC)", "actor", "action", "object", "detail"]
    assert len(lines) == 3 and "mallory?[31m" in lines[1] and "\x1b" not in out  # no terminal escapes
    code, out, _ = _cli("audit", "--actor", "olga", "--action", "download", url=url)
    assert code == 0 and len(out.strip().splitlines()) == 2 and "download" in out
    code, out, _ = _cli("audit", "--actor", "nobody", url=url)
    assert code == 0 and out.strip() == "no matching events"


def test_the_audit_command_writes_csv_and_audits_that(cli_trail: Database, tmp_path: Path) -> None:
    out_file = tmp_path / "trail.csv"
    args = ("audit", "--action", "auth.failure", "--csv", str(out_file), "--user", "ada")
    code, out, err = _cli(*args, url=cli_trail.url)
    assert code == 0, err
    assert out.strip() == f"{out_file}: 3 events"
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8-sig"))))
    assert [r["actor"] for r in rows] == ["'=2+5", "mallory\x1b[31m", "olga"]  # the formula is defused
    assert rows[2]["detail"] == "reason: wrong password"
    [(actor, object_id, detail)] = _actions(cli_trail.engine, "download")[1:]
    assert (actor, object_id, detail["rows"], detail["source"]) == ("ada", "trail.csv", 3, "cli")
    assert detail["filter"]["actions"] == ["auth.failure"]


def test_the_audit_command_refuses_others_and_bad_input(cli_trail: Database) -> None:
    url = cli_trail.url
    code, _, err = _cli("audit", "--user", "olga", url=url)
    assert code == 1 and "only administrators may read the audit trail" in err and len(err.strip().splitlines()) == 1
    code, _, err = _cli("audit", "--since", "2026-02-01", "--until", "2026-01-01", url=url)
    assert code == 1 and "--since is after --until" in err
    code, _, err = _cli("audit", "--since", "01/02/2026", url=url)
    assert code == 2 and "Traceback" not in err
    code, out, _ = _cli("audit", "--help", url=url)
    assert code == 0 and "--actor" in out and "--csv FILE" in out


def test_the_briefing_command_audits_the_export(cli_trail: Database, tmp_path: Path) -> None:
    out_file = tmp_path / "brief.html"
    code, _, err = _cli("briefing", "--track", "eastern-europe", "--out", str(out_file), "--user", "ada",
                        url=cli_trail.url)  # fmt: skip
    assert code == 0, err
    [(actor, object_id, detail)] = _actions(cli_trail.engine, "briefing.export")
    assert (actor, object_id, detail["format"], detail["track"], detail["source"]) == (
        "ada",
        "brief.html",
        "html",
        "eastern-europe",
        "cli",
    )
    assert detail["marking"].startswith("TLP:") and detail["period_days"] == 365

"""Who sees what: every role x every page x every TLP ceiling, share links, deep links without signing in.

The database holds one incident, one norm assessment and one partnership at each TLP level in Eastern Europe
(each carrying its level in its title or URL, e.g. LEAK-AMBER) and an Indo-Pacific incident. A viewer must never
see a row, title or count above its ceiling or outside its tracks, on any page or in any chart.

The paths beyond the pages are in their own files: rows read by id from a stale snapshot, chart-table download
markings and briefing provenance (test_access_paths.py), the detail rows after a restore under a running session
(test_backup.py), the upload comparison as a probe (test_upload_visibility.py), deferred downloads after a link is
revoked (test_download_guard.py), and the Audit trail (test_audit.py).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, read
from dashboard.accounts import sharing
from dashboard.core.access import Permission, Role, Viewer, local_admin
from dashboard.core.pages import PAGES
from dashboard.core.tlp import TLP_ORDER
from tests.conftest import TEST_SECRET, sign_in
from tests.factories import attribution, incident, norm, partnership, response, store, store_incidents

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
LEVELS = {"clear": "CLEAR", "green": "GREEN", "amber": "AMBER", "amber+strict": "STRICT", "red": "RED"}
IP_MARK = "LEAK-INDO-PACIFIC"


def _recent(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def marked(app_engine: Engine) -> Engine:
    engine = app_engine
    rows = [
        {
            **incident(f"LEAK-{m}-INCIDENT", tlp=t, owner=HOST, when=_recent(20 + i), targets=("EST",)),
            # Events carry the incident's mark: Ukraine attributes it and responds (its country profile, the
            # profile shown by default, and the Responses page list them), aimed at Russia.
            "attributions": [
                attribution(f"LEAK-{m}-ATTRIBUTOR", when=_recent(20 + i), attributor_country="UKR", source="")
            ],
            "responses": [response(f"LEAK-{m}-RESPONDER", when=_recent(20 + i), responder_country="UKR", target="RUS")],
        }
        for i, (t, m) in enumerate(LEVELS.items())
    ]
    store_incidents(engine, "eastern-europe", rows)
    store_incidents(engine, "indo-pacific", [incident(IP_MARK, when=_recent(10), targets=("SGP",))])
    store(
        engine,
        "norms",
        "eastern-europe",
        [
            {
                **norm("EST", f"un-norms:{code}", _recent(40), "implemented", tlp=t),
                "evidence_url": f"https://example.org/LEAK-{m}-NORM",
                "owner_org": HOST,
            }
            for code, (t, m) in zip("abcde", LEVELS.items())
        ],
    )
    store(
        engine,
        "partnerships",
        "eastern-europe",
        [
            {
                **partnership(f"LEAK-{m}-PARTNERSHIP", "hotline" if t == "clear" else "mou", ("EST", "LVA"), tlp=t),
                "owner_org": HOST,
            }
            for t, m in LEVELS.items()
        ],
    )
    return engine


def _text(at: AppTest) -> str:
    """Everything a page shows: text elements, tables and the data inside charts."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "metric"):
        for element in getattr(at, kind):
            parts.append(f"{getattr(element, 'label', '')} {element.value}")
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    for chart in at.get("plotly_chart"):
        parts.append(chart.proto.spec)
    return "\n".join(parts)


def _open(viewer: Viewer | None, page_script: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if viewer is not None:
        sign_in(at, viewer)
    at.switch_page(page_script)
    at.query_params.update(params or {})
    return at.run()


def _viewers() -> list[tuple[str, Viewer]]:
    out = []
    for role in Role:
        ceilings = TLP_ORDER if role != Role.PARTNER else ("clear", "green", "amber")
        for ceiling in ceilings:
            tracks = (
                frozenset({"eastern-europe", "indo-pacific"}) if role != Role.PARTNER else frozenset({"eastern-europe"})
            )
            org = HOST if role != Role.PARTNER else "Grid ISAC"
            out.append(
                (
                    f"{role.value}-{ceiling}",
                    Viewer(name=f"t-{role.value}", role=role, tracks=tracks, tlp_ceiling=ceiling, organisation=org),
                )
            )
    return out


VIEWERS = _viewers()


@pytest.mark.parametrize(("label", "viewer"), VIEWERS, ids=[v[0] for v in VIEWERS])
def test_every_page_shows_only_what_the_viewer_may_see(marked: Engine, label: str, viewer: Viewer) -> None:
    visible = set(viewer.visible_tlp) - ({"amber+strict"} if viewer.organisation != HOST else set())
    for page in PAGES:
        at = _open(viewer, page.script, {"period": "all"})
        assert not at.exception, f"{label} {page.key}: {at.exception}"
        text = _text(at)
        if not viewer.can(page.permission):
            assert any("do not have access" in e.value for e in at.error), f"{label} should be refused {page.key}"
            assert not at.metric and not at.dataframe and not at.get("plotly_chart")
            continue
        for tlp, mark in LEVELS.items():
            if tlp not in visible:
                assert f"LEAK-{mark}" not in text, f"{label} sees a {tlp} row on {page.key}"
        if "indo-pacific" not in viewer.tracks:
            assert IP_MARK not in text and "Singapore" not in text
        if page.key in {"responses", "country"}:  # the events the viewer may see are there (so the check above bites)
            for tlp in visible:
                for who in ("ATTRIBUTOR", "RESPONDER"):
                    assert f"LEAK-{LEVELS[tlp]}-{who}" in text, f"{label} misses a {tlp} {who.lower()} on {page.key}"
        if page.key == "incidents":
            expected = len(visible) + (1 if "indo-pacific" in viewer.tracks else 0)
            shown = {m.label: m.value for m in at.metric}["Incidents"]
            assert shown == str(expected), f"{label}: incidents count {shown}, expected {expected}"
            table = next(df.value for df in at.dataframe if "title" in df.value.columns)
            assert {f"LEAK-{LEVELS[t]}-INCIDENT" for t in visible} <= set(table["title"])


def test_a_deep_link_without_signing_in_renders_no_data(marked: Engine) -> None:
    for page in PAGES:
        for at in (_open(None, page.script), AppTest.from_file(str(page.path), default_timeout=60).run()):
            assert not at.exception
            assert at.text_input(key="sign_in_user") is not None
            assert not at.metric and not at.dataframe and not at.get("plotly_chart")
            assert "LEAK-" not in _text(at)


def test_signing_in_through_the_form(marked: Engine) -> None:
    from dashboard import accounts

    accounts.create_user(
        marked,
        "olga",
        role="official",
        tracks=["eastern-europe"],
        organisation=HOST,
        tlp_ceiling="green",
        password="official password",
        actor=local_admin(HOST),
    )
    at = _open(None, "pages/incidents.py", {"period": "all"})
    at.text_input(key="sign_in_user").input("olga")
    at.text_input(key="sign_in_password").input("wrong password")
    at.button[0].click().run()
    assert any("Wrong username or password" in e.value for e in at.error) and not at.metric
    at.text_input(key="sign_in_password").input("official password")
    at.button[0].click().run()
    assert {m.label: m.value for m in at.metric}["Incidents"] == "2"  # CLEAR and GREEN in Eastern Europe
    # Signing out is a sidebar button that AppTest does not expose here; the browser test clicks it.


def test_idle_sessions_are_signed_out(marked: Engine) -> None:
    at = _open(
        Viewer(
            name="x", role=Role.OFFICIAL, tracks=frozenset({"eastern-europe"}), tlp_ceiling="amber", organisation=HOST
        ),
        "pages/incidents.py",
    )
    assert at.metric
    at.session_state["_last_seen"] = time.time() - 31 * 60
    at.run()
    assert not at.metric
    assert any("signed out after 30 minutes" in i.value for i in at.info)


def _link(engine: Engine, **kw) -> str:
    creator = Viewer(
        name="coord",
        role=Role.COORDINATOR,
        tracks=frozenset({"eastern-europe"}),
        tlp_ceiling="amber+strict",
        organisation=HOST,
    )
    args = {
        "organisation": "Grid ISAC",
        "tracks": ["eastern-europe"],
        "tlp_ceiling": "green",
        "days": 30,
        "secret_key": TEST_SECRET,
    } | kw
    return sharing.create_link(engine, creator, **args).token


def test_a_green_share_link_shows_a_banner_and_never_anything_above_green(marked: Engine) -> None:
    token = _link(marked, pages=["briefing", "incidents", "norms", "partnerships", "country"])
    for page in PAGES:
        at = _open(None, page.script, {"share": token, "period": "all"})
        assert not at.exception
        banner = " ".join(i.value for i in at.info)
        if page.key == "datasets":
            assert not at.metric and not at.dataframe
            continue
        assert "Shared with **Grid ISAC**" in banner and "TLP:GREEN" in banner and "valid until" in banner
        text = _text(at)
        for mark in ("AMBER", "STRICT", "RED"):
            assert f"LEAK-{mark}" not in text, f"share link shows an {mark} row on {page.key}"
        assert IP_MARK not in text
    rows = read.incident_rows(
        marked, sharing.open_link(marked, token, secret_key=TEST_SECRET).viewer, read.IncidentFilter(), None
    )
    assert sorted(rows["title"]) == ["LEAK-CLEAR-INCIDENT", "LEAK-GREEN-INCIDENT"]


def test_a_link_limited_to_one_page_refuses_the_others(marked: Engine) -> None:
    token = _link(marked, pages=["incidents"])
    at = _open(None, "pages/norms.py", {"share": token})
    assert not at.exception and not at.dataframe and "LEAK-" not in _text(at)
    at = _open(None, "pages/incidents.py", {"share": token, "period": "all"})
    assert {m.label: m.value for m in at.metric}["Incidents"] == "2"


@pytest.mark.parametrize("case", ["tampered", "expired", "revoked"])
def test_bad_share_links_are_refused_with_a_clear_message(marked: Engine, case: str) -> None:
    now = dt.datetime.now(dt.UTC)
    token = _link(marked, **({"now": now - dt.timedelta(days=40)} if case == "expired" else {}))
    if case == "tampered":
        token = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    if case == "revoked":
        link_id = sharing.list_links(
            marked,
            Viewer(
                name="a", role=Role.ADMIN, tracks=frozenset({"eastern-europe"}), tlp_ceiling="red", organisation=HOST
            ),
        )[0]["id"]
        sharing.revoke_link(
            marked,
            link_id,
            actor=Viewer(
                name="a", role=Role.ADMIN, tracks=frozenset({"eastern-europe"}), tlp_ceiling="red", organisation=HOST
            ),
        )
    at = _open(None, "pages/incidents.py", {"share": token})
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert {"tampered": "not valid", "expired": "expired", "revoked": "revoked"}[case] in message
    assert not at.metric and not at.dataframe and "LEAK-" not in _text(at)


def test_revoking_a_link_ends_sessions_opened_with_it(marked: Engine) -> None:
    token = _link(marked)
    at = _open(None, "pages/incidents.py", {"share": token})
    assert at.metric
    admin = Viewer(
        name="a", role=Role.ADMIN, tracks=frozenset({"eastern-europe"}), tlp_ceiling="red", organisation=HOST
    )
    sharing.revoke_link(marked, sharing.list_links(marked, admin)[0]["id"], actor=admin)
    at.run()
    assert not at.metric and "LEAK-" not in _text(at)


def test_the_app_refuses_to_start_outside_demo_mode_with_the_default_secret(
    marked: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.core.settings import DEFAULT_SECRET

    monkeypatch.setenv("DASHBOARD_SECRET_KEY", DEFAULT_SECRET)
    st.cache_resource.clear()
    at = _open(None, "pages/briefing.py")
    assert any("will not start" in e.value for e in at.error)
    assert not at.text_input and not at.metric


@pytest.mark.parametrize("role", list(Role))
def test_only_administrators_open_the_audit_trail(marked: Engine, role: Role) -> None:
    """The Audit trail page (every upload above is in it) shows its table to administrators and no one else."""
    viewer = next(v for _, v in VIEWERS if v.role == role)
    at = _open(viewer, "pages/audit.py")
    assert not at.exception
    if role == Role.ADMIN:
        assert at.dataframe and "dataset" in " ".join(at.dataframe[0].value["action"])
    else:
        assert any("do not have access" in e.value for e in at.error)
        assert not at.dataframe and not at.download_button


def test_only_coordinators_and_admins_hold_upload_and_share() -> None:
    holders = {
        r
        for r in Role
        if Viewer(name="x", role=r, tracks=frozenset({"eastern-europe"}), tlp_ceiling="clear", organisation="x").can(
            Permission.SHARE
        )
    }
    assert holders == {Role.ADMIN, Role.COORDINATOR}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("tracks", [(), ("indo-pacific",), ("eastern-europe",), ("indo-pacific", "eastern-europe")])
def test_may_act_on_is_administrator_or_own_tracks(role, tracks) -> None:
    ceiling = "amber" if role == Role.PARTNER else "red"
    viewer = Viewer("v", role, frozenset({"indo-pacific"}), ceiling, "Org")
    assert viewer.may_act_on(*tracks) == (role == Role.ADMIN or set(tracks) <= {"indo-pacific"})
    assert viewer.may_upload_to("eastern-europe") == (role == Role.ADMIN)
    assert viewer.may_upload_to("indo-pacific") == (role in {Role.ADMIN, Role.COORDINATOR})

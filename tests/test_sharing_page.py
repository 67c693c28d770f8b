"""The Share links page (AppTest): a coordinator creates a link for a partner, sees it once, lists and revokes it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from dashboard import PROJECT_ROOT, accounts
from dashboard.accounts import sharing
from dashboard.core.access import Role, Viewer, local_admin
from dashboard.store.models import AuditEvent, ShareLink
from tests.conftest import TEST_SECRET, sign_in

APP = str(PROJECT_ROOT / "app.py")
HOST = "Dialogue Secretariat"
EE_COORDINATOR = Viewer(
    name="coord-ee", role=Role.COORDINATOR, tracks=frozenset({"eastern-europe"}), tlp_ceiling="amber", organisation=HOST
)


def _open(viewer: Viewer) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, viewer)
    at.switch_page("pages/sharing.py")
    return at.run()


def _links(engine: Engine) -> list[ShareLink]:
    with engine.connect() as conn:
        return list(conn.execute(select(ShareLink).order_by(ShareLink.id)).all())


def test_a_coordinator_creates_a_link_sees_it_once_and_it_opens(app_engine: Engine) -> None:
    at = _open(EE_COORDINATOR)
    assert not at.exception
    assert at.title[0].value == "Share links"
    tracks = at.multiselect[0]
    assert tracks.options == ["Eastern Europe"] and tracks.value == ["eastern-europe"]  # only the coordinator's own
    assert [o for o in at.selectbox[0].options] == ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER"]
    at.text_input(key="share_org").input("Grid ISAC")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert "shown only this once" in at.success[0].value
    url = at.code[0].value
    token = parse_qs(urlparse(url).query)["share"][0]
    [link] = _links(app_engine)
    assert (link.organisation, link.tracks, link.tlp_ceiling, link.created_by) == (
        "Grid ISAC",
        "eastern-europe",
        "green",
        "coord-ee",
    )
    assert token not in link.token_hash  # only the hash is stored
    opened = sharing.open_link(app_engine, token, secret_key=TEST_SECRET)
    assert opened.viewer is not None and opened.viewer.organisation == "Grid ISAC"
    assert opened.viewer.tracks == frozenset({"eastern-europe"}) and opened.viewer.tlp_ceiling == "green"
    listed = at.dataframe[0].value
    assert listed[["organisation", "state", "uses"]].values.tolist() == [["Grid ISAC", "active", 0]]
    with app_engine.connect() as conn:
        actions = list(conn.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "share_link")))
    assert actions[:1] == ["share.create"]

    at.run()  # the next run no longer shows the link, and counts the use
    assert not at.code
    assert at.dataframe[0].value["uses"].tolist() == [1]


def test_bad_input_creates_nothing_and_says_why(app_engine: Engine) -> None:
    at = _open(EE_COORDINATOR)
    at.button[0].click().run()  # no organisation
    assert "No link was created: name the organisation the link is for." in at.error[0].value
    at.text_input(key="share_org").input("Grid ISAC")
    at.multiselect[0].set_value([])
    at.button[0].click().run()
    assert "choose at least one track" in at.error[0].value
    assert _links(app_engine) == []
    assert not at.code


def test_revoking_a_link_on_the_page(app_engine: Engine) -> None:
    link = sharing.create_link(
        app_engine,
        EE_COORDINATOR,
        organisation="Grid ISAC",
        tracks=["eastern-europe"],
        tlp_ceiling="clear",
        days=7,
        secret_key=TEST_SECRET,
    )
    at = _open(EE_COORDINATOR)
    assert at.selectbox(key="share_revoke_id").value == link.id
    at.button(key="share_revoke").click().run()
    assert not at.exception
    assert f"Link {link.id} revoked" in at.success[0].value
    assert at.dataframe[0].value["state"].tolist() == ["revoked"]
    assert _links(app_engine)[0].revoked_by == "coord-ee"
    opened = sharing.open_link(app_engine, link.token, secret_key=TEST_SECRET)
    assert opened.viewer is None and "revoked" in opened.message
    assert not [s for s in at.selectbox if s.key == "share_revoke_id"]  # nothing left to revoke


def test_a_coordinator_sees_only_the_links_of_their_tracks(app_engine: Engine) -> None:
    admin = local_admin(HOST)
    for track in ("indo-pacific", "eastern-europe"):
        sharing.create_link(
            app_engine,
            admin,
            organisation=f"Partner {track}",
            tracks=[track],
            tlp_ceiling="green",
            days=7,
            secret_key=TEST_SECRET,
        )
    coordinator = _open(EE_COORDINATOR)
    assert coordinator.dataframe[0].value["organisation"].tolist() == ["Partner eastern-europe"]
    everyone = _open(admin)
    assert sorted(everyone.dataframe[0].value["organisation"]) == ["Partner eastern-europe", "Partner indo-pacific"]


def test_a_coordinator_creates_a_partner_account_instead_of_a_link(app_engine: Engine) -> None:
    at = _open(EE_COORDINATOR)
    at.text_input(key="partner_user").input("pat@grid.example")
    at.text_input(key="partner_org").input("Grid ISAC")
    at.button(key="FormSubmitter:partner_account-Create partner account").click().run()
    assert not at.exception and not at.error
    password = at.code[0].value
    signed = accounts.authenticate(app_engine, "pat@grid.example", password, max_failures=5, lockout_minutes=1)
    assert signed.viewer is not None
    assert (signed.viewer.role, signed.viewer.tracks, signed.viewer.tlp_ceiling, signed.viewer.organisation) == (
        Role.PARTNER,
        frozenset({"eastern-europe"}),
        "green",
        "Grid ISAC",
    )


def test_partner_account_rules() -> None:
    """Coordinators grant only their own tracks, never above their ceiling or TLP:AMBER; partners cannot."""
    rules = [
        (EE_COORDINATOR, {"tracks": ["indo-pacific"], "tlp_ceiling": "green"}, "not yours: indo-pacific"),
        (EE_COORDINATOR, {"tracks": ["eastern-europe"], "tlp_ceiling": "red"}, "more than your own TLP ceiling"),
        (local_admin(HOST), {"tracks": ["eastern-europe"], "tlp_ceiling": "red"}, "up to TLP:AMBER at most"),
        (
            Viewer(
                name="p",
                role=Role.PARTNER,
                tracks=frozenset({"eastern-europe"}),
                tlp_ceiling="green",
                organisation="Grid ISAC",
            ),
            {"tracks": ["eastern-europe"], "tlp_ceiling": "green"},
            "only coordinators and administrators",
        ),
    ]
    for creator, grant, message in rules:
        with pytest.raises(accounts.AccountError, match=message):
            accounts.create_partner_account(None, creator, "x", organisation="Grid ISAC", **grant)


def _text(value: str) -> str:
    """A message as the reader sees it: Markdown escapes and word joiners removed."""
    return re.sub(r"\\(.)", r"\1", value).replace("\u2060", "")


def _open_served_at(viewer: Viewer, url: str) -> AppTest:
    """The Share links page as the browser reports it at `url` (st.context.url)."""
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, viewer)
    at.context["url"] = url
    at.switch_page("pages/sharing.py")
    return at.run()


def _create(at: AppTest) -> str:
    at.text_input(key="share_org").input("Grid ISAC")
    at.button[0].click().run()
    assert not at.exception and not at.error
    return at.code[0].value


def test_the_link_uses_the_public_url_and_the_page_warns_when_it_is_served_elsewhere(
    app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_PUBLIC_URL", "https://dialogue.example.org/")
    at = _open_served_at(EE_COORDINATOR, "http://10.0.0.5:8650/sharing")
    assert not at.exception
    [warning] = [_text(w.value) for w in at.warning if "DASHBOARD_PUBLIC_URL" in _text(w.value)]
    assert "https://dialogue.example.org" in warning and "http://10.0.0.5:8650" in warning  # before any link
    assert not at.code
    assert _create(at).startswith("https://dialogue.example.org/?share=")


def test_without_a_public_url_the_link_uses_the_address_the_page_is_served_at(
    app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHBOARD_PUBLIC_URL", raising=False)
    at = _open_served_at(EE_COORDINATOR, "http://dialogue.internal:8650/sharing")
    assert not at.exception and not at.warning
    url = _create(at)
    assert url.startswith("http://dialogue.internal:8650/?share=")
    token = parse_qs(urlparse(url).query)["share"][0]
    assert sharing.open_link(app_engine, token, secret_key=TEST_SECRET).viewer is not None


def test_a_stale_localhost_public_url_is_not_used_when_the_page_is_served_elsewhere(
    app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_PUBLIC_URL", "http://localhost:8501")
    at = _open_served_at(EE_COORDINATOR, "http://dialogue.internal:8650/sharing")
    [warning] = [_text(w.value) for w in at.warning if "DASHBOARD_PUBLIC_URL" in _text(w.value)]
    assert "http://localhost:8501" in warning and "http://dialogue.internal:8650" in warning
    url = _create(at)
    assert url.startswith("http://dialogue.internal:8650/?share=") and "localhost" not in url

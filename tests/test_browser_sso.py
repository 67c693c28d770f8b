"""Single sign-on: st.login against a local mock OIDC provider on 127.0.0.1 (oidc-provider-mock).

Roles come from the mapping table (accounts added with `user add NAME --sso`) or, failing that, from the
provider's `dashboard_*` claims; an identity with neither is refused.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard import accounts
from dashboard.core.access import local_admin
from dashboard.ops.bootstrap import initialise
from tests.browser import ARTIFACTS, browser_page, free_port, require_chromium, streamlit_server, wait_for_app
from tests.conftest import Database

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Setup:
    base: str
    provider: str


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    require_chromium()
    import oidc_provider_mock

    tmp = tmp_path_factory.mktemp("sso")
    db = Database("sqlite", tmp)
    initialise(db.engine, seed_demo=True, seed=42, incidents=500)
    accounts.create_user(
        db.engine,
        "olga@example.org",
        role="official",
        tracks=["eastern-europe"],
        organisation="Dialogue Secretariat",
        tlp_ceiling="green",
        password=None,
        actor=local_admin("Dialogue Secretariat"),
        auth_source="oidc",
    )
    provider_port, app_port = free_port(), free_port()
    secrets = Path(tmp) / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        'cookie_secret = "cookie-secret-for-tests-only-0123456789abcdef"\n'
        'client_id = "dashboard"\nclient_secret = "dashboard-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n'
    )
    with (
        oidc_provider_mock.run_server_in_thread(port=provider_port),
        streamlit_server(db.url, port=app_port, extra_args=("--secrets.files", str(secrets))) as base,
    ):
        yield Setup(base, f"http://127.0.0.1:{provider_port}")
    db.drop()


def _login(page, setup: Setup, sub: str) -> None:
    page.goto(setup.base)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.wait_for_url(f"{setup.provider}/oauth2/authorize**", timeout=30_000)
    page.fill("input[name=sub]", sub)
    page.locator("button[type=submit]").first.click()
    page.wait_for_url(f"{setup.base}/**", timeout=30_000)


def test_a_mapped_account_signs_in_through_the_provider(sso: Setup) -> None:
    with browser_page() as (page, requests):
        _login(page, sso, "olga@example.org")
        page.get_by_text("Signed in as").wait_for(timeout=30_000)
        wait_for_app(page)
        sidebar = page.locator("[data-testid='stSidebar']")
        # an e-mail address is shown with a word joiner after "@" so that it is never auto-linked (markdown.py)
        expect(sidebar).to_contain_text(re.compile("olga@\u2060?example\\.org"))
        for text in ("(official)", "TLP:GREEN"):
            expect(sidebar).to_contain_text(text)
        expect(page.locator("[data-testid='stMain']")).to_contain_text("TLP:GREEN")
        page.screenshot(path=str(ARTIFACTS / "sso-official.png"))
        page.get_by_role("button", name="Sign out").click()
        # Signing out also ends the provider's session (RP-initiated logout); the mock may ask to confirm.
        sso_button = page.get_by_role("button", name="Sign in with single sign-on")
        end_session = page.get_by_role("button", name="End session")
        sso_button.or_(end_session).first.wait_for(timeout=30_000)
        if end_session.count():
            end_session.click()
        sso_button.wait_for(timeout=30_000)
        expect(page.locator("body")).not_to_contain_text("Signed in as", timeout=30_000)
    # The provider runs on 127.0.0.1 too; only the mock provider's own sign-in page links a CDN stylesheet.
    assert [u for u in requests.outside if "picocss" not in u] == []


def test_roles_can_come_from_the_providers_claims(sso: Setup) -> None:
    claims = {
        "email": "pat@grid.example",
        "dashboard_role": "partner",
        "dashboard_tracks": "eastern-europe",
        "dashboard_tlp": "green",
        "dashboard_org": "Grid ISAC",
    }
    request = urllib.request.Request(
        f"{sso.provider}/users/pat@grid.example",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()
    with browser_page() as (page, _requests):
        _login(page, sso, "pat@grid.example")
        page.get_by_text("Signed in as").wait_for(timeout=30_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        expect(sidebar).to_contain_text(re.compile("pat@\u2060?grid\\.example"))
        expect(sidebar).to_contain_text("(partner)")
        expect(sidebar).not_to_contain_text("Datasets")


def test_an_identity_without_access_is_refused(sso: Setup) -> None:
    with browser_page() as (page, _requests):
        _login(page, sso, "stranger@example.org")
        page.get_by_text("has no access to this dashboard").wait_for(timeout=30_000)
        assert not page.locator("[data-testid='stMetric']").count()
        page.get_by_role("button", name="Sign out of single sign-on").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Sign out of single sign-on").count() == 1

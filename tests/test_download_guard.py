"""A download button already on the screen checks its session again when pressed (issue 12): Streamlit produces a
deferred download on a request of its own, outside the page runs that check idle time, share links and accounts."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine

from dashboard import accounts
from dashboard.accounts import sharing
from dashboard.app import download_guard
from dashboard.core.access import Role, Viewer, local_admin
from tests.conftest import HOST_ORG
from tests.test_sharing import NOW, SECRET, _link

ADMIN = local_admin(HOST_ORG)
DATA = b"id,title\n1,secret row\n"


@pytest.fixture
def guard(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    """when_still_valid as drawn for a given (viewer, epoch), on the test database."""
    monkeypatch.setattr(download_guard, "engine", lambda: engine)

    def offered(viewer: Viewer | None, epoch: int = 0):
        monkeypatch.setattr(download_guard, "session_grant", lambda: (viewer, epoch, None))
        return download_guard.when_still_valid(lambda: DATA)

    return offered


def test_a_revoked_share_link_gets_no_data_from_a_button_already_on_screen(engine: Engine, guard) -> None:
    link = _link(engine)
    viewer = sharing.open_link(engine, link.token, secret_key=SECRET, now=NOW).viewer
    assert viewer is not None
    press = guard(viewer)
    assert press() == DATA
    coordinator = Viewer(
        name="coord",
        role=Role.COORDINATOR,
        tracks=frozenset({"eastern-europe"}),
        tlp_ceiling="amber+strict",
        organisation="Dialogue Secretariat",
    )
    sharing.revoke_link(engine, link.id, actor=coordinator)
    assert press() == download_guard.NO_LONGER_VALID


@pytest.mark.parametrize("change", ["password", "disabled"])
def test_a_changed_or_disabled_account_gets_no_data_from_a_button_already_on_screen(
    engine: Engine, guard, change: str
) -> None:
    user_id = accounts.create_user(
        engine,
        "olga",
        role="official",
        tracks=["eastern-europe"],
        organisation=HOST_ORG,
        tlp_ceiling="amber",
        password="a long enough password 1",
        actor=ADMIN,
    )
    epoch = accounts.session_status(engine, user_id).epoch
    viewer = Viewer(
        name="olga",
        role=Role.OFFICIAL,
        tracks=frozenset({"eastern-europe"}),
        tlp_ceiling="amber",
        organisation=HOST_ORG,
        user_id=user_id,
    )
    press = guard(viewer, epoch)
    assert press() == DATA
    if change == "password":
        accounts.set_password(engine, "olga", "another long password 2", actor=ADMIN)
    else:
        accounts.set_active(engine, "olga", False, actor=ADMIN)
    assert press() == download_guard.NO_LONGER_VALID


def test_a_signed_out_session_gets_no_data(guard) -> None:
    assert guard(None)() == download_guard.NO_LONGER_VALID


def test_the_local_administrator_without_an_account_row_is_served(guard) -> None:
    assert guard(dataclasses.replace(ADMIN))() == DATA

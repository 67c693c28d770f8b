"""Share links: creation rules, tampered/expired/revoked tokens refused, audited uses, scope of the link viewer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from dashboard import read
from dashboard.accounts import AccessDenied, sharing
from dashboard.accounts.sharing import ShareError, create_link, open_link, revoke_link
from dashboard.core.access import Permission, Role, Viewer, local_admin
from dashboard.store.models import AuditEvent, ShareLink
from tests.factories import incident, store_incidents

SECRET = "test-secret-key-that-is-long-enough"
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
COORD_EE = Viewer(
    name="coord",
    role=Role.COORDINATOR,
    tracks=frozenset({"eastern-europe"}),
    tlp_ceiling="amber+strict",
    organisation="Dialogue Secretariat",
)


def _link(engine: Engine, **kw) -> sharing.NewLink:
    args = {
        "organisation": "Grid ISAC",
        "tracks": ["eastern-europe"],
        "tlp_ceiling": "green",
        "days": 30,
        "secret_key": SECRET,
        "now": NOW,
    } | kw
    return create_link(engine, COORD_EE, **args)


def test_token_is_stored_only_as_an_hmac(engine: Engine) -> None:
    link = _link(engine)
    with engine.connect() as conn:
        stored = conn.scalar(select(ShareLink.token_hash))
    assert stored == sharing.token_hash(SECRET, link.token) and link.token not in stored
    assert len(link.token) >= 40


def test_a_link_opens_as_a_read_only_partner_within_its_grant(engine: Engine) -> None:
    link = _link(engine, pages=["incidents", "briefing"])
    result = open_link(engine, link.token, secret_key=SECRET, now=NOW + dt.timedelta(days=1))
    viewer = result.viewer
    assert viewer is not None and viewer.role is Role.PARTNER and viewer.share_link_id == link.id
    assert viewer.tracks == frozenset({"eastern-europe"}) and viewer.tlp_ceiling == "green"
    assert viewer.can(Permission.VIEW_INCIDENTS) and not viewer.can(Permission.VIEW_NORMS)
    assert not viewer.can(Permission.UPLOAD) and not viewer.can(Permission.SHARE)
    with engine.connect() as conn:
        assert conn.scalar(select(ShareLink.use_count)) == 1
        assert conn.scalar(select(AuditEvent.action).where(AuditEvent.action == "share.use")) == "share.use"


@pytest.mark.parametrize("case", ["tampered", "expired", "revoked", "other secret"])
def test_bad_tokens_are_refused_with_a_clear_message(engine: Engine, case: str) -> None:
    link = _link(engine)
    token, secret, when = link.token, SECRET, NOW + dt.timedelta(days=1)
    if case == "tampered":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif case == "expired":
        when = NOW + dt.timedelta(days=31)
    elif case == "revoked":
        revoke_link(engine, link.id, actor=COORD_EE, now=NOW)
    else:
        secret = "another secret entirely, rotated"
    result = open_link(engine, token, secret_key=secret, now=when)
    assert result.viewer is None
    expected = {"tampered": "not valid", "expired": "expired", "revoked": "revoked", "other secret": "not valid"}
    assert expected[case] in result.message
    with engine.connect() as conn:
        assert conn.scalar(select(AuditEvent.action).where(AuditEvent.action == "share.refused"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tracks": ["indo-pacific"]}, "not yours"),
        ({"tlp_ceiling": "red"}, "CLEAR, TLP:GREEN or TLP:AMBER"),
        ({"tlp_ceiling": "amber+strict"}, "CLEAR, TLP:GREEN or TLP:AMBER"),
        ({"days": 0}, "1 to 365 days"),
        ({"organisation": " "}, "organisation"),
        ({"pages": ["datasets"]}, "at least one page"),
    ],
)
def test_link_creation_rules(engine: Engine, changes: dict, message: str) -> None:
    with pytest.raises(ShareError, match=message):
        _link(engine, **changes)


def test_partners_and_officials_cannot_create_links(engine: Engine) -> None:
    official = Viewer(
        name="o", role=Role.OFFICIAL, tracks=frozenset({"eastern-europe"}), tlp_ceiling="amber", organisation="x"
    )
    with pytest.raises(AccessDenied, match="only coordinators"):
        create_link(
            engine,
            official,
            organisation="x",
            tracks=["eastern-europe"],
            tlp_ceiling="green",
            days=3,
            secret_key=SECRET,
        )


def test_green_link_sees_no_amber_or_red_rows_and_nothing_of_the_other_track(engine: Engine) -> None:
    store_incidents(
        engine,
        "eastern-europe",
        [incident(f"ee-{t}", tlp=t) for t in ("clear", "green", "amber", "amber+strict", "red")],
    )
    store_incidents(engine, "indo-pacific", [incident("ip", tlp="clear", targets=("SGP",))])
    viewer = open_link(engine, _link(engine).token, secret_key=SECRET, now=NOW).viewer
    rows = read.incident_rows(engine, viewer, read.IncidentFilter(), None)
    assert sorted(rows["title"]) == ["ee-clear", "ee-green"]
    assert read.incident_summary(engine, viewer, read.IncidentFilter())["incidents"] == 2
    assert read.strictest_tlp(engine, viewer) == "green"
    assert set(read.layer_counts(engine, viewer)["track_id"]) == {"eastern-europe"}


def test_revocation_is_limited_to_own_tracks_and_listing_hides_tokens(engine: Engine) -> None:
    link = _link(engine)
    ip = Viewer(
        name="ip", role=Role.COORDINATOR, tracks=frozenset({"indo-pacific"}), tlp_ceiling="amber", organisation="x"
    )
    with pytest.raises(ShareError, match="own tracks"):
        revoke_link(engine, link.id, actor=ip)
    assert sharing.list_links(engine, ip) == []
    listed = sharing.list_links(engine, local_admin("x"))
    assert [row["id"] for row in listed] == [link.id] and "token" not in str(listed)
    assert sharing.is_still_valid(engine, open_link(engine, link.token, secret_key=SECRET).viewer)


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.PARTNER])
def test_only_those_who_may_share_revoke_or_list_links(engine: Engine, role: Role) -> None:
    link = _link(engine)
    ceiling = "green" if role == Role.PARTNER else "amber"
    reader = Viewer(name="r", role=role, tracks=frozenset({"eastern-europe"}), tlp_ceiling=ceiling, organisation="x")
    with pytest.raises(AccessDenied, match="only coordinators and administrators") as refused:
        revoke_link(engine, link.id, actor=reader)
    assert isinstance(refused.value, PermissionError)
    with pytest.raises(AccessDenied):
        sharing.list_links(engine, reader)
    assert open_link(engine, link.token, secret_key=SECRET, now=NOW).viewer is not None  # still valid
    with engine.connect() as conn:
        denied = list(conn.execute(select(AuditEvent).where(AuditEvent.action == "access.denied")).all())
    assert [(e.actor, e.detail["operation"]) for e in denied] == [("r", "share.revoke"), ("r", "share.list")]


def test_a_share_link_viewer_cannot_create_or_revoke_links(engine: Engine) -> None:
    link = _link(engine)
    partner = open_link(engine, link.token, secret_key=SECRET, now=NOW).viewer
    with pytest.raises(AccessDenied):
        revoke_link(engine, link.id, actor=partner)
    with pytest.raises(AccessDenied):
        create_link(
            engine, partner, organisation="x", tracks=["eastern-europe"], tlp_ceiling="green", days=3, secret_key=SECRET
        )

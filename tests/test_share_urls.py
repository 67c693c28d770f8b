"""Where share links point (dashboard/accounts/share_urls.py): the public address when set, else the address the
page is served at; never localhost when the page is served on another host; proxy headers only when trusted."""

from __future__ import annotations

import pytest

from dashboard.accounts.share_urls import choose_base, is_local, served_base, share_link
from dashboard.core.settings import load_settings


def test_a_link_is_the_base_then_the_token() -> None:
    assert share_link("https://dialogue.example.org/", "tok") == "https://dialogue.example.org/?share=tok"
    assert share_link("https://dialogue.example.org/dash", "tok") == "https://dialogue.example.org/dash/?share=tok"
    assert share_link("", "tok") == "/?share=tok"  # the base unknown: only the path


def test_the_public_url_is_unset_by_default(tmp_path) -> None:
    """No invented http://localhost:8501: without the setting the served address (page) or the path (CLI) is used."""
    settings = load_settings({}, tmp_path / "none.toml")
    assert settings.public_url == "" and settings.trust_proxy_headers is False


def test_the_public_url_wins_when_set() -> None:
    chosen = choose_base("https://dialogue.example.org/", "https://dialogue.example.org")
    assert (chosen.url, chosen.warning) == ("https://dialogue.example.org", "")
    alone = choose_base("https://dialogue.example.org")  # the CLI: no request
    assert (alone.url, alone.warning) == ("https://dialogue.example.org", "")


def test_same_address_spelled_differently_is_not_a_difference() -> None:
    chosen = choose_base("HTTPS://Dialogue.Example.org:443/", "https://dialogue.example.org")
    assert chosen.warning == ""


def test_a_public_url_that_differs_from_the_served_address_is_used_with_a_warning_naming_both() -> None:
    chosen = choose_base("https://dialogue.example.org", "http://10.0.0.5:8650")
    assert chosen.url == "https://dialogue.example.org"
    assert "https://dialogue.example.org" in chosen.warning and "http://10.0.0.5:8650" in chosen.warning


def test_unset_public_url_uses_the_served_address() -> None:
    chosen = choose_base("", "http://dashboard.internal:8650")
    assert (chosen.url, chosen.warning) == ("http://dashboard.internal:8650", "")


@pytest.mark.parametrize(
    "public", ["http://localhost:8501", "http://127.0.0.1:8501", "http://[::1]:8501", "http://0.0.0.0:8501"]
)
def test_never_localhost_when_served_on_another_host(public: str) -> None:
    chosen = choose_base(public, "http://dashboard.internal:8650")
    assert chosen.url == "http://dashboard.internal:8650"
    assert not is_local(chosen.url)
    assert "dashboard.internal:8650" in chosen.warning and "local address" in chosen.warning


def test_a_local_public_url_on_another_port_gives_way_to_the_served_port() -> None:
    """The finding of issue 13: served at :8650, the link said :8501."""
    chosen = choose_base("http://localhost:8501", "http://localhost:8650")
    assert chosen.url == "http://localhost:8650"
    assert "http://localhost:8501" in chosen.warning and "only on this machine" in chosen.warning


def test_a_page_served_on_localhost_warns_that_the_link_works_only_here() -> None:
    chosen = choose_base("", "http://localhost:8650")
    assert chosen.url == "http://localhost:8650"
    assert "only on this machine" in chosen.warning and "DASHBOARD_PUBLIC_URL" in chosen.warning


def test_nothing_known_gives_only_the_path_and_says_so() -> None:
    chosen = choose_base("", "")
    assert chosen.url == "" and "DASHBOARD_PUBLIC_URL" in chosen.warning


@pytest.mark.parametrize("public", ["dialogue.example.org", "ftp://dialogue.example.org", "https://"])
def test_a_public_url_that_is_not_an_address_is_not_used(public: str) -> None:
    served = choose_base(public, "https://dialogue.example.org")
    assert served.url == "https://dialogue.example.org" and "not an http:// or https:// address" in served.warning
    alone = choose_base(public)
    assert alone.url == "" and "not an http:// or https:// address" in alone.warning


def test_the_browser_address_without_the_page_path() -> None:
    assert served_base("http://10.0.0.5:8650/sharing", "sharing", {}) == "http://10.0.0.5:8650"
    assert served_base("https://x.example.org/dash/sharing/", "sharing", {}) == "https://x.example.org/dash"
    assert served_base("https://x.example.org:443/", "sharing", {}) == "https://x.example.org"


def test_the_browser_address_comes_before_the_headers() -> None:
    headers = {"Host": "127.0.0.1:8501", "X-Forwarded-Host": "proxy.example.org"}
    got = served_base("https://dialogue.example.org/sharing", "sharing", headers, trust_proxy_headers=True)
    assert got == "https://dialogue.example.org"


def test_the_host_header_with_its_port() -> None:
    assert served_base(None, "sharing", {"Host": "dashboard.internal:8650"}) == "http://dashboard.internal:8650"
    assert served_base(None, "sharing", {"host": "[::1]:8650"}) == "http://[::1]:8650"
    assert served_base(None, "sharing", {"Host": "dashboard.internal:8650"}, tls=True) == (
        "https://dashboard.internal:8650"
    )


@pytest.mark.parametrize("host", ["", "evil.example.org/path", "user@evil.example.org", "a b"])
def test_a_host_header_that_is_not_a_host_is_not_used(host: str) -> None:
    assert served_base(None, "sharing", {"Host": host}) == ""


def test_proxy_headers_are_ignored_unless_trusted() -> None:
    headers = {"Host": "127.0.0.1:8501", "X-Forwarded-Host": "evil.example.org", "X-Forwarded-Proto": "https"}
    assert served_base(None, "sharing", headers) == "http://127.0.0.1:8501"
    trusted = {**headers, "X-Forwarded-Host": "dialogue.example.org, inner"}
    assert served_base(None, "sharing", trusted, trust_proxy_headers=True) == "https://dialogue.example.org"


def test_a_trusted_proxy_that_sends_no_forwarded_host_leaves_the_host_header() -> None:
    headers = {"Host": "dashboard.internal:8650", "X-Forwarded-Proto": "gopher"}
    assert served_base(None, "sharing", headers, trust_proxy_headers=True) == "http://dashboard.internal:8650"

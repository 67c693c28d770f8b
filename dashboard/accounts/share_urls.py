"""Where share links point (pure): DASHBOARD_PUBLIC_URL when set, else the address the page is served at.

The page passes what Streamlit reports about the request (the browser's address, the request headers); the CLI has
no request and passes nothing, so without DASHBOARD_PUBLIC_URL it can give only the path. A link never names a
local address (localhost, 127.0.0.1, ::1) when the page is served on another host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"})
SET_PUBLIC_URL = "set DASHBOARD_PUBLIC_URL to the address partners use"


def share_link(base: str, token: str) -> str:
    """The link a partner opens: the base address, then `/?share=TOKEN`; only the path when the base is unknown."""
    return f"{base.rstrip('/')}/?share={token}"


def is_local(url: str) -> bool:
    """True when the address names this machine only (localhost, a loopback or unspecified address)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost")


def _origin(url: str) -> str:
    """Scheme, host, port and path of an address, lower-cased where case does not matter, without a trailing `/`
    and without the scheme's default port: two spellings of one address compare equal."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or (scheme, port) in {("http", 80), ("https", 443)} else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _valid(url: str) -> bool:
    """An http:// or https:// address with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def _first(value: str | None) -> str:
    """The first entry of a header a proxy may have written as a comma-separated list."""
    return (value or "").split(",")[0].strip()


def served_base(
    page_url: str | None,
    page_path: str,
    headers: Mapping[str, str] | None,
    *,
    trust_proxy_headers: bool = False,
    tls: bool = False,
) -> str:
    """The address this page is served at, without the page's own path; "" when unknown.

    First the browser's own address (`st.context.url`, which ends with `/<page_path>`); else the request's `Host`
    header, with `http` (`https` when Streamlit itself serves TLS). `X-Forwarded-Host` and `X-Forwarded-Proto`
    count only with `trust_proxy_headers` (DASHBOARD_TRUST_PROXY_HEADERS): anyone can send them.
    """
    if page_url and _valid(page_url):
        base = _origin(page_url)
        suffix = f"/{page_path.strip('/')}" if page_path.strip("/") else ""
        return base.removesuffix(suffix) if suffix and base.endswith(suffix) else base
    named = {str(k).lower(): v for k, v in (headers or {}).items()}
    host = _first(named.get("x-forwarded-host")) if trust_proxy_headers else ""
    host = host or _first(named.get("host"))
    scheme = _first(named.get("x-forwarded-proto")).lower() if trust_proxy_headers else ""
    scheme = scheme if scheme in {"http", "https"} else ("https" if tls else "http")
    if not host or any(c in host for c in "/\\@?# "):  # a host and port only, never a path or credentials
        return ""
    candidate = f"{scheme}://{host}"
    return _origin(candidate) if _valid(candidate) else ""


@dataclass(frozen=True)
class LinkBase:
    """The address share links start with ("" when unknown: the link is only a path) and what to warn about."""

    url: str
    warning: str = ""


def choose_base(public_url: str, served: str = "") -> LinkBase:
    """DASHBOARD_PUBLIC_URL when set (unless it is a local address and the page is served on another host), else
    the address the page is served at; with a warning naming both addresses when they differ."""
    served = _origin(served) if _valid(served) else ""
    if public_url.strip() and not _valid(public_url):
        public_warning = f"DASHBOARD_PUBLIC_URL ({public_url.strip()}) is not an http:// or https:// address"
        if served:
            return LinkBase(served, f"{public_warning}: the link uses the address of this page, {served}.")
        return LinkBase("", f"{public_warning}, so the link is only a path; {SET_PUBLIC_URL}.")
    public = _origin(public_url) if public_url.strip() else ""
    if public and served and public != served:
        if is_local(public):  # a local address can only mean this machine, where the page is served elsewhere
            local = " It works only on this machine." if is_local(served) else ""
            return LinkBase(
                served,
                f"DASHBOARD_PUBLIC_URL is {public}, a local address, but this page is served at {served}: the link "
                f"uses {served}.{local} Correct DASHBOARD_PUBLIC_URL.",
            )
        return LinkBase(
            public,
            f"DASHBOARD_PUBLIC_URL is {public} but this page is served at {served}: the link uses {public}. "
            "Check that partners can reach it.",
        )
    if public:
        if is_local(public):
            return LinkBase(public, f"DASHBOARD_PUBLIC_URL is {public}, which works only on this machine.")
        return LinkBase(public)
    if not served:
        return LinkBase("", f"The address of this dashboard is unknown, so the link is only a path: {SET_PUBLIC_URL}.")
    if is_local(served):
        return LinkBase(
            served,
            f"This page is served at {served}, a local address: the link works only on this machine; {SET_PUBLIC_URL}.",
        )
    return LinkBase(served)

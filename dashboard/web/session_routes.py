"""`/_session/start` turns a one-time ticket into the session cookie; `/_session/end` ends the session and clears it.

The cookie holds only a random token (the database keeps its HMAC): HttpOnly (no script can read it), SameSite=Strict
(no other site's page can make the browser send it), Path=/, Secure whenever the app is reached over HTTPS (the
request's scheme, or DASHBOARD_PUBLIC_URL), and it lives as long as the session may (see accounts/sessions.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dashboard.accounts import sessions
from dashboard.core.settings import Settings, load_settings
from dashboard.store.db import get_engine

START_PATH = "/_session/start"
END_PATH = "/_session/end"
# Streamlit's XSRF cookie: set by the app's own page for this browser, sent with the page's WebSocket and with the
# hand-off request. A ticket is bound to it (accounts/sessions.start), so a ticket opened in another browser fails.
BINDING_COOKIE = "_streamlit_xsrf"


def _settings() -> Settings:
    return load_settings()


def safe_next(value: str | None) -> str:
    """Only a path on this site: never another host (`//evil`, `https://...`, `/\\evil`)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _secure(request: Request, cfg: Settings) -> bool:
    return request.url.scheme == "https" or cfg.public_url.lower().startswith("https://")


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


async def start(request: Request) -> Response:
    cfg = _settings()
    response = _redirect(safe_next(request.query_params.get("next")))
    ticket = request.query_params.get("ticket", "")
    engine = get_engine(cfg.resolved_database_url)
    binding = request.cookies.get(BINDING_COOKIE, "")
    token = await run_in_threadpool(sessions.redeem_ticket, engine, ticket, secret_key=cfg.secret_key, binding=binding)
    if token is not None:
        max_age = await run_in_threadpool(sessions.cookie_max_age, engine, token, secret_key=cfg.secret_key)
        response.set_cookie(
            sessions.COOKIE,
            token,
            max_age=max_age,
            path="/",
            secure=_secure(request, cfg),
            httponly=True,
            samesite="strict",
        )
    return response


async def end(request: Request) -> Response:
    cfg = _settings()
    response = _redirect(safe_next(request.query_params.get("next")))
    token = request.cookies.get(sessions.COOKIE)
    if token:
        engine = get_engine(cfg.resolved_database_url)
        await run_in_threadpool(sessions.end_by_token, engine, token, sessions.SIGNED_OUT, secret_key=cfg.secret_key)
    response.delete_cookie(sessions.COOKIE, path="/", secure=_secure(request, cfg), httponly=True, samesite="strict")
    return response


def session_routes() -> list[Route]:
    return [Route(START_PATH, start, methods=["GET"]), Route(END_PATH, end, methods=["GET"])]

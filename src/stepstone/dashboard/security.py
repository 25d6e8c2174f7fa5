"""Who may read the dashboard, and the headers that keep a page from being turned against it.

Bound to a loopback address the dashboard needs no token: only this machine can reach it. It
then checks the ``Host`` header (only loopback names), so a web page the user visits cannot
read it through DNS rebinding. Bound to any other address it requires a token on every request:

* ``Authorization: Bearer <token>`` (scripts and the JSON API), or
* a cookie set by opening any page once with ``?token=<token>`` (people: the command prints
  that link). The token is then dropped from the address by a redirect, so it does not stay in
  the browser's history or in ``Referer`` headers.

Every response carries a strict Content-Security-Policy (scripts only from ``/static``, no
inline script, no inline style, nothing from other origins), so even a string that escaped
escaping could not run.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware

TOKEN_ENV = "STEPSTONE_DASHBOARD_TOKEN"  # noqa: S105 - a variable name, not a secret
TOKEN_COOKIE = "stepstone_dashboard_token"  # noqa: S105 - a cookie name, not a secret
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    """``True`` for ``localhost`` and loopback IP addresses (``127.0.0.0/8``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_hosts(bound: str) -> list[str]:
    """Host headers a loopback dashboard bound to ``bound`` answers: the usual loopback names
    and the address it listens on (``127.1.2.3`` or ``[::2]`` is as local as ``127.0.0.1``)."""
    bound = bound.strip("[]")
    extra = [bound, f"[{bound}]"] if ":" in bound else [bound]
    return LOOPBACK_HOSTS + [host for host in extra if host not in LOOPBACK_HOSTS]


def _supplied_token(request: Request) -> tuple[str | None, bool]:
    """The token a request carries, and whether it came in the query string."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    query = request.query_params.get("token")
    if query:
        return query, True
    return request.cookies.get(TOKEN_COOKIE), False


def _unauthorized(request: Request) -> Response:
    message = (
        "This stepstone dashboard requires its access token: send 'Authorization: Bearer "
        "<token>' or open any page once with '?token=<token>'."
    )
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"detail": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return PlainTextResponse(message, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def install_security(
    app: FastAPI, *, token: str | None, allowed_hosts: list[str] | None = None
) -> None:
    """Add the token check (if ``token``), the host check (if ``allowed_hosts``) and headers."""
    expected = token.encode() if token else None

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        from_query = False
        if expected is not None:
            supplied, from_query = _supplied_token(request)
            if supplied is None or not hmac.compare_digest(supplied.encode(), expected):
                response = _unauthorized(request)
                response.headers.update(SECURITY_HEADERS)
                return response
        if (
            from_query
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
        ):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
        else:
            response = await call_next(request)
        if from_query:
            response.set_cookie(
                TOKEN_COOKIE, token or "", httponly=True, samesite="strict", path="/"
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)

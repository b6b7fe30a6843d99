"""Cross-origin calls from browsers, for the listed origins only (`PARKGRID_CORS_ORIGINS`).

A web map or dashboard served from another origin can call `/graphql`, `/tiles` and `/ogc`
only when the service says so; with no origins listed (the default) it says nothing and
browsers keep other origins out. It sits outside authentication, so preflights are answered
without a token and a 401 still carries the headers a page needs to read it. Bearer tokens
travel in `Authorization`, which is allowed without credentials mode; credentials (cookies,
HTTP auth) are allowed only with `PARKGRID_CORS_CREDENTIALS=true`.

A page on another origin may read only the headers the answer names in
Access-Control-Expose-Headers (besides a few safelisted ones), so the headers a client acts on
are named: `Parkgrid-Position` (read-your-writes: echoed on the next request, which the
preflight allows too), `X-Request-ID` (to quote in a report; a client may send its own) and
`Retry-After` (of a 503 or 429)."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from parkgrid.positions import HEADER as POSITION
from parkgrid.settings import ServerSettings
from web.observe import HEADER as REQUEST_ID
from web.routes.links import app_path

CROSS_ORIGIN_PATHS = ("/graphql", "/tiles", "/ogc")
ALLOWED_HEADERS = ("Authorization", "Content-Type", POSITION, REQUEST_ID)
EXPOSED_HEADERS = (POSITION, REQUEST_ID, "Retry-After")


def cross_origin_path(scope: Scope) -> bool:
    path = app_path(scope)
    return any(path == base or path.startswith(base + "/") for base in CROSS_ORIGIN_PATHS)


class CrossOrigin:
    """Starlette's CORSMiddleware on the API paths when origins are configured, else nothing."""

    def __init__(self, app: ASGIApp, server: ServerSettings | None = None) -> None:
        settings = server or ServerSettings()
        self.app = app
        self.cors: ASGIApp | None = None
        if settings.cors_origins:
            self.cors = CORSMiddleware(
                app,
                allow_origins=settings.cors_origins,
                allow_methods=("GET", "POST"),
                allow_headers=ALLOWED_HEADERS,
                expose_headers=EXPOSED_HEADERS,
                allow_credentials=settings.cors_credentials,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None and scope["type"] == "http" and cross_origin_path(scope):
            return await self.cors(scope, receive, send)
        await self.app(scope, receive, send)

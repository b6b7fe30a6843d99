"""Authentication for every HTTP request: the principal goes on the request's state, or the
request ends here with 401 UNAUTHENTICATED (a bad token never falls back to anonymous)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from parkgrid.auth.principal import ANONYMOUS, Principal, authenticate
from parkgrid.db import Database
from parkgrid.errors import (
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    ParkgridError,
    Unauthenticated,
    Unavailable,
)
from web.routes.errors import STATUS, error_headers, error_response, exception_response


def refusal(path: str, error: ParkgridError) -> JSONResponse:
    """GraphQL's error shape on /graphql, OGC's exception on /ogc, the endpoints' elsewhere."""
    if path.startswith("/ogc"):
        return exception_response(error)
    if not path.startswith("/graphql"):
        return error_response(error)
    extensions = {"code": error.code, **({"field": error.field} if error.field else {})}
    message = f"{error.field}: {error.message}" if error.field else error.message
    body = {"data": None, "errors": [{"message": message, "extensions": extensions}]}
    status = STATUS.get(error.code, 400)
    return JSONResponse(body, status_code=status, headers=error_headers(error))


ROUTING_ERRORS: dict[int, type[ParkgridError]] = {404: NotFound, 405: MethodNotAllowed}


async def routing_error(request: Request, exc: Exception) -> Response:
    """The router's own refusals (no such path, a method the route does not take) in the
    route's error shape, not as plain text."""
    assert isinstance(exc, HTTPException)
    kind = ROUTING_ERRORS.get(exc.status_code, InvalidInput)
    response = refusal(request.url.path, kind(exc.detail or kind.code.lower()))
    response.headers.update(exc.headers or {})
    return response


def nul_parameter(scope: Scope) -> str | None:
    """The name of a query parameter (or the path) holding a NUL character, which no
    parameter means and PostgreSQL text cannot hold."""
    if "\x00" in scope["path"]:
        return "path"
    raw: bytes = scope.get("query_string", b"")
    if b"%00" not in raw and b"\x00" not in raw:  # the common case, without decoding
        return None
    for name, value in QueryParams(raw).multi_items():
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "\\0")
    return None


class RefuseNul:
    """Refuses a request whose path or query string holds a NUL character, on every route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = nul_parameter(scope) if scope["type"] == "http" else None
        if name is None:
            return await self.app(scope, receive, send)
        error = InvalidInput("must not contain the NUL character (U+0000)", field=name)
        return await refusal(scope["path"], error)(scope, receive, send)


DEFERRED = "authorization"
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Liveness and readiness answer whoever asks: a probe forwarding a token must not be
refused (or failed, while the database is away) over it. /metrics checks its own token
(web.metrics), which is no API token."""


def graphql_post(scope: Scope) -> bool:
    return bool(scope["path"] == "/graphql" and scope["method"] in ("POST", "GET"))


class Authenticate:
    """GraphQL POSTs with a token defer the check to the handler (see `settle`), which checks
    it on the same connection as a compiled query; every other request is checked here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBES:
            return await self.app(scope, receive, send)  # probes read no caller's data
        header = Headers(scope=scope).get("authorization")
        state = scope.setdefault("state", {})
        state.pop("principal", None)
        if header is not None and graphql_post(scope):
            state[DEFERRED] = header
            return await self.app(scope, receive, send)
        try:
            state["principal"] = await self.principal(scope, header)
        except (Unauthenticated, Unavailable) as error:
            return await refusal(scope["path"], error)(scope, receive, send)
        await self.app(scope, receive, send)

    @staticmethod
    async def principal(scope: Scope, header: str | None) -> Principal:
        if header is None:
            return ANONYMOUS
        db: Database = scope["app"].state.db
        return await db.read(authenticate, header, datetime.now(UTC))


def deferred_header(connection: HTTPConnection) -> str | None:
    """The Authorization header left for the handler to check, until it is settled."""
    state = connection.scope.get("state", {})
    return None if "principal" in state else state.get(DEFERRED)


async def settle(connection: HTTPConnection) -> None:
    """Check a deferred token now; UNAUTHENTICATED when it is bad."""
    header = deferred_header(connection)
    if header is not None:
        state = connection.scope["state"]
        state["principal"] = await Authenticate.principal(connection.scope, header)


def principal_of(connection: HTTPConnection) -> Principal:
    state = connection.scope.get("state", {})
    if DEFERRED in state and "principal" not in state:
        raise RuntimeError("the caller's token has not been checked yet")
    found: Principal = state.get("principal", ANONYMOUS)
    return found


def database_for(connection: HTTPConnection) -> Database:
    """The app's pool, scoped to the caller (anonymous needs no settings)."""
    db: Database = connection.app.state.db
    principal = principal_of(connection)
    return db.scoped(principal.settings()) if principal.is_staff else db

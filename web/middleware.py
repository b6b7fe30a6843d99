"""Authentication for every HTTP request: the principal goes on the request's state, or the
request ends here with 401 UNAUTHENTICATED (a bad token never falls back to anonymous)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from parkgrid.auth.principal import ANONYMOUS, Principal, authenticate
from parkgrid.db import Database
from parkgrid.errors import Unauthenticated


def refusal(path: str, error: Unauthenticated) -> JSONResponse:
    """GraphQL's error shape on /graphql, the endpoints' elsewhere."""
    if path.startswith("/graphql"):
        body: dict[str, object] = {
            "data": None,
            "errors": [{"message": error.message, "extensions": {"code": error.code}}],
        }
    else:
        body = {"error": {"code": error.code, "message": error.message, "field": None}}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})


DEFERRED = "authorization"


def graphql_post(scope: Scope) -> bool:
    return bool(scope["path"] == "/graphql" and scope["method"] in ("POST", "GET"))


class Authenticate:
    """GraphQL POSTs with a token defer the check to the handler (see `settle`), which checks
    it on the same connection as a compiled query; every other request is checked here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan's state is every request's starting state
            return await self.app(scope, receive, send)
        header = Headers(scope=scope).get("authorization")
        state = scope.setdefault("state", {})
        state.pop("principal", None)
        if header is not None and graphql_post(scope):
            state[DEFERRED] = header
            return await self.app(scope, receive, send)
        try:
            state["principal"] = await self.principal(scope, header)
        except Unauthenticated as error:
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

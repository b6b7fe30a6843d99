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


class Authenticate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = Headers(scope=scope).get("authorization") if scope["type"] == "http" else None
        try:
            principal = await self.principal(scope, header)
        except Unauthenticated as error:
            return await refusal(scope["path"], error)(scope, receive, send)
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    @staticmethod
    async def principal(scope: Scope, header: str | None) -> Principal:
        if header is None:
            return ANONYMOUS
        db: Database = scope["app"].state.db
        return await db.read(authenticate, header, datetime.now(UTC))


def principal_of(connection: HTTPConnection) -> Principal:
    found: Principal = connection.scope.get("state", {}).get("principal", ANONYMOUS)
    return found


def database_for(connection: HTTPConnection) -> Database:
    """The app's pool, scoped to the caller (anonymous needs no settings)."""
    db: Database = connection.app.state.db
    principal = principal_of(connection)
    return db.scoped(principal.settings()) if principal.is_staff else db

"""The application factory: settings in, Starlette app out; the pool lives in the lifespan."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from parkgrid import migrate
from parkgrid.db import Database
from parkgrid.errors import Unauthenticated
from parkgrid.settings import ApiSettings, DatabaseSettings, LedgerSettings
from resolvers.reads.request import Limits
from schema import build_schema, limit_rules
from schema.context import Context
from schema.errors import ensure_codes
from web.compiled import FastPath, body_parts, query_string_parts
from web.middleware import (
    Authenticate,
    database_for,
    deferred_header,
    principal_of,
    refusal,
    settle,
)
from web.routes.coverage import coverage_routes
from web.routes.map import map_routes
from web.routes.ogc import ogc_routes
from web.routes.tiles import tile_routes


def is_json_post(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    content_type: bytes = dict(scope["headers"]).get(b"content-type", b"")
    return content_type.startswith(b"application/json")


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that hands the already-read body on, then the client's own."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


class ParkGraphQL(GraphQL[Context, None]):
    """GraphQL over HTTP, with a fresh context (and DataLoaders) per request."""

    def __init__(self, api: ApiSettings) -> None:
        limits = limit_rules(api)
        schema = build_schema(api, limits)
        super().__init__(schema, graphql_ide="graphiql" if api.graphiql else None)
        self.api, self.ledger = api, LedgerSettings()
        compiled = Limits.of(api, self.ledger)
        self.fast = FastPath(schema, api, limits, compiled)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            body = await request.body() if is_json_post(scope) else None
            answer = await self.answer_fast(request, body)
            if answer is None:
                await settle(request)
        except ClientDisconnect:  # the client went away mid-request: nobody to answer
            return None
        except Unauthenticated as error:
            return await refusal(scope["path"], error)(scope, receive, send)
        if answer is not None:
            return await Response(answer, media_type="application/json")(scope, receive, send)
        channel = receive if body is None else replay(body, receive)
        return await super().__call__(scope, channel, send)

    async def answer_fast(self, request: Request, body: bytes | None) -> bytes | None:
        """A compiled answer to a JSON POST or a GET with a query, else None."""
        if body is not None:
            parts = body_parts(body)
        elif request.method == "GET" and "query" in request.query_params:
            parts = query_string_parts(request.query_params)
        else:
            return None
        header = deferred_header(request)
        if header is None:
            return await self.fast.answer(parts, database_for(request))
        return await self.fast.answer(parts, request.app.state.db, header)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(
            request=request,
            response=response,
            db=database_for(request),
            principal=principal_of(request),
            api=self.api,
            now=datetime.now(UTC),
            ledger=self.ledger,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        return ensure_codes(dict(await super().process_result(request, result)))  # type: ignore[return-value]


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def migration_state(connection: Connection) -> dict[str, Any]:
    current = migrate.current_revision(connection)
    head = migrate.head_revision()
    return {"current": current, "head": head, "ready": current == head}


async def readyz(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    try:
        state = await db.read(migration_state)
    except SQLAlchemyError as exc:
        return JSONResponse({"ready": False, "database": type(exc).__name__}, status_code=503)
    return JSONResponse(state, status_code=200 if state["ready"] else 503)


def create_app(
    database: DatabaseSettings | None = None, api: ApiSettings | None = None
) -> Starlette:
    database_settings = database or DatabaseSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = Database.from_settings(database_settings)
        gc.freeze()  # what start-up built lives as long as the process: spare it full collections
        try:
            yield
        finally:
            app.state.db.dispose()

    api_settings = api or ApiSettings()
    routes = [
        Route("/graphql", ParkGraphQL(api_settings)),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *coverage_routes(api_settings),
        *tile_routes(api_settings),
        *ogc_routes(api_settings),
        *map_routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(Authenticate)])

"""The application factory: settings in, Starlette app out; the pool lives in the lifespan."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from graphql import OperationDefinitionNode, OperationType
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from parkgrid import migrate, trace
from parkgrid.changes import Changes
from parkgrid.db import Database
from parkgrid.errors import ParkgridError
from parkgrid.routing import Routed, open_database
from parkgrid.settings import (
    ApiSettings,
    DatabaseSettings,
    LedgerSettings,
    LogSettings,
    MapSettings,
    MetricsSettings,
    RateLimitSettings,
    ScaleSettings,
    ServerSettings,
)
from resolvers.reads.request import Limits
from schema import build_schema, limit_rules
from schema.context import Context
from schema.errors import ensure_codes
from web import live, persisted
from web.compiled import FastPath, Prepared
from web.cors import CrossOrigin
from web.graphql_http import (
    GraphQLRequest,
    Refused,
    answer_type,
    executed,
    failed,
    is_multipart,
    read_request,
    refusal,
    refused,
    request_errors,
    respond,
)
from web.metrics import metrics_routes
from web.middleware import (
    Authenticate,
    RefuseNul,
    database_for,
    deferred_header,
    principal_of,
    routing_error,
    settle,
)
from web.observe import Observe, bookkeeping_for
from web.overdue import OverdueCheck
from web.positions import TrackPositions
from web.ratelimit import RateLimit, RateLimits, check_graphql
from web.routes.coverage import coverage_routes
from web.routes.examples import example_routes
from web.routes.exports import export_routes
from web.routes.map import graphiql_page, map_routes
from web.routes.ogc import ogc_routes
from web.routes.tiles import tile_routes


class ParkGraphQL(GraphQL[Context, None]):
    """GraphQL over HTTP, with a fresh context (and DataLoaders) per request; subscriptions
    over WebSocket (graphql-transport-ws only, see web.live)."""

    graphql_transport_ws_handler_class = live.LiveHandler
    websocket_adapter_class = live.LiveSocket
    token_check_s = live.TOKEN_CHECK_S

    def __init__(self, api: ApiSettings) -> None:
        limits = limit_rules(api)
        schema = build_schema(api, limits)
        super().__init__(
            schema,
            graphql_ide="graphiql" if api.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=live.KEEP_ALIVE_S,
            connection_init_wait_timeout=timedelta(seconds=live.INIT_WAIT_S),
            allowed_origins=ServerSettings().cors_origins,
        )
        self.api, self.ledger = api, LedgerSettings()
        compiled = Limits.of(api, self.ledger)
        self.fast = FastPath(schema, api, limits, compiled)
        self.persisted = persisted.PersistedQueries(api.persisted_queries)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope, receive)
        answered_as = answer_type(request.headers)
        try:
            if self.shows_ide(request):
                await settle(request)
                return await super().__call__(scope, receive, send)
            response = await self.respond(request, answered_as)
        except ClientDisconnect:  # the client went away mid-request: nobody to answer
            return None
        except Refused as refusal:
            response = refused(refusal, answered_as)
        except ParkgridError as error:  # a bad token, the database unavailable, a timeout
            response = failed(error, answered_as)
        return await response(scope, receive, send)

    def shows_ide(self, request: Request) -> bool:
        """A browser's GET without a query, when the IDE is on: the view renders it."""
        if not self.api.graphiql or request.method != "GET":
            return False
        return "query" not in request.query_params and "text/html" in request.headers.get(
            "accept", ""
        )

    async def respond(self, request: Request, answered_as: str) -> Response:
        """Checked at the edge, then answered by the compiler when it can, else executed. A
        multipart request's token is checked before its body is read (a bad one is 401, not
        an upload read first), and its files are closed once it is answered."""
        if is_multipart(request):
            await settle(request)
        given = await read_request(request, self.api.max_body_bytes, self.api.max_upload_bytes)
        try:
            return await self.answer(request, given, answered_as)
        finally:
            await given.close()

    async def answer(self, request: Request, given: GraphQLRequest, answered_as: str) -> Response:
        store: Database = request.app.state.db
        try:
            given, registering = await self.persisted.resolve(given, store)
        except persisted.NotFound:
            return request_errors(persisted.not_found(), answered_as)
        prepared = self.fast.operation(given.query, given.operation_name)
        if prepared.errors:
            return request_errors(prepared.errors, answered_as)
        check_transport(request, given, prepared)
        assert prepared.node is not None
        named(prepared.node, given.operation_name)
        await check_graphql(request, prepared.node.operation == OperationType.MUTATION)
        if registering:
            await self.persisted.register(given, store)
        variables = self.fast.variables(prepared, given.variables)
        if isinstance(variables, list):
            return request_errors(variables, answered_as)
        header = deferred_header(request)
        db = database_for(request) if header is None else request.app.state.db
        body = await self.fast.answer(prepared, variables, db, header)
        if body is not None:
            return respond(body, answered_as)
        await settle(request)
        return executed(await self.execute(request, given), answered_as)

    async def execute(self, request: Request, given: GraphQLRequest) -> dict[str, Any]:
        """Field-by-field execution: mutations, and reads the compiler does not take."""
        context = await self.get_context(request, Response())
        result = await self.schema.execute(
            given.query,
            variable_values=given.variables,
            context_value=context,
            operation_name=given.operation_name,
        )
        return dict(await self.process_result(request, result))

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
            live=live.live_of(request) if isinstance(request, WebSocket) else None,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        await live.connect(context)
        return await super().on_ws_connect(context)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our page, which loads GraphiQL from /static: strawberry's loads it from a CDN."""
        return graphiql_page()

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        return ensure_codes(dict(await super().process_result(request, result)))  # type: ignore[return-value]


def check_transport(request: Request, given: GraphQLRequest, prepared: Prepared) -> None:
    """Refuse an operation the way it came cannot carry."""
    assert prepared.node is not None
    if prepared.node.operation == OperationType.SUBSCRIPTION:
        raise refusal("BAD_REQUEST", "subscriptions are not served over HTTP")
    if given.multipart and prepared.node.operation != OperationType.MUTATION:
        raise refusal("BAD_REQUEST", "a multipart request carries a mutation with"
                      " files; send queries as application/json or by GET")  # fmt: skip
    if request.method == "GET" and prepared.node.operation != OperationType.QUERY:
        raise refusal("METHOD_NOT_ALLOWED", "send mutations by POST; GET is for queries",
                      {"Allow": "POST"})  # fmt: skip


def named(node: OperationDefinitionNode, given: str | None) -> None:
    """The operation's name on the request's record (logs, metrics)."""
    info = trace.current()
    if info is not None:
        info.operation = given or (node.name.value if node.name else None)


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def migration_state(connection: Connection) -> dict[str, Any]:
    current = migrate.current_revision(connection)
    head = migrate.head_revision()
    return {"current": current, "head": head, "ready": current == head}


async def readyz(request: Request) -> JSONResponse:
    """Ready while reads can be served at the latest migration (from a replica when the
    primary is down: writes then answer 503 on their own); each database's state besides."""
    db: Database = request.app.state.db
    databases = await database_states(db)
    try:
        state = await db.read(migration_state)
    except (SQLAlchemyError, ParkgridError) as exc:
        failed = {"ready": False, "database": type(exc).__name__, **databases}
        return JSONResponse(failed, status_code=503)
    return JSONResponse({**state, **databases}, status_code=200 if state["ready"] else 503)


async def database_states(db: Database) -> dict[str, Any]:
    """Each database's role, reachability and lag, when there are replicas."""
    if not isinstance(db, Routed) or not db.router.replicas:
        return {}
    return {"databases": db.databases()}


def create_app(
    database: DatabaseSettings | None = None,
    api: ApiSettings | None = None,
    scale: ScaleSettings | None = None,
) -> Starlette:
    database_settings = database or DatabaseSettings()
    scale_settings = scale or ScaleSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = open_database(database_settings, scale_settings)
        await app.state.db.start()  # checks the replicas, and keeps checking them
        app.state.changes = Changes(app.state.db.listen_dsn)
        app.state.changes.start()  # listens in the background, and again after a restart
        app.state.overdue = OverdueCheck(database_settings.resolved_url(), api_settings)
        if api_settings.overdue_check:
            app.state.overdue.start()  # at start and after each park midnight
        gc.freeze()  # what start-up built lives as long as the process: spare it full collections
        try:
            yield
        finally:
            await app.state.overdue.stop()
            await app.state.changes.stop()
            await app.state.db.stop()
            app.state.db.dispose()
            app.state.bookkeeping.close()

    api_settings = api or ApiSettings()
    graphql = ParkGraphQL(api_settings)
    routes = [
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),  # subscriptions
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *coverage_routes(api_settings),
        *tile_routes(api_settings),
        *ogc_routes(api_settings),
        *export_routes(api_settings),
        *map_routes(MapSettings()),
        *example_routes(),
        *metrics_routes(MetricsSettings()),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: routing_error},
        middleware=[
            Middleware(Observe, settings=LogSettings()),
            Middleware(CrossOrigin),
            Middleware(TrackPositions),
            Middleware(RefuseNul),
            Middleware(RateLimit),
            Middleware(Authenticate),
        ],
    )
    app.state.bookkeeping = bookkeeping_for(database_settings)
    app.state.rate_limits = RateLimits(RateLimitSettings(), app.state.bookkeeping)
    return app

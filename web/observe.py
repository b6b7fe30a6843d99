"""Every request observed: its id, its log line and its metrics.

The outermost middleware of the app. It takes the request id from `X-Request-ID` (when
short and plain; else a new one), returns it in the response, and opens the request's
`parkgrid.trace.RequestInfo`, which the database layer fills (statements sent, the id on
every transaction) and the GraphQL handler names (the operation). When the answer is sent
it writes one log line and records the request in the metrics (web.metrics)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

import psycopg2
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parkgrid import metrics, trace
from parkgrid.auth.principal import Principal
from parkgrid.cluster import libpq_dsn
from parkgrid.db import session_options
from parkgrid.operations import Bookkeeping
from parkgrid.settings import DatabaseSettings, LogSettings
from web.logs import REQUESTS

HEADER = "x-request-id"
logger = logging.getLogger(REQUESTS)


def route_paths(routes: list[BaseRoute], prefix: str = "") -> dict[int, str]:
    """Each endpoint's path template (by the endpoint's id): the route label of metrics,
    bounded by the routes the app has, whatever paths clients send."""
    found: dict[int, str] = {}
    for route in routes:
        if isinstance(route, Mount):
            found[id(route.app)] = prefix + route.path
            found.update(route_paths(route.routes, prefix + route.path))
        elif isinstance(route, Route | WebSocketRoute):
            found.setdefault(id(route.endpoint), prefix + route.path)
    return found


class Templates:
    """The route template of a routed request ("unrouted" when no route took it)."""

    def __init__(self) -> None:
        self.paths: dict[int, str] | None = None

    def __call__(self, scope: Scope) -> str:
        if self.paths is None:
            self.paths = route_paths(scope["app"].routes)
        endpoint = scope.get("endpoint")
        if endpoint is None:  # answered before routing (refused): the route it was for
            endpoint = routed_endpoint(scope)
        return self.paths.get(id(endpoint), "unrouted") if endpoint is not None else "unrouted"


def routed_endpoint(scope: Scope) -> Any:
    for route in scope["app"].routes:
        match, child = route.matches(scope)
        if match != Match.NONE:
            return child.get("endpoint")
    return None


def caller(scope: Scope, info: trace.RequestInfo) -> tuple[int | None, str]:
    """The token id and role the request acted as (never the token itself)."""
    principal = scope.get("state", {}).get("principal")
    if isinstance(principal, Principal):
        return principal.token_id, principal.kind
    return info.token_id, info.role


class Observe:
    """Request id, log line and metrics of every HTTP request."""

    def __init__(self, app: ASGIApp, settings: LogSettings | None = None) -> None:
        self.app = app
        self.settings = settings or LogSettings()
        self.template = Templates()
        self.tasks: set[asyncio.Future[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        info = trace.RequestInfo(trace.request_id(Headers(scope=scope).get(HEADER)))
        pool_gauges(scope)
        token = trace.CURRENT.set(info)
        started, status = time.perf_counter(), [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableHeaders(scope=message)[HEADER] = info.request_id
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, sending)
        except BaseException as raised:
            error = raised
            raise
        finally:
            trace.CURRENT.reset(token)
            self.finish(scope, info, status[0], time.perf_counter() - started, error)

    def finish(self, scope: Scope, info: trace.RequestInfo, status: int, seconds: float,
               error: BaseException | None) -> None:  # fmt: skip
        info.route = self.template(scope)
        token_id, role = caller(scope, info)
        metrics.request_done(info.route, info.operation, status, seconds, info.statements)
        if token_id is not None and status < 500:
            self.record_use(scope, token_id)
        fields: dict[str, Any] = {
            "request_id": info.request_id, "method": scope["method"], "path": scope["path"],
            "route": info.route, "operation": info.operation, "token_id": token_id,
            "role": role, "status": status, "duration_ms": round(seconds * 1000, 3),
            "statements": info.statements, "client": client_address(scope),
        }  # fmt: skip
        log: Callable[..., None] = (
            logger.error if error is not None or status >= 500 else logger.info
        )
        exc_info = (type(error), error, error.__traceback__) if error is not None else None
        log("%s %s %s", scope["method"], scope["path"], status, extra=fields, exc_info=exc_info)

    def record_use(self, scope: Scope, token_id: int) -> None:
        """Note the token's use (when and from where) in the background, at most once a
        minute per token and process (parkgrid.operations)."""
        bookkeeping: Bookkeeping = scope["app"].state.bookkeeping
        if not bookkeeping.due(token_id, time.monotonic()):
            return
        task = asyncio.ensure_future(noted(bookkeeping, token_id, ip_address_of(scope)))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def noted(bookkeeping: Bookkeeping, token_id: int, address: str | None) -> None:
    try:
        await bookkeeping.token_used(token_id, address)
    except psycopg2.Error as error:  # the use is noted at the next request
        bookkeeping.used_at.pop(token_id, None)
        logger.warning("token %s: its use was not recorded (%s)", token_id, error)


def pool_gauges(scope: Scope) -> None:
    """The pools as a request arrives: connections in use, and requests waiting for one,
    for the worker threads' pool (writes, reports) and the compiled reads' pool."""
    db = getattr(scope["app"].state, "db", None)
    if db is None:
        return
    threads = db.limiter.statistics()
    metrics.pool_state("threads", threads.borrowed_tokens, threads.tasks_waiting)
    slots = db.reads.slots  # an asyncio.Semaphore, made at the first compiled read
    if slots is not None:
        waiting = len(getattr(slots, "_waiters", None) or ())
        metrics.pool_state("reads", db.reads.size - getattr(slots, "_value", 0), waiting)


def bookkeeping_for(settings: DatabaseSettings) -> Bookkeeping:
    return Bookkeeping(libpq_dsn(settings.resolved_url()), session_options(settings))


def ip_address_of(scope: Scope) -> str | None:
    """The client's address when it is one (a test client's is a name)."""
    found = client_address(scope)
    try:
        return str(ipaddress.ip_address(found or ""))
    except ValueError:
        return None


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None

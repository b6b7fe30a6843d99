"""Rate limits per route class, per token (or, without one, per client address).

Each limited request is counted by one upsert in PostgreSQL (parkgrid.operations), so every
worker and every instance against the database shares the count; over the limit, the
request is refused with 429 RATE_LIMITED and Retry-After (the end of the window), in the
route's own error shape. Tiles, OGC and exports are classified by path here; GraphQL
requests by the handler once it knows a mutation from a query (`check_graphql`). A token is
keyed by its digest, before it is checked: a flood of bad tokens is limited too."""

from __future__ import annotations

import time

import psycopg2
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from parkgrid import metrics
from parkgrid.auth.principal import bearer_secret
from parkgrid.auth.tokens import digest
from parkgrid.db import raise_trouble
from parkgrid.errors import ParkgridError, RateLimited, Unauthenticated
from parkgrid.operations import Bookkeeping
from parkgrid.settings import RateLimitSettings
from web.middleware import refusal

PATH_CLASSES = (("/tiles/", "tiles"), ("/ogc", "ogc"), ("/coverage/", "ogc"),
                ("/export/", "exports"))  # fmt: skip


def path_class(path: str) -> str | None:
    for prefix, route_class in PATH_CLASSES:
        if path.startswith(prefix):
            return route_class
    return None


def caller_key(scope: Scope) -> tuple[str, str]:
    """("token", digest) for a request with a token, else ("address", the client's)."""
    header = Headers(scope=scope).get("authorization")
    if header is not None:
        try:
            return "token", digest(bearer_secret(header)).hex()[:32]
        except Unauthenticated:
            pass
    client = scope.get("client")
    return "address", str(client[0]) if client else "-"


class RateLimits:
    def __init__(self, settings: RateLimitSettings, bookkeeping: Bookkeeping) -> None:
        self.settings, self.bookkeeping = settings, bookkeeping

    def limits(self, route_class: str) -> bool:
        return self.settings.limit(route_class) > 0

    async def check(self, scope: Scope, route_class: str) -> None:
        """Count the request; RateLimited once its caller is past the class's limit."""
        limit = self.settings.limit(route_class)
        if not limit:
            return
        kind, key = caller_key(scope)
        started, window = time.perf_counter(), self.settings.window_s
        try:
            count = await self.bookkeeping.count(
                f"{route_class}:{kind}:{key}", self.settings.window_s
            )
        except psycopg2.Error as error:
            raise_trouble(error)
            raise
        metrics.RATE_CHECK_SECONDS.observe(time.perf_counter() - started)
        if count.hits > limit:
            metrics.RATE_LIMITED.labels(route_class, kind).inc()
            message = f"more than {limit} {route_class} requests in {window} s"
            raise RateLimited(f"{message}; try again in {count.retry_after} s", count.retry_after)


async def check_graphql(connection: HTTPConnection, mutation: bool) -> None:
    limits: RateLimits = connection.app.state.rate_limits
    await limits.check(connection.scope, "mutations" if mutation else "graphql")


class RateLimit:
    """Counts requests to tiles, OGC and exports against their class's limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route_class = path_class(scope["path"]) if scope["type"] == "http" else None
        limits: RateLimits | None = scope["app"].state.rate_limits if route_class else None
        if route_class and limits and limits.limits(route_class):
            try:
                await limits.check(scope, route_class)
            except ParkgridError as error:
                return await refusal(scope["path"], error)(scope, receive, send)
        await self.app(scope, receive, send)

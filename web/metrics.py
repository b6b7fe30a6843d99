"""`/metrics`: the Prometheus text of every worker, for the addresses or token allowed.

Under `parkgrid serve` the workers write their values to PROMETHEUS_MULTIPROC_DIR and the
worker answering a scrape adds them up (prometheus-client's multiprocess collector); in a
single process (tests, a plain uvicorn) the default registry is read. With
PARKGRID_METRICS_PORT set, the metrics are served only there, by the server's supervising
process (`serve_metrics`), and the public port answers 404."""

from __future__ import annotations

import hmac
import ipaddress
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parkgrid.errors import NotFound, Unauthenticated
from parkgrid.settings import MetricsSettings
from web.routes.errors import answering

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"


def exposition() -> bytes:
    """Every worker's metrics when they share a directory, else this process's."""
    folder = os.environ.get(MULTIPROCESS)
    if not folder:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


class Guard:
    """Who may scrape: an address in the allowlist (addresses or CIDR networks), or a
    request bearing the metrics token (compared in constant time)."""

    def __init__(self, settings: MetricsSettings) -> None:
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in settings.allow]
        self.token = settings.token

    def allows(self, address: str | None, authorization: str | None) -> bool:
        if self.token and authorization:
            scheme, _, given = authorization.partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), self.token):
                return True
        try:
            client = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(client in network for network in self.networks)


def metrics_routes(settings: MetricsSettings) -> list[Route]:
    """/metrics on the public port, unless metrics are off or served on a port of their own."""
    if not settings.enabled or settings.port is not None:
        return []
    guard = Guard(settings)

    async def metrics(request: Request) -> Response:
        address = request.client.host if request.client else None
        if not guard.allows(address, request.headers.get("authorization")):
            if settings.token:
                raise Unauthenticated("scraping needs the metrics token (Bearer)")
            raise NotFound("no such path")
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", answering(metrics), methods=["GET"])]


StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def wsgi_metrics(guard: Guard) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        allowed = guard.allows(environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION"))
        if environ.get("PATH_INFO") != "/metrics" or not allowed:
            start("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        start("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [exposition()]

    return app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not worth a line each."""


def serve_metrics(settings: MetricsSettings, host: str) -> WSGIServer | None:
    """/metrics on its own port, in a thread of the calling (supervising) process."""
    if not settings.enabled or settings.port is None:
        return None
    server = make_server(host, settings.port, wsgi_metrics(Guard(settings)),
                         handler_class=QuietHandler)  # fmt: skip
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
    return server

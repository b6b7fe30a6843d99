"""`/export/…`: the ledger, the statistics, the register, the coverage report and the
recruitment notice as files, for signed-in callers only (anonymous: 401), each holding what
the caller may see.

The rows are read through the caller's scoped views in a worker thread (the connection goes
back to the pool before the file is written), the file is built in another worker thread
into a temporary directory, streamed from there and removed once sent: the event loop never
waits on either, and a large file is never held in memory."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route

from parkgrid import metrics
from parkgrid.errors import Unauthenticated
from parkgrid.settings import ApiSettings
from resolvers.exports import given
from resolvers.exports.base import Clock, Export
from resolvers.exports.coverage import coverage_export
from resolvers.exports.ledger import ledger_export
from resolvers.exports.notice import notice_export
from resolvers.exports.stats import stats_export
from resolvers.exports.vector import register_export
from web.middleware import database_for, principal_of
from web.routes.errors import answering

BUILDERS = 2
"""Files built at once per process: writing one takes a core, and the machine has two."""


class Builders:
    """The limit on files built at once, made on first use (inside the event loop)."""

    def __init__(self) -> None:
        self.limiter: anyio.CapacityLimiter | None = None

    def __call__(self) -> anyio.CapacityLimiter:
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(BUILDERS)
        return self.limiter


builders = Builders()


def signed_in(request: Request) -> None:
    """Exports are for signed-in callers: a file is a copy that leaves the service."""
    if not principal_of(request).is_staff:
        raise Unauthenticated("sign in: exports need a token (Authorization: Bearer ...)")


def parameters(request: Request) -> dict[str, list[str]]:
    params = request.query_params
    return {name: params.getlist(name) for name in params}


async def delivered(request: Request, export: Export[Any]) -> Response:
    """The export read as the caller, written to a temporary file and streamed."""
    with metrics.job("export", request.url.path.split("/")[2].split(".")[0]):
        return await written(request, export)


async def written(request: Request, export: Export[Any]) -> Response:
    found = await database_for(request).read(export.collect)
    folder = Path(tempfile.mkdtemp(prefix="parkgrid-export-"))
    path = folder / export.filename
    try:
        await anyio.to_thread.run_sync(export.write, found, path, limiter=builders())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=export.media_type,
        filename=export.filename,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def export_routes(api: ApiSettings) -> list[Mount]:
    def clock() -> Clock:
        return Clock(api.timezone, datetime.now(UTC))

    async def ledger(request: Request) -> Response:
        signed_in(request)
        options = given.ledger_options(parameters(request), clock())
        return await delivered(request, ledger_export(options))

    async def stats(request: Request) -> Response:
        signed_in(request)
        options = given.stats_options(parameters(request), clock())
        return await delivered(request, stats_export(options))

    async def register(request: Request) -> Response:
        signed_in(request)
        chosen = given.register_options(
            parameters(request), request.path_params["format"], clock().now
        )
        return await delivered(request, register_export(*chosen))

    async def coverage(request: Request) -> Response:
        signed_in(request)
        options = given.coverage_options(request.path_params["park"], parameters(request), clock())
        return await delivered(request, coverage_export(options))

    async def recruitment(request: Request) -> Response:
        signed_in(request)
        format_name = request.path_params["format"]
        options = given.notice_options(parameters(request), format_name, clock())
        return await delivered(request, notice_export(options))

    routes = [
        Route("/ledger.xlsx", answering(ledger), methods=["GET"], name="ledger"),
        Route("/stats.xlsx", answering(stats), methods=["GET"], name="stats"),
        Route("/register.{format}", answering(register), methods=["GET"], name="register"),
        Route("/coverage/{park}.xlsx", answering(coverage), methods=["GET"], name="coverage"),
        Route("/recruitment.{format}", answering(recruitment), methods=["GET"], name="notice"),
    ]
    return [Mount("/export", routes=routes, name="export")]

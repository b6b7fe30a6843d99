"""Serve the app with uvicorn; a pid file lets `make stop` find the server."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from parkgrid.settings import ClusterSettings, LogSettings, MetricsSettings, ServerSettings

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"


def pid_file() -> Path:
    return ClusterSettings().data_dir / "server.pid"


@contextlib.contextmanager
def recorded_pid(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def shared_metrics(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory where each writes its metrics (the
    workers are started afterwards and inherit it), removed when the server stops: values
    of an earlier run never leak into this one's. One worker keeps them in memory."""
    if workers == 1:
        yield
        return
    folder = tempfile.mkdtemp(prefix="parkgrid-metrics-")
    os.environ[MULTIPROCESS] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS, None)
        shutil.rmtree(folder, ignore_errors=True)


def serve(settings: ServerSettings, reload: bool = False) -> None:
    from web.logs import log_config

    print(f"parkgrid: GraphQL at http://{settings.host}:{settings.port}/graphql", flush=True)
    with recorded_pid(pid_file()), shared_metrics(1 if reload else settings.workers):
        from web.metrics import serve_metrics  # after the directory is set: it imports the client

        metrics = serve_metrics(MetricsSettings(), settings.host)
        uvicorn.run(
            "web.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            reload=reload,
            access_log=settings.access_log,
            log_config=log_config(LogSettings(), settings.access_log),
            # subscription messages are small JSON: compressing them costs each connection a
            # zlib stream on both ends and CPU per message for little gain (see README,
            # "Live updates")
            ws_per_message_deflate=False,
        )
        if metrics is not None:
            metrics.shutdown()


def stop_server() -> bool:
    """Stop a server that `parkgrid serve` started; return whether one was running."""
    path = pid_file()
    if not path.exists():
        return False
    try:
        os.kill(int(path.read_text()), signal.SIGTERM)
    except (ProcessLookupError, ValueError):
        return False
    finally:
        path.unlink(missing_ok=True)
    return True

"""Serve the app with uvicorn; a pid file lets `make stop` find the server."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from parkgrid.settings import ClusterSettings, ServerSettings


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


def serve(settings: ServerSettings, reload: bool = False) -> None:
    print(f"parkgrid: GraphQL at http://{settings.host}:{settings.port}/graphql", flush=True)
    with recorded_pid(pid_file()):
        uvicorn.run(
            "web.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            reload=reload,
            access_log=settings.access_log,
            log_level="info",
            # subscription messages are small JSON: compressing them costs each connection a
            # zlib stream on both ends and CPU per message for little gain (see README,
            # "Live updates")
            ws_per_message_deflate=False,
        )


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

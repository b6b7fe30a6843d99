"""Chromium for the browser tests, launched one way: Debian's chromium (no downloaded browser)
that can reach nothing but the service under test.

The pages must work on a park network without internet, so a test must fail when a page
reaches out, and the browser itself must not (its own update, sync and telemetry traffic
would make a test depend on the network, and leak that the test ran). Hence the flags: no
background networking, component updates or sync, and every host name but 127.0.0.1 resolving
to nothing. Pages are served on 127.0.0.1, and each context aborts requests elsewhere and
records them (`Outside`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, Route
from playwright.sync_api import Request as BrowserRequest

from parkgrid import cluster
from parkgrid.settings import PROJECT_ROOT
from tests import pooled
from tests.helpers import apt_install

CHROMIUM = Path("/usr/bin/chromium")
ISOLATION_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-domain-reliability",
]
"""What keeps the browser itself off the network, and names other than 127.0.0.1 unresolved."""
RENDER_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"]
"""Root in a container has no sandbox; WebGL (MapLibre) draws in software."""
LOCAL_SCHEMES = ("blob:", "data:")


def chromium() -> Path:
    """Debian's chromium, installed with apt when missing and we are root; else skip."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = apt_install("chromium")
    if not CHROMIUM.exists():
        pytest.skip(f"chromium is missing and could not be installed: {reason}")
    return CHROMIUM


def launch(playwright: Playwright) -> Browser:
    """The one way the tests start a browser."""
    return playwright.chromium.launch(
        executable_path=str(chromium()), args=[*RENDER_ARGS, *ISOLATION_ARGS]
    )


class Outside:
    """A context's requests to anywhere but `base`, aborted and kept for the test to check."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.local = (f"{base}/", *LOCAL_SCHEMES)
        self.urls: list[str] = []
        self.requested: list[str] = []  # every request, local or not
        context.route("**/*", self.only_local)
        context.on("request", self.seen)

    def only_local(self, route: Route) -> None:
        (route.continue_ if route.request.url.startswith(self.local) else route.abort)()

    def seen(self, request: BrowserRequest) -> None:
        self.requested.append(request.url)
        if not request.url.startswith(self.local):
            self.urls.append(request.url)


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if json.load(response)["ready"]:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{base} was not ready within 60 s")


@contextmanager
def served(database_url: str, port: int | None = None) -> Iterator[str]:
    """The app under uvicorn, as `parkgrid serve` runs it, on `port` of 127.0.0.1 (a free
    one unless given: serving again on the same port is a restart, to clients)."""
    port = port or cluster.free_port()
    command = [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, **pooled.server_env(database_url)}
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)

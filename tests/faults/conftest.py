"""Fault tests: a PostgreSQL cluster of their own, which they may stop hard and start again.

The project's shared cluster (.data/pg) serves everyone's tests and must never be stopped, so
these tests initialise a throwaway one in a temporary directory on a free port, with the very
functions `parkgrid db up` uses (parkgrid.cluster), migrate it and seed the demo park. The
service runs as a real `parkgrid serve` subprocess (bench.servers.server) on 127.0.0.1, so that
a fault reaches it the way it would in production: through its pools, not through a test client.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.servers import server
from parkgrid import cluster, migrate, topology
from parkgrid.demo import seed_demo
from parkgrid.settings import ClusterSettings
from tests.conftest import ADMIN_TOKEN, add_token

# smaller than the shared cluster's: several throwaway clusters may run beside it
SMALL_SERVER = "\n# fault tests: a small throwaway cluster\nshared_buffers = 32MB\n"
SERVICE_WORKERS = 1  # the machine's cores go to the load; recovery is per process anyway


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fault: stops a throwaway PostgreSQL cluster under a running service (bounded, 127.0.0.1)",
    )


class ThrowawayCluster(topology.Node):
    """A private cluster in `root` (a temporary directory the server user can enter): started
    and stopped like the project's own, stopped in immediate mode to simulate a crash."""

    def __init__(self, root: Path) -> None:
        settings = ClusterSettings(data_dir=root, port=cluster.free_port())
        super().__init__(settings, cluster.ensure_packages())

    def create(self) -> None:
        cluster.initialise(self.settings, self.major)
        with (self.settings.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(SMALL_SERVER)
        self.start()
        cluster.ensure_database(self.url)

    def stop_immediately(self) -> None:
        """A crash, as far as the data is concerned: no checkpoint, recovery from the WAL."""
        code = cluster.pg_ctl(self.settings, self.major, "-m", "immediate", "-w", "stop")
        assert code == 0, "pg_ctl stop -m immediate failed"


@pytest.fixture(scope="session")
def throwaway() -> Iterator[ThrowawayCluster]:
    """A migrated cluster with the demo park and the admin token; removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="parkgrid-faults-"))
    root.chmod(0o755)  # the server user (postgres, when we are root) must enter it
    made = ThrowawayCluster(root)
    try:
        made.create()
        migrate.upgrade(made.url)
        seed_demo(made.url, only_if_empty=False)
        add_token(made.url, ADMIN_TOKEN, "admin")
        yield made
    finally:
        made.remove()


@pytest.fixture
def cluster_up(throwaway: ThrowawayCluster) -> Iterator[ThrowawayCluster]:
    """The throwaway cluster, running before the test and after it, whatever the test did."""
    throwaway.start()
    yield throwaway
    throwaway.start()


@dataclass(frozen=True)
class Service:
    """A running `parkgrid serve` on 127.0.0.1."""

    port: int
    pid: int
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@pytest.fixture(scope="module")
def service(throwaway: ThrowawayCluster) -> Iterator[Service]:
    """The real server (uvicorn, SERVICE_WORKERS workers) on the throwaway cluster, for one
    module. Its log and pid file go to the cluster's temporary directory (TMPDIR for
    bench.servers), so nothing is left behind and the shared server.pid is never touched."""
    throwaway.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(throwaway.settings.data_dir))
        with server(throwaway.url, SERVICE_WORKERS) as (port, watch):
            log = throwaway.settings.data_dir / f"parkgrid-bench-{port}.log"
            yield Service(port=port, pid=watch.root, log=log)


@dataclass(frozen=True)
class Reply:
    """An answer, or status 0 with the reason when none came (refused, reset, timed out)."""

    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    error: str = ""

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        return self.error or f"{self.status} {self.body[:200].decode(errors='replace')}"


class Http:
    """Requests to the service on 127.0.0.1 (never elsewhere), each on a connection of its
    own: a failure is then the request's, never a stale keep-alive connection's that the
    server closed after an error. Each request is bounded by `timeout` seconds."""

    def __init__(self, port: int, token: str | None = ADMIN_TOKEN, timeout: float = 10.0) -> None:
        self.port, self.token, self.timeout = port, token, timeout
        self.extra: dict[str, str] = {}
        """Headers every request carries besides."""

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Reply:
        headers = {"Connection": "close", **self.extra}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body).encode() if body is not None else None
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=payload, headers=headers)
            answer = connection.getresponse()
            return Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()},
                         answer.read())  # fmt: skip
        except (OSError, http.client.HTTPException) as error:
            return Reply(0, {}, b"", f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Reply:
        return self.request("POST", "/graphql", {"query": query, "variables": variables or {}})


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()

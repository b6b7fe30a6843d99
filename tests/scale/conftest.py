"""Scale-out tests: a primary with two streaming replicas of their own, and two real
`parkgrid serve` instances reading from the replicas.

Like the fault tests, these never touch the shared cluster: the primary is a throwaway
private cluster in a temporary directory on a free port, the replicas are made from it with
pg_basebackup and slots (parkgrid.topology, the code `parkgrid cluster up` runs), and
everything is removed at the end. Commits are synchronous to one replica (ANY 1), as the
README advises for failover without loss."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from bench.servers import server
from parkgrid import cluster, migrate, topology
from parkgrid.demo import seed_demo
from parkgrid.settings import ClusterSettings
from tests.conftest import ADMIN_TOKEN, add_token
from tests.faults import conftest as fault_tests
from tests.faults.conftest import SMALL_SERVER, Http, wait_for

INSTANCE_ENV = {
    "PARKGRID_DB_MAX_LAG_S": "1.0",
    "PARKGRID_DB_CHECK_INTERVAL_S": "0.2",
    "PARKGRID_DB_CATCH_UP_WAIT_MS": "50",
    "PARKGRID_DB_POOL_SIZE": "4",
}
TOKENS = [f"pgt_scale-{n}" for n in range(4)]


def pytest_configure(config: pytest.Config) -> None:
    fault_tests.pytest_configure(config)  # their writes are reused here
    config.addinivalue_line(
        "markers",
        "scale: replicas and several instances on throwaway PostgreSQL servers (127.0.0.1)",
    )


@dataclass
class Replicated:
    root: Path
    primary: topology.Node
    replicas: list[topology.Node]

    def remove(self) -> None:
        for node in [*self.replicas, self.primary]:
            node.remove()
        shutil.rmtree(self.root, ignore_errors=True)

    def streaming(self) -> int:
        row = self.primary.query(
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
        )
        return int(row[0]) if row else 0  # type: ignore[call-overload]


def build(root: Path) -> Replicated:
    """A migrated primary with the demo park and tokens, and two replicas following it."""
    major = cluster.ensure_packages()
    settings = ClusterSettings(data_dir=root / "primary", port=cluster.free_port())
    cluster.initialise(settings, major)
    with (settings.pgdata / "postgresql.conf").open("a") as conf:
        conf.write(SMALL_SERVER)
    primary = topology.primary_node(settings)
    made = Replicated(root, primary, [])
    try:
        migrate.upgrade(primary.url)
        seed_demo(primary.url, only_if_empty=False)
        for secret in [ADMIN_TOKEN, *TOKENS]:
            add_token(primary.url, secret, "admin")
        made.replicas = [topology.replica(primary, n) for n in (1, 2)]
        assert wait_for(lambda: made.streaming() == 2, 30), "replicas are not streaming"
        topology.make_synchronous(primary)
    except BaseException:
        made.remove()
        raise
    return made


@contextmanager
def replicated() -> Iterator[Replicated]:
    root = Path(tempfile.mkdtemp(prefix="parkgrid-scale-"))
    root.chmod(0o755)  # the server user (postgres, when we are root) must enter it
    made = build(root)
    try:
        yield made
    finally:
        made.remove()


@dataclass
class Instances:
    """Running `parkgrid serve` instances on 127.0.0.1."""

    ports: list[int]
    logs: list[Path]

    def http(self, n: int, token: str | None = ADMIN_TOKEN) -> Http:
        return Http(self.ports[n], token)

    def databases(self, n: int) -> list[dict[str, Any]]:
        reply = self.http(n, None).request("GET", "/readyz")
        found: list[dict[str, Any]] = json.loads(reply.body).get("databases", [])
        return found

    def log_tail(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in self.logs if p.exists())


@contextmanager
def instances(primary_url: str, replica_urls: list[str], root: Path, count: int = 2
              ) -> Iterator[Instances]:  # fmt: skip
    """`count` instances (one worker each) on the primary and the replicas."""
    with pytest.MonkeyPatch.context() as patch, ExitStack() as stack:
        patch.setenv("TMPDIR", str(root))
        patch.setenv("DATABASE_REPLICA_URLS", ",".join(replica_urls))
        for name, value in INSTANCE_ENV.items():
            patch.setenv(name, value)
        ports = [stack.enter_context(server(primary_url, 1))[0] for _ in range(count)]
        logs = [root / f"parkgrid-bench-{port}.log" for port in ports]
        yield Instances(ports, logs)


@pytest.fixture(scope="module")
def topology_up() -> Iterator[Replicated]:
    with replicated() as made:
        yield made


@pytest.fixture(scope="module")
def served(topology_up: Replicated) -> Iterator[Instances]:
    urls = [node.url for node in topology_up.replicas]
    with instances(topology_up.primary.url, urls, topology_up.root) as running:
        assert wait_for(lambda: all_in_rotation(running, 2), 20), running.log_tail()
        yield running


def all_in_rotation(running: Instances, replicas: int) -> bool:
    for n in range(len(running.ports)):
        states = running.databases(n)
        if sum(1 for s in states if s["role"] == "replica" and s["in_rotation"]) != replicas:
            return False
    return True


def transactions(node: topology.Node) -> int:
    """Transactions the server has counted in the park's database (its statistics)."""
    conn = psycopg2.connect(node.dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database"
                " WHERE datname = current_database()"
            )
            return int(cur.fetchone()[0])
    finally:
        conn.close()

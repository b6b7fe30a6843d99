"""`parkgrid cluster up | down`: the scaled-out topology on one machine.

    HAProxy :8080 -> API 1, API 2 (parkgrid serve) -> PgBouncer (transaction mode)
                                                   -> primary (the private cluster)
                                                   -> replica 1..N (streaming, slots)

Each API instance is a `parkgrid serve` process of its own, started detached with its log and
pid file under `.data/topology/api<N>/`; `down` stops exactly the processes it started (by
their pid files), removes the replicas and their slots, and leaves the private cluster
running (`parkgrid db down` stops it)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from parkgrid import cluster, migrate, pooler, topology
from parkgrid.settings import ClusterSettings, DatabaseSettings

PARKGRID = str(Path(sys.executable).with_name("parkgrid"))
READY_S = 60.0


def url_at(settings: ClusterSettings, port: int, database: str) -> str:
    return f"postgresql://{settings.superuser}@127.0.0.1:{port}/{database}"


def instance_env(
    settings: ClusterSettings, primary: topology.Node, replicas: list[topology.Node], bouncer: int
) -> dict[str, str]:
    """The API's settings: through the pooler when there is one (no PREPARE, no session
    settings at connect, LISTEN on the primary itself), else straight to the servers."""
    direct = url_at(settings, primary.port, settings.database)
    if not bouncer:
        urls = [url_at(settings, node.port, settings.database) for node in replicas]
        return {"DATABASE_URL": direct, "DATABASE_REPLICA_URLS": ",".join(urls)}
    names = [f"{settings.database}_replica{n}" for n in range(1, len(replicas) + 1)]
    return {
        "DATABASE_URL": url_at(settings, bouncer, settings.database),
        "DATABASE_REPLICA_URLS": ",".join(url_at(settings, bouncer, name) for name in names),
        "PARKGRID_DB_LISTEN_URL": direct,
        "PARKGRID_DB_PREPARE": "false",
        "PARKGRID_DB_SESSION_OPTIONS": "false",
    }


def start_instance(settings: ClusterSettings, n: int, env: dict[str, str]) -> int:
    """`parkgrid serve` detached, on a free port; returns the port once it is ready."""
    directory = pooler.topology_dir(settings) / f"api{n}"
    directory.mkdir(exist_ok=True)
    pooler.stop_pidfile(directory / "server.pid")
    port = cluster.free_port()
    full = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1",
            "PARKGRID_CLUSTER_DATA_DIR": str(directory)}  # fmt: skip
    with (directory / "server.log").open("ab") as log:
        subprocess.Popen(
            [PARKGRID, "serve"], env=full, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    wait_ready(port, directory / "server.log")
    return port


def wait_ready(port: int, log: Path) -> None:
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise cluster.ClusterError(f"the API on port {port} did not become ready; see {log}")


def cmd_cluster_up(args: argparse.Namespace) -> int:
    settings = ClusterSettings()
    primary = topology.primary_node(settings)
    migrate.upgrade(primary.url)
    replicas = [topology.replica(primary, n) for n in range(1, args.replicas + 1)]
    if args.synchronous and replicas:
        topology.make_synchronous(primary)
    bouncer = 0
    if args.pooler:
        targets = {settings.database: primary.port}
        targets |= {f"{settings.database}_replica{n}": node.port
                    for n, node in enumerate(replicas, 1)}  # fmt: skip
        bouncer = pooler.start_pgbouncer(settings, targets, DatabaseSettings())
    env = instance_env(settings, primary, replicas, bouncer)
    apis = [start_instance(settings, n, env) for n in range(1, args.instances + 1)]
    pooler.start_haproxy(settings, args.port, apis)
    print(f"primary      127.0.0.1:{primary.port} ({settings.pgdata})")
    for n, node in enumerate(replicas, 1):
        print(f"replica {n}    127.0.0.1:{node.port} (slot {topology.SLOT.format(n=n)})")
    if bouncer:
        print(f"pgbouncer    127.0.0.1:{bouncer} (transaction mode)")
    for n, port in enumerate(apis, 1):
        print(f"api {n}        http://127.0.0.1:{port}/readyz")
    print(f"haproxy      http://127.0.0.1:{args.port}/graphql")
    return 0


def cmd_cluster_down(_: argparse.Namespace) -> int:
    settings = ClusterSettings()
    directory = settings.data_dir / "topology"
    pooler.stop_all(settings)
    for pid_file in sorted(directory.glob("api*/server.pid")):
        pooler.stop_pidfile(pid_file)
    if (settings.pgdata / "PG_VERSION").exists():
        major = int((settings.pgdata / "PG_VERSION").read_text().strip())
        primary = topology.Node(settings, major)
        if primary.running():
            topology.unmake_synchronous(primary)
        topology.remove_replicas(primary)
    print("the topology is down (the private cluster still runs: `parkgrid db down`)")
    return 0


def add_cluster(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("cluster", help="replicas, pooler and load balancer, locally")
    actions = group.add_subparsers(required=True)
    up = actions.add_parser("up", help="primary + streaming replicas + PgBouncer + HAProxy")
    up.add_argument("--replicas", type=int, default=2, choices=range(0, 6), metavar="N")
    up.add_argument("--pooler", action="store_true", help="PgBouncer in transaction mode")
    up.add_argument("--instances", type=int, default=2, choices=range(1, 9), metavar="N")
    up.add_argument("--port", type=int, default=8080, help="where HAProxy listens")
    up.add_argument("--synchronous", action="store_true",
                    help="a commit waits for one replica (no loss on failover)")  # fmt: skip
    up.set_defaults(handler=cmd_cluster_up)
    actions.add_parser("down", help="stop what `cluster up` started").set_defaults(
        handler=cmd_cluster_down
    )

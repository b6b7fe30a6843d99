"""Scale-out bench: grid detail through one and two API instances, its reads on the primary or
on a streaming replica, directly or through PgBouncer in transaction mode (nothing prepared).

    .venv/bin/python -m bench.scale --seconds 10 [--enterprises 100000]
    .venv/bin/python -m bench.scale --prepare-rounds 6 --seconds 10 [--enterprises 20000]

Everything runs in a throwaway topology of its own (a primary in a temporary directory on a
free port, a synthetic province made by `parkgrid generate`, one replica by pg_basebackup),
removed at the end; the shared cluster is never touched. Each instance is one `parkgrid
serve` worker; two instances sit behind HAProxy. wrk sends the load from the same machine,
so on a small machine the servers, PostgreSQL and wrk share the cores: the table says how
the tiers share a machine, not how each would scale on machines of their own.

Rows measured one after the other on a shared machine compare the machine's moments as much
as the settings (the two rows without PREPARE once disagreed by half), and the first rows ran
while autovacuum was still analysing the province just generated. So the data is vacuumed and
analysed before anything is measured, and `--prepare-rounds N` measures the one comparison
that matters behind a pooler, PREPARE on and off, interleaved: N rounds of on then off (the
order swapped every round), each its own server with its own warm-up, and the ratio of the
two per round, whose median is the figure (the machine's drift moves both sides of a round
alike)."""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg2

from bench.load import Figures, run_wrk
from bench.queries import core_queries
from bench.run import generate
from bench.servers import environment, server
from parkgrid import cluster, pooler, topology
from parkgrid.generate import Plan
from parkgrid.settings import ClusterSettings, DatabaseSettings
from web.cli_cluster import instance_env

WARM_UP_S = 3


def province(root: Path, plan: Plan) -> topology.Node:
    """A primary with the synthetic province, vacuumed and analysed."""
    settings = ClusterSettings(data_dir=root / "primary", port=cluster.free_port())
    primary = topology.primary_node(settings)
    generate(primary.url, plan)
    conn = psycopg2.connect(cluster.libpq_dsn(primary.url))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()
    return primary


def build(root: Path, plan: Plan) -> tuple[topology.Node, topology.Node]:
    primary = province(root, plan)
    replica = topology.replica(primary, 1)
    deadline = time.monotonic() + 60
    while primary.query("SELECT count(*) FROM pg_stat_replication") != (1,):
        if time.monotonic() > deadline:
            raise SystemExit("the replica does not stream")
        time.sleep(0.2)
    return primary, replica


def scenarios(primary: topology.Node, replica: topology.Node, bouncer: int
              ) -> list[tuple[str, int, dict[str, str]]]:  # fmt: skip
    """(name, instances, settings) of each row."""
    on_primary = {"DATABASE_URL": primary.url, "DATABASE_REPLICA_URLS": ""}
    on_replica = {"DATABASE_URL": primary.url, "DATABASE_REPLICA_URLS": replica.url}
    unprepared = {**on_primary, "PARKGRID_DB_PREPARE": "false"}
    pooled = instance_env(primary.settings, primary, [], bouncer)
    return [
        ("1 instance, reads on the primary", 1, on_primary),
        ("1 instance, reads on a replica", 1, on_replica),
        ("2 instances (HAProxy), reads on the primary", 2, on_primary),
        ("2 instances (HAProxy), reads on a replica", 2, on_replica),
        ("1 instance, reads on the primary, no PREPARE", 1, unprepared),
        ("1 instance through PgBouncer (transaction mode, no PREPARE)", 1, pooled),
    ]


def measure(
    settings: ClusterSettings, plan: Plan, count: int, env: dict[str, str],
    args: argparse.Namespace,
) -> Figures:  # fmt: skip
    query = core_queries(plan)[0]  # grid detail
    with environment({**env, "TMPDIR": str(settings.data_dir)}), ExitStack() as stack:
        ports = [stack.enter_context(server(env["DATABASE_URL"], 1))[0] for _ in range(count)]
        port = ports[0]
        if count > 1:
            port = cluster.free_port()
            pooler.start_haproxy(settings, port, ports)
            stack.callback(pooler.stop_pidfile, settings.data_dir / "topology" / "haproxy.pid")
        url = f"http://127.0.0.1:{port}"
        run_wrk(url, plan, query, WARM_UP_S, args.connections)
        return run_wrk(url, plan, query, args.seconds, args.connections)


def prepare_cost(root: Path, plan: Plan, args: argparse.Namespace) -> None:
    """Grid detail on one instance with PREPARE on and off, interleaved (see the module)."""
    primary = province(root, plan)
    sides = {"PREPARE": {"DATABASE_URL": primary.url, "DATABASE_REPLICA_URLS": ""}}
    sides["no PREPARE"] = {**sides["PREPARE"], "PARKGRID_DB_PREPARE": "false"}
    ratios: list[float] = []
    try:
        print("| round | PREPARE req/s | p50 ms | no PREPARE req/s | p50 ms | off/on |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in range(1, args.prepare_rounds + 1):
            order = list(sides) if n % 2 else list(reversed(sides))
            found = {name: measure(primary.settings, plan, 1, sides[name], args) for name in order}
            on, off = found["PREPARE"], found["no PREPARE"]
            ratios.append(off.rps / on.rps)
            print(f"| {n} | {on.rps:,.0f} | {on.p50_ms:.2f} | {off.rps:,.0f} | {off.p50_ms:.2f}"
                  f" | {ratios[-1]:.2f} |", flush=True)  # fmt: skip
        print(f"median off/on: {statistics.median(ratios):.2f}"
              f" (range {min(ratios):.2f}-{max(ratios):.2f})")  # fmt: skip
    finally:
        primary.remove()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--prepare-rounds", type=int, default=0,
                        help="only PREPARE on against off, interleaved, this many rounds")  # fmt: skip
    args = parser.parse_args()
    plan = Plan(parks=1, zones=10, grids=1_000, enterprises=args.enterprises, seed=1)
    root = Path(tempfile.mkdtemp(prefix="parkgrid-bench-scale-"))
    root.chmod(0o755)
    if args.prepare_rounds:
        prepare_cost(root, plan, args)
        return
    primary, replica = build(root, plan)
    try:
        bouncer = pooler.start_pgbouncer(
            primary.settings, {primary.settings.database: primary.port}, DatabaseSettings()
        )
        print(f"| grid detail, {plan.enterprises:,} enterprises in {plan.grids:,} grids"
              " | req/s | p50 ms | p95 ms | failed |")  # fmt: skip
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, count, env in scenarios(primary, replica, bouncer):
            found = measure(primary.settings, plan, count, env, args)
            print(f"| {name} | {found.rps:,.0f} | {found.p50_ms:.2f} | {found.p95_ms:.2f}"
                  f" | {found.failures} |", flush=True)  # fmt: skip
    finally:
        pooler.stop_all(primary.settings)
        replica.remove()
        primary.remove()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

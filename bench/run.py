"""Benchmark the core queries: raw SQL (pgbench) against the service (wrk on /graphql), in one
run on one database, with the server's memory sampled under load.

    python -m bench.run [--generate] [--seconds 15] [--workers 3]

Uses DATABASE_URL (default: the private cluster's `parkgrid_bench` database). With --generate
it first builds the province (100 zones, 10,000 grids, 1,000,000 enterprises) into an empty
database and reports generate's peak memory."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bench.load import Figures, run_pgbench, run_wrk
from bench.queries import CoreQuery, core_queries
from parkgrid import cluster, migrate
from parkgrid.auth import tokens
from parkgrid.generate import Plan
from parkgrid.settings import ClusterSettings, normalise_url

PARKGRID = str(Path(sys.executable).with_name("parkgrid"))


def bench_url() -> str:
    given = os.environ.get("DATABASE_URL")
    if given:
        return normalise_url(given)
    base = cluster.up(ClusterSettings())
    return make_url(base).set(database="parkgrid_bench").render_as_string(hide_password=False)


def generate(url: str, plan: Plan) -> float:
    """Run `parkgrid generate`; return its peak RSS in MB."""
    cluster.ensure_database(url)
    migrate.upgrade(url)
    arguments = [
        f"--{k}={v}"
        for k, v in (
            ("parks", plan.parks),
            ("zones", plan.zones),
            ("grids", plan.grids),
            ("enterprises", plan.enterprises),
            ("seed", plan.seed),
        )
    ]
    subprocess.run(
        [PARKGRID, "generate", *arguments], env={**os.environ, "DATABASE_URL": url}, check=True
    )
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def wait_ready(port: int) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not become ready")


def process_tree(root: int) -> list[int]:
    children = Path(f"/proc/{root}/task/{root}/children")
    found = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    return [root, *(pid for child in found for pid in process_tree(child))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemoryWatch(threading.Thread):
    """Samples the RSS of every process of the server twice a second; keeps the maximum."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.running = root, 0.0, True

    def run(self) -> None:
        while self.running:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                self.peak = max(self.peak, *(rss_mb(pid) for pid in process_tree(self.root)))
            time.sleep(0.5)


@contextmanager
def server(url: str, workers: int) -> Iterator[tuple[int, MemoryWatch]]:
    port = cluster.free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "PARKGRID_WORKERS": str(workers)}
    env["PARKGRID_CLUSTER_DATA_DIR"] = str(
        Path(env.get("TMPDIR", "/tmp")) / f"parkgrid-bench-{port}"
    )
    log_path = Path(env["PARKGRID_CLUSTER_DATA_DIR"] + ".log")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [PARKGRID, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        watch = MemoryWatch(process.pid)
        try:
            wait_ready(port)
            watch.start()
            yield port, watch
        finally:
            watch.running = False
            process.terminate()
            process.wait(timeout=30)
    print(f"server log: {log_path}")


def check_answers(port: int, plan: Plan, query: CoreQuery) -> None:
    """One request before the load: it must answer without errors."""
    if query.sample_path:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{query.sample_path}", timeout=30):
            return
    sample = {
        "code": "G000000" + "0000",
        "lon": 110.06,
        "lat": 26.06,
        "bbox": [110.05, 26.05, 110.1, 26.1],
    }
    body = json.dumps({"query": query.graphql, "variables": sample}).encode()
    headers = {"content-type": "application/json"}
    if query.token:
        headers["authorization"] = f"Bearer {query.token}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise SystemExit(f"{query.name}: {answer['errors']}")


def row(name: str, raw: Figures, service: Figures) -> str:
    return (
        f"| {name} | {raw.rps:,.0f} | {raw.p50_ms:.2f} | {raw.p95_ms:.2f} | {service.rps:,.0f}"
        f" | {service.p50_ms:.2f} | {service.p95_ms:.2f} | {service.rps / raw.rps:.2f} | {service.failures} |"
    )


HEADER = (
    "| query | raw SQL req/s | p50 ms | p95 ms | service req/s | p50 ms | p95 ms | service/raw | failed |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def viewer_token(url: str) -> str:
    engine = create_engine(url)
    with engine.begin() as conn:
        secret, _ = tokens.create(conn, "viewer", label="bench", lifetime=timedelta(hours=2))
    engine.dispose()
    return secret


def signed_in(query: CoreQuery, token: str) -> CoreQuery:
    """The same query by a signed-in viewer: what reading as a caller costs."""
    return replace(query, name=query.name + " (viewer token)", token=token)


def measure(url: str, plan: Plan, args: argparse.Namespace) -> None:
    queries = core_queries(plan)
    queries += [signed_in(queries[0], viewer_token(url))]
    queries = [q for q in queries if not args.only or args.only in q.name]
    raw = {q.name: run_pgbench(url, q, args.seconds, args.connections) for q in queries}
    with server(url, args.workers) as (port, watch):
        endpoint = f"http://127.0.0.1:{port}"
        rows = []
        for query in queries:
            check_answers(port, plan, query)
            run_wrk(endpoint, plan, query, args.warmup, args.connections)
            rows.append(
                row(
                    query.name,
                    raw[query.name],
                    run_wrk(endpoint, plan, query, args.seconds, args.connections),
                )
            )
        peak = watch.peak
    print(HEADER, *rows, sep="\n")
    print(
        f"\nserver: {args.workers} worker(s); peak RSS of any server process under load: {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--generate", action="store_true", help="build the province first")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--only", default="", help="only the queries whose name contains this")
    args = parser.parse_args()
    plan, url = Plan(parks=10, zones=100, grids=10_000, enterprises=1_000_000, seed=1), bench_url()
    if args.generate:
        print(f"generate: peak RSS {generate(url, plan):.0f} MB")
    measure(url, plan, args)


if __name__ == "__main__":
    main()

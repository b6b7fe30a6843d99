"""Benchmark what operations cost a request: the rate-limit count (one upsert on the
bookkeeping pool) and the request's log line and metrics, against a real `parkgrid serve`
(one worker) on 127.0.0.1.

    python -m bench.operations [--requests 2000]

The demo park is loaded into the bench's own database (`parkgrid_ops_bench` on the server of
DATABASE_URL, else the private cluster; dropped and made again). Three runs of the same
sequential GraphQL query on one keep-alive connection: rate limits off, on (a limit never
reached), and on with request lines off; each run's mean and 99th-percentile latency. Then
the upsert alone, timed from its own pool (what `parkgrid_rate_check_seconds` measures)."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import time

from sqlalchemy.engine import make_url

from bench.import_large import fresh_demo
from bench.servers import environment, server
from parkgrid import cluster
from parkgrid.db import session_options
from parkgrid.operations import Bookkeeping
from parkgrid.settings import ClusterSettings, DatabaseSettings, normalise_url
from tests.conftest import ADMIN_TOKEN, add_token

DATABASE = "parkgrid_ops_bench"
QUERY = json.dumps({"query": "query Bench { parks { nodes { code name } } }"})


def bench_url() -> str:
    given = os.environ.get("DATABASE_URL")
    base = normalise_url(given) if given else cluster.up(ClusterSettings())
    return make_url(base).set(database=DATABASE).render_as_string(hide_password=False)


def timed_requests(port: int, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_TOKEN}"}
    found = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("POST", "/graphql", body=QUERY, headers=headers)
        answer = connection.getresponse()
        answer.read()
        found.append(time.perf_counter() - started)
        assert answer.status == 200, answer.status
    connection.close()
    return found


def summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"{name:<34} mean {statistics.mean(seconds) * 1000:6.3f} ms  p99 {p99 * 1000:6.3f} ms"


async def upserts(url: str, count: int) -> list[float]:
    settings = DatabaseSettings(url=url)
    books = Bookkeeping(cluster.libpq_dsn(settings.resolved_url()), session_options(settings))
    found = []
    for _ in range(count):
        started = time.perf_counter()
        await books.count("graphql:token:bench", 60)
        found.append(time.perf_counter() - started)
    books.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    url = bench_url()
    fresh_demo(url)
    add_token(url, ADMIN_TOKEN, "admin")
    runs = {
        "rate limits off": {"PARKGRID_RATE_LIMITS": "{}"},
        "rate limits on": {"PARKGRID_RATE_LIMITS": '{"graphql": 1000000000}'},
        "rate limits on, request lines off": {
            "PARKGRID_RATE_LIMITS": '{"graphql": 1000000000}', "PARKGRID_LOG_REQUESTS": "false"},
    }  # fmt: skip
    for name, values in runs.items():
        with environment(values), server(url, 1) as (port, _):
            timed_requests(port, 200)  # warm: pools, prepared statements
            print(summary(name, timed_requests(port, args.requests)), flush=True)
    print(summary("the upsert alone", asyncio.run(upserts(url, args.requests))))
    cluster.drop_database(url)


if __name__ == "__main__":
    main()

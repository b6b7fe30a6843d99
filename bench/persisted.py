"""Benchmark persisted queries on a mobile-sized request: a map screen's query (what the example
app asks in two: a park's grids with boundaries, a page of a grid's enterprises), sent as a
frontend sends it: POST with the whole document (and its hash, as a registered client does)
against GET with the hash alone, on the demo park.

    python -m bench.persisted [--requests 400] [--workers 1]

Runs `parkgrid serve` on a fresh copy of the demo park (the database `parkgrid_persisted_bench`
on the server of DATABASE_URL, else the private cluster) and sends the requests one after
another over one kept-alive connection from 127.0.0.1, each kind alternating with the other
so both see the same server state. Reports the bytes each request puts on the wire (request
line, headers and body), the latency median and 95th percentile, and what the upload alone
takes on a slow mobile uplink (computed from the bytes, not measured: 250 kbit/s, Chrome's
"Regular 3G" preset, and 50 kbit/s, a weak GPRS link)."""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import statistics
import time
import urllib.parse
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.import_large import fresh_demo
from bench.servers import server
from parkgrid import cluster
from parkgrid.demo.geometry import PARK_CODE
from parkgrid.settings import ClusterSettings, normalise_url

DATABASE = "parkgrid_persisted_bench"
BUSIEST = (
    "SELECT g.code FROM grid g JOIN enterprise e ON e.grid_id = g.id"
    " GROUP BY g.code ORDER BY count(*) DESC, g.code LIMIT 1"
)
UPLINKS_KBIT = {"Regular 3G (250 kbit/s up)": 250, "GPRS (50 kbit/s up)": 50}
SCREEN = """query MapScreen($park: String!, $grid: String!, $first: Int, $after: String) {
  park(code: $park) {
    code
    name
    bbox
    zones(first: 50) {
      nodes {
        code
        name
        grids(first: 100) {
          nodes {
            code
            name
            enterpriseCount
            openIssueCount
            overdueIssueCount
            boundary(precision: 5, simplify: 1)
          }
        }
      }
    }
  }
  grid(code: $grid) {
    code
    name
    enterprises(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node { uscc name industry address location(precision: 6) distanceMeters }
      }
    }
  }
}
"""
HEADERS = {"Accept": "application/graphql-response+json, application/json",
           "User-Agent": "parkgrid-bench"}  # fmt: skip


def busiest_grid(url: str) -> str:
    """The grid with the most enterprises: a full page to fetch."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(BUSIEST)).scalar_one()
    engine.dispose()
    return str(found)


def bench_url() -> str:
    given = os.environ.get("DATABASE_URL")
    base = normalise_url(given) if given else cluster.up(ClusterSettings())
    return make_url(base).set(database=DATABASE).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    body: bytes
    headers: dict[str, str]

    def wire_bytes(self, host: str) -> int:
        """The request as HTTP/1.1 puts it on the wire."""
        lines = [f"{self.method} {self.target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body:
            lines.append(f"Content-Length: {len(self.body)}")
        return len(("\r\n".join(lines) + "\r\n\r\n").encode()) + len(self.body)


def requests(variables: dict[str, object]) -> dict[str, Request]:
    sha256 = hashlib.sha256(SCREEN.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256}}
    body = json.dumps({"query": SCREEN, "variables": variables, "extensions": extensions})
    query = urllib.parse.urlencode({"operationName": "MapScreen",
                                    "variables": json.dumps(variables, separators=(",", ":")),
                                    "extensions": json.dumps(extensions, separators=(",", ":"))})  # fmt: skip
    post_headers = {**HEADERS, "Content-Type": "application/json"}
    return {
        "POST with the document": Request("POST", "/graphql", body.encode(), post_headers),
        "GET with the hash": Request("GET", f"/graphql?{query}", b"", HEADERS),
    }


def send(connection: http.client.HTTPConnection, request: Request) -> tuple[float, bytes]:
    started = time.perf_counter()
    connection.request(request.method, request.target, request.body or None, request.headers)
    answer = connection.getresponse()
    body = answer.read()
    if answer.status != 200 or b'"errors"' in body:
        raise RuntimeError(f"{request.method}: {answer.status} {body[:300]!r}")
    return time.perf_counter() - started, body


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(count: int, workers: int) -> None:
    url = bench_url()
    fresh_demo(url)
    variables = {"park": PARK_CODE, "grid": busiest_grid(url), "first": 20}
    kinds = requests(variables)
    with server(url, workers) as (port, _watch):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        answers = {name: send(connection, kinds[name])[1] for name in kinds}  # registers
        assert len(set(answers.values())) == 1, "both kinds must answer the same"
        timings: dict[str, list[float]] = {name: [] for name in kinds}
        for _ in range(count):
            for name, request in kinds.items():
                timings[name].append(send(connection, request)[0])
        connection.close()
    host = f"127.0.0.1:{port}"
    print(f"persisted queries, {count} requests of each kind, {workers} worker(s); answer"
          f" {len(answers[next(iter(kinds))]):,} bytes")  # fmt: skip
    for name, request in kinds.items():
        size = request.wire_bytes(host)
        median, p95 = statistics.median(timings[name]) * 1e3, percentile(timings[name], 0.95) * 1e3
        uplinks = ", ".join(
            f"{link}: {size * 8 / kbit:.0f} ms" for link, kbit in UPLINKS_KBIT.items()
        )
        print(f"{name}: {size:,} bytes sent; median {median:.2f} ms, p95 {p95:.2f} ms;"
              f" upload {uplinks}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    run(args.requests, args.workers)


if __name__ == "__main__":
    main()

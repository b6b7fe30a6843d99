"""A soak: minutes of mixed load on a server with several workers, to show that a long run
neither fails nor grows: GraphQL reads (anonymous and signed in), vector tiles, OGC items pages
and writes (logVisit), reporting requests/s, errors by kind (there must be none) and the RSS of
each server process at the start, after the warm-up and at the end.

    python -m bench.soak [--minutes 3] [--workers 3] [--connections 6] [--max-requests N]

Uses DATABASE_URL, else the private cluster's `parkgrid_soak` database, migrated and seeded with
the demo park when it has no park (the soak's visits land there, never in a database others
use). The server is bench.servers.server: `parkgrid serve` on a free port of 127.0.0.1. The
load is a few Python threads rather than wrk (bench.load): each request draws its inputs from
the database's own areas and enterprises (wrk's Lua draws them over the generated province),
writes need unique values, and errors are counted by kind, which wrk's summary merges.
Exits non-zero when any request failed or a worker process was replaced."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from math import cos, floor, log, pi, radians, tan
from pathlib import Path
from statistics import quantiles
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.queries import BBOX_GQL, BBOX_SIZE, GRID_DETAIL_GQL, LOCATE_GQL, NEAREST_GQL, TILE_Z
from bench.run import create_token
from bench.servers import process_tree, rss_mb, server
from parkgrid import cluster, migrate
from parkgrid.demo import seed_demo
from parkgrid.settings import ClusterSettings, normalise_url

WARMUP_SECONDS = 20
VISIT_GQL = (
    "mutation ($cadre: ID!, $e: String!, $at: DateTime!, $lon: Float!, $lat: Float!) {"
    ' logVisit(cadre: $cadre, enterprise: $e, at: $at, duties: [SAFETY], note: "soak",'
    " checkIn: {lon: $lon, lat: $lat}) { __typename ... on VisitPayload { visit { id } }"
    " ... on UserError { code } } }"
)


def soak_url(database: str = "parkgrid_soak") -> str:
    """DATABASE_URL, else `database` on the private cluster (started if need be)."""
    given = os.environ.get("DATABASE_URL")
    if given:
        return normalise_url(given)
    base = cluster.up(ClusterSettings())
    return make_url(base).set(database=database).render_as_string(hide_password=False)


def prepare(url: str) -> None:
    """The database at head, with the demo park when it has no park yet."""
    cluster.ensure_database(url)
    migrate.upgrade(url)
    seed_demo(url, only_if_empty=True)


@dataclass(frozen=True)
class Park:
    """What requests draw their inputs from: the database's own codes, firms and extent."""

    grids: list[str]
    enterprises: list[tuple[str, float, float]]
    cadres: list[int]
    extent: tuple[float, float, float, float]


def park_of(url: str) -> Park:
    engine = create_engine(url)
    with engine.connect() as conn:
        grids = list(conn.execute(text("SELECT code FROM grid ORDER BY id LIMIT 5000")).scalars())
        firms = conn.execute(text(
            "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise ORDER BY id LIMIT 5000"
        )).all()  # fmt: skip
        cadres = list(conn.execute(text("SELECT id FROM cadre ORDER BY id LIMIT 500")).scalars())
        box = conn.execute(text(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)"
            " FROM (SELECT ST_Extent(location) AS b FROM enterprise) e"
        )).one()  # fmt: skip
    engine.dispose()
    if not (grids and firms and cadres):
        raise SystemExit("the database has no grids, enterprises or cadres: seed it first")
    extent = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    return Park(grids, [(u, float(x), float(y)) for u, x, y in firms], cadres, extent)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None = None
    token: str = ""
    mutation: str = ""  # the mutation whose result must be its payload, not a UserError


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n, r = 2**z, radians(lat)
    return floor((lon + 180) / 360 * n), floor((1 - log(tan(r) + 1 / cos(r)) / pi) / 2 * n)


class Mix:
    """The kinds of request and their shares of the load (weights)."""

    def __init__(self, park: Park, token: str, seed: int) -> None:
        self.park, self.token, self.rng = park, token, random.Random(seed)
        self.kinds: dict[str, tuple[int, Callable[[], Request]]] = {
            "grid detail": (3, self.grid_detail),
            "grid detail, admin token": (2, lambda: self.grid_detail(self.token)),
            "locate": (2, self.locate),
            "nearestEnterprises": (1, self.nearest),
            "enterprises(bbox)": (1, self.bbox),
            f"tile z{TILE_Z}": (2, self.tile),
            "OGC items(bbox)": (2, self.items),
            "logVisit": (1, self.visit),
        }
        self.names = list(self.kinds)
        self.weights = [weight for weight, _ in self.kinds.values()]

    def next(self) -> tuple[str, Request]:
        name = self.rng.choices(self.names, self.weights)[0]
        return name, self.kinds[name][1]()

    def point(self) -> tuple[float, float]:
        w, s, e, n = self.park.extent
        return self.rng.uniform(w, e), self.rng.uniform(s, n)

    def graphql(self, query: str, variables: dict[str, Any], token: str = "") -> Request:
        return Request("POST", "/graphql", {"query": query, "variables": variables}, token)

    def grid_detail(self, token: str = "") -> Request:
        return self.graphql(GRID_DETAIL_GQL, {"code": self.rng.choice(self.park.grids)}, token)

    def locate(self) -> Request:
        lon, lat = self.point()
        return self.graphql(LOCATE_GQL, {"lon": lon, "lat": lat})

    def nearest(self) -> Request:
        lon, lat = self.point()
        return self.graphql(NEAREST_GQL, {"lon": lon, "lat": lat})

    def bbox(self) -> Request:
        lon, lat = self.point()
        return self.graphql(BBOX_GQL, {"bbox": [lon, lat, lon + BBOX_SIZE, lat + BBOX_SIZE]})

    def tile(self) -> Request:
        x, y = tile_of(*self.point(), TILE_Z)
        return Request("GET", f"/tiles/enterprises/{TILE_Z}/{x}/{y}.mvt")

    def items(self) -> Request:
        lon, lat = self.point()
        box = f"{lon:.6f},{lat:.6f},{lon + BBOX_SIZE:.6f},{lat + BBOX_SIZE:.6f}"
        return Request("GET", f"/ogc/collections/enterprises/items?limit=100&bbox={box}")

    def visit(self) -> Request:
        uscc, lon, lat = self.rng.choice(self.park.enterprises)
        at = datetime.now(UTC) - timedelta(minutes=self.rng.randint(0, 10_000))
        variables = {"cadre": str(self.rng.choice(self.park.cadres)), "e": uscc,
                     "at": at.isoformat(), "lon": lon + 0.001, "lat": lat}  # fmt: skip
        return replace(self.graphql(VISIT_GQL, variables, self.token), mutation="logVisit")


def failure(request: Request, status: int, body: bytes) -> str:
    """The kind of error an answer is, or "" when it is a success."""
    if status != 200:
        return f"HTTP {status}"
    if request.body is None:
        return ""
    try:
        answer = json.loads(body)
    except ValueError:
        return "GraphQL: not JSON"
    if answer.get("errors"):
        codes = sorted({e.get("extensions", {}).get("code", "?") for e in answer["errors"]})
        return "GraphQL errors: " + ",".join(codes)
    result = (answer.get("data") or {}).get(request.mutation) if request.mutation else None
    if request.mutation and (not result or "code" in result):
        return f"{request.mutation} refused: {(result or {}).get('code')}"
    return ""


@dataclass
class Tally:
    """One client's counts; merged at the end (no lock on the hot path)."""

    done: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)  # the first answer of each error kind
    latency: dict[str, list[float]] = field(default_factory=dict)


class Client(threading.Thread):
    """One keep-alive connection to 127.0.0.1, sending the mix until the deadline or its
    share of the request cap."""

    def __init__(self, port: int, mix: Mix, deadline: float, budget: int) -> None:
        super().__init__(daemon=True)
        self.port, self.mix, self.deadline, self.budget = port, mix, deadline, budget
        self.tally = Tally()
        self.connection: http.client.HTTPConnection | None = None

    def run(self) -> None:
        while time.monotonic() < self.deadline and sum(self.tally.done.values()) < self.budget:
            name, request = self.mix.next()
            began = time.perf_counter()
            kind, detail = self.send(request)
            self.tally.done[name] += 1
            self.tally.latency.setdefault(name, []).append(time.perf_counter() - began)
            if kind:
                self.tally.errors[f"{name}: {kind}"] += 1
                self.tally.first.setdefault(f"{name}: {kind}", detail[:300])
        if self.connection is not None:
            self.connection.close()

    def send(self, request: Request) -> tuple[str, str]:
        headers = {"Content-Type": "application/json"} if request.body is not None else {}
        if request.token:
            headers["Authorization"] = f"Bearer {request.token}"
        body = json.dumps(request.body).encode() if request.body is not None else None
        try:
            self.connection = self.connection or http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30
            )
            self.connection.request(request.method, request.path, body=body, headers=headers)
            answer = self.connection.getresponse()
            payload = answer.read()
        except (OSError, http.client.HTTPException) as error:
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return f"connection: {type(error).__name__}", str(error)
        if answer.getheader("connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        kind = failure(request, answer.status, payload)
        return kind, payload.decode(errors="replace") if kind else ""


def role(pid: int) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    if "resource_tracker" in command:
        return "resource tracker"
    return "worker" if "spawn_main" in command else "supervisor (parkgrid serve)"


Memory = dict[int, tuple[str, float]]


def memory(root: int) -> Memory:
    """The role and RSS (MB, from /proc/<pid>/status) of every process of the server."""
    return {pid: (role(pid), rss_mb(pid)) for pid in process_tree(root)}


def merge(clients: list[Client]) -> Tally:
    total = Tally()
    for client in clients:
        total.done.update(client.tally.done)
        total.errors.update(client.tally.errors)
        for key, value in client.tally.first.items():
            total.first.setdefault(key, value)
        for name, values in client.tally.latency.items():
            total.latency.setdefault(name, []).extend(values)
    return total


def latency_row(name: str, count: int, seconds: float, values: list[float]) -> str:
    cuts = quantiles(values, n=100) if len(values) > 1 else values * 99
    return (
        f"| {name} | {count:,} | {count / seconds:,.0f} | {cuts[49] * 1000:.1f}"
        f" | {cuts[94] * 1000:.1f} |"
    )


def report(total: Tally, seconds: float, rss: list[Memory], replaced: bool) -> None:
    count = sum(total.done.values())
    print(f"\n{count:,} requests in {seconds:.0f} s: {count / seconds:,.0f} req/s\n")
    print("| request | count | req/s | p50 ms | p95 ms |\n| --- | ---: | ---: | ---: | ---: |")
    for name in sorted(total.done, key=lambda n: -total.done[n]):
        print(latency_row(name, total.done[name], seconds, total.latency[name]))
    print(f"\nerrors: {sum(total.errors.values())}")
    for kind, number in total.errors.most_common():
        print(f"- {kind}: {number} (first: {total.first[kind]})")
    start, warm, end = rss
    print("\n| process | pid | RSS start MB | after warm-up MB | end MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for pid in sorted(set(start) | set(end)):
        name = (end.get(pid) or start[pid])[0]
        cells = [f"{stage[pid][1]:.0f}" if pid in stage else "-" for stage in (start, warm, end)]
        print(f"| {name} | {pid} | " + " | ".join(cells) + " |")
    if replaced:
        print("\nthe server's processes changed during the run (a worker died and was replaced)")


def soak(url: str, args: argparse.Namespace) -> bool:
    """Run the load; return whether it was clean (no errors, no process replaced)."""
    park, token = park_of(url), create_token(url, "admin")
    with server(url, args.workers) as (port, watch):
        rss = [memory(watch.root)]
        began = time.monotonic()
        deadline = began + args.minutes * 60
        budget = max(1, args.max_requests // args.connections)
        clients = [Client(port, Mix(park, token, seed=n), deadline, budget)
                   for n in range(args.connections)]  # fmt: skip
        for client in clients:
            client.start()
        time.sleep(min(WARMUP_SECONDS, args.minutes * 60 / 4))
        rss.append(memory(watch.root))
        for client in clients:
            client.join()
        seconds = time.monotonic() - began
        rss.append(memory(watch.root))
        print(watch.report("parkgrid", args.workers))
    total = merge(clients)
    replaced = set(rss[0]) != set(rss[2])
    report(total, seconds, rss, replaced)
    return not total.errors and not replaced


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="a cap on the total")
    args = parser.parse_args()
    if not 0 < args.minutes <= 120:
        parser.error("--minutes must be within (0, 120]")
    url = soak_url()
    prepare(url)
    raise SystemExit(0 if soak(url, args) else 1)


if __name__ == "__main__":
    main()

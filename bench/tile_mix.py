"""Kept tiles under a working day's mix: map viewers reading tiles while the park writes.

    python -m bench.tile_mix [--seconds 60] [--warmup 20] [--viewers 4] [--workers 2]

Viewers (threads, one keep-alive connection each to 127.0.0.1) look at the park as a wall
screen or a cadre's phone does: a viewport of 4 × 3 tiles around a spot where firms are, at
zoom 13 to 16, every layer the zoom shows (zones, grids; enterprises and issues from 12), then
pan or zoom to another. Meanwhile a writer makes one change a second, in turn: a visit logged,
an issue moved along its lifecycle, an enterprise moved by a few metres (and back next time).
Reported after the warm-up (each worker process keeps its own tiles, so the first look at
each tile in each process builds it): tile requests/s, the share answered from the kept
tiles (the `X-Tile-Cache` header) overall and per layer, latency, and the writes made.
Bounded: the run's length and a cap on requests (`--max-requests`).

Uses DATABASE_URL, else the private cluster's `parkgrid_tilemix` database, migrated and seeded
with the demo park when it has no park (the writes land there, never in a database others
use). The server is bench.servers.server: `parkgrid serve` on a free port of 127.0.0.1."""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import quantiles
from typing import Any

from sqlalchemy import create_engine, text

from bench.run import create_token
from bench.servers import server
from bench.soak import Park, park_of, prepare, soak_url, tile_of
from resolvers.gis.tiles import LAYERS

ZOOMS = {13: 2, 14: 3, 15: 3, 16: 2}
"""Zoom levels a park map is looked at and how often (weights)."""
VIEWPORT = (4, 3)
"""Tiles across and down one screen."""
VISIT = """mutation ($cadre: ID!, $e: String!, $at: DateTime!) {
  logVisit(cadre: $cadre, enterprise: $e, at: $at, duties: [SAFETY], note: "tile mix") {
    __typename ... on UserError { code message } } }"""
MOVE_ISSUE = """mutation ($id: ID!, $v: Int!, $to: IssueStatus!) {
  transitionIssue(id: $id, version: $v, to: $to, note: "tile mix") {
    __typename ... on IssuePayload { issue { version } } ... on UserError { code message } } }"""
MOVE_FIRM = """mutation ($u: String!, $at: GeoJSON!) {
  moveEnterprise(uscc: $u, location: $at) { __typename ... on UserError { code message } } }"""
NEXT = {"REPORTED": "ACCEPTED", "ACCEPTED": "IN_PROGRESS", "IN_PROGRESS": "RESOLVED",
        "RESOLVED": "IN_PROGRESS"}  # fmt: skip
"""A cycle the lifecycle allows for ever (resolved back to in progress: a failed check)."""
OPEN_ISSUES = """SELECT id, upper(status), version FROM issue
    WHERE status IN ('reported', 'accepted', 'in_progress', 'resolved') ORDER BY id LIMIT 50"""


@dataclass
class Tally:
    kept: Counter[str] = field(default_factory=Counter)
    built: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latency: list[float] = field(default_factory=list)


def post(connection: http.client.HTTPConnection, token: str, query: str, **variables: Any) -> Any:
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    connection.request("POST", "/graphql", body=body, headers=headers)
    answer = json.loads(connection.getresponse().read())
    if answer.get("errors") or not answer.get("data"):
        raise RuntimeError(str(answer.get("errors"))[:200])
    (result,) = answer["data"].values()
    if "code" in result:  # a typed error (UserError)
        raise RuntimeError(f"{result['code']}: {result['message']}")
    return result


class Viewer(threading.Thread):
    """Looks at viewport after viewport until the deadline or its share of the cap."""

    def __init__(self, port: int, park: Park, seed: int, measured_from: float,
                 deadline: float, budget: int) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.park, self.rng = port, park, random.Random(seed)
        self.measured_from, self.deadline, self.budget = measured_from, deadline, budget
        self.tally, self.sent = Tally(), 0

    def viewport(self) -> list[str]:
        z = self.rng.choices(list(ZOOMS), list(ZOOMS.values()))[0]
        _, lon, lat = self.rng.choice(self.park.enterprises)
        cx, cy = tile_of(lon, lat, z)
        across, down = VIEWPORT
        return [f"/tiles/{layer.name}/{z}/{x}/{y}.mvt" for layer in LAYERS.values()
                if layer.minzoom <= z for x in range(cx - across // 2, cx + across - across // 2)
                for y in range(cy - down // 2, cy + down - down // 2)]  # fmt: skip

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while time.monotonic() < self.deadline and self.sent < self.budget:
            for path in self.viewport():
                self.fetch(connection, path)
        connection.close()

    def fetch(self, connection: http.client.HTTPConnection, path: str) -> None:
        began = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        self.sent += 1
        if time.monotonic() < self.measured_from:
            return
        layer = path.split("/")[2]
        if response.status != 200:
            self.tally.errors[f"{layer}: {response.status}"] += 1
            return
        self.tally.latency.append(time.perf_counter() - began)
        kept = response.getheader("X-Tile-Cache") == "hit"
        (self.tally.kept if kept else self.tally.built)[layer] += 1


class Writer(threading.Thread):
    """One change a second, in turn: a visit, an issue transition, an enterprise moved."""

    def __init__(self, port: int, park: Park, token: str, issues: list[list[Any]],
                 deadline: float) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.park, self.token, self.issues = port, park, token, issues
        self.deadline, self.done, self.errors = deadline, Counter[str](), Counter[str]()
        self.rng = random.Random(7)

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        kinds = [("visit", self.visit), ("issue", self.move_issue), ("move", self.move_firm)]
        n = 0
        while time.monotonic() < self.deadline:
            began = time.monotonic()
            name, write = kinds[n % len(kinds)]
            try:
                write(connection)
                self.done[name] += 1
            except (RuntimeError, KeyError, OSError, http.client.HTTPException) as error:
                self.errors[f"{name}: {error}"[:120]] += 1
                connection.close()
            n += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
        connection.close()

    def visit(self, connection: http.client.HTTPConnection) -> None:
        uscc, _, _ = self.rng.choice(self.park.enterprises)
        post(connection, self.token, VISIT, cadre=str(self.rng.choice(self.park.cadres)),
             e=uscc, at=datetime.now(UTC).isoformat())  # fmt: skip

    def move_issue(self, connection: http.client.HTTPConnection) -> None:
        issue = self.rng.choice(self.issues)
        issue_id, status, version = issue
        found = post(connection, self.token, MOVE_ISSUE, id=str(issue_id), v=version,
                     to=NEXT[status])  # fmt: skip
        issue[1], issue[2] = NEXT[status], found["issue"]["version"]

    def move_firm(self, connection: http.client.HTTPConnection) -> None:
        index = self.done["move"] // 2 % len(self.park.enterprises)
        uscc, lon, lat = self.park.enterprises[index]
        there = lon + (0.00005 if self.done["move"] % 2 == 0 else 0.0)
        point = {"type": "Point", "coordinates": [there, lat]}
        post(connection, self.token, MOVE_FIRM, u=uscc, at=point)


def report(viewers: list[Viewer], writer: Writer, seconds: float) -> None:
    total = Tally()
    for viewer in viewers:
        total.kept.update(viewer.tally.kept)
        total.built.update(viewer.tally.built)
        total.errors.update(viewer.tally.errors)
        total.latency.extend(viewer.tally.latency)
    kept, built = sum(total.kept.values()), sum(total.built.values())
    cuts = quantiles(total.latency, n=100) if len(total.latency) > 1 else [0.0] * 99
    print(f"\ntiles over {seconds:.0f} s after the warm-up: {kept + built:,} answered,"
          f" {(kept + built) / seconds:,.0f} req/s, p50 {cuts[49] * 1000:.1f} ms,"
          f" p95 {cuts[94] * 1000:.1f} ms")  # fmt: skip
    print(f"kept-tile hit rate: {kept / max(1, kept + built):.1%} ({kept:,} kept, {built:,} built)")
    print("| layer | requests | kept | hit rate |\n| --- | --- | --- | --- |")
    for layer in LAYERS:
        asked = total.kept[layer] + total.built[layer]
        print(f"| {layer} | {asked:,} | {total.kept[layer]:,} |"
              f" {total.kept[layer] / max(1, asked):.1%} |")  # fmt: skip
    print(f"writes: {dict(writer.done)} (one a second, whole run)")
    for name, count in (total.errors + writer.errors).items():
        print(f"error: {name} × {count}")


def tile_mix(url: str, args: argparse.Namespace) -> bool:
    park, token = park_of(url), create_token(url, "admin")
    engine = create_engine(url)
    with engine.connect() as conn:
        issues = [list(row) for row in conn.execute(text(OPEN_ISSUES))]
    engine.dispose()
    with server(url, args.workers) as (port, _):
        began = time.monotonic()
        measured_from, deadline = began + args.warmup, began + args.warmup + args.seconds
        budget = max(1, args.max_requests // args.viewers)
        viewers = [Viewer(port, park, n, measured_from, deadline, budget)
                   for n in range(args.viewers)]  # fmt: skip
        writer = Writer(port, park, token, issues, deadline)
        for thread in (*viewers, writer):
            thread.start()
        for thread in (*viewers, writer):
            thread.join()
        seconds = time.monotonic() - measured_from
    report(viewers, writer, seconds)
    return not any(v.tally.errors for v in viewers) and not writer.errors


OPTIONS: dict[str, float | int] = {"--seconds": 60.0, "--warmup": 20.0, "--viewers": 4,
                                   "--workers": 2, "--max-requests": 200_000}  # fmt: skip
"""The command's options and their defaults (--max-requests: a cap on the total)."""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for name, default in OPTIONS.items():
        parser.add_argument(name, type=type(default), default=default)
    args = parser.parse_args()
    if not (0 < args.seconds <= 1800 and 0 <= args.warmup <= 600 and 0 < args.viewers <= 64):
        parser.error("--seconds within (0, 1800], --warmup within [0, 600], --viewers 1 to 64")
    url = soak_url("parkgrid_tilemix")
    prepare(url)
    raise SystemExit(0 if tile_mix(url, args) else 1)


if __name__ == "__main__":
    main()

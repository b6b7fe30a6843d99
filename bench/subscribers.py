"""Many subscribers: how long a committed change takes to reach each of 1,000 open
subscriptions, what a connection costs the server, and what the server burns while they idle.

    python -m bench.subscribers [--subscribers 1000] [--workers 3] [--seconds 30] [--rest 20]

Uses DATABASE_URL, else the private cluster's `parkgrid_live` database, migrated and seeded
with the demo park when it has no park. The server is bench.servers.server (`parkgrid serve`
with `--workers` processes on a free port of 127.0.0.1). The subscribers are WebSocket
connections of this process (asyncio, the `websockets` client), each speaking
graphql-transport-ws and subscribed to `issueChanged` over the whole park, as the map page
does: a third anonymous, a third with an admin token, a third with a grid lead's token, so
each change is read for every caller as that caller. Each change reaches every subscriber.

1. The server's RSS (all its processes) before any connection; the subscribers connect (at
   most 50 opening at a time); a first change, waited for by all, shows every subscription
   is live; the RSS again: the difference per connection.
2. At rest: nothing changes for `--rest` seconds; the server's CPU time over that window,
   read from /proc (utime + stime of every process of the server), as a share of one core.
3. The writer commits one change per second for `--seconds`: an operator's change in plain
   SQL (a note on an issue and its `commented` event, as any tool may write), timed from
   just before COMMIT is sent; each subscriber stamps the message's arrival with the same
   clock. p50, p95, p99 and the maximum from commit to delivery, over every delivery, and
   the time until the last subscriber had each change. Server CPU under this load too.

Bounded: at most 5,000 subscribers and 600 seconds of changes; the open-file limit of this
process (and so of the server it starts) is raised to what the connections need, when the
hard limit allows. Exits non-zero when a delivery is missing or a subscription failed."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles

import orjson
import psycopg2
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.run import create_token, grid_lead
from bench.servers import process_tree, rss_mb, server
from bench.soak import prepare, soak_url

PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIPTION = """subscription { issueChanged {
  eventId issue { id status title enterprise { name grid { code } } } event { action note } } }"""
OPENING = 50
"""Connections opening at the same time."""
WAIT_S = 60.0
MAX_SUBSCRIBERS, MAX_SECONDS = 5_000, 600
CHANGE = """
WITH i AS (UPDATE issue SET responsible_unit = %(note)s WHERE id = %(issue)s
           RETURNING id, enterprise_id)
INSERT INTO event (subject, subject_id, enterprise_id, action, note)
SELECT 'issue', i.id, i.enterprise_id, 'commented', %(note)s FROM i RETURNING id"""


@dataclass
class Subscriber:
    """One connection's arrivals: event id -> monotonic time."""

    token: str | None
    arrivals: dict[int, float] = field(default_factory=dict)
    failure: str | None = None


def raise_open_files(needed: int) -> int:
    """The soft limit of open files raised to `needed` when it is lower (up to the hard
    limit); the server started afterwards inherits it. Returns the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def cpu_seconds(root: int) -> float:
    """User and system CPU time of the process tree under `root`, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_total(root: int) -> float:
    return sum(rss_mb(pid) for pid in process_tree(root))


async def listen(socket: ClientConnection, subscriber: Subscriber) -> None:
    """Stamp each message of the subscription; answer the server's pings."""
    async for raw in socket:
        now = time.monotonic()
        message = orjson.loads(raw)
        kind = message["type"]
        if kind == "ping":
            await socket.send('{"type":"pong"}')
        elif kind == "next" and not message["payload"].get("errors"):
            subscriber.arrivals[int(message["payload"]["data"]["issueChanged"]["eventId"])] = now
        elif kind in ("next", "error", "complete"):
            subscriber.failure = f"{kind}: {str(message.get('payload'))[:200]}"
            return


async def subscribe(url: str, subscriber: Subscriber, gate: asyncio.Semaphore,
                    opened: asyncio.Queue[ClientConnection | None]) -> None:  # fmt: skip
    """Open, initialise and subscribe (at most OPENING at a time), then listen until
    cancelled."""
    try:
        async with gate:
            socket = await connect(url, subprotocols=[PROTOCOL], open_timeout=WAIT_S,
                                   ping_interval=None, max_size=None)  # fmt: skip
            payload = {"Authorization": f"Bearer {subscriber.token}"} if subscriber.token else {}
            await socket.send(
                orjson.dumps({"type": "connection_init", "payload": payload}).decode()
            )
            ack = orjson.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
            if ack["type"] != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            query = {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
            await socket.send(orjson.dumps(query).decode())
    except Exception as error:  # counted and reported
        subscriber.failure = f"connecting: {error!r}"
        await opened.put(None)
        return
    await opened.put(socket)
    try:
        await listen(socket, subscriber)
    except Exception as error:  # counted and reported
        subscriber.failure = f"listening: {error!r}"


class Writer:
    """Commits one change at a time in plain SQL; remembers when each COMMIT was sent."""

    def __init__(self, dsn: str) -> None:
        self.connection = psycopg2.connect(dsn)
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT min(id) FROM issue")
            self.issue = int(cursor.fetchone()[0])
        self.connection.commit()
        self.committed: dict[int, float] = {}

    def change(self, note: str) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(CHANGE, {"note": note, "issue": self.issue})
            event_id = int(cursor.fetchone()[0])
        at = time.monotonic()
        self.connection.commit()
        self.committed[event_id] = at
        return event_id

    def close(self) -> None:
        self.connection.close()


async def delivered(subscribers: list[Subscriber], event_id: int, timeout: float) -> bool:
    """Whether every live subscriber has `event_id` within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(event_id in s.arrivals for s in subscribers if s.failure is None):
            return True
        await asyncio.sleep(0.05)
    return False


@dataclass
class Figures:
    connected: int = 0
    rss_before: float = 0.0
    rss_after: float = 0.0
    rest_cpu: float = 0.0
    load_cpu: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    last_arrivals: list[float] = field(default_factory=list)
    missing: int = 0
    failures: list[str] = field(default_factory=list)


async def measure(port: int, root: int, writer: Writer, subscribers: list[Subscriber],
                  seconds: int, rest: int) -> Figures:  # fmt: skip
    figures = Figures(rss_before=rss_total(root))
    url = f"ws://127.0.0.1:{port}/graphql"
    gate, opened = asyncio.Semaphore(OPENING), asyncio.Queue[ClientConnection | None]()
    tasks = [asyncio.create_task(subscribe(url, s, gate, opened)) for s in subscribers]
    sockets = [await opened.get() for _ in subscribers]
    figures.connected = sum(socket is not None for socket in sockets)
    try:
        if not figures.connected:
            return figures
        for attempt in range(20):  # a change all receive: every subscription is live
            first = await asyncio.to_thread(writer.change, f"warm-up {attempt}")
            if await delivered(subscribers, first, 3.0):
                break
        else:
            raise SystemExit("the subscriptions never all received a change")
        await asyncio.sleep(2.0)
        figures.rss_after = rss_total(root)
        start = cpu_seconds(root)
        await asyncio.sleep(rest)
        figures.rest_cpu = (cpu_seconds(root) - start) / rest
        start, began, mine = cpu_seconds(root), time.monotonic(), own_cpu_seconds()
        changes = []
        for tick in range(seconds):
            changes.append(await asyncio.to_thread(writer.change, f"bench {tick}"))
            await asyncio.sleep(max(began + tick + 1 - time.monotonic(), 0.0))
        spent = time.monotonic() - began
        figures.load_cpu = (cpu_seconds(root) - start) / spent
        figures.client_cpu = (own_cpu_seconds() - mine) / spent
        await delivered(subscribers, changes[-1], 10.0)
        collect(figures, subscribers, changes, writer.committed)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for socket in sockets:
            if socket is not None:
                await socket.close()
    return figures


def collect(figures: Figures, subscribers: list[Subscriber], changes: list[int],
            committed: dict[int, float]) -> None:  # fmt: skip
    for event_id in changes:
        arrivals = [s.arrivals[event_id] - committed[event_id]
                    for s in subscribers if event_id in s.arrivals]  # fmt: skip
        figures.missing += len(subscribers) - len(arrivals)
        figures.latencies.extend(arrivals)
        if arrivals:
            figures.last_arrivals.append(max(arrivals))
    figures.failures = [s.failure for s in subscribers if s.failure]


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = quantiles(values, n=100, method="inclusive")
    ms = [1000 * v for v in (cuts[49], cuts[94], cuts[98], max(values))]
    return "p50 {:.0f} ms, p95 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms".format(*ms)


def report(figures: Figures, count: int, workers: int, seconds: int, rest: int) -> None:
    per = 1024 * (figures.rss_after - figures.rss_before) / max(figures.connected, 1)
    print(f"{count} subscribers ({figures.connected} connected), {workers} worker(s)")
    print(f"server RSS: {figures.rss_before:.0f} MB before, {figures.rss_after:.0f} MB with"
          f" them connected: {per:.0f} kB per connection")  # fmt: skip
    print(f"server CPU at rest ({rest} s, all connected): {100 * figures.rest_cpu:.1f} % of a core")
    print(f"server CPU with one change a second: {100 * figures.load_cpu:.0f} % of a core"
          f" (this process, the subscribers: {100 * figures.client_cpu:.0f} %)")  # fmt: skip
    print(f"commit to delivery ({len(figures.latencies)} deliveries of {seconds} changes):"
          f" {percentiles(figures.latencies)}")  # fmt: skip
    print(f"until the last subscriber had a change: {percentiles(figures.last_arrivals)}")
    print(f"missing deliveries: {figures.missing}; failed subscriptions: {len(figures.failures)}")
    for failure in figures.failures[:5]:
        print(f"  {failure}")


def tokens_for(url: str, count: int) -> list[str | None]:
    """Anonymous, an admin's token and a grid lead's, in turn."""
    admin = create_token(url, "admin")
    cadre = create_token(url, "cadre", grid_lead(url))
    return [(None, admin, cadre)[i % 3] for i in range(count)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3, help="server processes (cores + 1)")
    parser.add_argument("--seconds", type=int, default=30, help="seconds of one change a second")
    parser.add_argument("--rest", type=int, default=20, help="seconds at rest, all connected")
    args = parser.parse_args(argv)
    count = max(1, min(args.subscribers, MAX_SUBSCRIBERS))
    seconds, rest = max(2, min(args.seconds, MAX_SECONDS)), max(1, min(args.rest, MAX_SECONDS))
    limit = raise_open_files(2 * count + 256)  # the client's sockets, and the server's
    print(f"open files allowed: {limit}")
    url = soak_url("parkgrid_live")
    prepare(url)
    dsn = url.replace("postgresql+psycopg2://", "postgresql://", 1)
    tokens = tokens_for(url, count)
    with server(url, args.workers) as (port, watch):
        watch.running = False  # RSS is read here, at chosen moments
        writer = Writer(dsn)
        try:
            subscribers = [Subscriber(token) for token in tokens]
            figures = uvloop.run(measure(port, watch.root, writer, subscribers, seconds, rest))
        finally:
            writer.close()
    report(figures, count, args.workers, seconds, rest)
    if figures.missing or figures.failures or figures.connected < count:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

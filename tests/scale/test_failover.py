"""The primary stops under load: reads go on from the replicas, writes answer 503 with
Retry-After; a replica is promoted and the instances repointed at it: writes resume, and
every write answered as done is there."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg2
import pytest

from bench.queries import GRID_DETAIL_GQL
from parkgrid.topology import Node
from tests.conftest import ADMIN_TOKEN
from tests.faults.conftest import Reply
from tests.faults.test_durability import VISIT, Subject, payload, subjects
from tests.scale.conftest import TOKENS, Instances, Replicated, instances
from tests.scale.test_routing import grid_codes, ok

pytestmark = pytest.mark.scale

BEFORE_S, OUTAGE_S = 2.0, 3.0


@dataclass
class Load:
    """Writers (visits) and readers (grid detail) through both instances, until stopped."""

    served: Instances | None
    run: str
    subjects: list[Subject]
    codes: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[str] = field(default_factory=list)
    writes: list[tuple[float, Reply]] = field(default_factory=list)
    reads: list[tuple[float, Reply]] = field(default_factory=list)

    def writer(self, number: int) -> None:
        assert self.served is not None
        http, s, seq = self.served.http(number % 2, TOKENS[number]), self.subjects[number], 0
        while not self.stop.is_set():
            seq += 1
            note = f"failover:{self.run}:{number}:{seq}"
            at = datetime.fromisoformat("2026-06-01T08:00:00+08:00") + timedelta(seconds=seq)
            reply = http.graphql(VISIT, {"cadre": str(s.cadre), "e": s.uscc, "at": at.isoformat(),
                                         "note": note, "lon": s.lon, "lat": s.lat})  # fmt: skip
            found = payload(reply, "logVisit")
            if found is not None and found["__typename"] == "VisitPayload":
                self.acknowledged.append(note)
            self.writes.append((time.monotonic(), reply))
            time.sleep(0.02)

    def reader(self, number: int) -> None:
        assert self.served is not None
        http = self.served.http(number % 2, ADMIN_TOKEN if number % 2 else None)
        n = 0
        while not self.stop.is_set():
            n += 1
            reply = http.graphql(GRID_DETAIL_GQL, {"code": self.codes[n % len(self.codes)]})
            self.reads.append((time.monotonic(), reply))

    def threads(self) -> list[threading.Thread]:
        work = [(self.writer, k) for k in range(2)] + [(self.reader, k) for k in range(2)]
        return [threading.Thread(target=target, args=(k,)) for target, k in work]


def unavailable(reply: Reply) -> bool:
    if reply.status != 503 or "retry-after" not in reply.headers:
        return False
    return any(e["extensions"]["code"] == "SERVICE_UNAVAILABLE" for e in reply.json()["errors"])


def most_advanced(replicas: list[Node]) -> Node:
    """The replica that received the most WAL: synchronous commits are all on it."""

    def received(node: Node) -> int:
        row = node.query("SELECT pg_last_wal_receive_lsn() - '0/0'")
        return int(str(row[0])) if row and row[0] is not None else -1

    return max(replicas, key=received)


def present(dsn: str, notes: list[str]) -> set[str]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT note FROM visit WHERE note = ANY(%s)", (notes,))
        found = {row[0] for row in cur.fetchall()}
    conn.close()
    return found


def test_primary_stopped_reads_go_on_writes_wait_and_resume_on_a_promoted_replica(
    topology_up: Replicated,
) -> None:
    made = topology_up
    urls = [node.url for node in made.replicas]
    load = Load(served=None, run=str(int(time.time())), subjects=subjects(made.primary.dsn),
                codes=grid_codes(made.primary.dsn))  # fmt: skip
    with instances(made.primary.url, urls, made.root) as served:
        load.served = served
        threads = load.threads()
        for thread in threads:
            thread.start()
        try:
            time.sleep(BEFORE_S)
            made.primary.stop("immediate")
            stopped = time.monotonic()
            time.sleep(OUTAGE_S)
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(15)
        log = served.log_tail()
    settled = stopped + 1.0  # requests in flight at the stop may answer either way
    outage_reads = [r for t, r in load.reads if t > settled]
    outage_writes = [r for t, r in load.writes if t > settled]
    assert len(outage_reads) > 20 and all(ok(r) for r in outage_reads), (
        [r.describe() for r in outage_reads if not ok(r)][:5],
        log,
    )
    assert outage_writes and all(unavailable(r) for r in outage_writes), [
        r.describe() for r in outage_writes if not unavailable(r)
    ][:5]
    assert all(r.status in (200, 503) for _, r in load.writes + load.reads)
    before = len(load.acknowledged)
    assert before > 10

    promoted = most_advanced(made.replicas)
    promoted.promote()
    others = [node.url for node in made.replicas if node is not promoted]
    with instances(promoted.url, others, made.root) as served:
        load.served, load.stop = served, threading.Event()
        writer = threading.Thread(target=load.writer, args=(0,))
        writer.start()
        time.sleep(2.0)
        load.stop.set()
        writer.join(15)
    assert len(load.acknowledged) > before + 5  # writes resumed
    missing = set(load.acknowledged) - present(promoted.dsn, load.acknowledged)
    assert missing == set()

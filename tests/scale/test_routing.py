"""Reads on replicas, every caller's writes visible to its next read on any instance, and
replicas leaving rotation (stopped, or replay paused) and coming back."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psycopg2
import pytest

from bench.queries import GRID_DETAIL_GQL
from parkgrid.positions import HEADER
from tests.conftest import ADMIN_TOKEN
from tests.faults.conftest import Http, Reply, wait_for
from tests.faults.test_durability import MOVE, NEXT, READ_ISSUE, REPORT, payload
from tests.scale.conftest import TOKENS, Instances, Replicated, transactions

pytestmark = pytest.mark.scale

PAIRS_PER_CLIENT = 250  # 4 clients: 1,000 write-then-read pairs
LOAD_SECONDS = 12.0


def column(dsn: str, statement: str) -> list[str]:
    """The first column of a query's rows, read straight from a server."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement)
        found = [row[0] for row in cur.fetchall()]
    conn.close()
    return found


def grid_codes(dsn: str) -> list[str]:
    return column(dsn, "SELECT code FROM grid ORDER BY code")


def grid_detail(http: Http, code: str) -> Reply:
    return http.graphql(GRID_DETAIL_GQL, {"code": code})


def ok(reply: Reply) -> bool:
    return reply.status == 200 and "errors" not in reply.json()


def test_reads_are_served_by_replicas(topology_up: Replicated, served: Instances) -> None:
    """Server side: the replicas' own statistics count the reads, the primary's do not."""
    codes = grid_codes(topology_up.primary.dsn)
    primary, replicas = topology_up.primary, topology_up.replicas
    before = [transactions(node) for node in (primary, *replicas)]
    sent = 300
    for n in range(sent):
        reply = grid_detail(served.http(n % 2, None), codes[n % len(codes)])
        assert ok(reply), reply.describe()
        assert reply.json()["data"]["grid"]["code"] == codes[n % len(codes)]

    def counted() -> list[int]:
        return [transactions(node) - was for node, was in zip((primary, *replicas), before,
                                                                strict=True)]  # fmt: skip

    # each server also counts the instances' checks, a replica as many as the primary
    assert wait_for(lambda: sum(counted()[1:]) - counted()[0] >= sent, 20), counted()
    on_replicas = counted()[1:]
    assert all(n > sent // 4 for n in on_replicas), on_replicas  # both take turns


@dataclass
class Pairs:
    """One client: transitions of its own issue on one instance, each read back at once on
    the other, every other pair echoing the position header, the rest relying on the token."""

    number: int
    served: Instances
    issue: int
    state: tuple[str, int]
    stale: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    done: int = 0

    def run(self) -> None:
        token = TOKENS[self.number]
        for seq in range(PAIRS_PER_CLIENT):
            writer = self.served.http(seq % 2, token)
            reader = self.served.http((seq + 1) % 2, token)
            self.pair(seq, writer, reader)

    def pair(self, seq: int, writer: Http, reader: Http) -> None:
        status, version = self.state
        asked = {"id": str(self.issue), "v": version, "to": NEXT[status].upper(),
                 "note": f"pair {self.number}:{seq}"}  # fmt: skip
        written = writer.graphql(MOVE, asked)
        result = payload(written, "transitionIssue")
        if result is None or result["__typename"] != "IssuePayload":
            self.failed.append(f"write {seq}: {written.describe()}")
            return
        issue = result["issue"]
        self.state = (issue["status"].lower(), issue["version"])
        position = written.headers.get(HEADER)
        if not position:
            self.failed.append(f"write {seq}: no {HEADER} header")
        echo = seq % 2 == 0 and position
        read = echoed(reader, {"id": str(self.issue)}, position if echo else None)
        found = payload(read, "issue")
        if found is None:
            self.failed.append(f"read {seq}: {read.describe()}")
        elif found["version"] < issue["version"]:
            self.stale.append(f"{seq}: wrote {issue['version']}, read {found['version']}")
        self.done += 1


def echoed(http: Http, variables: dict[str, str], position: str | None) -> Reply:
    """READ_ISSUE, echoing the position header when given."""
    if position:
        http.extra = {HEADER: position}
    return http.graphql(READ_ISSUE, variables)


def test_a_write_is_read_back_at_once_through_the_other_instance(
    topology_up: Replicated, served: Instances
) -> None:
    """1,000 write-then-read pairs from 4 clients: not one read older than its write."""
    uscc = grid_enterprises(topology_up.primary.dsn)
    clients = []
    for number, token in enumerate(TOKENS):
        made = payload(served.http(0, token).graphql(REPORT, {"e": uscc[number],
                       "title": f"pairs {number}"}), "reportIssue")  # fmt: skip
        assert made and made["__typename"] == "IssuePayload", made
        issue = made["issue"]
        clients.append(Pairs(number, served, int(issue["id"]),
                             (issue["status"].lower(), issue["version"])))  # fmt: skip
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(lambda c: c.run(), clients))
    assert sum(c.done for c in clients) >= 1000, [c.failed[:3] for c in clients]
    assert [c.failed for c in clients if c.failed] == []
    assert [c.stale for c in clients if c.stale] == []


def grid_enterprises(dsn: str) -> list[str]:
    return column(dsn, "SELECT uscc FROM enterprise ORDER BY id DESC LIMIT 8")


def replica_state(served: Instances, n: int, name: str) -> dict[str, object]:
    return next(s for s in served.databases(n) if s["name"] == name)


def test_paused_replay_leaves_rotation_and_returns(
    topology_up: Replicated, served: Instances
) -> None:
    replica = topology_up.replicas[1]
    name = f"127.0.0.1:{replica.port}/parkgrid"
    replica.query("SELECT pg_wal_replay_pause()")
    try:
        writer = served.http(0)
        codes = grid_codes(topology_up.primary.dsn)

        def out_everywhere() -> bool:
            write_something(topology_up)
            return all(not replica_state(served, n, name)["in_rotation"] for n in (0, 1))

        assert wait_for(out_everywhere, 15), served.databases(0)
        state = replica_state(served, 0, name)
        assert state["replay_paused"] is True and state["reachable"] is True
        assert float(state["lag_s"]) > 1.0  # type: ignore[arg-type]
        for code in codes[:20]:  # reads go on, from the other replica or the primary
            assert ok(grid_detail(writer, code))
    finally:
        replica.query("SELECT pg_wal_replay_resume()")
    assert wait_for(lambda: all(replica_state(served, n, name)["in_rotation"] for n in (0, 1)),
                    15), served.databases(0)  # fmt: skip


def write_something(topology_up: Replicated) -> None:
    """A commit on the primary, so that a paused replica falls behind."""
    topology_up.primary.query("SELECT pg_notify('parkgrid_test', 'x'), txid_current()")


def test_a_replica_stopped_under_load_fails_no_request_and_rejoins(
    topology_up: Replicated, served: Instances
) -> None:
    codes = grid_codes(topology_up.primary.dsn)
    replica = topology_up.replicas[0]
    name = f"127.0.0.1:{replica.port}/parkgrid"
    stop = threading.Event()
    failures: list[str] = []
    answered = [0]

    def load(number: int) -> None:
        http = served.http(number % 2, ADMIN_TOKEN if number % 2 else None)
        n = 0
        while not stop.is_set():
            reply = grid_detail(http, codes[(n * 7 + number) % len(codes)])
            n += 1
            if not ok(reply):
                failures.append(reply.describe())
            answered[0] += 1

    threads = [threading.Thread(target=load, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        replica.stop("immediate")
        assert wait_for(lambda: not replica_state(served, 0, name)["in_rotation"], 10)
        time.sleep(2.0)
        replica.start()
        assert wait_for(lambda: all(replica_state(served, n, name)["in_rotation"]
                                    for n in (0, 1)), 20), served.databases(0)  # fmt: skip
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(LOAD_SECONDS)
    assert answered[0] > 100
    assert failures == [], failures[:5]

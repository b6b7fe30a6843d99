"""No acknowledged write is lost when the database crashes under load.

Several clients write numbered visits and issue transitions through the real server while the
cluster is stopped in immediate mode (no checkpoint: what survives is what the WAL holds), then
started again. Each client records which writes were answered as done and which were not; plain
SQL then checks that every acknowledged write is there, whole, exactly once, and that every
unacknowledged one is either absent or whole: a visit with all its fields and its event, an
issue whose status, version and event trail agree. A commit whose answer was lost is allowed;
a half-applied write, or a confirmed one that vanished, is not."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg2
import pytest

from tests.faults.conftest import Http, Reply, Service, ThrowawayCluster, wait_for

pytestmark = pytest.mark.fault

CLIENTS = 4
MAX_WRITES = 300  # per client: with the pauses below the test stays far under a minute
PAUSE = 0.02  # between writes
FAILED_PAUSE = 0.1  # after a failure: the outage is not a busy loop
BEFORE_STOP = 40  # acknowledged writes (all clients) before the crash
OUTAGE_SECONDS = 2.0
AFTER_RECOVERY_SECONDS = 2.0
DEADLINE_SECONDS = 35.0  # the whole load phase, recovery included

VISIT = """mutation ($cadre: ID!, $e: String!, $at: DateTime!, $note: String!, $lon: Float!,
  $lat: Float!) {
  logVisit(cadre: $cadre, enterprise: $e, at: $at, duties: [SAFETY, LIAISON], note: $note,
           checkIn: {lon: $lon, lat: $lat}) {
    __typename ... on VisitPayload { visit { id } } ... on UserError { code message } } }"""
REPORT = """mutation ($e: String!, $title: String!) {
  reportIssue(enterprise: $e, category: SAFETY_HAZARD, title: $title) {
    __typename ... on IssuePayload { issue { id status version } } ... on UserError { code } } }"""
MOVE = """mutation ($id: ID!, $v: Int!, $to: IssueStatus!, $note: String!) {
  transitionIssue(id: $id, version: $v, to: $to, note: $note) {
    __typename ... on IssuePayload { issue { id status version } }
    ... on UserError { code message } } }"""
READ_ISSUE = "query ($id: ID!) { issue(id: $id) { status version } }"
# a cycle the ledger allows for ever: resolved -> in_progress is a failed verification
NEXT = {
    "reported": "accepted",
    "accepted": "in_progress",
    "in_progress": "resolved",
    "resolved": "in_progress",
}
DUTIES = ["liaison", "safety"]


@dataclass
class Attempt:
    """One write as the client saw it: what it asked, and whether it was confirmed."""

    client: int
    seq: int
    kind: str  # "visit" | "transition"
    note: str
    asked: dict[str, Any]
    outcome: str = "failed"  # "ok" | "refused" (a typed error: nothing changed) | "failed"
    answer: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    ended: float = 0.0


@dataclass
class Subject:
    cadre: int
    enterprise_id: int
    uscc: str
    lon: float
    lat: float


def payload(reply: Reply, name: str) -> dict[str, Any] | None:
    """The mutation's result when the answer is a clean 200 with data, else None."""
    if reply.status != 200:
        return None
    try:
        body = reply.json()
    except ValueError:
        return None
    if body.get("errors") or not body.get("data"):
        return None
    found: dict[str, Any] | None = body["data"].get(name)
    return found


class Client(threading.Thread):
    """Alternates visits and transitions of its own issue; after a failed transition it
    re-reads the issue before moving it again (the failed one may have committed), and logs
    visits meanwhile, so that writes keep arriving all through the outage."""

    def __init__(self, number: int, port: int, run: str, subject: Subject, issue: int) -> None:
        super().__init__(daemon=True)
        self.number, self.run_id, self.subject, self.issue = number, run, subject, issue
        self.http = Http(port)
        self.state: tuple[str, int] | None = ("reported", 1)
        self.attempts: list[Attempt] = []
        self.stop = threading.Event()
        self.crash = ""  # the client's own failure, which must fail the test

    def run(self) -> None:
        try:
            self.write_until_stopped()
        except Exception as error:
            self.crash = f"{type(error).__name__}: {error}"

    def write_until_stopped(self) -> None:
        seq = 0
        while not self.stop.is_set() and seq < MAX_WRITES:
            seq += 1
            # every other write moves the issue, when its state is known (or can be re-read)
            moving = seq % 2 == 0 and (self.state is not None or self.resync())
            attempt = self.transition(seq) if moving else self.visit(seq)
            attempt.ended = time.monotonic()
            self.attempts.append(attempt)
            time.sleep(PAUSE if attempt.outcome == "ok" else FAILED_PAUSE)

    def note(self, seq: int) -> str:
        return f"fault:{self.run_id}:{self.number}:{seq}"

    def visit(self, seq: int) -> Attempt:
        s = self.subject
        at = datetime.fromisoformat("2026-06-01T08:00:00+08:00") + timedelta(seconds=seq)
        lon, lat = s.lon + 0.0001 * self.number, s.lat + 0.00001 * seq
        asked = {"cadre": str(s.cadre), "e": s.uscc, "at": at.isoformat(),
                 "note": self.note(seq), "lon": lon, "lat": lat}  # fmt: skip
        attempt = Attempt(self.number, seq, "visit", self.note(seq), asked)
        reply = self.http.graphql(VISIT, asked)
        result = payload(reply, "logVisit")
        if result is not None and result["__typename"] == "VisitPayload":
            attempt.outcome, attempt.answer = "ok", result["visit"]
        elif result is not None:
            attempt.outcome, attempt.detail = "refused", str(result)
        else:
            attempt.detail = reply.describe()
        return attempt

    def transition(self, seq: int) -> Attempt:
        assert self.state is not None
        status, version = self.state
        asked = {"id": str(self.issue), "v": version, "to": NEXT[status].upper(),
                 "note": self.note(seq), "from": status}  # fmt: skip
        attempt = Attempt(self.number, seq, "transition", self.note(seq), asked)
        reply = self.http.graphql(MOVE, {k: v for k, v in asked.items() if k != "from"})
        result = payload(reply, "transitionIssue")
        if result is not None and result["__typename"] == "IssuePayload":
            issue = result["issue"]
            attempt.outcome, attempt.answer = "ok", issue
            self.state = (issue["status"].lower(), issue["version"])
        else:
            attempt.outcome = "refused" if result is not None else "failed"
            attempt.detail = str(result) if result is not None else reply.describe()
            self.state = None
        return attempt

    def resync(self) -> bool:
        found = payload(self.http.graphql(READ_ISSUE, {"id": str(self.issue)}), "issue")
        if found is None:
            return False
        self.state = (found["status"].lower(), found["version"])
        return True


def subjects(dsn: str) -> list[Subject]:
    """A cadre and an enterprise (with its point) per client, from the demo park."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT min(id) FROM cadre), e.id, e.uscc, ST_X(e.location), ST_Y(e.location)"
            " FROM enterprise e ORDER BY e.id LIMIT %s",
            (CLIENTS,),
        )
        rows = cur.fetchall()
    conn.close()
    return [Subject(*row) for row in rows]


def report_issue(service: Service, subject: Subject, run: str, number: int) -> int:
    reply = Http(service.port).graphql(
        REPORT, {"e": subject.uscc, "title": f"fault {run} client {number}"}
    )
    result = payload(reply, "reportIssue")
    assert result and result["__typename"] == "IssuePayload", (
        f"{reply.describe()}\nserver log:\n{service.log_tail()}"
    )
    return int(result["issue"]["id"])


def acknowledged(clients: list[Client], since: float = 0.0) -> int:
    return sum(a.outcome == "ok" and a.ended > since for c in clients for a in c.attempts)


def load_through_a_crash(cluster: ThrowawayCluster, clients: list[Client]) -> dict[str, float]:
    """Writes before, during and after an immediate stop; returns when each phase began."""
    began = time.monotonic()
    for client in clients:
        client.start()
    try:
        assert wait_for(lambda: acknowledged(clients) >= BEFORE_STOP, 15), "no load before stop"
        cluster.stop_immediately()
        stopped = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        cluster.start()
        restarted = time.monotonic()
        remaining = DEADLINE_SECONDS - (restarted - began)
        wait_for(lambda: all(acknowledged([c], restarted) for c in clients), remaining)
        time.sleep(AFTER_RECOVERY_SECONDS)
    finally:
        for client in clients:
            client.stop.set()
        for client in clients:
            client.join(timeout=15)
    return {"stopped": stopped, "restarted": restarted}


VISITS_BY_NOTE = """
SELECT v.note, v.id, v.cadre_id, (SELECT uscc FROM enterprise e WHERE e.id = v.enterprise_id),
       v.visited_at, v.duties,
       ST_X(v.check_in), ST_Y(v.check_in),
       (SELECT count(*) FROM event ev WHERE ev.subject = 'visit' AND ev.subject_id = v.id
          AND ev.action = 'logged' AND ev.note = v.note
          AND ev.changes -> 'duties' = to_jsonb(v.duties)) AS events
FROM visit v WHERE v.note LIKE %s"""
ORPHAN_VISIT_EVENTS = """
SELECT count(*) FROM event ev WHERE ev.subject = 'visit' AND ev.note LIKE %s
  AND NOT EXISTS (SELECT 1 FROM visit v WHERE v.id = ev.subject_id)"""
ISSUE_TRAIL = """
SELECT action, changes -> 'status', note FROM event
WHERE subject = 'issue' AND subject_id = %s ORDER BY id"""


def visit_problems(dsn: str, run: str, attempts: list[Attempt]) -> list[str]:
    pattern = f"fault:{run}:%"
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(VISITS_BY_NOTE, (pattern,))
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for row in cur.fetchall():
            rows.setdefault(row[0], []).append(row)
        cur.execute(ORPHAN_VISIT_EVENTS, (pattern,))
        orphans = cur.fetchone()[0]
    conn.close()
    problems = [f"{orphans} visit event(s) without their visit"] if orphans else []
    asked = {a.note: a for a in attempts if a.kind == "visit"}
    problems += [f"{note}: a visit nobody asked for" for note in rows.keys() - asked.keys()]
    for note, attempt in asked.items():
        found = rows.get(note, [])
        if attempt.outcome == "ok" and len(found) != 1:
            problems.append(f"{note}: confirmed (id {attempt.answer['id']}), found {len(found)}")
        elif len(found) > 1 or (found and attempt.outcome == "refused"):
            problems.append(f"{note}: {attempt.outcome}, found {len(found)}")
        elif found:
            problems += whole_visit(attempt, found[0])
    return problems


def whole_visit(attempt: Attempt, row: tuple[Any, ...]) -> list[str]:
    _, visit_id, cadre, uscc, visited_at, duties, lon, lat, events = row
    a = attempt.asked
    checks = {
        "id": attempt.outcome != "ok" or str(visit_id) == attempt.answer["id"],
        "cadre": str(cadre) == a["cadre"],
        "enterprise": uscc == a["e"],
        "visited_at": visited_at == datetime.fromisoformat(a["at"]),
        "duties": sorted(duties) == DUTIES,
        "check-in": abs(lon - a["lon"]) < 1e-9 and abs(lat - a["lat"]) < 1e-9,
        "one logged event": events == 1,
    }
    return [f"{attempt.note} ({attempt.outcome}): wrong {k}" for k, ok in checks.items() if not ok]


def issue_problems(dsn: str, issue: int, attempts: list[Attempt]) -> list[str]:
    """The trail must be one chain from `reported` to the row's status, its length the row's
    version; confirmed moves sit at the position their answered version says."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, version, resolved_at FROM issue WHERE id = %s", (issue,))
        row = cur.fetchone()
        cur.execute(ISSUE_TRAIL, (issue,))
        trail = cur.fetchall()
    conn.close()
    name = f"issue {issue}"
    if [t[0] for t in trail[:1]] != ["reported"]:
        return [f"{name}: the trail does not start with its report: {trail[:1]}"]
    moves = trail[1:]
    return [f"{name}: {p}" for p in chain_problems(row, moves)] + [
        f"{name}: {p}" for p in placement_problems([m[2] for m in moves], attempts)
    ]


def chain_problems(row: tuple[Any, ...], moves: list[tuple[Any, ...]]) -> list[str]:
    status, version, resolved_at = row
    problems = [f"an event other than a status change: {m}" for m in moves
                if m[0] != "status_changed"]  # fmt: skip
    current = "reported"
    for position, (_, change, note) in enumerate(moves, start=2):
        if change[0] != current:
            problems.append(f"version {position} ({note}) starts from {change[0]}")
        current = change[1]
    if (status, version) != (current, 1 + len(moves)):
        problems.append(f"row is {status} v{version}, trail says {current} v{len(moves) + 1}")
    if any(m[1][1] == "resolved" for m in moves) and resolved_at is None:
        problems.append("resolved without resolved_at")
    return problems


def placement_problems(notes: list[str], attempts: list[Attempt]) -> list[str]:
    """A confirmed move once, at its version; any other at most once (a lost answer)."""
    problems = []
    for attempt in attempts:
        count = notes.count(attempt.note)
        if attempt.outcome == "ok":
            at = attempt.answer["version"]
            if count != 1 or not 2 <= at <= len(notes) + 1 or notes[at - 2] != attempt.note:
                problems.append(f"confirmed {attempt.note} (v{at}) found {count} times")
        elif count > 1 or (count and attempt.outcome == "refused"):
            problems.append(f"{attempt.outcome} {attempt.note} found {count} times")
    return problems


def committed(dsn: str, attempts: list[Attempt]) -> int:
    """How many of the writes are in the database (by their events' notes)."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(DISTINCT note) FROM event WHERE note = ANY(%s)",
            ([a.note for a in attempts],),
        )
        found = int(cur.fetchone()[0])
    conn.close()
    return found


def test_no_acknowledged_write_is_lost_in_a_crash(
    cluster_up: ThrowawayCluster, service: Service
) -> None:
    dsn, run = cluster_up.dsn, uuid.uuid4().hex[:8]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SHOW synchronous_commit")
        assert cur.fetchone()[0] == "on", "with asynchronous commits a crash may lose them"
    conn.close()
    people = subjects(dsn)
    issues = [report_issue(service, s, run, n) for n, s in enumerate(people)]
    clients = [
        Client(n, service.port, run, s, i)
        for n, (s, i) in enumerate(zip(people, issues, strict=True))
    ]

    phases = load_through_a_crash(cluster_up, clients)

    attempts = [a for c in clients for a in c.attempts]
    confirmed_before = acknowledged(clients) - acknowledged(clients, phases["stopped"])
    failed = [a for a in attempts if a.outcome == "failed"]
    assert all(not c.is_alive() for c in clients), "a client did not finish"
    assert not [c.crash for c in clients if c.crash], [c.crash for c in clients]
    assert confirmed_before >= BEFORE_STOP, confirmed_before
    assert failed, "no write failed: the crash did not happen under load"
    assert len(attempts) <= CLIENTS * MAX_WRITES
    after = acknowledged(clients, phases["restarted"])
    print(f"writes: {len(attempts)}, confirmed before the crash {confirmed_before},"
          f" failed {len(failed)} (committed all the same: {committed(dsn, failed)}),"
          f" confirmed after the restart {after}")  # fmt: skip
    problems = visit_problems(dsn, run, attempts)
    for client in clients:
        mine = [a for a in client.attempts if a.kind == "transition"]
        problems += issue_problems(dsn, client.issue, mine)
    assert not problems, "\n".join(problems[:40])
    recovered = [c.number for c in clients if acknowledged([c], phases["restarted"])]
    assert len(recovered) == CLIENTS, (
        f"only clients {recovered} had a write confirmed after the restart; the last failures: "
        + "; ".join(a.detail for a in failed[-3:])
        + f"\nserver log:\n{service.log_tail()}"
    )

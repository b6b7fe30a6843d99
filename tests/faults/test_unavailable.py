"""While the database is unreachable the service says so, and it comes back by itself.

Under light load (a prober cycling through every kind of request) the throwaway cluster is
stopped in immediate mode: from then on every GraphQL POST must answer 503 with Retry-After and
`extensions.code: SERVICE_UNAVAILABLE` (a client or a load balancer can tell "try later" from a
bug, which a 500 cannot), OGC items a 503 with OGC exception JSON, tiles 503;
/healthz stays 200 (the process is alive: do not restart it) while /readyz answers 503 (take it
out of rotation). Once the cluster is back every request answers 200 again within a few seconds,
by the same processes: recovery must not need a restart. Probes call as orchestrators and
clients do: health checks anonymously, GraphQL both anonymously and with a token (a token is
checked against the database, so that path must degrade the same way)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from math import cos, floor, log, pi, radians, tan
from typing import Any

import psycopg2
import pytest

from bench.servers import process_tree
from tests.conftest import ADMIN_TOKEN
from tests.faults.conftest import Http, Reply, Service, ThrowawayCluster, wait_for

pytestmark = pytest.mark.fault

OUTAGE_SECONDS = 3.0
RECOVERY_SECONDS = 5.0  # "within a few seconds" of the cluster accepting connections again
RECOVERY_DEADLINE = 20.0  # how long the prober waits for recovery at most
PROMPT_SECONDS = 3.0  # an outage answer must not hang on the pool
PAUSE = 0.02
STEADY = 5  # consecutive 200s of every probe that end the run
MAX_REQUESTS = 4000
CODE = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True)
class Probe:
    name: str
    kind: str  # "graphql" | "ogc" | "tile" | "healthz" | "readyz"
    path: str
    body: dict[str, Any] | None = None
    token: str | None = None


@dataclass(frozen=True)
class Sample:
    probe: Probe
    sent: float
    ended: float
    reply: Reply


@dataclass
class Outage:
    baseline: list[Sample] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    stopped: float = 0.0  # the cluster is down (pg_ctl returned)
    restarting: float = 0.0  # pg_ctl start is called
    up: float = 0.0  # the cluster accepts connections again
    processes: tuple[list[int], list[int]] = ([], [])  # the server's, before and after

    def during(self, kind: str = "") -> list[Sample]:
        """The requests sent while the cluster was down (however long they took)."""
        return [s for s in self.samples if kind in ("", s.probe.kind)
                and self.stopped <= s.sent < self.restarting]  # fmt: skip


def z14_tile(lon: float, lat: float) -> tuple[int, int]:
    n, r = 2**14, radians(lat)
    return floor((lon + 180) / 360 * n), floor((1 - log(tan(r) + 1 / cos(r)) / pi) / 2 * n)


def probes(dsn: str) -> list[Probe]:
    """Every kind of request, with inputs from the demo park that answer with data."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT e.uscc, ST_X(e.location), ST_Y(e.location), g.code, (SELECT min(id) FROM cadre)"
            " FROM enterprise e JOIN grid g ON g.id = e.grid_id ORDER BY e.id LIMIT 1"
        )
        uscc, lon, lat, grid, cadre = cur.fetchone()
    conn.close()
    x, y = z14_tile(lon, lat)
    visit = {
        "query": "mutation ($c: ID!, $e: String!) { logVisit(cadre: $c, enterprise: $e,"
        ' at: "2026-06-01T09:00:00+08:00", duties: [POLICY], note: "outage probe") {'
        " __typename ... on VisitPayload { visit { id } } } }",
        "variables": {"c": str(cadre), "e": uscc},
    }
    grid_query = {
        "query": "query ($code: String!) { grid(code: $code) { code enterpriseCount } }",
        "variables": {"code": grid},
    }
    parks = {"query": "{ parks { nodes { code name } } }"}
    return [
        Probe("GraphQL read, anonymous", "graphql", "/graphql", parks),
        Probe("GraphQL read, token", "graphql", "/graphql", grid_query, ADMIN_TOKEN),
        Probe("GraphQL logVisit, token", "graphql", "/graphql", visit, ADMIN_TOKEN),
        Probe("OGC items", "ogc", "/ogc/collections/enterprises/items?limit=5"),
        Probe("tile", "tile", f"/tiles/enterprises/14/{x}/{y}.mvt"),
        Probe("healthz", "healthz", "/healthz"),
        Probe("readyz", "readyz", "/readyz"),
    ]


class Prober(threading.Thread):
    """Light load: the probes in turn, one at a time, until told to stop (or MAX_REQUESTS)."""

    def __init__(self, port: int, kinds: list[Probe]) -> None:
        super().__init__(daemon=True)
        self.kinds = kinds
        self.clients = {token: Http(port, token) for token in (None, ADMIN_TOKEN)}
        self.samples: list[Sample] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.samples) < MAX_REQUESTS:
            probe = self.kinds[len(self.samples) % len(self.kinds)]
            self.samples.append(ask(self.clients[probe.token], probe))
            time.sleep(PAUSE)

    def steady(self, since: float) -> bool:
        """Every probe's last STEADY answers since `since` were 200."""
        recent = [s for s in self.samples[-STEADY * len(self.kinds) :] if s.sent >= since]
        return len(recent) == STEADY * len(self.kinds) and all(ok(s) for s in recent)


def ask(client: Http, probe: Probe) -> Sample:
    sent = time.monotonic()
    reply = client.request("POST" if probe.body else "GET", probe.path, probe.body)
    return Sample(probe, sent, time.monotonic(), reply)


def ok(sample: Sample) -> bool:
    """A 200 whose GraphQL answer, if any, carries no errors."""
    if sample.reply.status != 200:
        return False
    return sample.probe.kind != "graphql" or not sample.reply.json().get("errors")


@pytest.fixture(scope="module")
def outage(throwaway: ThrowawayCluster, service: Service) -> Iterator[Outage]:
    """Runs the outage once for the module's tests: load, stop, wait, start, recover."""
    throwaway.start()
    kinds = probes(throwaway.dsn)
    found = Outage(processes=(process_tree(service.pid), []))
    found.baseline = [ask(Http(service.port, p.token), p) for p in kinds]
    prober = Prober(service.port, kinds)
    prober.start()
    try:
        time.sleep(0.5)
        throwaway.stop_immediately()
        found.stopped = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        found.restarting = time.monotonic()
        throwaway.start()
        found.up = time.monotonic()
        wait_for(lambda: prober.steady(found.up), RECOVERY_DEADLINE)
    finally:
        prober.stop.set()
        prober.join(timeout=15)
        throwaway.start()
    found.samples = prober.samples
    found.processes = (found.processes[0], process_tree(service.pid))
    yield found


Check = Callable[[Sample], list[str]]  # what is wrong with an answer ([] when right)


def failures(samples: list[Sample], check: Check) -> list[str]:
    """What is wrong, one line per probe (its first wrong answer), with how often."""
    first: dict[str, list[str]] = {}
    count: dict[str, int] = {}
    for sample in samples:
        problems = check(sample)
        if problems:
            first.setdefault(sample.probe.name, problems)
            count[sample.probe.name] = count.get(sample.probe.name, 0) + 1
    return [f"{name} ({count[name]}x): " + "; ".join(first[name]) for name in first]


def retry_after_valid(value: str | None) -> bool:
    if value is None:
        return False
    if value.strip().isdigit():
        return int(value) >= 0
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True


def graphql_complaints(sample: Sample) -> list[str]:
    reply, found = sample.reply, []
    if reply.status != 503:
        found.append(f"status {reply.describe()}")
    if not retry_after_valid(reply.headers.get("retry-after")):
        found.append(f"Retry-After {reply.headers.get('retry-after')!r}")
    try:
        errors = reply.json().get("errors") or []
    except (ValueError, AttributeError):
        return [*found, f"no GraphQL JSON body: {reply.body[:120]!r}"]
    codes = [e.get("extensions", {}).get("code") for e in errors]
    if not codes or any(code != CODE for code in codes):
        found.append(f"error codes {codes}")
    return found


def ogc_exception_complaints(sample: Sample) -> list[str]:
    """503 with the OGC exception JSON the OGC routes answer every error with
    (`{"code", "description"}`), which QGIS and GDAL show to the user."""
    reply = sample.reply
    found = [] if reply.status == 503 else [f"status {reply.describe()}"]
    if "json" not in reply.headers.get("content-type", ""):
        found.append(f"content-type {reply.headers.get('content-type')!r}")
    try:
        body = reply.json()
        described = isinstance(body["code"], str) and isinstance(body["description"], str)
    except (ValueError, KeyError, TypeError):
        described = False
    return found + ([] if described else [f"no OGC exception JSON: {reply.body[:120]!r}"])


def status_complaints(wanted: int) -> Check:
    def check(sample: Sample) -> list[str]:
        return [] if sample.reply.status == wanted else [f"status {sample.reply.describe()}"]

    return check


def assert_all(outage: Outage, kind: str, check: Check) -> None:
    samples = outage.during(kind)
    assert samples, f"no {kind} request was made during the outage"
    wrong = failures(samples, check)
    assert not wrong, f"of {len(samples)} answers during the outage:\n" + "\n".join(wrong)


def test_every_probe_answers_before_the_outage(outage: Outage) -> None:
    """Without this, a 503 later could come from a bad request rather than the outage."""
    assert [s.probe.name for s in outage.baseline if not ok(s)] == []


def test_graphql_posts_answer_503_with_retry_after_and_the_code(outage: Outage) -> None:
    assert_all(outage, "graphql", graphql_complaints)


def test_ogc_items_answer_503_with_a_json_error(outage: Outage) -> None:
    assert_all(outage, "ogc", ogc_exception_complaints)


def test_tiles_answer_503(outage: Outage) -> None:
    assert_all(outage, "tile", status_complaints(503))


def test_healthz_stays_200(outage: Outage) -> None:
    assert_all(outage, "healthz", status_complaints(200))


def test_readyz_answers_503(outage: Outage) -> None:
    assert_all(outage, "readyz", status_complaints(503))


def test_outage_answers_come_promptly(outage: Outage) -> None:
    """A request must not wait on a pool that cannot connect: the caller should retry."""
    slow = [f"{s.probe.name} {s.ended - s.sent:.1f} s" for s in outage.during()
            if s.ended - s.sent > PROMPT_SECONDS]  # fmt: skip
    assert not slow


def test_the_service_recovers_by_itself(outage: Outage) -> None:
    """Every probe answers 200 again within RECOVERY_SECONDS of the cluster accepting
    connections, and keeps doing so, from the processes that answered before the outage."""
    after = [s for s in outage.samples if s.sent >= outage.up]
    problems = []
    for name in [s.probe.name for s in outage.baseline]:
        mine = [s for s in after if s.probe.name == name]
        bad = [s for s in mine if not ok(s)]
        if not mine or not ok(mine[-1]):
            problems.append(f"{name} still fails: {mine[-1].reply.describe() if mine else '-'}")
        elif bad and bad[-1].ended - outage.up > RECOVERY_SECONDS:
            seconds = bad[-1].ended - outage.up
            problems.append(f"{name} failed {seconds:.1f} s after: {bad[-1].reply.describe()}")
    last = {s.probe.name: s.ended - outage.up for s in after if not ok(s)}
    print("last failure after the cluster was up:", {k: f"{v:.1f} s" for k, v in last.items()})
    assert not problems
    assert outage.processes[0] == outage.processes[1], "the server's processes changed"

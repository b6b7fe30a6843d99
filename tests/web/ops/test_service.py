"""The operator's view of a real server with two workers: metrics that add up across the
workers, one JSON log line per request, request ids reaching PostgreSQL's log, and rate
limits shared by the workers through the database."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ADMIN_TOKEN, add_token
from tests.faults.conftest import wait_for
from tests.parkgrid.cli_runs import parkgrid
from tests.web.live_client import live
from tests.web.live_park import comment
from tests.web.ops.conftest import RATE_LIMITS, VIEWERS, Service
from tests.web.ops.scrape import samples, total

PARKS = "query OpsParks { parks { nodes { code name } } }"
GRIDS = "query OpsGrids { grids(first: 3) { nodes { code } } }"
LOG_FIELDS = {
    "time",
    "level",
    "request_id",
    "route",
    "operation",
    "token_id",
    "role",
    "status",
    "duration_ms",
    "statements",
    "pid",
}


def scrape(service: Service) -> dict:
    reply = service.http(token=None).request("GET", "/metrics")
    assert reply.status == 200, reply.describe()
    return samples(reply.body.decode())


def parallel(calls, workers: int = 8) -> list:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_metrics_move_with_requests_of_each_kind(ops_service: Service):
    before = scrape(ops_service)
    admin, anonymous = ops_service.http(), ops_service.http(token=None)
    answers = parallel(
        [lambda: admin.graphql(GRIDS)] * 5
        + [lambda: anonymous.request("GET", "/tiles/grids/12/3330/1704.mvt")] * 6
        + [lambda: anonymous.request("GET", "/ogc/collections")] * 4
        + [lambda: admin.request("GET", "/export/stats.xlsx")] * 2
        + [lambda: anonymous.request("GET", "/no/such/path")] * 3
    )
    assert [a.status for a in answers] == [200] * 17 + [404] * 3, [a.describe() for a in answers]
    parks = both_workers_answer(ops_service, PARKS, "OpsParks")
    after = scrape(ops_service)

    def moved(metric: str, **labels: str) -> float:
        return total(after, metric, **labels) - total(before, metric, **labels)

    assert (
        moved("parkgrid_requests_total", route="/graphql", operation="OpsParks", status="200")
        == parks
    )
    assert (
        moved("parkgrid_requests_total", route="/graphql", operation="OpsGrids", status="200") == 5
    )
    tile_route = "/tiles/{layer}/{z:int}/{x:int}/{y:int}.mvt"
    assert moved("parkgrid_requests_total", route=tile_route, status="200") == 6
    assert moved("parkgrid_requests_total", route="/ogc/collections", status="200") == 4
    assert moved("parkgrid_requests_total", route="/export/stats.xlsx", status="200") == 2
    assert moved("parkgrid_requests_total", route="unrouted", status="404") == 3
    assert moved("parkgrid_request_duration_seconds_count", route="/graphql") == parks + 5
    assert moved("parkgrid_request_statements_count", route="/graphql") == parks + 5
    assert moved("parkgrid_request_statements_sum", route="/graphql") >= parks + 5
    assert moved("parkgrid_tile_cache_total") == 6  # every tile looked up once, hit or miss
    assert moved("parkgrid_tile_cache_total", result="miss") >= 1
    assert moved("parkgrid_compiled_cache_total") >= parks + 5
    assert moved("parkgrid_jobs_total", kind="export", name="stats", outcome="done") == 2
    assert ("parkgrid_db_pool_in_use", (("pool", "threads"),)) in after


def both_workers_answer(service: Service, query: str, operation: str) -> int:
    """Send `query` in parallel batches until the log shows both workers answered it (the
    kernel spreads connections, not evenly); how many were sent."""
    admin, sent = service.http(), 0
    for _ in range(25):
        answers = parallel([lambda: admin.graphql(query)] * 8)
        assert all(a.status == 200 for a in answers)
        sent += len(answers)
        lines = service.lines_where(lambda line: line.get("operation") == operation, sent)
        if len({line["pid"] for line in lines}) == 2:
            return sent
    raise AssertionError("one worker answered every request")


def test_one_json_line_per_request_with_the_given_id(ops_service: Service):
    given = f"ops-{uuid.uuid4().hex}"
    connection = http_connection(ops_service)
    connection.request(
        "POST",
        "/graphql",
        body=f'{{"query": "{PARKS}"}}',
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {ADMIN_TOKEN}",
            "X-Request-ID": given,
        },
    )
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200 and answer.getheader("X-Request-ID") == given
    lines = ops_service.lines_where(lambda line: line.get("request_id") == given, 1)
    assert len(lines) == 1, lines
    line = lines[0]
    assert set(line) >= LOG_FIELDS, sorted(LOG_FIELDS - set(line))
    assert (line["route"], line["operation"], line["status"], line["role"]) == (
        "/graphql",
        "OpsParks",
        200,
        "admin",
    )
    assert line["token_id"] == ops_service.tokens[ADMIN_TOKEN]
    assert line["statements"] >= 1 and line["duration_ms"] > 0
    assert ADMIN_TOKEN not in ops_service.log.read_text()  # the token itself is never logged


def http_connection(service: Service):
    import http.client

    return http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)


def test_the_request_id_reaches_postgresql(ops_service: Service):
    """Every statement logged (log_min_duration_statement = 0 for this database) names
    the application, which carries the request id."""
    given = f"pg-{uuid.uuid4().hex[:12]}"
    connection = http_connection(ops_service)
    connection.request("GET", "/tiles/grids/12/3330/1704.mvt", headers={"X-Request-ID": given})
    assert connection.getresponse().status == 200
    connection = http_connection(ops_service)
    connection.request(
        "POST",
        "/graphql",
        body=f'{{"query": "{GRIDS}"}}',
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {VIEWERS[0]}",
            "X-Request-ID": given + "-q",
        },
    )
    assert connection.getresponse().status == 200
    server_log = (ops_service.cluster.settings.pgdata / "server.log").read_text(errors="replace")
    assert f"parkgrid {given} " in server_log  # the tile's statements (a worker thread)
    assert f"parkgrid {given}-q " in server_log  # the compiled query (one round trip)


def test_a_burst_past_the_limit_is_refused_by_both_workers(ops_service: Service):
    limit = RATE_LIMITS["ogc"]
    hammering, other = ops_service.http(VIEWERS[0]), ops_service.http(VIEWERS[1])
    before = scrape(ops_service)
    answers = parallel([lambda: hammering.request("GET", "/ogc/collections")] * (limit + 20))
    statuses = sorted(a.status for a in answers)
    # counted once, in the database: exactly the limit passes, whichever worker answered
    assert statuses == [200] * limit + [429] * 20, statuses
    refused = [a for a in answers if a.status == 429]
    assert all(1 <= int(a.headers["retry-after"]) <= 3600 for a in refused)
    assert refused[0].json()["code"] == "TooManyRequests"  # OGC's exception shape
    lines = ops_service.lines_where(
        lambda line: line.get("status") == 429 and line.get("route") == "/ogc/collections", 20
    )
    assert len({line["pid"] for line in lines}) == 2, "both workers refused"
    assert other.request("GET", "/ogc/collections").status == 200
    graphql = hammering.graphql(PARKS)  # another class: not limited
    assert graphql.status == 200
    after = scrape(ops_service)
    assert (
        total(after, "parkgrid_rate_limited_total", route_class="ogc", caller="token")
        - total(before, "parkgrid_rate_limited_total", route_class="ogc", caller="token")
        == 20
    )


@pytest.mark.parametrize("path", ["/metrics"])
def test_metrics_refused_to_a_token_that_is_not_the_metrics_token(ops_service: Service, path):
    # 127.0.0.1 is allowed by default; the allowlist itself is tested in-process
    assert ops_service.http(token=None).request("GET", path).status == 200


def test_token_use_is_recorded_once_a_minute_not_per_request(ops_service: Service):
    secret = "pgt_ops-token-use"
    token = add_token(ops_service.url, secret, "viewer")
    caller = ops_service.http(secret)
    assert caller.graphql(PARKS).status == 200

    def written() -> list:
        return ops_service.sql("SELECT CAST(xmin AS text), last_used_at, host(last_used_from)"
                               " FROM api_token WHERE id = :id", id=token)  # fmt: skip

    assert wait_for(lambda: written()[0][1] is not None, 10)
    version, used_at, address = written()[0]
    assert address == "127.0.0.1"
    answers = parallel([lambda: caller.graphql(PARKS)] * 30)
    assert all(a.status == 200 for a in answers)
    time.sleep(1)  # the background writes, had there been any
    assert written()[0][:2] == (version, used_at)  # the row was not written again
    done = parkgrid(ops_service.url, "token", "list")
    header, *rows = [line.split("\t") for line in done.stdout.strip().splitlines()]
    row = dict(zip(header, next(r for r in rows if r[0] == str(token)), strict=True))
    assert row["last used from"] == "127.0.0.1" and row["last used"].startswith(
        used_at.isoformat(timespec="seconds")[:16]
    )


ISSUE_CHANGES = "subscription { issueChanged { eventId event { action note } } }"


def test_subscriptions_open_and_messages_sent_are_counted(ops_service: Service):
    base = f"http://127.0.0.1:{ops_service.port}"
    (issue,) = ops_service.sql("SELECT min(id) FROM issue")[0]
    before = scrape(ops_service)

    def open_now() -> float:
        return total(scrape(ops_service), "parkgrid_subscriptions_open")

    start = total(before, "parkgrid_subscriptions_open")
    with live(base, ADMIN_TOKEN) as client:
        client.subscribe("1", ISSUE_CHANGES)
        assert wait_for(lambda: open_now() == start + 1, 10)
        comment(base, issue, "counted by the metrics")
        (item,) = client.items("1", 1)
        assert item["issueChanged"]["event"]["note"] == "counted by the metrics"
        sent = total(scrape(ops_service), "parkgrid_subscription_messages_total")
        assert sent - total(before, "parkgrid_subscription_messages_total") == 1
    assert wait_for(lambda: open_now() == start, 10)

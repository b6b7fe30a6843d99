"""The service's metrics, defined once for every part that records them.

The official prometheus-client, at module level as that library intends: in one process the
metrics live in its default registry; under `parkgrid serve` every worker writes its values
to files in PROMETHEUS_MULTIPROC_DIR (set by the server before the workers start), and the
worker that answers a scrape adds them all up (web.metrics). Gauges of the pools are the
sum over the workers' latest values (`livesum`). Labels are bounded: routes are templates,
operation names are cut short, outcomes are HTTP statuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

OPERATION_CHARS = 64
LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATEMENTS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100)

REQUESTS = Counter("parkgrid_requests", "HTTP requests answered", ["route", "operation", "status"])
LATENCY_SECONDS = Histogram(
    "parkgrid_request_duration_seconds", "Time to answer a request", ["route"], buckets=LATENCY
)
STATEMENTS_PER_REQUEST = Histogram(
    "parkgrid_request_statements", "SQL statements sent for one request", ["route"],
    buckets=STATEMENTS,
)  # fmt: skip
POOL_IN_USE = Gauge(
    "parkgrid_db_pool_in_use", "Database connections in use", ["pool"], multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "parkgrid_db_pool_waiting", "Requests waiting for a connection", ["pool"],
    multiprocess_mode="livesum",
)  # fmt: skip
STATEMENT_TIMEOUTS = Counter(
    "parkgrid_statement_timeouts", "Statements cancelled at the statement timeout"
)
RERUNS = Counter(
    "parkgrid_database_reruns", "Database work run again: a read whose connection the server had"
    " dropped, a write PostgreSQL rolled back to break a deadlock", ["reason"],
)  # fmt: skip
COMPILED_CACHE = Counter(
    "parkgrid_compiled_cache", "Compiled GraphQL documents found in (hit) or added to (miss)"
    " the cache of checked operations", ["result"],
)  # fmt: skip
PREPARED = Counter(
    "parkgrid_prepared_statements", "Compiled statements prepared on a connection (miss) or"
    " executed as prepared before (hit)", ["result"],
)  # fmt: skip
TILE_CACHE = Counter("parkgrid_tile_cache", "Kept-tile lookups", ["result"])
TILE_CACHE_EVENTS = Counter(
    "parkgrid_tile_cache_events", "Kept tiles dropped: stale (invalidated) or evicted", ["reason"]
)
TILE_CACHE_BYTES = Gauge(
    "parkgrid_tile_cache_bytes", "Bytes of kept tiles", multiprocess_mode="livesum"
)
SUBSCRIPTIONS_OPEN = Gauge(
    "parkgrid_subscriptions_open", "GraphQL subscriptions running", multiprocess_mode="livesum"
)
SUBSCRIPTION_MESSAGES = Counter("parkgrid_subscription_messages", "Messages sent to subscribers")
JOBS = Counter("parkgrid_jobs", "Import and export jobs", ["kind", "name", "outcome"])
RATE_LIMITED = Counter(
    "parkgrid_rate_limited", "Requests refused by a rate limit", ["route_class", "caller"]
)
RATE_CHECK_SECONDS = Histogram(
    "parkgrid_rate_check_seconds", "Time to count a request against its limit",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1),
)  # fmt: skip


MAX_OPERATIONS = 200
"""Distinct operation names a process labels; later ones count as "(other)", since clients
choose the names and a label per name must stay bounded."""
operations: set[str] = set()


def operation_label(operation: str | None) -> str:
    name = (operation or "")[:OPERATION_CHARS]
    if name in operations or not name:
        return name
    if len(operations) >= MAX_OPERATIONS:
        return "(other)"
    operations.add(name)
    return name


def request_done(
    route: str, operation: str | None, status: int, seconds: float, statements: int
) -> None:
    name = operation_label(operation)
    REQUESTS.labels(route, name, str(status)).inc()
    LATENCY_SECONDS.labels(route).observe(seconds)
    STATEMENTS_PER_REQUEST.labels(route).observe(statements)


def pool_state(pool: str, in_use: int, waiting: int) -> None:
    POOL_IN_USE.labels(pool).set(in_use)
    POOL_WAITING.labels(pool).set(waiting)


@contextmanager
def job(kind: str, name: str) -> Iterator[None]:
    """Count an import or export job by how it ended: done, or failed (refused included)."""
    try:
        yield
    except BaseException:
        JOBS.labels(kind, name, "failed").inc()
        raise
    JOBS.labels(kind, name, "done").inc()

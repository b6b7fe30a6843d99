"""An issue change and a grid reshape lock rows in the same order, so they never deadlock;
where no one order exists, the service runs a write again when PostgreSQL breaks a deadlock.

An issue change counts itself against its enterprise, grid and zone (the tile stamps, read
FOR SHARE); a grid reshape locks the grid, then updates the members it gains or loses. If
the issue change took the enterprise before the grid, the two could each hold what the other
waits for. The test drives that interleaving with two real connections, bounded in time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2.extensions import connection as pg_connection

from parkgrid import metrics
from tests.conftest import app_client, graphql_client
from tests.resolvers.conftest import (
    X0,
    Y0,
    D,
    add_enterprise,
    add_two_grids,
    code,
    ell,
    expected_grids,
    stored_grids,
)

LOCK_WAIT_S = 20  # a lock_timeout: if the order were wrong, a test fails instead of hanging


@pytest.fixture
def pair(empty_url: str, engine_for) -> Iterator[tuple[pg_connection, pg_connection, int]]:
    """Two connections to a park of two grids whose G-A holds an enterprise in its
    north-east corner with an open issue; the issue's id."""
    engine = engine_for(empty_url)
    with engine.begin() as conn:
        add_two_grids(conn)
        corner = add_enterprise(conn, 1, X0 + 1.75 * D, Y0 + 0.75 * D)
        issue = conn.exec_driver_sql(
            "INSERT INTO issue (enterprise_id, category, title) VALUES (%s, 'other', 't')"
            " RETURNING id",
            (corner,),
        ).scalar_one()
    dsn = engine.url.render_as_string(hide_password=False).replace("+psycopg2", "")
    first, second = psycopg2.connect(dsn), psycopg2.connect(dsn)
    for conn in (first, second):
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout = %s", (f"{LOCK_WAIT_S}s",))
        conn.commit()
    yield first, second, int(issue)
    first.close()
    second.close()


def waiting_for_a_lock(watcher: pg_connection, pid: int) -> bool:
    with watcher.cursor() as cur:
        cur.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", (pid,))
        return bool(cur.fetchone()[0])


def in_thread(conn: pg_connection, statement: str, args: tuple[object, ...]) -> dict[str, object]:
    """Run `statement` and commit on another thread; what happened lands in the dict."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            with conn.cursor() as cur:
                cur.execute(statement, args)
            conn.commit()
            outcome["done"] = True
        except psycopg2.Error as error:
            conn.rollback()
            outcome["error"] = error

    outcome["thread"] = thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return outcome


def wait_until_blocked(watcher: pg_connection, conn: pg_connection) -> None:
    deadline = time.monotonic() + LOCK_WAIT_S
    while not waiting_for_a_lock(watcher, conn.info.backend_pid):
        assert time.monotonic() < deadline, "the issue change never waited for the grid"
        time.sleep(0.02)


def wait_until_another_is_blocked(watcher: pg_connection) -> None:
    """Until a backend other than the watcher's waits for a lock in this database."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND cardinality(pg_blocking_pids(pid)) > 0"
    )
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        with watcher.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")  # else read once per transaction
            cur.execute(query)
            if cur.fetchone()[0]:
                return
        assert time.monotonic() < deadline, "the move never waited for the grid"
        time.sleep(0.02)


def test_an_issue_change_waits_for_a_reshape_that_holds_its_grid(pair) -> None:
    """The reshape holds the grid (as the register's upsert does before it writes); the issue
    change must wait for it without first taking its enterprise, which the reshape moves."""
    reshape, change, issue = pair
    with reshape.cursor() as cur:
        cur.execute("SELECT id FROM grid WHERE code = 'G-A' FOR UPDATE")
    outcome = in_thread(change, "UPDATE issue SET status = 'accepted' WHERE id = %s", (issue,))
    wait_until_blocked(reshape, change)
    with reshape.cursor() as cur:
        cur.execute("UPDATE grid SET boundary = ST_GeomFromEWKT(%s) WHERE code = 'G-A'", (ell(1),))
        cur.execute("SELECT grid_id FROM enterprise")
        assert cur.fetchall() == [(None,)]
    reshape.commit()
    outcome["thread"].join(LOCK_WAIT_S * 2)  # type: ignore[attr-defined]
    assert "error" not in outcome, outcome.get("error")
    assert outcome.get("done")
    with reshape.cursor() as cur:
        cur.execute("SELECT status FROM issue WHERE id = %s", (issue,))
        assert cur.fetchone() == ("accepted",)


MOVE = """mutation ($uscc: String!, $location: GeoJSON!) { moveEnterprise(uscc: $uscc,
  location: $location) { __typename ... on EnterprisePayload { enterprise { grid { code } } }
  ... on UserError { code message } } }"""


def test_a_move_deadlocked_with_a_reshape_is_run_again(pair, empty_url: str, engine_for) -> None:
    """A move locks its enterprise, then (counting its tiles) its grid; a reshape locks the
    grid, then the members it loses. No order serves both when the reshape is an operator's
    SQL, so PostgreSQL breaks the deadlock by rolling the move back, and the service runs it
    again: the caller gets the move, once."""
    reshape, _, _ = pair
    with reshape.cursor() as cur:  # the move is the one that waits first: it is rolled back
        cur.execute("SET deadlock_timeout = '10s'")
        cur.execute("SELECT id FROM grid WHERE code = 'G-A' FOR UPDATE")
    reruns = metrics.RERUNS.labels("rolled_back")._value.get()
    where = {"type": "Point", "coordinates": [X0 + D / 2, Y0 + D / 2]}  # into G-B
    answer: dict[str, object] = {}
    with app_client(empty_url) as client:
        gql = graphql_client(client)
        mover = threading.Thread(
            target=lambda: answer.update(gql(MOVE, {"uscc": code(1), "location": where}, ok=False)),
            daemon=True,
        )
        mover.start()
        wait_until_another_is_blocked(reshape)
        with reshape.cursor() as cur:
            cur.execute(
                "UPDATE grid SET boundary = ST_GeomFromEWKT(%s) WHERE code = 'G-A'", (ell(1),)
            )
        reshape.commit()
        mover.join(LOCK_WAIT_S * 2)
    assert "errors" not in answer, answer.get("errors")
    moved = answer["data"]["moveEnterprise"]  # type: ignore[index]
    assert moved == {"__typename": "EnterprisePayload", "enterprise": {"grid": {"code": "G-B"}}}
    assert metrics.RERUNS.labels("rolled_back")._value.get() == reruns + 1
    with reshape.cursor() as cur:
        cur.execute("SELECT count(*) FROM event WHERE action = 'moved'")
        assert cur.fetchone() == (1,)
    reshape.commit()
    with engine_for(empty_url).connect() as conn:
        assert stored_grids(conn) == expected_grids(conn)

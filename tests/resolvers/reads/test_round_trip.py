"""One round trip. parkgrid.prepared.script makes one text of the statements: the first time
a connection sees a statement the text PREPAREs and EXECUTEs it; once its name is recorded,
only EXECUTE; a statement that is not preparable goes as it is. Run for real, the statements
of one text share one transaction: a local setting made by the first holds in the second,
and is gone after. Database.at_once sends such a text once."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from parkgrid.db import Database
from parkgrid.errors import TimedOut
from parkgrid.prepared import script
from parkgrid.settings import DatabaseSettings
from tests.resolvers.reads.oracle import Oracle

SET = "SELECT set_config('parkgrid.test_value', %(value)s, true) AS set_to"
SEEN = "SELECT current_setting('parkgrid.test_value', true) AS seen, %(value)s || '!' AS echo"
NAMED = re.compile(r"^(PREPARE|EXECUTE) (parkgrid_\w+)")


def test_a_first_call_prepares_and_executes() -> None:
    text, names = script(set(), [(SEEN, True)])
    prepare, execute = text.split(";\n")
    assert len(names) == 1 and re.fullmatch(r"parkgrid_\w+", names[0])
    name = names[0]
    # the value occurs twice but is one parameter: $1 both times, one argument
    assert prepare == f"PREPARE {name} AS " + SEEN.replace("%(value)s", "$1")
    assert execute == f"EXECUTE {name}(%(value)s)"


def test_a_recorded_statement_is_only_executed() -> None:
    _, names = script(set(), [(SET, True), (SEEN, True)])
    text, new = script(set(names), [(SET, True), (SEEN, True)])
    assert new == []
    assert text.split(";\n") == [f"EXECUTE {names[0]}(%(value)s)", f"EXECUTE {names[1]}(%(value)s)"]


def test_statements_are_named_by_their_text() -> None:
    _, first = script(set(), [(SET, True)])
    _, again = script(set(), [(SET, True)])
    _, other = script(set(), [(SEEN, True)])
    assert first == again and first != other
    text, twice = script(set(), [(SET, True), (SET, True)])
    assert len(twice) == 1 and text.count("PREPARE") == 1 and text.count("EXECUTE") == 2


def test_a_statement_that_is_not_preparable_goes_as_it_is() -> None:
    text, names = script(set(), [(SET, False), (SEEN, True)])
    parts = text.split(";\n")
    assert parts[0] == SET
    assert [NAMED.match(p).group(1) for p in parts[1:]] == ["PREPARE", "EXECUTE"]  # type: ignore[union-attr]
    assert len(names) == 1
    text, names = script({"parkgrid_unrelated"}, [(SET, False)])
    assert (text, names) == (SET, [])


@pytest.fixture
def connection(demo_url: str) -> Iterator[Any]:
    url = make_url(demo_url)
    conn = psycopg2.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        dbname=url.database,
    )  # fmt: skip
    conn.autocommit = True
    yield conn
    conn.close()


def run(conn: Any, text: str, params: dict[str, Any]) -> Any:
    with conn.cursor() as cursor:
        cursor.execute(text, params)
        return cursor.fetchone()


def prepared_on(conn: Any) -> set[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("preparable", [(True, True), (False, True), (True, False), (False, False)])
def test_one_text_is_one_transaction(connection, preparable) -> None:
    statements = [(SET, preparable[0]), (SEEN, preparable[1])]
    done: set[str] = set()
    for value in ("first", "second 50% 'quoted'"):
        text, new = script(done, statements)
        assert run(connection, text, {"value": value}) == (value, value + "!")
        assert prepared_on(connection) >= set(new) | done
        done.update(new)
        # the setting was local to that text's transaction
        assert run(connection, "SELECT current_setting('parkgrid.test_value', true)", {}) == ("",)
    assert len(done) == sum(preparable)


@pytest.mark.parametrize("preparable", [True, False])
def test_a_failing_statement_undoes_the_whole_text(connection, preparable) -> None:
    """A session-wide setting made by the first statement is rolled back with the second's
    failure: one transaction, not one per statement."""
    session = SET.replace(", true)", ", false)")
    text, _ = script(set(), [(session, preparable), ("SELECT 1 / %(zero)s", preparable)])
    with pytest.raises(psycopg2.errors.DivisionByZero):
        run(connection, text, {"value": "undone", "zero": 0})
    seen = run(connection, "SELECT current_setting('parkgrid.test_value', true)", {})[0]
    assert seen in ("", None)
    text, _ = script(set(), [(session, False)])
    run(connection, text, {"value": "kept"})  # alone it holds: the check above can fail
    assert run(connection, "SELECT current_setting('parkgrid.test_value', true)", {}) == ("kept",)


def test_a_literal_percent_survives_preparation(connection) -> None:
    text, names = script(set(), [("SELECT 'a%b' || %(x)s AS v", True)])
    assert run(connection, text, {"x": "c"}) == ("a%bc",)
    again, _ = script(set(names), [("SELECT 'a%b' || %(x)s AS v", True)])
    assert run(connection, again, {"x": "d"}) == ("a%bd",)


def test_a_statement_that_times_out_is_sent_once(empty_url) -> None:
    """And is answered as a timeout, not retried (a timeout is not a dropped connection)."""
    sql = Oracle(empty_url)
    sql.execute("CREATE SEQUENCE public.round_trip_attempts")  # nextval outlives a rollback
    db = Database.from_settings(
        DatabaseSettings(url=empty_url, pool_size=2, statement_timeout_ms=50)
    )
    slow = "SELECT nextval('public.round_trip_attempts'), pg_sleep(5)"
    try:
        with pytest.raises(TimedOut):
            asyncio.run(db.at_once([(slow, False)], {}))
    finally:
        db.dispose()
    attempts = sql.scalar("SELECT last_value FROM public.round_trip_attempts")
    sql.dispose()
    assert attempts == 1


def test_a_connection_keeps_a_bounded_number_of_prepared_statements() -> None:
    from parkgrid.prepared import MAX_PREPARED

    done = {f"parkgrid_{n}" for n in range(MAX_PREPARED)}
    text, new = script(done, [("SELECT 1", True)])
    assert text.startswith("DEALLOCATE ALL;")
    assert "PREPARE" in text and len(new) == 1 and not done


def test_work_of_many_statements_holds_a_connection_no_longer_than_the_timeout(
    empty_url: str,
) -> None:
    """Each statement is within the timeout, their sum is not: the work is cancelled once
    it has held the connection for the timeout, and answered as a timeout."""
    db = Database.from_settings(
        DatabaseSettings(url=empty_url, pool_size=1, statement_timeout_ms=600)
    )

    def slow_report(conn: Any) -> None:
        for _ in range(6):
            conn.exec_driver_sql("SELECT pg_sleep(0.3)")

    started = time.monotonic()
    try:
        with pytest.raises(TimedOut):
            asyncio.run(db.read(slow_report))
        held = time.monotonic() - started
        assert asyncio.run(db.read(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())) == 1
    finally:
        db.dispose()
    assert 0.6 <= held < 1.5

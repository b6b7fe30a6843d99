"""Server-side prepared statements for compiled requests: one document compiles to one SQL
text, so PostgreSQL plans it once per connection instead of once per request."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection, CursorResult

from parkgrid import metrics

MAX_PREPARED = 512
UNPREPARED = "unprepared"
PLACEHOLDER = re.compile(r"%\(([A-Za-z_][A-Za-z_0-9]*)\)s")


def positional(sql: str) -> tuple[str, list[str]]:
    """The statement with $1..$n for its %(name)s placeholders, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return PLACEHOLDER.sub(number, sql), names


def statement_name(sql: str) -> str:
    return "parkgrid_" + hashlib.sha1(sql.encode()).hexdigest()[:24]


@lru_cache(maxsize=1024)
def prepared_form(sql: str) -> tuple[str, str, tuple[str, ...]]:
    """The statement's name, its body with $n placeholders, and the names in order: the same
    text (one request shape) is worked out once."""
    body, names = positional(sql)
    return statement_name(sql), body, tuple(names)


def execute(conn: Connection, sql: str, params: dict[str, Any]) -> CursorResult[Any]:
    """Run `sql` (with %(name)s placeholders) as a prepared statement of this connection.
    The record of what is prepared lives with the DBAPI connection and goes with it; a
    connection marked `unprepared` (behind a pooler) runs the statement as it is."""
    if conn.connection.info.get(UNPREPARED):
        return conn.exec_driver_sql(sql, params)
    name = statement_name(sql)
    prepared: set[str] = conn.connection.info.setdefault("prepared", set())
    body, names = positional(sql)
    if name not in prepared:
        conn.exec_driver_sql(f"PREPARE {name} AS {body}")
        prepared.add(name)
    arguments = ", ".join(f"%({n})s" for n in names)
    return conn.exec_driver_sql(f"EXECUTE {name}({arguments})", params)


def execute_scalar(conn: Connection, sql: str, params: dict[str, Any]) -> Any:
    return execute(conn, sql, params).scalar_one()


def script(prepared: set[str], statements: Sequence[tuple[str, bool]]) -> tuple[str, list[str]]:
    """One text for one round trip: each (sql, preparable) statement runs as a prepared
    statement of the connection whose record `prepared` is (PREPAREd in the same text the
    first time), or as it is. Statements of one text share one transaction, so settings
    one sets with set_config(..., true) hold for the next. Returns the text and the names
    it prepares (to record once it has run)."""
    parts: list[str] = []
    new: list[str] = []
    if len(prepared) >= MAX_PREPARED:  # a connection keeps a bounded number of shapes
        parts.append("DEALLOCATE ALL")
        prepared.clear()
    for sql, preparable in statements:
        if not preparable:
            parts.append(sql)
            continue
        name, body, names = prepared_form(sql)
        if name not in prepared and name not in new:
            parts.append(f"PREPARE {name} AS {body.replace('%', '%%')}")
            new.append(name)
        arguments = ", ".join(f"%({n})s" for n in names)
        parts.append(f"EXECUTE {name}({arguments})" if names else f"EXECUTE {name}")
    reusable = sum(1 for _, can in statements if can) - len(new)
    metrics.PREPARED.labels("miss").inc(len(new))
    metrics.PREPARED.labels("hit").inc(reusable)
    return ";\n".join(parts), new

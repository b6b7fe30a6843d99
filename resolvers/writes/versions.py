"""Optimistic versions of edited records (projects, activities, hiring plans, recruitment
events, safety standardisation): a change names the version it was read at; the row is
locked, and a version that moved on is a CONFLICT naming `version`. `table` and the columns
are this package's own constants, never input."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import Conflict, NotFound


def locked(
    conn: Connection, table: str, key: str, value: Any, version: int, field: str = "id"
) -> dict[str, Any]:
    """The row whose `key` is `value`, locked for the change, at `version`."""
    query = f"SELECT * FROM {table} t WHERE t.{key} = :value FOR UPDATE"
    row = conn.execute(text(query), {"value": value}).first()
    if row is None:
        raise NotFound(f"no {table.replace('_', ' ')} has {key} {value}", field=field)
    found = dict(row._mapping)
    if found["version"] != version:
        raise Conflict(f"it is at version {found['version']}, not {version}", field="version")
    return found


def bump(conn: Connection, table: str, key: str, value: Any, stamp: bool = True) -> int:
    """Move the row's version on (and its updated_at, where it has one); the new version."""
    stamped = ", updated_at = now()" if stamp else ""
    query = f"UPDATE {table} SET version = version + 1{stamped} WHERE {key} = :value"
    conn.execute(text(query), {"value": value})
    version = conn.execute(text(f"SELECT version FROM {table} WHERE {key} = :v"), {"v": value})
    return int(version.scalar_one())


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """[before, after] of each value that differs (an event's `changes`)."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}

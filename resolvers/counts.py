"""Counts per area, each one statement for any number of areas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from resolvers.filters import EnterpriseFilter
from resolvers.records import AreaKind
from resolvers.scope import OPEN_ISSUE, grids_under


def per_area(
    conn: Connection, kind: AreaKind, ids: Sequence[int], joined: str, params: dict[str, Any]
) -> dict[int, int]:
    """count(*) of the rows `joined` to each area's enterprises (alias e)."""
    query = f"""
        WITH scope AS ({grids_under(kind)})
        SELECT s.area_id, count(*) AS n
        FROM scope s JOIN enterprise e ON e.grid_id = s.grid_id {joined}
        GROUP BY s.area_id
    """
    rows = conn.execute(text(query), {**params, "ids": list(ids)})
    counts = {row.area_id: int(row.n) for row in rows}
    return {area_id: counts.get(area_id, 0) for area_id in ids}


def enterprises(
    conn: Connection, kind: AreaKind, where: EnterpriseFilter, ids: Sequence[int]
) -> dict[int, int]:
    conditions = where.where()
    return per_area(conn, kind, ids, f"WHERE {conditions.text()}", conditions.params)


def open_issues(conn: Connection, kind: AreaKind, ids: Sequence[int]) -> dict[int, int]:
    return per_area(conn, kind, ids, f"JOIN issue i ON i.enterprise_id = e.id AND {OPEN_ISSUE}", {})


def overdue_issues(
    conn: Connection, kind: AreaKind, today: date, ids: Sequence[int]
) -> dict[int, int]:
    joined = f"JOIN issue i ON i.enterprise_id = e.id AND {OPEN_ISSUE} AND i.due_date < :today"
    return per_area(conn, kind, ids, joined, {"today": today})


def visits(
    conn: Connection, kind: AreaKind, since: datetime | None, ids: Sequence[int]
) -> dict[int, int]:
    joined = (
        "JOIN visit v ON v.enterprise_id = e.id"
        " AND (CAST(:since AS timestamptz) IS NULL OR v.visited_at >= :since)"
    )
    return per_area(conn, kind, ids, joined, {"since": since})

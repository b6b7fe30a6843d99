"""Enterprises: lookups, and pages of the enterprises in each of many areas at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from resolvers.pagination import Page, PageRequest, make_page
from resolvers.records import AreaKind, EnterpriseRecord, record
from resolvers.scope import AREA_KEYS, grids_under

COLUMNS = (
    "e.id, e.uscc, e.name, e.industry, e.address,"
    " ST_X(e.location) AS lon, ST_Y(e.location) AS lat, e.grid_id"
)


def by_field(conn: Connection, field: str, values: Sequence[object]) -> list[EnterpriseRecord]:
    query = f"SELECT {COLUMNS} FROM enterprise e WHERE e.{field} = ANY(:values)"
    rows = conn.execute(text(query), {"values": list(values)})
    return [record(EnterpriseRecord, row) for row in rows]


def by_usccs(conn: Connection, usccs: Sequence[str]) -> dict[str, EnterpriseRecord]:
    return {e.uscc: e for e in by_field(conn, "uscc", usccs)}


def by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, EnterpriseRecord]:
    return {e.id: e for e in by_field(conn, "id", ids)}


def pages_in_areas(
    conn: Connection, kind: AreaKind, request: PageRequest, ids: Sequence[int]
) -> dict[int, Page[EnterpriseRecord]]:
    """One statement for the same page of every area: a lateral index scan per area."""
    query = f"""
        WITH scope AS ({grids_under(kind)})
        SELECT k.area_id, page.* FROM {AREA_KEYS}
        CROSS JOIN LATERAL (
            SELECT {COLUMNS} FROM enterprise e
            WHERE e.grid_id IN (SELECT s.grid_id FROM scope s WHERE s.area_id = k.area_id)
              AND (CAST(:after AS text) IS NULL OR e.uscc > :after)
            ORDER BY e.uscc LIMIT :limit
        ) AS page
        ORDER BY k.area_id, page.uscc
    """
    params = {"ids": list(ids), "after": request.after, "limit": request.limit}
    grouped: dict[int, list[EnterpriseRecord]] = defaultdict(list)
    for row in conn.execute(text(query), params):
        grouped[row.area_id].append(record(EnterpriseRecord, row))
    return {area_id: make_page(grouped[area_id], request, key=lambda e: e.uscc) for area_id in ids}


def counts_in_areas(conn: Connection, kind: AreaKind, ids: Sequence[int]) -> dict[int, int]:
    query = f"""
        WITH scope AS ({grids_under(kind)})
        SELECT s.area_id, count(e.id) AS n
        FROM scope s JOIN enterprise e ON e.grid_id = s.grid_id
        GROUP BY s.area_id
    """
    counts = {row.area_id: int(row.n) for row in conn.execute(text(query), {"ids": list(ids)})}
    return {area_id: counts.get(area_id, 0) for area_id in ids}

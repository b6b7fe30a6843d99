"""Parks, zones and grids: lookups, lists, geometry and measures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from resolvers.pagination import Page, PageRequest, make_page
from resolvers.records import AreaKind, AreaRecord, Location, record
from resolvers.scope import PARENTS, TABLES


def columns(kind: AreaKind) -> str:
    parent = PARENTS[kind] or "NULL::bigint"
    return f"'{kind}' AS kind, t.id, t.code, t.name, {parent} AS parent_id"


def by_field(
    conn: Connection, kind: AreaKind, field: str, values: Sequence[Any]
) -> list[AreaRecord]:
    query = f"SELECT {columns(kind)} FROM {TABLES[kind]} t WHERE t.{field} = ANY(:values)"
    rows = conn.execute(text(query), {"values": list(values)})
    return [record(AreaRecord, row) for row in rows]


def by_codes(conn: Connection, kind: AreaKind, codes: Sequence[str]) -> dict[str, AreaRecord]:
    return {area.code: area for area in by_field(conn, kind, "code", codes)}


def by_ids(conn: Connection, kind: AreaKind, ids: Sequence[int]) -> dict[int, AreaRecord]:
    return {area.id: area for area in by_field(conn, kind, "id", ids)}


def parent_filter(kind: AreaKind, parent_id: int | None) -> str:
    parent = PARENTS[kind]
    if parent is None or parent_id is None:
        return "TRUE"
    return f"t.{parent} = :parent_id"


def listing(
    conn: Connection, kind: AreaKind, parent_id: int | None, request: PageRequest
) -> Page[AreaRecord]:
    query = (
        f"SELECT {columns(kind)} FROM {TABLES[kind]} t WHERE {parent_filter(kind, parent_id)}"
        " AND (CAST(:after AS text) IS NULL OR t.code > :after) ORDER BY t.code LIMIT :limit"
    )
    params = {"parent_id": parent_id, "after": request.after, "limit": request.limit}
    rows = [record(AreaRecord, row) for row in conn.execute(text(query), params)]
    return make_page(rows, request, key=lambda area: area.code)


def count(conn: Connection, kind: AreaKind, parent_id: int | None) -> int:
    query = f"SELECT count(*) FROM {TABLES[kind]} t WHERE {parent_filter(kind, parent_id)}"
    return int(conn.execute(text(query), {"parent_id": parent_id}).scalar_one())


def boundaries(
    conn: Connection, kind: AreaKind, precision: int, ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    geojson = geosql.geojson("boundary")
    query = f"SELECT id, {geojson} AS geojson FROM {TABLES[kind]} WHERE id = ANY(:ids)"
    rows = conn.execute(text(query), {"ids": list(ids), "precision": precision})
    return {row.id: row.geojson for row in rows}


def areas_sqm(conn: Connection, kind: AreaKind, ids: Sequence[int]) -> dict[int, float]:
    query = (
        f"SELECT id, {geosql.area_sqm('boundary')} AS m2 FROM {TABLES[kind]} WHERE id = ANY(:ids)"
    )
    return {row.id: float(row.m2) for row in conn.execute(text(query), {"ids": list(ids)})}


LOCATE = f"""
WITH p AS (SELECT {geosql.bound_point()} AS geom),
member AS (SELECT parkgrid_grid_for_point(p.geom) AS grid_id FROM p),
by_grid AS (
    SELECT g.id AS grid_id, z.id AS zone_id, z.park_id
    FROM member m JOIN grid g ON g.id = m.grid_id JOIN zone z ON z.id = g.zone_id
)
SELECT
    (SELECT grid_id FROM by_grid) AS grid_id,
    coalesce((SELECT zone_id FROM by_grid),
             (SELECT z.id FROM zone z, p WHERE ST_Covers(z.boundary, p.geom)
              ORDER BY z.code LIMIT 1)) AS zone_id,
    coalesce((SELECT park_id FROM by_grid),
             (SELECT k.id FROM park k, p WHERE ST_Covers(k.boundary, p.geom)
              ORDER BY k.code LIMIT 1)) AS park_id
"""


def locate(conn: Connection, lon: float, lat: float) -> Location:
    """The grid by the membership rule; zone and park by the grid, or by cover without one."""
    row = conn.execute(text(LOCATE), {"lon": lon, "lat": lat}).one()
    return record(Location, row)

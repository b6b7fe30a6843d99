"""Parks, zones and grids: lookups, lists, geometry and measures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from geo.sql import MAX_PRECISION
from parkgrid.errors import InvalidInput
from resolvers.filters import AreaFilter, Conditions
from resolvers.pagination import Page, PageRequest, make_page
from resolvers.records import AreaKind, AreaMeasures, AreaRecord, record
from resolvers.scope import AREA_KEYS, PARENTS, TABLES


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


MAX_TOLERANCE_M = 10_000.0


def checked_tolerance(meters: float) -> float:
    if not 0 <= meters <= MAX_TOLERANCE_M:
        raise InvalidInput(f"must be between 0 and {MAX_TOLERANCE_M:.0f} metres", field="simplify")
    return meters


def checked_precision(precision: int) -> int:
    if not 0 <= precision <= MAX_PRECISION:
        raise InvalidInput(f"must be between 0 and {MAX_PRECISION}", field="precision")
    return precision


PARENT_TABLES: dict[AreaKind, str | None] = {"park": None, "zone": "park", "grid": "zone"}
SIMPLIFIED = """
    CASE WHEN :simplify > 0 THEN ST_Multi(ST_CollectionExtract(ST_MakeValid(
        ST_SimplifyPreserveTopology(boundary, :simplify / 111320.0)), 3))
    ELSE boundary END
"""
MEASURES = """
    SELECT id, {area} AS area_m2, {perimeter} AS perimeter_m,
           ST_X(c) AS centroid_lon, ST_Y(c) AS centroid_lat,
           ST_XMin(boundary) AS west, ST_YMin(boundary) AS south,
           ST_XMax(boundary) AS east, ST_YMax(boundary) AS north
    FROM {table}, LATERAL (SELECT ST_Centroid(boundary::geography)::geometry AS c) AS centroid
    WHERE id = ANY(:ids)
"""


def conditions_of(kind: AreaKind, where: AreaFilter) -> Conditions:
    return where.where(PARENTS[kind], PARENT_TABLES[kind])


def listing(
    conn: Connection, kind: AreaKind, where: AreaFilter, request: PageRequest
) -> Page[AreaRecord]:
    conditions = conditions_of(kind, where)
    query = (
        f"SELECT {columns(kind)} FROM {TABLES[kind]} t WHERE {conditions.text()}"
        " AND (CAST(:after AS text) IS NULL OR t.code > :after) ORDER BY t.code LIMIT :limit"
    )
    params = {**conditions.params, "after": request.after_key, "limit": request.limit}
    rows = [record(AreaRecord, row) for row in conn.execute(text(query), params)]
    return make_page(rows, request, key=lambda area: (area.code,))


def count(conn: Connection, kind: AreaKind, where: AreaFilter) -> int:
    conditions = conditions_of(kind, where)
    query = f"SELECT count(*) FROM {TABLES[kind]} t WHERE {conditions.text()}"
    return int(conn.execute(text(query), conditions.params).scalar_one())


def child_pages(
    conn: Connection, kind: AreaKind, where: AreaFilter, request: PageRequest, ids: Sequence[int]
) -> dict[int, Page[AreaRecord]]:
    """The same page of the children (zones of parks, grids of zones) of many parents."""
    conditions = conditions_of(kind, where)
    query = f"""
        SELECT k.area_id AS owner, page.* FROM {AREA_KEYS}
        CROSS JOIN LATERAL (
            SELECT {columns(kind)} FROM {TABLES[kind]} t
            WHERE t.{PARENTS[kind]} = k.area_id AND {conditions.text()}
              AND (CAST(:after AS text) IS NULL OR t.code > :after)
            ORDER BY t.code LIMIT :limit
        ) AS page
    """
    params = {**conditions.params, "ids": list(ids), "after": request.after_key}
    grouped: dict[int, list[AreaRecord]] = defaultdict(list)
    for row in conn.execute(text(query), {**params, "limit": request.limit}):
        grouped[row.owner].append(record(AreaRecord, row))
    return {owner: make_page(grouped[owner], request, lambda a: (a.code,)) for owner in ids}


def child_counts(
    conn: Connection, kind: AreaKind, where: AreaFilter, ids: Sequence[int]
) -> dict[int, int]:
    conditions = conditions_of(kind, where)
    query = f"""
        SELECT t.{PARENTS[kind]} AS owner, count(*) AS n FROM {TABLES[kind]} t
        WHERE t.{PARENTS[kind]} = ANY(:ids) AND {conditions.text()} GROUP BY 1
    """
    rows = conn.execute(text(query), {**conditions.params, "ids": list(ids)})
    found = {row.owner: int(row.n) for row in rows}
    return {owner: found.get(owner, 0) for owner in ids}


def boundaries(
    conn: Connection, kind: AreaKind, precision: int, simplify: float, ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """GeoJSON, simplified to a tolerance in metres (taken as 1/111,320 degree a metre,
    exact north-south, conservative east-west) and kept valid."""
    geojson = geosql.geojson(f"({SIMPLIFIED})")
    query = f"SELECT id, {geojson} AS geojson FROM {TABLES[kind]} WHERE id = ANY(:ids)"
    params = {"ids": list(ids), "precision": precision, "simplify": simplify}
    return {row.id: row.geojson for row in conn.execute(text(query), params)}


def measures(conn: Connection, kind: AreaKind, ids: Sequence[int]) -> dict[int, AreaMeasures]:
    """Area and perimeter on the spheroid, geodesic centroid, bounding box."""
    area, perimeter = geosql.area_sqm("boundary"), geosql.perimeter_m("boundary")
    query = MEASURES.format(area=area, perimeter=perimeter, table=TABLES[kind])
    rows = conn.execute(text(query), {"ids": list(ids)})
    return {row.id: record(AreaMeasures, row) for row in rows}


HITS = """
p AS (SELECT {point} AS geom),
grid_hit AS (
    SELECT g.id, g.code, g.name, g.zone_id FROM grid g, p
    WHERE g.id = parkgrid_grid_for_point(p.geom)
),
zone_hit AS (
    SELECT z.id, z.code, z.name, z.park_id FROM zone z, p
    WHERE z.id = coalesce(
        (SELECT zone_id FROM grid_hit),
        (SELECT z2.id FROM zone z2 WHERE ST_Covers(z2.boundary, p.geom) ORDER BY z2.code LIMIT 1))
),
park_hit AS (
    SELECT k.id, k.code, k.name FROM park k, p
    WHERE k.id = coalesce(
        (SELECT park_id FROM zone_hit),
        (SELECT k2.id FROM park k2 WHERE ST_Covers(k2.boundary, p.geom) ORDER BY k2.code LIMIT 1))
)"""


def located(point: str) -> str:
    """CTEs grid_hit, zone_hit and park_hit: where the point (SQL) belongs."""
    return "WITH " + HITS.format(point=point)


LOCATE = (
    located(geosql.bound_point())
    + """
SELECT 'grid' AS kind, id, code, name, zone_id AS parent_id FROM grid_hit
UNION ALL SELECT 'zone', id, code, name, park_id FROM zone_hit
UNION ALL SELECT 'park', id, code, name, NULL::bigint FROM park_hit
"""
)


def locate(conn: Connection, lon: float, lat: float) -> dict[AreaKind, AreaRecord]:
    """The grid by the membership rule; its zone and park, or those covering the point
    when no grid does. One statement."""
    rows = conn.execute(text(LOCATE), {"lon": lon, "lat": lat})
    return {row.kind: record(AreaRecord, row) for row in rows}

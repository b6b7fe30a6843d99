"""The coverage report of a park (or one of its zones): who is missing, where the geometry
is wrong, and how evenly the work is spread, each list ready to draw on a map.

Scope: the zones of the park (or the one zone), their grids, and the enterprises of those
grids plus the enterprises outside every grid that lie in the park's (or zone's) boundary.
Areas are on the WGS 84 spheroid (geography); geometries are RFC 7946 GeoJSON."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo import sql as geosql
from parkgrid.errors import NotFound
from resolvers.scope import CURRENT, OPEN_ISSUE

PRECISION = 7

SCOPE = """
WITH zones AS (
    SELECT z.id, z.code, z.name, z.boundary, z.park_id FROM zone z
    WHERE z.park_id = :park AND (CAST(:zone AS bigint) IS NULL OR z.id = :zone)
), grids AS (
    SELECT g.id, g.code, g.name, g.boundary, g.zone_id FROM grid g JOIN zones z ON z.id = g.zone_id
), area AS (
    SELECT coalesce((SELECT boundary FROM zone WHERE id = :zone),
                    (SELECT boundary FROM park WHERE id = :park)) AS boundary
), firms AS (
    SELECT e.id, e.uscc, e.name, e.location, e.grid_id FROM enterprise e
    WHERE e.grid_id IN (SELECT id FROM grids)
    UNION ALL
    SELECT e.id, e.uscc, e.name, e.location, e.grid_id FROM enterprise e, area
    WHERE e.grid_id IS NULL AND ST_Covers(area.boundary, e.location)
)"""

HAS_LIAISON = f"""EXISTS (SELECT 1 FROM assignment a WHERE a.enterprise_id = e.id
    AND a.role = 'liaison' AND {CURRENT})"""

LOCATION = "ST_AsGeoJSON(e.location, :precision)::json"

FIRM_COLUMNS = (
    f"e.uscc, e.name, {LOCATION} AS location,"
    " (SELECT code FROM grid WHERE id = e.grid_id) AS grid_code"
)

UNLED = """
SELECT t.code, t.name FROM {table} t
WHERE NOT EXISTS (SELECT 1 FROM assignment a
                  WHERE a.{column} = t.id AND a.role = '{role}' AND {current})
ORDER BY t.code
"""

WITHOUT_LIAISON = f"""
SELECT {FIRM_COLUMNS}, ARRAY[]::text[] AS grid_codes FROM firms e
WHERE NOT {HAS_LIAISON} ORDER BY e.uscc
"""

OUTSIDE_GRIDS = f"""
SELECT {FIRM_COLUMNS}, ARRAY[]::text[] AS grid_codes FROM firms e
WHERE e.grid_id IS NULL ORDER BY e.uscc
"""

COVERING = (
    "ARRAY(SELECT g.code FROM grids g WHERE ST_Covers(g.boundary, e.location) ORDER BY g.code)"
)

ON_BOUNDARY = f"""
SELECT * FROM (SELECT {FIRM_COLUMNS}, {COVERING} AS grid_codes FROM firms e) f
WHERE cardinality(f.grid_codes) >= 2 ORDER BY f.uscc
"""

# interiors meet (dimension 2), not merely touching along an edge or at a corner
OVERLAPS = f"""
, pair AS (
    SELECT a.code AS first, b.code AS second,
           ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 3) AS geom
    FROM grids a JOIN grids b ON a.code < b.code AND a.boundary && b.boundary
    WHERE ST_Relate(a.boundary, b.boundary, '2********')
)
SELECT first, second, {geosql.area_sqm("geom")} AS area_m2, {geosql.geojson("geom")} AS geometry
FROM pair ORDER BY first, second
"""

# the parts of `minuend` outside `subtrahend`, each part at least :min_gap m²
REMAINDER = """
, remainder AS (
    SELECT {code} AS code, {within} AS within, d.geom
    FROM {source},
    LATERAL ST_Dump(ST_CollectionExtract(ST_Difference({minuend}, coalesce({subtrahend},
        ST_SetSRID(ST_GeomFromText('POLYGON EMPTY'), 4326))), 3)) AS d
    WHERE {area} >= :min_gap
), merged AS (
    SELECT code, within, ST_Multi(ST_Collect(geom)) AS geom FROM remainder GROUP BY code, within
)
SELECT code, within, {merged_area} AS area_m2, {geojson} AS geometry FROM merged ORDER BY code
"""


def remainder(code: str, within: str, source: str, minuend: str, subtrahend: str) -> str:
    return REMAINDER.format(
        code=code,
        within=within,
        source=source,
        minuend=minuend,
        subtrahend=subtrahend,
        area=geosql.area_sqm("d.geom"),
        merged_area=geosql.area_sqm("geom"),
        geojson=geosql.geojson("geom"),
    )


GAPS = remainder(
    "z.code",
    "z.code",
    "zones z",
    "z.boundary",
    "(SELECT ST_Union(g.boundary) FROM grids g WHERE g.zone_id = z.id)",
)
GRID_LEAKS = remainder(
    "g.code", "z.code", "grids g JOIN zones z ON z.id = g.zone_id", "g.boundary", "z.boundary"
)
ZONE_LEAKS = remainder(
    "z.code", "p.code", "zones z JOIN park p ON p.id = z.park_id", "z.boundary", "p.boundary"
)

LIAISON_LOADS = f"""
SELECT c.id AS cadre_id, c.name, count(*) AS enterprises
FROM firms e JOIN assignment a ON a.enterprise_id = e.id AND a.role = 'liaison' AND {CURRENT}
JOIN cadre c ON c.id = a.cadre_id
GROUP BY c.id, c.name ORDER BY c.id
"""

GRID_LEAD_LOADS = f"""
SELECT c.id AS cadre_id, c.name, count(e.id) AS enterprises
FROM grids g JOIN assignment a ON a.grid_id = g.id AND a.role = 'grid_lead' AND {CURRENT}
JOIN cadre c ON c.id = a.cadre_id LEFT JOIN enterprise e ON e.grid_id = g.id
GROUP BY c.id, c.name ORDER BY c.id
"""

PER_GRID = f"""
SELECT g.code, z.code AS zone_code,
    EXISTS (SELECT 1 FROM assignment a WHERE a.grid_id = g.id AND a.role = 'grid_lead'
            AND {CURRENT}) AS has_lead,
    (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id) AS enterprises,
    (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id AND NOT {HAS_LIAISON})
        AS without_liaison,
    (SELECT count(*) FROM enterprise e WHERE ST_Covers(g.boundary, e.location)
        AND EXISTS (SELECT 1 FROM grids o WHERE o.id <> g.id AND ST_Covers(o.boundary, e.location)))
        AS on_boundary,
    (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
        WHERE e.grid_id = g.id AND {OPEN_ISSUE}) AS open_issues
FROM grids g JOIN zones z ON z.id = g.zone_id ORDER BY g.code
"""

TOTALS = f"""
SELECT (SELECT count(*) FROM zones) AS zones, (SELECT count(*) FROM grids) AS grids,
    (SELECT count(*) FROM firms) AS enterprises,
    (SELECT count(*) FROM issue i JOIN firms e ON e.id = i.enterprise_id WHERE {OPEN_ISSUE})
        AS open_issues
"""


@dataclass(frozen=True)
class Thresholds:
    min_gap_m2: float = 1.0
    max_per_liaison: int = 30
    min_per_liaison: int = 1


@dataclass(frozen=True)
class NamedArea:
    code: str
    name: str


@dataclass(frozen=True)
class Firm:
    uscc: str
    name: str
    location: dict[str, Any]
    grid_code: str | None
    grid_codes: tuple[str, ...]


@dataclass(frozen=True)
class Overlap:
    first: str
    second: str
    area_m2: float
    geometry: dict[str, Any]


@dataclass(frozen=True)
class Remainder:
    code: str
    within: str
    area_m2: float
    geometry: dict[str, Any]


@dataclass(frozen=True)
class Load:
    cadre_id: int
    name: str
    enterprises: int


@dataclass(frozen=True)
class Spread:
    cadres: int
    min: int | None
    median: float | None
    max: int | None


@dataclass(frozen=True)
class GridRow:
    code: str
    zone_code: str
    has_lead: bool
    enterprises: int
    without_liaison: int
    on_boundary: int
    open_issues: int


@dataclass(frozen=True)
class Totals:
    zones: int
    grids: int
    enterprises: int
    open_issues: int


@dataclass(frozen=True)
class CoverageReport:
    park_code: str
    zone_code: str | None
    thresholds: Thresholds
    totals: Totals
    zones_without_lead: tuple[NamedArea, ...]
    grids_without_lead: tuple[NamedArea, ...]
    enterprises_without_liaison: tuple[Firm, ...]
    enterprises_outside_grids: tuple[Firm, ...]
    enterprises_on_boundary: tuple[Firm, ...]
    overlaps: tuple[Overlap, ...]
    gaps: tuple[Remainder, ...]
    grids_outside_zone: tuple[Remainder, ...]
    zones_outside_park: tuple[Remainder, ...]
    liaison_loads: tuple[Load, ...]
    grid_lead_loads: tuple[Load, ...]
    overloaded: tuple[Load, ...]
    underloaded: tuple[Load, ...]
    grids: tuple[GridRow, ...]


def spread(loads: Sequence[Load]) -> Spread:
    counts = [load.enterprises for load in loads]
    if not counts:
        return Spread(0, None, None, None)
    return Spread(len(counts), min(counts), float(statistics.median(counts)), max(counts))


def scope_ids(conn: Connection, park: str, zone: str | None) -> tuple[int, int | None]:
    park_id = conn.execute(text("SELECT id FROM park WHERE code = :code"), {"code": park}).scalar()
    if park_id is None:
        raise NotFound(f"no park has code {park!r}", field="park")
    if zone is None:
        return int(park_id), None
    zone_id = conn.execute(
        text("SELECT id FROM zone WHERE code = :code AND park_id = :park"),
        {"code": zone, "park": park_id},
    ).scalar()
    if zone_id is None:
        raise NotFound(f"park {park!r} has no zone with code {zone!r}", field="zone")
    return int(park_id), int(zone_id)


def report(
    conn: Connection, park: str, zone: str | None, at: datetime, limits: Thresholds
) -> CoverageReport:
    park_id, zone_id = scope_ids(conn, park, zone)
    params = {
        "park": park_id,
        "zone": zone_id,
        "at": at,
        "precision": PRECISION,
        "min_gap": limits.min_gap_m2,
    }

    def rows(query: str) -> list[Any]:
        return list(conn.execute(text(SCOPE + query), params))

    def unled(table: str, column: str, role: str) -> tuple[NamedArea, ...]:
        query = UNLED.format(table=table, column=column, role=role, current=CURRENT)
        return tuple(NamedArea(row.code, row.name) for row in rows(query))

    def firms(query: str) -> tuple[Firm, ...]:
        return tuple(
            Firm(row.uscc, row.name, row.location, row.grid_code, tuple(row.grid_codes))
            for row in rows(query)
        )

    def remainders(query: str) -> tuple[Remainder, ...]:
        return tuple(
            Remainder(row.code, row.within, float(row.area_m2), row.geometry) for row in rows(query)
        )

    def loads(query: str) -> tuple[Load, ...]:
        return tuple(Load(row.cadre_id, row.name, int(row.enterprises)) for row in rows(query))

    liaisons = loads(LIAISON_LOADS)
    totals = rows(TOTALS)[0]
    return CoverageReport(
        park_code=park,
        zone_code=zone,
        thresholds=limits,
        totals=Totals(**{key: int(value) for key, value in totals._mapping.items()}),
        zones_without_lead=unled("zones", "zone_id", "zone_lead"),
        grids_without_lead=unled("grids", "grid_id", "grid_lead"),
        enterprises_without_liaison=firms(WITHOUT_LIAISON),
        enterprises_outside_grids=firms(OUTSIDE_GRIDS),
        enterprises_on_boundary=firms(ON_BOUNDARY),
        overlaps=tuple(
            Overlap(row.first, row.second, float(row.area_m2), row.geometry)
            for row in rows(OVERLAPS)
        ),
        gaps=remainders(GAPS),
        grids_outside_zone=remainders(GRID_LEAKS),
        zones_outside_park=remainders(ZONE_LEAKS),
        liaison_loads=liaisons,
        grid_lead_loads=loads(GRID_LEAD_LOADS),
        overloaded=tuple(x for x in liaisons if x.enterprises > limits.max_per_liaison),
        underloaded=tuple(x for x in liaisons if x.enterprises < limits.min_per_liaison),
        grids=tuple(GridRow(**row._mapping) for row in rows(PER_GRID)),
    )

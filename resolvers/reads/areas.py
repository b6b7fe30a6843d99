"""Parks, zones and grids: lookups by code or id (for the writes), the checks and SQL of
their geometry fields, and where a point belongs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.sql import MAX_PRECISION
from parkgrid.errors import InvalidInput
from resolvers.records import AreaKind, AreaRecord, record
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


MIN_TOLERANCE_M, MAX_TOLERANCE_M = 0.01, 10_000.0


def checked_tolerance(meters: float) -> float:
    """0 (no simplification) or a tolerance from a centimetre (less changes nothing, and a
    vanishing one underflows when turned into degrees) to MAX_TOLERANCE_M."""
    if meters != 0 and not MIN_TOLERANCE_M <= meters <= MAX_TOLERANCE_M:
        raise InvalidInput(
            f"must be 0 or between {MIN_TOLERANCE_M} and {MAX_TOLERANCE_M:.0f} metres",
            field="simplify",
        )
    return meters


def checked_precision(precision: int) -> int:
    if not 0 <= precision <= MAX_PRECISION:
        raise InvalidInput(f"must be between 0 and {MAX_PRECISION}", field="precision")
    return precision


PARENT_TABLES: dict[AreaKind, str | None] = {"park": None, "zone": "park", "grid": "zone"}


def simplified(boundary: str, tolerance_m: str) -> str:
    """The boundary simplified to a tolerance in metres (taken as 1/111,320 degree a metre:
    exact north-south, conservative east-west) and kept valid."""
    return (
        "ST_Multi(ST_CollectionExtract(ST_MakeValid("
        f"ST_SimplifyPreserveTopology({boundary}, {tolerance_m} / 111320.0)), 3))"
    )


def simplified_line(line: str, tolerance_m: str) -> str:
    """A line simplified to a tolerance in metres, as `simplified` takes it."""
    return f"ST_Multi(ST_SimplifyPreserveTopology({line}, {tolerance_m} / 111320.0))"


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

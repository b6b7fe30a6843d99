"""Mapbox Vector Tiles built in PostgreSQL (ST_AsMVT), one statement per tile, prepared once
per connection. Polygons are simplified by half a pixel of their zoom before ST_AsMVTGeom snaps
them to the tile's 4096 grid and drops repeated points: no vertex a map cannot show is sent,
and no edge moves by a visible amount. Reads go through the scoped views, so a tile holds
only what the caller may see (an issue's title is absent for anonymous callers)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.prepared import execute_scalar
from resolvers.scope import OPEN_ISSUE

EXTENT, BUFFER = 4096, 64
WEB_MERCATOR_SPAN_M = 2 * math.pi * 6378137
MAX_ZOOM = 22

ENVELOPE = f"""
WITH b AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s,
                                        margin => {BUFFER / EXTENT}), 4326) AS area
)"""


def mvt_geometry(geometry_3857: str) -> str:
    return f"ST_AsMVTGeom({geometry_3857}, b.env, {EXTENT}, {BUFFER}, true)"


def area_geometry(column: str) -> str:
    simplified = f"ST_SimplifyPreserveTopology(ST_Transform({column}, 3857), %(tolerance)s)"
    return mvt_geometry(simplified)


POINT = mvt_geometry("ST_Transform(e.location, 3857)")

OPEN_IN_GRIDS = f"""(SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
    WHERE e.grid_id IN ({{grids}}) AND {OPEN_ISSUE}{{extra}})"""


def area_counts(grids: str) -> str:
    enterprises = f"(SELECT count(*) FROM enterprise e WHERE e.grid_id IN ({grids}))"
    open_issues = OPEN_IN_GRIDS.format(grids=grids, extra="")
    overdue = OPEN_IN_GRIDS.format(grids=grids, extra=" AND i.due_date < %(today)s")
    return (
        f"{enterprises} AS enterprises, {open_issues} AS open_issues, {overdue} AS overdue_issues"
    )


def tile_statement(layer: str, rows: str) -> str:
    return (
        f"{ENVELOPE}, t AS ({rows})"
        f" SELECT ST_AsMVT(t, '{layer}', {EXTENT}, 'geom') FROM t WHERE t.geom IS NOT NULL"
    )


ROWS = {
    "zones": f"""SELECT {area_geometry("z.boundary")} AS geom, z.code, z.name,
        p.code AS park_code, {area_counts("SELECT g.id FROM grid g WHERE g.zone_id = z.id")}
        FROM b JOIN zone z ON z.boundary && b.area JOIN park p ON p.id = z.park_id""",
    "grids": f"""SELECT {area_geometry("g.boundary")} AS geom, g.code, g.name,
        z.code AS zone_code, {area_counts("g.id")}
        FROM b JOIN grid g ON g.boundary && b.area JOIN zone z ON z.id = g.zone_id""",
    "enterprises": f"""SELECT {POINT} AS geom, e.uscc, e.name, e.industry,
        g.code AS grid_code,
        (SELECT count(*) FROM issue i WHERE i.enterprise_id = e.id AND {OPEN_ISSUE})
            AS open_issues
        FROM b JOIN enterprise e ON e.location && b.area LEFT JOIN grid g ON g.id = e.grid_id""",
    "issues": f"""SELECT {POINT} AS geom, i.id, i.status, i.category, i.severity,
        CAST(i.due_date AS text) AS due_date, coalesce(i.due_date < %(today)s, false) AS overdue,
        i.title, e.uscc, g.code AS grid_code
        FROM b JOIN enterprise e ON e.location && b.area
        JOIN issue i ON i.enterprise_id = e.id AND {OPEN_ISSUE}
        LEFT JOIN grid g ON g.id = e.grid_id""",
}

AREA_FIELDS = {
    "code": "String",
    "name": "String",
    "enterprises": "Number",
    "open_issues": "Number",
    "overdue_issues": "Number (open issues past their due date, park time)",
}


@dataclass(frozen=True)
class TileLayer:
    name: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]
    extent_sql: str

    @property
    def statement(self) -> str:
        return tile_statement(self.name, ROWS[self.name])


LAYERS = {
    layer.name: layer
    for layer in (
        TileLayer("zones", "Zones (片区) with their counts.", 6, 18,
                  AREA_FIELDS | {"park_code": "String"}, "SELECT ST_Extent(boundary) FROM zone"),
        TileLayer("grids", "Grids (网格) with their counts.", 8, 18,
                  AREA_FIELDS | {"zone_code": "String"}, "SELECT ST_Extent(boundary) FROM grid"),
        TileLayer("enterprises", "Enterprises with their grid and open issues.", 12, 18,
                  {"uscc": "String", "name": "String", "industry": "String",
                   "grid_code": "String", "open_issues": "Number"},
                  "SELECT ST_Extent(location) FROM enterprise"),
        TileLayer("issues", "Open issues at their enterprise.", 12, 18,
                  {"id": "Number", "status": "String", "category": "String",
                   "severity": "String", "due_date": "String", "overdue": "Boolean",
                   "title": "String (signed-in callers only)", "uscc": "String",
                   "grid_code": "String"},
                  "SELECT ST_Extent(e.location) FROM enterprise e WHERE EXISTS"
                  f" (SELECT 1 FROM issue i WHERE i.enterprise_id = e.id AND {OPEN_ISSUE})"),
    )
}  # fmt: skip


def half_pixel_m(z: int) -> float:
    return float(WEB_MERCATOR_SPAN_M / (2**z) / EXTENT / 2)


def tile(conn: Connection, layer: TileLayer, z: int, x: int, y: int, today: date) -> bytes:
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "today": today, "tolerance": half_pixel_m(z)}
    found = execute_scalar(conn, layer.statement, params)
    return bytes(found or b"")


def bounds(conn: Connection, layer: TileLayer) -> tuple[float, float, float, float] | None:
    row = conn.execute(
        text(
            f"SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM ({layer.extent_sql}) s(x)"
        )
    ).one()
    return None if row[0] is None else (row[0], row[1], row[2], row[3])

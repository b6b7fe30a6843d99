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

from sqlalchemy.engine import Connection

from parkgrid.prepared import execute_scalar
from resolvers.gis import features
from resolvers.scope import (
    OPEN_ISSUE,
    area_enterprise_count,
    area_issue_counts,
    open_issue_count,
    overdue,
)

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


def area_counts(grids: str) -> str:
    return f"{area_enterprise_count(grids)} AS enterprises, ic.open_issues, ic.overdue_issues"


def tile_statement(layer: str, rows: str) -> str:
    return (
        f"{ENVELOPE}, t AS ({rows})"
        f" SELECT ST_AsMVT(t, '{layer}', {EXTENT}, 'geom') FROM t WHERE t.geom IS NOT NULL"
    )


ZONE_GRIDS = "SELECT g.id FROM grid g WHERE g.zone_id = z.id"
ROWS = {
    "zones": f"""SELECT {area_geometry("z.boundary")} AS geom, z.code, z.name,
        p.code AS park_code, {area_counts(ZONE_GRIDS)}
        FROM b JOIN zone z ON z.boundary && b.area JOIN park p ON p.id = z.park_id
        {area_issue_counts(ZONE_GRIDS)}""",
    "grids": f"""SELECT {area_geometry("g.boundary")} AS geom, g.code, g.name,
        z.code AS zone_code, {area_counts("g.id")}
        FROM b JOIN grid g ON g.boundary && b.area JOIN zone z ON z.id = g.zone_id
        {area_issue_counts("g.id")}""",
    "enterprises": f"""SELECT {POINT} AS geom, e.uscc, e.name, e.industry,
        g.code AS grid_code, {open_issue_count("e.id")} AS open_issues
        FROM b JOIN enterprise e ON e.location && b.area LEFT JOIN grid g ON g.id = e.grid_id""",
    "issues": f"""SELECT {POINT} AS geom, i.id, i.status, i.category, i.severity,
        CAST(i.due_date AS text) AS due_date, {overdue("i")} AS overdue,
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

    @property
    def statement(self) -> str:
        return tile_statement(self.name, ROWS[self.name])


LAYERS = {
    layer.name: layer
    for layer in (
        TileLayer("zones", "Zones (片区) with their counts.", 6, 18,
                  AREA_FIELDS | {"park_code": "String"}),
        TileLayer("grids", "Grids (网格) with their counts.", 8, 18,
                  AREA_FIELDS | {"zone_code": "String"}),
        TileLayer("enterprises", "Enterprises with their grid and open issues.", 12, 18,
                  {"uscc": "String", "name": "String", "industry": "String",
                   "grid_code": "String", "open_issues": "Number"}),
        TileLayer("issues", "Open issues at their enterprise.", 12, 18,
                  {"id": "Number", "status": "String", "category": "String",
                   "severity": "String", "due_date": "String", "overdue": "Boolean",
                   "title": "String (signed-in callers only)", "uscc": "String",
                   "grid_code": "String"}),
    )
}  # fmt: skip


def half_pixel_m(z: int) -> float:
    return float(WEB_MERCATOR_SPAN_M / (2**z) / EXTENT / 2)


def tile(conn: Connection, layer: TileLayer, z: int, x: int, y: int, today: date) -> bytes:
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "today": today, "tolerance": half_pixel_m(z)}
    found = execute_scalar(conn, layer.statement, params)
    return bytes(found or b"")


def bounds(conn: Connection, layer: TileLayer) -> list[float] | None:
    """The layer's data extent: the OGC collection of the same name holds the same features."""
    return features.extents(conn, (layer.name,))[layer.name]

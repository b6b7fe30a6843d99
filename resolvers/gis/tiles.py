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
from resolvers.gis import features, layers
from resolvers.gis.layers import Layer, values_of

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


def tile_statement(layer: str, rows: str) -> str:
    return (
        f"{ENVELOPE}, f AS ({rows})"
        f" SELECT ST_AsMVT(f, '{layer}', {EXTENT}, 'geom') FROM f WHERE f.geom IS NOT NULL"
    )


def rows(layer: Layer) -> str:
    """The layer's features meeting the tile's area: the geometry in tile units and the
    properties (resolvers.gis.layers: the API's own fields' SQL) as columns."""
    shape = layer.geometry
    geometry = mvt_geometry(f"ST_Transform({shape}, 3857)") if layer.point else area_geometry(shape)
    shown = {p.name for p in layer.properties if p.tile is not None}
    columns = "".join(f", {sql} AS {name}" for name, sql in values_of(layer) if name in shown)
    matched = f"({layer.matched})" if layer.joins else layer.matched
    return (
        f"SELECT {geometry} AS geom{columns}"
        f" FROM b JOIN {matched} ON {shape} && b.area WHERE {layer.base}"
    )


@dataclass(frozen=True)
class TileLayer:
    """A layer of the map as tiles: its TileJSON's description, zooms and fields."""

    name: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]
    statement: str
    kept: bool  # its changes are counted, so its tiles may be kept (layers.Layer.counted)

    @classmethod
    def of(cls, layer: Layer) -> TileLayer:
        zooms = layer.zooms
        fields = {p.name: p.tile for p in layer.properties if p.tile is not None}
        statement = tile_statement(layer.id, rows(layer))
        return cls(
            layer.id, zooms.description, zooms.minzoom, zooms.maxzoom, fields, statement,
            layer.counted,
        )  # fmt: skip


LAYERS = {name: TileLayer.of(layer) for name, layer in layers.LAYERS.items()}


def half_pixel_m(z: int) -> float:
    return float(WEB_MERCATOR_SPAN_M / (2**z) / EXTENT / 2)


def tile(conn: Connection, layer: TileLayer, z: int, x: int, y: int, today: date) -> bytes:
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "today": today, "tolerance": half_pixel_m(z)}
    found = execute_scalar(conn, layer.statement, params)
    return bytes(found or b"")


def bounds(conn: Connection, layer: TileLayer) -> list[float] | None:
    """The layer's data extent: the OGC collection of the same name holds the same features."""
    return features.extents(conn, (layer.name,))[layer.name]

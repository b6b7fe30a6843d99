"""Spatial SQL fragments. Fragments name columns only; values are always bound parameters."""

from __future__ import annotations

from geo.srid import STORAGE_SRID

MAX_PRECISION = 15


def geojson(column: str, precision: str = ":precision") -> str:
    """RFC 7946 GeoJSON of a column, exterior rings counter-clockwise, as json (`precision`:
    the SQL of the number of decimals). Not ST_ForcePolygonCCW: PostGIS 3.3 builds it as
    ST_Reverse(ST_ForcePolygonCW(g)), which reverses every line (a pipe would flow the other
    way). Reversing first and last leaves lines and points as they are and turns polygons
    the same way (exterior counter-clockwise, holes clockwise), on any PostGIS version."""
    ccw = f"ST_Reverse(ST_ForcePolygonCW(ST_Reverse({column})))"
    return f"ST_AsGeoJSON({ccw}, {precision})::json"


def area_sqm(column: str) -> str:
    """Area in square metres on the WGS 84 spheroid."""
    return f"ST_Area({column}::geography)"


def perimeter_m(column: str) -> str:
    return f"ST_Perimeter({column}::geography)"


def geometry_from(ewkb: str) -> str:
    """A geometry from EWKB (see geo.shape.to_ewkb): `ewkb` is the SQL of the bound value."""
    return f"ST_GeomFromEWKB({ewkb})"


def bound_geometry(param: str) -> str:
    return geometry_from(f":{param}")


def point_of(lon: str, lat: str) -> str:
    """A point in storage SRID from the SQL of its coordinates."""
    return f"ST_SetSRID(ST_MakePoint({lon}, {lat}), {STORAGE_SRID})"


def bound_point(lon_param: str = "lon", lat_param: str = "lat") -> str:
    return point_of(f":{lon_param}", f":{lat_param}")


def transformed(geometry_sql: str, srid_param: str = "srid") -> str:
    """Reproject a geometry given in another SRID into storage SRID."""
    return f"ST_Transform(ST_SetSRID({geometry_sql}, :{srid_param}), {STORAGE_SRID})"

"""Spatial SQL fragments. Fragments name columns only; values are always bound parameters."""

from __future__ import annotations

from geo.srid import STORAGE_SRID

MAX_PRECISION = 15


def geojson(column: str, precision_param: str = "precision") -> str:
    """RFC 7946 GeoJSON of a column, exterior rings counter-clockwise, as json."""
    return f"ST_AsGeoJSON(ST_ForcePolygonCCW({column}), :{precision_param})::json"


def area_sqm(column: str) -> str:
    """Area in square metres on the WGS 84 spheroid."""
    return f"ST_Area({column}::geography)"


def perimeter_m(column: str) -> str:
    return f"ST_Perimeter({column}::geography)"


def bound_geometry(param: str) -> str:
    """A geometry bound as EWKB (see geo.shape.to_ewkb), checked to be in storage SRID."""
    return f"ST_GeomFromEWKB(:{param})"


def bound_point(lon_param: str = "lon", lat_param: str = "lat") -> str:
    return f"ST_SetSRID(ST_MakePoint(:{lon_param}, :{lat_param}), {STORAGE_SRID})"


def transformed(geometry_sql: str, srid_param: str = "srid") -> str:
    """Reproject a geometry given in another SRID into storage SRID."""
    return f"ST_Transform(ST_SetSRID({geometry_sql}, :{srid_param}), {STORAGE_SRID})"

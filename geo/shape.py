"""All conversion between GeoJSON, Shapely and the database lives here."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from geo.srid import STORAGE_SRID

GeoJSON = dict[str, Any]


def from_geojson(value: GeoJSON) -> BaseGeometry:
    """Build a Shapely geometry from a GeoJSON geometry object (not a Feature)."""
    return shape(value)


def as_multipolygon(geometry: Polygon | MultiPolygon) -> MultiPolygon:
    """Polygons are stored as MultiPolygons, exterior rings counter-clockwise (RFC 7946)."""
    polygons = [geometry] if isinstance(geometry, Polygon) else list(geometry.geoms)
    return MultiPolygon([orient(polygon, sign=1.0) for polygon in polygons])


def to_ewkb(geometry: BaseGeometry, srid: int = STORAGE_SRID) -> bytes:
    """Extended WKB carrying the SRID, for binding as a query parameter."""
    return bytes(shapely.to_wkb(shapely.set_srid(geometry, srid), include_srid=True))


def from_wkb(data: bytes | str) -> BaseGeometry:
    return shapely.from_wkb(data)


def decimal_scale(digits: int) -> float:
    return float(10**digits)


def round_coordinate(value: float, digits: int) -> float:
    """round(value * 10^digits) / 10^digits in doubles, halves to even: the same operations
    give the same bits in PostgreSQL (round(float8) is rint), so both paths agree."""
    scale = decimal_scale(digits)
    return round(value * scale) / scale


def to_ewkt(geometry: BaseGeometry, srid: int = STORAGE_SRID) -> str:
    """Extended WKT, which geoalchemy2 columns accept as a bound value."""
    return f"SRID={srid};{geometry.wkt}"


def flatten(geometry: BaseGeometry) -> BaseGeometry:
    """Drop altitudes: GeoJSON positions may carry a third value, storage is 2D."""
    flat: BaseGeometry = shapely.force_2d(geometry)
    return flat

"""All conversion between GeoJSON, Shapely and the database lives here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from geo.srid import STORAGE_SRID

GeoJSON = dict[str, Any]


def from_geojson(value: GeoJSON) -> BaseGeometry:
    """Build a Shapely geometry from a GeoJSON geometry object (not a Feature)."""
    return shape(value)


def to_geojson(geometry: BaseGeometry) -> GeoJSON:
    return dict(mapping(geometry))


def as_multipolygon(geometry: Polygon | MultiPolygon) -> MultiPolygon:
    """Polygons are stored as MultiPolygons, exterior rings counter-clockwise (RFC 7946)."""
    polygons = [geometry] if isinstance(geometry, Polygon) else list(geometry.geoms)
    return MultiPolygon([orient(polygon, sign=1.0) for polygon in polygons])


def to_ewkb(geometry: BaseGeometry, srid: int = STORAGE_SRID) -> bytes:
    """Extended WKB carrying the SRID, for binding as a query parameter."""
    return bytes(shapely.to_wkb(shapely.set_srid(geometry, srid), include_srid=True))


def from_wkb(data: bytes | str) -> BaseGeometry:
    return shapely.from_wkb(data)


def point(lon: float, lat: float) -> Point:
    return Point(lon, lat)


def round_like_postgres(value: float, digits: int) -> float:
    """Round as PostgreSQL's round(value::numeric, digits) does: the number as written to 15
    significant digits, halves away from zero (Python's round() goes by the binary value)."""
    written = Decimal(f"{value:.15g}")
    return float(written.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def to_ewkt(geometry: BaseGeometry, srid: int = STORAGE_SRID) -> str:
    """Extended WKT, which geoalchemy2 columns accept as a bound value."""
    return f"SRID={srid};{geometry.wkt}"


def flatten(geometry: BaseGeometry) -> BaseGeometry:
    """Drop altitudes: GeoJSON positions may carry a third value, storage is 2D."""
    flat: BaseGeometry = shapely.force_2d(geometry)
    return flat

"""Geometry validation on the way in: every reason is said in words a user can act on."""

from __future__ import annotations

from typing import Any

from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geo.shape import as_multipolygon, flatten, from_geojson
from geo.srid import LAT_RANGE, LON_RANGE, STORAGE_SRID

AREA_TYPES = ("Polygon", "MultiPolygon")


class GeometryError(ValueError):
    """A geometry that cannot be stored, with the reason."""


def parse(value: Any, allowed: tuple[str, ...]) -> BaseGeometry:
    """A non-empty geometry of an allowed GeoJSON type, altitudes dropped (storage is 2D)."""
    if not isinstance(value, dict) or "type" not in value:
        raise GeometryError("must be a GeoJSON geometry object with a 'type'")
    if value["type"] not in allowed:
        raise GeometryError(f"must be a {' or '.join(allowed)}, got {value['type']!r}")
    try:
        geometry = from_geojson(value)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(f"malformed {value['type']} coordinates ({exc})") from exc
    if geometry.is_empty:
        raise GeometryError("is empty")
    return flatten(geometry)


def check_lon_lat(geometry: BaseGeometry) -> None:
    check_bounds(*geometry.bounds)


def check_bounds(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> None:
    if min_lon < LON_RANGE[0] or max_lon > LON_RANGE[1]:
        raise GeometryError("longitude outside -180..180 (is the CRS right, or lon/lat swapped?)")
    if min_lat < LAT_RANGE[0] or max_lat > LAT_RANGE[1]:
        raise GeometryError("latitude outside -90..90 (is the CRS right, or lon/lat swapped?)")


def check_valid(geometry: BaseGeometry) -> None:
    if not geometry.is_valid:
        raise GeometryError(f"is not a valid geometry: {explain_validity(geometry)}")


def area(value: Any, srid: int = STORAGE_SRID) -> MultiPolygon:
    """A valid, non-empty Polygon or MultiPolygon, returned as a MultiPolygon."""
    geometry = parse(value, AREA_TYPES)
    assert isinstance(geometry, Polygon | MultiPolygon)
    if srid == STORAGE_SRID:
        check_lon_lat(geometry)
    check_valid(geometry)
    return as_multipolygon(geometry)


def point(value: Any, srid: int = STORAGE_SRID) -> Point:
    """A Point with finite coordinates (in range when given as lon/lat)."""
    geometry = parse(value, ("Point",))
    assert isinstance(geometry, Point)
    if srid == STORAGE_SRID:
        check_lon_lat(geometry)
    return geometry


def lon_lat(lon: float, lat: float) -> None:
    """A point's coordinates in range (checked without building it: a hot path)."""
    check_bounds(lon, lat, lon, lat)

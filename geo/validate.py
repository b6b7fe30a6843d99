"""Geometry validation on the way in: every reason is said in words a user can act on.

The raw GeoJSON positions are checked before Shapely builds anything, because Shapely repairs
quietly what RFC 7946 forbids: it closes a ring whose last position differs from its first,
and it accepts NaN and infinity. A client who sent an open ring may have lost a vertex, so the
shape is refused rather than guessed. The same checks serve the API and the importer."""

from __future__ import annotations

import math
from typing import Any

from shapely.errors import GEOSException
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geo.shape import as_multipolygon, flatten, from_geojson
from geo.srid import LAT_RANGE, LON_RANGE, STORAGE_SRID

AREA_TYPES = ("Polygon", "MultiPolygon")
LINE_TYPES = ("LineString", "MultiLineString")

MAX_POSITIONS = 10_000
"""Most positions one geometry of a request may have (every ring of every part, closing
positions included): past it the cost of parsing, validating and intersecting is the caller's
to bear, not the server's. Services pass their own setting."""

NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2,
           "Polygon": 2, "MultiPolygon": 3}  # fmt: skip
"""How deep the arrays of positions sit under `coordinates`, by type."""

MIN_POSITIONS = {"LineString": 2, "MultiLineString": 2, "Polygon": 4, "MultiPolygon": 4}
"""RFC 7946: a line has at least two positions; a linear ring at least four, the last equal
to the first."""


class GeometryError(ValueError):
    """A geometry that cannot be stored, with the reason."""


def parse(value: Any, allowed: tuple[str, ...], max_positions: int = MAX_POSITIONS) -> BaseGeometry:
    """A non-empty geometry of an allowed GeoJSON type, altitudes dropped (storage is 2D)."""
    if not isinstance(value, dict) or "type" not in value:
        raise GeometryError("must be a GeoJSON geometry object with a 'type'")
    if value["type"] not in allowed:
        raise GeometryError(f"must be a {' or '.join(allowed)}, got {value['type']!r}")
    check_positions(value["type"], value.get("coordinates"), max_positions)
    try:
        geometry = from_geojson(value)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(f"malformed {value['type']} coordinates ({exc})") from exc
    if geometry.is_empty:
        raise GeometryError("is empty")
    return flatten(geometry)


def check_positions(kind: str, coordinates: Any, max_positions: int) -> None:
    """The positions as given: few enough, each of 2 or more finite numbers, lines long enough,
    rings closed. Empty coordinates are left to be refused as empty."""
    if kind not in NESTING or coordinates in ([], ()):
        return
    if NESTING[kind] == 0:
        check_position(coordinates, "coordinates")
        return
    runs = position_runs(coordinates, NESTING[kind], "coordinates")
    count = sum(len(run) for _, run in runs)
    if count > max_positions:
        raise GeometryError(f"has {count:,} positions, more than the limit of {max_positions:,}")
    for where, run in runs:
        for index, position in enumerate(run):
            check_position(position, f"{where}[{index}]")
        check_run(kind, where, run)


def position_runs(value: Any, depth: int, where: str) -> list[tuple[str, list[Any]]]:
    """The innermost arrays of positions, each with its path, the nesting checked on the way
    down (tuples pass as arrays: Shapely's `mapping` gives them)."""
    if not isinstance(value, list | tuple):
        raise GeometryError(f"{where} must be an array")
    if depth == 1:
        return [(where, list(value))]
    runs: list[tuple[str, list[Any]]] = []
    for index, inner in enumerate(value):
        runs += position_runs(inner, depth - 1, f"{where}[{index}]")
    return runs


def check_position(position: Any, where: str) -> None:
    if not isinstance(position, list | tuple) or len(position) < 2:
        raise GeometryError(
            f"{where} must be a position of 2 or more numbers, got {shown(position)}"
        )
    for number in position:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise GeometryError(f"{where} holds {shown(number)}, not a number")
        if not finite(number):
            raise GeometryError(f"{where} holds {shown(number)}, not a finite number")


def shown(value: Any, length: int = 40) -> str:
    """A value as the message quotes it, cut short (a client's typo can be very long)."""
    text = repr(value)
    return text if len(text) <= length else f"{text[: length - 3]}..."


def finite(number: float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer too large for a double
        return False


def check_run(kind: str, where: str, run: list[Any]) -> None:
    least = MIN_POSITIONS.get(kind, 1)
    if len(run) < least:
        what = "ring" if kind in AREA_TYPES else "line"
        raise GeometryError(f"{what} {where} has {len(run)} positions, at least {least} needed")
    first, last = list(run[0]), list(run[-1])
    if kind in AREA_TYPES and first != last:
        raise GeometryError(
            f"ring {where} is not closed: it starts at {first} and ends at {last}"
            " (RFC 7946: the last position must repeat the first)"
        )


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


def area(
    value: Any, srid: int | None = STORAGE_SRID, max_positions: int = MAX_POSITIONS
) -> MultiPolygon:
    """A valid, non-empty Polygon or MultiPolygon, returned as a MultiPolygon. Coordinates are
    range-checked as lon/lat in storage SRID; `srid` None leaves the range to a caller that
    checks the whole file against its CRS at once (the importer)."""
    geometry = parse(value, AREA_TYPES, max_positions)
    assert isinstance(geometry, Polygon | MultiPolygon)
    if srid == STORAGE_SRID:
        check_lon_lat(geometry)
    check_valid(geometry)
    return as_multipolygon(geometry)


def point(value: Any, srid: int | None = STORAGE_SRID) -> Point:
    """A Point with finite coordinates (in range when given as lon/lat, as `area` says)."""
    geometry = parse(value, ("Point",))
    assert isinstance(geometry, Point)
    if srid == STORAGE_SRID:
        check_lon_lat(geometry)
    return geometry


def lon_lat(lon: float, lat: float) -> None:
    """A point's coordinates in range (checked without building it: a hot path)."""
    check_bounds(lon, lat, lon, lat)


def lines(value: Any, max_positions: int = MAX_POSITIONS) -> MultiLineString:
    """A valid, non-empty LineString or MultiLineString in lon/lat range, returned as a
    MultiLineString (a road of one piece is a collection of one)."""
    geometry = parse(value, LINE_TYPES, max_positions)
    assert isinstance(geometry, LineString | MultiLineString)
    check_lon_lat(geometry)
    if any(part.length == 0 for part in getattr(geometry, "geoms", [geometry])):
        raise GeometryError("has a part of no length: every position of it is the same point")
    check_valid(geometry)
    return geometry if isinstance(geometry, MultiLineString) else MultiLineString([geometry])


def site(value: Any, max_positions: int = MAX_POSITIONS) -> Point | MultiPolygon:
    """A Point, or a Polygon or MultiPolygon (as a MultiPolygon), as `point` and `area` check
    them: a place that is a spot or an outline."""
    if isinstance(value, dict) and value.get("type") == "Point":
        return point(value)
    return area(value, max_positions=max_positions)

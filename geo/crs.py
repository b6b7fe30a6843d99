"""Where a coordinate reference system may be used: its EPSG area of use (from PROJ's
database, through pyproj), as bounds in the CRS's own coordinates, and what coordinates found
outside them most likely are.

Why: coordinates given in the wrong CRS often transform without error. Xiangyin's points in
degrees, declared as Gauss-Kruger metres (EPSG:4547), become 113 m east and 29 m north of the
projection's false origin, and land near 109.5°E 0°N, 3,000 km from the park. Checking each
shape against the declared CRS's area of use catches that before anything is transformed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from geo.srid import LAT_RANGE, LON_RANGE

Bounds = tuple[float, float, float, float]
Reading = Literal["degrees", "metres", "swapped"]

MARGIN_DEGREES = 0.5
"""How far past its area of use a CRS is still accepted: Chinese 3-degree Gauss-Kruger zones
are customarily used a little beyond their edges (a city that straddles one stays in one
zone). Degrees read as metres land several degrees away, so the margin hides no such mistake."""

METRES = 1_000.0
"""Coordinates this large cannot be degrees: they are metres (or feet) of a projected CRS."""


@dataclass(frozen=True)
class Extent:
    """A CRS's area of use, widened by the margin, as x/y bounds in that CRS (easting or
    longitude first, as GeoJSON and PostGIS order them)."""

    srid: int
    crs_name: str
    area_name: str
    geographic: bool
    bounds: Bounds

    def holds(self, bounds: Bounds) -> bool:
        west, south, east, north = self.bounds
        min_x, min_y, max_x, max_y = bounds
        return west <= min_x and max_x <= east and south <= min_y and max_y <= north

    def describe(self) -> str:
        """The CRS and its area in words (the area's first sentence: UTM's go on listing
        countries)."""
        area = self.area_name.split(". ")[0].rstrip(".")
        return f"EPSG:{self.srid} ({self.crs_name}; {area})"


def extent_of(srid: int, margin: float = MARGIN_DEGREES) -> Extent | None:
    """The extent of an EPSG CRS; None when PROJ does not know it, gives no area of use, or the
    area cannot be put as one box (one crossing the antimeridian): such a CRS is not checked."""
    try:
        crs = CRS.from_epsg(srid)
    except CRSError:
        return None
    area = crs.area_of_use
    flat = crs.is_geographic or crs.is_projected  # not geocentric (x, y, z from the centre)
    if area is None or area.west > area.east or not flat:
        return None
    lon_lat = widened((area.west, area.south, area.east, area.north), margin)
    bounds = lon_lat if crs.is_geographic else projected(crs, lon_lat)
    if bounds is None or not all(math.isfinite(value) for value in bounds):
        return None
    if crs.is_geographic and not in_degrees(crs):
        return None
    return Extent(srid, crs.name, area.name, crs.is_geographic, bounds)


def widened(bounds: Bounds, margin: float) -> Bounds:
    west, south, east, north = bounds
    return (max(west - margin, LON_RANGE[0]), max(south - margin, LAT_RANGE[0]),
            min(east + margin, LON_RANGE[1]), min(north + margin, LAT_RANGE[1]))  # fmt: skip


def projected(crs: CRS, lon_lat: Bounds) -> Bounds | None:
    """The lon/lat box in the projected CRS's x/y, edges densified (they curve there)."""
    try:
        transformer = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
        west, south, east, north = transformer.transform_bounds(*lon_lat, densify_pts=21)
    except (ProjError, CRSError):
        return None
    return float(west), float(south), float(east), float(north)


def in_degrees(crs: CRS) -> bool:
    return all(axis.unit_name == "degree" for axis in crs.axis_info)


def reading(extent: Extent, strays: list[Bounds]) -> Reading | None:
    """What coordinates found outside the extent look like, when they agree on it: degrees in
    a projected CRS, metres in a geographic one, or latitude and longitude swapped (then they
    fit the area of use once swapped back)."""
    if not extent.geographic:
        return "degrees" if all(fits_lon_lat(bounds) for bounds in strays) else None
    if any(max(abs(value) for value in bounds) > METRES for bounds in strays):
        return "metres"
    swapped = [(south, west, north, east) for west, south, east, north in strays]
    if all(extent.holds(bounds) for bounds in swapped):
        return "swapped"
    return None


def fits_lon_lat(bounds: Bounds) -> bool:
    min_x, min_y, max_x, max_y = bounds
    return (LON_RANGE[0] <= min_x and max_x <= LON_RANGE[1]
            and LAT_RANGE[0] <= min_y and max_y <= LAT_RANGE[1])  # fmt: skip

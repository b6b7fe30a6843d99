"""Coordinate reference systems the project speaks."""

from __future__ import annotations

STORAGE_SRID = 4326
"""Everything is stored in WGS 84 longitude/latitude (CGCS2000 agrees at metre level)."""


LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)


def parse_crs(text: str) -> int:
    """Read 'EPSG:4490', 'epsg:4490' or '4490' as an SRID."""
    value = text.strip().upper().removeprefix("EPSG:")
    if not value.isdigit():
        raise ValueError(f"CRS must look like EPSG:4326, got {text!r}")
    return int(value)

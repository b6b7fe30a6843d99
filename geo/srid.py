"""Coordinate reference systems the project speaks."""

from __future__ import annotations

STORAGE_SRID = 4326
"""Everything is stored in WGS 84 longitude/latitude (CGCS2000 agrees at metre level)."""

CGCS2000_SRID = 4490
"""China's official geographic CRS; accepted on input."""

PROJECTED_SRID = 4547
"""CGCS2000 / 3-degree Gauss-Kruger CM 114E: metres around Xiangyin (112.9 E)."""

LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)


def parse_crs(text: str) -> int:
    """Read 'EPSG:4490', 'epsg:4490' or '4490' as an SRID."""
    value = text.strip().upper().removeprefix("EPSG:")
    if not value.isdigit():
        raise ValueError(f"CRS must look like EPSG:4326, got {text!r}")
    return int(value)

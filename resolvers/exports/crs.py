"""The coordinates an export is written in: WGS 84 as stored, any EPSG CRS PROJ knows
(CGCS2000 EPSG:4490, a Gauss-Kruger zone such as EPSG:4547), or the datums of Chinese web maps
(GCJ-02 for Amap and Tencent, BD-09 for Baidu), which have no EPSG code: their files declare
WGS 84 lon/lat, since that is how those maps' tools read them, with the shift applied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from geo.datum import DATUMS, Datum, from_wgs84, shifted
from geo.srid import STORAGE_SRID, parse_crs
from parkgrid.errors import InvalidInput

Move = Callable[[BaseGeometry], BaseGeometry]


@dataclass(frozen=True)
class Target:
    """Where coordinates go: an EPSG code, or a web-map datum on WGS 84 lon/lat."""

    srid: int = STORAGE_SRID
    datum: Datum | None = None

    @property
    def name(self) -> str:
        return self.datum or f"EPSG:{self.srid}"

    @cached_property
    def crs(self) -> CRS:
        return CRS.from_epsg(self.srid)

    @property
    def geographic(self) -> bool:
        return bool(self.crs.is_geographic)

    @property
    def as_stored(self) -> bool:
        return self.srid == STORAGE_SRID and self.datum is None

    def wkt(self) -> str:
        return str(self.crs.to_wkt())

    def mover(self) -> Move:
        """The function taking a stored (WGS 84) geometry to this target."""
        if self.datum is not None:
            move = from_wgs84(self.datum)
            return lambda geometry: shifted(geometry, move)
        if self.as_stored:
            return lambda geometry: geometry
        transformer = Transformer.from_crs(STORAGE_SRID, self.srid, always_xy=True)

        def each(points: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = transformer.transform(points[:, 0], points[:, 1])
            return np.column_stack([x, y])

        return lambda geometry: shapely.transform(geometry, each)


def checked_target(text: str | None) -> Target:
    """`EPSG:4547`, `4490`, `gcj02` or `bd09` (any case); default WGS 84. A CRS must be
    two-dimensional, geographic in degrees or projected (not geocentric)."""
    if text is None or not text.strip():
        return Target()
    given = text.strip().lower().replace("-", "")
    for datum in DATUMS:
        if given == datum:
            return Target(datum=datum)
    try:
        target = Target(srid=parse_crs(text))
        crs = target.crs
    except (ValueError, CRSError) as exc:
        reason = f"must be an EPSG code (EPSG:4490, EPSG:4547) or one of {', '.join(DATUMS)}"
        raise InvalidInput(reason, field="crs") from exc
    flat = crs.is_geographic or crs.is_projected
    if not flat or len(crs.axis_info) != 2:
        raise InvalidInput(f"EPSG:{target.srid} is not a 2D map CRS", field="crs")
    return target

"""The datums of Chinese web maps: GCJ-02 (Amap, Tencent, Google's China tiles) and BD-09
(Baidu), which shift WGS 84 by a few hundred metres by a published formula. Coordinates
copied from those maps are turned into WGS 84 on the way in, and exports made for their base
maps turned back, by PRCoords (a small, public-domain implementation that is the common
reference of the other ports, with iterative inverses to about a millimetre)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

import numpy as np
import prcoords
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

Datum = Literal["gcj02", "bd09"]
DATUMS: tuple[Datum, ...] = ("gcj02", "bd09")
G = TypeVar("G", bound=BaseGeometry)
Shift = Callable[[float, float], tuple[float, float]]

INTO_WGS84 = {"gcj02": prcoords.gcj_wgs_bored, "bd09": prcoords.bd_wgs_bored}
FROM_WGS84 = {"gcj02": prcoords.wgs_gcj, "bd09": prcoords.wgs_bd}


def shift(convert: Callable[..., tuple[float, float]]) -> Shift:
    """A (lon, lat) → (lon, lat) function of a PRCoords (lat, lon) conversion. Points outside
    China are left as they are, as the maps leave them."""

    def shifted(lon: float, lat: float) -> tuple[float, float]:
        given = prcoords.Coords(lat, lon)
        if not prcoords.sanity_in_china_p(given):
            return lon, lat
        lat_out, lon_out = convert(given, False)
        return float(lon_out), float(lat_out)

    return shifted


def to_wgs84(datum: Datum) -> Shift:
    return shift(INTO_WGS84[datum])


def from_wgs84(datum: Datum) -> Shift:
    return shift(FROM_WGS84[datum])


def shifted(geometry: G, move: Shift) -> G:
    """The geometry with every vertex moved."""

    def each(points: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.array([move(float(x), float(y)) for x, y in points], dtype=np.float64)

    moved: G = shapely.transform(geometry, each)
    return moved

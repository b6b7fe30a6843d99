"""The demo park's shapes: one park near Xiangyin, 3 zones, 13 grids tiling the zones."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from shapely.geometry import MultiPolygon, Polygon, box

from geo.shape import as_multipolygon

PARK_CODE = "430624101"
PARK_NAME = "湘阴高新技术产业开发区（演示）"
WEST, SOUTH, EAST, NORTH = 112.860, 28.670, 112.940, 28.730

# (code suffix, name, west edge, east edge, grid band edges south -> north)
ZONES = (
    ("001", "城北片区", 112.860, 112.887, (28.670, 28.686, 28.701, 28.716, 28.730)),
    ("002", "金龙片区", 112.887, 112.913, (28.670, 28.684, 28.699, 28.715, 28.730)),
    ("003", "滨湖片区", 112.913, 112.940, (28.670, 28.682, 28.694, 28.707, 28.719, 28.730)),
)
GRID_ORDINALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class AreaShape:
    code: str
    name: str
    parent_code: str | None
    boundary: MultiPolygon


def zone_code(suffix: str) -> str:
    return PARK_CODE + suffix


def park() -> AreaShape:
    return AreaShape(PARK_CODE, PARK_NAME, None, as_multipolygon(box(WEST, SOUTH, EAST, NORTH)))


def zones() -> list[AreaShape]:
    return [
        AreaShape(
            zone_code(suffix), name, PARK_CODE, as_multipolygon(box(west, SOUTH, east, NORTH))
        )
        for suffix, name, west, east, _ in ZONES
    ]


def grid_cells(west: float, east: float, bands: tuple[float, ...]) -> list[Polygon]:
    return [box(west, south, east, north) for south, north in pairwise(bands)]


def grids() -> list[AreaShape]:
    shapes = []
    for suffix, name, west, east, bands in ZONES:
        for index, cell in enumerate(grid_cells(west, east, bands)):
            code = f"{zone_code(suffix)}{index + 1:03d}"
            label = f"{name}第{GRID_ORDINALS[index]}网格"
            shapes.append(AreaShape(code, label, zone_code(suffix), as_multipolygon(cell)))
    return shapes

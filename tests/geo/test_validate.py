"""geo.validate: what may be stored, and the reason given when a geometry may not."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import MultiPolygon, shape

from geo import validate
from geo.validate import GeometryError

WEST, SOUTH, EAST, NORTH = 112.90, 28.70, 112.91, 28.71


def polygon(*ring: tuple[float, ...]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(corner) for corner in ring]]}


def clockwise_box(altitude: tuple[float, ...] = ()) -> dict[str, Any]:
    corners = [(WEST, SOUTH), (WEST, NORTH), (EAST, NORTH), (EAST, SOUTH), (WEST, SOUTH)]
    return polygon(*(corner + altitude for corner in corners))


def refusal(check: Any, value: Any) -> str:
    with pytest.raises(GeometryError) as caught:
        check(value)
    return str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        clockwise_box(altitude=(35.0,)),
        {"type": "Point", "coordinates": [WEST, SOUTH, 35.0]},
        {"type": "LineString", "coordinates": [[WEST, SOUTH, 1.0], [EAST, NORTH, 2.0]]},
    ],
)
def test_parse_drops_altitudes(value: dict[str, Any]) -> None:
    geometry = validate.parse(value, ("Polygon", "Point", "LineString"))
    assert not geometry.has_z


def test_area_and_point_come_back_flat() -> None:
    assert not validate.area(clockwise_box(altitude=(35.0,))).has_z
    assert not validate.point({"type": "Point", "coordinates": [WEST, SOUTH, 35.0]}).has_z


def test_a_polygon_comes_back_as_a_multipolygon_with_counter_clockwise_exterior_rings() -> None:
    assert not shape(clockwise_box()).exterior.is_ccw
    area = validate.area(clockwise_box())
    assert isinstance(area, MultiPolygon)
    assert [part.exterior.is_ccw for part in area.geoms] == [True]


def test_a_bowtie_is_refused_as_self_intersecting() -> None:
    bowtie = polygon((WEST, SOUTH), (EAST, NORTH), (EAST, SOUTH), (WEST, NORTH), (WEST, SOUTH))
    assert "Self-intersection" in refusal(validate.area, bowtie)


def test_swapped_lon_lat_is_refused_naming_latitude() -> None:
    swapped = {"type": "Point", "coordinates": [SOUTH, WEST]}
    assert "latitude outside -90..90" in refusal(validate.point, swapped)


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Polygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": []},
        {"type": "Point", "coordinates": []},
    ],
)
def test_an_empty_geometry_is_refused(value: dict[str, Any]) -> None:
    check = validate.point if value["type"] == "Point" else validate.area
    assert refusal(check, value) == "is empty"


def test_a_line_where_an_area_is_expected_is_refused_naming_the_allowed_types() -> None:
    line = {"type": "LineString", "coordinates": [[WEST, SOUTH], [EAST, NORTH]]}
    assert refusal(validate.area, line) == "must be a Polygon or MultiPolygon, got 'LineString'"

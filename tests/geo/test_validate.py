"""geo.validate: what may be stored, and the reason given when a geometry may not."""

from __future__ import annotations

import math
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, shape

from geo import validate
from geo.validate import GeometryError
from parkgrid.settings import ApiSettings

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


# --- the raw positions (RFC 7946), checked before Shapely quietly repairs them --------------

CLOSED = [[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]


def test_shapely_would_close_an_open_ring_so_the_check_must_come_first() -> None:
    open_ring = {"type": "Polygon", "coordinates": [CLOSED[:-1]]}
    assert shape(open_ring).is_valid  # what the check guards against: a silent repair
    reason = refusal(validate.area, open_ring)
    assert reason == (
        f"ring coordinates[0] is not closed: it starts at {CLOSED[0]} and ends at {CLOSED[3]}"
        " (RFC 7946: the last position must repeat the first)"
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"type": "Polygon", "coordinates": [CLOSED, [[112.901, 28.701], [112.902, 28.701],
                                                     [112.902, 28.702], [112.901, 28.702]]]},
         "ring coordinates[1] is not closed"),
        ({"type": "MultiPolygon", "coordinates": [[CLOSED], [CLOSED[:-1]]]},
         "ring coordinates[1][0] is not closed"),
        ({"type": "Polygon", "coordinates": [[CLOSED[0], CLOSED[1], CLOSED[0]]]},
         "ring coordinates[0] has 3 positions, at least 4 needed"),
        ({"type": "Polygon", "coordinates": [[]]}, "ring coordinates[0] has 0 positions"),
        ({"type": "Polygon", "coordinates": [[*CLOSED[:2], [EAST], *CLOSED[3:]]]},
         "coordinates[0][2] must be a position of 2 or more numbers, got [112.91]"),
        ({"type": "Polygon", "coordinates": [[*CLOSED[:2], [EAST, math.inf], *CLOSED[3:]]]},
         "coordinates[0][2] holds inf, not a finite number"),
        ({"type": "Polygon", "coordinates": [[*CLOSED[:2], [EAST, math.nan], *CLOSED[3:]]]},
         "coordinates[0][2] holds nan, not a finite number"),
        ({"type": "Polygon", "coordinates": [[*CLOSED[:2], [EAST, 10**400], *CLOSED[3:]]]},
         "coordinates[0][2] holds 1000000000000000000000000000000000000..., not a finite"),
        ({"type": "Polygon", "coordinates": [[*CLOSED[:2], [EAST, True], *CLOSED[3:]]]},
         "coordinates[0][2] holds True, not a number"),
        ({"type": "Polygon", "coordinates": [[*CLOSED[:2], [EAST, "28.71"], *CLOSED[3:]]]},
         "coordinates[0][2] holds '28.71', not a number"),
        ({"type": "Polygon", "coordinates": [CLOSED[0]]},
         "coordinates[0][0] must be a position of 2 or more numbers, got 112.9"),
        ({"type": "Polygon"}, "coordinates must be an array"),
    ],
)  # fmt: skip
def test_a_malformed_ring_is_refused_saying_where(value: dict[str, Any], says: str) -> None:
    assert says in refusal(validate.area, value)


def test_a_ring_closed_with_its_altitude_differing_is_not_closed() -> None:
    """RFC 7946: the first and last positions contain identical values, altitude included."""
    ring = [[*corner, 10.0] for corner in CLOSED]
    assert validate.area({"type": "Polygon", "coordinates": [ring]})
    ring[-1][2] = 11.0
    assert "is not closed" in refusal(validate.area, {"type": "Polygon", "coordinates": [ring]})


def test_tuples_pass_as_arrays_as_shapely_mapping_gives_them() -> None:
    as_tuples = {"type": "Polygon", "coordinates": (tuple(tuple(c) for c in CLOSED),)}
    assert validate.area(as_tuples).equals(validate.area(polygon(*map(tuple, CLOSED))))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"type": "Point", "coordinates": [WEST]}, "coordinates must be a position of 2 or more"),
        ({"type": "Point", "coordinates": [WEST, math.nan]}, "coordinates holds nan"),
        ({"type": "LineString", "coordinates": [[WEST, SOUTH]]}, "has 1 positions, at least 2"),
        ({"type": "MultiPoint", "coordinates": [[WEST, SOUTH], [EAST]]}, "coordinates[1] must be"),
    ],
)  # fmt: skip
def test_other_types_have_their_positions_checked_too(value: dict[str, Any], says: str) -> None:
    allowed = ("Point", "LineString", "MultiPoint")
    assert says in refusal(lambda v: validate.parse(v, allowed), value)


def circle(positions: int) -> dict[str, Any]:
    """A closed ring of `positions` positions (the last repeating the first) round the box."""
    steps = positions - 1
    ring = [[112.905 + 0.004 * math.cos(2 * math.pi * k / steps),
             28.705 + 0.004 * math.sin(2 * math.pi * k / steps)] for k in range(steps)]  # fmt: skip
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_the_position_limit_counts_every_ring_closing_positions_included() -> None:
    at_limit = circle(validate.MAX_POSITIONS)
    assert len(validate.area(at_limit).geoms[0].exterior.coords) == validate.MAX_POSITIONS
    assert refusal(validate.area, circle(validate.MAX_POSITIONS + 1)) == (
        "has 10,001 positions, more than the limit of 10,000"
    )
    beside = [[lon + 0.02, lat] for lon, lat in CLOSED]
    two_parts = {"type": "MultiPolygon", "coordinates": [circle(60)["coordinates"], [beside]]}
    assert validate.area(two_parts, max_positions=65)
    assert "has 65 positions, more than the limit of 64" in refusal(
        lambda v: validate.area(v, max_positions=64), two_parts
    )


def test_the_position_limit_is_checked_before_the_positions_are() -> None:
    """A huge shape is refused for its size, without walking every position."""
    huge = circle(validate.MAX_POSITIONS + 1)
    huge["coordinates"][0][5] = "not even a position"
    assert "more than the limit" in refusal(validate.area, huge)


def test_the_api_setting_defaults_to_the_same_limit() -> None:
    assert ApiSettings().max_polygon_vertices == validate.MAX_POSITIONS

"""GeoJSON coming in through GraphQL: open or degenerate rings, non-finite numbers and shapes
past the position limit are refused as INVALID_GEOMETRY naming the field, in the
`intersects` filter and in boundary mutations, and a refused mutation changes nothing. The
shapes are a geodesic circle drawn with pyproj round the demo park and the demo's own grids
read with plain SQL; the expected matches come from Shapely on plainly read points."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape

from geo.validate import MAX_POSITIONS
from tests.conftest import GraphQL
from tests.helpers import read_rows
from tests.schema.registry_client import Park, client_of, refused_as

CENTRE = (112.900, 28.700)  # the middle of the demo park
ZONE = "430624101001"
ROOT = """query ($g: GeoJSON) { enterprises(filter: {intersects: $g}, first: 500) {
  totalCount nodes { uscc } } }"""
IN_GRID = """query ($code: String!, $g: GeoJSON) { grid(code: $code) {
  enterprises(filter: {intersects: $g}, first: 500) { totalCount nodes { uscc } } } }"""


def circle(positions: int, metres: float = 1_500.0) -> dict[str, Any]:
    """A closed geodesic circle of `positions` positions (the last repeats the first)."""
    steps = positions - 1
    azimuths = [360.0 * k / steps for k in range(steps)]
    lons, lats, _ = Geod(ellps="WGS84").fwd(
        [CENTRE[0]] * steps, [CENTRE[1]] * steps, azimuths, [metres] * steps
    )
    ring = [[float(lon), float(lat)] for lon, lat in zip(lons, lats, strict=True)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def demo_grid(url: str) -> tuple[str, dict[str, Any]]:
    """The first demo grid by code and its boundary as a GeoJSON Polygon, read plainly."""
    code, text = read_rows(
        url,
        "SELECT code, ST_AsGeoJSON(ST_GeometryN(boundary, 1), 15) FROM grid ORDER BY code LIMIT 1",
    )[0]
    polygon: dict[str, Any] = orjson.loads(text)
    return code, polygon


def stored_points(url: str) -> dict[str, Point]:
    rows = read_rows(url, "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise")
    return {uscc: Point(lon, lat) for uscc, lon, lat in rows}


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    """(code, field, message) of the one error; no data came back."""
    assert body["data"] is None or all(v is None for v in body["data"].values())
    [error] = body["errors"]
    return error["extensions"]["code"], error["extensions"]["field"], error["message"]


def test_a_circle_at_the_limit_is_answered_as_shapely_says(gql: GraphQL, demo_url: str) -> None:
    ring = circle(MAX_POSITIONS)
    expected = sorted(u for u, p in stored_points(demo_url).items() if shape(ring).intersects(p))
    found = gql(ROOT, {"g": ring})["data"]["enterprises"]
    assert 0 < found["totalCount"] == len(expected)
    assert sorted(n["uscc"] for n in found["nodes"]) == expected


def test_one_position_past_the_limit_is_refused_naming_the_limit_and_field(gql: GraphQL) -> None:
    body = gql(ROOT, {"g": circle(MAX_POSITIONS + 1)}, ok=False)
    assert refusal(body) == (
        "INVALID_GEOMETRY",
        "filter.intersects",
        "filter.intersects: has 10,001 positions, more than the limit of 10,000",
    )


@pytest.mark.parametrize("query", [ROOT, IN_GRID], ids=["root", "in-a-grid"])
def test_a_demo_grid_with_its_closing_position_dropped_is_refused(
    gql: GraphQL, demo_url: str, query: str
) -> None:
    code, polygon = demo_grid(demo_url)
    exterior = polygon["coordinates"][0]
    closed = gql(query, {"code": code, "g": polygon})["data"]
    assert next(iter(closed.values()))  # the closed ring is answered
    opened = {"type": "Polygon", "coordinates": [exterior[:-1]]}
    error, field, message = refusal(gql(query, {"code": code, "g": opened}, ok=False))
    assert (error, field) == ("INVALID_GEOMETRY", "filter.intersects")
    assert message.startswith("filter.intersects: ring coordinates[0] is not closed")


@pytest.mark.parametrize(
    ("ring", "says"),
    [
        ([[112.89, 28.69], [112.91, 28.69], [112.89, 28.69]], "has 3 positions, at least 4"),
        ([[112.89, 28.69], [112.91], [112.91, 28.71], [112.89, 28.69]], "2 or more numbers"),
    ],
)
def test_a_degenerate_ring_is_refused(gql: GraphQL, ring: list[Any], says: str) -> None:
    body = gql(ROOT, {"g": {"type": "Polygon", "coordinates": [ring]}}, ok=False)
    error, field, message = refusal(body)
    assert (error, field) == ("INVALID_GEOMETRY", "filter.intersects")
    assert says in message


def test_an_infinite_number_written_in_the_query_is_refused(gql: GraphQL) -> None:
    """JSON variables cannot carry one (the server's JSON refuses it), a GraphQL literal can."""
    literal = """{ enterprises(filter: {intersects: {type: "Polygon", coordinates:
      [[[112.89, 28.69], [112.91, 28.69], [112.91, 1e400], [112.89, 28.69]]]}}) { totalCount } }"""
    error, field, message = refusal(gql(literal, ok=False))
    assert (error, field) == ("INVALID_GEOMETRY", "filter.intersects")
    assert "coordinates[0][2] holds inf, not a finite number" in message


# --- boundary mutations ----------------------------------------------------------------------


@pytest.fixture
def park(fresh_demo_url: str, engine_for: Any) -> Iterator[Park]:
    yield from client_of(fresh_demo_url, engine_for)


def zone_now(park: Park) -> tuple[str, dict[str, Any]]:
    name, text = park.rows(
        "SELECT z.name, ST_AsGeoJSON(ST_GeometryN(z.boundary, 1), 15) FROM zone z"
        " WHERE z.code = :code",
        code=ZONE,
    )[0]
    polygon: dict[str, Any] = orjson.loads(text)
    return name, polygon


def test_upserting_a_zone_with_its_own_boundary_left_open_changes_nothing(park: Park) -> None:
    name, polygon = zone_now(park)
    args = {"code": ZONE, "name": name, "park": "430624101"}
    assert park("upsertZone", **args, boundary=polygon)["__typename"] == "ZonePayload"
    opened = {"type": "Polygon", "coordinates": [polygon["coordinates"][0][:-1]]}
    message = park.refused(
        refused_as("INVALID_GEOMETRY", "boundary"), "upsertZone", **args, boundary=opened
    )
    assert message.startswith("ring coordinates[0] is not closed")


def test_a_grid_past_the_position_limit_is_refused_and_changes_nothing(park: Park) -> None:
    args = {"code": ZONE + "009", "name": "新网格", "zone": ZONE}
    message = park.refused(
        refused_as("INVALID_GEOMETRY", "boundary"),
        "upsertGrid",
        **args,
        boundary=circle(MAX_POSITIONS + 1, metres=200.0),
    )
    assert message == "has 10,001 positions, more than the limit of 10,000"

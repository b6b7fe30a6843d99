"""locate(lon, lat) follows the membership rule and agrees with every enterprise's grid."""

from __future__ import annotations

from sqlalchemy import text

LOCATE = "query ($lon: Float!, $lat: Float!) { locate(lon: $lon, lat: $lat) { park { code } zone { code } grid { code } } }"


def locate(gql, lon: float, lat: float) -> dict:
    return gql(LOCATE, {"lon": lon, "lat": lat})["data"]["locate"]


def codes(found: dict) -> tuple:
    return tuple(found[k]["code"] if found[k] else None for k in ("park", "zone", "grid"))


def test_locate_agrees_with_each_enterprise_grid(gql, demo_url, engine_for) -> None:
    with engine_for(demo_url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ST_X(e.location), ST_Y(e.location), g.code FROM enterprise e JOIN grid g ON g.id = e.grid_id ORDER BY e.uscc LIMIT 40"
            )
        ).all()
    assert [codes(locate(gql, lon, lat))[2] for lon, lat, _ in rows] == [
        code for _, _, code in rows
    ]


def test_shared_boundary_goes_to_the_lowest_code(gql) -> None:
    # the demo's zone 001 grids 001 and 002 share the line lat = 28.686
    assert codes(locate(gql, 112.87, 28.686)) == ("430624101", "430624101001", "430624101001001")


def test_zone_boundary_point_goes_to_the_lowest_grid_code(gql) -> None:
    # lon = 112.887 is the edge between zone 001 and zone 002
    assert codes(locate(gql, 112.887, 28.675)) == ("430624101", "430624101001", "430624101001001")


def test_outside_the_park_belongs_to_nothing(gql) -> None:
    assert codes(locate(gql, 113.5, 28.0)) == (None, None, None)


def test_out_of_range_coordinates_are_refused(gql) -> None:
    body = gql(LOCATE, {"lon": 28.7, "lat": 112.9}, ok=False)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_GEOMETRY"
    assert "latitude" in body["errors"][0]["message"]

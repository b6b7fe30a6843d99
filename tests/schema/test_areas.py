"""Parks, zones and grids through GraphQL, checked against SQL on the demo park."""

from __future__ import annotations

from shapely.geometry import shape
from sqlalchemy import text

GRID = "430624101001001"
ZONE = "430624101001"
PARK = "430624101"

GRID_QUERY = """
query ($code: String!) {
  grid(code: $code) {
    code name zone { code park { code } } boundary areaSqM
    enterprises(first: 5) { totalCount edges { node { uscc name location grid { code } } } }
    cadres { id name role }
    openIssues(first: 3) { totalCount edges { node { id title status } } }
  }
}
"""


def sql_rows(engine, query: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).all()


def test_hierarchy_lists_with_counts(gql) -> None:
    data = gql(
        "{ parks { totalCount edges { node { code zones { totalCount edges { node { code grids { totalCount } } } } } } } }"
    )["data"]
    park = data["parks"]["edges"][0]["node"]
    assert data["parks"]["totalCount"] == 1
    assert park["zones"]["totalCount"] == 3
    assert sum(z["node"]["grids"]["totalCount"] for z in park["zones"]["edges"]) == 13


def test_grid_detail_matches_sql(gql, demo_url, engine_for) -> None:
    grid = gql(GRID_QUERY, {"code": GRID})["data"]["grid"]
    engine = engine_for(demo_url)
    (members,) = sql_rows(
        engine,
        "SELECT count(*) FROM enterprise e JOIN grid g ON g.id = e.grid_id WHERE g.code = :c",
        c=GRID,
    )[0]
    (open_issues,) = sql_rows(
        engine,
        """
        SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id JOIN grid g ON g.id = e.grid_id
        WHERE g.code = :c AND i.status NOT IN ('closed', 'rejected')""",
        c=GRID,
    )[0]
    assert (grid["zone"]["code"], grid["zone"]["park"]["code"]) == (ZONE, PARK)
    assert grid["enterprises"]["totalCount"] == members
    assert len(grid["enterprises"]["edges"]) == 5
    assert all(edge["node"]["grid"]["code"] == GRID for edge in grid["enterprises"]["edges"])
    assert grid["openIssues"]["totalCount"] == open_issues


def test_boundary_is_rfc7946_and_area_is_in_square_metres(gql, demo_url, engine_for) -> None:
    grid = gql(GRID_QUERY, {"code": GRID})["data"]["grid"]
    polygon = shape(grid["boundary"])
    assert grid["boundary"]["type"] == "MultiPolygon"
    assert polygon.is_valid
    assert all(part.exterior.is_ccw for part in polygon.geoms)
    (expected,) = sql_rows(
        engine_for(demo_url),
        "SELECT ST_Area(boundary::geography) FROM grid WHERE code = :c",
        c=GRID,
    )[0]
    assert abs(grid["areaSqM"] - expected) < 1e-6
    assert 4.0e6 < grid["areaSqM"] < 5.5e6  # a 2.6 km x 1.8 km block


def test_precision_rounds_coordinates(gql) -> None:
    data = gql(
        '{ grid(code: "%s") { boundary(precision: 2) enterprises(first: 1) { nodes { location(precision: 3) } } } }'
        % GRID
    )
    ring = data["data"]["grid"]["boundary"]["coordinates"][0][0]
    assert all(round(value, 2) == value for point in ring for value in point)
    lon, lat = data["data"]["grid"]["enterprises"]["nodes"][0]["location"]["coordinates"]
    assert (round(lon, 3), round(lat, 3)) == (lon, lat)


def test_same_shape_on_zone_and_park(gql, demo_url, engine_for) -> None:
    query = """{ zone(code: "%s") { enterprises(first: 1) { totalCount } openIssues { totalCount } cadres { role } }
                 park(code: "%s") { enterprises(first: 1) { totalCount } openIssues { totalCount } cadres { role } areaSqM } }"""
    data = gql(query % (ZONE, PARK))["data"]
    engine = engine_for(demo_url)
    (zone_members,) = sql_rows(
        engine,
        "SELECT count(*) FROM enterprise e JOIN grid g ON g.id = e.grid_id JOIN zone z ON z.id = g.zone_id WHERE z.code = :c",
        c=ZONE,
    )[0]
    (open_total,) = sql_rows(
        engine, "SELECT count(*) FROM issue WHERE status NOT IN ('closed', 'rejected')"
    )[0]
    assert data["zone"]["enterprises"]["totalCount"] == zone_members
    assert data["park"]["enterprises"]["totalCount"] == 216
    assert data["park"]["openIssues"]["totalCount"] == open_total
    assert {c["role"] for c in data["zone"]["cadres"]} == {"ZONE_LEAD", "GRID_LEAD", "LIAISON"}


def test_unknown_codes_give_null_or_not_found(gql) -> None:
    assert gql('{ grid(code: "nope") { code } }')["data"]["grid"] is None
    body = gql('{ grids(zone: "nope") { totalCount } }', ok=False)
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "zone"}


def test_grids_of_a_zone_in_code_order(gql, demo_url, engine_for) -> None:
    data = gql('{ grids(zone: "%s") { totalCount nodes { code } } }' % ZONE)["data"]["grids"]
    expected = [
        r[0]
        for r in sql_rows(
            engine_for(demo_url),
            "SELECT g.code FROM grid g JOIN zone z ON z.id = g.zone_id WHERE z.code = :c ORDER BY 1",
            c=ZONE,
        )
    ]
    assert [g["code"] for g in data["nodes"]] == expected
    assert data["totalCount"] == len(expected) == 4

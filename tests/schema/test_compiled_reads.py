"""Compiled reads over HTTP, checked against plain SQL, Shapely and geographiclib: cursor paging
with variables, geodesic `near`, `intersects` with a made-up polygon and a point on a shared
edge, fragments, directives and aliases, GET and operation names, the planner's nested query.
(Input errors: tests/resolvers/reads/test_compiled_errors.py; who sees what:
tests/resolvers/reads/test_compiled_access.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from shapely import affinity
from shapely.geometry import Point, box, mapping

from tests.conftest import ADMIN_TOKEN, Databases
from tests.helpers import geodesic_m
from tests.resolvers.reads.oracle import Api, Oracle, api

CONNECTION = "totalCount pageInfo { hasNextPage endCursor } edges { cursor node { uscc } }"
ZONE_PAGE = f"""query ($zone: String!, $order: EnterpriseOrder!, $first: Int, $after: String) {{
  enterprises(filter: {{zone: $zone}}, orderBy: $order, first: $first, after: $after) {{ {CONNECTION} }} }}"""
GRID_PAGE = f"""query ($code: String!, $first: Int, $after: String) {{
  grid(code: $code) {{ enterprises(first: $first, after: $after) {{ {CONNECTION} }} }} }}"""
NEAR_PAGE = """query ($near: NearInput!, $first: Int, $after: String) {
  enterprises(filter: {near: $near}, orderBy: DISTANCE, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { uscc distanceMeters } } } }"""
ORDER_SQL = {"CODE": "e.uscc", "NAME": "e.name, e.uscc"}
IN_ZONE = (
    "SELECT e.uscc FROM enterprise e JOIN grid g ON g.id = e.grid_id"
    " JOIN zone z ON z.id = g.zone_id WHERE z.code = :zone"
)
POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"


@pytest.fixture(scope="module")
def oracle(demo_url: str) -> Iterator[Oracle]:
    found = Oracle(demo_url)
    yield found
    found.dispose()


@pytest.fixture(scope="module")
def fast(demo_url: str) -> Iterator[Api]:
    with api(demo_url) as client:
        yield client


def walk(fast: Api, query: str, variables: dict[str, Any], *path: str) -> list[dict[str, Any]]:
    """Every page, following endCursor until hasNextPage is false."""
    pages: list[dict[str, Any]] = []
    after = None
    while len(pages) < 100:
        found = fast.data(query, {**variables, "after": after})
        for key in path:
            found = found[key]
        pages.append(found)
        if not found["pageInfo"]["hasNextPage"]:
            return pages
        after = found["pageInfo"]["endCursor"]
    raise AssertionError("the pages never end")


def check_pages(pages: list[dict[str, Any]], expected: list[str], size: int) -> list[str]:
    """Page sizes, totals and end cursors; returns the credit codes in page order."""
    assert len(pages) == max(1, -(-len(expected) // size))
    seen = []
    for n, page in enumerate(pages):
        edges = page["edges"]
        assert page["totalCount"] == len(expected)
        assert len(edges) == (size if n < len(pages) - 1 else len(expected) - size * n)
        assert page["pageInfo"]["endCursor"] == (edges[-1]["cursor"] if edges else None)
        assert page["pageInfo"]["hasNextPage"] == (n < len(pages) - 1)
        seen += [edge["node"]["uscc"] for edge in edges]
    return seen


@pytest.mark.parametrize("order", ["CODE", "NAME"])
@pytest.mark.parametrize("size", [7, 8, 500])
def test_zone_pages_walk_the_sql_order(fast, oracle, order, size) -> None:
    for zone in oracle.column("SELECT code FROM zone ORDER BY code"):
        expected = oracle.column(f"{IN_ZONE} ORDER BY {ORDER_SQL[order]}", zone=zone)
        variables = {"zone": zone, "order": order, "first": size}
        pages = walk(fast, ZONE_PAGE, variables, "enterprises")
        assert check_pages(pages, expected, size) == expected


def test_grid_pages_walk_every_member_by_code(fast, oracle) -> None:
    for code in oracle.column("SELECT code FROM grid ORDER BY code"):
        expected = oracle.column(
            "SELECT e.uscc FROM enterprise e JOIN grid g ON g.id = e.grid_id"
            " WHERE g.code = :code ORDER BY e.uscc",
            code=code,
        )
        pages = walk(fast, GRID_PAGE, {"code": code, "first": 5}, "grid", "enterprises")
        assert check_pages(pages, expected, 5) == expected


@pytest.fixture(scope="module")
def changed(databases: Databases, demo_template: str) -> Iterator[tuple[Api, Oracle, str]]:
    """A demo park of its own where names tie and carry JSON's special characters, and one
    enterprise stands on the edge two grids share; yields the uscc of that one."""
    url = databases.url(databases.create(template=demo_template))
    sql = Oracle(url)
    names = ['同名 "引号"', "同名 \\ 反斜杠", "同名 /斜杠/ 😀", '同名 "引号"', "a'b\tc"]
    usccs = sql.column(f"{IN_ZONE} ORDER BY e.uscc", zone="430624101001")
    for n, uscc in enumerate(usccs[:15]):
        sql.execute("UPDATE enterprise SET name = :n WHERE uscc = :u", n=names[n % 5], u=uscc)
    moved = sql.column("SELECT uscc FROM enterprise ORDER BY uscc DESC LIMIT 1")[0]
    sql.execute(
        "UPDATE enterprise SET location = ST_SetSRID(ST_MakePoint(112.887, 28.68), 4326)"
        " WHERE uscc = :u",
        u=moved,
    )
    with api(url) as client:
        yield client, sql, moved
    sql.dispose()


@pytest.mark.parametrize("size", [1, 2, 3])
def test_name_order_with_ties_and_escapes_walks_the_sql_order(changed, size) -> None:
    fast, sql, _ = changed
    expected = sql.column(f"{IN_ZONE} ORDER BY e.name, e.uscc", zone="430624101001")
    assert len(set(sql.column("SELECT name FROM enterprise"))) < 216  # names do tie
    variables = {"zone": "430624101001", "order": "NAME", "first": size}
    pages = walk(fast, ZONE_PAGE, variables, "enterprises")
    assert check_pages(pages, expected, size) == expected


def test_near_pages_are_geodesic_and_complete(fast, oracle) -> None:
    # from an enterprise's own point, so the first distance is 0 (a cursor of [0, uscc])
    lon, lat = oracle.rows(
        "SELECT ST_X(location), ST_Y(location) FROM enterprise ORDER BY uscc LIMIT 1 OFFSET 100"
    )[0]
    near = {"lon": lon, "lat": lat, "meters": 1500.0}
    expected = oracle.rows(
        f"SELECT e.uscc, ST_X(e.location) AS x, ST_Y(e.location) AS y,"
        f" ST_Distance(e.location::geography, {POINT}::geography) AS d FROM enterprise e"
        f" WHERE ST_DWithin(e.location::geography, {POINT}::geography, :m) ORDER BY d, e.uscc",
        lon=lon, lat=lat, m=1500.0,
    )  # fmt: skip
    assert 10 < len(expected) < 216
    for size in (1, 4):
        pages = walk(fast, NEAR_PAGE, {"near": near, "first": size}, "enterprises")
        assert check_pages(pages, [r.uscc for r in expected], size) == [r.uscc for r in expected]
        nodes = [edge["node"] for page in pages for edge in page["edges"]]
        distances = [node["distanceMeters"] for node in nodes]
        assert distances == sorted(distances) and distances[0] == 0
        for node, row in zip(nodes, expected, strict=True):
            assert node["distanceMeters"] <= 1500.0
            assert node["distanceMeters"] == pytest.approx(row.d, rel=1e-6, abs=1e-9)
            geodesic = geodesic_m(lon, lat, row.x, row.y)
            assert node["distanceMeters"] == pytest.approx(geodesic, rel=1e-6, abs=1e-6)


# a rectangle of "another park", turned 25 degrees, across grid and zone edges and the park's
ANOTHER_PARK = affinity.rotate(box(112.893, 28.688, 112.952, 28.703), 25, origin="centroid")
INTERSECTS = """query ($g: GeoJSON!) {
  enterprises(filter: {intersects: $g}) { totalCount }
  grids(filter: {intersects: $g}) { totalCount nodes { code } }
  zones(filter: {intersects: $g}) { totalCount nodes { code } } }"""
GEOMETRY = "ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326)"


def test_intersects_a_polygon_of_another_park(fast, oracle) -> None:
    geometry = mapping(ANOTHER_PARK)
    data = fast.data(INTERSECTS, {"g": geometry})
    args = {"g": json.dumps(geometry)}
    firms = oracle.scalar(
        f"SELECT count(*) FROM enterprise WHERE ST_Intersects(location, {GEOMETRY})", **args
    )
    points = oracle.rows("SELECT ST_X(location), ST_Y(location) FROM enterprise")
    assert firms == sum(ANOTHER_PARK.intersects(Point(x, y)) for x, y in points)  # Shapely agrees
    assert 0 < data["enterprises"]["totalCount"] == firms < 216
    outside = f"SELECT ST_Area(ST_Difference({GEOMETRY}, boundary)) FROM park"
    assert oracle.scalar(outside, **args) > 0  # it reaches beyond the park
    for table, at_least in (("grid", 4), ("zone", 2)):
        codes = oracle.column(
            f"SELECT code FROM {table} WHERE ST_Intersects(boundary, {GEOMETRY}) ORDER BY code",
            **args,
        )
        listed = data[f"{table}s"]
        assert len(codes) >= at_least  # it crosses their edges
        assert listed["totalCount"] == len(codes) and [n["code"] for n in listed["nodes"]] == codes


def test_a_point_on_a_shared_edge(changed) -> None:
    fast, sql, moved = changed
    point = {"type": "Point", "coordinates": [112.887, 28.68]}
    data = fast.data(
        "query ($g: GeoJSON!, $u: String!) { enterprises(filter: {intersects: $g}) { totalCount"
        " nodes { uscc } } grids(filter: {intersects: $g}) { totalCount nodes { code } }"
        " enterprise(uscc: $u) { grid { code } } }",
        {"g": point, "u": moved},
    )
    args = {"lon": 112.887, "lat": 28.68}
    grids = sql.column(
        f"SELECT code FROM grid WHERE ST_Intersects(boundary, {POINT}) ORDER BY code", **args
    )
    firms = sql.column(
        f"SELECT uscc FROM enterprise WHERE ST_Intersects(location, {POINT})", **args
    )
    assert len(grids) == 2 and firms == [moved]
    assert data["grids"] == {"totalCount": 2, "nodes": [{"code": c} for c in grids]}
    assert data["enterprises"] == {"totalCount": 1, "nodes": [{"uscc": moved}]}
    assert data["enterprise"]["grid"]["code"] == grids[0]  # the lowest code takes it


SHAPES = """query ($code: String!, $named: Boolean!, $counted: Boolean!) {
  __typename
  g: grid(code: $code) {
    ...GridBits
    __typename
    zone { __typename code }
    ... on Grid { zone { name } code }
  }
  a: enterprises(first: 1) { __typename edges { __typename node { __typename uscc } } }
  b: enterprises(first: 2, orderBy: NAME) {
    nodes { uscc ...Named }
    pageInfo { __typename hasNextPage }
    totalCount @skip(if: $counted)
  }
}
fragment GridBits on Grid { code name @include(if: $named) enterpriseCount @skip(if: $counted) }
fragment Named on Enterprise { name @include(if: $named) ... @include(if: $named) { __typename } }"""


@pytest.mark.parametrize("named", [True, False])
@pytest.mark.parametrize("counted", [True, False])
def test_fragments_directives_and_aliases_give_exactly_the_keys_asked(
    fast, oracle, named, counted
) -> None:
    code = "430624101002003"
    data = fast.data(SHAPES, {"code": code, "named": named, "counted": counted})
    assert list(data) == ["__typename", "g", "a", "b"] and data["__typename"] == "Query"
    grid = oracle.rows(
        "SELECT g.code, g.name, z.code AS zone, z.name AS zone_name,"
        " (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id) AS n"
        " FROM grid g JOIN zone z ON z.id = g.zone_id WHERE g.code = :c",
        c=code,
    )[0]
    expected_grid: dict[str, Any] = {"code": code}
    if named:
        expected_grid["name"] = grid.name
    if not counted:
        expected_grid["enterpriseCount"] = grid.n
    expected_grid["__typename"] = "Grid"
    expected_grid["zone"] = {"__typename": "Zone", "code": grid.zone, "name": grid.zone_name}
    assert data["g"] == expected_grid and list(data["g"]) == list(expected_grid)
    assert list(data["g"]["zone"]) == ["__typename", "code", "name"]
    first = oracle.column("SELECT uscc FROM enterprise ORDER BY uscc LIMIT 1")[0]
    connection = {"__typename": "EnterpriseConnection"}
    edge = {"__typename": "EnterpriseEdge", "node": {"__typename": "Enterprise", "uscc": first}}
    assert data["a"] == {**connection, "edges": [edge]}
    by_name = oracle.rows("SELECT uscc, name FROM enterprise ORDER BY name, uscc LIMIT 2")
    nodes = [
        {"uscc": r.uscc, **({"name": r.name, "__typename": "Enterprise"} if named else {})}
        for r in by_name
    ]
    expected_b: dict[str, Any] = {"nodes": nodes}
    expected_b["pageInfo"] = {"__typename": "PageInfo", "hasNextPage": True}
    if not counted:
        expected_b["totalCount"] = 216
    assert data["b"] == expected_b and list(data["b"]) == list(expected_b)
    assert [list(n) for n in data["b"]["nodes"]] == [list(n) for n in nodes]


GET_QUERIES: list[tuple[str, dict[str, Any] | None]] = [
    (
        '{ grid(code: "430624101001001") { code enterpriseCount enterprises(first: 3) { edges { cursor } } } }',
        None,
    ),
    (ZONE_PAGE, {"zone": "430624101003", "order": "NAME", "first": 4, "after": None}),
    (NEAR_PAGE, {"near": {"lon": 112.9, "lat": 28.7, "meters": 900}, "first": 3}),
    (
        "query ($lon: Float!, $lat: Float!) { locate(lon: $lon, lat: $lat) { grid { code } } }",
        {"lon": 112.87, "lat": 28.686},
    ),
    (SHAPES, {"code": "430624101001002", "named": True, "counted": False}),
]


@pytest.mark.parametrize(("query", "variables"), GET_QUERIES)
def test_get_answers_as_post_does(fast, query, variables) -> None:
    status, posted = fast.post(query, variables)
    assert status == 200 and "errors" not in posted and fast.batches == 1
    status, got = fast.get(query, variables)
    assert status == 200 and fast.batches == 1
    assert got == posted


OPERATIONS = """query Parks { parks { totalCount nodes { code } } }
query Zones ($first: Int) { zones(first: $first) { nodes { code } } }
mutation Comment { commentIssue(id: "1", note: "x") { __typename } }"""


def test_the_named_operation_is_answered_get_never_mutates(fast, oracle) -> None:
    zones = oracle.column("SELECT code FROM zone ORDER BY code LIMIT 2")
    asked = {"query": OPERATIONS, "operationName": "Zones"}
    for response in (
        fast.client.get("/graphql", params={**asked, "variables": '{"first": 2}'}),
        fast.client.post("/graphql", json={**asked, "variables": {"first": 2}}),
    ):
        assert response.json() == {"data": {"zones": {"nodes": [{"code": c} for c in zones]}}}
    events = oracle.scalar("SELECT count(*) FROM event")
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # a mutation it could make, by POST
    params = {"query": OPERATIONS, "operationName": "Comment"}
    refused = fast.client.get("/graphql", params=params, headers=admin)
    assert refused.status_code == 405  # as GraphQL over HTTP has it
    assert oracle.scalar("SELECT count(*) FROM event") == events


PLANNER = """query ($zone: String!, $issues: Int) { zone(code: $zone) { grids(first: 100) { nodes {
  code enterpriseCount openIssueCount
  openIssues(first: $issues) { totalCount nodes { id enterprise { uscc name } } } } } } }"""
OPEN = "i.status NOT IN ('closed', 'rejected')"


def planner_expected(oracle: Oracle, zone: str, size: int) -> dict[str, Any]:
    grids = []
    for grid_id, code in oracle.rows(
        "SELECT g.id, g.code FROM grid g JOIN zone z ON z.id = g.zone_id"
        " WHERE z.code = :z ORDER BY g.code",
        z=zone,
    ):
        issues = oracle.rows(
            "SELECT i.id, e.uscc, e.name FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
            f" WHERE e.grid_id = :g AND {OPEN} ORDER BY i.id",
            g=grid_id,
        )
        grids.append({
            "code": code,
            "enterpriseCount": oracle.scalar("SELECT count(*) FROM enterprise WHERE grid_id = :g", g=grid_id),
            "openIssueCount": len(issues),
            "openIssues": {
                "totalCount": len(issues),
                "nodes": [{"id": str(i.id), "enterprise": {"uscc": i.uscc, "name": i.name}} for i in issues[:size]],
            },
        })  # fmt: skip
    return {"zone": {"grids": {"nodes": grids}}}


@pytest.mark.parametrize("size", [10, 2])
def test_planner_nested_query_equals_plain_sql(fast, oracle, size) -> None:
    cut = 0
    for zone in oracle.column("SELECT code FROM zone ORDER BY code"):
        expected = planner_expected(oracle, zone, size)
        grids = expected["zone"]["grids"]["nodes"]
        assert any(g["openIssues"]["nodes"] for g in grids)
        cut += sum(g["openIssueCount"] > size for g in grids)
        assert fast.data(PLANNER, {"zone": zone, "issues": size}) == expected
    assert (cut > 0) == (size == 2)  # with 2 a page, some grids have more
    assert fast.data(PLANNER, {"zone": "nope", "issues": size}) == {"zone": None}

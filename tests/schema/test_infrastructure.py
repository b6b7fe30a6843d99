"""Infrastructure lines and the planner's questions, against answers computed outside the
database: geodesic lengths and distances with pyproj's Geod (a line densified every metre),
the parts of a line inside each grid with Shapely, distances to grids in a local azimuthal
equidistant projection. One line runs exactly along the edge two grids share."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from pyproj import Geod, Transformer
from shapely import ops
from shapely.geometry import LineString, MultiLineString, Point, box, mapping
from shapely.geometry.base import BaseGeometry

from tests.conftest import GraphQL, add_token, app_client, graphql_client
from tests.resolvers.conftest import X0, Y0, D, add_area, add_enterprise, cell, code

GEOD = Geod(ellps="WGS84")
GRIDS = {"G-A": box(X0, Y0, X0 + D, Y0 + D), "G-B": box(X0 + D, Y0, X0 + 2 * D, Y0 + D),
         "G-C": box(X0 + 2 * D, Y0, X0 + 3 * D, Y0 + D)}  # fmt: skip
LINES: dict[str, tuple[str, str, BaseGeometry]] = {  # code: kind, status, shape
    "R1": (
        "ROAD",
        "IN_SERVICE",
        LineString(
            [(X0 + 0.002, Y0 + 0.003), (X0 + 0.025, Y0 + 0.0061), (X0 + 0.035, Y0 + 0.0083)]
        ),
    ),
    # exactly along the edge G-A and G-B share (x = X0 + D)
    "R2": ("ROAD", "IN_SERVICE", LineString([(X0 + D, Y0 + 0.001), (X0 + D, Y0 + 0.009)])),
    "P1": (
        "POWER",
        "IN_SERVICE",
        MultiLineString(
            [
                [(X0 + 0.001, Y0 + 0.0095), (X0 + 0.0125, Y0 + 0.0093)],
                [(X0 + 0.0155, Y0 + 0.0005), (X0 + 0.0285, Y0 + 0.0045)],
            ]
        ),
    ),
    "GAS1": ("GAS", "IN_SERVICE", LineString([(X0, Y0 + 0.002), (X0 + 0.012, Y0 + 0.002)])),
    "GAS2": ("GAS", "PLANNED", LineString([(X0 + 0.005, Y0 + 0.008), (X0 + 0.029, Y0 + 0.008)])),
}
FIRMS = {1: (X0 + 0.004, Y0 + 0.0045), 2: (X0 + 0.0098, Y0 + 0.0052), 3: (X0 + 0.0165, Y0 + 0.0071),
         4: (X0 + 0.0231, Y0 + 0.0019), 5: (X0 + 0.0282, Y0 + 0.0093), 6: (X0 + D, Y0 + 0.0042),
         7: (X0 + 0.0052, Y0 + 0.0008)}  # fmt: skip

SAVE = """mutation($line: InfrastructureLineInput!) { saveInfrastructureLine(line: $line) {
  __typename ... on InfrastructureLinePayload { line { code version lengthMeters } }
  ... on UserError { field code message } } }"""


def line_input(code_: str, version: int | None = None, **changes: Any) -> dict[str, Any]:
    kind, status, shape = LINES[code_]
    given = {"park": "P", "code": code_, "name": f"line {code_}", "kind": kind, "status": status,
             "geometry": mapping(shape), "operator": "Synthetic Utilities Co."}  # fmt: skip
    return given | ({"version": version} if version else {}) | changes


@pytest.fixture(scope="module")
def park_url(databases: Any, empty_template: str) -> str:
    from sqlalchemy import create_engine

    url = databases.url(databases.create(template=empty_template))
    engine = create_engine(url)
    with engine.begin() as conn:
        park = add_area(conn, "park", "P", _park_ewkt())
        zone = add_area(conn, "zone", "Z", _park_ewkt(), park)
        for n, name in enumerate(GRIDS):
            add_area(conn, "grid", name, cell(n), zone)
        for n, (lon, lat) in FIRMS.items():
            add_enterprise(conn, n, lon, lat)
    engine.dispose()
    with app_client(url) as client:
        gql = graphql_client(client)
        for name in LINES:
            saved = gql(SAVE, {"line": line_input(name)})["data"]["saveInfrastructureLine"]
            assert saved["__typename"] == "InfrastructureLinePayload", saved
    return url


def _park_ewkt() -> str:
    from geo.shape import as_multipolygon, to_ewkt

    return to_ewkt(as_multipolygon(box(X0, Y0, X0 + 3 * D, Y0 + D)))


@pytest.fixture(scope="module")
def gql(park_url: str) -> Iterator[GraphQL]:
    with app_client(park_url) as client:
        yield graphql_client(client)


def geodesic_length(shape: BaseGeometry) -> float:
    return float(GEOD.geometry_length(shape))


def distance_to_line(point: tuple[float, float], shape: BaseGeometry) -> float:
    """Geodesic distance from a point to a line: the nearest of its points one metre apart."""
    parts = shape.geoms if isinstance(shape, MultiLineString) else [shape]
    best = float("inf")
    for part in parts:
        coords = list(part.coords)
        for (x1, y1), (x2, y2) in itertools.pairwise(coords):
            dense = GEOD.inv_intermediate(x1, y1, x2, y2, del_s=1.0, initial_idx=0, terminus_idx=0)
            lons, lats = list(dense.lons), list(dense.lats)
            _, _, found = GEOD.inv([point[0]] * len(lons), [point[1]] * len(lats), lons, lats)
            best = min(best, min(found))
    return best


def test_lengths_are_geodesic(gql: GraphQL) -> None:
    found = gql('{ infrastructureLines(park: "P") { totalCount nodes { code lengthMeters } } }')
    lines = found["data"]["infrastructureLines"]
    assert lines["totalCount"] == len(LINES)
    for node in lines["nodes"]:
        assert node["lengthMeters"] == pytest.approx(geodesic_length(LINES[node["code"]][2]),
                                                     abs=0.01)  # fmt: skip


@pytest.mark.parametrize(("line", "meters"), [("R1", 300.0), ("P1", 150.0), ("R2", 80.0)])
def test_enterprises_within(gql: GraphQL, line: str, meters: float) -> None:
    query = """query($code: String!, $m: Float!) { infrastructureLine(code: $code) {
        enterprisesWithin(meters: $m) { uscc distanceMeters } } }"""
    found = gql(query, {"code": line, "m": meters})["data"]["infrastructureLine"]
    distances = {code(n): distance_to_line(p, LINES[line][2]) for n, p in FIRMS.items()}
    assert all(abs(d - meters) > 2 for d in distances.values()), "test data too near the edge"
    expected = sorted((d, c) for c, d in distances.items() if d <= meters)
    got = [(row["distanceMeters"], row["uscc"]) for row in found["enterprisesWithin"]]
    assert [c for _, c in got] == [c for _, c in expected]
    for (d_got, _), (d_expected, _) in zip(got, expected, strict=True):
        assert d_got == pytest.approx(d_expected, abs=0.6)
    assert expected  # each case reaches at least one firm


def local_metres(lon: float, lat: float) -> Transformer:
    return Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84",
                                always_xy=True)  # fmt: skip


@pytest.mark.parametrize(("line", "meters"), [("R2", 200.0), ("GAS1", 50.0), ("R1", 10.0)])
def test_grids_within(gql: GraphQL, line: str, meters: float) -> None:
    query = """query($code: String!, $m: Float!) { infrastructureLine(code: $code) {
        gridsWithin(meters: $m) { code } } }"""
    found = gql(query, {"code": line, "m": meters})["data"]["infrastructureLine"]["gridsWithin"]
    project = local_metres(X0 + 1.5 * D, Y0 + D / 2).transform
    shape = ops.transform(project, LINES[line][2])
    near = {name: ops.transform(project, grid).distance(shape) for name, grid in GRIDS.items()}
    assert all(d == 0 or abs(d - meters) > 20 for d in near.values())
    assert [g["code"] for g in found] == sorted(n for n, d in near.items() if d <= meters)


def expected_crossings(shape: BaseGeometry) -> dict[str, float]:
    """Shapely's intersection with each grid; a part on an edge already counted in a
    lower-code grid is left out."""
    taken: BaseGeometry = LineString()
    lengths = {}
    for name in sorted(GRIDS):
        part = shape.intersection(GRIDS[name]).difference(taken)
        taken = taken.union(part)
        if part.length > 0:
            lengths[name] = geodesic_length(part)
    return lengths


@pytest.mark.parametrize("line", ["R1", "R2", "P1", "GAS2"])
def test_grid_crossings(gql: GraphQL, line: str) -> None:
    query = """query($code: String!) { infrastructureLine(code: $code) {
        lengthMeters gridCrossings { grid { code } lengthMeters } } }"""
    found = gql(query, {"code": line})["data"]["infrastructureLine"]
    got = {row["grid"]["code"]: row["lengthMeters"] for row in found["gridCrossings"]}
    expected = expected_crossings(LINES[line][2])
    assert list(got) == list(expected)
    for name, length in expected.items():
        assert got[name] == pytest.approx(length, abs=0.01)
    inside = LINES[line][2].intersection(ops.unary_union(list(GRIDS.values())))
    assert sum(got.values()) == pytest.approx(geodesic_length(inside), abs=0.02)


def test_line_along_a_shared_edge_counts_once_in_the_lower_code(gql: GraphQL) -> None:
    query = '{ infrastructureLine(code: "R2") { lengthMeters gridCrossings { grid { code } } } }'
    found = gql(query)["data"]["infrastructureLine"]
    assert [row["grid"]["code"] for row in found["gridCrossings"]] == ["G-A"]
    edge_length = GEOD.inv(X0 + D, Y0 + 0.001, X0 + D, Y0 + 0.009)[2]
    assert found["lengthMeters"] == pytest.approx(edge_length, abs=0.01)


@pytest.mark.parametrize("meters", [250.0, 600.0])
def test_enterprises_not_served_by_gas(gql: GraphQL, meters: float) -> None:
    query = """query($m: Float!) { enterprisesBeyondLines(kind: GAS, meters: $m, park: "P") {
        totalCount nodes { uscc distanceMeters } } }"""
    found = gql(query, {"m": meters})["data"]["enterprisesBeyondLines"]
    serving = LINES["GAS1"][2]  # GAS2 is only planned: it serves nobody
    distances = {code(n): distance_to_line(p, serving) for n, p in FIRMS.items()}
    assert all(abs(d - meters) > 2 for d in distances.values())
    expected = sorted(c for c, d in distances.items() if d > meters)
    assert [row["uscc"] for row in found["nodes"]] == expected
    assert found["totalCount"] == len(expected) > 0
    for row in found["nodes"]:
        assert row["distanceMeters"] == pytest.approx(distances[row["uscc"]], abs=0.6)


def test_a_point_on_the_line_is_at_distance_zero(gql: GraphQL) -> None:
    query = '{ infrastructureLine(code: "R2") { enterprisesWithin(meters: 0) { uscc } } }'
    found = gql(query)["data"]["infrastructureLine"]["enterprisesWithin"]
    assert [row["uscc"] for row in found] == [code(6)]
    assert Point(FIRMS[6]).distance(LINES["R2"][2]) == 0


@pytest.mark.parametrize("meters", [-1.0, 50_001.0])
def test_bad_distances_are_refused_by_name(gql: GraphQL, meters: float) -> None:
    query = """query($m: Float!) { infrastructureLine(code: "R1") { gridsWithin(meters: $m) {
        code } } }"""
    body = gql(query, {"m": meters}, ok=False)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "meters"


def test_unknown_park_is_not_found(gql: GraphQL) -> None:
    body = gql('{ infrastructureLines(park: "NOPE") { totalCount } }', ok=False)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def saved(gql: GraphQL, line: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = gql(SAVE, {"line": line})["data"]["saveInfrastructureLine"]
    return result


def test_changes_carry_the_version_and_leave_an_event(park_url: str) -> None:
    with app_client(park_url) as client:
        gql = graphql_client(client)
        conflict = saved(gql, line_input("GAS2", status="UNDER_CONSTRUCTION"))
        assert (conflict["code"], conflict["field"]) == ("CONFLICT", "version")
        stale = saved(gql, line_input("GAS2", version=7, status="UNDER_CONSTRUCTION"))
        assert stale["code"] == "CONFLICT"
        done = saved(gql, line_input("GAS2", version=1, status="UNDER_CONSTRUCTION"))
        assert done["line"]["version"] == 2
        again = saved(gql, line_input("GAS2", version=2, status="PLANNED"))
        assert again["line"]["version"] == 3
    from tests.helpers import read_rows

    rows = read_rows(park_url, "SELECT action, changes FROM event"
                     " WHERE subject = 'infrastructure_line' ORDER BY id")  # fmt: skip
    assert [r.action for r in rows][-2:] == ["changed", "changed"]
    assert rows[-2].changes == {"status": ["planned", "under_construction"]}


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + D, Y0], [X0, Y0 + D], [X0, Y0]]]},
         "LineString"),
        ({"type": "LineString", "coordinates": [[X0, Y0]]}, "at least 2"),
        ({"type": "LineString", "coordinates": [[X0, Y0], [X0, Y0]]}, "of no length"),
        ({"type": "LineString", "coordinates": [[Y0, X0 + 100], [X0, Y0]]}, "latitude"),
    ],
)  # fmt: skip
def test_bad_geometry_is_a_typed_error_changing_nothing(
    park_url: str, geometry: dict[str, Any], reason: str
) -> None:
    with app_client(park_url) as client:
        result = saved(
            graphql_client(client), line_input("R1") | {"code": "BAD", "geometry": geometry}
        )
        body = graphql_client(client)('{ infrastructureLine(code: "BAD") { code } }')
    assert (result["code"], result["field"]) == ("INVALID_GEOMETRY", "geometry")
    assert reason in result["message"]
    assert body["data"]["infrastructureLine"] is None


def test_only_the_park_administration_saves_lines_and_anonymous_sees_no_notes(
    park_url: str,
) -> None:
    add_token(park_url, "pgt_story-viewer", "viewer")
    with app_client(park_url, token="pgt_story-viewer") as client:
        refused = saved(graphql_client(client), line_input("R1") | {"code": "NEW"})
    assert refused["code"] == "FORBIDDEN"
    with app_client(park_url) as client:
        saved(graphql_client(client), line_input("R1", version=1, note="valve at km 2"))
    with app_client(park_url, token=None) as client:
        anonymous = graphql_client(client)('{ infrastructureLine(code: "R1") { note kind } }')
    assert anonymous["data"]["infrastructureLine"] == {"note": None, "kind": "ROAD"}

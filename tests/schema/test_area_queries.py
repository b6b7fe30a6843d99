"""Area lists filtered by geometry, per-area counts and geometry outputs, checked against
Shapely on the stored boundaries, geographiclib and Python over plain table reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from geographiclib.geodesic import Geodesic
from shapely import wkt
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text

from parkgrid.demo.geometry import EAST, NORTH, SOUTH, WEST
from tests.conftest import GraphQL, app_client, graphql_client
from tests.helpers import read_rows

PARK = "430624101"
ZONE_1, ZONE_2, ZONE_3 = "430624101001", "430624101002", "430624101003"
SHARED_BAND_EDGE = (112.870, 28.686)  # between grids ...001001 and ...001002
ZONE_EDGE_LON = 112.887  # between zones 001 and 002
PARK_TZ = ZoneInfo("Asia/Shanghai")
METRE_IN_DEGREES = 1 / 111_320.0  # the service's conversion of simplify tolerances
OPEN_EXCLUDED = ("closed", "rejected")
KINDS = ("park", "zone", "grid")
PARENT_ARGUMENTS = {"zones": "park", "grids": "zone"}

LIST = """query ($parent: String, $f: AreaFilterInput) {
  %s(%s: $parent, filter: $f, first: 500) { totalCount nodes { code } } }"""


@dataclass(frozen=True)
class Area:
    kind: str
    code: str
    parent: str | None
    boundary: BaseGeometry


@dataclass
class Demo:
    """Everything a count needs, read with plain SQL; membership decided with Shapely."""

    areas: dict[str, Area]
    members: dict[str, set[int]] = field(default_factory=dict)  # area code -> enterprise ids
    industry: dict[int, str | None] = field(default_factory=dict)
    issues: list[tuple[int, str, date | None]] = field(default_factory=list)
    visits: list[tuple[int, datetime]] = field(default_factory=list)
    assignments: list[tuple[Any, ...]] = field(default_factory=list)

    def of(self, kind: str) -> list[Area]:
        return sorted((a for a in self.areas.values() if a.kind == kind), key=lambda a: a.code)

    def children(self, codes: set[str]) -> set[str]:
        return {a.code for a in self.areas.values() if a.parent in codes}

    def grids_under(self, code: str) -> set[str]:
        level = {code}
        for _ in range(KINDS.index(self.areas[code].kind), KINDS.index("grid")):
            level = self.children(level)
        return level

    def zones_over(self, code: str) -> set[str]:
        area = self.areas[code]
        if area.kind == "grid":
            return {area.parent or ""}
        return {code} if area.kind == "zone" else self.children({code})


AREA_ROWS = """
    SELECT 'park', p.code, NULL, ST_AsText(p.boundary) FROM park p
    UNION ALL SELECT 'zone', z.code, p.code, ST_AsText(z.boundary)
        FROM zone z JOIN park p ON p.id = z.park_id
    UNION ALL SELECT 'grid', g.code, z.code, ST_AsText(g.boundary)
        FROM grid g JOIN zone z ON z.id = g.zone_id
"""
ASSIGNMENT_ROWS = """
    SELECT a.cadre_id, a.role, z.code, g.code, a.enterprise_id, a.valid_from, a.valid_to
    FROM assignment a LEFT JOIN zone z ON z.id = a.zone_id LEFT JOIN grid g ON g.id = a.grid_id
"""


def read_areas(url: str) -> dict[str, Area]:
    rows = read_rows(url, AREA_ROWS)
    return {code: Area(kind, code, parent, wkt.loads(s)) for kind, code, parent, s in rows}


def member_grid(grids: list[Area], point: Point) -> Area | None:
    covering = [g for g in grids if g.boundary.covers(point)]
    return min(covering, key=lambda g: g.code) if covering else None


def read_demo(url: str) -> Demo:
    demo = Demo(read_areas(url))
    grids = demo.of("grid")
    members: dict[str, set[int]] = defaultdict(set)
    for eid, lon, lat, industry in read_rows(
        url, "SELECT id, ST_X(location), ST_Y(location), industry FROM enterprise"
    ):
        demo.industry[eid] = industry
        grid = member_grid(grids, Point(lon, lat))
        if grid is not None:
            zone = demo.areas[grid.parent or ""]
            for code in (grid.code, zone.code, zone.parent or ""):
                members[code].add(eid)
    demo.members = dict(members)
    demo.issues = read_rows(url, "SELECT enterprise_id, status, due_date FROM issue")
    demo.visits = read_rows(url, "SELECT enterprise_id, visited_at FROM visit")
    demo.assignments = read_rows(url, ASSIGNMENT_ROWS)
    return demo


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Demo:
    found = read_demo(demo_url)
    assert len(found.of("grid")) == 13
    return found


def listed(
    gql: GraphQL, plural: str, where: dict[str, Any] | None, parent: str | None = None
) -> list[str]:
    """The codes a zones or grids list returns, after checking its totalCount."""
    query = LIST % (plural, PARENT_ARGUMENTS[plural])
    found = gql(query, {"f": where, "parent": parent})["data"][plural]
    codes = [n["code"] for n in found["nodes"]]
    assert found["totalCount"] == len(codes)
    return codes


def codes_where(areas: list[Area], test: Any) -> list[str]:
    return sorted(a.code for a in areas if test(a.boundary))


# --- filters ---------------------------------------------------------------------------------


BOXES = [
    [112.862, 28.672, 112.870, SHARED_BAND_EDGE[1]],  # north edge on a shared grid edge
    [ZONE_EDGE_LON, 28.700, 112.890, 28.702],  # west edge on the zone 001 / 002 edge
    [112.880, 28.690, 112.930, 28.720],
    [WEST - 0.01, SOUTH - 0.01, WEST, SOUTH],  # touches the park's south-west corner only
    [113.000, 28.800, 113.100, 28.900],  # outside
]


@pytest.mark.parametrize("bbox", BOXES, ids=str)
@pytest.mark.parametrize("plural", ["grids", "zones"])
def test_bbox_filter_is_shapely_intersects_edges_included(gql, demo, plural, bbox) -> None:
    expected = codes_where(demo.of(plural[:-1]), box(*bbox).intersects)
    assert listed(gql, plural, {"bbox": bbox}) == expected


def test_bbox_touching_a_shared_edge_returns_the_grid_beyond_it(gql, demo) -> None:
    found = listed(gql, "grids", {"bbox": BOXES[0]})
    assert found == ["430624101001001", "430624101001002"]


def polygon_with_hole_around(area: Area) -> Polygon:
    """The park enlarged, with a hole a little larger than `area`: `area` lies in the hole."""
    hole = area.boundary.buffer(0.001, join_style="mitre")
    return box(WEST - 0.01, SOUTH - 0.01, EAST + 0.01, NORTH + 0.01).difference(hole)


def test_intersects_a_polygon_with_a_hole_leaves_out_the_area_in_the_hole(gql, demo) -> None:
    inner = demo.areas["430624101002002"]
    polygon = polygon_with_hole_around(inner)
    assert len(polygon.interiors) == 1
    expected = codes_where(demo.of("grid"), polygon.intersects)
    assert inner.code not in expected
    assert len(expected) == 12
    assert listed(gql, "grids", {"intersects": mapping(polygon)}) == expected


@pytest.mark.parametrize(
    "geometry",
    [
        Polygon([(112.861, 28.671), (112.939, 28.700), (112.870, 28.729)]),
        MultiPolygon(
            [box(112.861, 28.671, 112.866, 28.676), box(112.935, 28.725, 112.945, 28.735)]
        ),
        LineString([(112.850, 28.700), (112.950, 28.700)]),
        Point(112.900, 28.700),
    ],
    ids=["triangle", "multipolygon", "line", "point"],
)
@pytest.mark.parametrize("plural", ["grids", "zones"])
def test_intersects_filter_matches_shapely(gql, demo, plural, geometry) -> None:
    expected = codes_where(demo.of(plural[:-1]), geometry.intersects)
    assert expected
    assert listed(gql, plural, {"intersects": mapping(geometry)}) == expected


def point_filter(lon: float, lat: float) -> dict[str, Any]:
    return {"containsPoint": {"lon": lon, "lat": lat}}


def test_contains_point_on_a_shared_edge_returns_both_grids_st_covers(gql, demo) -> None:
    point = Point(*SHARED_BAND_EDGE)
    expected = codes_where(demo.of("grid"), lambda b: b.covers(point))
    assert expected == ["430624101001001", "430624101001002"]
    assert listed(gql, "grids", point_filter(*SHARED_BAND_EDGE)) == expected


def test_contains_point_on_a_zone_edge_returns_both_zones_st_covers(gql, demo) -> None:
    point = Point(ZONE_EDGE_LON, 28.700)
    expected = codes_where(demo.of("zone"), lambda b: b.covers(point))
    assert expected == [ZONE_1, ZONE_2]
    assert listed(gql, "zones", point_filter(ZONE_EDGE_LON, 28.700)) == expected


@pytest.mark.parametrize(
    "point",
    [(112.900, 28.700), (ZONE_EDGE_LON, SHARED_BAND_EDGE[1]), (WEST, SOUTH), (113.5, 28.0)],
    ids=["inside", "three-grid-corner", "park-corner", "outside"],
)
@pytest.mark.parametrize("plural", ["grids", "zones"])
def test_contains_point_matches_shapely_covers(gql, demo, plural, point) -> None:
    expected = codes_where(demo.of(plural[:-1]), lambda b: b.covers(Point(*point)))
    assert listed(gql, plural, point_filter(*point)) == expected


def test_parent_and_filter_combine(gql, demo) -> None:
    whole = [WEST, SOUTH, EAST, NORTH]
    assert listed(gql, "grids", {"bbox": whole}, parent=ZONE_2) == sorted(demo.grids_under(ZONE_2))
    on_edge = point_filter(ZONE_EDGE_LON, 28.690)
    edge_point = Point(ZONE_EDGE_LON, 28.690)
    for zone in (ZONE_1, ZONE_2, ZONE_3):
        expected = sorted(
            a.code for a in demo.of("grid") if a.parent == zone and a.boundary.covers(edge_point)
        )
        assert listed(gql, "grids", on_edge, parent=zone) == expected
    assert listed(gql, "zones", on_edge, parent=PARK) == [ZONE_1, ZONE_2]


NESTED = """query ($zf: AreaFilterInput, $gf: AreaFilterInput) { park(code: "%s") {
  zones(filter: $zf) { totalCount nodes { code grids(filter: $gf) { totalCount nodes { code } } } } } }"""


def test_nested_filters_apply_at_each_level(gql, demo) -> None:
    zone_box = [112.880, 28.680, 112.920, 28.690]
    line = LineString([(112.860, 28.7005), (112.940, 28.7005)])
    variables = {"zf": {"bbox": zone_box}, "gf": {"intersects": mapping(line)}}
    zones = gql(NESTED % PARK, variables)["data"]["park"]["zones"]
    expected_zones = codes_where(demo.of("zone"), box(*zone_box).intersects)
    assert [z["code"] for z in zones["nodes"]] == expected_zones
    assert zones["totalCount"] == len(expected_zones) == 3
    for zone in zones["nodes"]:
        expected = sorted(
            a.code
            for a in demo.of("grid")
            if a.parent == zone["code"] and line.intersects(a.boundary)
        )
        assert [g["code"] for g in zone["grids"]["nodes"]] == expected
        assert zone["grids"]["totalCount"] == len(expected) == 1


# --- counts ------------------------------------------------------------------------------------


COUNTS = """query ($since: DateTime!, $industry: String!) {
  %s(first: 500) { nodes { code
    enterpriseCount
    ofIndustry: enterpriseCount(filter: {industry: $industry})
    withOpenIssues: enterpriseCount(filter: {hasOpenIssues: true})
    openIssueCount overdueIssueCount cadreCount visitCount
    recentVisits: visitCount(since: $since) } } }"""


def is_current(start: datetime, end: datetime | None, moment: datetime) -> bool:
    return start <= moment and (end is None or end > moment)


def serving(demo: Demo, code: str, moment: datetime) -> set[int]:
    """Current zone leads over the area, grid leads of its grids, liaisons of its firms."""
    zones, grids, firms = (
        demo.zones_over(code),
        demo.grids_under(code),
        demo.members.get(code, set()),
    )
    found = set()
    for cadre, role, zone, grid, enterprise, start, end in demo.assignments:
        if not is_current(start, end, moment):
            continue
        if (
            (role == "zone_lead" and zone in zones)
            or (role == "grid_lead" and grid in grids)
            or (role == "liaison" and enterprise in firms)
        ):
            found.add(cadre)
    return found


def expected_counts(demo: Demo, code: str, industry: str, since: datetime) -> dict[str, Any]:
    firms = demo.members.get(code, set())
    today = datetime.now(PARK_TZ).date()
    open_issues = [
        (eid, due)
        for eid, status, due in demo.issues
        if eid in firms and status not in OPEN_EXCLUDED
    ]
    return {
        "code": code,
        "enterpriseCount": len(firms),
        "ofIndustry": sum(1 for eid in firms if demo.industry[eid] == industry),
        "withOpenIssues": len({eid for eid, _ in open_issues}),
        "openIssueCount": len(open_issues),
        "overdueIssueCount": sum(1 for _, due in open_issues if due is not None and due < today),
        "cadreCount": len(serving(demo, code, datetime.now(UTC))),
        "visitCount": sum(1 for eid, _ in demo.visits if eid in firms),
        "recentVisits": sum(1 for eid, at in demo.visits if eid in firms and at >= since),
    }


@pytest.mark.parametrize("plural", ["grids", "zones", "parks"])
def test_per_area_counts_match_the_tables(gql, demo, plural) -> None:
    since = datetime.now(UTC) - timedelta(days=100)
    industry = sorted(i for i in demo.industry.values() if i)[0]
    variables = {"since": since.isoformat(), "industry": industry}
    nodes = gql(COUNTS % plural, variables)["data"][plural]["nodes"]
    areas = demo.of(plural[:-1])
    assert [n["code"] for n in nodes] == [a.code for a in areas]
    expected = [expected_counts(demo, a.code, industry, since) for a in areas]
    assert nodes == expected
    # the checks are not vacuous: each count differs from another somewhere
    for key in ("overdueIssueCount", "recentVisits", "ofIndustry", "cadreCount"):
        assert any(e[key] for e in expected), key
    assert any(e["recentVisits"] < e["visitCount"] for e in expected)
    assert any(e["overdueIssueCount"] < e["openIssueCount"] for e in expected)


# --- geometry outputs ----------------------------------------------------------------------------


GEOMETRY = """query ($simplify: Float!) { %s(first: 500) { nodes { code
  boundary(simplify: $simplify) rounded: boundary(precision: 3) centroid
  roundedCentroid: centroid(precision: 2) bbox areaSqM perimeterM } } }"""


def vertex_count(geometry: BaseGeometry) -> int:
    parts = geometry.geoms if hasattr(geometry, "geoms") else [geometry]
    return sum(len(ring.coords) for part in parts for ring in [part.exterior, *part.interiors])


def assert_rfc7946_multipolygon(value: dict[str, Any]) -> MultiPolygon:
    assert value["type"] == "MultiPolygon"
    geometry = shape(value)
    assert isinstance(geometry, MultiPolygon)
    assert geometry.is_valid
    for part in geometry.geoms:
        assert part.exterior.is_ccw
        assert not any(ring.is_ccw for ring in part.interiors)
    return geometry


def assert_simplified(value: dict[str, Any], original: BaseGeometry, meters: float) -> None:
    simplified = assert_rfc7946_multipolygon(value)
    assert vertex_count(simplified) <= vertex_count(original)
    assert simplified.hausdorff_distance(original) <= meters * METRE_IN_DEGREES + 1e-9


def geodesic_m(point: Point, other: Point) -> float:
    distance: float = Geodesic.WGS84.Inverse(point.y, point.x, other.y, other.x)["s12"]
    return distance


def geodesic_measures(geometry: BaseGeometry) -> tuple[float, float]:
    """Area and perimeter on WGS 84 by geographiclib: outer rings add, holes subtract."""
    area = perimeter = 0.0
    for part in geometry.geoms:
        for index, ring in enumerate([part.exterior, *part.interiors]):
            polygon = Geodesic.WGS84.Polygon()
            for lon, lat in ring.coords[:-1]:
                polygon.AddPoint(lat, lon)
            _, length, signed = polygon.Compute(False, True)
            area += abs(signed) if index == 0 else -abs(signed)
            perimeter += length
    return area, perimeter


@pytest.mark.parametrize("plural", ["grids", "zones", "parks"])
def test_geometry_outputs_match_shapely_and_geographiclib(gql, demo, plural) -> None:
    nodes = gql(GEOMETRY % plural, {"simplify": 100.0})["data"][plural]["nodes"]
    assert len(nodes) == len(demo.of(plural[:-1]))
    for node in nodes:
        original = demo.areas[node["code"]].boundary
        assert_simplified(node["boundary"], original, 100.0)
        assert list(node["bbox"]) == list(original.bounds)
        centroid = shape(node["centroid"])
        assert original.contains(centroid), node["code"]
        area, perimeter = geodesic_measures(original)
        # on a few kilometres the geodesic centroid lies within metres of the planar one
        planar = original.centroid
        assert geodesic_m(centroid, planar) <= 0.01 * area**0.5, node["code"]
        assert node["areaSqM"] == pytest.approx(area, rel=1e-3)
        assert node["perimeterM"] == pytest.approx(perimeter, rel=1e-3)


@pytest.mark.parametrize("plural", ["grids", "parks"])
def test_precision_rounds_boundary_and_centroid(gql, demo, plural) -> None:
    nodes = gql(GEOMETRY % plural, {"simplify": 0.0})["data"][plural]["nodes"]
    for node in nodes:
        rounded = node["rounded"]["coordinates"]
        values = [v for polygon in rounded for ring in polygon for point in ring for v in point]
        assert all(round(v, 3) == v for v in values)
        original = shape(node["boundary"])
        assert shape(node["rounded"]).hausdorff_distance(original) <= 0.0005 * 2**0.5 + 1e-12
        lon, lat = node["roundedCentroid"]["coordinates"]
        full_lon, full_lat = node["centroid"]["coordinates"]
        assert (round(lon, 2), round(lat, 2)) == (lon, lat)
        assert abs(lon - full_lon) <= 0.005 + 1e-9 and abs(lat - full_lat) <= 0.005 + 1e-9


@pytest.mark.parametrize(
    ("argument", "field"),
    [
        ("boundary(simplify: -1)", "simplify"),
        ("boundary(simplify: 10001)", "simplify"),
        ("boundary(precision: 16)", "precision"),
        ("boundary(precision: -1)", "precision"),
        ("centroid(precision: 99)", "precision"),
    ],
)
def test_bad_geometry_arguments_are_refused(gql, argument, field) -> None:
    body = gql('{ grid(code: "430624101001001") { %s } }' % argument, ok=False)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


@pytest.mark.parametrize(
    "bbox", [[112.86, 28.67, 112.94], [112.94, 28.67, 112.86, 28.73]], ids=["three", "min>max"]
)
def test_bad_area_bbox_is_refused(gql, bbox) -> None:
    body = gql(LIST % ("grids", "zone"), {"f": {"bbox": bbox}}, ok=False)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.bbox"}


# --- simplification of a detailed boundary (a park of the test's own) ----------------------------


def detailed_park() -> MultiPolygon:
    """A round park of some 2 km radius, 512 vertices, with a round lake in it."""
    outer = Point(113.000, 28.500).buffer(0.02, quad_segs=128)
    lake = Point(113.005, 28.502).buffer(0.005, quad_segs=64)
    return MultiPolygon([Polygon(outer.exterior.coords, [lake.exterior.coords[::-1]])])


@contextmanager
def client_for(url: str) -> Iterator[GraphQL]:
    with app_client(url) as client:
        yield graphql_client(client)


def test_simplify_drops_vertices_keeps_the_hole_and_stays_within_tolerance(
    fresh_demo_url, engine_for
) -> None:
    original = detailed_park()
    with engine_for(fresh_demo_url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO park (code, name, boundary)"
                " VALUES ('ROUND', 'round', ST_GeomFromText(:wkt, 4326))"
            ),
            {"wkt": original.wkt},
        )
    query = """{ park(code: "ROUND") { full: boundary(precision: 15)
        coarse: boundary(simplify: 100, precision: 15) fine: boundary(simplify: 5, precision: 15)
        areaSqM perimeterM } }"""
    with client_for(fresh_demo_url) as run:
        park = run(query)["data"]["park"]
    full = assert_rfc7946_multipolygon(park["full"])
    assert vertex_count(full) == vertex_count(original)
    for key, meters in (("coarse", 100.0), ("fine", 5.0)):
        simplified = shape(park[key])
        assert_simplified(park[key], original, meters)
        assert vertex_count(simplified) < vertex_count(original)
        assert len(simplified.geoms[0].interiors) == 1
    assert vertex_count(shape(park["coarse"])) < vertex_count(shape(park["fine"]))
    area, perimeter = geodesic_measures(original)
    assert park["areaSqM"] == pytest.approx(area, rel=1e-3)
    assert park["perimeterM"] == pytest.approx(perimeter, rel=1e-3)


def test_overdue_count_leaves_out_an_issue_due_today(fresh_demo_url, engine_for) -> None:
    """overdueIssueCount counts open issues due before today in Asia/Shanghai."""
    today = datetime.now(PARK_TZ).date()
    with engine_for(fresh_demo_url).begin() as conn:
        due_today, due_yesterday = conn.execute(
            text(
                "SELECT id FROM issue WHERE status NOT IN ('closed', 'rejected') ORDER BY id LIMIT 2"
            )
        ).scalars()
        conn.execute(
            text("UPDATE issue SET due_date = :d WHERE id = :i"),
            [{"d": today, "i": due_today}, {"d": today - timedelta(days=1), "i": due_yesterday}],
        )
    demo = read_demo(fresh_demo_url)
    assert any(due == today and status not in OPEN_EXCLUDED for _, status, due in demo.issues)
    query = '{ grids(first: 13) { nodes { code overdueIssueCount } } park(code: "%s") { overdueIssueCount } }'
    with client_for(fresh_demo_url) as run:
        data = run(query % PARK)["data"]
    since = datetime.now(UTC)
    for node in data["grids"]["nodes"]:
        expected = expected_counts(demo, node["code"], "", since)["overdueIssueCount"]
        assert node["overdueIssueCount"] == expected, node["code"]
    assert (
        data["park"]["overdueIssueCount"]
        == expected_counts(demo, PARK, "", since)["overdueIssueCount"]
    )

"""enterprises(filter:) at the root and under a grid or zone, each condition checked against
an answer computed here: Shapely on raw coordinates and boundaries, geographiclib for
geodesic distances, Python over plain table reads."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from shapely import wkt
from shapely.geometry import MultiPolygon, Point, box, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import create_engine, text

from tests.conftest import GraphQL, app_client, graphql_client
from tests.helpers import geodesic_m, tolerance

PARK = "430624101"
ZONE_1, ZONE_2 = "430624101001", "430624101002"
GRID_1 = "430624101001001"
CENTRE = (112.900, 28.700)  # the middle of the demo park
COLLATIONS_IN_CODEPOINT_ORDER = ("C", "POSIX", "C.UTF-8", "C.utf8")
MAX_PAGES = 100

ROOT = """query ($f: EnterpriseFilterInput, $o: EnterpriseOrder! = CODE, $first: Int, $after: String) {
  enterprises(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { uscc name distanceMeters } } }"""

IN_AREA = """query ($code: String!, $f: EnterpriseFilterInput, $o: EnterpriseOrder! = CODE, $first: Int, $after: String) {
  %s(code: $code) { enterprises(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { uscc name distanceMeters } } } }"""


@dataclass(frozen=True)
class Firm:
    id: int
    uscc: str
    name: str
    industry: str | None
    lon: float
    lat: float
    grid: str | None
    zone: str | None
    park: str | None
    open_issues: int

    @property
    def point(self) -> Point:
        return Point(self.lon, self.lat)


@dataclass(frozen=True)
class Grid:
    code: str
    zone: str
    park: str
    boundary: BaseGeometry


def read_grids(conn: Any) -> list[Grid]:
    rows = conn.execute(
        text(
            "SELECT g.code, z.code, p.code, ST_AsText(g.boundary) FROM grid g"
            " JOIN zone z ON z.id = g.zone_id JOIN park p ON p.id = z.park_id"
        )
    ).all()
    return [Grid(code, zone, park, wkt.loads(shape)) for code, zone, park, shape in rows]


def covering_grid(grids: list[Grid], point: Point) -> Grid | None:
    """The membership rule, by Shapely: the lowest code among the grids covering the point."""
    covering = sorted((g for g in grids if g.boundary.covers(point)), key=lambda g: g.code)
    return covering[0] if covering else None


def read_firms(url: str) -> list[Firm]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            grids = read_grids(conn)
            open_counts: dict[int, int] = dict(
                conn.execute(
                    text(
                        "SELECT enterprise_id, count(*) FROM issue"
                        " WHERE status NOT IN ('closed', 'rejected') GROUP BY 1"
                    )
                ).all()
            )
            rows = conn.execute(
                text(
                    "SELECT id, uscc, name, industry, ST_X(location), ST_Y(location)"
                    " FROM enterprise"
                )
            ).all()
    finally:
        engine.dispose()
    firms = []
    for eid, uscc, name, industry, lon, lat in rows:
        grid = covering_grid(grids, Point(lon, lat))
        firms.append(
            Firm(
                eid, uscc, name, industry, lon, lat,
                grid.code if grid else None, grid.zone if grid else None,
                grid.park if grid else None, open_counts.get(eid, 0),
            )
        )  # fmt: skip
    return firms


@pytest.fixture(scope="module")
def firms(demo_url: str) -> list[Firm]:
    found = read_firms(demo_url)
    assert len(found) == 216
    return found


def codes(firms: list[Firm]) -> list[str]:
    return sorted(f.uscc for f in firms)


def connection_at(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = body["data"]
    for key in path:
        node = node[key]
    return dict(node)


def walk(
    gql: GraphQL,
    query: str,
    variables: dict[str, Any],
    path: tuple[str, ...] = ("enterprises",),
    first: int = 500,
) -> tuple[set[int], list[dict[str, Any]]]:
    """Every node over all pages, with the totalCounts the pages reported."""
    totals: set[int] = set()
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        found = connection_at(gql(query, {**variables, "first": first, "after": after}), path)
        totals.add(found["totalCount"])
        nodes += found["nodes"]
        if not found["pageInfo"]["hasNextPage"]:
            return totals, nodes
        after = found["pageInfo"]["endCursor"]
    raise AssertionError("paging never ended")


def matching(gql: GraphQL, where: dict[str, Any]) -> list[str]:
    """The usccs the root query returns for a filter, after checking totalCount."""
    totals, nodes = walk(gql, ROOT, {"f": where})
    assert totals == {len(nodes)}
    return [n["uscc"] for n in nodes]


def assert_matches(gql: GraphQL, where: dict[str, Any], expected: list[Firm]) -> None:
    assert matching(gql, where) == codes(expected)


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None or all(v is None for v in body["data"].values())
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


def inside_bbox(firm: Firm, bbox: list[float]) -> bool:
    west, south, east, north = bbox
    return west <= firm.lon <= east and south <= firm.lat <= north


def nearest_to(firms: list[Firm], lon: float, lat: float) -> Firm:
    return min(firms, key=lambda f: geodesic_m(lon, lat, f.lon, f.lat))


# --- bbox ---------------------------------------------------------------------------------


def edge_boxes(firm: Firm, margin: float, shift: float) -> list[list[float]]:
    """Four boxes, each with one edge `shift` degrees outward of the firm's coordinate
    (0: exactly through it) and the firm on the outer side of that edge when shift > 0."""
    x, y, m = firm.lon, firm.lat, margin
    return [
        [x + shift, y - m, x + m, y + m],  # west edge
        [x - m, y - m, x - shift, y + m],  # east edge
        [x - m, y + shift, x + m, y + m],  # south edge
        [x - m, y - m, x + m, y - shift],  # north edge
    ]


def test_bbox_includes_an_enterprise_lying_exactly_on_each_edge(gql, firms) -> None:
    target = nearest_to(firms, *CENTRE)
    for bbox in edge_boxes(target, margin=0.01, shift=0.0):
        expected = [f for f in firms if inside_bbox(f, bbox)]
        assert target in expected
        assert_matches(gql, {"bbox": bbox}, expected)


def test_bbox_excludes_an_enterprise_just_beside_each_edge(gql, firms) -> None:
    target = nearest_to(firms, *CENTRE)
    # 1e-6 degree (about 0.1 m): one step of the demo's 6-decimal coordinates
    for bbox in edge_boxes(target, margin=0.01, shift=1e-6):
        expected = [f for f in firms if inside_bbox(f, bbox)]
        assert target not in expected
        assert_matches(gql, {"bbox": bbox}, expected)


def clear_of_edges(firms: list[Firm], bbox: list[float], margin: float) -> bool:
    """No enterprise lies within `margin` degrees of the box's outline."""
    outline = box(*bbox).exterior
    return all(outline.distance(f.point) > margin for f in firms)


def test_bbox_over_several_zones(gql, firms) -> None:
    bbox = [112.8714, 28.6816, 112.9217, 28.7133]
    assert clear_of_edges(firms, bbox, 1e-4)  # edge precision is tested on its own
    expected = [f for f in firms if inside_bbox(f, bbox)]
    assert len({f.zone for f in expected}) == 3
    assert_matches(gql, {"bbox": bbox}, expected)


def test_bbox_excludes_an_enterprise_a_metre_outside(gql, firms) -> None:
    bbox = [112.871, 28.681, 112.921, 28.713]
    expected = [f for f in firms if inside_bbox(f, bbox)]
    assert any(0 < f.lon - bbox[2] <= 2e-5 and bbox[1] <= f.lat <= bbox[3] for f in firms)
    assert_matches(gql, {"bbox": bbox}, expected)


@pytest.mark.parametrize(
    ("bbox", "code"),
    [
        ([112.86, 28.67, 112.94], "BAD_USER_INPUT"),
        ([112.94, 28.67, 112.86, 28.73], "BAD_USER_INPUT"),
        ([112.86, 28.73, 112.94, 28.67], "BAD_USER_INPUT"),
        ([112.86, 28.67, 112.94, 100.0], "INVALID_GEOMETRY"),
    ],
    ids=["three-numbers", "west-above-east", "south-above-north", "latitude-100"],
)
def test_bad_bbox_is_refused_with_a_code(gql, bbox, code) -> None:
    extensions = error_of(gql(ROOT, {"f": {"bbox": bbox}}, ok=False))
    assert extensions == {"code": code, "field": "filter.bbox"}


# --- intersects ---------------------------------------------------------------------------


def test_intersects_a_polygon_with_a_hole_skips_the_hole(gql, firms) -> None:
    in_hole = nearest_to([f for f in firms if f.zone == ZONE_2], *CENTRE)
    hole = box(in_hole.lon - 0.002, in_hole.lat - 0.002, in_hole.lon + 0.002, in_hole.lat + 0.002)
    outer = box(112.889, 28.672, 112.911, 28.728)
    polygon = outer.difference(hole)
    assert len(polygon.interiors) == 1
    expected = [f for f in firms if polygon.intersects(f.point)]
    assert in_hole not in expected
    assert any(outer.contains(f.point) for f in expected)
    assert_matches(gql, {"intersects": mapping(polygon)}, expected)


def test_intersects_a_multipolygon_takes_every_part(gql, firms) -> None:
    parts = [box(112.865, 28.675, 112.880, 28.690), box(112.920, 28.710, 112.935, 28.725)]
    shape = MultiPolygon(parts)
    expected = [f for f in firms if shape.intersects(f.point)]
    assert all(any(part.contains(f.point) for f in expected) for part in parts)
    assert_matches(gql, {"intersects": mapping(shape)}, expected)


def test_bowtie_polygon_is_refused_as_invalid_geometry(gql) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[112.87, 28.68], [112.91, 28.72], [112.91, 28.68], [112.87, 28.72],
                         [112.87, 28.68]]],
    }  # fmt: skip
    extensions = error_of(gql(ROOT, {"f": {"intersects": bowtie}}, ok=False))
    assert extensions == {"code": "INVALID_GEOMETRY", "field": "filter.intersects"}


# --- near -----------------------------------------------------------------------------------


def within(firms: list[Firm], lon: float, lat: float, meters: float) -> list[Firm]:
    return [f for f in firms if geodesic_m(lon, lat, f.lon, f.lat) <= meters]


def test_near_radius_half_a_metre_either_side_of_an_enterprise(gql, firms) -> None:
    lon, lat = CENTRE
    ranked = sorted(firms, key=lambda f: geodesic_m(lon, lat, f.lon, f.lat))
    target = ranked[7]
    distance = geodesic_m(lon, lat, target.lon, target.lat)
    for meters, included in ((distance + 0.5, True), (distance - 0.5, False)):
        expected = within(firms, lon, lat, meters)
        assert (target in expected) is included
        near = {"lon": lon, "lat": lat, "meters": meters}
        assert_matches(gql, {"near": near}, expected)


def test_near_reports_geodesic_distance_of_each_match(gql, firms) -> None:
    lon, lat = CENTRE
    _, nodes = walk(gql, ROOT, {"f": {"near": {"lon": lon, "lat": lat, "meters": 2500.0}}})
    by_code = {f.uscc: f for f in firms}
    assert nodes
    for node in nodes:
        firm = by_code[node["uscc"]]
        expected = geodesic_m(lon, lat, firm.lon, firm.lat)
        assert abs(node["distanceMeters"] - expected) <= tolerance(expected)


def test_without_near_distance_is_null(gql) -> None:
    _, nodes = walk(gql, ROOT, {"f": {"zone": ZONE_1}})
    assert nodes
    assert all(node["distanceMeters"] is None for node in nodes)


def test_negative_near_radius_is_refused(gql) -> None:
    near = {"lon": CENTRE[0], "lat": CENTRE[1], "meters": -1.0}
    extensions = error_of(gql(ROOT, {"f": {"near": near}}, ok=False))
    assert extensions == {"code": "BAD_USER_INPUT", "field": "near"}


# --- areas, industry, issues --------------------------------------------------------------


def test_park_zone_and_grid_codes_follow_the_shapely_membership(gql, firms) -> None:
    for field, code in (("park", PARK), ("zone", ZONE_2), ("grid", GRID_1)):
        expected = [f for f in firms if getattr(f, field) == code]
        assert len(expected) > 0
        assert_matches(gql, {field: code}, expected)
    assert matching(gql, {"park": PARK}) == codes(firms)


def test_unknown_area_code_matches_nothing(gql) -> None:
    assert matching(gql, {"zone": "nope"}) == []


def test_industry(gql, firms) -> None:
    industries = sorted({f.industry for f in firms if f.industry})
    assert len(industries) > 1
    for industry in industries[:3]:
        assert_matches(gql, {"industry": industry}, [f for f in firms if f.industry == industry])


def test_has_open_issues_true_and_false_split_all_enterprises(gql, firms) -> None:
    with_open = [f for f in firms if f.open_issues > 0]
    without = [f for f in firms if f.open_issues == 0]
    assert with_open and without
    assert_matches(gql, {"hasOpenIssues": True}, with_open)
    assert_matches(gql, {"hasOpenIssues": False}, without)


# --- withoutLiaison (on a database of the test's own) --------------------------------------


@contextmanager
def client_for(url: str) -> Iterator[GraphQL]:
    with app_client(url) as client:
        yield graphql_client(client)


def current_liaison_holders(conn: Any, moment: datetime) -> set[int]:
    rows = conn.execute(
        text("SELECT enterprise_id, valid_from, valid_to FROM assignment WHERE role = 'liaison'")
    ).all()
    return {eid for eid, start, end in rows if start <= moment and (end is None or end > moment)}


def test_without_liaison_finds_the_enterprise_whose_liaison_ended(
    fresh_demo_url, engine_for
) -> None:
    engine = engine_for(fresh_demo_url)
    with engine.begin() as conn:
        ended = conn.execute(
            text(
                "UPDATE assignment SET valid_to = now() WHERE id = (SELECT min(id) FROM assignment"
                " WHERE role = 'liaison' AND valid_to IS NULL) RETURNING enterprise_id"
            )
        ).scalar_one()
    firms = read_firms(fresh_demo_url)
    with engine.connect() as conn:
        holders = current_liaison_holders(conn, datetime.now(UTC))
    orphans = [f for f in firms if f.id not in holders]
    assert [f.id for f in orphans] == [ended]
    with client_for(fresh_demo_url) as run:
        assert_matches(run, {"withoutLiaison": True}, orphans)
        assert_matches(run, {"withoutLiaison": False}, [f for f in firms if f.id in holders])
        assert_matches(run, {"withoutLiaison": True, "zone": orphans[0].zone}, orphans)


def test_without_liaison_is_empty_when_everyone_is_covered(gql, firms, demo_url) -> None:
    engine = create_engine(demo_url)
    try:
        with engine.connect() as conn:
            holders = current_liaison_holders(conn, datetime.now(UTC))
    finally:
        engine.dispose()
    assert_matches(gql, {"withoutLiaison": True}, [f for f in firms if f.id not in holders])
    assert_matches(gql, {"withoutLiaison": False}, [f for f in firms if f.id in holders])


# --- search -----------------------------------------------------------------------------------


def searched(firms: list[Firm], needle: str) -> list[Firm]:
    lowered = needle.lower()
    return [f for f in firms if lowered in f.name.lower() or lowered in f.uscc.lower()]


def test_search_by_a_name_substring(gql, firms) -> None:
    needle = sorted(firms, key=lambda f: f.uscc)[0].name[2:4]
    expected = searched(firms, needle)
    assert 0 < len(expected) < len(firms)
    assert_matches(gql, {"search": needle}, expected)


def test_search_by_a_code_substring_ignores_case(gql, firms) -> None:
    needle = sorted(firms, key=lambda f: f.uscc)[5].uscc[9:15].lower()
    expected = searched(firms, needle)
    assert 0 < len(expected) < len(firms)
    assert_matches(gql, {"search": needle}, expected)


def test_search_matches_percent_and_underscore_literally(fresh_demo_url, engine_for) -> None:
    engine = engine_for(fresh_demo_url)
    with engine.begin() as conn:
        first, second = conn.execute(
            text("SELECT id FROM enterprise ORDER BY id LIMIT 2")
        ).scalars()
        conn.execute(
            text("UPDATE enterprise SET name = :n WHERE id = :i"),
            [{"n": "演示100%控股有限公司", "i": first}, {"n": "演示A_B物流有限公司", "i": second}],
        )
    firms = read_firms(fresh_demo_url)
    with client_for(fresh_demo_url) as run:
        for needle in ("%", "0%控", "_", "A_B", "%_"):
            expected = searched(firms, needle)
            assert len(expected) <= 1
            assert_matches(run, {"search": needle}, expected)
    assert [f.id for f in searched(firms, "%")] == [first]
    assert [f.id for f in searched(firms, "_")] == [second]


# --- combined, ordered, paged -------------------------------------------------------------


def test_filters_combine_with_and(gql, firms) -> None:
    lon, lat = CENTRE
    bbox = [112.870, 28.675, 112.930, 28.725]
    near = {"lon": lon, "lat": lat, "meters": 3000.0}
    candidates = [f for f in firms if f.zone == ZONE_2 and inside_bbox(f, bbox)]
    industry = max(
        {f.industry for f in candidates},
        key=lambda i: sum(1 for f in candidates if f.industry == i),
    )
    where = {
        "zone": ZONE_2,
        "bbox": bbox,
        "near": near,
        "industry": industry,
        "hasOpenIssues": False,
    }
    expected = [
        f
        for f in within(candidates, lon, lat, 3000.0)
        if f.industry == industry and not f.open_issues
    ]
    assert expected
    assert_matches(gql, where, expected)
    # and each condition does narrow: dropping one widens the answer
    assert len(matching(gql, {k: v for k, v in where.items() if k != "industry"})) > len(expected)


def collation(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found: str = conn.execute(
                text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
    finally:
        engine.dispose()
    return found


def expected_order(firms: list[Firm], order: str, lon: float, lat: float) -> list[str]:
    keys: dict[str, Callable[[Firm], Any]] = {
        "CODE": lambda f: f.uscc,
        "NAME": lambda f: (f.name, f.uscc),
        "DISTANCE": lambda f: (geodesic_m(lon, lat, f.lon, f.lat), f.uscc),
    }
    return [f.uscc for f in sorted(firms, key=keys[order])]


def check_paged(
    nodes: list[dict[str, Any]], expected: list[Firm], order: str, names_in_order: bool
) -> None:
    lon, lat = CENTRE
    got = [n["uscc"] for n in nodes]
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == {f.uscc for f in expected}
    if order != "NAME" or names_in_order:
        assert got == expected_order(expected, order, lon, lat)
    if order == "DISTANCE":
        by_code = {f.uscc: f for f in expected}
        for node in nodes:
            firm = by_code[node["uscc"]]
            distance = geodesic_m(lon, lat, firm.lon, firm.lat)
            assert abs(node["distanceMeters"] - distance) <= tolerance(distance)


@pytest.mark.parametrize("order", ["CODE", "NAME", "DISTANCE"])
def test_paging_returns_each_match_once_in_order(gql, firms, demo_url, order) -> None:
    lon, lat = CENTRE
    near = {"lon": lon, "lat": lat, "meters": 4000.0}
    expected = within(firms, lon, lat, 4000.0)
    first = 9
    totals, nodes = walk(gql, ROOT, {"f": {"near": near}, "o": order}, first=first)
    assert totals == {len(expected)}
    assert len(expected) > 5 * first
    check_paged(nodes, expected, order, collation(demo_url) in COLLATIONS_IN_CODEPOINT_ORDER)


@pytest.mark.parametrize(("kind", "code"), [("grid", GRID_1), ("zone", ZONE_2)])
@pytest.mark.parametrize("order", ["CODE", "NAME", "DISTANCE"])
def test_paging_inside_an_area(gql, firms, demo_url, kind, code, order) -> None:
    lon, lat = CENTRE
    where = {"near": {"lon": lon, "lat": lat, "meters": 20_000.0}}
    expected = [f for f in firms if getattr(f, kind) == code]
    totals, nodes = walk(
        gql, IN_AREA % kind, {"code": code, "f": where, "o": order}, (kind, "enterprises"), first=4
    )
    assert totals == {len(expected)}
    check_paged(nodes, expected, order, collation(demo_url) in COLLATIONS_IN_CODEPOINT_ORDER)


def test_area_enterprises_apply_the_filter_within_the_area(gql, firms) -> None:
    bbox = [112.862, 28.672, 112.900, 28.700]
    industry = sorted({f.industry for f in firms if f.industry})[0]
    for kind, code in (("grid", GRID_1), ("zone", ZONE_1), ("zone", ZONE_2)):
        for where, keep in (
            ({"bbox": bbox}, lambda f: inside_bbox(f, bbox)),
            ({"industry": industry}, lambda f: f.industry == industry),
            ({"hasOpenIssues": True}, lambda f: f.open_issues > 0),
            ({"grid": GRID_1}, lambda f: f.grid == GRID_1),
        ):
            expected = [f for f in firms if getattr(f, kind) == code and keep(f)]
            totals, nodes = walk(
                gql, IN_AREA % kind, {"code": code, "f": where}, (kind, "enterprises")
            )
            assert totals == {len(expected)}, (kind, code, where)
            assert [n["uscc"] for n in nodes] == codes(expected), (kind, code, where)


def test_distance_order_without_near_is_refused(gql) -> None:
    extensions = error_of(gql(ROOT, {"f": {"zone": ZONE_1}, "o": "DISTANCE"}, ok=False))
    assert extensions == {"code": "BAD_USER_INPUT", "field": "orderBy"}
    body = gql(IN_AREA % "grid", {"code": GRID_1, "o": "DISTANCE"}, ok=False)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "orderBy"}


def test_page_count_matches_the_page_size(gql, firms) -> None:
    expected = [f for f in firms if f.zone == ZONE_1]
    first = 10
    pages = 0
    after = None
    while True:
        found = gql(ROOT, {"f": {"zone": ZONE_1}, "first": first, "after": after})["data"][
            "enterprises"
        ]
        pages += 1
        assert len(found["nodes"]) <= first
        if not found["pageInfo"]["hasNextPage"]:
            break
        assert len(found["nodes"]) == first
        after = found["pageInfo"]["endCursor"]
    assert pages == max(1, math.ceil(len(expected) / first))

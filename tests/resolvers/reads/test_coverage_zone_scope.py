"""A zone's coverage report is the park's report restricted to that zone, on a park the report
was not designed around, with the answers computed independently by Shapely.

The park: two zones split by a meridian, each filled with Voronoi grids (codes interleaved
between the zones, so the lowest-code rule sends edge points either way), one extra grid
G-00 of Z2 straddling the zone line (it overlaps grids of both zones and leaks into Z1), and
a strip along the top of both zones that no grid covers. Enterprises sit on every grid vertex
and at the midpoint of every grid edge (inside a zone, on the zone line, where three or more
grids of one or both zones meet), at every Voronoi seed (interiors), in the uncovered strip
(one of them on the zone line) and outside the park.

Coordinates are built on a dyadic lattice (steps of 2^-16 degree from a dyadic origin) with
grid vertices on even steps, so every vertex and every edge midpoint is an exact double: the
points lie exactly on the edges in Shapely and in PostGIS alike (checked with plain SQL)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, box
from shapely.ops import unary_union, voronoi_diagram
from sqlalchemy import Connection, create_engine, text
from starlette.testclient import TestClient

from geo.shape import as_multipolygon, to_ewkb
from tests.conftest import Databases, GraphQL, app_client, graphql_client
from tests.resolvers.conftest import add_enterprise, code
from tests.schema.coverage_park import assign, cadre

OX, OY = 112.90625, 28.703125  # dyadic origin: lattice points are exact doubles
UNIT = 2.0**-16  # degrees per lattice step (about 1.6 m)
SIDE = 1024  # steps: grids fill [0, SIDE] in y; Z1 is x in [0, SIDE], Z2 x in [SIDE, 2 SIDE]
STRIP = 64  # steps above the grids where only the zones reach
SEEDS = 7  # Voronoi seeds per zone
ZONES = ("Z1", "Z2")
Lattice = tuple[float, float]


def degrees(geometry: Any) -> Any:
    """Lattice coordinates to lon/lat; exact, as UNIT is a power of two and OX, OY dyadic."""
    return shapely.transform(geometry, lambda xy: xy * UNIT + (OX, OY))


def seeds(rng: random.Random, x0: int) -> list[Lattice]:
    chosen: list[Lattice] = []
    while len(chosen) < SEEDS:
        x, y = x0 + 2 * rng.randrange(32, SIDE // 2 - 32), 2 * rng.randrange(32, SIDE // 2 - 32)
        if all(abs(x - a) + abs(y - b) >= 200 for a, b in chosen):
            chosen.append((x, y))
    return chosen


def voronoi_grids(points: list[Lattice], x0: int) -> list[Polygon]:
    """One cell per seed (in the seeds' order), clipped to the zone's grid area, vertices
    rounded to even steps (pointwise, so a vertex two cells share stays shared)."""
    area = box(x0, 0, x0 + SIDE, SIDE)
    diagram = voronoi_diagram(MultiPoint(points), envelope=area)
    cells = [
        shapely.set_precision(cell.intersection(area), 2.0, mode="pointwise")
        for cell in diagram.geoms
    ]
    ordered = [next(c for c in cells if c.contains(Point(p))) for p in points]
    assert all(c.is_valid for c in ordered)
    assert sum(c.area for c in ordered) == area.area  # a tiling: no overlap, no gap
    assert unary_union(ordered).symmetric_difference(area).area == 0
    return ordered


def corners_and_midpoints(polygon: Polygon) -> set[Lattice]:
    ring = list(polygon.exterior.coords)
    found: set[Lattice] = set()
    for (x1, y1), (x2, y2) in pairwise(ring):
        found |= {(x1, y1), ((x1 + x2) / 2, (y1 + y2) / 2)}
    return found


@dataclass(frozen=True)
class Park:
    """The stored park in lon/lat, and the expected answers derived from it with Shapely."""

    zones: dict[str, Polygon]  # code: boundary
    grids: dict[str, tuple[str, Polygon]]  # code: (zone code, boundary)
    points: dict[str, Point]  # uscc: location
    liaised: frozenset[str]  # usccs with a liaison

    def covering(self, uscc: str) -> list[str]:
        point = self.points[uscc]
        return sorted(c for c, (_, g) in self.grids.items() if g.covers(point))

    def member(self, uscc: str) -> str | None:
        return min(self.covering(uscc), default=None)

    def zone_of(self, uscc: str) -> str | None:
        """The zone whose report holds the enterprise: its member grid's zone; for one outside
        every grid, the lowest-code zone covering it; None outside the park."""
        member = self.member(uscc)
        if member is not None:
            return self.grids[member][0]
        point = self.points[uscc]
        return min((z for z, g in self.zones.items() if g.covers(point)), default=None)

    def firms(self, zone: str | None) -> list[str]:
        inside = [u for u in sorted(self.points) if self.zone_of(u) is not None]
        return [u for u in inside if zone is None or self.zone_of(u) == zone]

    def grid_codes(self, zone: str | None) -> list[str]:
        return sorted(c for c, (z, _) in self.grids.items() if zone is None or z == zone)

    def overlaps(self, zone: str | None) -> list[tuple[str, str]]:
        mine = set(self.grid_codes(zone))
        return [
            (a, b)
            for a in sorted(self.grids)
            for b in sorted(self.grids)
            if a < b
            and {a, b} & mine
            and self.grids[a][1].relate_pattern(self.grids[b][1], "2********")
        ]


def build(url: str) -> Park:
    rng = random.Random(20_240_611)
    by_zone = {"Z1": seeds(rng, 0), "Z2": seeds(rng, SIDE)}
    lattice: dict[str, tuple[str, Polygon]] = {
        "G-00": ("Z2", box(SIDE - 40, 200, SIDE + 40, 280))  # straddles the zone line
    }
    for first, zone in enumerate(ZONES, start=1):  # Z1: G-01, G-03...; Z2: G-02, G-04...
        cells = voronoi_grids(by_zone[zone], SIDE * (first - 1))
        lattice |= {f"G-{first + 2 * i:02d}": (zone, cell) for i, cell in enumerate(cells)}
    spots = set().union(*(corners_and_midpoints(g) for _, g in lattice.values()))
    spots |= {p for ps in by_zone.values() for p in ps}  # interiors
    spots |= {(SIDE, 6), (SIDE, 334), (SIDE, 770)}  # more of the zone line
    spots |= {(100, SIDE + 32), (SIDE, SIDE + 32), (SIDE + 300, SIDE + 32)}  # no grid there
    spots |= {(-20, 500)}  # outside the park
    top = SIDE + STRIP
    zones = {"Z1": degrees(box(0, 0, SIDE, top)), "Z2": degrees(box(SIDE, 0, 2 * SIDE, top))}
    grids = {c: (z, degrees(g)) for c, (z, g) in lattice.items()}
    points = {code(n): degrees(Point(p)) for n, p in enumerate(sorted(spots), start=1)}
    engine = create_engine(url)
    with engine.begin() as conn:
        park = add_area(conn, "park", "P", degrees(box(0, 0, 2 * SIDE, top)))
        ids = {z: add_area(conn, "zone", z, zones[z], park) for z in ZONES}
        for grid_code, (zone, boundary) in grids.items():
            add_area(conn, "grid", grid_code, boundary, ids[zone])
        firms = {
            uscc: add_enterprise(conn, n, p.x, p.y)
            for n, (uscc, p) in enumerate(points.items(), start=1)
        }
        liaison = cadre(conn, "Liaison")
        liaised = frozenset(sorted(firms)[::3])
        for uscc in liaised:
            assign(conn, liaison, "liaison", "enterprise_id", firms[uscc])
    engine.dispose()
    return Park(zones, grids, points, liaised)


def add_area(conn: Connection, table: str, code_: str, boundary: Polygon, parent: int = 0) -> int:
    """The area stored from EWKB: the very doubles Shapely tests against."""
    column, value = {"park": ("", ""), "zone": (", park_id", ", :parent")}.get(
        table, (", zone_id", ", :parent")
    )
    statement = (
        f"INSERT INTO {table} (code, name, boundary{column})"
        f" VALUES (:code, :code, ST_GeomFromEWKB(:wkb){value}) RETURNING id"
    )
    wkb = to_ewkb(as_multipolygon(boundary))
    params = {"code": code_, "wkb": wkb, "parent": parent}
    return int(conn.execute(text(statement), params).scalar_one())


@pytest.fixture(scope="module")
def built(databases: Databases, empty_template: str) -> Iterator[tuple[Park, str]]:
    url = databases.url(databases.create(template=empty_template))
    yield build(url), url


@pytest.fixture(scope="module")
def client(built: tuple[Park, str]) -> Iterator[TestClient]:
    with app_client(built[1]) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def park(built: tuple[Park, str]) -> Park:
    return built[0]


REPORT = """query($zone: String) { coverage(park: "P", zone: $zone) {
  totals { zones grids enterprises onBoundary withoutLiaison enterprisesOnBoundary
           enterprisesOutsideGrids enterprisesWithoutLiaison overlaps gaps gridsOutsideZone }
  enterprisesOnBoundary { uscc gridCode coveringGrids }
  enterprisesOutsideGrids { uscc gridCode }
  enterprisesWithoutLiaison { uscc gridCode }
  overlaps { first second }
  gaps { code }
  gridsOutsideZone { code within }
  grids { code zoneCode enterprises onBoundary withoutLiaison }
  workload { perLiaison { loads { name enterprises } } }
} }"""


def report(client: TestClient, zone: str | None) -> dict[str, Any]:
    run: GraphQL = graphql_client(client)
    found: dict[str, Any] = run(REPORT, {"zone": zone})["data"]["coverage"]
    return found


COVERS = """
SELECT e.uscc, array_remove(array_agg(g.code ORDER BY g.code), NULL) AS covering,
    (SELECT code FROM grid WHERE id = e.grid_id) AS member
FROM enterprise e LEFT JOIN grid g ON ST_Covers(g.boundary, e.location)
GROUP BY e.id, e.uscc
"""


def test_stored_points_lie_where_shapely_says(park: Park, built: tuple[Park, str]) -> None:
    """Plain SQL agrees with Shapely on every point, and the park has each kind of point."""
    engine = create_engine(built[1])
    with engine.connect() as conn:
        stored = {r.uscc: (list(r.covering), r.member) for r in conn.execute(text(COVERS))}
    engine.dispose()
    assert stored == {u: (park.covering(u), park.member(u)) for u in park.points}
    zones_of = {u: {park.grids[c][0] for c in park.covering(u)} for u in park.points}
    kinds = {
        "interior": [u for u in park.points if len(park.covering(u)) == 1],
        "edge in a zone": [u for u, z in zones_of.items() if len(z) == 1 and len(park.covering(u)) == 2],
        "both zones": [u for u, z in zones_of.items() if len(z) == 2],
        "3+ grids, both zones": [u for u, z in zones_of.items() if len(z) == 2 < len(park.covering(u))],
        "3+ grids, one zone": [u for u, z in zones_of.items() if len(z) == 1 < 3 <= len(park.covering(u))],
        "zone line member of Z1": [u for u, z in zones_of.items() if len(z) == 2 and park.zone_of(u) == "Z1"],
        "zone line member of Z2": [u for u, z in zones_of.items() if len(z) == 2 and park.zone_of(u) == "Z2"],
        "no grid, in the park": [u for u in park.points if not park.covering(u) and park.zone_of(u)],
        "outside the park": [u for u in park.points if park.zone_of(u) is None],
    }  # fmt: skip
    assert all(kinds.values()), {k: len(v) for k, v in kinds.items()}


def expected(park: Park, zone: str | None) -> dict[str, Any]:
    """The report's figures for the scope, from Shapely alone."""
    firms = park.firms(zone)
    shared = [u for u in firms if len(park.covering(u)) >= 2]
    outside = [u for u in firms if park.member(u) is None]
    unliaised = [u for u in firms if u not in park.liaised]

    def members(grid: str, among: list[str]) -> int:
        return sum(park.member(u) == grid for u in among)

    grid_codes = park.grid_codes(zone)
    leaks = [c for c in grid_codes if not park.zones[park.grids[c][0]].covers(park.grids[c][1])]
    overlaps = park.overlaps(zone)
    return {
        "totals": {
            "zones": 1 if zone else len(ZONES),
            "grids": len(grid_codes),
            "enterprises": len(firms),
            "onBoundary": len(shared),
            "withoutLiaison": len(unliaised),
            "enterprisesOnBoundary": len(shared),
            "enterprisesOutsideGrids": len(outside),
            "enterprisesWithoutLiaison": len(unliaised),
            "overlaps": len(overlaps),
            "gaps": 1 if zone else len(ZONES),  # the strip no grid reaches, in every zone
            "gridsOutsideZone": len(leaks),
        },
        "enterprisesOnBoundary": [
            {"uscc": u, "gridCode": park.member(u), "coveringGrids": park.covering(u)}
            for u in shared
        ],
        "enterprisesOutsideGrids": [{"uscc": u, "gridCode": None} for u in outside],
        "enterprisesWithoutLiaison": [{"uscc": u, "gridCode": park.member(u)} for u in unliaised],
        "overlaps": [{"first": a, "second": b} for a, b in overlaps],
        "gaps": [{"code": z} for z in ZONES if zone in (None, z)],
        "gridsOutsideZone": [{"code": c, "within": park.grids[c][0]} for c in leaks],
        "grids": [
            {
                "code": c,
                "zoneCode": park.grids[c][0],
                "enterprises": members(c, firms),
                "onBoundary": members(c, shared),
                "withoutLiaison": members(c, unliaised),
            }
            for c in grid_codes
        ],
        "workload": {
            "perLiaison": {
                "loads": [{"name": "Liaison", "enterprises": len(firms) - len(unliaised)}]
            }
        },
    }


@pytest.mark.parametrize("zone", [None, *ZONES])
def test_report_matches_shapely(client: TestClient, park: Park, zone: str | None) -> None:
    found, wanted = report(client, zone), expected(park, zone)
    for key in wanted:
        assert found[key] == wanted[key], key


def restricted(whole: dict[str, Any], zone: str, park: Park) -> dict[str, Any]:
    """The park report's lists cut down to the zone, by the definition: its grids, and the
    enterprises whose member grid (or, outside every grid, whose zone) is in it."""
    grids = set(park.grid_codes(zone))

    def firms(key: str) -> list[dict[str, Any]]:
        return [f for f in whole[key] if park.zone_of(f["uscc"]) == zone]

    return {
        "grids": [g for g in whole["grids"] if g["code"] in grids],
        "enterprisesOnBoundary": firms("enterprisesOnBoundary"),
        "enterprisesOutsideGrids": firms("enterprisesOutsideGrids"),
        "enterprisesWithoutLiaison": firms("enterprisesWithoutLiaison"),
        "overlaps": [o for o in whole["overlaps"] if {o["first"], o["second"]} & grids],
        "gaps": [g for g in whole["gaps"] if g["code"] == zone],
        "gridsOutsideZone": [g for g in whole["gridsOutsideZone"] if g["code"] in grids],
    }


def test_zone_report_is_the_park_report_restricted(client: TestClient, park: Park) -> None:
    whole = report(client, None)
    parts = {zone: report(client, zone) for zone in ZONES}
    for zone, part in parts.items():
        cut = restricted(whole, zone, park)
        assert {key: part[key] for key in cut} == cut, zone
        assert part["totals"]["onBoundary"] == sum(g["onBoundary"] for g in cut["grids"])
    additive = ("grids", "enterprises", "onBoundary", "withoutLiaison", "enterprisesOnBoundary",
                "enterprisesOutsideGrids", "enterprisesWithoutLiaison", "gaps", "gridsOutsideZone")  # fmt: skip
    for key in additive:
        assert sum(p["totals"][key] for p in parts.values()) == whole["totals"][key], key
    # a pair of grids of two zones is a defect of both zones' grids: in both reports
    assert sum(p["totals"]["overlaps"] for p in parts.values()) > whole["totals"]["overlaps"]
    assert sorted(g["code"] for p in parts.values() for g in p["grids"]) == park.grid_codes(None)


@pytest.mark.parametrize("zone", ZONES)
def test_geojson_layers_with_zone(client: TestClient, park: Park, zone: str) -> None:
    wanted = expected(park, zone)

    def features(layer: str) -> list[dict[str, Any]]:
        response = client.get(f"/coverage/P/{layer}.geojson", params={"zone": zone})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["features"]
        return found

    on_boundary = [
        {
            "uscc": f["id"],
            "gridCode": f["properties"]["grid_code"],
            "coveringGrids": f["properties"]["covering_grids"],
        }
        for f in features("enterprises-on-boundary")
    ]
    assert on_boundary == wanted["enterprisesOnBoundary"]
    for f in features("enterprises-on-boundary"):
        assert Point(f["geometry"]["coordinates"]).distance(park.points[f["id"]]) < 1e-7
    grids = [
        {
            "code": f["id"],
            "zoneCode": f["properties"]["zone_code"],
            "enterprises": f["properties"]["enterprises"],
            "onBoundary": f["properties"]["on_boundary"],
            "withoutLiaison": f["properties"]["without_liaison"],
        }
        for f in features("grids")
    ]
    assert grids == wanted["grids"]
    outside = [f["id"] for f in features("enterprises-outside-grids")]
    assert outside == [f["uscc"] for f in wanted["enterprisesOutsideGrids"]]

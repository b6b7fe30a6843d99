"""`coverage`: a hand-made park with exactly one of each defect, and the demo park.

The hand-made park is described in tests/schema/coverage_park.py."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from shapely.geometry import shape
from sqlalchemy import create_engine, text

from parkgrid.demo.geometry import PARK_CODE
from tests.conftest import GraphQL
from tests.resolvers.conftest import X0, Y0, D, code
from tests.schema.coverage_park import build, client_for

REPORT = """query($park: String!, $zone: String, $gap: Float, $max: Int) {
  coverage(park: $park, zone: $zone, minGapSqM: $gap, maxPerLiaison: $max) {
    park zone minGapSqM
    totals { zones grids enterprises openIssues zonesWithoutLead gridsWithoutLead
             enterprisesWithoutLiaison enterprisesOutsideGrids enterprisesOnBoundary overlaps
             gaps gridsOutsideZone zonesOutsidePark overloaded underloaded }
    zonesWithoutLead { code }
    gridsWithoutLead { code }
    enterprisesWithoutLiaison { uscc name gridCode location }
    enterprisesOutsideGrids { uscc gridCode location }
    enterprisesOnBoundary { uscc gridCode coveringGrids }
    overlaps { first second areaSqM geometry }
    gaps { code within areaSqM geometry }
    gridsOutsideZone { code within areaSqM geometry }
    zonesOutsidePark { code within areaSqM }
    workload {
      maxPerLiaison minPerLiaison
      perLiaison { cadres min median max loads { name enterprises } }
      perGridLead { cadres min median max loads { name enterprises } }
      overloaded { name enterprises }
      underloaded { name }
    }
    grids { code zoneCode hasLead enterprises withoutLiaison onBoundary openIssues }
  }
}"""


def report(run: GraphQL, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = run(REPORT, variables)["data"]["coverage"]
    return found


@pytest.fixture
def small(empty_url: str) -> Iterator[GraphQL]:
    build(empty_url)
    with client_for(empty_url) as run:
        yield run


def strip_sq_m(cells_wide: float, cells_high: float = 1.0, lat_cells: float = 0.5) -> float:
    """Spherical estimate of a cell strip's area (within 0.5 % of the spheroid here)."""
    lat = math.radians(Y0 + lat_cells * D)
    metres_per_degree = 111_320.0
    width = cells_wide * D * metres_per_degree * math.cos(lat)
    return width * cells_high * D * 110_900.0


def bounds(geometry: dict[str, Any]) -> tuple[float, ...]:
    """The geometry's bounding box in cells from (X0, Y0)."""
    origin = (X0, Y0) * 2
    return tuple(round((v - o) / D, 6) for v, o in zip(shape(geometry).bounds, origin, strict=True))


def test_small_park_finds_exactly_its_defects(small: GraphQL) -> None:
    found = report(small, park="P", max=2)
    assert found["totals"] == {
        "zones": 2,
        "grids": 4,
        "enterprises": 6,
        "openIssues": 1,
        "zonesWithoutLead": 1,
        "gridsWithoutLead": 1,
        "enterprisesWithoutLiaison": 1,
        "enterprisesOutsideGrids": 1,
        "enterprisesOnBoundary": 1,
        "overlaps": 1,
        "gaps": 1,
        "gridsOutsideZone": 1,
        "zonesOutsidePark": 0,
        "overloaded": 1,
        "underloaded": 0,
    }
    assert found["zonesWithoutLead"] == [{"code": "Z2"}]
    assert found["gridsWithoutLead"] == [{"code": "G-D"}]
    assert found["enterprisesWithoutLiaison"] == [
        {
            "uscc": code(6),
            "name": "E6",
            "gridCode": "G-D",
            "location": {"type": "Point", "coordinates": [round(X0 + 2.8 * D, 7), 28.705]},
        }
    ]
    [outside] = found["enterprisesOutsideGrids"]
    assert (outside["uscc"], outside["gridCode"]) == (code(3), None)
    assert outside["location"]["coordinates"] == pytest.approx([X0 + 1.75 * D, Y0 + 0.5 * D])
    assert found["enterprisesOnBoundary"] == [
        {"uscc": code(4), "gridCode": "G-C", "coveringGrids": ["G-C", "G-D"]}
    ]

    [overlap] = found["overlaps"]
    assert (overlap["first"], overlap["second"]) == ("G-A", "G-B")
    assert overlap["areaSqM"] == pytest.approx(strip_sq_m(0.1), rel=0.005)
    assert bounds(overlap["geometry"]) == (0.9, 0.0, 1.0, 1.0)

    [gap] = found["gaps"]
    assert (gap["code"], gap["within"]) == ("Z1", "Z1")
    assert gap["areaSqM"] == pytest.approx(strip_sq_m(0.5), rel=0.005)
    assert gap["geometry"]["type"] == "MultiPolygon"
    assert bounds(gap["geometry"]) == (1.5, 0.0, 2.0, 1.0)

    [leak] = found["gridsOutsideZone"]
    assert (leak["code"], leak["within"]) == ("G-D", "Z2")
    assert leak["areaSqM"] == pytest.approx(strip_sq_m(0.2), rel=0.005)
    assert bounds(leak["geometry"]) == (3.0, 0.0, 3.2, 1.0)
    assert found["zonesOutsidePark"] == []

    workload = found["workload"]
    assert (workload["maxPerLiaison"], workload["minPerLiaison"]) == (2, 1)
    liaisons = workload["perLiaison"]
    assert (liaisons["cadres"], liaisons["min"], liaisons["median"], liaisons["max"]) == (
        2,
        2,
        2.5,
        3,
    )
    assert workload["overloaded"] == [{"name": "Busy", "enterprises": 3}]
    assert workload["underloaded"] == []
    leads = workload["perGridLead"]
    # Lead holds G-A (E1), G-B (E2), G-C (E4 by lowest code, E5)
    assert leads["loads"] == [{"name": "Lead", "enterprises": 4}]
    assert (leads["min"], leads["median"], leads["max"]) == (4, 4.0, 4)

    # onBoundary counts a grid's own members: E4 belongs to G-C (the lower code), not G-D
    assert found["grids"] == [
        row("G-A", "Z1", True, 1, 0, 0, 1),
        row("G-B", "Z1", True, 1, 0, 0, 0),
        row("G-C", "Z2", True, 2, 0, 1, 0),
        row("G-D", "Z2", False, 1, 1, 0, 0),
    ]


def row(code: str, zone: str, lead: bool, *counts: int) -> dict[str, Any]:
    names = ("enterprises", "withoutLiaison", "onBoundary", "openIssues")
    return {
        "code": code,
        "zoneCode": zone,
        "hasLead": lead,
        **dict(zip(names, counts, strict=True)),
    }


def test_small_park_defaults_and_slivers(small: GraphQL) -> None:
    default = report(small, park="P")
    assert default["minGapSqM"] == 1.0
    assert default["workload"]["overloaded"] == []  # 3 is not above the default 30
    assert [g["code"] for g in default["gaps"]] == ["Z1"]  # the sliver under G-C is ignored
    every = report(small, park="P", gap=0.0)
    [sliver] = [g for g in every["gaps"] if g["code"] == "Z2"]
    assert 0 < sliver["areaSqM"] < 1.0


def test_small_park_one_zone(small: GraphQL) -> None:
    found = report(small, park="P", zone="Z2", max=2)
    assert found["totals"]["zones"] == 1
    assert found["totals"]["grids"] == 2
    assert found["totals"]["enterprises"] == 3  # E4, E5, E6
    assert found["zonesWithoutLead"] == [{"code": "Z2"}]
    assert found["overlaps"] == []
    assert found["gaps"] == []
    assert [leak["code"] for leak in found["gridsOutsideZone"]] == ["G-D"]
    assert found["workload"]["overloaded"] == []  # Busy serves nobody in Z2
    assert found["workload"]["perLiaison"]["loads"] == [{"name": "Calm", "enterprises": 2}]


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"park": "nope"}, "park"), ({"park": "P", "zone": "nope"}, "zone")],
)
def test_unknown_park_or_zone(small: GraphQL, variables: dict[str, str], field: str) -> None:
    body = small(REPORT, variables, ok=False)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "NOT_FOUND", "field": field}


def test_negative_gap_is_rejected(small: GraphQL) -> None:
    body = small(REPORT, {"park": "P", "gap": -1.0}, ok=False)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


UNASSIGNED = """
SELECT
  (SELECT count(*) FROM zone z JOIN park p ON p.id = z.park_id WHERE p.code = :park
     AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.zone_id = z.id AND a.role = 'zone_lead'
       AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now()))) AS zones,
  (SELECT count(*) FROM grid g JOIN zone z ON z.id = g.zone_id JOIN park p ON p.id = z.park_id
     WHERE p.code = :park AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.grid_id = g.id
       AND a.role = 'grid_lead' AND a.valid_from <= now()
       AND (a.valid_to IS NULL OR a.valid_to > now()))) AS grids,
  (SELECT count(*) FROM enterprise e JOIN park p ON p.code = :park
     WHERE ST_Covers(p.boundary, e.location) AND NOT EXISTS (SELECT 1 FROM assignment a
       WHERE a.enterprise_id = e.id AND a.role = 'liaison' AND a.valid_from <= now()
       AND (a.valid_to IS NULL OR a.valid_to > now()))) AS enterprises,
  (SELECT count(*) FROM enterprise e JOIN park p ON p.code = :park
     WHERE ST_Covers(p.boundary, e.location)) AS everyone
"""


def test_demo_park_has_no_geometry_defects(gql: GraphQL, demo_url: str) -> None:
    found = report(gql, park=PARK_CODE)
    for defect in (
        "enterprisesOutsideGrids",
        "enterprisesOnBoundary",
        "overlaps",
        "gaps",
        "gridsOutsideZone",
        "zonesOutsidePark",
    ):
        assert found[defect] == [], defect
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        expected = conn.execute(text(UNASSIGNED), {"park": PARK_CODE}).one()
    engine.dispose()
    totals = found["totals"]
    assert totals["zonesWithoutLead"] == expected.zones
    assert totals["gridsWithoutLead"] == expected.grids
    assert totals["enterprisesWithoutLiaison"] == expected.enterprises
    assert totals["enterprises"] == expected.everyone == 216
    assert (totals["zones"], totals["grids"]) == (3, 13)
    assert sum(g["enterprises"] for g in found["grids"]) == 216
    loads = found["workload"]["perLiaison"]
    assert sum(load["enterprises"] for load in loads["loads"]) == 216 - expected.enterprises

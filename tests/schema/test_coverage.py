"""`coverage`: a hand-made park with exactly one of each defect, and the demo park.

The hand-made park P spans x in [0, 3] cells, y in [0, 1] (cells of tests/resolvers/conftest):
zone Z1 = [0, 2], zone Z2 = [2, 3]. Grids: G-A = [0, 1] and G-B = [0.9, 1.5] in Z1 (an
overlap [0.9, 1] and a gap [1.5, 2]); G-C = [2, 2.5] (its top edge 1e-8 cell short: a sliver
gap under 1 m²) and G-D = [2.5, 3.2] in Z2 (leaks 0.2 cell out of Z2)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from shapely.geometry import box, shape
from sqlalchemy import Connection, create_engine, text
from starlette.testclient import TestClient

from geo.shape import as_multipolygon, to_ewkt
from parkgrid.app import create_app
from parkgrid.demo.geometry import PARK_CODE
from parkgrid.settings import DatabaseSettings
from tests.conftest import GraphQL, graphql_client
from tests.resolvers.conftest import X0, Y0, D, add_area, add_enterprise, code

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


def rect(x0: float, x1: float, y0: float = 0.0, y1: float = 1.0) -> str:
    return to_ewkt(as_multipolygon(box(X0 + x0 * D, Y0 + y0 * D, X0 + x1 * D, Y0 + y1 * D)))


def cadre(conn: Connection, name: str) -> int:
    statement = text("INSERT INTO cadre (name) VALUES (:name) RETURNING id")
    return int(conn.execute(statement, {"name": name}).scalar_one())


def assign(conn: Connection, cadre_id: int, role: str, column: str, target: int) -> None:
    conn.execute(
        text(
            f"INSERT INTO assignment (cadre_id, role, {column}, valid_from)"
            " VALUES (:cadre, :role, :target, now() - interval '1 day')"
        ),
        {"cadre": cadre_id, "role": role, "target": target},
    )


def build(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        park = add_area(conn, "park", "P", rect(0, 3))
        z1 = add_area(conn, "zone", "Z1", rect(0, 2), park)
        z2 = add_area(conn, "zone", "Z2", rect(2, 3), park)
        grids = {
            "G-A": add_area(conn, "grid", "G-A", rect(0, 1), z1),
            "G-B": add_area(conn, "grid", "G-B", rect(0.9, 1.5), z1),
            "G-C": add_area(conn, "grid", "G-C", rect(2, 2.5, 0, 1 - 1e-8), z2),
            "G-D": add_area(conn, "grid", "G-D", rect(2.5, 3.2), z2),
        }
        at = {  # enterprise number: x (cells), all at y = 0.5
            1: 0.3,  # G-A
            2: 1.2,  # G-B
            3: 1.75,  # in the gap: outside every grid
            4: 2.5,  # on the G-C / G-D edge
            5: 2.2,  # G-C
            6: 2.8,  # G-D, no liaison
        }
        firms = {n: add_enterprise(conn, n, X0 + x * D, Y0 + 0.5 * D) for n, x in at.items()}
        lead, busy, calm = cadre(conn, "Lead"), cadre(conn, "Busy"), cadre(conn, "Calm")
        assign(conn, lead, "zone_lead", "zone_id", z1)  # Z2 has no zone lead
        for grid in ("G-A", "G-B", "G-C"):  # G-D has no grid lead
            assign(conn, lead, "grid_lead", "grid_id", grids[grid])
        for n in (1, 2, 3):
            assign(conn, busy, "liaison", "enterprise_id", firms[n])
        for n in (4, 5):
            assign(conn, calm, "liaison", "enterprise_id", firms[n])
        conn.execute(
            text(
                "INSERT INTO issue (enterprise_id, category, title, status, rejection_reason)"
                " VALUES (:e, 'permits', 'open one', 'reported', NULL),"
                " (:e, 'permits', 'closed one', 'rejected', 'no')"
            ),
            {"e": firms[1]},
        )
    engine.dispose()


@contextmanager
def client_for(url: str) -> Iterator[GraphQL]:
    with TestClient(create_app(DatabaseSettings(url=url))) as client:
        yield graphql_client(client)


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

    assert found["grids"] == [
        row("G-A", "Z1", True, 1, 0, 0, 1),
        row("G-B", "Z1", True, 1, 0, 0, 0),
        row("G-C", "Z2", True, 2, 0, 1, 0),
        row("G-D", "Z2", False, 1, 1, 1, 0),
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

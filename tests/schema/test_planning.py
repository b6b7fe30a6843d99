"""`previewGridChange` and `proposeAssignments` on a hand-made park, on real PostGIS.

Park P spans x in [0, 3], y in [0, 2] cells (cells of tests/resolvers/conftest): zone Z1 =
[0, 2] x [0, 1] with grids G-A = [0, 1] and G-B = [1, 2]; zone Z2 = [0, 2] x [1, 2] with grid
G-Z; zone Z3 = [2, 3] x [0, 2] with grid G-Y and no cadres. Enterprises (x, y): E1 (0.1, 0.5),
E2 (0.8, 0.5), E5 (1.0, 0.5, on the shared edge: G-A by lowest code) in G-A; E3 (1.2, 0.5),
E4 (1.6, 0.5), E6 (1.25, 0.5) in G-B; E7 (0.5, 1.003) in G-Z; E8 (2.5, 0.5) in G-Y.
Grid leads LeadA, LeadB, LeadZ; liaisons L1 (E1, E2), L2 (E3, E4, E6), L3 (E7); E5 and E8
have none. No zone leads.

The change previewed: G-A becomes [0.2, 1.3] x [0, 1.005]. By hand: E1 falls out (into the new
gap [0, 0.2] of Z1), E3 and E6 come in from G-B, E7 from G-Z (the 0.005-cell strip above Z1,
within the 5 m tolerance, where G-A now overlaps G-Z and wins by lowest code); G-A overlaps G-B
on [1, 1.3] and G-Z on [0.2, 1.3] x [1, 1.005], and that strip is its part outside Z1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from shapely.geometry import box, mapping, shape
from sqlalchemy import Connection, text

from geo.shape import as_multipolygon, to_ewkt
from tests.resolvers.conftest import X0, Y0, D, add_area, add_enterprise, code
from tests.schema.registry_client import Park, client_of, geodesic_measures, grid_by_rule

PREVIEW = """query($code: String!, $boundary: GeoJSON!, $zone: String, $gap: Float) {
  previewGridChange(code: $code, boundary: $boundary, zone: $zone, minGapSqM: $gap) {
    code zone created enterprisesChangedGrid
    movingIn { uscc name fromGrid toGrid } movingOut { uscc name fromGrid toGrid }
    overlapsBefore { first second areaSqM geometry } overlapsAfter { first second areaSqM geometry }
    overlapsCreated { first second areaSqM geometry } overlapsRemoved { first second areaSqM geometry }
    gapsBefore { code within areaSqM geometry } gapsAfter { code within areaSqM geometry }
    gapsCreated { code within areaSqM geometry } gapsRemoved { code within areaSqM geometry }
    outsideZoneBefore { code within areaSqM geometry } outsideZoneAfter { code within areaSqM geometry }
    workload { zone role cadreId name before after }
  }
}"""

COVERAGE = """query($park: String!, $zone: String) { coverage(park: $park, zone: $zone) {
  overlaps { first second areaSqM geometry } gaps { code within areaSqM geometry }
  gridsOutsideZone { code within areaSqM geometry } enterprisesWithoutLiaison { uscc }
  workload { perLiaison { loads { id enterprises } } perGridLead { loads { id enterprises } } }
} }"""

PROPOSE = """query($park: String!, $zone: String, $max: Int) {
  proposeAssignments(park: $park, zone: $zone, maxPerLiaison: $max) {
    park zone maxPerLiaison
    proposals { uscc name gridCode zoneCode cadreId cadreName basis loadBefore loadAfter aboveLimit }
    unplaced { uscc gridCode zoneCode reason }
    loads { cadreId name before after }
  }
}"""

AT = {1: (0.1, 0.5), 2: (0.8, 0.5), 3: (1.2, 0.5), 4: (1.6, 0.5), 5: (1.0, 0.5),
      6: (1.25, 0.5), 7: (0.5, 1.003), 8: (2.5, 0.5)}  # fmt: skip
LIAISONS = {"L1": (1, 2), "L2": (3, 4, 6), "L3": (7,)}
GRIDS = {"G-A": ("Z1", (0, 1, 0, 1)), "G-B": ("Z1", (1, 2, 0, 1)),
         "G-Z": ("Z2", (0, 2, 1, 2)), "G-Y": ("Z3", (2, 3, 0, 2))}  # fmt: skip
LEADS = {"LeadA": "G-A", "LeadB": "G-B", "LeadZ": "G-Z"}
NEW_A = (0.2, 1.3, 0, 1.005)


def cells(x0: float, x1: float, y0: float, y1: float) -> Any:
    return box(X0 + x0 * D, Y0 + y0 * D, X0 + x1 * D, Y0 + y1 * D)


def ewkt(x0: float, x1: float, y0: float, y1: float) -> str:
    return to_ewkt(as_multipolygon(cells(x0, x1, y0, y1)))


def geojson(x0: float, x1: float, y0: float, y1: float) -> dict[str, Any]:
    return dict(mapping(cells(x0, x1, y0, y1)))


def sq_m(x0: float, x1: float, y0: float, y1: float) -> float:
    return geodesic_measures(cells(x0, x1, y0, y1))[1]


def in_cells(geometry: dict[str, Any]) -> tuple[float, ...]:
    """The geometry's bounding box in cells from (X0, Y0), as (x0, x1, y0, y1)."""
    west, south, east, north = shape(geometry).bounds
    return tuple(round(v, 6) for v in ((west - X0) / D, (east - X0) / D, (south - Y0) / D,
                                       (north - Y0) / D))  # fmt: skip


def insert_cadre(conn: Connection, name: str) -> int:
    query = text("INSERT INTO cadre (name) VALUES (:name) RETURNING id")
    return int(conn.execute(query, {"name": name}).scalar_one())


def assign(conn: Connection, cadre: int, role: str, column: str, target: int) -> None:
    conn.execute(
        text(f"INSERT INTO assignment (cadre_id, role, {column}, valid_from)"
             " VALUES (:cadre, :role, :target, now() - interval '1 day')"),
        {"cadre": cadre, "role": role, "target": target},
    )  # fmt: skip


def build(conn: Connection) -> None:
    park = add_area(conn, "park", "P", ewkt(0, 3, 0, 2))
    zones = {name: add_area(conn, "zone", name, ewkt(*extent), park) for name, extent in
             {"Z1": (0, 2, 0, 1), "Z2": (0, 2, 1, 2), "Z3": (2, 3, 0, 2)}.items()}  # fmt: skip
    grids = {name: add_area(conn, "grid", name, ewkt(*extent), zones[zone])
             for name, (zone, extent) in GRIDS.items()}  # fmt: skip
    firms = {n: add_enterprise(conn, n, X0 + x * D, Y0 + y * D) for n, (x, y) in AT.items()}
    for lead, grid in LEADS.items():
        assign(conn, insert_cadre(conn, lead), "grid_lead", "grid_id", grids[grid])
    for liaison, served in LIAISONS.items():
        cadre = insert_cadre(conn, liaison)
        for n in served:
            assign(conn, cadre, "liaison", "enterprise_id", firms[n])


@pytest.fixture
def park(empty_url: str, engine_for: Any) -> Iterator[Park]:
    with engine_for(empty_url).begin() as conn:
        build(conn)
    yield from client_of(empty_url, engine_for)


def preview(park: Park, ok: bool = True, **variables: Any) -> dict[str, Any]:
    body = park.gql(PREVIEW, variables, ok=ok)
    return body if not ok else body["data"]["previewGridChange"]


def coverage(park: Park, zone: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = park.gql(COVERAGE, {"park": "P", "zone": zone})["data"]["coverage"]
    return found


def cadre_ids(park: Park) -> dict[str, str]:
    return {name: str(cadre) for cadre, name in park.rows("SELECT id, name FROM cadre")}


def loads(park: Park, zone: str) -> dict[tuple[str, str], int]:
    """(role, cadre id): enterprises, as coverage(P, zone) counts them."""
    workload = coverage(park, zone)["workload"]
    return {(role, load["id"]): load["enterprises"]
            for role, key in (("LIAISON", "perLiaison"), ("GRID_LEAD", "perGridLead"))
            for load in workload[key]["loads"]}  # fmt: skip


def move(n: int, before: str | None, after: str | None) -> dict[str, Any]:
    return {"uscc": code(n), "name": f"E{n}", "fromGrid": before, "toGrid": after}


def piece(found: dict[str, Any]) -> tuple[Any, ...]:
    """Keys and extent in cells of an overlap or remainder, its area to the square metre."""
    keys = [found[k] for k in ("first", "second", "code", "within") if k in found]
    return (*keys, pytest.approx(found["areaSqM"], abs=1.0), in_cells(found["geometry"]))


def expected_piece(*keys: str, extent: tuple[float, float, float, float]) -> tuple[Any, ...]:
    """The same, independently: the box's area on the ellipsoid by geographiclib."""
    return (*keys, sq_m(*extent), tuple(float(v) for v in extent))


def test_preview_by_hand_then_apply_agrees(park: Park) -> None:
    ids = cadre_ids(park)
    before_loads = {zone: loads(park, zone) for zone in ("Z1", "Z2")}
    snapshot = park.snapshot()
    found = preview(park, code="G-A", boundary=geojson(*NEW_A))
    assert park.snapshot() == snapshot  # nothing written

    assert (found["code"], found["zone"], found["created"]) == ("G-A", "Z1", False)
    assert found["movingIn"] == [move(3, "G-B", "G-A"), move(6, "G-B", "G-A"),
                                 move(7, "G-Z", "G-A")]  # fmt: skip
    assert found["movingOut"] == [move(1, "G-A", None)]
    assert found["enterprisesChangedGrid"] == 4
    assert found["overlapsBefore"] == found["overlapsRemoved"] == []
    assert [piece(o) for o in found["overlapsAfter"]] == [
        expected_piece("G-A", "G-B", extent=(1, 1.3, 0, 1)),
        expected_piece("G-A", "G-Z", extent=(0.2, 1.3, 1, 1.005)),
    ]
    assert [piece(o) for o in found["overlapsCreated"]] == [
        piece(o) for o in found["overlapsAfter"]
    ]
    assert found["gapsBefore"] == found["gapsRemoved"] == []
    assert [piece(g) for g in found["gapsAfter"]] == [
        expected_piece("Z1", "Z1", extent=(0, 0.2, 0, 1))
    ]
    [created] = found["gapsCreated"]
    assert piece(created) == piece(found["gapsAfter"][0])
    assert found["outsideZoneBefore"] is None
    assert piece(found["outsideZoneAfter"]) == expected_piece(
        "G-A", "Z1", extent=(0.2, 1.3, 1, 1.005)
    )
    change = [(w["zone"], w["role"], w["name"], w["before"], w["after"]) for w in found["workload"]]
    assert change == [
        ("Z1", "GRID_LEAD", "LeadA", 3, 5),  # E1 E2 E5 -> E2 E5 E3 E6 E7
        ("Z1", "GRID_LEAD", "LeadB", 3, 1),  # E3 E4 E6 -> E4
        ("Z1", "LIAISON", "L3", 0, 1),  # E7 now in a grid of Z1
        ("Z2", "GRID_LEAD", "LeadZ", 1, 0),
        ("Z2", "LIAISON", "L3", 1, 0),
    ]
    for w in found["workload"]:
        assert w["cadreId"] == ids[w["name"]]
        assert before_loads[w["zone"]].get((w["role"], w["cadreId"]), 0) == w["before"]

    applied = park("upsertGrid", code="G-A", name="G-A", zone="Z1", boundary=geojson(*NEW_A))
    assert applied["enterprisesChangedGrid"] == found["enterprisesChangedGrid"]
    members, grids, points = park.members(), park.grids(), park.points()
    assert members == {uscc: grid_by_rule(point, grids) for uscc, point in points.items()}
    for moved in found["movingIn"] + found["movingOut"]:
        assert members[moved["uscc"]] == moved["toGrid"]
    report = coverage(park)
    assert report["overlaps"] == found["overlapsAfter"]
    assert report["gaps"] == found["gapsAfter"]
    assert report["gridsOutsideZone"] == [found["outsideZoneAfter"]]
    for w in found["workload"]:
        assert loads(park, w["zone"]).get((w["role"], w["cadreId"]), 0) == w["after"]
    for zone in ("Z1", "Z2"):  # and nobody else's load moved
        changed = {(w["role"], w["cadreId"]) for w in found["workload"] if w["zone"] == zone}
        now, then = loads(park, zone), before_loads[zone]
        assert {k: v for k, v in now.items() if k not in changed} == {
            k: v for k, v in then.items() if k not in changed
        }


def test_preview_of_the_way_back_lists_what_it_removes(park: Park) -> None:
    forward = preview(park, code="G-A", boundary=geojson(*NEW_A))
    park("upsertGrid", code="G-A", name="G-A", zone="Z1", boundary=geojson(*NEW_A))
    back = preview(park, code="G-A", boundary=geojson(0, 1, 0, 1))
    assert back["overlapsBefore"] == forward["overlapsAfter"]
    assert [piece(o) for o in back["overlapsRemoved"]] == [
        piece(o) for o in forward["overlapsAfter"]
    ]
    assert back["overlapsAfter"] == back["overlapsCreated"] == []
    assert [piece(g) for g in back["gapsRemoved"]] == [piece(g) for g in forward["gapsAfter"]]
    assert back["gapsAfter"] == back["gapsCreated"] == []
    assert back["outsideZoneAfter"] is None
    assert [m["uscc"] for m in back["movingIn"]] == [code(1)]
    assert [(m["uscc"], m["toGrid"]) for m in back["movingOut"]] == [
        (code(3), "G-B"), (code(6), "G-B"), (code(7), "G-Z")]  # fmt: skip
    undone = {
        (w["zone"], w["role"], w["name"]): (w["after"], w["before"]) for w in back["workload"]
    }
    done = {(w["zone"], w["role"], w["name"]): (w["before"], w["after"])
            for w in forward["workload"]}  # fmt: skip
    assert undone == done


def test_preview_of_a_new_grid(park: Park) -> None:
    snapshot = park.snapshot()
    found = preview(park, code="G-0", zone="Z1", boundary=geojson(0, 0.5, 0, 1))
    assert park.snapshot() == snapshot
    assert (found["created"], found["zone"], found["movingOut"]) == (True, "Z1", [])
    assert found["movingIn"] == [move(1, "G-A", "G-0")]  # "G-0" < "G-A"
    assert [piece(o) for o in found["overlapsCreated"]] == [
        expected_piece("G-0", "G-A", extent=(0, 0.5, 0, 1))
    ]
    assert [(w["name"], w["before"], w["after"]) for w in found["workload"]] == [("LeadA", 3, 2)]
    applied = park("upsertGrid", code="G-0", name="G-0", zone="Z1", boundary=geojson(0, 0.5, 0, 1))
    assert (applied["created"], applied["enterprisesChangedGrid"]) == (True, 1)
    assert coverage(park)["overlaps"] == found["overlapsAfter"]


def test_preview_min_gap(park: Park) -> None:
    found = preview(park, code="G-A", boundary=geojson(*NEW_A), gap=1e7)
    assert found["gapsAfter"] == found["gapsCreated"] == []  # the 0.2-cell gap is under 1e7 m²
    assert found["outsideZoneAfter"] is None
    assert [(o["first"], o["second"]) for o in found["overlapsAfter"]] == [
        ("G-A", "G-B"), ("G-A", "G-Z")]  # fmt: skip
    assert found["overlapsCreated"] == []  # overlaps are whole; only their changes are sifted
    [error] = preview(park, ok=False, code="G-A", boundary=geojson(*NEW_A), gap=-1.0)["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "minGapSqM"}


BOWTIE = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + D, Y0 + D], [X0 + D, Y0],
                                              [X0, Y0 + D], [X0, Y0]]]}  # fmt: skip
REFUSED = [
    pytest.param({"code": "G-A", "zone": "Z1", "boundary": BOWTIE}, id="self-intersecting"),
    pytest.param({"code": "G-A", "zone": "Z1",
                  "boundary": {"type": "Point", "coordinates": [X0, Y0]}}, id="not-an-area"),
    pytest.param({"code": "G-A", "zone": "Z1", "boundary": geojson(0, 1, 0, 1.2)}, id="leak"),
    pytest.param({"code": "G-A", "zone": "Z9", "boundary": geojson(0, 1, 0, 1)}, id="no-zone"),
    pytest.param({"code": " ", "zone": "Z1", "boundary": geojson(0, 1, 0, 1)}, id="blank-code"),
    pytest.param({"code": "G-A", "zone": "Z2", "boundary": geojson(0, 1, 0, 1)},
                 id="outside-other-zone"),
]  # fmt: skip


@pytest.mark.parametrize("args", REFUSED)
def test_preview_refuses_as_upsert_grid_does(park: Park, args: dict[str, Any]) -> None:
    [error] = preview(park, ok=False, **args)["errors"]
    refused = park("upsertGrid", name="x", **args)
    assert refused["__typename"] != "GridPayload"
    extensions = error["extensions"]
    assert (extensions["code"], extensions["field"]) == (refused["code"], refused["field"])
    assert error["message"] == f"{refused['field']}: {refused['message']}"


def test_preview_of_a_new_grid_needs_its_zone(park: Park) -> None:
    [error] = preview(park, ok=False, code="G-N", boundary=geojson(0, 1, 0, 1))["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "zone"}


def propose(client: Park, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = client.gql(PROPOSE, variables)["data"]["proposeAssignments"]
    return found


@pytest.fixture
def crowded(park: Park) -> Park:
    """Three more enterprises in G-B without a liaison: E9 (1.4), E10 (1.5), E11 (1.7)."""
    with park.engine.begin() as conn:
        for n, x in ((9, 1.4), (10, 1.5), (11, 1.7)):
            add_enterprise(conn, n, X0 + x * D, Y0 + 0.3 * D)
    return park


def proposal(n: int, grid: str, cadre: str, basis: str, before: int) -> tuple[Any, ...]:
    return (code(n), grid, cadre, basis, before, before + 1)


def summary(found: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(p["uscc"], p["gridCode"], p["cadreName"], p["basis"], p["loadBefore"],
             p["loadAfter"]) for p in found["proposals"]]  # fmt: skip


def test_proposals_keep_under_the_limit_then_apply(crowded: Park) -> None:
    park, ids = crowded, cadre_ids(crowded)
    snapshot = park.snapshot()
    found = propose(park, park="P", max=2)
    assert park.snapshot() == snapshot
    # liaison loads now: LeadA 0, LeadB 0, L1 2, L2 3; E8's zone Z3 has no cadre
    assert summary(found) == [
        proposal(5, "G-A", "LeadA", "GRID", 0),  # LeadA 0 < L1 2
        proposal(9, "G-B", "LeadB", "GRID", 0),
        proposal(10, "G-B", "LeadB", "GRID", 1),
        proposal(11, "G-B", "LeadA", "ZONE", 1),  # LeadB at 2, L2 at 3: Z1's least loaded
    ]
    assert not any(p["aboveLimit"] for p in found["proposals"])
    assert all(p["cadreId"] == ids[p["cadreName"]] for p in found["proposals"])
    assert found["unplaced"] == [
        {"uscc": code(8), "gridCode": "G-Y", "zoneCode": "Z3", "reason": "NO_CADRE"}
    ]
    assert [(x["name"], x["before"], x["after"]) for x in found["loads"]] == [
        ("LeadA", 0, 2), ("LeadB", 0, 2)]  # fmt: skip

    for p in found["proposals"]:
        result = park("assignCadre", cadre=p["cadreId"], level="ENTERPRISE", target=p["uscc"])
        assert result["__typename"] == "AssignmentPayload", result
    assert coverage(park, "Z1")["enterprisesWithoutLiaison"] == []
    assert coverage(park)["enterprisesWithoutLiaison"] == [{"uscc": code(8)}]
    liaisons = loads(park, "Z1")
    for x in found["loads"]:
        assert liaisons[("LIAISON", x["cadreId"])] == x["after"]
    again = propose(park, park="P", max=2)
    assert again["proposals"] == [] and again["loads"] == []


def test_proposals_default_limit_and_above_it(crowded: Park) -> None:
    roomy = propose(crowded, park="P", zone="Z1")
    assert roomy["maxPerLiaison"] == 30 and roomy["zone"] == "Z1"
    assert summary(roomy) == [
        proposal(5, "G-A", "LeadA", "GRID", 0),
        proposal(9, "G-B", "LeadB", "GRID", 0),
        proposal(10, "G-B", "LeadB", "GRID", 1),
        proposal(11, "G-B", "LeadB", "GRID", 2),
    ]
    assert roomy["unplaced"] == []  # E8 is not in Z1
    tight = propose(crowded, park="P", zone="Z1", max=1)
    # after E5 -> LeadA and E9 -> LeadB every candidate holds 1 or more: the grid's least loaded
    assert summary(tight) == [
        proposal(5, "G-A", "LeadA", "GRID", 0),
        proposal(9, "G-B", "LeadB", "GRID", 0),
        proposal(10, "G-B", "LeadB", "GRID", 1),
        proposal(11, "G-B", "LeadB", "GRID", 2),
    ]
    assert [p["aboveLimit"] for p in tight["proposals"]] == [False, False, True, True]


def test_proposals_for_a_gap_and_from_a_zone_lead(park: Park) -> None:
    """E12 in the gap G-A's change leaves in Z1 falls to Z1's cadres; E8 in G-Y (no cadre
    there) to Z3's new zone lead."""
    park("upsertGrid", code="G-A", name="G-A", zone="Z1", boundary=geojson(*NEW_A))
    with park.engine.begin() as conn:
        add_enterprise(conn, 12, X0 + 0.05 * D, Y0 + 0.5 * D)
        zone3 = conn.execute(text("SELECT id FROM zone WHERE code = 'Z3'")).scalar_one()
        assign(conn, insert_cadre(conn, "LeadZ3"), "zone_lead", "zone_id", zone3)
    found = propose(park, park="P")
    # E5 stays in G-A (LeadA 0, L1 2); E12: Z1's cadres LeadA 1, LeadB 0, L1 2, L2 3, L3 1
    assert [(p["uscc"], p["gridCode"], p["zoneCode"], p["cadreName"], p["basis"])
            for p in found["proposals"]] == [
        (code(5), "G-A", "Z1", "LeadA", "GRID"),
        (code(8), "G-Y", "Z3", "LeadZ3", "ZONE"),
        (code(12), None, "Z1", "LeadB", "ZONE"),
    ]  # fmt: skip
    assert found["unplaced"] == []


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"park": "nope"}, {"code": "NOT_FOUND", "field": "park"}),
        ({"park": "P", "zone": "nope"}, {"code": "NOT_FOUND", "field": "zone"}),
        ({"park": "P", "max": 0}, {"code": "BAD_USER_INPUT", "field": "maxPerLiaison"}),
    ],
)
def test_proposals_refuse_bad_input(
    park: Park, variables: dict[str, Any], expected: dict[str, str]
) -> None:
    [error] = park.gql(PROPOSE, variables, ok=False)["errors"]
    assert error["extensions"] == expected

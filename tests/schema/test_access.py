"""Access control, issue 6: tokens, and the read matrix role × resource × scope on the demo
park. Every cell's expectation is written out below from README "Who sees and changes what";
the values compared come from SQL on the base tables (tests.schema.access_subjects)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from parkgrid.settings import ApiSettings
from tests.conftest import Databases
from tests.schema.access_subjects import CURRENT, WIDE, Park, open_park, parse
from tests.schema.stats_oracle import GAINS

# V: visible, equal to SQL on the base tables; N: the field is null (in a list: every item's);
# E: none at all (null object, empty list, count 0); F: refused with FORBIDDEN.
# A: the grid of the grid lead and the liaison; S: another grid of the same zone;
# B: a grid of another zone. "AB" rows hold for both A and B.
READ_MATRIX = """
resource            scope  anonymous viewer zone_lead grid_lead liaison former admin
enterprise_list     AB     V         V      V         V         V       V      V
enterprise_one      AB     V         V      V         V         V       V      V
issue_list          AB     V         V      V         V         V       V      V
issue_one           AB     V         V      V         V         V       V      V
area_counts         AB     V         V      V         V         V       V      V
stats_counts        AB     V         V      V         V         V       V      V
visit_list          AB     V         V      V         V         V       V      V
issue_title         AB     N         V      V         V         V       V      V
issue_reporter      AB     E         V      V         V         V       V      V
cadre_list          AB     E         V      V         V         V       V      V
cadre_one           AB     E         V      V         V         V       V      V
liaison             AB     E         V      V         V         V       V      V
party_organisation  AB     E         V      V         V         V       V      V
events              AB     E         V      V         V         V       V      V
nearest_cadres      AB     E         V      V         V         V       V      V
coverage            AB     F         V      V         V         V       V      V
coverage_geojson    AB     F         V      V         V         V       V      V
propose_assignments AB     F         V      V         V         V       V      V
issue_description   A      N         N      V         V         V       N      V
issue_description   S      N         N      V         N         N       N      V
issue_description   B      N         N      N         N         N       N      V
rejection_reason    A      N         N      V         V         V       N      V
rejection_reason    S      N         N      V         N         N       N      V
rejection_reason    B      N         N      N         N         N       N      V
event_details       A      E         N      V         V         V       N      V
event_details       S      E         N      V         N         N       N      V
event_details       B      E         N      N         N         N       N      V
visit_note          A      N         N      V         V         V       N      V
visit_note          S      N         N      V         N         N       N      V
visit_note          B      N         N      N         N         N       N      V
visit_check_in      A      N         N      V         V         V       N      V
visit_check_in      S      N         N      V         N         N       N      V
visit_check_in      B      N         N      N         N         N       N      V
outcome_amounts     A      N         N      V         V         V       N      V
outcome_amounts     S      N         N      V         N         N       N      V
outcome_amounts     B      N         N      N         N         N       N      V
worker_phone        A      E         N      V         V         V       N      V
worker_phone        S      E         N      V         N         N       N      V
worker_phone        B      E         N      N         N         N       N      V
preview_grid_change A      F         F      V         F         F       F      V
preview_grid_change S      F         F      V         F         F       F      V
preview_grid_change B      F         F      F         F         F       F      V
"""

# Whose phone each role reads: their own, and of cadres working in their grids (a zone lead
# works in every grid of the zone). Targets: the caller, A's grid lead, A's zone lead, a
# liaison in A, the former liaison, B's grid lead.
PHONE_MATRIX = """
target      anonymous viewer zone_lead grid_lead liaison former admin
self        -         -      V         V         V       V      V
grid_lead   E         N      V         V         V       N      V
zone_lead   E         N      V         V         V       N      V
worker_A    E         N      V         V         V       N      V
former      E         N      N         N         N       V      V
lead_B      E         N      N         N         N       N      V
"""


@pytest.fixture(scope="module")
def park(databases: Databases, demo_template: str) -> Iterator[Park]:
    with open_park(databases, demo_template) as found:
        yield found


Expected = dict[str, Any]
Checker = Callable[[Park, str, str], tuple[Any, Expected]]
CHECKERS: dict[str, Checker] = {}


def checker(fn: Checker) -> Checker:
    CHECKERS[fn.__name__] = fn
    return fn


def column(p: Park, query: str, **params: Any) -> list[Any]:
    found = [row[0] for row in p.sql.rows(query, **params)]
    assert found, query
    return found


def listed(connection: dict[str, Any], key: str, kind: Callable[[Any], Any] = str) -> Any:
    """(totalCount, the sorted keys of the nodes) of a connection."""
    return connection["totalCount"], sorted(kind(n[key]) for n in connection["nodes"])


@checker
def enterprise_list(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    grid = p.subjects.grids[scope]
    q = "query ($c: String!) { grid(code: $c) { enterprises(first: 500) { totalCount nodes { uscc } } } }"
    found = p.data(role, q, c=grid.code)["grid"]["enterprises"]
    truth = column(p, "SELECT uscc FROM enterprise WHERE grid_id = :g ORDER BY 1", g=grid.id)
    return listed(found, "uscc"), {"V": (len(truth), truth)}


@checker
def enterprise_one(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    firm = p.subjects.firms[scope]
    found = p.data(role, "query ($u: String!) { enterprise(uscc: $u) { uscc name address } }", u=firm.uscc)  # fmt: skip
    row = p.sql.rows("SELECT uscc, name, address FROM enterprise WHERE id = :i", i=firm.id)[0]
    return found["enterprise"], {"V": dict(row._mapping)}


@checker
def issue_list(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    grid = p.subjects.grids[scope]
    q = "query ($c: String!) { issues(filter: {grid: $c}, first: 500) { totalCount nodes { id } } }"
    found = p.data(role, q, c=grid.code)["issues"]
    truth = column(
        p,
        "SELECT i.id FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = :g ORDER BY 1",
        g=grid.id,
    )
    return listed(found, "id", int), {"V": (len(truth), truth)}


def issue_field(p: Park, role: str, scope: str, gql: str, column: str) -> tuple[Any, Expected]:
    issue = p.subjects.issues[scope]
    found = p.data(role, f"query ($i: ID!) {{ issue(id: $i) {{ {gql} }} }}", i=str(issue))["issue"]
    truth = p.sql.scalar(f"SELECT {column} FROM issue WHERE id = :i", i=issue)
    assert truth is not None
    return found[gql.split()[0]], {"V": truth, "N": None}


@checker
def issue_one(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    found, expected = issue_field(p, role, scope, "status", "status")
    return found.lower(), expected


@checker
def issue_title(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    return issue_field(p, role, scope, "title", "title")


@checker
def issue_description(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    return issue_field(p, role, scope, "description", "description")


@checker
def rejection_reason(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    return issue_field(p, role, scope, "rejectionReason", "rejection_reason")


@checker
def issue_reporter(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    found, expected = issue_field(p, role, scope, "reporter { id }", "CAST(reporter_id AS text)")
    return found, {"V": {"id": expected["V"]}, "E": None}


@checker
def area_counts(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    grid = p.subjects.grids[scope]
    q = "query ($c: String!) { grid(code: $c) { enterpriseCount openIssueCount overdueIssueCount visitCount } }"
    truth = p.sql.rows("""
        SELECT (SELECT count(*) FROM enterprise WHERE grid_id = :g) AS "enterpriseCount",
          count(*) FILTER (WHERE i.status NOT IN ('closed', 'rejected')) AS "openIssueCount",
          count(*) FILTER (WHERE i.status NOT IN ('closed', 'rejected')
                           AND i.due_date < CAST(now() AT TIME ZONE :tz AS date))
            AS "overdueIssueCount",
          (SELECT count(*) FROM visit v JOIN enterprise e ON e.id = v.enterprise_id
           WHERE e.grid_id = :g) AS "visitCount"
        FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = :g""", g=grid.id, tz=ApiSettings().timezone)[0]  # fmt: skip
    return p.data(role, q, c=grid.code)["grid"], {"V": dict(truth._mapping)}


@checker
def stats_counts(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    grid = p.subjects.grids[scope]
    q = ("query ($c: String!, $from: Date!, $to: Date!) { stats(grid: $c, from: $from, to: $to)"
         " { issues { total { reported open } } visits { visits enterprises } } }")  # fmt: skip
    found = p.data(role, q, c=grid.code, **WIDE)["stats"]
    truth = p.sql.rows("""
        SELECT count(*) AS reported, count(*) FILTER (WHERE i.status NOT IN ('closed', 'rejected')) AS open,
          (SELECT count(*) FROM visit v JOIN enterprise e ON e.id = v.enterprise_id WHERE e.grid_id = :g) AS visits,
          (SELECT count(*) FROM enterprise WHERE grid_id = :g) AS enterprises
        FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = :g""", g=grid.id)[0]  # fmt: skip
    observed = (found["issues"]["total"], found["visits"])
    return observed, {"V": ({"reported": truth.reported, "open": truth.open},
                            {"visits": truth.visits, "enterprises": truth.enterprises})}  # fmt: skip


@checker
def visit_list(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    firm = p.subjects.firms[scope]
    q = "query ($u: String!) { enterprise(uscc: $u) { visits(first: 500) { totalCount nodes { id } } } }"
    found = p.data(role, q, u=firm.uscc)["enterprise"]["visits"]
    truth = column(p, "SELECT id FROM visit WHERE enterprise_id = :e ORDER BY 1", e=firm.id)
    return listed(found, "id", int), {"V": (len(truth), truth)}


def visit_values(
    p: Park, role: str, scope: str, gql: str, sql_column: str
) -> tuple[list[Any], list[Any]]:
    firm = p.subjects.firms[scope]
    q = f"query ($u: String!) {{ enterprise(uscc: $u) {{ visits(first: 500) {{ nodes {{ id {gql} }} }} }} }}"
    nodes = p.data(role, q, u=firm.uscc)["enterprise"]["visits"]["nodes"]
    rows = p.sql.rows(f"SELECT id, {sql_column} AS value FROM visit WHERE enterprise_id = :e", e=firm.id)  # fmt: skip
    assert rows and all(r.value is not None for r in rows)
    return nodes, rows


@checker
def visit_note(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    nodes, rows = visit_values(p, role, scope, "note", "note")
    observed = {int(n["id"]): n["note"] for n in nodes}
    return observed, {"V": {r.id: r.value for r in rows}, "N": {r.id: None for r in rows}}


@checker
def visit_check_in(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    nodes, rows = visit_values(p, role, scope, "checkIn checkInDistanceMeters", "check_in")
    observed = {int(n["id"]): (n["checkIn"] is not None, n["checkInDistanceMeters"] is not None)
                for n in nodes}  # fmt: skip
    return observed, {"V": {r.id: (True, True) for r in rows}, "N": {r.id: (False, False) for r in rows}}  # fmt: skip


@checker
def outcome_amounts(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    grid = p.subjects.grids[scope]
    q = ("query ($c: String!, $from: Date!, $to: Date!) { stats(grid: $c, from: $from, to: $to)"
         " { outcomes { peopleHired loanCny hazardsRectified } } }")  # fmt: skip
    found = p.data(role, q, c=grid.code, **WIDE)["stats"]["outcomes"]
    truth = p.sql.rows("""
        SELECT coalesce(sum(o.people_hired), 0) AS "peopleHired", CAST(coalesce(sum(o.loan_cny), 0) AS float8) AS "loanCny",
               coalesce(sum(o.hazards_rectified), 0) AS "hazardsRectified"
        FROM """ + GAINS + """ o JOIN enterprise e ON e.id = o.enterprise_id
        WHERE e.grid_id = :g""", g=grid.id)[0]  # fmt: skip
    assert truth.peopleHired and truth.loanCny
    return found, {"V": dict(truth._mapping), "N": {"peopleHired": 0, "loanCny": 0.0, "hazardsRectified": 0}}  # fmt: skip


@checker
def cadre_list(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    grid = p.subjects.grids[scope]
    q = "query ($c: String!) { grid(code: $c) { cadreCount cadres { id role } } }"
    found = p.data(role, q, c=grid.code)["grid"]
    truth = sorted({(r.cadre_id, r.role) for r in p.sql.rows(f"""
        SELECT a.cadre_id, a.role FROM assignment a LEFT JOIN enterprise e ON e.id = a.enterprise_id
        LEFT JOIN grid g ON g.id = :g
        WHERE (a.grid_id = :g OR e.grid_id = :g OR a.zone_id = g.zone_id)
          AND {CURRENT}""", g=grid.id)})  # fmt: skip
    cadres = sorted({(int(c["id"]), c["role"].lower()) for c in found["cadres"]})
    return (found["cadreCount"], cadres), {"V": (len({c for c, _ in truth}), truth), "E": (0, [])}


@checker
def cadre_one(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    cadre = p.subjects.cadres[f"worker_{scope}"]
    found = p.data(role, "query ($i: ID!) { cadre(id: $i) { name unit } }", i=str(cadre))["cadre"]
    row = p.sql.rows("SELECT name, unit FROM cadre WHERE id = :i", i=cadre)[0]
    return found, {"V": dict(row._mapping), "E": None}


@checker
def worker_phone(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    return phone_of(p, role, p.subjects.cadres[f"worker_{scope}"])


def phone_of(p: Park, role: str, cadre: int) -> tuple[Any, Expected]:
    found = p.data(role, "query ($i: ID!) { cadre(id: $i) { phone } }", i=str(cadre))["cadre"]
    truth = p.sql.scalar("SELECT phone FROM cadre WHERE id = :i", i=cadre)
    assert truth
    return found, {"V": {"phone": truth}, "N": {"phone": None}, "E": None}


def firm_field(p: Park, role: str, scope: str, gql: str) -> Any:
    q = f"query ($u: String!) {{ enterprise(uscc: $u) {{ {gql} }} }}"
    return p.data(role, q, u=p.subjects.firms[scope].uscc)["enterprise"][gql.split()[0]]


@checker
def liaison(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    truth = p.sql.scalar(
        f"SELECT a.cadre_id FROM assignment a WHERE a.enterprise_id = :e AND a.role = 'liaison' AND {CURRENT}",
        e=p.subjects.firms[scope].id,
    )
    return firm_field(p, role, scope, "liaison { id }"), {"V": {"id": str(truth)}, "E": None}


@checker
def party_organisation(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    row = p.sql.rows("SELECT upper(kind) AS kind, members FROM party_organisation WHERE enterprise_id = :e",
                     e=p.subjects.firms[scope].id)[0]  # fmt: skip
    return firm_field(p, role, scope, "partyOrganisation { kind members }"), {"V": dict(row._mapping), "E": None}  # fmt: skip


def event_rows(p: Park, scope: str) -> list[Any]:
    rows = p.sql.rows("SELECT id, changes, note FROM event WHERE enterprise_id = :e ORDER BY id",
                      e=p.subjects.firms[scope].id)  # fmt: skip
    assert rows and any(r.note for r in rows)
    return rows


@checker
def events(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    found = firm_field(p, role, scope, "events { id }")
    return sorted(int(e["id"]) for e in found), {"V": [r.id for r in event_rows(p, scope)], "E": []}


@checker
def event_details(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    found = firm_field(p, role, scope, "events { id changes note }")
    rows = event_rows(p, scope)
    observed = sorted((int(e["id"]), e["changes"], e["note"]) for e in found)
    return observed, {"V": [(r.id, r.changes, r.note) for r in rows],
                      "N": [(r.id, None, None) for r in rows], "E": []}  # fmt: skip


@checker
def nearest_cadres(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    lon, lat = p.sql.rows("SELECT ST_X(location) AS x, ST_Y(location) AS y FROM enterprise WHERE id = :e",
                          e=p.subjects.firms[scope].id)[0]  # fmt: skip
    q = "query ($x: Float!, $y: Float!) { nearestCadres(lon: $x, lat: $y, k: 3) { id } }"
    found = p.data(role, q, x=lon, y=lat)
    return len(found["nearestCadres"]), {"V": 3, "E": 0}


def zone_grids(p: Park, scope: str) -> list[str]:
    zone = p.subjects.grids[scope].zone_id
    return column(p, "SELECT code FROM grid WHERE zone_id = :z ORDER BY code", z=zone)


@checker
def coverage(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    q = "query ($p: String!, $z: String) { coverage(park: $p, zone: $z) { totals { grids } grids { code } } }"
    found = p.attempt(role, q, p=p.subjects.park, z=p.subjects.grids[scope].zone_code)
    if found != "F":
        found = (found["coverage"]["totals"]["grids"], sorted(g["code"] for g in found["coverage"]["grids"]))  # fmt: skip
    truth = zone_grids(p, scope)
    return found, {"V": (len(truth), truth), "F": "F"}


@checker
def coverage_geojson(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    response = p.client.get(f"/coverage/{p.subjects.park}/grids.geojson", headers=p.callers[role].headers(),
                            params={"zone": p.subjects.grids[scope].zone_code})  # fmt: skip
    body = response.json()
    if response.status_code == 200:
        return len(body["features"]), {"V": len(zone_grids(p, scope))}
    return (response.status_code, body["error"]["code"]), {"F": (403, "FORBIDDEN")}


@checker
def propose_assignments(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    q = "query ($p: String!, $z: String) { proposeAssignments(park: $p, zone: $z) { zone } }"
    zone = p.subjects.grids[scope].zone_code
    found = p.attempt(role, q, p=p.subjects.park, z=zone)
    return found, {"V": {"proposeAssignments": {"zone": zone}}, "F": "F"}


@checker
def preview_grid_change(p: Park, role: str, scope: str) -> tuple[Any, Expected]:
    grid = p.subjects.grids[scope]
    boundary = p.sql.scalar("SELECT CAST(ST_AsGeoJSON(boundary, 15) AS json) FROM grid WHERE id = :g", g=grid.id)  # fmt: skip
    q = "query ($c: String!, $b: GeoJSON!) { previewGridChange(code: $c, boundary: $b) { __typename } }"
    found = p.attempt(role, q, c=grid.code, b=boundary)
    return found, {"V": {"previewGridChange": {"__typename": "GridChangePreview"}}, "F": "F"}


@pytest.mark.parametrize(
    ("resource", "scope", "role", "symbol"),
    parse(READ_MATRIX),
    ids=[f"{r}-{s}-{role}" for r, s, role, _ in parse(READ_MATRIX)],
)
def test_read_matrix(park: Park, resource: str, scope: str, role: str, symbol: str) -> None:
    observed, expected = CHECKERS[resource](park, role, scope)
    assert symbol in expected, f"no expectation {symbol} for {resource}"
    assert observed == expected[symbol]


@pytest.mark.parametrize(
    ("target", "role", "symbol"),
    [(t, role, sym) for t, _, role, sym in parse(PHONE_MATRIX) if sym != "-"],
    ids=[f"{t}-{role}" for t, _, role, sym in parse(PHONE_MATRIX) if sym != "-"],
)
def test_phone_matrix(park: Park, target: str, role: str, symbol: str) -> None:
    cadre = park.subjects.cadres[role if target == "self" else target]
    observed, expected = phone_of(park, role, cadre)
    assert observed == expected[symbol]

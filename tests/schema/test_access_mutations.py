"""Access control, issue 6: who may change what. Each cell of the literal table below is a
role trying a mutation on a target; a refusal must be ForbiddenError (code FORBIDDEN) and
leave every table as it was, an allowed change must record the token and its cadre on each
event it writes. Expectations: README "Who sees and changes what"; state: SQL on base tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Databases, add_token
from tests.schema.access_subjects import CURRENT, ROLES, Caller, Park, open_park, post

# V: allowed (the payload type), every new event naming the token and its cadre (the admin's
# token stands for a cadre outside A, S and B); F: ForbiddenError, nothing changed.
# Targets: own = the liaison's own enterprise (grid A); A = another enterprise of grid A;
# S = grid S (same zone as A); B = grid B (another zone). For areas: the grid or its zone.
MUTATION_MATRIX = """
mutation                target anonymous viewer zone_lead grid_lead liaison former admin
logVisit                own    F         F      V         V         V       F      V
logVisit                A      F         F      V         V         F       F      V
logVisit                B      F         F      F         F         F       F      V
reportIssue             own    F         F      V         V         V       F      V
reportIssue             A      F         F      V         V         F       F      V
reportIssue             B      F         F      F         F         F       F      V
transitionIssue         own    F         F      V         V         V       F      V
transitionIssue         A      F         F      V         V         F       F      V
transitionIssue         B      F         F      F         F         F       F      V
assignIssue             own    F         F      V         V         V       F      V
assignIssue             B      F         F      F         F         F       F      V
commentIssue            own    F         F      V         V         V       F      V
commentIssue            A      F         F      V         V         F       F      V
commentIssue            B      F         F      F         F         F       F      V
recordOutcome           own    F         F      V         V         V       F      V
recordOutcome           B      F         F      F         F         F       F      V
updateEnterprise        own    F         F      V         V         F       F      V
updateEnterprise        S      F         F      V         F         F       F      V
updateEnterprise        B      F         F      F         F         F       F      V
recordPartyOrganisation own    F         F      V         V         F       F      V
recordPartyOrganisation S      F         F      V         F         F       F      V
recordPartyOrganisation B      F         F      F         F         F       F      V
moveWithinGrid          A      F         F      V         V         F       F      V
moveIntoGrid            B      F         F      F         F         F       F      V
assignLiaison           A      F         F      V         V         F       F      V
assignLiaison           B      F         F      F         F         F       F      V
endLiaison              A      F         F      V         V         F       F      V
endLiaison              B      F         F      F         F         F       F      V
assignGridLead          S      F         F      V         F         F       F      V
assignGridLead          B      F         F      F         F         F       F      V
assignZoneLead          B      F         F      F         F         F       F      V
upsertGrid              A      F         F      V         F         F       F      V
upsertGrid              S      F         F      V         F         F       F      V
upsertGrid              B      F         F      F         F         F       F      V
upsertZone              A      F         F      V         F         F       F      V
upsertZone              B      F         F      F         F         F       F      V
"""

RESULT = "{ __typename ... on UserError { code field message } }"


@dataclass
class World(Park):
    homes: dict[int, tuple[float, float]] = field(default_factory=dict)
    """Where every enterprise was at the start."""


@pytest.fixture(scope="module")
def world(databases: Databases, demo_template: str) -> Iterator[World]:
    with open_park(databases, demo_template) as park:
        rows = park.sql.rows("SELECT id, ST_X(location) AS x, ST_Y(location) AS y FROM enterprise")
        homes = {r.id: (r.x, r.y) for r in rows}
        yield World(park.client, park.sql, park.subjects, park.callers, homes)


@dataclass
class Call:
    payload: str
    query: str
    variables: dict[str, Any]


def now() -> str:
    return datetime.now(UTC).isoformat()


def fresh_issue(w: World, target: str) -> int:
    """A new reported issue (version 1) of the target's enterprise, written by SQL."""
    issue: int = w.sql.execute(
        "INSERT INTO public.issue (enterprise_id, category, title, description)"
        " VALUES (:e, 'other', '测试', '测试') RETURNING id",
        e=w.subjects.firms[target].id,
    )
    return issue


def free(w: World, condition: str, **params: Any) -> None:
    """End, by SQL, the current assignments matching the condition."""
    w.sql.execute(
        f"UPDATE public.assignment a SET valid_to = now() WHERE {condition} AND {CURRENT}", **params
    )


def current_liaison_assignment(w: World, firm_id: int) -> int:
    """The current liaison assignment of the enterprise; one is made by SQL when none is."""
    found = w.sql.scalar(
        f"SELECT a.id FROM assignment a WHERE a.enterprise_id = :e AND a.role = 'liaison' AND {CURRENT}",
        e=firm_id,
    )
    if found is None:
        found = w.sql.execute(
            "INSERT INTO public.assignment (cadre_id, role, enterprise_id, valid_from)"
            " VALUES (:c, 'liaison', :e, now()) RETURNING id",
            c=w.subjects.cadres["neutral"],
            e=firm_id,
        )
    return int(found)


def boundary(w: World, table: str, area_id: int) -> Any:
    return w.sql.scalar(
        f"SELECT CAST(ST_AsGeoJSON(boundary, 15) AS json) FROM public.{table} WHERE id = :i",
        i=area_id,
    )


def issue_call(name: str, args: str, extra: str = "") -> Callable[[World, str], Call]:
    def build(w: World, target: str) -> Call:
        variables = {"i": str(fresh_issue(w, target))}
        return Call(
            "IssuePayload",
            f"mutation ($i: ID!) {{ r: {name}(id: $i, {args}) {RESULT} }}",
            variables,
        )

    return build


def log_visit(w: World, target: str) -> Call:
    q = f'mutation ($u: String!, $at: DateTime!) {{ r: logVisit(enterprise: $u, at: $at, duties: [LIAISON], note: "走访") {RESULT} }}'
    return Call("VisitPayload", q, {"u": w.subjects.firms[target].uscc, "at": now()})


def report_issue(w: World, target: str) -> Call:
    q = f'mutation ($u: String!) {{ r: reportIssue(enterprise: $u, category: OTHER, title: "诉求", description: "细节") {RESULT} }}'
    return Call("IssuePayload", q, {"u": w.subjects.firms[target].uscc})


def update_enterprise(w: World, target: str) -> Call:
    q = f"mutation ($u: String!, $a: String!) {{ r: updateEnterprise(uscc: $u, address: $a) {RESULT} }}"
    return Call(
        "EnterprisePayload",
        q,
        {"u": w.subjects.firms[target].uscc, "a": f"地址 {uuid.uuid4().hex[:6]}"},
    )


def record_party(w: World, target: str) -> Call:
    firm = w.subjects.firms[target]
    members = w.sql.scalar(
        "SELECT coalesce(max(members), 0) + 1 FROM party_organisation WHERE enterprise_id = :e",
        e=firm.id,
    )
    q = f"mutation ($u: String!, $m: Int!) {{ r: recordPartyOrganisation(uscc: $u, kind: JOINT_BRANCH, members: $m) {RESULT} }}"
    return Call("PartyOrganisationPayload", q, {"u": firm.uscc, "m": members})


def go_home(w: World, firm_id: int) -> None:
    x, y = w.homes[firm_id]
    w.sql.execute(
        "UPDATE public.enterprise SET location = ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
        " WHERE id = :e AND NOT ST_Equals(location, ST_SetSRID(ST_MakePoint(:x, :y), 4326))",
        x=x, y=y, e=firm_id,
    )  # fmt: skip


def move(to: str) -> Callable[[World, str], Call]:
    """Move enterprise A (put back home first) to the point of the liaison's own enterprise
    (grid A) or of enterprise B (grid B)."""

    def build(w: World, target: str) -> Call:
        firm = w.subjects.firms["A"]
        go_home(w, firm.id)
        assert (
            w.sql.scalar("SELECT grid_id FROM enterprise WHERE id = :e", e=firm.id) == firm.grid_id
        )
        lon, lat = w.homes[w.subjects.firms[to].id]
        q = f"mutation ($u: String!, $p: GeoJSON!) {{ r: moveEnterprise(uscc: $u, location: $p) {RESULT} }}"
        return Call(
            "EnterprisePayload",
            q,
            {"u": firm.uscc, "p": {"type": "Point", "coordinates": [lon, lat]}},
        )

    return build


def assign(level: str) -> Callable[[World, str], Call]:
    def build(w: World, target: str) -> Call:
        grid = w.subjects.grids[target]
        if level == "ENTERPRISE":
            firm = w.subjects.firms[target]
            free(w, "a.role = 'liaison' AND a.enterprise_id = :e", e=firm.id)
            key = firm.uscc
        elif level == "GRID":
            free(w, "a.role = 'grid_lead' AND a.grid_id = :g", g=grid.id)
            key = grid.code
        else:
            free(w, "a.role = 'zone_lead' AND a.zone_id = :z", z=grid.zone_id)
            key = grid.zone_code
        q = f"mutation ($c: ID!, $t: String!) {{ r: assignCadre(cadre: $c, level: {level}, target: $t) {RESULT} }}"
        return Call("AssignmentPayload", q, {"c": str(w.subjects.cadres["neutral"]), "t": key})

    return build


def end_liaison(w: World, target: str) -> Call:
    assignment = current_liaison_assignment(w, w.subjects.firms[target].id)
    q = f"mutation ($i: ID!) {{ r: endAssignment(id: $i) {RESULT} }}"
    return Call("AssignmentPayload", q, {"i": str(assignment)})


def upsert_grid(w: World, target: str) -> Call:
    grid = w.subjects.grids[target]
    name = w.sql.scalar("SELECT name FROM grid WHERE id = :g", g=grid.id).split(" ·")[0]
    q = f"mutation ($c: String!, $n: String!, $z: String!, $b: GeoJSON!) {{ r: upsertGrid(code: $c, name: $n, zone: $z, boundary: $b) {RESULT} }}"
    variables = {
        "c": grid.code,
        "n": f"{name} ·{uuid.uuid4().hex[:4]}",
        "z": grid.zone_code,
        "b": boundary(w, "grid", grid.id),
    }
    return Call("GridPayload", q, variables)


def upsert_zone(w: World, target: str) -> Call:
    grid = w.subjects.grids[target]
    name = w.sql.scalar("SELECT name FROM zone WHERE id = :z", z=grid.zone_id).split(" ·")[0]
    q = f"mutation ($c: String!, $n: String!, $p: String!, $b: GeoJSON!) {{ r: upsertZone(code: $c, name: $n, park: $p, boundary: $b) {RESULT} }}"
    variables = {
        "c": grid.zone_code,
        "n": f"{name} ·{uuid.uuid4().hex[:4]}",
        "p": w.subjects.park,
        "b": boundary(w, "zone", grid.zone_id),
    }
    return Call("ZonePayload", q, variables)


CALLS: dict[str, Callable[[World, str], Call]] = {
    "logVisit": log_visit,
    "reportIssue": report_issue,
    "transitionIssue": issue_call("transitionIssue", 'version: 1, to: ACCEPTED, note: "受理"'),
    "assignIssue": issue_call("assignIssue", 'version: 1, responsibleUnit: "经发局"'),
    "commentIssue": issue_call("commentIssue", 'note: "跟进"'),
    "recordOutcome": issue_call("recordOutcome", "version: 1, peopleHired: 2, loanCny: 1000"),
    "updateEnterprise": update_enterprise,
    "recordPartyOrganisation": record_party,
    "moveWithinGrid": move("own"),
    "moveIntoGrid": move("B"),
    "assignLiaison": assign("ENTERPRISE"),
    "endLiaison": end_liaison,
    "assignGridLead": assign("GRID"),
    "assignZoneLead": assign("ZONE"),
    "upsertGrid": upsert_grid,
    "upsertZone": upsert_zone,
}


def cells() -> list[tuple[str, str, str, str]]:
    header, *lines = [line.split() for line in MUTATION_MATRIX.strip().splitlines()]
    assert tuple(header[2:]) == ROLES
    return [
        (m, t, role, sym)
        for m, t, *symbols in lines
        for role, sym in zip(ROLES, symbols, strict=True)
    ]


def attempt(w: World, caller: Caller, call: Call) -> dict[str, Any]:
    status, body = post(w.client, caller, call.query, call.variables)
    assert status == 200 and "errors" not in body, body
    result: dict[str, Any] = body["data"]["r"]
    return result


def assert_refused(w: World, caller: Caller, call: Call) -> None:
    before = w.sql.fingerprint()
    result = attempt(w, caller, call)
    assert result["__typename"] == "ForbiddenError" and result["code"] == "FORBIDDEN", result
    assert w.sql.fingerprint() == before


def assert_allowed(w: World, caller: Caller, call: Call, actor: int | None) -> None:
    last = w.sql.scalar("SELECT max(id) FROM event")
    result = attempt(w, caller, call)
    assert result["__typename"] == call.payload, result
    written = w.sql.rows("SELECT actor_id, token_id FROM event WHERE id > :last", last=last)
    assert written, "an allowed change writes an event"
    assert {(r.actor_id, r.token_id) for r in written} == {(actor, caller.token_id)}


@pytest.mark.parametrize(("mutation", "target", "role", "symbol"), cells(),
                         ids=[f"{m}-{t}-{r}" for m, t, r, _ in cells()])  # fmt: skip
def test_mutation_matrix(world: World, mutation: str, target: str, role: str, symbol: str) -> None:
    caller = world.callers[role]
    call = CALLS[mutation](world, target)
    try:
        if symbol == "F":
            assert_refused(world, caller, call)
        else:
            assert_allowed(world, caller, call, caller.cadre_id)
    finally:
        if mutation.startswith("move"):
            go_home(world, world.subjects.firms["A"].id)


# --- records in another cadre's name, and tokens without a cadre -------------------------------

VISIT_FOR = f"mutation ($u: String!, $at: DateTime!, $c: ID!) {{ r: logVisit(enterprise: $u, at: $at, duties: [SAFETY], cadre: $c) {RESULT} }}"
REPORT_FOR = f'mutation ($u: String!, $c: ID!) {{ r: reportIssue(enterprise: $u, category: OTHER, title: "代报", reportedBy: $c) {RESULT} }}'


@pytest.mark.parametrize("query", [VISIT_FOR, REPORT_FOR], ids=["logVisit", "reportIssue"])
def test_a_liaison_enters_nothing_in_another_cadres_name(world: World, query: str) -> None:
    variables = {
        "u": world.subjects.firms["own"].uscc,
        "at": now(),
        "c": str(world.subjects.cadres["grid_lead"]),
    }
    assert_refused(world, world.callers["liaison"], Call("", query, variables))


@pytest.mark.parametrize("query", [VISIT_FOR, REPORT_FOR], ids=["logVisit", "reportIssue"])
def test_a_grid_lead_enters_a_record_in_the_liaisons_name(world: World, query: str) -> None:
    """README: the record may name another cadre, but every event records the token and the
    token's cadre as the actor."""
    caller, liaison = world.callers["grid_lead"], world.subjects.cadres["liaison"]
    variables = {"u": world.subjects.firms["own"].uscc, "at": now(), "c": str(liaison)}
    payload = "VisitPayload" if query is VISIT_FOR else "IssuePayload"
    table, column = ("visit", "cadre_id") if query is VISIT_FOR else ("issue", "reporter_id")
    last = world.sql.scalar(f"SELECT max(id) FROM {table}")
    assert_allowed(world, caller, Call(payload, query, variables), caller.cadre_id)
    assert world.sql.scalar(f"SELECT {column} FROM {table} WHERE id > :v", v=last) == liaison


def test_an_admin_token_without_a_cadre_records_no_actor(world: World) -> None:
    token_id = add_token(
        str(world.sql.engine.url.render_as_string(hide_password=False)),
        "pgt_access-bare-admin",
        "admin",
    )
    caller = Caller("admin", "pgt_access-bare-admin", token_id, None)
    call = issue_call("commentIssue", 'note: "管理员"')(world, "B")
    assert_allowed(world, caller, call, None)

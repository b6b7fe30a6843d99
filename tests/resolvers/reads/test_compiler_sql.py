"""Golden tests of the read compiler's SQL: representative request shapes, with a fixed `today`
and `now`, compiled to the statement and parameters kept in golden/<name>.sql. A change to
the compiler that changes a statement shows here as a diff to review; run with
PARKGRID_UPDATE_GOLDEN=1 to write the golden files (then read them before committing).

Every statement also binds every value (no user value in the text, no '%' but the
placeholders) and runs on the demo park, answering the keys asked for. The map's layer
statements (tiles and OGC pages, built from the same fields) are kept as golden/layer_*.sql;
their answers are tested in tests/web/routes."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from parkgrid.auth.principal import (
    SIGN_IN_TO_READ,
    SIGNED_IN,
    TOKEN_CHECKED,
    reading_as,
    scope_needed,
    sign_in_params,
)
from parkgrid.settings import ApiSettings
from resolvers.gis import features, tiles
from resolvers.gis.layers import LAYERS
from resolvers.reads.request import Limits, Plan, compile_request, query_fields
from resolvers.reads.selection import Selection
from schema import build_schema, limit_rules
from web.compiled import FastPath

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PARKGRID_UPDATE_GOLDEN") == "1"
NOW = datetime(2026, 3, 15, 4, 30, tzinfo=UTC)  # 12:30 in the park's time zone
TODAY = date(2026, 3, 15)
LIMITS = Limits(default_page=50, max_page=500, check_in_tolerance_m=500.0, max_positions=10_000)
PLACEHOLDER = re.compile(r"%\((b\d+)\)s")
TOKEN_PLACEHOLDER = re.compile(r"%\((digest|at)\)s")  # the token's check, when signed in
GRID = "430624101001001"
FAR_USCC = "91430624MA0QC60PNP"


def leaf(*names: str) -> tuple[Selection, ...]:
    return tuple(Selection(name, name) for name in names)


def node(name: str, *fields: Selection, key: str | None = None, **args: Any) -> Selection:
    return Selection(key or name, name, args, fields)


PAGE_INFO = node("pageInfo", *leaf("hasNextPage", "endCursor"))
GRID_DETAIL = (
    node("grid", *leaf("code", "name", "enterpriseCount"), node("zone", *leaf("code")),
         node("enterprises", Selection("totalCount", "totalCount"), PAGE_INFO,
              node("edges", Selection("cursor", "cursor"),
                   node("node", *leaf("uscc", "name", "location"))),
              first=20),
         code=GRID),
)  # fmt: skip
GRID_DETAIL_QUERY = """query ($code: String!) { grid(code: $code) { code name enterpriseCount
  zone { code } enterprises(first: 20) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { uscc name location } } } } }"""
LOCATE = (
    node("locate", node("park", *leaf("code")), node("zone", *leaf("code", "name")),
         node("grid", *leaf("code", "name")), lon=112.8712, lat=28.6861),
)  # fmt: skip
ISSUE = (
    node("issue", *leaf("id", "title", "status", "dueDate", "overdue"),
         node("events", *leaf("action", "occurredAt"), node("actor", *leaf("name"))),
         node("enterprise", *leaf("uscc", "name"), node("grid", *leaf("code")),
              node("liaison", *leaf("name"))),
         id="424242"),
)  # fmt: skip
AFTER = base64.urlsafe_b64encode(json.dumps([321.25, FAR_USCC]).encode()).decode()
QUERIES: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "enterprises_bbox": (
        "{ enterprises(filter: {bbox: [112.861, 28.671, 112.899, 28.699]}, first: 100)"
        " { totalCount nodes { uscc name location } } }",
        {},
        ("112.861", "28.671", "112.899", "28.699"),
    ),
    "enterprises_near_distance_after": (
        "query ($after: String) { enterprises(filter: {near: {lon: 112.9013, lat: 28.7007,"
        " meters: 1234.5}}, orderBy: DISTANCE, first: 10, after: $after) { totalCount"
        " pageInfo { hasNextPage endCursor } edges { cursor node { uscc distanceMeters } } } }",
        {"after": AFTER},
        ("112.9013", "28.7007", "1234.5", "321.25", FAR_USCC, AFTER),
    ),
    "planner_nested": (
        "query ($zone: String!) { zone(code: $zone) { grids(first: 100) { nodes { code"
        " enterpriseCount openIssueCount openIssues(first: 10) { totalCount nodes { id"
        " enterprise { uscc name } } } } } } }",
        {"zone": "430624101002"},
        ("430624101002",),
    ),
    "grid_detail_signed_in": (GRID_DETAIL_QUERY, {"code": GRID}, (GRID,)),
    "issue_titles_signed_in": (
        "query ($zone: String!) { issues(filter: {zone: $zone}, first: 5) { nodes { id title"
        " enterprise { uscc } } } }",
        {"zone": "430624101002"},
        ("430624101002",),
    ),
}
TOP = {"enterprises_bbox": "enterprises", "enterprises_near_distance_after": "enterprises",
       "planner_nested": "zone", "grid_detail_signed_in": "grid",
       "issue_titles_signed_in": "issues"}  # fmt: skip
SIGNED_IN_PARAMS = sign_in_params("Bearer pgt_golden-unknown", NOW)
BY_HAND: dict[str, tuple[tuple[Selection, ...], tuple[str, ...]]] = {
    "grid_detail": (GRID_DETAIL, (GRID,)),
    "locate": (LOCATE, ("112.8712", "28.6861")),
    "issue_events_enterprise": (ISSUE, ("424242",)),
}


@pytest.fixture(scope="module")
def fastpath() -> FastPath:
    api = ApiSettings()
    rules = limit_rules(api)
    return FastPath(build_schema(api, rules), api, rules, LIMITS)


def plan_of(
    fastpath: FastPath, query: str, variables: dict[str, Any], signed_in: bool = False
) -> Plan | None:
    """The plan the service would make for the request, checked as it checks one."""
    prepared = fastpath.operation(query, None)
    assert prepared.operation is not None, prepared.errors
    coerced = fastpath.variables(prepared, variables)
    assert not isinstance(coerced, list), coerced
    return fastpath.plan(prepared.operation, coerced, NOW, signed_in)


def planned(fastpath: FastPath, name: str) -> tuple[Plan, tuple[str, ...]]:
    query, variables, literals = QUERIES[name]
    plan = plan_of(fastpath, query, variables, name.endswith("signed_in"))
    assert plan is not None, f"{name} did not compile"
    return plan, literals


def by_hand(name: str) -> tuple[Plan, tuple[str, ...]]:
    fields, literals = BY_HAND[name]
    return compile_request(query_fields(fields), LIMITS, TODAY, NOW, staff=False), literals


def param_line(name: str, value: Any) -> str:
    if isinstance(value, bytes):
        shown = value.hex()
    elif isinstance(value, date | datetime):
        shown = value.isoformat()
    else:
        shown = json.dumps(value, ensure_ascii=False)
    return f"-- {name} {type(value).__name__} {shown}"


def rendered(plan: Plan) -> str:
    lines = [param_line(name, value) for name, value in plan.params.items()]
    return "\n".join([*lines, plan.sql, ""])


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.sql"
    if UPDATE and (not path.exists() or path.read_text(encoding="utf-8") != text):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with PARKGRID_UPDATE_GOLDEN=1, then review it"
    assert text == path.read_text(encoding="utf-8")


def check_bound(plan: Plan, literals: tuple[str, ...]) -> None:
    assert "%" not in TOKEN_PLACEHOLDER.sub("", PLACEHOLDER.sub("", plan.sql))
    assert set(PLACEHOLDER.findall(plan.sql)) == set(plan.params)
    values = {str(v) for v in plan.params.values()}
    for literal in literals:
        assert literal not in plan.sql, f"{literal!r} is in the SQL text"
    assert all(literal in values for literal in literals if literal != AFTER)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_planned_shapes_match_their_golden_sql(fastpath, name) -> None:
    plan, literals = planned(fastpath, name)
    check_bound(plan, literals)
    check_golden(name, rendered(plan))


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_hand_built_shapes_match_their_golden_sql(name) -> None:
    plan, literals = by_hand(name)
    check_bound(plan, literals)
    check_golden(name, rendered(plan))


def test_the_schema_collects_what_is_built_by_hand(fastpath) -> None:
    """The same grid detail from GraphQL text and from Selections built by hand compiles to
    the same statement; signing in adds only the token's check (grid detail reads no scoped
    view, so the statement checks the token itself and no scope is set before it)."""
    plan = plan_of(fastpath, GRID_DETAIL_QUERY, {"code": GRID})
    hand, _ = by_hand("grid_detail")
    assert plan == hand
    signed, _ = planned(fastpath, "grid_detail_signed_in")
    assert signed.params == hand.params
    assert signed.sql == f"{hand.sql}, {TOKEN_CHECKED}"
    statements, _ = reading_as("Bearer pgt_x", NOW, signed.sql, signed.params)
    assert statements == [(signed.sql, True)]


def test_a_statement_reading_a_scoped_view_is_sent_after_the_scope(fastpath) -> None:
    """Issue titles are read through the scoped views: the caller's scope is set first, in
    the same round trip, and the statement reads how the token's check went."""
    plan, _ = planned(fastpath, "issue_titles_signed_in")
    assert plan.sql.endswith(f", {SIGNED_IN}") and scope_needed(plan.sql)
    statements, params = reading_as("Bearer pgt_x", NOW, plan.sql, plan.params)
    assert statements == [(SIGN_IN_TO_READ, True), (plan.sql, True)]
    assert params == {**plan.params, **sign_in_params("Bearer pgt_x", NOW)}


def test_values_change_parameters_not_the_statement(fastpath) -> None:
    """Another grid code, cursor or point: the same text (one prepared plan per shape)."""
    query, variables, _ = QUERIES["enterprises_near_distance_after"]
    other = base64.urlsafe_b64encode(json.dumps([7, "91430624MA24R222Q4"]).encode()).decode()
    first = plan_of(fastpath, query, variables)
    second = plan_of(fastpath, query, {"after": other})
    assert first and second and first.sql == second.sql
    assert first.params != second.params and 7 in second.params.values()
    grid = plan_of(fastpath, GRID_DETAIL_QUERY, {"code": "430624101003005"})
    assert grid and grid.sql == by_hand("grid_detail")[0].sql


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_map_layer_statements_match_their_golden_sql(layer: str) -> None:
    """The map's layers read the API's fields (resolvers.gis.layers): a change to a field they
    show shows here too, in the tile statement and the OGC page (with a box, every filter)."""
    collection = features.COLLECTIONS[layer]
    page = features.items_statement(collection, True, tuple(sorted(collection.filters)))
    tile = tiles.LAYERS[layer].statement
    text = f"-- tile\n{' '.join(tile.split())}\n-- OGC items page\n{' '.join(page.split())}\n"
    check_golden(f"layer_{layer}", text)


@pytest.fixture(scope="module")
def database(demo_url: str) -> Iterator[Any]:
    """A plain connection reading as the service does: through the scoped views first."""
    url = make_url(demo_url)
    conn = psycopg2.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        dbname=url.database, options="-c search_path=parkgrid_scoped,public",
    )  # fmt: skip
    conn.autocommit = True
    yield conn
    conn.close()


def keys(fields: tuple[Selection, ...]) -> list[str]:
    return [s.key for s in fields]


@pytest.mark.parametrize("name", [*sorted(QUERIES), *sorted(BY_HAND)])
def test_golden_statements_run_and_answer_the_keys_asked(fastpath, database, name) -> None:
    if name in BY_HAND:
        plan, _ = by_hand(name)
        expected = keys(BY_HAND[name][0])
    else:
        plan, _ = planned(fastpath, name)
        expected = [TOP[name]]
    with database.cursor() as cursor:
        cursor.execute(plan.sql, {**plan.params, **SIGNED_IN_PARAMS})
        data, guards, *_ = cursor.fetchone()
    assert not any(guards)
    assert list(json.loads(data)) == expected

"""A request compiled whole answers exactly what it answers compiled field by field (the
executor's way, `fast_path=False`), in one round trip to the database; requests that fail
are executed, and keep the executor's errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from parkgrid.settings import ApiSettings, DatabaseSettings
from web.app import create_app

GRID = "430624101001001"
ENTERPRISE_FIELDS = "__typename uscc name industry address location location3: location(precision: 3) grid { code zone { code } }"
COMPILED: list[tuple[str, dict[str, Any]]] = [
    (
        "query ($code: String!) { grid(code: $code) { __typename code name enterpriseCount openIssueCount"
        " overdueIssueCount areaSqM perimeterM boundary b2: boundary(precision: 2)"
        " zone { code name park { code name } }"
        f" enterprises(first: 5) {{ __typename totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ENTERPRISE_FIELDS} }} }} nodes {{ uscc }} }} }} }}",
        {"code": GRID},
    ),
    ('{ zone(code: "430624101002") { code enterprises { totalCount edges { cursor } } } }', {}),
    (
        '{ park(code: "430624101") { enterpriseCount openIssueCount all: enterprises(first: 500) { totalCount pageInfo { hasNextPage endCursor } } none: enterprises(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } } }',
        {},
    ),
    ('{ grid(code: "no-such-grid") { code } missing: park(code: "x") { name } }', {}),
    (
        "query ($lon: Float!, $lat: Float!) { __typename locate(lon: $lon, lat: $lat) { __typename park { code } zone { code name } grid { code name enterpriseCount } } }",
        {"lon": 112.87, "lat": 28.686},
    ),
    ("{ locate(lon: 113.5, lat: 28.0) { park { code } zone { code } grid { code } } }", {}),
    ("{ locate(lon: 112.887, lat: 28.675) { grid { code } zone { code } } }", {}),
    (
        f"{{ nearestEnterprises(lon: 112.9, lat: 28.7, k: 20) {{ distanceMeters {ENTERPRISE_FIELDS} }} }}",
        {},
    ),
    ("{ nearestEnterprises(lon: 112, lat: 28) { uscc distanceMeters } }", {}),
    (
        "query ($b: [Float!]!, $n: Int) { enterprises(filter: {bbox: $b}, first: $n) { totalCount edges { cursor node { uscc location distanceMeters } } pageInfo { hasNextPage endCursor } } }",
        {"b": [112.86, 28.67, 112.9, 28.7], "n": 7},
    ),
    (
        '{ enterprises(filter: {industry: "食品加工", hasOpenIssues: false, search: "演示"}, first: 3) { totalCount nodes { uscc name } } }',
        {},
    ),
    ("{ enterprises { totalCount pageInfo { hasNextPage } } }", {}),
    # only the count, of many and of none (one row either way)
    ('{ enterprises(filter: {search: "演示"}) { totalCount } }', {}),
    ('{ enterprises(filter: {search: "zzz"}) { totalCount __typename } }', {}),
]
# once outside the compiler, now compiled as well
MORE_SHAPES: list[tuple[str, dict[str, Any]]] = [
    ('{ grid(code: "430624101001001") { cadres { role } } }', {}),
    ('{ grid(code: "430624101001001") { ...on Grid { code } } }', {}),
    ('{ grid(code: "430624101001001") { code @include(if: true) } }', {}),
    ("{ enterprises(orderBy: NAME, first: 2) { nodes { name } } }", {}),
    ("{ enterprises(filter: {near: {lon: 112.9, lat: 28.7, meters: 500}}) { totalCount } }", {}),
    ('{ grid(code: "430624101001001") { boundary(simplify: 50) } }', {}),
]
FAILING: list[tuple[str, dict[str, Any]]] = [
    # anonymous callers may not filter by liaison (FORBIDDEN either way)
    ('{ enterprises(filter: {zone: "430624101003", withoutLiaison: false}) { totalCount } }', {}),
    (
        "query ($lon: Float!, $lat: Float!) { locate(lon: $lon, lat: $lat) { grid { code } } }",
        {"lon": 200, "lat": 1},
    ),
    ("query ($code: String!) { grid(code: $code) { code } }", {"code": 5}),
    ("{ enterprises(filter: {bbox: [1, 2, 3]}) { totalCount } }", {}),
    ('{ grid(code: "430624101001001") { boundary(precision: 99) } }', {}),
    ("{ enterprises(first: 501) { totalCount } }", {}),
]


@pytest.fixture(scope="module")
def clients(demo_url: str) -> Iterator[tuple[TestClient, TestClient, list[str]]]:
    """The compiled and the executed app; `trips` records each round trip of the compiled
    app (a batch sent at once, or a statement through the engine)."""
    trips: list[str] = []
    fast = create_app(DatabaseSettings(url=demo_url), ApiSettings(fast_path=True))
    slow = create_app(DatabaseSettings(url=demo_url), ApiSettings(fast_path=False))
    with TestClient(fast) as fast_client, TestClient(slow) as slow_client:
        db = fast_client.app.state.db  # type: ignore[attr-defined]
        event.listen(db.engine, "before_cursor_execute", lambda *args: trips.append(args[2]))
        first_row = db.reads.first_row

        async def recorded(statements, params):
            trips.append("batch")
            return await first_row(statements, params)

        db.reads.first_row = recorded
        yield fast_client, slow_client, trips


def both(clients, query: str, variables: dict[str, Any]) -> tuple[dict, dict, list[str]]:
    fast, slow, trips = clients
    trips.clear()
    answer = fast.post("/graphql", json={"query": query, "variables": variables}).json()
    seen = list(trips)
    return (
        answer,
        slow.post("/graphql", json={"query": query, "variables": variables}).json(),
        seen,
    )


@pytest.mark.parametrize(("query", "variables"), COMPILED + MORE_SHAPES)
def test_compiled_answers_equal_executed_answers_in_one_round_trip(
    clients, query, variables
) -> None:
    fast, slow, trips = both(clients, query, variables)
    assert "errors" not in slow, slow
    assert fast == slow
    assert trips == ["batch"]


@pytest.mark.parametrize(("query", "variables"), FAILING)
def test_failing_requests_give_the_same_errors(clients, query, variables) -> None:
    fast, slow, _ = both(clients, query, variables)
    assert slow["errors"]
    assert fast == slow


@pytest.mark.parametrize("fast_path", [True, False])
def test_an_object_of_more_than_fifty_keys_keeps_them_in_order(demo_url, fast_path) -> None:
    """json_build_object takes 50 keys at most: a wider object is built in parts."""
    from sqlalchemy import create_engine, text

    keys = [f"k{n}" for n in range(60)]
    aliased = " ".join(
        f"{key}: {'code' if n % 2 else 'enterpriseCount'}" for n, key in enumerate(keys)
    )
    api = ApiSettings(fast_path=fast_path, max_aliases=100)
    with TestClient(create_app(DatabaseSettings(url=demo_url), api)) as client:
        answer = client.post(
            "/graphql", json={"query": f'{{ grid(code: "{GRID}") {{ {aliased} }} }}'}
        ).json()
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        count = conn.execute(
            text(
                "SELECT count(*) FROM enterprise e JOIN grid g ON g.id = e.grid_id WHERE g.code = :c"
            ),
            {"c": GRID},
        ).scalar_one()
    engine.dispose()
    grid = answer["data"]["grid"]
    assert list(grid) == keys
    assert all(grid[key] == (GRID if n % 2 else count) for n, key in enumerate(keys))


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        ("query ($c: String!) { grid(code: $c) { code } }", {"c": "G\u00001"}, "code"),
        (
            "query ($s: String) { enterprises(filter: {search: $s}) { totalCount } }",
            {"s": "a\u0000"},
            "filter.search",
        ),
    ],
)
def test_a_nul_character_is_refused_by_name(clients, query, variables, field) -> None:
    fast, slow, _ = both(clients, query, variables)
    assert fast == slow
    (error,) = fast["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


def test_the_same_field_of_many_objects_is_read_in_one_statement(demo_url) -> None:
    """Each hard case names its issue: the executor reads them all in one batch."""
    from sqlalchemy import create_engine, text

    from tests.conftest import ADMIN_TOKEN

    query = (
        '{ stats(park: "430624101", hardCaseDays: 30) { hardCases { ageDays issue { id title'
        " enterprise { uscc } } } } }"
    )
    with TestClient(create_app(DatabaseSettings(url=demo_url))) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        db = client.app.state.db  # type: ignore[attr-defined]
        batches: list[int] = []
        first_row = db.reads.first_row

        async def counted(statements, params):
            batches.append(len(statements))
            return await first_row(statements, params)

        db.reads.first_row = counted
        cases = client.post("/graphql", json={"query": query}).json()["data"]["stats"]["hardCases"]
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT CAST(id AS text) AS id, title FROM issue")).all()
    engine.dispose()
    titles = {row.id: row.title for row in rows}
    assert len(cases) > 1
    assert all(case["issue"]["title"] == titles[case["issue"]["id"]] for case in cases)
    assert len(batches) == 1

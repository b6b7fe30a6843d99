"""Abusive requests are refused with a code before any SQL reads data; the statement count of a
nested request does not grow with the data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from parkgrid.auth.principal import SIGN_IN
from parkgrid.prepared import statement_name
from tests.conftest import app_client

NESTED = """query ($grids: Int!) { grids(first: $grids) { totalCount edges { node {
  code zone { code park { code } } areaSqM boundary
  enterprises(first: 100) { totalCount edges { node { uscc location grid { code } liaison { name } } } }
  openIssues(first: 10) { totalCount edges { node { id status enterprise { name } } } }
  cadres { id name role } } } } }"""


STATEMENT_BOUND = 20


@pytest.fixture(scope="module")
def counted(demo_url: str) -> Iterator[tuple[TestClient, list[str]]]:
    statements: list[str] = []
    with app_client(demo_url) as client:
        engine = client.app.state.db.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        yield client, statements


def run(counted, query: str, variables: dict | None = None) -> tuple[dict, int]:
    client, statements = counted
    statements.clear()
    body = client.post("/graphql", json={"query": query, "variables": variables or {}}).json()
    return body, len([s for s in statements if not overhead(s)])


def overhead(statement: str) -> bool:
    """Signing in (the token and its scope) and setting the caller's scope: not data."""
    return statement_name(SIGN_IN) in statement or "set_config" in statement


def test_nested_request_costs_the_same_for_2_or_13_grids(counted) -> None:
    _, small_count = run(counted, NESTED, {"grids": 2})
    large, large_count = run(counted, NESTED, {"grids": 13})
    assert "errors" not in large, large.get("errors")
    assert len(large["data"]["grids"]["edges"]) == 13
    assert (
        sum(len(g["node"]["enterprises"]["edges"]) for g in large["data"]["grids"]["edges"]) == 216
    )
    # one statement per batch of each kind of data (a kind may batch twice when its keys
    # arrive in two event-loop ticks); 13 grids with 216 enterprises cost no more than 2
    assert max(small_count, large_count) <= STATEMENT_BOUND


def test_depth_limit(counted) -> None:
    deep = "{ parks { edges { node { zones { edges { node { grids { edges { node { enterprises { edges { node { grid { zone { park { code } } } } } } } } } } } } } } } }"
    body, statements = run(counted, deep)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert statements == 0


def test_alias_limit(counted) -> None:
    many = "{ " + " ".join(f"a{n}: parks {{ totalCount }}" for n in range(40)) + " }"
    body, statements = run(counted, many)
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert statements == 0


def test_token_limit(counted) -> None:
    huge = "{ " + " ".join("parks { totalCount }" for _ in range(2000)) + " }"
    body, statements = run(counted, huge)
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_TOKENS"
    assert statements == 0


def test_invalid_query_has_a_code(counted) -> None:
    body, _ = run(counted, "{ grid(code: 1) { nope } }")
    assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}


def test_page_size_is_refused_before_any_sql(counted) -> None:
    query = "query ($n: Int!) { parks { nodes { code } } grids(first: 2) { nodes { enterprises(first: $n) { totalCount } } } }"
    body, statements = run(counted, query, {"n": 1000})
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "PAGE_SIZE_EXCEEDED", "field": "first"}
    assert statements == 0


def test_nearest_k_is_refused_before_any_sql(counted) -> None:
    body, statements = run(
        counted, "{ parks { totalCount } nearestEnterprises(lon: 112.9, lat: 28.7, k: 0) { uscc } }"
    )
    assert body["errors"][0]["extensions"] == {"code": "PAGE_SIZE_EXCEEDED", "field": "k"}
    assert statements == 0

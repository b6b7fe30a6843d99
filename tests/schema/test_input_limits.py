"""Limits on what a client sends (string lengths, list lengths, NUL characters), refused
before any SQL with a code naming the limit and the field, changing nothing; and concurrent
registrations of one credit code giving one row and CONFLICT to the others."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from parkgrid import uscc as credit_code
from parkgrid.settings import ApiSettings
from tests.conftest import app_client

LIMITS = ApiSettings()
ERROR = "... on UserError { code field message }"
REGISTER = f"""mutation ($uscc: String!, $name: String!, $location: GeoJSON!) {{
  registerEnterprise(uscc: $uscc, name: $name, location: $location) {{
    __typename ... on EnterprisePayload {{ enterprise {{ uscc }} }} {ERROR} }} }}"""
COMMENT = f"""mutation ($id: ID!, $note: String!) {{
  commentIssue(id: $id, note: $note) {{ __typename {ERROR} }} }}"""
SEARCH = "query ($s: String) { enterprises(filter: {search: $s}) { totalCount } }"


@pytest.fixture(scope="module")
def url(databases: Any, demo_template: str) -> str:
    """A demo database of this module's own, to write to."""
    return str(databases.url(databases.create(template=demo_template)))


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[TestClient]:
    with app_client(url) as client:
        yield client


@pytest.fixture(scope="module")
def tables(url: str) -> Iterator[Any]:
    """A checksum of every table's rows, read by plain SQL."""
    engine = create_engine(url)
    names = ("enterprise", "issue", "event", "visit")

    def checksum() -> dict[str, str]:
        rows = "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {} t"
        with engine.connect() as conn:
            return {name: conn.execute(text(rows.format(name))).scalar_one() for name in names}

    yield checksum
    engine.dispose()


def a_new_code(n: int) -> str:
    body = f"91430624MA{n:07d}"
    return body + credit_code.check_character(body)


def point() -> dict[str, Any]:
    return {"type": "Point", "coordinates": [112.87, 28.686]}


def an_open_issue(client: TestClient) -> str:
    answer = client.post("/graphql", json={"query": "{ issues(first: 1) { nodes { id } } }"})
    return str(answer.json()["data"]["issues"]["nodes"][0]["id"])


def test_a_megabyte_name_is_refused_naming_the_limit(client: TestClient, tables: Any) -> None:
    before = tables()
    variables = {"uscc": a_new_code(1), "name": "n" * 1_000_000, "location": point()}
    result = client.post("/graphql", json={"query": REGISTER, "variables": variables})
    refused = result.json()["data"]["registerEnterprise"]
    assert refused["__typename"] == "InvalidInputError"
    assert (refused["code"], refused["field"]) == ("STRING_TOO_LONG", "name")
    assert str(LIMITS.max_name_length) in refused["message"]
    assert tables() == before


@pytest.mark.parametrize(
    ("note", "code"),
    [("a\u0000b", "BAD_USER_INPUT"), ("x" * (LIMITS.max_text_length + 1), "STRING_TOO_LONG")],
)
def test_a_note_is_checked(client: TestClient, tables: Any, note: str, code: str) -> None:
    before = tables()
    variables = {"id": an_open_issue(client), "note": note}
    result = client.post("/graphql", json={"query": COMMENT, "variables": variables})
    refused = result.json()["data"]["commentIssue"]
    assert (refused["code"], refused["field"]) == (code, "note")
    assert tables() == before


@pytest.mark.parametrize("name", ["红\x1b[31m字", "企业\t名", "a\x85b"])
def test_control_characters_in_a_name_are_refused(
    client: TestClient, tables: Any, name: str
) -> None:
    before = tables()
    variables = {"uscc": a_new_code(3), "name": name, "location": point()}
    result = client.post("/graphql", json={"query": REGISTER, "variables": variables})
    refused = result.json()["data"]["registerEnterprise"]
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "name")
    assert "control characters" in refused["message"]
    assert tables() == before


def test_a_search_pasted_from_a_spreadsheet_is_answered(client: TestClient) -> None:
    body = {"query": SEARCH, "variables": {"s": "企业\t名\r\n"}}
    assert client.post("/graphql", json=body).json() == {"data": {"enterprises": {"totalCount": 0}}}


def test_a_note_at_the_limit_is_taken(client: TestClient) -> None:
    variables = {"id": an_open_issue(client), "note": "说" * LIMITS.max_text_length}
    result = client.post("/graphql", json={"query": COMMENT, "variables": variables})
    assert result.json()["data"]["commentIssue"]["__typename"] != "InvalidInputError"


@pytest.mark.parametrize("literal", [False, True])
def test_a_long_search_is_refused_before_any_sql(client: TestClient, literal: bool) -> None:
    text_ = "企" * (LIMITS.max_name_length + 1)
    if literal:
        query = f'{{ enterprises(filter: {{search: "{text_}"}}) {{ totalCount }} }}'
        body: dict[str, Any] = {"query": query}
    else:
        body = {"query": SEARCH, "variables": {"s": text_}}
    (error,) = client.post("/graphql", json=body).json()["errors"]
    assert error["extensions"] == {"code": "STRING_TOO_LONG", "field": "filter.search"}


def test_a_search_at_the_limit_is_answered(client: TestClient) -> None:
    body = {"query": SEARCH, "variables": {"s": "企" * LIMITS.max_name_length}}
    assert client.post("/graphql", json=body).json() == {"data": {"enterprises": {"totalCount": 0}}}


def test_a_long_list_is_refused(client: TestClient) -> None:
    query = "query ($s: [IssueStatus!]) { issues(filter: {status: $s}) { totalCount } }"
    statuses = ["REPORTED"] * (LIMITS.max_list_length + 1)
    (error,) = client.post("/graphql", json={"query": query, "variables": {"s": statuses}}).json()[
        "errors"
    ]
    assert error["extensions"] == {"code": "LIST_TOO_LONG", "field": "filter.status"}


def test_the_schema_states_the_limits(client: TestClient) -> None:
    query = '{ __type(name: "Mutation") { fields { name args { name description } } } }'
    fields = client.post("/graphql", json={"query": query}).json()["data"]["__type"]["fields"]
    args = {(f["name"], a["name"]): a["description"] or "" for f in fields for a in f["args"]}
    assert f"At most {LIMITS.max_name_length} characters." in args[("registerEnterprise", "name")]
    assert f"At most {LIMITS.max_text_length} characters." in args[("commentIssue", "note")]
    assert f"At most {LIMITS.max_list_length} items." in args[("logVisit", "duties")]
    query = '{ __type(name: "Query") { fields { name args { name description } } } }'
    fields = client.post("/graphql", json={"query": query}).json()["data"]["__type"]["fields"]
    args = {(f["name"], a["name"]): a["description"] or "" for f in fields for a in f["args"]}
    assert f"From 0 to {LIMITS.max_page_size}." in args[("enterprises", "first")]
    assert f"From 1 to {LIMITS.max_page_size}." in args[("nearestEnterprises", "k")]


def test_concurrent_registrations_of_one_code_give_one_row_and_conflicts(
    client: TestClient, url: str
) -> None:
    code = a_new_code(2)
    variables = {"uscc": code, "name": "并发企业", "location": point()}

    def register(_: int) -> dict[str, Any]:
        body = {"query": REGISTER, "variables": variables}
        answer: dict[str, Any] = client.post("/graphql", json=body).json()
        return answer

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = [r["data"]["registerEnterprise"] for r in pool.map(register, range(16))]
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["ConflictError"] * 15 + ["EnterprisePayload"]
    assert all(r["code"] == "CONFLICT" and r["field"] == "uscc" for r in results if "code" in r)
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM enterprise WHERE uscc = :u"), {"u": code})
        assert count.scalar_one() == 1
    engine.dispose()

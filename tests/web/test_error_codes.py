"""Every `extensions.code` the service can send is documented with its meaning and HTTP
status per route: in the README (the table `parkgrid schema --errors` prints) and, for the
codes a mutation reports as a value, in its result union's description. The codes are found
two ways, from the classes and tables that define them and by reading the source for code
literals, and some statuses are checked against real requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import get_introspection_query, graphql_sync
from starlette.testclient import TestClient

from parkgrid.error_codes import MEANINGS
from parkgrid.settings import PROJECT_ROOT, ApiSettings
from schema import build_schema, limit_rules
from tests.conftest import app_client
from web import error_codes
from web.graphql_http import REFUSALS

SOURCES = ("parkgrid", "resolvers", "schema", "web", "geo")
LITERALS = re.compile(
    r"""(?:\bcode\s*=\s*|["']code["']\s*:\s*|refusal\(\s*|Refused\(\s*\d+,\s*)"""
    r"""["']([A-Z][A-Z_]{3,})["']"""
)
"""`code = "X"`, `"code": "X"`, `code="X"`, `refusal("X"`, `Refused(400, "X"`."""
STATUS_LITERAL = re.compile(r"""Refused\(\s*(\d+),\s*["']([A-Z_]+)["']""")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def source_files() -> Iterator[Path]:
    for folder in SOURCES:
        yield from (PROJECT_ROOT / folder).rglob("*.py")


def literal_codes() -> set[str]:
    found: set[str] = set()
    for path in source_files():
        found.update(LITERALS.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_code_has_a_meaning_and_every_meaning_a_code() -> None:
    known = error_codes.known_codes()
    assert literal_codes() <= known, "codes in the source no table knows"
    assert set(MEANINGS) == known


def test_refusals_come_with_their_tables_status() -> None:
    for path in source_files():
        for status, code in STATUS_LITERAL.findall(path.read_text(encoding="utf-8")):
            assert REFUSALS.get(code) == int(status), f"{path}: Refused({status}, {code!r})"


def test_the_readme_carries_the_table() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- error-codes[^>]*-->\n(.*?)\n<!-- /error-codes -->", readme, re.S)
    assert block, "README has no error-codes block"
    assert block.group(1) == error_codes.markdown(), (
        "README's error codes differ: paste what `parkgrid schema --errors` prints"
    )
    for code in MEANINGS:
        assert f"| `{code}` |" in block.group(1)


def test_each_result_union_lists_its_codes() -> None:
    api = ApiSettings()
    found = graphql_sync(build_schema(api, limit_rules(api))._schema, get_introspection_query())
    assert found.data is not None
    types = found.data["__schema"]["types"]
    unions = [t for t in types if t["kind"] == "UNION" and t["name"].endswith("Result")]
    assert unions
    described = {t["name"]: t["description"] for t in types}
    by_type = {name: codes for name, codes in schema_codes().items()}
    for union in unions:
        for member in union["possibleTypes"]:
            for code in by_type.get(member["name"], []):
                assert f"{member['name']}: " in described[union["name"]]
                assert code in described[union["name"]], (union["name"], code)


def schema_codes() -> dict[str, list[str]]:
    from schema.imports import ImportRejectedError
    from schema.outcomes import codes_by_type

    return {**codes_by_type(), "ImportRejectedError": [ImportRejectedError.CODE]}


def first_status(text: str) -> int:
    found = re.match(r"\d+", text)
    assert found, text
    return int(found.group())


@pytest.fixture(scope="module")
def rows() -> dict[str, error_codes.Row]:
    return {row.code: row for row in error_codes.table()}


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    with app_client(demo_url, token=None) as client:
        yield client


def code_of(answer: object) -> str:
    return str(answer.json()["errors"][0]["extensions"]["code"])  # type: ignore[attr-defined]


def test_statuses_are_what_requests_get(
    client: TestClient, rows: dict[str, error_codes.Row]
) -> None:
    cases = [
        ("BAD_REQUEST", client.post("/graphql", content=b"[]",
                                    headers={"content-type": "application/json"})),
        ("UNSUPPORTED_MEDIA_TYPE", client.post("/graphql", content=b"{}",
                                               headers={"content-type": "text/plain"})),
        ("METHOD_NOT_ALLOWED", client.get("/graphql", params={"query": "mutation { __typename }"})),
        ("GRAPHQL_PARSE_FAILED", client.post("/graphql", json={"query": "{"})),
        ("UNAUTHENTICATED", client.post("/graphql", json={"query": "{ __typename }"},
                                        headers={"authorization": "Bearer pgt_nobody"})),
    ]  # fmt: skip
    for code, answer in cases:
        assert code_of(answer) == code
        assert answer.status_code == first_status(rows[code].graphql), code
    strict = client.post("/graphql", json={"query": "{"}, headers={"accept": GRAPHQL_RESPONSE})
    assert strict.status_code == 400 and "400 with" in rows["GRAPHQL_PARSE_FAILED"].graphql


def test_route_statuses_are_what_requests_get(
    client: TestClient, rows: dict[str, error_codes.Row]
) -> None:
    unauthenticated = client.get(
        "/coverage/430624101/gaps.geojson", headers={"authorization": "Bearer pgt_nobody"}
    )
    assert unauthenticated.status_code == int(rows["UNAUTHENTICATED"].routes)
    assert unauthenticated.json()["error"]["code"] == "UNAUTHENTICATED"

"""GraphQL over HTTP at the edge: what a request may be, and how each kind of refusal is
answered (status, media type, `extensions.code`), before any SQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from graphql import get_introspection_query
from starlette.testclient import TestClient

from parkgrid.settings import ApiSettings
from tests.conftest import app_client

GRAPHQL_RESPONSE = "application/graphql-response+json"
GRID = "{ grids(first: 1) { nodes { code } } }"


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    with app_client(demo_url, api=ApiSettings(max_body_bytes=4096)) as client:
        yield client


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


@pytest.mark.parametrize("body", [b"null", b"123", b'"x"', b"[]", b"[{}]", b"true", b"{"])
def test_a_body_that_is_no_json_object_is_a_400(client: TestClient, body: bytes) -> None:
    answer = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert codes(answer.json()) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    "request_body",
    [{"query": 1}, {"query": ""}, {"query": GRID, "variables": []},
     {"query": GRID, "operationName": 3}, {"query": GRID, "bogus": 1}, {}],
)  # fmt: skip
def test_malformed_parts_are_a_400_naming_the_part(
    client: TestClient, request_body: dict[str, Any]
) -> None:
    answer = client.post("/graphql", json=request_body)
    assert answer.status_code == 400
    assert codes(answer.json()) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    "content_type",
    ["application/jsonx", "text/plain", "application/graphql", "application/json; charset=latin-1",
     ""],
)  # fmt: skip
def test_other_media_types_are_refused(client: TestClient, content_type: str) -> None:
    body = orjson.dumps({"query": GRID})
    answer = client.post("/graphql", content=body, headers={"content-type": content_type})
    assert answer.status_code == 415
    assert codes(answer.json()) == ["UNSUPPORTED_MEDIA_TYPE"]


def test_json_with_its_charset_is_taken(client: TestClient) -> None:
    body = orjson.dumps({"query": GRID})
    headers = {"content-type": "Application/JSON; charset=UTF-8"}
    answer = client.post("/graphql", content=body, headers=headers)
    assert answer.status_code == 200 and "errors" not in answer.json()


def test_a_body_over_the_limit_is_a_413_declared_or_not(client: TestClient) -> None:
    body = orjson.dumps({"query": GRID, "variables": {"pad": "x" * 5000}})
    declared = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    streamed = client.post(
        "/graphql", content=iter([body[:3000], body[3000:]]),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    for answer in (declared, streamed):
        assert answer.status_code == 413
        assert codes(answer.json()) == ["PAYLOAD_TOO_LARGE"]
        assert "PARKGRID_API_MAX_BODY_BYTES" in answer.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "name", "code"),
    [("{ ...Nope }", None, "GRAPHQL_VALIDATION_FAILED"),
     ("{ grids { ", None, "GRAPHQL_PARSE_FAILED"),
     ("query A { parks { nodes { code } } } query B { zones { nodes { code } } }", None,
      "OPERATION_RESOLUTION_FAILURE"),
     ("query A { parks { nodes { code } } }", "C", "OPERATION_RESOLUTION_FAILURE")],
)  # fmt: skip
def test_requests_failing_before_execution_by_media_type(
    client: TestClient, query: str, name: str | None, code: str
) -> None:
    """With the new media type a 4xx; with plain JSON a 200, as older clients expect."""
    given = {"query": query, "operationName": name}
    new = client.post("/graphql", json=given, headers={"accept": GRAPHQL_RESPONSE})
    old = client.post("/graphql", json=given, headers={"accept": "application/json"})
    assert (new.status_code, old.status_code) == (400, 200)
    assert new.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert old.headers["content-type"].startswith("application/json")
    assert codes(new.json()) == codes(old.json()) == [code]
    assert "data" not in new.json()


def test_the_named_operation_of_several_runs(client: TestClient) -> None:
    query = "query A { parks { nodes { code } } } query B { zones(first: 1) { nodes { code } } }"
    answer = client.post("/graphql", json={"query": query, "operationName": "B"})
    assert list(answer.json()["data"]) == ["zones"]


@pytest.mark.parametrize(
    ("accept", "answered"),
    [(GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
     (f"application/json;q=0.9, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
     (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
     ("*/*", "application/json"), (None, "application/json")],
)  # fmt: skip
def test_the_answer_comes_in_the_accepted_media_type(
    client: TestClient, accept: str | None, answered: str
) -> None:
    headers = {"accept": accept} if accept else {}
    for query in (GRID, "mutation { __typename }"):
        answer = client.post("/graphql", json={"query": query}, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(answered)


def test_a_mutation_by_get_is_a_405(client: TestClient) -> None:
    answer = client.get("/graphql", params={"query": "mutation { __typename }"})
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert codes(answer.json()) == ["METHOD_NOT_ALLOWED"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"lon": "112.9", "lat": 28.7, "k": 3}, "lon"), ({"lon": {"x": 1}, "lat": 28.7, "k": 3}, "lon"),
     ({"lon": [112.9], "lat": 28.7, "k": 3}, "lon"), ({"lon": None, "lat": 28.7, "k": 3}, "lon"),
     ({"lon": 112.9, "k": 3}, "lat"), ({"lon": 112.9, "lat": 28.7, "k": 5.5}, "k"),
     ({"lon": 112.9, "lat": 28.7, "k": 1e308}, "k"), ({"lon": 112.9, "lat": 28.7, "k": 2**40}, "k")],
)  # fmt: skip
def test_variables_of_the_wrong_type_are_named(
    client: TestClient, variables: dict[str, Any], field: str
) -> None:
    query = (
        "query ($lon: Float!, $lat: Float!, $k: Int!)"
        " { nearestEnterprises(lon: $lon, lat: $lat, k: $k) { uscc } }"
    )
    for method in ("post", "get"):
        if method == "post":
            answer = client.post("/graphql", json={"query": query, "variables": variables})
        else:
            params = {"query": query, "variables": orjson.dumps(variables).decode()}
            answer = client.get("/graphql", params=params)
        assert answer.status_code == 200
        (error,) = answer.json()["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


def refusal_code(body: dict[str, Any]) -> str:
    """The code of a refusal in GraphQL's, the endpoints' or OGC's shape."""
    if "errors" in body:
        return str(body["errors"][0]["extensions"]["code"])
    return str(body["error"]["code"] if "error" in body else body["code"])


@pytest.mark.parametrize(
    ("path", "code"),
    [("/coverage/enterprises-on-boundary.geojson?park=a&zone=a%00b", "BAD_USER_INPUT"),
     ("/ogc/collections/enterprises/items?uscc=a%00b", "InvalidParameterValue"),
     ("/tiles/enterprises/14/13361/6917.pbf?x=%00", "BAD_USER_INPUT"),
     ("/graphql?query=%7B__typename%7D&x=%00", "BAD_USER_INPUT")],
)  # fmt: skip
def test_a_nul_in_a_query_parameter_is_refused_on_every_route(
    client: TestClient, path: str, code: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 400
    assert refusal_code(answer.json()) == code


def test_introspection_is_answered_within_its_own_depth(client: TestClient) -> None:
    standard = client.post("/graphql", json={"query": get_introspection_query()})
    assert standard.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    chain = "{ __schema { types { " + "ofType { " * 50 + "name" + " }" * 50 + " } } }"
    deep = client.post("/graphql", json={"query": chain})
    assert codes(deep.json()) == ["QUERY_TOO_DEEP"]


def test_introspection_and_the_ide_can_be_turned_off(demo_url: str) -> None:
    api = ApiSettings(introspection=False, graphiql=False)
    with app_client(demo_url, api=api) as client:
        refused = client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
        page = client.get("/graphql", headers={"accept": "text/html"})
        still = client.post("/graphql", json={"query": GRID})
    assert set(codes(refused.json())) == {"GRAPHQL_VALIDATION_FAILED"}
    assert page.status_code == 400 and "text/html" not in page.headers["content-type"]
    assert "errors" not in still.json()


def test_dates_outside_the_records_window_are_refused(client: TestClient) -> None:
    literal = client.post(
        "/graphql", json={"query": '{ stats(from: "0001-01-01", to: "9999-12-31") { from } }'}
    )
    assert set(codes(literal.json())) == {"GRAPHQL_VALIDATION_FAILED"}
    query = "query ($to: Date) { stats(to: $to) { from } }"
    (error,) = client.post(
        "/graphql", json={"query": query, "variables": {"to": "9999-12-31"}}
    ).json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "to"}
    assert "1900-01-01 to 2999-12-31" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("get", "/nowhere", 404, "NOT_FOUND"), ("get", "/tiles/enterprises/14/-1/0.pbf", 404, "NOT_FOUND"),
     ("post", "/coverage/P/grids.geojson", 405, "METHOD_NOT_ALLOWED"),
     ("get", "/ogc/nowhere", 404, "NotFound"), ("put", "/graphql", 405, "METHOD_NOT_ALLOWED")],
)  # fmt: skip
def test_the_router_refuses_in_json(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    answer = client.request(method, path)
    assert answer.status_code == status
    assert refusal_code(answer.json()) == code


def test_probes_answer_whatever_token_comes_with_them(client: TestClient) -> None:
    bad = {"Authorization": "Bearer pgt_nobody"}
    assert client.get("/healthz", headers=bad).status_code == 200
    assert client.get("/readyz", headers=bad).status_code == 200

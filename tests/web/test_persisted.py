"""Persisted queries by Apollo's automatic persisted queries protocol, against the demo park:
an unknown hash, registration with the document (whose hash must match), then the hash alone
by GET or POST, from another instance of the service too (the store is PostgreSQL); the
allowlist and off modes; and that a known hash skips parsing and validation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import graphql
import orjson
import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from parkgrid.settings import ApiSettings
from tests.conftest import app_client
from web.cli import main

DOCUMENT = "query Grids($n: Int) { grids(first: $n) { totalCount nodes { code name } } }"
MUTATION = 'mutation { commentIssue(id: "1", note: "x") { __typename } }'
GRAPHQL_RESPONSE = "application/graphql-response+json"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def extensions(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}


def by_get(client: TestClient, document: str, **headers: str) -> Any:
    params = {"extensions": orjson.dumps(extensions(document)).decode(),
              "variables": '{"n": 3}'}  # fmt: skip
    return client.get("/graphql", params=params, headers=headers)


def stored(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sha256, document FROM persisted_query")).all()
    engine.dispose()
    return {row.sha256: row.document for row in rows}


def codes(answer: Any) -> list[str]:
    return [e["extensions"]["code"] for e in answer.json()["errors"]]


@pytest.fixture
def two(fresh_demo_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two instances of the service on one database."""
    with app_client(fresh_demo_url) as one, app_client(fresh_demo_url) as other:
        yield one, other


def test_unknown_hash_then_registration_then_the_hash_alone(
    two: tuple[TestClient, TestClient], fresh_demo_url: str
) -> None:
    one, other = two
    plain = one.post("/graphql", json={"query": DOCUMENT, "variables": {"n": 3}}).json()
    assert plain["data"]["grids"]["nodes"]

    unknown = by_get(one, DOCUMENT)
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert stored(fresh_demo_url) == {}

    body = {"query": DOCUMENT, "variables": {"n": 3}, "extensions": extensions(DOCUMENT)}
    registered = one.post("/graphql", json=body)
    assert registered.json() == plain
    assert stored(fresh_demo_url) == {sha256(DOCUMENT): DOCUMENT}

    for client in (one, other):  # the other instance finds it in the database
        assert by_get(client, DOCUMENT).json() == plain
        post = {"variables": {"n": 3}, "extensions": extensions(DOCUMENT)}
        assert client.post("/graphql", json=post).json() == plain


def test_a_hash_that_does_not_match_is_refused_and_nothing_kept(
    two: tuple[TestClient, TestClient], fresh_demo_url: str
) -> None:
    one, _ = two
    wrong = {"query": DOCUMENT, "extensions": extensions(DOCUMENT + " ")}
    answer = one.post("/graphql", json=wrong)
    assert answer.status_code == 400
    assert codes(answer) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    invalid = "{ grids { nope } }"
    answer = one.post("/graphql", json={"query": invalid, "extensions": extensions(invalid)})
    assert codes(answer) == ["GRAPHQL_VALIDATION_FAILED"]
    assert stored(fresh_demo_url) == {}


@pytest.mark.parametrize(
    "persisted",
    [{"version": 2, "sha256Hash": "0" * 64}, {"version": 1, "sha256Hash": "ABC"},
     {"version": 1}, "x"],
)  # fmt: skip
def test_a_malformed_persisted_query_is_a_bad_request(
    two: tuple[TestClient, TestClient], persisted: object
) -> None:
    answer = two[0].post("/graphql", json={"extensions": {"persistedQuery": persisted}})
    assert answer.status_code == 400
    assert codes(answer) == ["BAD_REQUEST"]


def test_new_media_type_clients_get_a_400_for_an_unknown_hash(
    two: tuple[TestClient, TestClient],
) -> None:
    answer = by_get(two[0], DOCUMENT + "#", accept=GRAPHQL_RESPONSE)
    assert answer.status_code == 400
    assert codes(answer) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_a_mutation_by_hash_is_not_run_by_get(two: tuple[TestClient, TestClient]) -> None:
    one, _ = two
    one.post("/graphql", json={"query": MUTATION, "extensions": extensions(MUTATION)})
    answer = one.get("/graphql", params={"extensions": orjson.dumps(extensions(MUTATION)).decode()})
    assert answer.status_code == 405


def test_a_known_hash_skips_parsing_and_validation(
    two: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, _ = two
    body = {"query": DOCUMENT, "variables": {"n": 3}, "extensions": extensions(DOCUMENT)}
    expected = one.post("/graphql", json=body).json()
    calls: list[str] = []

    def counted(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr("web.compiled.parse", counted("parse", graphql.parse))
    monkeypatch.setattr("web.compiled.validate", counted("validate", graphql.validate))
    assert by_get(one, DOCUMENT).json() == expected
    assert calls == []
    one.post("/graphql", json={"query": DOCUMENT + " "})  # a new document is parsed
    assert calls == ["parse", "validate"]


def test_allowlist_runs_only_registered_documents(
    fresh_demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    allowlist = ApiSettings(persisted_queries="allowlist")
    with app_client(fresh_demo_url, api=allowlist) as client:
        full = {"query": DOCUMENT, "variables": {"n": 3}}
        refused = client.post("/graphql", json=full)
        assert refused.status_code == 403
        assert codes(refused) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        registering = client.post("/graphql", json={**full, "extensions": extensions(DOCUMENT)})
        assert codes(registering) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        assert codes(by_get(client, DOCUMENT)) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        assert stored(fresh_demo_url) == {}

        manifest = tmp_path / "persisted-documents.json"
        manifest.write_bytes(orjson.dumps({sha256(DOCUMENT): DOCUMENT}))
        monkeypatch.setenv("DATABASE_URL", fresh_demo_url)
        assert main(["persisted", "register", str(manifest)]) == 0
        assert stored(fresh_demo_url) == {sha256(DOCUMENT): DOCUMENT}
        answer = by_get(client, DOCUMENT)
        assert answer.status_code == 200 and answer.json()["data"]["grids"]["nodes"]
        assert client.post("/graphql", json=full).json() == answer.json()


def test_register_refuses_documents_the_schema_refuses(
    fresh_demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_demo_url)
    bad = tmp_path / "bad.graphql"
    bad.write_text("{ grids { nope } }")
    assert main(["persisted", "register", str(bad)]) == 1
    lying = tmp_path / "lying.json"
    lying.write_bytes(orjson.dumps({sha256("{ x }"): DOCUMENT}))
    assert main(["persisted", "register", str(lying)]) == 2
    assert stored(fresh_demo_url) == {}


def test_off_refuses_hashes(fresh_demo_url: str) -> None:
    with app_client(fresh_demo_url, api=ApiSettings(persisted_queries="off")) as client:
        answer = by_get(client, DOCUMENT)
        assert answer.status_code == 400
        assert codes(answer) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
        assert client.post("/graphql", json={"query": DOCUMENT}).json()["data"]

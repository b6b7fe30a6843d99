"""Access control, issue 6: who is calling. No header is anonymous; a token that is unknown,
expired or revoked, or a header that is not `Bearer <token>`, is refused with HTTP 401 and
UNAUTHENTICATED on every endpoint and never falls back to anonymous."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parkgrid.auth.tokens import digest
from tests.conftest import Databases
from tests.schema.access_subjects import Park, error_codes, open_park, post

PUBLIC = "{ parks { totalCount } }"
NOT_FAST = "{ parks { nodes { ... on Park { code } } } }"
SECRETS = {"unknown": "pgt_no-such-token", "expired": "pgt_expired", "revoked": "pgt_revoked"}


@pytest.fixture(scope="module")
def park(databases: Databases, demo_template: str) -> Iterator[Park]:
    with open_park(databases, demo_template) as found:
        for secret, expires, revoked in [
            ("pgt_expired", "now() - interval '1 minute'", "NULL"),
            ("pgt_revoked", "NULL", "now() - interval '1 minute'"),
            ("pgt_revoked_later", "now() + interval '1 day'", "now() - interval '1 second'"),
            ("pgt_future", "now() + interval '1 day'", "NULL"),
        ]:
            found.sql.execute(
                "INSERT INTO public.api_token (token_hash, role, label, expires_at, revoked_at)"
                f" VALUES (:d, 'admin', 'access test', {expires}, {revoked}) RETURNING id",
                d=digest(secret),
            )
        yield found


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_no_header_is_anonymous(park: Park) -> None:
    status, body = post(park.client, park.callers["anonymous"], '{ coverage(park: "x") { park } }')
    assert status == 200 and error_codes(body) == ["FORBIDDEN"]
    found = park.data("anonymous", PUBLIC)["parks"]["totalCount"]
    assert found == park.sql.scalar("SELECT count(*) FROM park")


def test_a_token_valid_until_tomorrow_works(park: Park) -> None:
    response = park.client.post("/graphql", json={"query": PUBLIC}, headers=bearer("pgt_future"))
    assert response.status_code == 200 and "errors" not in response.json()


@pytest.mark.parametrize("kind", [*SECRETS, "revoked-before-expiry"])
@pytest.mark.parametrize("query", [PUBLIC, NOT_FAST], ids=["fast-path", "executed"])
def test_a_bad_token_is_unauthenticated(park: Park, kind: str, query: str) -> None:
    secret = SECRETS.get(kind, "pgt_revoked_later")
    response = park.client.post("/graphql", json={"query": query}, headers=bearer(secret))
    assert response.status_code == 401
    body = response.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("kind", list(SECRETS))
def test_a_bad_token_is_refused_on_geojson(park: Park, kind: str) -> None:
    url = f"/coverage/{park.subjects.park}/grids.geojson"
    response = park.client.get(url, headers=bearer(SECRETS[kind]))
    assert response.status_code == 401
    body = response.json()
    assert "features" not in body and body["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    ["Token x", "Bearer ", "Bearer", "pgt_access-admin", "Basic cGFya2dyaWQ6eA==", "Bearer  "],
    ids=["other-scheme", "bearer-space", "bearer-only", "no-scheme", "basic", "bearer-spaces"],
)
def test_a_malformed_header_is_unauthenticated(park: Park, header: str) -> None:
    headers = {"Authorization": header}
    response = park.client.post("/graphql", json={"query": PUBLIC}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    url = f"/coverage/{park.subjects.park}/grids.geojson"
    assert park.client.get(url, headers=headers).status_code == 401


def test_a_revoked_token_worked_before(park: Park) -> None:
    """The same caller, before and after `revoked_at` is set: 200, then 401."""
    viewer = park.callers["viewer"]
    assert post(park.client, viewer, PUBLIC)[0] == 200
    park.sql.execute(
        "UPDATE public.api_token SET revoked_at = now() WHERE id = :i", i=viewer.token_id
    )
    try:
        status, body = post(park.client, viewer, PUBLIC)
        assert status == 401 and error_codes(body) == ["UNAUTHENTICATED"]
    finally:
        park.sql.execute(
            "UPDATE public.api_token SET revoked_at = NULL WHERE id = :i", i=viewer.token_id
        )

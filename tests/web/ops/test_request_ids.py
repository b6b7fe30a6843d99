"""Request ids: given or new, returned, and on the database session of the request's work."""

from __future__ import annotations

from tests.conftest import app_client


def test_a_plain_request_id_comes_back(demo_url):
    with app_client(demo_url) as client:
        answer = client.post(
            "/graphql",
            json={"query": "query Parks { parks { code } }"},
            headers={"X-Request-ID": "abc-123.x:y_z"},
        )
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == "abc-123.x:y_z"


def test_odd_or_long_ids_are_replaced_by_new_ones(demo_url):
    with app_client(demo_url, token=None) as client:
        seen = set()
        for given in ("bad id!", "a" * 200, "semi;colon", "quote'd", ""):
            answer = client.get("/healthz", headers={"X-Request-ID": given})
            assert answer.status_code == 200
            found = answer.headers["x-request-id"]
            assert found != given and len(found) == 32 and int(found, 16) >= 0
            seen.add(found)
        assert len(seen) == 5


def test_every_answer_carries_an_id_errors_too(demo_url):
    with app_client(demo_url, token=None) as client:
        for path in ("/nope", "/tiles/nolayer/1/0/0.mvt", "/ogc/collections/none", "/healthz"):
            assert len(client.get(path).headers["x-request-id"]) == 32
        refused = client.get("/healthz", headers={"Authorization": "Bearer pgt_unknown"})
        assert refused.headers["x-request-id"]

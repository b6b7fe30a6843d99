"""`make test-pooler` really puts the apps behind PgBouncer: a request's transactions show in
the pooler's own statistics for the test's database (skipped when the session has no pooler)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.engine import make_url

from tests import pooled
from tests.conftest import app_client


@pytest.mark.skipif(not pooled.wanted(), reason="only behind the pooler (make test-pooler)")
def test_apps_reach_their_database_through_the_pooler(demo_url: str) -> None:
    port = int(os.environ[pooled.PORT])
    name = str(make_url(demo_url).database)
    before = pooled.pooler_stats(port).get(name, 0)
    with app_client(demo_url) as client:
        answer = client.post("/graphql", json={"query": "{ parks { totalCount } }"})
        assert answer.json()["data"]["parks"]["totalCount"] > 0
        assert client.app.state.db.engine.url.port == port  # type: ignore[attr-defined]
    assert pooled.pooler_stats(port).get(name, 0) > before

"""The HTTP surface: health, readiness, GraphiQL."""

from __future__ import annotations

from starlette.testclient import TestClient

from parkgrid.settings import DatabaseSettings
from tests.conftest import app_client
from web.app import create_app


def test_health_and_readiness_on_a_migrated_database(demo_client: TestClient) -> None:
    assert demo_client.get("/healthz").json() == {"status": "ok"}
    ready = demo_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True


def test_not_ready_before_migrations(databases) -> None:
    url = databases.url(databases.create())
    with app_client(url, token=None) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["current"] is None


def test_not_ready_without_a_database() -> None:
    settings = DatabaseSettings(url="postgresql://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 503


def test_graphiql_for_browsers(demo_client: TestClient) -> None:
    page = demo_client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()

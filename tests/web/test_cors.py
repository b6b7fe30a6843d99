"""CORS for browsers on other origins: off unless PARKGRID_CORS_ORIGINS lists exact origins;
then real preflights (OPTIONS with Origin and Access-Control-Request-*) to /graphql, /tiles
and /ogc are allowed for those origins only, with the Authorization and Content-Type headers,
and credentials only when PARKGRID_CORS_CREDENTIALS says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from parkgrid.settings import DatabaseSettings, ServerSettings
from web.app import create_app

ALLOWED, OTHER = "https://map.example", "https://evil.example"
API_PATHS = ["/graphql", "/tiles/grids/14/13521/6817.mvt", "/tiles/grids.json", "/ogc/collections"]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("PARKGRID_CORS_ORIGINS", "PARKGRID_CORS_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch


def client_for(demo_url: str) -> TestClient:
    """An app made now, so it reads the environment as the test has set it."""
    return TestClient(create_app(DatabaseSettings(url=demo_url)))


def preflight(client: TestClient, path: str, origin: str, method: str = "GET") -> Any:
    return client.options(path, headers={
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    })  # fmt: skip


def test_off_by_default(env: Any, demo_url: str) -> None:
    with client_for(demo_url) as client:
        for path in API_PATHS:
            answer = preflight(client, path, ALLOWED)
            assert "access-control-allow-origin" not in answer.headers, path
            assert answer.status_code in (404, 405), path  # no route answers OPTIONS
        got = client.get("/ogc", headers={"Origin": ALLOWED})
        assert got.status_code == 200 and "access-control-allow-origin" not in got.headers


def test_listed_origins_are_allowed_on_the_api_paths(env: Any, demo_url: str) -> None:
    env.setenv("PARKGRID_CORS_ORIGINS", f"{ALLOWED}, http://dash.example:8080")
    with client_for(demo_url) as client:
        for path in API_PATHS:
            for origin in (ALLOWED, "http://dash.example:8080"):
                answer = preflight(client, path, origin, "POST" if path == "/graphql" else "GET")
                assert answer.status_code == 200, (path, answer.text)
                assert answer.headers["access-control-allow-origin"] == origin
                allowed = answer.headers["access-control-allow-headers"].lower()
                assert {"authorization", "content-type"} <= {h.strip() for h in allowed.split(",")}
                assert "access-control-allow-credentials" not in answer.headers
            refused = preflight(client, path, OTHER)
            assert refused.status_code == 400
            assert "access-control-allow-origin" not in refused.headers
        assert preflight(client, "/ogc", ALLOWED, "DELETE").status_code == 400
        got = client.get("/ogc", headers={"Origin": ALLOWED})
        assert got.headers["access-control-allow-origin"] == ALLOWED
        assert "origin" in got.headers["vary"].lower()
        assert (
            "access-control-allow-origin"
            not in client.get("/ogc", headers={"Origin": OTHER}).headers
        )
        query = client.post(
            "/graphql", json={"query": "{ parks { totalCount } }"}, headers={"Origin": ALLOWED}
        )
        assert query.json()["data"]["parks"]["totalCount"] > 0
        assert query.headers["access-control-allow-origin"] == ALLOWED
        # a refused token's 401 is readable by the page that sent it
        bad = client.get("/ogc", headers={"Origin": ALLOWED, "Authorization": "Bearer pgt_x"})
        assert bad.status_code == 401 and bad.headers["access-control-allow-origin"] == ALLOWED
        # only the API: not the map page, health checks or static files
        for path in ("/map", "/healthz", "/static/map/map.js"):
            answer = client.get(path, headers={"Origin": ALLOWED})
            assert "access-control-allow-origin" not in answer.headers, path


def test_credentials_only_when_configured(env: Any, demo_url: str) -> None:
    env.setenv("PARKGRID_CORS_ORIGINS", ALLOWED)
    env.setenv("PARKGRID_CORS_CREDENTIALS", "true")
    with client_for(demo_url) as client:
        answer = preflight(client, "/graphql", ALLOWED, "POST")
        assert answer.headers["access-control-allow-credentials"] == "true"
        assert answer.headers["access-control-allow-origin"] == ALLOWED  # never "*"
        got = client.get("/tiles/grids.json", headers={"Origin": ALLOWED})
        assert got.headers["access-control-allow-credentials"] == "true"
        refused = preflight(client, "/graphql", OTHER, "POST")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers


def test_origins_must_be_exact(env: Any) -> None:
    for bad in ("*", "https://*.example", "https://map.example/", "map.example", "https://m.ex/a"):
        env.setenv("PARKGRID_CORS_ORIGINS", bad)
        with pytest.raises(ValueError, match="not an origin"):
            ServerSettings()
    env.setenv("PARKGRID_CORS_ORIGINS", '["HTTPS://Map.Example"]')
    assert ServerSettings().cors_origins == [ALLOWED]


def listed(value: str | None) -> set[str]:
    return {name.strip().lower() for name in (value or "").split(",") if name.strip()}


def test_pages_on_other_origins_can_read_and_send_the_headers_clients_act_on(
    env: Any, demo_url: str
) -> None:
    """Browsers hide every response header but a safelisted few from a page on another origin
    unless Access-Control-Expose-Headers names it: read-your-writes needs Parkgrid-Position
    read and echoed back, a report quotes X-Request-ID, a retry waits Retry-After."""
    env.setenv("PARKGRID_CORS_ORIGINS", ALLOWED)
    with client_for(demo_url) as client:
        asked = "authorization, content-type, parkgrid-position, x-request-id"
        answer = client.options("/graphql", headers={
            "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        })  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert listed(asked) <= listed(answer.headers["access-control-allow-headers"])
        query = client.post(
            "/graphql",
            json={"query": "{ parks { totalCount } }"},
            headers={"Origin": ALLOWED, "X-Request-ID": "page-1"},
        )
        assert query.headers["x-request-id"] == "page-1"
        exposed = listed(query.headers.get("access-control-expose-headers"))
        assert {"parkgrid-position", "x-request-id", "retry-after"} <= exposed
        other = client.post(
            "/graphql", json={"query": "{ parks { totalCount } }"}, headers={"Origin": OTHER}
        )
        assert "access-control-allow-origin" not in other.headers  # so it reads nothing

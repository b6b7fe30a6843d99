"""Operations inside one process: who may scrape, the separate metrics port, 429s in each
route's error shape, and errors whose traceback reaches the log but not the client."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from parkgrid import cluster
from parkgrid.settings import DatabaseSettings, MetricsSettings
from tests.conftest import ADMIN_TOKEN, app_client
from web.app import create_app
from web.logs import REQUESTS, JsonFormatter
from web.metrics import Guard, serve_metrics

COMMENT = 'mutation { commentIssue(id: "1", note: "n") { __typename } }'
METRICS_TOKEN = "scrape-secret-0123456789"


def test_the_guard_allows_listed_addresses_and_networks_and_the_token():
    guard = Guard(MetricsSettings(allow=["10.0.0.0/8", "192.168.1.7", "::1"], token=METRICS_TOKEN))
    assert guard.allows("10.200.3.4", None) and guard.allows("192.168.1.7", None)
    assert guard.allows("::1", None)
    assert not guard.allows("192.168.1.8", None) and not guard.allows("11.0.0.1", None)
    assert not guard.allows("testclient", None) and not guard.allows(None, None)
    assert guard.allows("8.8.8.8", f"Bearer {METRICS_TOKEN}")
    assert not guard.allows("8.8.8.8", f"Bearer {METRICS_TOKEN}x")
    assert not guard.allows("8.8.8.8", f"Basic {METRICS_TOKEN}")


def test_metrics_on_the_public_port_for_the_allowed_only(demo_url, monkeypatch):
    monkeypatch.setenv("PARKGRID_METRICS_TOKEN", METRICS_TOKEN)
    app = create_app(DatabaseSettings(url=demo_url))
    with TestClient(app, client=("203.0.113.9", 5000)) as outsider:
        assert outsider.get("/metrics").status_code == 401
        scraped = outsider.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scraped.status_code == 200 and "parkgrid_requests_total" in scraped.text
    with TestClient(app, client=("127.0.0.1", 5000)) as local:
        scraped = local.get("/metrics")
        assert scraped.status_code == 200, scraped.text
    monkeypatch.delenv("PARKGRID_METRICS_TOKEN")
    with TestClient(create_app(DatabaseSettings(url=demo_url)), client=("203.0.113.9", 1)) as c:
        assert c.get("/metrics").status_code == 404  # no token to ask for: nothing there


def test_metrics_on_a_port_of_their_own(demo_url, monkeypatch):
    port = cluster.free_port()
    monkeypatch.setenv("PARKGRID_METRICS_PORT", str(port))
    server = serve_metrics(MetricsSettings(), "127.0.0.1")
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert answer.status == 200 and b"parkgrid_requests_total" in answer.read()
        with pytest.raises(urllib.error.HTTPError) as other:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
        assert other.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
    with app_client(demo_url) as client:
        assert client.get("/metrics").status_code == 404  # not on the public port


def test_429_in_each_route_shape_with_retry_after(fresh_demo_url, monkeypatch):
    monkeypatch.setenv("PARKGRID_RATE_LIMITS", json.dumps({"mutations": 2, "tiles": 3}))
    with app_client(fresh_demo_url) as client:
        for _ in range(2):
            assert client.post("/graphql", json={"query": COMMENT}).status_code == 200
        refused = client.post("/graphql", json={"query": COMMENT})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert refused.json()["data"] is None
        # queries are another class: not limited
        assert (
            client.post("/graphql", json={"query": "{ parks { nodes { code } } }"}).status_code
            == 200
        )
        tile = "/tiles/grids/12/3330/1704.mvt"
        assert [client.get(tile).status_code for _ in range(4)] == [200, 200, 200, 429]
        body = client.get(tile).json()
        assert body["error"]["code"] == "RATE_LIMITED"


def test_an_error_traceback_goes_to_the_log_only(demo_url, caplog):
    app = create_app(DatabaseSettings(url=demo_url))

    async def boom(_: object) -> Response:
        raise RuntimeError("a bug deep inside")

    app.router.routes.append(Route("/boom", boom))
    headers = {"X-Request-ID": "boom-1", "Authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        caplog.at_level(logging.INFO, logger=REQUESTS),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        answer = client.get("/boom", headers=headers)
    assert answer.status_code == 500 and "a bug deep inside" not in answer.text
    (record,) = [r for r in caplog.records if getattr(r, "request_id", None) == "boom-1"]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "error" and line["status"] == 500 and line["route"] == "/boom"
    assert "RuntimeError: a bug deep inside" in line["traceback"]
    assert line["role"] == "admin" and ADMIN_TOKEN not in json.dumps(line)

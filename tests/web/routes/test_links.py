"""Absolute links (TileJSON tile URLs, every OGC link, the OpenAPI server) never carry a Host
header the service does not trust: they start with PARKGRID_PUBLIC_URL when it is set (a
proxy's path prefix included), else with a trusted Host, else with the server's own HOST:PORT.
Every document that holds a link is fetched and searched whole, not only the links we expect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from parkgrid.settings import DatabaseSettings, ServerSettings
from web.app import create_app
from web.routes.links import PublicLinks

OWN = "http://127.0.0.1:8123"  # HOST and PORT as the fixture sets them
LINKED = [
    "/tiles/grids.json",
    "/tiles/enterprises.json",
    "/ogc",
    "/ogc/api",
    "/ogc/collections",
    "/ogc/collections/grids",
    "/ogc/collections/enterprises/items?limit=3&offset=3&f=geojson",
    "/ogc/collections/grids/items/430624101001001",
]
UNTRUSTED = [
    "evil.example",
    "EVIL.example:8000",
    "localhost.evil.example",
    "localhost@evil.example",
    "127.0.0.1:80@evil.example",
    "evil.example#.localhost",
    "localhost:8000/evil.example",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A known server address and no link settings, whatever the shell running the tests has."""
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8123")
    for name in ("PARKGRID_PUBLIC_URL", "PARKGRID_TRUSTED_HOSTS", "PARKGRID_HOST", "PARKGRID_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def client_for(demo_url: str, **options: Any) -> TestClient:
    """An app made now, so it reads the environment as the test has set it."""
    return TestClient(create_app(DatabaseSettings(url=demo_url)), **options)


def hrefs(document: Any) -> Iterator[str]:
    """Every link-like string in a document: hrefs, tile URLs, OpenAPI server URLs."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("href", "url") and isinstance(value, str):
                yield value
            yield from hrefs(value)
    elif isinstance(document, list):
        for value in document:
            if isinstance(value, str) and value.startswith("http"):
                yield value
            yield from hrefs(value)


def linked_documents(client: TestClient, **headers: str) -> Iterator[tuple[str, Any, str]]:
    for path in LINKED:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        yield path, response.json(), response.text


@pytest.mark.parametrize("host", UNTRUSTED)
def test_an_untrusted_host_never_comes_back(env: Any, demo_url: str, host: str) -> None:
    with client_for(demo_url) as client:
        for path, document, text in linked_documents(client, Host=host):
            assert "evil" not in text.lower(), path
            found = list(hrefs(document))
            assert found and all(href.startswith(f"{OWN}/") for href in found), (path, found)


def test_a_trusted_host_is_kept_with_its_port(env: Any, demo_url: str) -> None:
    env.setenv("PARKGRID_TRUSTED_HOSTS", "park.internal, [::1]")
    with client_for(demo_url) as client:
        for host in ("park.internal:9000", "[::1]:8443", "127.0.0.1:8123"):
            for path, document, _ in linked_documents(client, Host=host):
                found = list(hrefs(document))
                assert all(h.startswith(f"http://{host}/") for h in found), (path, found)
        # localhost is no longer trusted once the list is given, the server's own host still is
        tile_json = client.get("/tiles/grids.json", headers={"Host": "localhost:8000"}).json()
        assert tile_json["tiles"] == [f"{OWN}/tiles/grids/{{z}}/{{x}}/{{y}}.mvt"]


def test_the_public_url_and_its_path_prefix_start_every_link(env: Any, demo_url: str) -> None:
    public = "https://park.example.com/gis"
    env.setenv("PARKGRID_PUBLIC_URL", public + "/")
    with client_for(demo_url) as client:
        for host in ("evil.example", "localhost:8000"):
            for path, document, _ in linked_documents(client, Host=host):
                found = list(hrefs(document))
                assert found and all(h.startswith(f"{public}/") for h in found), (path, found)
        tile_json = client.get("/tiles/grids.json").json()
        assert tile_json["tiles"] == [f"{public}/tiles/grids/{{z}}/{{x}}/{{y}}.mvt"]
        landing = {link["rel"]: link["href"] for link in client.get("/ogc").json()["links"]}
        assert landing["data"] == f"{public}/ogc/collections"
        assert client.get("/ogc/api").json()["servers"] == [{"url": f"{public}/ogc"}]
        page = client.get("/ogc/collections/enterprises/items?limit=2&offset=4&industry=新材料")
        links = {link["rel"]: link["href"] for link in page.json()["links"]}
        query = "limit=2&offset=4&industry=%E6%96%B0%E6%9D%90%E6%96%99"
        assert links["self"] == f"{public}/ogc/collections/enterprises/items?{query}"
        assert links["prev"] == links["self"].replace("offset=4", "offset=2")
        # the proxy strips the prefix: the link, so stripped, is the next page here
        following = client.get(links["next"].removeprefix(public)).json()
        again = {link["rel"]: link["href"] for link in following["links"]}
        assert again["self"] == links["self"].replace("offset=4", "offset=6")


def test_a_root_path_from_the_server_is_kept(env: Any, demo_url: str) -> None:
    """Behind a proxy that keeps the prefix and tells uvicorn (`--root-path /gis`)."""
    with client_for(demo_url, root_path="/gis", base_url="http://localhost") as client:
        page = client.get("/gis/ogc/collections/grids/items?limit=2")
        links = {link["rel"]: link["href"] for link in page.json()["links"]}
        assert links["self"] == "http://localhost/gis/ogc/collections/grids/items?limit=2"
        assert links["collection"] == "http://localhost/gis/ogc/collections/grids"
        assert client.get(links["next"]).json()["numberReturned"] == 2
        assert (
            client.get("/gis/tiles/grids.json")
            .json()["tiles"][0]
            .startswith("http://localhost/gis/tiles/grids/")
        )


def test_link_settings_from_the_environment(env: Any) -> None:
    for bad in ("park.example.com", "ftp://park.example.com", "https://p.example/?a=1"):
        env.setenv("PARKGRID_PUBLIC_URL", bad)
        with pytest.raises(ValueError, match="base URL"):
            ServerSettings()
    env.delenv("PARKGRID_PUBLIC_URL")
    for given in ("Park.Internal, [::1]", json.dumps(["Park.Internal", "[::1]"])):
        env.setenv("PARKGRID_TRUSTED_HOSTS", given)
        assert ServerSettings().trusted_hosts == ["park.internal", "::1"]
    env.setenv("HOST", "::1")
    links = PublicLinks.of()
    assert links.own == "[::1]:8123" and links.trusted_hosts == {"park.internal", "::1"}

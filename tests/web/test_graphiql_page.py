"""GraphiQL at /graphql, offline: strawberry's own page loads GraphiQL and React from a public
CDN and stays blank on a park network, so the service serves its own page with the vendored
builds. In chromium (launched by tests/web/browser.py, reaching nothing but the service) the
page must render the editor and run a query against the service with no request leaving
127.0.0.1; and the browser itself must resolve no other host."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as BrowserError
from starlette.testclient import TestClient

from parkgrid.settings import PROJECT_ROOT
from tests.helpers import read_rows
from tests.web.browser import ISOLATION_ARGS, Outside

STATIC = PROJECT_ROOT / "web" / "static"
VENDOR = STATIC / "vendor" / "graphiql"
WAIT_MS = 60_000
EDITOR = ".graphiql-query-editor .CodeMirror"


def test_the_page_loads_only_files_the_service_serves(demo_client: TestClient) -> None:
    page = demo_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "static/vendor/graphiql/graphiql.min.js" in assets
    for path in assets:
        if path.startswith("data:"):
            continue
        assert path.startswith("static/"), path  # relative: works below a proxy's prefix too
        assert demo_client.get(f"/{path}").status_code == 200, path
    for name in ("index.html", "graphiql.js", "graphiql.css"):
        assert not re.search(r"https?://", (STATIC / "graphiql" / name).read_text()), name
    assert "unpkg.com" not in page.text and "cdn" not in page.text.lower()


def test_the_vendored_files_are_the_recorded_ones() -> None:
    """VERSION names the packages and the checksum of every file kept, and nothing else is."""
    recorded = (VENDOR / "VERSION").read_text()
    versions = dict(line.split() for line in recorded.splitlines()[:3])
    assert set(versions) == {"graphiql", "react", "react-dom"}
    lines = recorded.split("sha256:\n")[1].splitlines()
    sums = {name: digest for digest, name in (line.split() for line in lines)}
    kept = {path.name for path in VENDOR.iterdir()} - {"VERSION"}
    assert set(sums) == kept
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert all(".development." not in name and not name.endswith(".map") for name in kept)
    assert "MIT License" in (VENDOR / "LICENSE-graphiql").read_text()


@pytest.fixture
def page(browser: Browser, base: str) -> Iterator[tuple[Page, Outside]]:
    context = browser.new_context()
    outside = Outside(context, base)
    try:
        yield context.new_page(), outside
    finally:
        context.close()


def test_graphiql_renders_and_runs_a_query_offline(
    page: tuple[Page, Outside], base: str, demo_url: str
) -> None:
    browser_page, outside = page
    errors: list[str] = []
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    browser_page.goto(f"{base}/graphql")
    browser_page.wait_for_selector(EDITOR, timeout=WAIT_MS)
    assert "parks" in browser_page.inner_text(".graphiql-query-editor")  # our example query
    browser_page.click(".graphiql-execute-button")
    [(parks,)] = read_rows(demo_url, "SELECT count(*) FROM park")
    browser_page.wait_for_function(
        "n => (document.querySelector('.graphiql-response') || {}).innerText"
        '?.includes(`"totalCount": ${n}`)',
        arg=parks,
        timeout=WAIT_MS,
    )
    assert errors == []
    assert outside.urls == []
    paths = {urlsplit(url).path for url in outside.requested}
    assert {"/static/vendor/graphiql/graphiql.min.js", "/graphql"} <= paths


def test_the_browser_resolves_no_host_but_127_0_0_1(browser: Browser, base: str) -> None:
    """`localhost` is the service too, yet must not resolve: the flags are in force."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        assert tab.goto(f"{base}/healthz").ok  # type: ignore[union-attr]
        port = urlsplit(base).port
        with pytest.raises(BrowserError, match="ERR_NAME_NOT_RESOLVED"):
            tab.goto(f"http://localhost:{port}/healthz")
        about = context.new_page()
        about.goto("chrome://version")
        command_line = about.inner_text("#command_line")
        assert all(flag.split("=")[0] in command_line for flag in ISOLATION_ARGS)
    finally:
        context.close()

"""The hand-made park P of the coverage tests (tests/schema/coverage_park.py, plain SQL, one
defect of each kind) served for the planner's map tests, with a liaison of one firm (Solo) and
Z1 renamed in Chinese, and how a test opens /map on it signed in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext
from sqlalchemy import create_engine, text

from tests.conftest import ADMIN_TOKEN, Databases
from tests.resolvers.conftest import X0, Y0, D, add_enterprise
from tests.schema.coverage_park import add_records, assign, build, cadre
from tests.web.browser import Outside, served
from tests.web.map_page import VIEWPORT, WAIT_MS, MapPage


def cell(x: float, y: float) -> tuple[float, float]:
    """Longitude and latitude of a point of P given in cells."""
    return X0 + x * D, Y0 + y * D


@pytest.fixture(scope="module")
def park_url(databases: Databases, empty_template: str) -> str:
    url = databases.url(databases.create(template=empty_template))
    add_records(url, build(url))
    engine = create_engine(url)
    with engine.begin() as conn:  # a liaison of one firm: under a minimum of 2
        firm = add_enterprise(conn, 7, *cell(0.6, 0.4))
        assign(conn, cadre(conn, "Solo"), "liaison", "enterprise_id", firm)
        conn.execute(text("UPDATE zone SET name = '一号片区' WHERE code = 'Z1'"))
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def base(park_url: str) -> Iterator[str]:
    with served(park_url) as url:
        yield url


def opened(
    browser: Browser, base: str, fragment: str, token: str = ADMIN_TOKEN
) -> tuple[MapPage, BrowserContext]:
    """/map#fragment signed in with `token`, once the map and the coverage report are loaded."""
    context = browser.new_context(viewport=VIEWPORT)
    outside = Outside(context, base)
    page = context.new_page()
    page.add_init_script(f"localStorage.setItem('parkgrid.token', {token!r})")
    shown = MapPage(page, base, outside)
    page.goto(f"{base}/map#{fragment}")
    page.wait_for_function(
        "() => window.parkgridMap && window.parkgridMap.loaded()", timeout=WAIT_MS
    )
    page.wait_for_selector("#coverage-status[data-loaded]", timeout=WAIT_MS)
    return shown, context


def sql(url: str, query: str, **params: Any) -> list[Any]:
    """Rows of a plain statement on the tables themselves (no service code involved)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()

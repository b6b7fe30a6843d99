"""The /map page in a real browser: Debian's chromium driven by Playwright (no downloaded
browser, launched by tests/web/browser.py so it reaches nothing but the service), against the
real app under uvicorn on a demo database. The page must draw the grids from the tiles, show a
clicked grid's details as SQL on the tables counts them, fly to an enterprise found by name,
send a token it is given and say when the server refuses it, and never ask anything of a host
other than the service."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import FloatRect
from sqlalchemy import create_engine, text

from parkgrid.settings import PROJECT_ROOT
from tests.conftest import ADMIN_TOKEN, app_client
from tests.web.map_page import (
    GRIDS_DRAWN,
    RGB,
    SCREENSHOTS,
    VIEWPORT,
    WAIT_MS,
    MapPage,
    chinese_font,
    distance,
    grid_colour,
    map_page,
)

__all__ = ["chinese_font", "map_page"]  # fixtures

STATIC = PROJECT_ROOT / "web" / "static"
GRID_X = "430624101002004"  # 金龙片区第四网格: several enterprises and open issues


@pytest.fixture(scope="module")
def truth(demo_url: str) -> dict[str, Any]:
    """What SQL on the base tables says about grid X and one enterprise."""
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        found = conn.execute(text(TRUTH_SQL), {"code": GRID_X}).mappings().one()
        extent = conn.execute(text(EXTENT_SQL)).one()
        enterprise = conn.execute(text(ENTERPRISE_SQL)).mappings().one()
    engine.dispose()
    return {**found, "extent": tuple(extent), "enterprise": dict(enterprise)}


TRUTH_SQL = """
SELECT ST_X(c.center) AS lon, ST_Y(c.center) AS lat, g.name,
    (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id) AS enterprises,
    (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
     WHERE e.grid_id = g.id AND i.status NOT IN ('closed', 'rejected')) AS open_issues,
    (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
     WHERE e.grid_id = g.id AND i.status NOT IN ('closed', 'rejected')
       AND i.due_date < (now() AT TIME ZONE 'Asia/Shanghai')::date) AS overdue_issues,
    (SELECT c.name FROM assignment a JOIN cadre c ON c.id = a.cadre_id
     WHERE a.role = 'grid_lead' AND a.grid_id = g.id AND a.valid_from <= now()
       AND (a.valid_to IS NULL OR a.valid_to > now())) AS grid_lead
FROM grid g, ST_MaximumInscribedCircle(g.boundary) c
WHERE g.code = :code"""
EXTENT_SQL = """SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)
    FROM (SELECT ST_Extent(boundary) FROM grid) s(x)"""
ENTERPRISE_SQL = """SELECT uscc, name, ST_X(location) AS lon, ST_Y(location) AS lat
    FROM enterprise ORDER BY id DESC LIMIT 1"""


def test_the_page_and_its_files_are_served_by_the_service(demo_url: str) -> None:
    with app_client(demo_url, token=None) as client:
        page = client.get("/map")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for path in re.findall(r'(?:src|href)="(static/[^"]+)"', page.text):
            assert client.get(f"/{path}").status_code == 200, path
        assert "maplibre-gl.js" in page.text
        assert client.get("/static/nothing-here.js").status_code == 404
        slash = client.get("/map/", follow_redirects=False)
        assert (slash.status_code, slash.headers["location"]) == (308, "/map")
    pages = ("index.html", "map.js", "live.js", "coverage.js", "map.css")
    for name in pages:  # nothing from another host
        assert not re.search(r"https?://", (STATIC / "map" / name).read_text()), name
    vendor = STATIC / "vendor" / "maplibre-gl"
    assert (
        "Redistribution and use in source and binary forms" in (vendor / "LICENSE.txt").read_text()
    )
    version = (vendor / "VERSION").read_text().split()[1]
    assert f"v{version}" in (vendor / "maplibre-gl.js").read_text()[:2000]
    ws_vendor = STATIC / "vendor" / "graphql-ws"
    assert "MIT" in (ws_vendor / "LICENSE.md").read_text()
    built = (ws_vendor / "graphql-ws.min.js").read_text()
    assert "createClient" in built and not re.search(r"https?://", built)


def check_rendered(png: bytes, box: FloatRect, colour: RGB) -> None:
    """The map's part of the screenshot is a drawn map: many colours, none covering nearly
    all of it, and grid X's fill over a fair share of it."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
    region = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]),
                         int(box["y"] + box["height"])))  # fmt: skip
    counts: list[tuple[int, RGB]] = region.getcolors(maxcolors=1 << 24) or []  # type: ignore[assignment]
    total = region.width * region.height
    assert len(counts) >= 20, f"only {len(counts)} colours: a blank map?"
    assert max(count for count, _ in counts) < 0.9 * total, "one colour covers the map"
    near = sum(n for n, pixel in counts if distance(pixel, colour) <= 4)
    assert near > 0.01 * total, f"grid fill {colour} covers only {near} of {total} pixels"


def save_screenshot(page: MapPage, tmp_path: Path) -> bytes:
    png = page.page.screenshot(path=str(tmp_path / "map.png"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "map.png").write_bytes(png)
    return png


def test_the_map_draws_the_grids_and_shows_a_clicked_grid(
    map_page: MapPage, truth: dict[str, Any], tmp_path: Path
) -> None:
    map_page.open()
    west, south, east, north = truth["extent"]  # fitted to the grids' bounds
    shown = map_page.js("() => window.parkgridMap.getBounds().toArray().flat()")
    assert shown[0] <= west and shown[1] <= south and shown[2] >= east and shown[3] >= north
    assert map_page.js("() => window.parkgridMap.getZoom()") > 11

    map_page.click_at(truth["lon"], truth["lat"])
    assert map_page.field("code") == GRID_X
    assert map_page.field("enterprise-count") == str(truth["enterprises"])
    assert map_page.field("open-issue-count") == str(truth["open_issues"])
    assert map_page.field("overdue-issue-count") == str(truth["overdue_issues"])
    assert truth["name"] in map_page.page.inner_text("#details h2")
    assert "sign in to see the cadres" in map_page.page.inner_text("#details")  # anonymous
    issues = map_page.page.locator("#details [data-field=open-issues] li")
    assert issues.count() == min(5, truth["open_issues"])
    assert "needs sign-in" in issues.first.inner_text()  # anonymous callers get no titles
    assert map_page.js(
        "() => JSON.stringify(window.parkgridMap.getFilter('grid-selected'))"
    ) == json.dumps(["==", ["get", "code"], GRID_X], separators=(",", ":"))

    colour = grid_colour(map_page, truth["open_issues"])
    map_page.page.wait_for_function("() => window.parkgridMap.loaded()", timeout=WAIT_MS)
    box = map_page.page.locator("#map").bounding_box()
    assert box is not None
    check_rendered(save_screenshot(map_page, tmp_path), box, colour)

    map_page.page.check("input[name=shade][value=overdue_issues]")
    fill = map_page.js(
        "() => JSON.stringify(window.parkgridMap.getPaintProperty('grid-fill', 'fill-color'))"
    )
    assert "overdue_issues" in fill and "open_issues" not in fill
    assert map_page.page.is_hidden("#errors"), map_page.page.inner_text("#errors")
    assert any("/tiles/grids/" in url for url, _ in map_page.requests)
    assert map_page.outside() == []


def test_the_search_box_flies_to_an_enterprise(map_page: MapPage, truth: dict[str, Any]) -> None:
    enterprise = truth["enterprise"]
    map_page.open()
    map_page.page.fill("#search", enterprise["name"])
    map_page.page.press("#search", "Enter")
    map_page.page.wait_for_selector(f"#search-results [data-uscc='{enterprise['uscc']}']")
    map_page.page.wait_for_function(
        "() => !window.parkgridMap.isMoving() && window.parkgridMap.getZoom() >= 14.9",
        timeout=WAIT_MS,
    )
    centre = map_page.js("() => window.parkgridMap.getCenter().toArray()")
    assert centre == pytest.approx([enterprise["lon"], enterprise["lat"]], abs=1e-5)
    assert map_page.page.locator(".maplibregl-marker").count() == 1
    assert enterprise["uscc"] in map_page.page.inner_text(".maplibregl-popup")

    map_page.page.fill("#search", "no such enterprise anywhere")
    map_page.page.press("#search", "Enter")
    map_page.page.wait_for_selector("#search-status.bad")
    assert map_page.outside() == []


def test_a_token_shows_what_its_role_allows_and_a_bad_one_is_refused(
    map_page: MapPage, truth: dict[str, Any]
) -> None:
    map_page.open()
    bearer = f"Bearer {ADMIN_TOKEN}"
    with map_page.page.expect_request(  # the tiles are fetched again, with the token
        lambda request: (
            "/tiles/grids/" in request.url and request.headers.get("authorization") == bearer
        ),
        timeout=WAIT_MS,
    ):
        map_page.sign_in(ADMIN_TOKEN)
    map_page.page.wait_for_selector("#token-status.good", timeout=WAIT_MS)
    assert map_page.js("() => localStorage.getItem('parkgrid.token')") == ADMIN_TOKEN
    map_page.page.wait_for_function(GRIDS_DRAWN, timeout=WAIT_MS)

    map_page.click_at(truth["lon"], truth["lat"])
    assert map_page.field("code") == GRID_X
    assert truth["grid_lead"] in map_page.field("cadres")  # staff see the cadres
    issues = map_page.page.locator("#details [data-field=open-issues] li")
    assert issues.count() == min(5, truth["open_issues"])
    assert "needs sign-in" not in map_page.page.inner_text("#details")  # and issue titles

    map_page.page.reload()  # the token is remembered
    map_page.page.wait_for_selector("#token-status.good", timeout=WAIT_MS)

    map_page.sign_in("pgt_not-a-token")
    map_page.page.wait_for_selector("#token-status.bad", timeout=WAIT_MS)
    assert "token refused" in map_page.page.inner_text("#token-status")
    assert map_page.js("() => localStorage.getItem('parkgrid.token')") is None
    map_page.page.wait_for_function(GRIDS_DRAWN, timeout=WAIT_MS)  # goes on anonymous
    assert map_page.outside() == []

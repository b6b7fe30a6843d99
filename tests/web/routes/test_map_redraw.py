"""Redrawing a grid on the /map page (terra-draw on MapLibre, in Debian's chromium reaching
nothing but the service), on the hand-made park P: a scripted vertex drag shows the movers
`previewGridChange` gives for the drawn boundary; saving changes the membership exactly as the
preview said (plain SQL); a viewer's save is FORBIDDEN and a grid changed meanwhile is a
CONFLICT, and neither changes anything."""

from __future__ import annotations

import json

from playwright.sync_api import Browser
from shapely.geometry import Point, shape

from tests.conftest import add_token
from tests.resolvers.conftest import code
from tests.web.live_park import graphql
from tests.web.map_page import SCREENSHOTS, WAIT_MS, MapPage, chinese_font
from tests.web.planner_park import base, cell, opened, park_url, sql

__all__ = ["base", "chinese_font", "park_url"]  # fixtures

VIEWER_TOKEN = "pgt_redraw-viewer"
PREVIEW = """query($code: String!, $boundary: GeoJSON!) { previewGridChange(code: $code,
  boundary: $boundary) { movingIn { uscc } movingOut { uscc } } }"""
MEMBERS = "SELECT e.uscc FROM enterprise e JOIN grid g ON g.id = e.grid_id WHERE g.code = :code"
BOUNDARY = "SELECT ST_AsText(boundary) FROM grid WHERE code = :code"


def screen(page: MapPage, x: float, y: float) -> tuple[float, float]:
    at = page.js(
        """([lon, lat]) => { const m = window.parkgridMap, p = m.project([lon, lat]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""",
        list(cell(x, y)),
    )
    return float(at[0]), float(at[1])


def begin_redraw(page: MapPage, grid: str, inside: tuple[float, float]) -> None:
    page.click_at(*cell(*inside))
    page.page.wait_for_selector(f"#details [data-field=code]:has-text('{grid}')", timeout=WAIT_MS)
    page.page.click("#redraw-start")
    page.page.wait_for_function("() => !!window.parkgridRedrawSession", timeout=WAIT_MS)


def drag(page: MapPage, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag the vertex at `start` to `end` (cells) with the mouse, as a planner would."""
    page.page.mouse.move(*screen(page, *start))
    page.page.mouse.down()
    page.page.mouse.move(*screen(page, *end), steps=12)
    page.page.mouse.up()


def previewed(page: MapPage) -> dict[str, object]:
    """The drawn boundary, once the page shows its preview."""
    page.page.wait_for_function(
        """() => { const s = document.querySelector('#redraw-status');
            return s.dataset.code === 'PREVIEW' && s.dataset.previewed
              === JSON.stringify(window.parkgridRedraw.boundary()); }""",
        timeout=WAIT_MS,
    )
    drawn: dict[str, object] = page.js("() => window.parkgridRedraw.boundary()")
    return drawn


def shown(page: MapPage, list_id: str) -> set[str]:
    rows = page.page.locator(f"#{list_id} li").all()
    return {str(row.get_attribute("data-uscc")) for row in rows}


def test_a_dragged_vertex_previews_and_saves_the_movers(
    browser: Browser, base: str, park_url: str
) -> None:
    page, context = opened(browser, base, "")
    try:
        begin_redraw(page, "G-B", (1.3, 0.8))
        drag(page, (1.5, 0.0), (1.99, 0.5))  # G-B's corner out into the gap, over E3
        drawn = previewed(page)
        assert shape(drawn).contains(Point(cell(1.75, 0.5)))  # E3, outside every grid so far
        answer = graphql(base, PREVIEW, code="G-B", boundary=drawn)["previewGridChange"]
        moving_in = {item["uscc"] for item in answer["movingIn"]}
        moving_out = {item["uscc"] for item in answer["movingOut"]}
        assert code(3) in moving_in
        assert (shown(page, "redraw-in"), shown(page, "redraw-out")) == (moving_in, moving_out)
        highlighted = page.page.wait_for_function(
            """(count) => { const movers = window.parkgridMap.querySourceFeatures('redraw-preview')
                .filter((f) => f.properties.kind === 'in').map((f) => f.properties.uscc);
                return new Set(movers).size === count && [...new Set(movers)]; }""",
            arg=len(moving_in),
            timeout=WAIT_MS,
        ).json_value()
        assert set(highlighted) == moving_in
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "map-redraw-preview.png"))

        before = {row.uscc for row in sql(park_url, MEMBERS, code="G-B")}
        page.page.click("#redraw-save")
        page.page.wait_for_selector("#redraw-saved:has-text('saved')", timeout=WAIT_MS)
        after = {row.uscc for row in sql(park_url, MEMBERS, code="G-B")}
        assert after == (before | moving_in) - moving_out
        same = sql(
            park_url,
            "SELECT ST_Equals(boundary, ST_GeomFromGeoJSON(:drawn)) FROM grid WHERE code = 'G-B'",
            drawn=json.dumps(drawn),
        )
        assert same[0][0] is True
        assert page.page.is_hidden("#errors"), page.page.inner_text("#errors")
        assert page.outside() == []
    finally:
        context.close()


def test_a_viewer_is_forbidden_and_nothing_changes(
    browser: Browser, base: str, park_url: str
) -> None:
    add_token(park_url, VIEWER_TOKEN, "viewer")
    boundary = sql(park_url, BOUNDARY, code="G-A")
    members = sql(park_url, MEMBERS + " ORDER BY 1", code="G-A")
    page, context = opened(browser, base, "", token=VIEWER_TOKEN)
    try:
        begin_redraw(page, "G-A", (0.5, 0.8))
        drag(page, (1.0, 1.0), (0.8, 0.7))
        page.page.wait_for_timeout(500)  # the preview, if the viewer may ask for one
        with page.page.expect_response(
            lambda response: "upsertGrid" in (response.request.post_data or ""), timeout=WAIT_MS
        ) as saved:
            page.page.click("#redraw-save")
        assert saved.value.json()["data"]["upsertGrid"]["code"] == "FORBIDDEN"
        page.page.wait_for_selector("#redraw-status[data-code=FORBIDDEN]", timeout=WAIT_MS)
        assert "FORBIDDEN" in page.page.inner_text("#redraw-status")
        page.page.screenshot(path=str(SCREENSHOTS / "map-redraw-forbidden.png"))
    finally:
        context.close()
    assert sql(park_url, BOUNDARY, code="G-A") == boundary
    assert sql(park_url, MEMBERS + " ORDER BY 1", code="G-A") == members


def test_a_grid_changed_meanwhile_is_a_conflict(browser: Browser, base: str, park_url: str) -> None:
    page, context = opened(browser, base, "")
    try:
        begin_redraw(page, "G-C", (2.25, 0.8))
        drag(page, (2.0, 0.0), (2.1, 0.2))
        previewed(page)
        sql(  # someone else reshapes G-C meanwhile
            park_url,
            "UPDATE grid SET boundary = ST_Multi(ST_Buffer(boundary, -0.0001, 'join=mitre'))"
            " WHERE code = 'G-C'",
        )
        changed = sql(park_url, BOUNDARY, code="G-C")
        page.page.click("#redraw-save")
        page.page.wait_for_selector("#redraw-status[data-code=CONFLICT]", timeout=WAIT_MS)
    finally:
        context.close()
    assert sql(park_url, BOUNDARY, code="G-C") == changed

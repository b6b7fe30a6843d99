"""Proposed liaisons on the /map page, on the hand-made park P, in Debian's chromium reaching
nothing but the service: the rows are `proposeAssignments`' answer, each drawn as lines to the
enterprises its cadre serves now or, for a lead serving none, the grids and zones it leads
(plain SQL); a viewer's accept is FORBIDDEN and
changes nothing; an admin's "accept all" makes exactly the proposed assignments (plain SQL)."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.conftest import add_token
from tests.web.live_park import graphql
from tests.web.map_page import SCREENSHOTS, WAIT_MS, MapPage, chinese_font
from tests.web.planner_park import base, opened, park_url, sql

__all__ = ["base", "chinese_font", "park_url"]  # fixtures

VIEWER_TOKEN = "pgt_proposals-viewer"
PROPOSE = """{ proposeAssignments(park: "P") { proposals { uscc cadreId cadreName } } }"""
LEADS = """SELECT c.name, coalesce(g.code, z.code) FROM assignment a JOIN cadre c ON c.id = a.cadre_id
  LEFT JOIN grid g ON g.id = a.grid_id LEFT JOIN zone z ON z.id = a.zone_id
  WHERE a.role <> 'liaison' AND a.valid_to IS NULL"""
LIAISONS = """SELECT e.uscc, c.name FROM assignment a JOIN enterprise e ON e.id = a.enterprise_id
  JOIN cadre c ON c.id = a.cadre_id WHERE a.role = 'liaison' AND a.valid_to IS NULL ORDER BY 1"""


def proposed(page: MapPage) -> dict[str, str]:
    page.page.click("#proposal-run")
    page.page.wait_for_selector("#proposal-status[data-count]", timeout=WAIT_MS)
    rows = page.page.locator("#proposal-list li").all()
    return {
        str(row.get_attribute("data-uscc")): str(row.get_attribute("data-cadre")) for row in rows
    }


def test_a_viewer_may_look_but_not_accept(browser: Browser, base: str, park_url: str) -> None:
    add_token(park_url, VIEWER_TOKEN, "viewer")
    before = sql(park_url, LIAISONS)
    page, context = opened(browser, base, "", token=VIEWER_TOKEN)
    try:
        assert proposed(page)
        page.page.click("#proposal-list li >> nth=0 >> button")
        page.page.wait_for_selector("#proposal-list li[data-code=FORBIDDEN]", timeout=WAIT_MS)
    finally:
        context.close()
    assert sql(park_url, LIAISONS) == before


def test_lines_and_accept_all(browser: Browser, base: str, park_url: str) -> None:
    answer = graphql(base, PROPOSE)["proposeAssignments"]["proposals"]
    assert answer  # E6 has no liaison
    page, context = opened(browser, base, "")
    try:
        assert proposed(page) == {item["uscc"]: item["cadreId"] for item in answer}
        firms: dict[str, set[str]] = {}
        for uscc, name in sql(park_url, LIAISONS):
            firms.setdefault(name, set()).add(uscc)
        areas: dict[str, set[str]] = {}
        for name, area in sql(park_url, LEADS):
            areas.setdefault(name, set()).add(area)
        want = {
            (p["uscc"], to)
            for p in answer
            for to in firms.get(p["cadreName"]) or areas.get(p["cadreName"], set())
        }
        assert want  # the proposed cadres serve someone: there are lines to draw
        drawn = page.page.wait_for_function(
            """(count) => { const lines = window.parkgridMap.querySourceFeatures('proposals')
                .filter((f) => f.geometry.type === 'LineString')
                .map((f) => `${f.properties.uscc}|${f.properties.to}`);
                return new Set(lines).size === count && [...new Set(lines)]; }""",
            arg=len(want),
            timeout=WAIT_MS,
        ).json_value()
        assert {tuple(line.split("|")) for line in drawn} == want
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "map-proposals.png"))
        before = sql(park_url, LIAISONS)
        page.page.click("#proposal-all")
        page.page.wait_for_function(
            "(n) => document.querySelectorAll('#proposal-list li[data-code=ACCEPTED]').length === n",
            arg=len(answer),
            timeout=WAIT_MS,
        )
        assert page.page.is_hidden("#errors"), page.page.inner_text("#errors")
        assert page.outside() == []
    finally:
        context.close()
    added = set(sql(park_url, LIAISONS)) - set(before)
    assert added == {(p["uscc"], p["cadreName"]) for p in answer}

"""The /map page's coverage layers on the hand-made park P of the coverage tests (built with
plain SQL, one defect of each kind), in Debian's chromium reaching nothing but the service:
every layer's features and count in the page equal the `coverage` answer for the thresholds
the link sets; a list row flies to its feature; the zone switcher fits the view and scopes the
report; a shared link restores view and layers; a live change refreshes the counts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.resolvers.conftest import X0, Y0, D, code
from tests.web.live_park import graphql
from tests.web.map_page import SCREENSHOTS, WAIT_MS, MapPage, chinese_font
from tests.web.planner_park import base, opened, park_url

__all__ = ["base", "chinese_font", "park_url"]  # fixtures

LISTS = {  # layer: the coverage list and the key of an item, as GraphQL and the layer give it
    "zones-without-lead": ("zonesWithoutLead { code }", "code"),
    "grids-without-lead": ("gridsWithoutLead { code }", "code"),
    "enterprises-without-liaison": ("enterprisesWithoutLiaison { uscc }", "uscc"),
    "enterprises-outside-grids": ("enterprisesOutsideGrids { uscc }", "uscc"),
    "enterprises-on-boundary": ("enterprisesOnBoundary { uscc }", "uscc"),
    "overlaps": ("overlaps { first second }", "pair"),
    "gaps": ("gaps { code }", "code"),
    "grids-outside-zone": ("gridsOutsideZone { code }", "code"),
    "not-visited": ("notVisited { uscc }", "uscc"),
    "overdue-hazards": ("overdueHazards { issueId }", "issueId"),
}
COVERAGE = """query($zone: String, $days: Int!, $max: Int!, $min: Int!) {
  coverage(park: "P", zone: $zone, serviceDays: $days, maxPerLiaison: $max, minPerLiaison: $min) {
    %s workload { overloaded { name } underloaded { name } } } }"""


def expected(base: str, zone: str | None) -> dict[str, set[str]]:
    """Each layer's items as the coverage query lists them (keys as strings), for the
    thresholds the tests' links set: 30 days, Busy (3 firms) over 2, Solo (1) under 2."""
    query = COVERAGE % " ".join(field for field, _ in LISTS.values())
    found = graphql(base, query, zone=zone, days=30, max=2, min=2)["coverage"]
    answer = {}
    for layer, (field, key) in LISTS.items():
        name = field.split()[0]
        answer[layer] = {
            f"{item['first']}|{item['second']}" if key == "pair" else str(item[key])
            for item in found[name]
        }
    answer["liaisons-over"] = {item["name"] for item in found["workload"]["overloaded"]}
    answer["liaisons-under"] = {item["name"] for item in found["workload"]["underloaded"]}
    return answer


DRAWN = """(layer) => { const m = window.parkgridMap;
  const seen = new Set();
  for (const f of m.querySourceFeatures(`coverage-${layer}`)) {
    const p = f.properties;
    seen.add(p.cadre ?? (p.first ? `${p.first}|${p.second}` : String(p.issue_id ?? p.uscc ?? p.code)));
  }
  return [...seen]; }"""


def counts(page: MapPage) -> dict[str, int]:
    return {
        str(item.get_attribute("data-layer")): int(item.get_attribute("data-count") or -1)
        for item in page.page.locator("#coverage-layers li").all()
    }


def test_every_layer_equals_the_coverage_answer(browser: Browser, base: str) -> None:
    layers = ",".join([*LISTS, "liaisons-over", "liaisons-under"])
    page, context = opened(browser, base, f"days=30&max=2&min=2&layers={layers}")
    try:
        want = expected(base, None)
        assert all(want.values()), want  # one defect of each kind, at least
        assert counts(page) == {layer: len(items) for layer, items in want.items()}
        for layer, items in want.items():
            assert set(page.js(DRAWN, layer)) == items, layer
        checked = page.page.locator("#coverage-layers input:checked").all()
        assert {box.get_attribute("data-layer") for box in checked} == set(layers.split(","))
        page.page.wait_for_timeout(1500)  # let the tiles settle for the screenshot
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "map-coverage-park.png"))
        assert page.page.is_hidden("#errors"), page.page.inner_text("#errors")
        assert page.outside() == []
    finally:
        context.close()


def test_a_row_flies_to_its_feature_and_the_link_keeps_the_view(
    browser: Browser, base: str
) -> None:
    page, context = opened(browser, base, "layers=enterprises-outside-grids")
    try:
        page.page.wait_for_selector("#live[data-state=live]", timeout=WAIT_MS)
        page.page.wait_for_timeout(2000)  # a reload for changes replayed at connection is over
        row = page.page.locator(
            f"#coverage-list li[data-layer='enterprises-outside-grids'] button[data-id='{code(3)}']"
        )
        row.click()
        page.page.wait_for_function(
            """([lon, lat]) => { const c = window.parkgridMap.getCenter();
                return !window.parkgridMap.isMoving()
                  && Math.abs(c.lng - lon) < 1e-6 && Math.abs(c.lat - lat) < 1e-6; }""",
            arg=[X0 + 1.75 * D, Y0 + 0.5 * D],
            timeout=WAIT_MS,
        )
        page.page.wait_for_function("() => location.hash.includes('map=')", timeout=WAIT_MS)
        link = page.page.url
        zoom = page.js("() => window.parkgridMap.getZoom()")
    finally:
        context.close()
    again, context = opened(browser, base, link.split("#", 1)[1])
    try:
        center = again.js("() => window.parkgridMap.getCenter().toArray()")
        assert center == pytest.approx([X0 + 1.75 * D, Y0 + 0.5 * D], abs=1e-5)
        assert again.js("() => window.parkgridMap.getZoom()") == pytest.approx(zoom, abs=0.01)
        checked = again.page.locator("#coverage-layers input:checked").all()
        assert [box.get_attribute("data-layer") for box in checked] == ["enterprises-outside-grids"]
        assert again.js(DRAWN, "enterprises-outside-grids") == [code(3)]
    finally:
        context.close()


def test_the_zone_switcher_fits_and_scopes(browser: Browser, base: str) -> None:
    page, context = opened(browser, base, "max=2&min=2")
    try:
        loaded = page.page.get_attribute("#coverage-status", "data-loaded")
        page.page.select_option("#zone", "Z2")
        page.page.wait_for_function(
            "(before) => document.querySelector('#coverage-status').dataset.loaded !== before",
            arg=loaded,
            timeout=WAIT_MS,
        )
        want = expected(base, "Z2")
        assert counts(page) == {layer: len(items) for layer, items in want.items()}
        west, south, east, north = page.js("() => window.parkgridMap.getBounds().toArray().flat()")
        assert west <= X0 + 2 * D and east >= X0 + 3 * D  # Z2 = [2, 3] x [0, 1] cells
        assert south <= Y0 and north >= Y0 + D
        assert east - west < 2 * D  # fitted to Z2, not the park's three cells
        assert "zone=Z2" in page.page.url
    finally:
        context.close()


def test_a_live_change_refreshes_the_counts(browser: Browser, base: str) -> None:
    page, context = opened(browser, base, "max=2&min=2")
    try:
        page.page.wait_for_selector("#live[data-state=live]", timeout=WAIT_MS)
        before = counts(page)["enterprises-without-liaison"]
        solo = graphql(base, '{ coverage(park: "P", minPerLiaison: 2) {'
                       " workload { underloaded { id name } } } }")  # fmt: skip
        [cadre_id] = [c["id"] for c in solo["coverage"]["workload"]["underloaded"]]
        done = graphql(
            base,
            "mutation($c: ID!, $t: String!) { assignCadre(cadre: $c, level: ENTERPRISE,"
            " target: $t) { __typename } }",
            c=cadre_id,
            t=code(6),
        )
        assert done["assignCadre"]["__typename"] == "AssignmentPayload", done
        page.page.wait_for_function(
            """(before) => { const li = document.querySelector(
                "#coverage-layers li[data-layer='enterprises-without-liaison']");
                return li && Number(li.dataset.count) !== before; }""",
            arg=before,
            timeout=WAIT_MS,
        )
        assert counts(page) == {layer: len(items) for layer, items in expected(base, None).items()}
    finally:
        context.close()

"""The /map page's coverage layers in a real browser (Debian's chromium through Playwright,
reaching nothing but the service): signed in, each layer's switch shows the count the
`coverage` query gives for the same list, and switching one on draws its features; signed out,
the page says the report needs a token."""

from __future__ import annotations

import re

from tests.conftest import ADMIN_TOKEN
from tests.web.live_park import graphql
from tests.web.map_page import SCREENSHOTS, WAIT_MS, MapPage, chinese_font, map_page

__all__ = ["chinese_font", "map_page"]  # fixtures

FIELDS = {  # layer: the coverage field with the same list
    "zones-without-lead": "zonesWithoutLead",
    "grids-without-lead": "gridsWithoutLead",
    "enterprises-without-liaison": "enterprisesWithoutLiaison",
    "enterprises-outside-grids": "enterprisesOutsideGrids",
    "enterprises-on-boundary": "enterprisesOnBoundary",
    "overlaps": "overlaps",
    "gaps": "gaps",
    "grids-outside-zone": "gridsOutsideZone",
    "not-visited": "notVisited",
    "overdue-hazards": "overdueHazards",
}


def coverage_counts(base: str) -> dict[str, int]:
    park = graphql(base, "{ parks(first: 1) { nodes { code } } }")["parks"]["nodes"][0]["code"]
    lists = " ".join(f"{field} {{ __typename }}" for field in FIELDS.values())
    workload = "workload { overloaded { id } underloaded { id } }"
    found = graphql(
        base, f"query($p: String!) {{ coverage(park: $p) {{ {lists} {workload} }} }}", p=park
    )["coverage"]
    counts = {layer: len(found[field]) for layer, field in FIELDS.items()}
    counts["liaisons-over"] = len(found["workload"]["overloaded"])
    counts["liaisons-under"] = len(found["workload"]["underloaded"])
    return counts


def test_each_switch_counts_what_the_coverage_query_lists(map_page: MapPage, base: str) -> None:
    map_page.open()
    map_page.page.wait_for_selector("#coverage-status:has-text('sign in')", timeout=WAIT_MS)
    assert map_page.page.locator("#coverage-layers li").count() == 0

    map_page.sign_in(ADMIN_TOKEN)
    map_page.page.wait_for_selector("#coverage-layers li[data-count]", timeout=WAIT_MS)
    shown = {
        item.get_attribute("data-layer"): int(item.get_attribute("data-count") or -1)
        for item in map_page.page.locator("#coverage-layers li").all()
    }
    expected = coverage_counts(base)
    assert shown == expected
    for layer, count in expected.items():
        label = map_page.page.inner_text(f"#coverage-layers li[data-layer='{layer}']")
        assert re.search(rf"\b{count}\s*$", label), (layer, label)

    layer = max(expected, key=lambda name: (expected[name], name))  # the fullest list
    assert expected[layer] > 0
    map_page.page.check(f"#coverage-layers input[data-layer='{layer}']")
    map_page.page.wait_for_function(
        """(layer) => { const m = window.parkgridMap;
            const ids = [`coverage-${layer}-fill`, `coverage-${layer}-point`]
                .filter((id) => m.getLayer(id));
            return m.loaded() && m.queryRenderedFeatures({layers: ids}).length > 0; }""",
        arg=layer,
        timeout=WAIT_MS,
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    map_page.page.screenshot(path=str(SCREENSHOTS / "map-coverage.png"))
    map_page.page.uncheck(f"#coverage-layers input[data-layer='{layer}']")
    hidden = map_page.js(
        """(layer) => [`coverage-${layer}-fill`, `coverage-${layer}-point`]
            .filter((id) => window.parkgridMap.getLayer(id))
            .map((id) => window.parkgridMap.getLayoutProperty(id, 'visibility'))""",
        layer,
    )
    assert hidden and set(hidden) == {"none"}
    assert map_page.page.is_hidden("#errors"), map_page.page.inner_text("#errors")
    assert map_page.outside() == []

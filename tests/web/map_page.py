"""The /map page in a browser, for the page's tests: a fresh context on /map that logs every
request, and how the page draws a grid's fill (read from its own style)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from parkgrid.settings import PROJECT_ROOT
from tests.helpers import apt_install
from tests.web.browser import Outside

SCREENSHOTS = PROJECT_ROOT / ".data" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
WAIT_MS = 60_000
GRIDS_DRAWN = """() => { const m = window.parkgridMap;
    return !!m && m.loaded() && m.queryRenderedFeatures({layers: ['grid-fill']}).length > 0; }"""


@pytest.fixture(scope="module", autouse=True)
def chinese_font() -> None:
    """A Chinese font, so the labels in screenshots are legible: best effort, as root only
    (autouse: in place before the module's browser starts)."""
    if os.geteuid() != 0 or shutil.which("fc-list") is None:
        return
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True)
    if not fonts.stdout.strip():
        apt_install("fonts-wqy-microhei")


class MapPage:
    """A fresh browser context on /map, logging every request it makes."""

    def __init__(self, page: Page, base: str, outside: Outside) -> None:
        self.page, self.base, self.outside_urls = page, base, outside.urls
        self.requests: list[tuple[str, dict[str, str]]] = []
        page.on("request", lambda request: self.requests.append((request.url, request.headers)))

    def open(self) -> None:
        self.page.goto(f"{self.base}/map")
        self.page.wait_for_function(GRIDS_DRAWN, timeout=WAIT_MS)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def click_at(self, lon: float, lat: float) -> None:
        x, y = self.js(
            """([lon, lat]) => { const m = window.parkgridMap, p = m.project([lon, lat]);
                const r = m.getContainer().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y]; }""",
            [lon, lat],
        )
        self.page.mouse.click(x, y)

    def field(self, name: str) -> str:
        return self.page.inner_text(f"#details [data-field={name}]", timeout=WAIT_MS).strip()

    def sign_in(self, token: str) -> None:
        self.page.fill("#token", token)
        self.page.click("#token-form button[type=submit]")

    def outside(self) -> list[str]:
        return self.outside_urls


@pytest.fixture
def map_page(browser: Browser, base: str) -> Iterator[MapPage]:
    context = browser.new_context(viewport=VIEWPORT)
    outside = Outside(context, base)
    page = context.new_page()
    try:
        yield MapPage(page, base, outside)
    finally:
        context.close()


RGB = tuple[int, int, int]


def grid_colour(page: MapPage, open_issues: int) -> RGB:
    """Grid X's fill as drawn: the step colour for its count, at the fill's opacity over the
    background (both read from the page's style)."""
    step = page.js("() => window.parkgridMap.getPaintProperty('grid-fill', 'fill-color')")
    opacity = page.js("() => window.parkgridMap.getPaintProperty('grid-fill', 'fill-opacity')")
    back = page.js("() => window.parkgridMap.getPaintProperty('background', 'background-color')")
    assert step[0] == "step", step
    colour = step[2]
    for limit, then in zip(step[3::2], step[4::2], strict=True):
        colour = then if open_issues >= limit else colour
    (r, g, b), ground = rgb(colour), rgb(back)

    def over(value: int, below: int) -> int:
        return round(opacity * value + (1 - opacity) * below)

    return over(r, ground[0]), over(g, ground[1]), over(b, ground[2])


def rgb(colour: str) -> RGB:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def distance(one: RGB, other: RGB) -> int:
    return max(abs(a - b) for a, b in zip(one, other, strict=True))

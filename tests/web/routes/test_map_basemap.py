"""The /map page's base map setting, in Debian's chromium reaching nothing but the service: by
default no base map (offline); a WGS 84 source is drawn under the grids with its attribution
(its tiles here are the service's own URLs, so nothing leaves 127.0.0.1); a GCJ-02 source is
not drawn and the page says why; a template without {z}/{x}/{y} is refused at start-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from pydantic import ValidationError

from parkgrid import cluster
from parkgrid.settings import MapSettings
from tests.web.browser import Outside, served
from tests.web.map_page import SCREENSHOTS, VIEWPORT, WAIT_MS, chinese_font

__all__ = ["chinese_font"]  # fixture

LOADED = "() => window.parkgridMap && window.parkgridMap.loaded()"


def page_with(browser: Browser, demo_url: str, datum: str | None) -> Iterator[dict[str, object]]:
    port = cluster.free_port()
    tiles = f"http://127.0.0.1:{port}/static/no-such-basemap/{{z}}/{{x}}/{{y}}.png"
    with pytest.MonkeyPatch.context() as patch:
        if datum:
            patch.setenv("PARKGRID_MAP_BASEMAP_URL", tiles)
            patch.setenv("PARKGRID_MAP_BASEMAP_ATTRIBUTION", "© 测试底图 test tiles")
            patch.setenv("PARKGRID_MAP_BASEMAP_DATUM", datum)
        with served(demo_url, port) as base:
            context = browser.new_context(viewport=VIEWPORT)
            outside = Outside(context, base)
            page = context.new_page()
            page.goto(f"{base}/map")
            page.wait_for_function(LOADED, timeout=WAIT_MS)
            page.wait_for_timeout(500)
            state = page.evaluate(
                """() => { const m = window.parkgridMap;
                  return { source: m.getSource('basemap') ? m.getSource('basemap').tiles : null,
                    below: m.getStyle().layers.map((l) => l.id).indexOf('basemap')
                      < m.getStyle().layers.map((l) => l.id).indexOf('grid-fill'),
                    attribution: document.querySelector('.maplibregl-ctrl-attrib').innerText,
                    notice: document.querySelector('#basemap-notice').hidden
                      ? null : document.querySelector('#basemap-notice').innerText }; }"""
            )
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"map-basemap-{datum or 'none'}.png"))
            context.close()
            yield {**state, "tiles": tiles, "outside": outside.urls}


def test_no_base_map_by_default(browser: Browser, demo_url: str) -> None:
    for state in page_with(browser, demo_url, None):
        assert state["source"] is None and state["notice"] is None
        assert state["outside"] == []


def test_a_wgs84_source_is_drawn_under_the_grids(browser: Browser, demo_url: str) -> None:
    for state in page_with(browser, demo_url, "WGS84"):
        assert state["source"] == [state["tiles"]]
        assert state["below"] is True
        assert "测试底图 test tiles" in str(state["attribution"])
        assert state["notice"] is None
        assert state["outside"] == []


def test_a_gcj02_source_is_not_drawn_and_the_page_says_why(browser: Browser, demo_url: str) -> None:
    for state in page_with(browser, demo_url, "GCJ02"):
        assert state["source"] is None
        assert "GCJ-02" in str(state["notice"]) and "WGS 84" in str(state["notice"])


@pytest.mark.parametrize("url", ["http://tiles.example/{z}/{x}.png", "ftp://t/{z}/{x}/{y}"])
def test_a_bad_template_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="basemap_url"):
        MapSettings(basemap_url=url)

"""The /map page's live updates in a real browser (Debian's chromium through Playwright,
launched by tests/web/browser.py so it reaches nothing but the service): an issue reported
through GraphQL (on another server process, as a second worker or replica would) changes the
open grid's counts, its shading and the park's totals without a reload, fetching again only
the tiles under that grid; when the page's server restarts the indicator says so, and a change
made meanwhile arrives after the page has reconnected. Expected values come from SQL on the
tables and from the tile arithmetic done here, not from the page's own code."""

from __future__ import annotations

import io
import math
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import Engine, text

from parkgrid import cluster
from tests.conftest import ADMIN_TOKEN
from tests.web.browser import served
from tests.web.live_park import Park, graphql, park
from tests.web.map_page import (
    RGB,
    SCREENSHOTS,
    WAIT_MS,
    MapPage,
    chinese_font,
    distance,
    grid_colour,
    map_page,
)

__all__ = ["chinese_font", "map_page", "park"]  # fixtures

BREAKS = (1, 3, 5, 10)  # where the page's shading changes class (its legend)
TILE = re.compile(r"/tiles/(\w+)/(\d+)/(\d+)/(\d+)\.mvt")
REPORT = """mutation($u: String!, $t: String!) {
  reportIssue(enterprise: $u, category: OTHER, title: $t) {
    __typename ... on IssuePayload { issue { id } } } }"""
GRID_SQL = """
SELECT g.code, ST_X(c.center) AS lon, ST_Y(c.center) AS lat,
       ST_XMin(g.boundary) AS w, ST_YMin(g.boundary) AS s,
       ST_XMax(g.boundary) AS e, ST_YMax(g.boundary) AS n,
       (SELECT min(e.uscc) FROM enterprise e WHERE e.grid_id = g.id) AS uscc
FROM grid g, ST_MaximumInscribedCircle(g.boundary) c
WHERE EXISTS (SELECT 1 FROM enterprise e WHERE e.grid_id = g.id)
ORDER BY g.code"""
OPEN_SQL = """SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
JOIN grid g ON g.id = e.grid_id
WHERE i.status NOT IN ('closed', 'rejected') AND (g.code = :code OR :code IS NULL)"""


class Service:
    """The page's server: uvicorn on a fixed port of 127.0.0.1, which the test may stop and
    start again (a restart, to the page)."""

    def __init__(self, url: str) -> None:
        self.url, self.port = url, cluster.free_port()
        self.stack = ExitStack()
        self.base = ""

    def start(self) -> str:
        self.base = self.stack.enter_context(served(self.url, self.port))
        return self.base

    def stop(self) -> None:
        self.stack.close()
        self.stack = ExitStack()


@dataclass(frozen=True)
class Target:
    """A grid whose shading changes class after `reports` more open issues."""

    code: str
    lon: float
    lat: float
    bbox: tuple[float, float, float, float]
    uscc: str
    open_issues: int
    reports: int


@pytest.fixture(scope="module")
def engine(park: Park) -> Engine:
    """The park of the module's own (the test writes to it)."""
    return park.engine


@pytest.fixture(scope="module")
def service(park: Park) -> Iterator[Service]:
    running = Service(park.url)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def base(service: Service) -> str:
    return service.base


@pytest.fixture(scope="module")
def writer(park: Park) -> Iterator[str]:
    """Another server process on the same database, where the changes are made."""
    with served(park.url) as url:
        yield url


def open_issues(engine: Engine, code: str | None = None) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(OPEN_SQL), {"code": code}).scalar_one())


def pick_target(engine: Engine) -> Target:
    """The first grid (by code) whose open issues are below the last break."""
    with engine.connect() as conn:
        rows = conn.execute(text(GRID_SQL)).mappings().all()
    for row in rows:
        count = open_issues(engine, row["code"])
        if count < BREAKS[-1]:
            reports = next(limit for limit in BREAKS if limit > count) - count
            bbox = (row["w"], row["s"], row["e"], row["n"])
            return Target(row["code"], row["lon"], row["lat"], bbox, row["uscc"], count, reports)
    raise AssertionError("no grid has fewer than 10 open issues")


def tiles_meeting(bbox: tuple[float, float, float, float], z: int) -> set[tuple[int, int, int]]:
    """The tiles of zoom z within 1/64 of a tile (the tiles' buffer) of bbox."""
    n, pad = 2**z, 64 / 4096

    def x(lon: float) -> float:
        return (lon + 180) / 360 * n

    def y(lat: float) -> float:
        phi = math.radians(lat)
        return (1 - math.asinh(math.tan(phi)) / math.pi) / 2 * n

    xs = range(math.floor(x(bbox[0]) - pad), math.floor(x(bbox[2]) + pad) + 1)
    ys = range(math.floor(y(bbox[3]) - pad), math.floor(y(bbox[1]) + pad) + 1)
    return {(z, i, j) for i in xs for j in ys}


def tile_requests(page: MapPage, since: int) -> list[tuple[str, int, int, int]]:
    found = []
    for url, _ in page.requests[since:]:
        match = TILE.search(url)
        if match:
            layer, z, x, y = match.groups()
            found.append((layer, int(z), int(x), int(y)))
    return found


def drawn_colour(page: MapPage, target: Target, name: str) -> RGB:
    """The commonest colour of a small patch at the grid's inner centre, in a screenshot."""
    page.page.wait_for_function("() => window.parkgridMap.loaded()", timeout=WAIT_MS)
    x, y = page.js(
        """([lon, lat]) => { const m = window.parkgridMap, p = m.project([lon, lat]);
            const r = m.getContainer().getBoundingClientRect();
            return [Math.round(r.left + p.x), Math.round(r.top + p.y)]; }""",
        [target.lon, target.lat],
    )
    png = page.page.screenshot()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"map-live-{name}.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    patch = image.crop((x - 6, y - 6, x + 7, y + 7))
    counts: list[tuple[int, RGB]] = patch.getcolors() or []  # type: ignore[assignment]
    return max(counts)[1]


def rendered_open_issues(page: MapPage, code: str) -> list[int]:
    """The `open_issues` of the grid's features as drawn now (from the tiles in view)."""
    found: list[int] = page.js(
        """(code) => window.parkgridMap.queryRenderedFeatures({layers: ['grid-fill']})
            .filter((f) => f.properties.code === code).map((f) => f.properties.open_issues)""",
        code,
    )
    return found


def wait_live(page: MapPage) -> None:
    page.page.wait_for_selector("#live[data-state=live]", timeout=WAIT_MS)


def report(writer: str, uscc: str, title: str) -> str:
    done = graphql(writer, REPORT, u=uscc, t=title)["reportIssue"]
    assert done["__typename"] == "IssuePayload", done
    return str(done["issue"]["id"])


def last_event(engine: Engine, issue: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT max(id) FROM event WHERE subject = 'issue' AND subject_id = :i"),
            {"i": int(issue)},
        )
        return int(found.scalar_one())


def test_a_change_shows_live_and_survives_a_restart(
    map_page: MapPage, service: Service, writer: str, engine: Engine
) -> None:
    target = pick_target(engine)
    map_page.page.context.add_init_script(
        f"localStorage.setItem('parkgrid.token', {ADMIN_TOKEN!r})"
    )  # signed in from the start: the subscriptions authenticate in connection_init
    map_page.open()
    wait_live(map_page)
    map_page.click_at(target.lon, target.lat)
    assert map_page.field("code") == target.code
    assert map_page.field("open-issue-count") == str(target.open_issues)
    map_page.page.wait_for_selector("#live-totals[data-open-issues]", timeout=WAIT_MS)
    before = drawn_colour(map_page, target, "before")
    assert distance(before, grid_colour(map_page, target.open_issues)) <= 4, before

    # a change made elsewhere: counts, shading, totals and the feed follow without a reload
    mark = len(map_page.requests)
    started = time.monotonic()
    issues = [report(writer, target.uscc, f"live {i}") for i in range(target.reports)]
    now = target.open_issues + target.reports
    assert open_issues(engine, target.code) == now
    map_page.page.wait_for_function(
        "(n) => document.querySelector('#details [data-field=open-issue-count]')"
        ".textContent.trim() === String(n)",
        arg=now,
        timeout=WAIT_MS,
    )
    shown_after = time.monotonic() - started
    map_page.page.wait_for_function(
        """([code, n]) => window.parkgridMap.queryRenderedFeatures({layers: ['grid-fill']})
            .some((f) => f.properties.code === code && f.properties.open_issues === n)""",
        arg=[target.code, now],
        timeout=WAIT_MS,
    )
    drawn_after = time.monotonic() - started
    print(f"counts shown {shown_after:.2f} s, shading {drawn_after:.2f} s after the first report")
    event = last_event(engine, issues[-1])
    map_page.page.wait_for_selector(f"#live-feed [data-event-id='{event}']", timeout=WAIT_MS)
    assert "live" in map_page.page.inner_text(f"#live-feed [data-event-id='{event}']")  # a title
    total = open_issues(engine)
    map_page.page.wait_for_selector(f"#live-totals[data-open-issues='{total}']", timeout=WAIT_MS)
    assert set(rendered_open_issues(map_page, target.code)) == {now}
    after = drawn_colour(map_page, target, "after")
    assert distance(after, grid_colour(map_page, now)) <= 4, after
    assert distance(after, before) > 4  # a class boundary was crossed

    # only tiles under the grid were fetched again, and nothing more comes on its own
    time.sleep(2.0)  # the counts' coalescing second passes
    zoom = map_page.js("() => window.parkgridMap.getZoom()")
    fetched = tile_requests(map_page, mark)
    assert any(layer == "grids" for layer, *_ in fetched), fetched
    for layer, z, x, y in fetched:
        assert layer in ("grids", "enterprises"), fetched
        assert (z, x, y) in tiles_meeting(target.bbox, z), (layer, z, x, y, zoom)
    idle = len(map_page.requests)
    time.sleep(3.0)
    assert tile_requests(map_page, idle) == []  # no timer

    # the page's server restarts; a change made meanwhile arrives once it is back
    service.stop()
    map_page.page.wait_for_selector(
        "#live[data-state=reconnecting], #live[data-state=offline]", timeout=WAIT_MS
    )
    drawn_colour(map_page, target, "reconnecting")
    missed = report(writer, target.uscc, "while away")
    service.start()
    wait_live(map_page)
    missed_event = last_event(engine, missed)
    map_page.page.wait_for_selector(f"#live-feed [data-event-id='{missed_event}']", timeout=WAIT_MS)
    assert "while away" in map_page.page.inner_text(f"#live-feed [data-event-id='{missed_event}']")
    map_page.page.wait_for_function(
        "(n) => document.querySelector('#details [data-field=open-issue-count]')"
        ".textContent.trim() === String(n)",
        arg=now + 1,
        timeout=WAIT_MS,
    )
    map_page.page.wait_for_function(
        """([code, n]) => window.parkgridMap.queryRenderedFeatures({layers: ['grid-fill']})
            .some((f) => f.properties.code === code && f.properties.open_issues === n)""",
        arg=[target.code, now + 1],
        timeout=WAIT_MS,
    )
    drawn_colour(map_page, target, "reconnected")
    assert map_page.page.is_hidden("#errors"), map_page.page.inner_text("#errors")
    assert map_page.outside() == []

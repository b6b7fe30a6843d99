"""The example map frontend (examples/map-app) against the demo park: its types, generated
from the committed schema.graphql, pass `tsc --noEmit` (so a schema change that breaks the
example fails here), and in chromium (tests/web/browser.py: it reaches only the service) it
shows the park's grids, pages a grid's enterprises by cursor, lists enterprises near a click,
signs in with a token and updates a grid's counts live. Expected values come from SQL on the
same database. Skipped only when npm is missing and cannot be installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import create_engine, text

from parkgrid.demo.geometry import PARK_CODE
from parkgrid.settings import PROJECT_ROOT
from tests.conftest import ADMIN_TOKEN
from tests.helpers import apt_install
from tests.web.browser import Outside, served

APP = PROJECT_ROOT / "examples" / "map-app"
WAIT_MS = 60_000
PAGE = 10
BUSIEST = """
SELECT g.code, count(*) AS n FROM grid g JOIN enterprise e ON e.grid_id = g.id
GROUP BY g.code ORDER BY count(*) DESC, g.code LIMIT 1"""
ALONE = """
SELECT e.uscc, e.name, ST_X(e.location) AS lon, ST_Y(e.location) AS lat FROM enterprise e
WHERE NOT EXISTS (SELECT 1 FROM enterprise o WHERE o.id <> e.id
                  AND ST_DWithin(o.location::geography, e.location::geography, 60))
ORDER BY e.uscc LIMIT 1"""


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        reason = apt_install("nodejs", "npm")
        found = shutil.which("npm")
        if found is None:
            pytest.skip(f"npm is missing and could not be installed: {reason}")
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=APP, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def generated() -> str:
    """The app's dependencies (npm ci from the lock file) and its generated types."""
    tool = npm()
    if not (APP / "node_modules").is_dir():
        done = run(tool, "ci", "--no-audit", "--no-fund")
        assert done.returncode == 0, done.stderr
    done = run(tool, "run", "codegen")
    assert done.returncode == 0, done.stdout + done.stderr
    return tool


@pytest.fixture(scope="module")
def built(generated: str) -> Path:
    done = run(generated, "run", "bundle")
    assert done.returncode == 0, done.stderr
    return APP / "dist"


def test_the_app_type_checks_against_the_schema(generated: str) -> None:
    done = run(generated, "run", "check")
    assert done.returncode == 0, done.stdout + done.stderr


def rows(url: str, sql: str, **params: object) -> list[dict[str, object]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [dict(row._mapping) for row in conn.execute(text(sql), params)]
    engine.dispose()
    return found


def report_issue(base: str, uscc: str) -> None:
    query = ('mutation($e: String!) { reportIssue(enterprise: $e, category: SAFETY_HAZARD,'
             ' title: "live test") { __typename } }')  # fmt: skip
    body = json.dumps({"query": query, "variables": {"e": uscc}}).encode()
    request = urllib.request.Request(f"{base}/graphql", body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert json.load(answer)["data"]["reportIssue"]["__typename"] == "IssuePayload"


def texts(page: Page, selector: str) -> list[str]:
    return [str(t) for t in page.locator(selector).all_inner_texts()]


@pytest.fixture
def app_page(
    built: Path, fresh_demo_url: str, browser: Browser
) -> Iterator[tuple[Page, str, Outside]]:
    with served(fresh_demo_url) as base:
        context = browser.new_context()
        outside = Outside(context, base)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{base}/examples/map-app/?park={PARK_CODE}")
        yield page, base, outside
        context.close()


def test_grids_pages_near_sign_in_and_live_counts(
    app_page: tuple[Page, str, Outside], fresh_demo_url: str
) -> None:
    page, base, outside = app_page
    grids = rows(fresh_demo_url, "SELECT g.code FROM grid g JOIN zone z ON z.id = g.zone_id"
                 " JOIN park p ON p.id = z.park_id WHERE p.code = :park", park=PARK_CODE)  # fmt: skip
    page.wait_for_function(f"document.querySelectorAll('#grids li').length === {len(grids)}")
    shown = [str(el.get_attribute("data-grid")) for el in page.locator("#grids li").all()]
    assert sorted(shown) == sorted(str(g["code"]) for g in grids)

    busiest = rows(fresh_demo_url, BUSIEST)[0]
    code, count = str(busiest["code"]), int(str(busiest["n"]))
    names = [str(r["name"]) for r in rows(fresh_demo_url, "SELECT e.name FROM enterprise e JOIN"
             " grid g ON g.id = e.grid_id WHERE g.code = :g ORDER BY e.uscc", g=code)]  # fmt: skip
    page.locator(f"#grids li[data-grid='{code}'] button").click()
    page.wait_for_function(
        f"document.querySelectorAll('#enterprises li').length === {min(PAGE, count)}"
    )
    assert f"({min(PAGE, count)} of {count})" in page.inner_text("#enterprises-title")
    page.click("#more")  # the next page, by the first page's end cursor
    page.wait_for_function(
        f"document.querySelectorAll('#enterprises li').length === {min(2 * PAGE, count)}"
    )
    listed = [t.splitlines()[0] for t in texts(page, "#enterprises li")]
    assert listed == names[: 2 * PAGE]
    assert "liaison" not in page.inner_text("#enterprises")  # anonymous: no cadres

    alone = rows(fresh_demo_url, ALONE)[0]
    point = page.evaluate("([lon, lat]) => window.mapApp.map.project([lon, lat])",
                          [alone["lon"], alone["lat"]])  # fmt: skip
    box = page.locator("#map canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_function("document.querySelectorAll('#near li').length > 0")
    near = texts(page, "#near li")
    assert near[0].splitlines()[0] == alone["name"]
    distances = [int(t.splitlines()[1].split(" m")[0]) for t in near]
    assert distances == sorted(distances) and distances[-1] <= 300

    page.fill("#token", ADMIN_TOKEN)
    page.click("#sign-in")
    page.locator(f"#grids li[data-grid='{code}'] button").click()
    page.wait_for_function("document.querySelector('#enterprises').innerText.includes('liaison')")

    item = page.locator(f"#grids li[data-grid='{code}']")
    before = int(item.inner_text().split(" enterprises, ")[1].split(" open")[0])
    uscc = rows(fresh_demo_url, "SELECT e.uscc FROM enterprise e JOIN grid g ON g.id = e.grid_id"
                " WHERE g.code = :g ORDER BY e.uscc LIMIT 1", g=code)[0]["uscc"]  # fmt: skip
    page.wait_for_timeout(1_000)  # the subscription is set up after sign-in
    report_issue(base, str(uscc))
    page.wait_for_function(
        f"document.querySelector(\"#grids li[data-grid='{code}']\").innerText"
        f".includes('{before + 1} open issues')"
    )
    assert outside.urls == []
    by_hash = [u for u in outside.requested if "/graphql?" in u and "persistedQuery" in u]
    assert by_hash, "the app's queries go by hash with GET"
    kept = rows(fresh_demo_url, "SELECT count(*) AS n FROM persisted_query")[0]["n"]
    assert int(str(kept)) >= 3  # ParkGrids, GridEnterprises, NearEnterprises, registered by urql

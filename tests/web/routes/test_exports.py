"""`/export/…` over HTTP: for signed-in callers only, each file holding what its caller may
see (compared with the same question asked of GraphQL with the same token), typed and named
for download, bad parameters refused as every other route refuses them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from resolvers.exports.ledger import ISSUE_KEYS
from tests.conftest import ADMIN_TOKEN, Databases, add_token, app_client, graphql_client
from tests.helpers import read_rows
from tests.resolvers.exports.conftest import ogrinfo, sheet_rows

LIAISON_TOKEN = "pgt_export-liaison"
ROUTES = [
    "/export/ledger.xlsx",
    "/export/stats.xlsx",
    "/export/register.gpkg",
    "/export/coverage/430624101.xlsx",
    "/export/recruitment.xlsx?month=2026-06",
]
ISSUES = """
query ($after: String) {
  issues(first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id title description }
  }
}
"""
LOANS = '{ stats(from: "2000-01-01", to: "2099-12-31") { outcomes { loanCny peopleHired } } }'


@pytest.fixture(scope="module")
def url(databases: Databases, demo_template: str) -> str:
    """A demo database of this module's own, with a token for a plain liaison: a cadre who
    leads nothing and so reads the sensitive fields of their enterprises' grids only."""
    found = databases.url(databases.create(template=demo_template))
    [(cadre,)] = read_rows(
        found,
        "SELECT a.cadre_id FROM assignment a WHERE a.role = 'liaison' AND a.valid_to IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM assignment b WHERE b.cadre_id = a.cadre_id"
        " AND b.role <> 'liaison') ORDER BY a.cadre_id LIMIT 1",
    )
    add_token(found, LIAISON_TOKEN, "cadre", cadre)
    return found


@pytest.fixture(scope="module")
def liaison(url: str) -> Iterator[TestClient]:
    with app_client(url, LIAISON_TOKEN) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(url: str) -> Iterator[TestClient]:
    with app_client(url, None) as client:
        yield client


def saved(response: Any, path: Path) -> Path:
    assert response.status_code == 200, response.text
    path.write_bytes(response.content)
    return path


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_callers_are_refused(anonymous: TestClient, route: str) -> None:
    response = anonymous.get(route)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    refused = anonymous.get(route, headers={"Authorization": "Bearer pgt_nobody"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHENTICATED"


def test_a_cadres_ledger_holds_what_the_cadre_may_see(liaison: TestClient, tmp_path: Path) -> None:
    path = saved(liaison.get("/export/ledger.xlsx", params={"lang": "en"}), tmp_path / "l.xlsx")
    ask, after = graphql_client(liaison), None
    seen: dict[int, tuple[str | None, str | None]] = {}
    while True:
        page = ask(ISSUES, {"after": after})["data"]["issues"]
        seen |= {int(n["id"]): (n["title"], n["description"]) for n in page["nodes"]}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    rows = sheet_rows(path, "issues")[1:]
    at = {key: ISSUE_KEYS.index(key) for key in ("id", "title", "description")}
    found = {row[at["id"]]: (row[at["title"]], row[at["description"]]) for row in rows}
    assert found == seen
    described = sum(1 for _, description in found.values() if description is not None)
    assert 0 < described < len(found)  # their grids' descriptions, and no others


def test_a_cadres_statistics_add_only_what_they_may_read(
    liaison: TestClient, tmp_path: Path
) -> None:
    response = liaison.get(
        "/export/stats.xlsx", params={"from": "2000-01-01", "to": "2099-12-31", "lang": "en"}
    )
    summary = dict(sheet_rows(saved(response, tmp_path / "s.xlsx"), "summary")[1:])
    outcomes = graphql_client(liaison)(LOANS)["data"]["stats"]["outcomes"]
    assert summary["people hired"] == outcomes["peopleHired"]
    assert abs(summary["loans (CNY)"] - outcomes["loanCny"]) < 0.005


def test_files_are_typed_and_named_for_download(url: str, tmp_path: Path) -> None:
    with app_client(url, ADMIN_TOKEN) as client:
        app: Any = client.app
        assert app.url_path_for("export:register", format="gpkg") == "/export/register.gpkg"
        assert app.url_path_for("export:coverage", park="P") == "/export/coverage/P.xlsx"
        ledger = client.get("/export/ledger.xlsx")
        assert ledger.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert 'filename="ledger.xlsx"' in ledger.headers["content-disposition"]
        shp = client.get("/export/register.shp", params={"crs": "EPSG:4547"})
        assert shp.headers["content-type"] == "application/zip"
        assert 'filename="register-shp.zip"' in shp.headers["content-disposition"]
        one = client.get("/export/register.geojson", params={"layer": "zones"})
        assert one.headers["content-type"] == "application/geo+json"
        assert one.json()["name"] == "zones"
        gpkg = saved(
            client.get("/export/register.gpkg", params={"layer": "grids,enterprises"}),
            tmp_path / "r.gpkg",
        )
    summary = ogrinfo("-so", "-al", str(gpkg))
    [(grids,)] = read_rows(url, "SELECT count(*) FROM grid")
    [(firms,)] = read_rows(url, "SELECT count(*) FROM enterprise")
    assert f"Layer name: grids\nGeometry: Multi Polygon\nFeature Count: {grids}\n" in summary
    assert f"Feature Count: {firms}\n" in summary and "Layer name: parks" not in summary


@pytest.mark.parametrize(
    ("route", "params", "status", "field"),
    [
        ("/export/ledger.xlsx", {"status": "lost"}, 400, "status"),
        ("/export/ledger.xlsx", {"grid": "nope"}, 404, "grid"),
        ("/export/ledger.xlsx", {"colour": "red"}, 400, "colour"),
        ("/export/stats.xlsx", {"park": "430624101", "zone": "430624101001"}, 400, "zone"),
        ("/export/stats.xlsx", {"month": "2026-13"}, 400, "month"),
        ("/export/register.dxf", {}, 400, "format"),
        ("/export/register.kml", {"crs": "EPSG:4547"}, 400, "crs"),
        ("/export/register.gpkg", {"crs": "EPSG:999999"}, 400, "crs"),
        ("/export/register.gpkg", {"layer": "roads"}, 400, "layer"),
        ("/export/coverage/nope.xlsx", {}, 404, "park"),
        ("/export/coverage/430624101.xlsx", {"serviceDays": "0"}, 400, "serviceDays"),
        ("/export/coverage/430624101.xlsx", {"lang": "fr"}, 400, "lang"),
        ("/export/recruitment.xlsx", {}, 400, "month"),
        ("/export/recruitment.csv", {"month": "2026-13"}, 400, "month"),
        ("/export/recruitment.pdf", {"month": "2026-06"}, 400, "format"),
        ("/export/recruitment.csv", {"month": "2026-06", "park": "999"}, 404, "park"),
        ("/export/recruitment.csv", {"month": "2026-06", "zone": "1"}, 400, "zone"),
    ],
)
def test_bad_requests_say_which_parameter(
    liaison: TestClient, route: str, params: dict[str, str], status: int, field: str
) -> None:
    response = liaison.get(route, params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field

"""OGC API – Features under /ogc: every endpoint's shape and media type, items against SQL on
the tables (bbox, property filters, paging by the links), errors as OGC exceptions, who sees
what, one statement per request, and GDAL's OAPIF driver reading the service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from shapely import wkb
from shapely.geometry import shape
from sqlalchemy import event
from starlette.testclient import TestClient

from parkgrid.settings import DatabaseSettings
from parkgrid.trace import TAG
from tests.conftest import ADMIN_TOKEN, app_client
from web.app import create_app

JSON, GEOJSON = "application/json", "application/geo+json"
HOST = "http://localhost"  # a trusted Host, so links name it (test_links.py: others)
URL, CRS84 = f"{HOST}/ogc", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BBOX = (112.87, 28.68, 112.91, 28.71)  # part of the demo park
ENVELOPE = "ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
OPEN = "i.status NOT IN ('closed', 'rejected')"
TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
IN_BOX = {
    "zones": f"SELECT code FROM zone WHERE ST_Intersects(boundary, {ENVELOPE}) ORDER BY code",
    "grids": f"SELECT code FROM grid WHERE ST_Intersects(boundary, {ENVELOPE}) ORDER BY code",
    "enterprises": f"SELECT uscc FROM enterprise WHERE ST_Intersects(location, {ENVELOPE})"
    " ORDER BY uscc",
    "issues": "SELECT i.id FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
    f" WHERE {OPEN} AND ST_Intersects(e.location, {ENVELOPE}) ORDER BY i.id",
}


@pytest.fixture(scope="module")
def anonymous(demo_url: str) -> Iterator[TestClient]:
    with app_client(demo_url, token=None) as client:
        client.base_url = HOST
        yield client


def ok(client: TestClient, path: str, media: str = GEOJSON, **headers: str) -> dict[str, Any]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media
    found: dict[str, Any] = response.json()
    return found


def links(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {found["rel"]: found for found in document["links"]}


def query_of(href: str) -> dict[str, str]:
    return {key: value for key, [value] in parse_qs(urlsplit(href).query).items()}


def test_landing_page_and_conformance(anonymous: TestClient) -> None:
    landing = ok(anonymous, "/ogc", JSON)
    found = links(landing)
    assert {rel: (link["href"], link["type"]) for rel, link in found.items()} == {
        "self": (URL, JSON),
        "service-desc": (f"{URL}/api", "application/vnd.oai.openapi+json;version=3.0"),
        "conformance": (f"{URL}/conformance", JSON),
        "data": (f"{URL}/collections", JSON),
    }
    assert landing["title"]
    api = ok(anonymous, found["service-desc"]["href"], found["service-desc"]["type"])
    items = api["paths"]["/collections/enterprises/items"]["get"]["parameters"]
    limit = next(p for p in items if p["name"] == "limit")
    assert (limit["schema"]["maximum"], limit["schema"]["default"]) == (1000, 10)
    assert {p["name"] for p in items} >= {"bbox", "offset", "grid_code", "industry"}
    conformance = ok(anonymous, found["conformance"]["href"], JSON)
    assert conformance == {"conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    ]}  # fmt: skip


EXTENTS = {
    "zones": "SELECT ST_Extent(boundary) FROM zone",
    "grids": "SELECT ST_Extent(boundary) FROM grid",
    "enterprises": "SELECT ST_Extent(location) FROM enterprise",
    "issues": "SELECT ST_Extent(e.location) FROM enterprise e"
    f" WHERE EXISTS (SELECT 1 FROM issue i WHERE i.enterprise_id = e.id AND {OPEN})",
    "lines": "SELECT ST_Extent(geometry) FROM infrastructure_line",
}
STAFF_ONLY = {"projects"}  # an anonymous caller sees none of them, so no extent


def test_collections_with_extents_from_the_data(anonymous: TestClient, sql: Any) -> None:
    listed = ok(anonymous, "/ogc/collections", JSON)
    assert links(listed)["self"]["href"] == f"{URL}/collections"
    assert [c["id"] for c in listed["collections"]] == [
        "zones", "grids", "enterprises", "issues", "lines", "projects"]  # fmt: skip
    for collection in listed["collections"]:
        name = collection["id"]
        if name in STAFF_ONLY:
            assert "extent" not in collection
            continue
        [extent] = sql(
            f"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ({EXTENTS[name]}) s(b)"
        )
        spatial = {"bbox": [pytest.approx(list(extent))], "crs": CRS84}
        assert collection["extent"]["spatial"] == spatial
        assert collection["itemType"] == "feature" and collection["description"]
        found = links(collection)
        assert found["self"]["href"] == f"{URL}/collections/{name}"
        assert (found["items"]["href"], found["items"]["type"]) == (
            f"{URL}/collections/{name}/items", GEOJSON)  # fmt: skip
        assert ok(anonymous, found["self"]["href"], JSON) == collection


@pytest.mark.parametrize("name", list(IN_BOX))
def test_items_in_a_bbox_match_sql(anonymous: TestClient, sql: Any, name: str) -> None:
    west, south, east, north = BBOX
    expected = [row[0] for row in sql(IN_BOX[name], w=west, s=south, e=east, n=north)]
    page = ok(
        anonymous, f"/ogc/collections/{name}/items?bbox={west},{south},{east},{north}&limit=1000"
    )
    assert page["type"] == "FeatureCollection"
    assert [f["id"] for f in page["features"]] == expected
    assert page["numberMatched"] == page["numberReturned"] == len(expected) > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page["timeStamp"])
    assert "next" not in links(page) and "prev" not in links(page)


def test_bbox_edges_are_included(anonymous: TestClient, sql: Any) -> None:
    [(uscc, lon, lat)] = sql(
        "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise ORDER BY uscc LIMIT 1"
    )
    for box in [(lon, lat, lon + 0.01, lat + 0.01), (lon - 0.01, lat - 0.01, lon, lat)]:
        page = ok(anonymous, "/ogc/collections/enterprises/items?bbox=" + ",".join(map(repr, box)))
        assert uscc in [f["id"] for f in page["features"]]


FULL = {
    "enterprises": "SELECT uscc FROM enterprise ORDER BY uscc",
    "issues": f"SELECT i.id FROM issue i WHERE {OPEN} ORDER BY i.id",
    "grids": "SELECT code FROM grid ORDER BY code",
}


@pytest.mark.parametrize(("name", "limit"), [("enterprises", 17), ("issues", 8), ("grids", 4)])
def test_next_links_walk_the_whole_collection(
    anonymous: TestClient, sql: Any, name: str, limit: int
) -> None:
    expected = [row[0] for row in sql(FULL[name])]
    seen: list[Any] = []
    href: str | None = f"/ogc/collections/{name}/items?limit={limit}"
    pages: list[dict[str, Any]] = []
    while href is not None:
        page = ok(anonymous, href)
        pages.append(page)
        assert page["numberMatched"] == len(expected)
        left = len(expected) - len(seen)
        assert page["numberReturned"] == len(page["features"]) == min(limit, left)
        seen += [f["id"] for f in page["features"]]
        assert ("prev" in links(page)) == (len(pages) > 1)
        href = links(page).get("next", {}).get("href")
    assert seen == expected and len(set(seen)) == len(seen)
    assert len(pages) == -(-len(expected) // limit)
    back = ok(anonymous, links(pages[2])["prev"]["href"])
    assert back["features"] == pages[1]["features"]


def test_links_keep_the_other_parameters(anonymous: TestClient) -> None:
    west, south, east, north = BBOX
    path = f"/ogc/collections/enterprises/items?bbox={west},{south},{east},{north}&limit=5&offset=5&f=geojson"
    found = links(ok(anonymous, path))
    assert found["self"]["href"] == f"{HOST}{path}"
    assert found["collection"]["href"] == f"{URL}/collections/enterprises"
    common = {"bbox": f"{west},{south},{east},{north}", "limit": "5", "f": "geojson"}
    assert query_of(found["next"]["href"]) == common | {"offset": "10"}
    assert query_of(found["prev"]["href"]) == common | {"offset": "0"}


def test_limit_above_the_maximum_is_clamped(anonymous: TestClient) -> None:
    page = ok(anonymous, "/ogc/collections/enterprises/items?limit=5000&offset=1500")
    assert page["features"] == [] and page["numberReturned"] == 0
    assert query_of(links(page)["prev"]["href"])["offset"] == "500"  # 1500 - 1000
    assert "next" not in links(page)


FILTERS = [
    ("enterprises", {"grid_code": "430624101002003", "industry": "新材料"},
     "SELECT e.uscc FROM enterprise e JOIN grid g ON g.id = e.grid_id"
     " WHERE g.code = :grid_code AND e.industry = :industry ORDER BY e.uscc"),
    ("issues", {"status": "in_progress", "category": "safety_hazard"},
     "SELECT i.id FROM issue i WHERE i.status = :status AND i.category = :category ORDER BY i.id"),
    ("issues", {"overdue": "true", "grid_code": "430624101001001"},
     "SELECT i.id FROM issue i JOIN enterprise e ON e.id = i.enterprise_id JOIN grid g"
     f" ON g.id = e.grid_id WHERE {OPEN} AND i.due_date < {TODAY} AND g.code = :grid_code"
     " ORDER BY i.id"),
    ("grids", {"zone_code": "430624101002"},
     "SELECT g.code FROM grid g JOIN zone z ON z.id = g.zone_id WHERE z.code = :zone_code"
     " ORDER BY g.code"),
    ("zones", {"park_code": "430624101"}, "SELECT code FROM zone ORDER BY code"),
    ("zones", {"park_code": "nowhere"}, "SELECT code FROM zone WHERE false"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "params", "query"), FILTERS)
def test_property_filters_match_sql(
    anonymous: TestClient, sql: Any, name: str, params: dict[str, str], query: str
) -> None:
    expected = [row[0] for row in sql(query, **params)]
    assert expected or "nowhere" in params.values()
    args = "&".join(f"{key}={value}" for key, value in params.items())
    page = ok(anonymous, f"/ogc/collections/{name}/items?limit=1000&{args}")
    assert [f["id"] for f in page["features"]] == expected
    assert page["numberMatched"] == len(expected)
    for feature in page["features"]:
        assert {key: str(feature["properties"][key]).lower() for key in params} == params


def test_an_enterprise_by_its_credit_code(anonymous: TestClient, sql: Any) -> None:
    [row] = sql(
        "SELECT e.uscc, e.name, e.industry, e.address, g.code, ST_X(e.location), ST_Y(e.location),"
        f" (SELECT count(*) FROM issue i WHERE i.enterprise_id = e.id AND {OPEN})"
        " FROM enterprise e JOIN grid g ON g.id = e.grid_id"
        f" WHERE EXISTS (SELECT 1 FROM issue i WHERE i.enterprise_id = e.id AND {OPEN})"
        " ORDER BY e.uscc LIMIT 1"
    )
    feature = ok(anonymous, f"/ogc/collections/enterprises/items/{row[0]}")
    assert feature["type"] == "Feature" and feature["id"] == row[0]
    assert feature["properties"] == {"uscc": row[0], "name": row[1], "industry": row[2],
        "address": row[3], "grid_code": row[4], "open_issues": row[7]}  # fmt: skip
    point = [round(row[5], 7), round(row[6], 7)]
    assert feature["geometry"] == {"type": "Point", "coordinates": point}
    assert links(feature)["self"]["href"] == f"{URL}/collections/enterprises/items/{row[0]}"
    assert links(feature)["collection"]["href"] == f"{URL}/collections/enterprises"


def test_a_grid_with_its_counts_and_boundary(anonymous: TestClient, sql: Any) -> None:
    rows = sql(
        "SELECT g.code, z.code, ST_AsBinary(g.boundary),"
        " (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id),"
        f" (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = g.id AND {OPEN}),"
        f" (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = g.id AND {OPEN}"
        f"  AND i.due_date < {TODAY})"
        " FROM grid g JOIN zone z ON z.id = g.zone_id ORDER BY g.code"
    )
    for code, zone, boundary, enterprises, open_issues, overdue in rows:
        feature = ok(anonymous, f"/ogc/collections/grids/items/{code}")
        props = feature["properties"]
        assert (props["code"], props["zone_code"], props["enterprises"], props["open_issues"],
                props["overdue_issues"]) == (code, zone, enterprises, open_issues, overdue)  # fmt: skip
        drawn, truth = shape(feature["geometry"]), wkb.loads(bytes(boundary))
        assert drawn.equals_exact(truth, 1e-7)
        assert all(polygon.exterior.is_ccw for polygon in drawn.geoms)
    assert any(row[5] for row in rows)  # some grid has overdue issues


def test_issue_titles_only_for_signed_in_callers(anonymous: TestClient, sql: Any) -> None:
    """Both callers on one app, so one pool and the same prepared statements serve both."""
    titles = dict(sql(f"SELECT i.id, i.title FROM issue i WHERE {OPEN}"))
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    public = ok(anonymous, "/ogc/collections/issues/items?limit=1000")
    private = ok(anonymous, "/ogc/collections/issues/items?limit=1000", **admin)
    some_id = private["features"][0]["id"]
    one = ok(anonymous, f"/ogc/collections/issues/items/{some_id}", **admin)
    assert [f["id"] for f in public["features"]] == [f["id"] for f in private["features"]]
    assert all(f["properties"]["title"] is None for f in public["features"])
    assert {f["id"]: f["properties"]["title"] for f in private["features"]} == titles
    assert one["properties"]["title"] == titles[some_id]
    assert ok(anonymous, f"/ogc/collections/issues/items/{some_id}")["properties"]["title"] is None


def test_media_types_follow_f(anonymous: TestClient) -> None:
    assert ok(anonymous, "/ogc/collections/grids/items?f=json")["type"] == "FeatureCollection"
    assert ok(anonymous, "/ogc/collections/grids/items/430624101001001?f=geojson")["id"]
    assert ok(anonymous, "/ogc/collections?f=json", JSON)["collections"]
    response = anonymous.get("/ogc/collections", headers={"Accept": "text/html"})
    assert response.headers["content-type"] == JSON


ITEMS = "/ogc/collections/{}/items?{}"
BAD = [ITEMS.format(name, query) for name, query in [
    ("enterprises", "bbox=112.8,28.6,112.9"), ("enterprises", "bbox=112.8,28.6,0,112.9,28.7,100"),
    ("enterprises", "bbox=a,b,c,d"), ("enterprises", "bbox=112.9,28.6,112.8,28.7"),
    ("enterprises", "bbox=112.8,28.7,112.9,28.6"), ("enterprises", "bbox=-181,0,10,10"),
    ("enterprises", "bbox=0,-91,10,10"), ("enterprises", "bbox=nan,0,10,10"),
    ("enterprises", "limit=ten"), ("enterprises", "limit=1.5"), ("enterprises", "limit=0"),
    ("enterprises", "offset=-1"), ("enterprises", "offset=x"), ("enterprises", f"offset={2**63}"),
    ("enterprises", "industry=%00"), ("enterprises", "colour=red"),
    ("enterprises", "status=reported"), ("enterprises", "limit=1&limit=2"),
    ("issues", "overdue=maybe"), ("issues", "datetime=yesterday"), ("issues", "datetime=../.."),
    ("issues", "status=bogus"), ("issues", "severity=9"), ("issues", "category=roads"),
    ("issues", "status=closed"),
    ("grids", "f=html"),
]] + ["/ogc/collections?f=geojson", "/ogc?colour=red", "/ogc/conformance?f=xml",
      "/ogc/collections/grids/items/430624101001001?limit=1"]  # fmt: skip


@pytest.mark.parametrize("path", BAD)
def test_bad_requests_are_400_exceptions(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert set(body) == {"code", "description"} and body["description"]


def test_datetime_matches_every_feature(anonymous: TestClient) -> None:
    every = ok(anonymous, "/ogc/collections/issues/items")["numberMatched"]
    for value in [
        "2026-01-01T00:00:00Z",
        "2020-01-01T00:00:00Z/..",
        "../2030-01-01T00:00:00%2B08:00",
    ]:
        page = ok(anonymous, f"/ogc/collections/issues/items?datetime={value}")
        assert page["numberMatched"] == every


def test_unknown_collections_and_features_are_404(anonymous: TestClient, sql: Any) -> None:
    [(closed,)] = sql("SELECT id FROM issue WHERE status = 'closed' ORDER BY id LIMIT 1")
    for path in ["/ogc/collections/roads", "/ogc/collections/roads/items",
                 "/ogc/collections/roads/items/1", "/ogc/collections/enterprises/items/91430624MA0000000X",
                 "/ogc/collections/issues/items/abc", "/ogc/collections/issues/items/99999999999999999999",
                 f"/ogc/collections/issues/items/{closed}",
                 f"/ogc/collections/enterprises/items/{'9' * 200}"]:  # fmt: skip
        response = anonymous.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == JSON
        assert response.json()["code"] == "NotFound"


def test_a_nul_in_the_path_is_a_400_exception(anonymous: TestClient) -> None:
    for path in ["/ogc/collections/grids/items/%00", "/ogc/collections/%00"]:
        response = anonymous.get(path)
        assert response.status_code == 400, path
        assert response.json()["code"] == "InvalidParameterValue"


def test_one_statement_per_request(demo_url: str) -> None:
    statements: list[str] = []
    with TestClient(create_app(DatabaseSettings(url=demo_url))) as client:
        engine = client.app.state.db.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        for path in ["/ogc/collections/enterprises/items?bbox=112.87,28.68,112.91,28.71&limit=100",
                     "/ogc/collections/issues/items?status=accepted", "/ogc/collections/grids/items/430624101001001",
                     "/ogc/collections"]:  # fmt: skip
            statements.clear()
            ok(client, path, JSON if path.endswith("collections") else GEOJSON)
            # its EXECUTE, after a PREPARE the first time a connection sees it; or a SELECT
            # (the first of a transaction carries the request id in the same text: parkgrid.trace)
            assert [s.removeprefix(TAG).split()[0] for s in statements] in (
                ["EXECUTE"],
                ["PREPARE", "EXECUTE"],
                ["SELECT"],
            )

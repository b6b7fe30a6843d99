"""The park story's map layers (infrastructure lines, construction projects): tiles and OGC
items against plain SQL, Shapely and pyproj; simplification per zoom; who sees what; tiles of
layers whose changes are not counted are never kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from pyproj import Geod
from shapely import wkb
from shapely.geometry import box, shape
from sqlalchemy import text
from starlette.testclient import TestClient

from tests.conftest import ADMIN_TOKEN, app_client
from tests.web.routes.test_tiles import HOST, decode, tile_of, to_tile_px

LINES = """SELECT code, name, kind, status, operator, note, CAST(started AS text) AS started,
  ST_AsBinary(geometry) AS shape FROM infrastructure_line ORDER BY code"""
PROJECTS = """SELECT p.id, p.name, p.stage, e.uscc, ST_AsBinary(p.site) AS shape
  FROM construction_project p JOIN enterprise e ON e.id = p.enterprise_id ORDER BY p.id"""
FRAME = box(-64, -64, 4160, 4160)  # a tile's extent with its buffer, in tile units
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def anonymous(demo_url: str) -> Iterator[TestClient]:
    with app_client(demo_url, token=None) as client:
        client.base_url = HOST
        yield client


@pytest.fixture(scope="module")
def staff(demo_url: str) -> Iterator[TestClient]:
    with app_client(demo_url) as client:
        client.base_url = HOST
        yield client


def rows(engine_for: Any, url: str, query: str) -> list[Any]:
    with engine_for(url).connect() as conn:
        return list(conn.execute(text(query)).all())


def tile_at(geometry: Any, z: int) -> tuple[int, int]:
    """The tile at zoom `z` holding a point of the geometry (a line's middle, a plot's inside)."""
    on = geometry.interpolate(0.5, normalized=True) if "Line" in geometry.geom_type else geometry
    lon, lat = shapely.get_coordinates(on.representative_point())[0]
    return tile_of(float(lon), float(lat), z)


def tile_features(client: TestClient, layer: str, z: int, x: int, y: int) -> list[Any]:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
    assert response.status_code == 200, response.text
    found: list[Any] = decode(response.content).get(layer, {}).get("features", [])
    return found


def items(client: TestClient, collection: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"/ogc/collections/{collection}/items?limit=1000{query}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_the_demo_has_lines_and_projects(engine_for: Any, demo_url: str) -> None:
    assert len(rows(engine_for, demo_url, LINES)) >= 3
    assert len(rows(engine_for, demo_url, PROJECTS)) >= 2


@pytest.mark.parametrize("z", [11, 14, 17])
def test_line_tiles_hold_the_lines_simplified_to_their_zoom(
    staff: TestClient, engine_for: Any, demo_url: str, z: int
) -> None:
    for row in rows(engine_for, demo_url, LINES):
        line = wkb.loads(bytes(row.shape))
        x, y = tile_at(line, z)
        got = {f["properties"]["code"]: f for f in tile_features(staff, "lines", z, x, y)}
        assert row.code in got
        props = got[row.code]["properties"]
        assert (props["kind"], props["status"], props["name"]) == (row.kind, row.status, row.name)
        geodesic = sum(GEOD.geometry_length(part) for part in line.geoms)
        assert props["length_m"] == pytest.approx(geodesic, rel=1e-6)
        if row.note is not None:
            assert props["note"] == row.note
        drawn = shape(got[row.code]["geometry"])
        truth = to_tile_px(z, x, y, line).intersection(FRAME)
        # Shapely's own simplification by the half pixel the tiles use, then the snap to whole
        # tile units (at most half a pixel's diagonal) and the buffer's clip edge
        assert drawn.hausdorff_distance(shapely.simplify(truth, 0.5)) <= 1.25
        assert drawn.hausdorff_distance(truth) <= 1.25
        assert shapely.get_num_coordinates(drawn) <= shapely.get_num_coordinates(truth) + 2


def test_line_notes_are_for_staff_only(fresh_demo_url: str, engine_for: Any) -> None:
    row = rows(engine_for, fresh_demo_url, LINES)[0]
    with engine_for(fresh_demo_url).begin() as conn:
        conn.execute(text("UPDATE infrastructure_line SET note = :n WHERE code = :c"),
                     {"n": "阀门井需检修 (valve pit)", "c": row.code})  # fmt: skip
    x, y = tile_at(wkb.loads(bytes(row.shape)), 14)
    seen: dict[str | None, dict[str, Any]] = {}
    for token in (None, ADMIN_TOKEN):
        with app_client(fresh_demo_url, token=token) as client:
            drawn = {f["properties"]["code"]: f["properties"]
                     for f in tile_features(client, "lines", 14, x, y)}  # fmt: skip
            one = client.get(f"/ogc/collections/lines/items/{row.code}").json()
            seen[token] = {"tile": drawn[row.code], "ogc": one["properties"]}
    assert "note" not in seen[None]["tile"] and seen[None]["ogc"]["note"] is None
    assert seen[ADMIN_TOKEN]["tile"]["note"] == seen[ADMIN_TOKEN]["ogc"]["note"]
    assert seen[ADMIN_TOKEN]["ogc"]["note"] == "阀门井需检修 (valve pit)"


def test_line_items_match_the_table(anonymous: TestClient, engine_for: Any, demo_url: str) -> None:
    page = items(anonymous, "lines")
    expected = rows(engine_for, demo_url, LINES)
    got = {f["id"]: f for f in page["features"]}
    assert page["numberMatched"] == len(expected) == len(got)
    for row in expected:
        feature = got[row.code]
        assert feature["geometry"]["type"] == "MultiLineString"
        # in the stored direction, vertex by vertex (a pipe's flow, a road's chainage)
        assert shape(feature["geometry"]).equals_exact(wkb.loads(bytes(row.shape)), 1e-7)
        props = feature["properties"]
        assert (props["kind"], props["status"], props["operator"], props["started"]) == (
            row.kind, row.status, row.operator, row.started)  # fmt: skip
    kinds = {row.kind for row in expected}
    for kind in kinds:
        matched = items(anonymous, "lines", f"&kind={kind}")["numberMatched"]
        assert matched == sum(row.kind == kind for row in expected)
    refused = anonymous.get("/ogc/collections/lines/items?kind=canal")
    assert refused.status_code == 400


def test_projects_are_for_staff_only(
    anonymous: TestClient, staff: TestClient, engine_for: Any, demo_url: str
) -> None:
    expected = rows(engine_for, demo_url, PROJECTS)
    assert items(anonymous, "projects")["numberMatched"] == 0
    page = items(staff, "projects")
    got = {f["id"]: f for f in page["features"]}
    assert set(got) == {row.id for row in expected}
    for row in expected:
        site = wkb.loads(bytes(row.shape))
        feature = got[row.id]
        drawn_site = shape(feature["geometry"])
        assert shapely.normalize(drawn_site).equals_exact(shapely.normalize(site), 1e-7)
        if site.geom_type == "MultiPolygon":  # RFC 7946: exterior rings counter-clockwise
            assert all(part.exterior.is_ccw for part in drawn_site.geoms)
        assert (feature["properties"]["stage"], feature["properties"]["uscc"]) == (
            row.stage, row.uscc)  # fmt: skip
        x, y = tile_at(site, 15)
        assert not tile_features(anonymous, "projects", 15, x, y)
        drawn = {f["properties"]["id"]: f for f in tile_features(staff, "projects", 15, x, y)}
        assert drawn[row.id]["properties"]["stage"] == row.stage
        truth = to_tile_px(15, x, y, site).intersection(FRAME)
        assert shape(drawn[row.id]["geometry"]).hausdorff_distance(truth) <= 1.25


def test_line_tiles_are_never_kept_so_a_change_shows_at_once(
    fresh_demo_url: str, engine_for: Any
) -> None:
    row = rows(engine_for, fresh_demo_url, LINES)[0]
    x, y = tile_at(wkb.loads(bytes(row.shape)), 14)
    with app_client(fresh_demo_url, token=None) as client:
        first = client.get(f"/tiles/lines/14/{x}/{y}.mvt")
        assert first.headers["X-Tile-Cache"] == "miss"
        with engine_for(fresh_demo_url).begin() as conn:  # an operator's SQL: no app in between
            conn.execute(text("UPDATE infrastructure_line SET name = 'Renamed' WHERE code = :c"),
                         {"c": row.code})  # fmt: skip
        again = client.get(f"/tiles/lines/14/{x}/{y}.mvt")
        assert again.headers["X-Tile-Cache"] == "miss"
        names = {f["properties"]["code"]: f["properties"]["name"]
                 for f in decode(again.content)["lines"]["features"]}  # fmt: skip
        assert names[row.code] == "Renamed"
        assert again.headers["ETag"] != first.headers["ETag"]

"""Vector tiles: what each tile holds (against SQL on the tables), geometry simplified to the
zoom without visible error, ETag/304 and freshness, who sees what, TileJSON, bad addresses."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from shapely import wkb
from shapely.geometry import Polygon, box, shape
from sqlalchemy import event, text
from starlette.testclient import TestClient

from geo.shape import as_multipolygon, to_ewkt
from parkgrid.prepared import statement_name
from resolvers.gis.tile_cache import Tile, TileCache
from resolvers.gis.tiles import LAYERS
from tests.conftest import app_client
from tests.resolvers.conftest import add_area

EXTENT = 4096
CENTRE = (112.9, 28.70)  # inside the demo park
HOST = "http://localhost"  # a trusted Host, so links name it (test_links.py: others)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def to_tile_px(z: int, x: int, y: int, geometry: Any) -> Any:
    """lon/lat to this tile's pixel grid (0..4096, y down), by the Web Mercator formulas."""
    n = 2**z

    def project(points: Any) -> Any:
        lon, lat = points[:, 0], np.radians(points[:, 1])
        px = ((lon + 180) / 360 * n - x) * EXTENT
        py = ((1 - np.arcsinh(np.tan(lat)) / math.pi) / 2 * n - y) * EXTENT
        return np.column_stack([px, py])

    return shapely.transform(geometry, project)


def decode(body: bytes) -> dict[str, Any]:
    found: dict[str, Any] = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    return found


@pytest.fixture(scope="module")
def anonymous(demo_url: str) -> Iterator[TestClient]:
    with app_client(demo_url, token=None) as client:
        client.base_url = HOST
        yield client


def features(client: TestClient, layer: str, z: int, x: int, y: int) -> list[dict[str, Any]]:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    found: list[dict[str, Any]] = decode(response.content).get(layer, {}).get("features", [])
    return found


ENVELOPE = "ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)"


def test_enterprise_tile_holds_the_points_in_it(
    anonymous: TestClient, engine_for, demo_url
) -> None:
    z = 15
    x, y = tile_of(*CENTRE, z)
    got = {f["properties"]["uscc"]: f for f in features(anonymous, "enterprises", z, x, y)}
    declared = anonymous.get("/tiles/enterprises.json").json()
    with engine_for(demo_url).connect() as conn:

        def inside(margin: float) -> set[str]:
            query = f"SELECT uscc FROM enterprise WHERE ST_Intersects(location, {ENVELOPE})"
            rows = conn.execute(text(query), {"z": z, "x": x, "y": y, "margin": margin})
            return set(rows.scalars())

        core, buffered = inside(0.0), inside(declared["buffer"] / declared["extent"])
        open_issues = dict(conn.execute(text(
            "SELECT e.uscc, count(i.id) FROM enterprise e LEFT JOIN issue i ON i.enterprise_id"
            " = e.id AND i.status NOT IN ('closed', 'rejected') GROUP BY e.uscc")).all())  # fmt: skip
    assert core and core <= set(got) <= buffered
    for uscc, feature in got.items():
        assert feature["geometry"]["type"] == "Point"
        assert feature["properties"]["open_issues"] == open_issues[uscc]
        assert feature["properties"]["grid_code"]


GRID_COUNTS = """
SELECT g.code, ST_AsBinary(g.boundary) AS boundary,
  (SELECT count(*) FROM enterprise e WHERE e.grid_id = g.id) AS enterprises,
  (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = g.id
     AND i.status NOT IN ('closed', 'rejected')) AS open_issues,
  (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id WHERE e.grid_id = g.id
     AND i.status NOT IN ('closed', 'rejected')
     AND i.due_date < (now() AT TIME ZONE 'Asia/Shanghai')::date) AS overdue_issues
FROM grid g WHERE g.boundary && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)
"""


@pytest.mark.parametrize("z", [10, 13, 16])
def test_grid_tile_counts_and_geometry_within_a_pixel(
    anonymous: TestClient, engine_for, demo_url, z: int
) -> None:
    x, y = tile_of(*CENTRE, z)
    got = {f["properties"]["code"]: f for f in features(anonymous, "grids", z, x, y)}
    with engine_for(demo_url).connect() as conn:
        rows = conn.execute(text(GRID_COUNTS), {"z": z, "x": x, "y": y}).all()
    assert set(got) == {row.code for row in rows}
    frame = Polygon([(-64, -64), (4160, -64), (4160, 4160), (-64, 4160)])
    for row in rows:
        props = got[row.code]["properties"]
        assert (props["enterprises"], props["open_issues"], props["overdue_issues"]) == (
            row.enterprises, row.open_issues, row.overdue_issues)  # fmt: skip
        drawn = shape(got[row.code]["geometry"])
        truth = to_tile_px(z, x, y, wkb.loads(bytes(row.boundary))).intersection(frame)
        assert drawn.is_valid
        # at most a pixel from the true edge: half a pixel of simplification, half of snapping
        assert drawn.hausdorff_distance(truth) <= 1.0 + 1e-6
        for ring in rings(drawn):
            steps = list(itertools.pairwise(ring))
            assert all(a != b for a, b in steps)  # no vertex a map cannot show


def rings(geometry: Any) -> Iterator[list[tuple[float, float]]]:
    for polygon in getattr(geometry, "geoms", [geometry]):
        yield list(polygon.exterior.coords)
        for interior in polygon.interiors:
            yield list(interior.coords)


def circle(lon: float, lat: float, radius_deg: float, vertices: int) -> Polygon:
    steps = [2 * math.pi * k / vertices for k in range(vertices)]
    return Polygon(
        [(lon + radius_deg * math.cos(t), lat + radius_deg * math.sin(t)) for t in steps]
    )


def test_dense_boundaries_are_thinned_to_the_zoom(empty_url: str, engine_for: Any) -> None:
    """A round grid of 3,600 vertices: at zoom 11 it is about 250 pixels across, so most of
    its vertices are closer than a pixel and must go, while the drawn edge stays within a pixel
    of the true one."""
    round_grid = circle(112.9, 28.7, 0.01, 3600)
    wide = to_ewkt(as_multipolygon(box(112.8, 28.6, 113.0, 28.8)))
    with engine_for(empty_url).begin() as conn:
        park = add_area(conn, "park", "P", wide)
        zone = add_area(conn, "zone", "Z", wide, park)
        add_area(conn, "grid", "ROUND", to_ewkt(as_multipolygon(round_grid)), zone)
    z = 11
    x, y = tile_of(112.9, 28.7, z)
    with app_client(empty_url, token=None) as client:
        [found] = features(client, "grids", z, x, y)
    drawn = shape(found["geometry"])
    truth = to_tile_px(z, x, y, round_grid)
    [ring] = list(rings(drawn))
    assert 20 < len(ring) < 400
    assert drawn.is_valid and drawn.hausdorff_distance(truth) <= 1.0 + 1e-6
    assert all(math.dist(a, b) >= 1 for a, b in itertools.pairwise(ring))


def test_etag_gives_304_until_the_data_changes(fresh_demo_url: str, engine_for) -> None:
    z = 16
    with app_client(fresh_demo_url, token=None) as client:
        with engine_for(fresh_demo_url).connect() as conn:
            uscc, lon, lat = conn.execute(text(
                "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise ORDER BY uscc LIMIT 1"
            )).one()  # fmt: skip
        x, y = tile_of(lon, lat, z)
        path = f"/tiles/enterprises/{z}/{x}/{y}.mvt"
        first = client.get(path)
        tag = first.headers["etag"]
        again = client.get(path, headers={"If-None-Match": tag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
        with engine_for(fresh_demo_url).begin() as conn:
            conn.execute(
                text("UPDATE enterprise SET name = '改名企业' WHERE uscc = :u"), {"u": uscc}
            )
        changed = client.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    names = {f["properties"]["uscc"]: f["properties"]["name"]
             for f in decode(changed.content)["enterprises"]["features"]}  # fmt: skip
    assert names[uscc] == "改名企业"


def test_issue_titles_only_for_signed_in_callers(anonymous: TestClient, demo_url: str) -> None:
    z = 13
    x, y = tile_of(*CENTRE, z)
    public = anonymous.get(f"/tiles/issues/{z}/{x}/{y}.mvt")
    with app_client(demo_url) as admin:
        private = admin.get(f"/tiles/issues/{z}/{x}/{y}.mvt")
    open_issues = decode(public.content)["issues"]["features"]
    assert open_issues and all("title" not in f["properties"] for f in open_issues)
    assert all({"status", "category"} <= set(f["properties"]) for f in open_issues)
    assert all(f["properties"]["title"] for f in decode(private.content)["issues"]["features"])
    assert public.headers["cache-control"].startswith("public")
    assert private.headers["cache-control"].startswith("private")
    assert public.headers["vary"] == "Authorization"


def test_tilejson(anonymous: TestClient, engine_for: Any, demo_url: str) -> None:
    found = anonymous.get("/tiles/grids.json").json()
    with engine_for(demo_url).connect() as conn:
        extent = conn.execute(text(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)"
            " FROM (SELECT ST_Extent(boundary) AS b FROM grid) s")).one()  # fmt: skip
    assert found["tilejson"] == "3.0.0"
    assert found["bounds"] == pytest.approx(list(extent))
    assert found["tiles"] == [f"{HOST}/tiles/grids/{{z}}/{{x}}/{{y}}.mvt"]
    assert (found["extent"], found["buffer"]) == (EXTENT, 64)
    [layer] = found["vector_layers"]
    assert layer["id"] == "grids" and {"code", "open_issues", "overdue_issues"} <= set(
        layer["fields"]
    )
    assert found["minzoom"] <= found["maxzoom"]


def margin_points(
    points: list[Any], extent: int, low: float, high: float
) -> Iterator[tuple[str, int, int, int]]:
    """(uscc, z, x, y): a point lying `low` to `high` tile units right of tile x's right edge
    (so inside tile x + 1, in its first columns), by the Web Mercator formulas."""
    for z in range(12, 19):
        for uscc, lon, lat in points:
            gx = (lon + 180) / 360 * 2**z * extent
            gy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z * extent
            if low < gx % extent < high:
                yield uscc, z, int(gx // extent) - 1, int(gy // extent)


def test_tiles_carry_points_as_far_beyond_the_edge_as_tilejson_says(
    anonymous: TestClient, engine_for: Any, demo_url: str
) -> None:
    """A point within the declared buffer beyond a tile's edge is in the tile (a client may
    draw it twice, once per tile, and must know how far the overlap goes); one beyond is not."""
    declared = anonymous.get("/tiles/enterprises.json").json()
    extent, buffer = declared["extent"], declared["buffer"]
    with engine_for(demo_url).connect() as conn:
        points = list(conn.execute(text(
            "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise")).all())  # fmt: skip
    near = list(itertools.islice(margin_points(points, extent, 4, buffer * 0.8), 3))
    far = list(itertools.islice(margin_points(points, extent, buffer * 1.2, buffer * 3), 3))
    assert near and far
    for uscc, z, x, y in near:
        assert uscc in {
            f["properties"]["uscc"] for f in features(anonymous, "enterprises", z, x, y)
        }
    for uscc, z, x, y in far:
        assert uscc not in {
            f["properties"]["uscc"] for f in features(anonymous, "enterprises", z, x, y)
        }


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/tiles/roads/14/0/0.mvt", "layer"),
        ("/tiles/enterprises/5/0/0.mvt", "z"),
        ("/tiles/grids/14/16384/0.mvt", "x"),
        ("/tiles/grids/14/0/16384.mvt", "y"),
        ("/tiles/roads.json", "layer"),
    ],
)
def test_bad_addresses(anonymous: TestClient, path: str, field: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["field"] == field


def test_kept_tiles_follow_commits_not_pending_writes(fresh_demo_url: str, engine_for) -> None:
    """A tile is served from the process's cache only while nothing it shows has committed
    since it was built: an uncommitted change is not shown, a committed one is, at once."""
    z = 16
    engine = engine_for(fresh_demo_url)
    with engine.connect() as conn:
        uscc, lon, lat = conn.execute(text(
            "SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise ORDER BY uscc LIMIT 1"
        )).one()  # fmt: skip
    x, y = tile_of(lon, lat, z)
    path = f"/tiles/enterprises/{z}/{x}/{y}.mvt"

    def name_in_tile(client: TestClient) -> str:
        found = decode(client.get(path).content)["enterprises"]["features"]
        return str(next(f["properties"]["name"] for f in found if f["properties"]["uscc"] == uscc))

    built: list[str] = []
    with app_client(fresh_demo_url, token=None) as client:
        app_engine = client.app.state.db.engine  # type: ignore[attr-defined]
        event.listen(app_engine, "before_cursor_execute", lambda *a: built.append(a[2]))
        before = name_in_tile(client)
        assert name_in_tile(client) == before
        # the tile's prepared statement: PREPAREd with the first build, EXECUTEd with each
        name = statement_name(LAYERS["enterprises"].statement)
        assert sum(f"EXECUTE {name}" in s for s in built) == 1  # the second came from the cache
        with engine.connect() as writer:
            writer.execute(
                text("UPDATE enterprise SET name = '未提交' WHERE uscc = :u"), {"u": uscc}
            )
            assert name_in_tile(client) == before  # not committed: not shown
            writer.commit()
        assert name_in_tile(client) == "未提交"


def test_cache_is_bounded_by_bytes() -> None:
    cache = TileCache(max_bytes=10)
    for n in range(5):
        cache.put(n, 7, Tile(b"abcd", f'"{n}"'))
    assert list(cache.entries) == [3, 4] and cache.used == 8
    assert cache.get(4, 7) is not None and cache.get(4, 8) is None
    cache.put("big", 7, Tile(b"x" * 11, '"big"'))
    assert "big" not in cache.entries

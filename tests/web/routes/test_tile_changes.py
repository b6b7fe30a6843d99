"""Kept tiles follow what changed, whichever path wrote it (migration 0006).

One app (one process's tile cache) serves tiles over an enterprise E in the park's west zone
and over an enterprise F in its east zone; then a write goes in through each path: a GraphQL
mutation, an upload to `importFile`, the `parkgrid import` command in a process of its own,
an operator's UPDATE in plain SQL, and a write that rolls back. After each, every watched tile
is fetched again: those over what changed are built again and hold the change (decoded with
mapbox-vector-tile and compared with plain SQL on the tables), the others are answered from
the cache. Whether a tile was built is seen from the statements the app sends (the tile's
own prepared statement), not from the cache's own word."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from parkgrid.prepared import statement_name
from resolvers.gis.tiles import LAYERS
from tests.conftest import app_client, graphql_client
from tests.parkgrid.cli_runs import parkgrid
from tests.schema.test_import_mutation import upload
from tests.web.routes.test_tiles import decode, tile_of

Z = 16
LAYER_NAMES = ("issues", "enterprises", "grids", "zones")
ENVELOPE = "ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326)"

# What each layer's features should say, from the tables (open: neither closed nor rejected).
OPEN = "i.status NOT IN ('closed', 'rejected')"
AREA_COUNTS = """
    (SELECT count(*) FROM enterprise e WHERE e.grid_id IN ({grids})),
    (SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
     WHERE e.grid_id IN ({grids}) AND {open})"""
EXPECTED = {
    "issues": f"""SELECT i.id, i.status, e.uscc FROM issue i JOIN enterprise e
        ON e.id = i.enterprise_id WHERE {OPEN} AND e.location && {ENVELOPE}""",
    "enterprises": f"""SELECT e.uscc, e.name, (SELECT count(*) FROM issue i
        WHERE i.enterprise_id = e.id AND {OPEN}) FROM enterprise e
        WHERE e.location && {ENVELOPE}""",
    "grids": f"""SELECT g.code, g.name, {AREA_COUNTS.format(grids="g.id", open=OPEN)}
        FROM grid g WHERE g.boundary && {ENVELOPE}""",
    "zones": f"""SELECT z.code, z.name, {
        AREA_COUNTS.format(grids="SELECT id FROM grid WHERE zone_id = z.id", open=OPEN)
    }
        FROM zone z WHERE z.boundary && {ENVELOPE}""",
}
SHOWN = {
    "issues": ("id", "status", "uscc"),
    "enterprises": ("uscc", "name", "open_issues"),
    "grids": ("code", "name", "enterprises", "open_issues"),
    "zones": ("code", "name", "enterprises", "open_issues"),
}


@dataclass(frozen=True)
class Watched:
    """A tile over E ("near") or F ("far")."""

    place: str
    layer: str
    x: int
    y: int

    @property
    def path(self) -> str:
        return f"/tiles/{self.layer}/{Z}/{self.x}/{self.y}.mvt"


class Map:
    """The app's tiles as a client sees them, and which requests built a tile."""

    def __init__(self, client: TestClient, engine: Engine, watched: list[Watched]) -> None:
        self.client, self.engine, self.watched = client, engine, watched
        self.sent: list[str] = []
        app_engine = client.app.state.db.engine  # type: ignore[attr-defined]
        event.listen(app_engine, "before_cursor_execute", lambda *a: self.sent.append(a[2]))

    def fetch(self, tile: Watched) -> tuple[bool, dict[Any, tuple[Any, ...]]]:
        """(whether this request built the tile, its features by key as decoded)."""
        before = len(self.sent)
        response = self.client.get(tile.path)
        assert response.status_code == 200
        name = statement_name(LAYERS[tile.layer].statement)
        built = any(name in sent for sent in self.sent[before:])
        assert response.headers["x-tile-cache"] == ("miss" if built else "hit")
        found = decode(response.content).get(tile.layer, {}).get("features", [])
        shown = SHOWN[tile.layer]
        return built, {f["properties"][shown[0]]: tuple(f["properties"][k] for k in shown[1:])
                       for f in found}  # fmt: skip

    def expected(self, tile: Watched) -> dict[Any, tuple[Any, ...]]:
        with self.engine.connect() as conn:
            rows = conn.execute(text(EXPECTED[tile.layer]), {"z": Z, "x": tile.x, "y": tile.y})
            return {row[0]: tuple(row[1:]) for row in rows}

    def rebuilt(self) -> set[Watched]:
        """Fetch every watched tile; check each against the tables; the ones built anew."""
        built = set()
        for tile in self.watched:
            was_built, got = self.fetch(tile)
            truth = self.expected(tile)
            # a polygon whose box meets the tile but whose shape does not is left out
            assert got.items() <= truth.items(), tile
            if tile.layer in ("issues", "enterprises"):
                assert got == truth, tile
            if was_built:
                built.add(tile)
        return built

    def near(self, *layers: str) -> set[Watched]:
        return {t for t in self.watched if t.place == "near" and t.layer in layers}


@dataclass(frozen=True)
class Site:
    url: str
    e_uscc: str
    e_id: int
    grid_code: str
    issue_id: int
    issue_version: int
    cadre_id: int


PICK_E = """
SELECT e.uscc, e.id, g.code, i.id, i.version, v.cadre_id, ST_X(e.location), ST_Y(e.location)
FROM enterprise e JOIN grid g ON g.id = e.grid_id JOIN zone z ON z.id = g.zone_id
JOIN issue i ON i.enterprise_id = e.id AND i.status IN ('reported', 'accepted')
JOIN LATERAL (SELECT cadre_id FROM visit WHERE enterprise_id = e.id LIMIT 1) v ON true
WHERE z.code = (SELECT min(code) FROM zone) ORDER BY e.uscc, i.id LIMIT 1
"""
PICK_F = """
SELECT ST_X(f.location), ST_Y(f.location) FROM enterprise f
JOIN grid g ON g.id = f.grid_id JOIN zone z ON z.id = g.zone_id
WHERE z.code = (SELECT max(code) FROM zone)
ORDER BY f.uscc LIMIT 1
"""


@pytest.fixture
def site_map(fresh_demo_url: str, engine_for: Any) -> Iterator[tuple[Site, Map]]:
    engine = engine_for(fresh_demo_url)
    with engine.connect() as conn:
        uscc, e_id, grid, issue, version, cadre, e_lon, e_lat = conn.execute(text(PICK_E)).one()
        f_lon, f_lat = conn.execute(text(PICK_F)).one()
    watched = [
        Watched(place, layer, *tile_of(lon, lat, Z))
        for place, (lon, lat) in (("near", (e_lon, e_lat)), ("far", (f_lon, f_lat)))
        for layer in LAYER_NAMES
    ]
    with app_client(fresh_demo_url) as client:
        seen = Map(client, engine, watched)
        assert seen.rebuilt() == set(watched)  # the first request builds each
        assert seen.rebuilt() == set()  # the second is kept
        yield Site(fresh_demo_url, uscc, e_id, grid, issue, version, cadre), seen


VISIT = """mutation ($cadre: ID!, $e: String!, $at: DateTime!) {
  logVisit(cadre: $cadre, enterprise: $e, at: $at, duties: [SAFETY]) {
    __typename ... on UserError { code message } } }"""
REJECT = """mutation ($id: ID!, $v: Int!) {
  transitionIssue(id: $id, version: $v, to: REJECTED, note: "不属实") {
    __typename ... on IssuePayload { issue { status } } ... on UserError { code message } } }"""
MOVE = """mutation ($u: String!, $at: GeoJSON!) {
  moveEnterprise(uscc: $u, location: $at) { __typename ... on UserError { code message } } }"""


def test_every_write_path_shows_at_once_and_nothing_else_is_rebuilt(
    site_map: tuple[Site, Map], tmp_path: Path, engine_for: Any
) -> None:
    site, seen = site_map
    gql = graphql_client(seen.client)
    engine = engine_for(site.url)

    # a visit changes nothing a map shows
    at = datetime.now(UTC).isoformat()
    answer = gql(VISIT, {"cadre": str(site.cadre_id), "e": site.e_uscc, "at": at})
    assert answer["data"]["logVisit"]["__typename"] == "VisitPayload", answer
    assert seen.rebuilt() == set()

    # GraphQL: an issue rejected leaves the issue layer, and its grid's and zone's counts
    answer = gql(REJECT, {"id": str(site.issue_id), "v": site.issue_version})
    assert answer["data"]["transitionIssue"]["issue"]["status"] == "REJECTED", answer
    assert seen.rebuilt() == seen.near(*LAYER_NAMES)
    near_issues = next(iter(seen.near("issues")))
    assert site.issue_id not in seen.fetch(near_issues)[1]

    # a write that rolls back invalidates nothing
    with engine.connect() as conn, conn.begin() as transaction:
        conn.execute(text("UPDATE enterprise SET name = 'x' WHERE id = :id"), {"id": site.e_id})
        conn.execute(text("UPDATE issue SET status = 'closed' WHERE enterprise_id = :id"),
                     {"id": site.e_id})  # fmt: skip
        transaction.rollback()
    assert seen.rebuilt() == set()

    # an operator's UPDATE in plain SQL: the name is shown by the point layers only
    with engine.begin() as conn:
        conn.execute(text("UPDATE enterprise SET name = '操作员改名' WHERE id = :id"),
                     {"id": site.e_id})  # fmt: skip
    assert seen.rebuilt() == seen.near("enterprises", "issues")
    assert seen.fetch(next(iter(seen.near("enterprises"))))[1][site.e_uscc][0] == "操作员改名"

    # importFile over HTTP: the enterprise renamed again, where it is
    with engine.connect() as conn:
        point = conn.execute(text("SELECT ST_AsGeoJSON(location) FROM enterprise"
                                  " WHERE id = :id"), {"id": site.e_id}).scalar_one()  # fmt: skip
    feature = {"type": "Feature", "geometry": json.loads(point),
               "properties": {"uscc": site.e_uscc, "name": "导入改名"}}  # fmt: skip
    body = orjson.dumps({"type": "FeatureCollection", "features": [feature]})
    response = upload(seen.client, "ENTERPRISES", body)
    assert response.json()["data"]["importFile"]["__typename"] == "ImportPayload", response.text
    assert seen.rebuilt() == seen.near("enterprises", "issues")
    assert seen.fetch(next(iter(seen.near("enterprises"))))[1][site.e_uscc][0] == "导入改名"

    # the command line, in a process of its own: E's grid renamed (only the grids layer shows
    # a grid's name; its shape and members are as they were)
    with engine.connect() as conn:
        shape, zone = conn.execute(text(
            "SELECT ST_AsGeoJSON(g.boundary, 15), z.code FROM grid g"
            " JOIN zone z ON z.id = g.zone_id WHERE g.code = :code"), {"code": site.grid_code}
        ).one()  # fmt: skip
    grid = {"type": "Feature", "geometry": json.loads(shape),
            "properties": {"code": site.grid_code, "name": "命令行改名", "zone": zone}}  # fmt: skip
    grids_file = tmp_path / "grids.geojson"
    grids_file.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [grid]}))
    done = parkgrid(site.url, "import", "grids", str(grids_file))
    assert done.returncode == 0, done.stderr
    assert seen.rebuilt() == seen.near("grids")
    grids_tile = next(iter(seen.near("grids")))
    assert seen.fetch(grids_tile)[1][site.grid_code][0] == "命令行改名"

    # GraphQL: E moved beside F, into F's grid and zone: both places, every layer
    with engine.connect() as conn:
        lon, lat = conn.execute(text(PICK_F)).one()
    answer = gql(MOVE, {"u": site.e_uscc, "at": {"type": "Point", "coordinates": [lon, lat]}})
    assert answer["data"]["moveEnterprise"]["__typename"] == "EnterprisePayload", answer
    assert seen.rebuilt() == set(seen.watched)
    far_points = next(t for t in seen.watched if t.place == "far" and t.layer == "enterprises")
    assert site.e_uscc in seen.fetch(far_points)[1]
    assert seen.rebuilt() == set()


def waiting_on_a_lock(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar_one_or_none()
    return found == "Lock"


def test_a_change_racing_a_move_is_counted_where_the_enterprise_went(
    site_map: tuple[Site, Map], engine_for: Any
) -> None:
    """An issue closed while its enterprise is being moved (neither committed): the close
    waits for the move and is counted at the new place, so the tile there, built between the
    two commits, is not kept once the close commits."""
    site, seen = site_map
    engine = engine_for(site.url)
    far = {t.layer: t for t in seen.watched if t.place == "far"}
    with engine.connect() as conn:
        lon, lat = conn.execute(text(PICK_F)).one()
    mover, closer = engine.connect(), engine.connect()
    try:
        mover.begin()
        mover.execute(
            text("UPDATE enterprise SET location = ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
                 " WHERE id = :id"), {"x": lon, "y": lat, "id": site.e_id}
        )  # fmt: skip
        closer.begin()
        pid = closer.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with ThreadPoolExecutor(1) as pool:
            closing = pool.submit(
                closer.execute, text("UPDATE issue SET status = 'closed' WHERE id = :id"),
                {"id": site.issue_id},
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while not waiting_on_a_lock(engine, pid):
                assert time.monotonic() < deadline and not closing.done()
                time.sleep(0.05)
            mover.commit()
            closing.result(timeout=10)
        built, shown = seen.fetch(far["issues"])  # the move is in, the close is not yet
        assert built and site.issue_id in shown
        closer.commit()
    finally:
        mover.close()
        closer.close()
    assert far["issues"] in seen.rebuilt()
    assert site.issue_id not in seen.fetch(far["issues"])[1]

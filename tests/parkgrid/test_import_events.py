"""Imports log zones and grids as upsertZone and upsertGrid do (parkgrid.area_events).

The same change to a demo grid (renamed, its north edge pulled in so some enterprises fall
out of it) goes in through `upsertGrid` in one database and through `parkgrid import grids`
(the command line, in a process of its own) in another: both log the same `upserted` event,
whose values are checked against geographiclib's area and Shapely's count of the members
left outside; the import's is announced on the change channel at commit like any event; and
importing the same file again logs nothing, since nothing changed."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

import orjson
import psycopg2
from shapely import wkb
from shapely.geometry import Point, box, mapping

from parkgrid.changes import CHANNEL, parse
from tests.conftest import Databases, app_client, graphql_client
from tests.helpers import read_rows
from tests.parkgrid.cli_runs import parkgrid
from tests.schema.registry_client import geodesic_measures

UPSERT = """mutation ($code: String!, $name: String!, $zone: String!, $boundary: GeoJSON!) {
  upsertGrid(code: $code, name: $name, zone: $zone, boundary: $boundary) {
    __typename ... on UserError { code message } } }"""
GRID = """SELECT g.id, g.code, g.name, z.code, ST_AsBinary(g.boundary) FROM grid g
    JOIN zone z ON z.id = g.zone_id ORDER BY g.code LIMIT 1"""
EVENTS = """SELECT subject, subject_id, enterprise_id, action, changes FROM event
    WHERE action = 'upserted' ORDER BY id"""


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


def change_of(url: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The grid to change, the change (as mutation variables), and what its event must say."""
    [(grid_id, code, name, zone, shape)] = read_rows(url, GRID)
    old = wkb.loads(bytes(shape))
    west, south, east, north = old.bounds
    new = box(west, south, east, north - (north - south) / 3)
    members = read_rows(url, f"SELECT ST_X(location), ST_Y(location) FROM enterprise"
                             f" WHERE grid_id = {int(grid_id)}")  # fmt: skip
    left = sum(not new.covers(Point(x, y)) for x, y in members)
    assert left > 0  # the change moves someone
    areas = [geodesic_measures(polygon)[1] for polygon in (old.geoms[0], new)]
    variables = {"code": code, "name": f"{name}（缩小）", "zone": zone, "boundary": mapping(new)}
    expected = {"name": [name, variables["name"]], "area_m2": areas, "boundary_changed": True,
                "enterprises_changed_grid": left}  # fmt: skip
    return grid_id, variables, expected


def assert_event(url: str, grid_id: int, expected: dict[str, Any]) -> dict[str, Any]:
    [(subject, subject_id, enterprise, action, changes)] = read_rows(url, EVENTS)
    assert (subject, subject_id, enterprise, action) == ("grid", grid_id, None, "upserted")
    before, after = changes.pop("area_m2")
    assert abs(before - expected["area_m2"][0]) <= 1 and abs(after - expected["area_m2"][1]) <= 1
    assert changes == {key: value for key, value in expected.items() if key != "area_m2"}
    return dict(changes)


def test_an_import_logs_a_grid_as_upsert_grid_does(
    databases: Databases, demo_template: str, tmp_path: Path
) -> None:
    by_api, by_import = (databases.url(databases.create(template=demo_template))
                         for _ in range(2))  # fmt: skip
    grid_id, variables, expected = change_of(by_api)
    with app_client(by_api) as client:
        answer = graphql_client(client)(UPSERT, variables)
    assert answer["data"]["upsertGrid"]["__typename"] == "GridPayload", answer
    logged_by_api = assert_event(by_api, grid_id, expected)

    feature = {"type": "Feature", "geometry": variables["boundary"],
               "properties": {k: variables[k] for k in ("code", "name", "zone")}}  # fmt: skip
    grids = tmp_path / "grids.geojson"
    grids.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [feature]}))
    listener = psycopg2.connect(libpq(by_import))
    try:
        listener.autocommit = True
        listener.cursor().execute(f"LISTEN {CHANNEL}")
        done = parkgrid(by_import, "import", "grids", str(grids))
        assert done.returncode == 0, done.stderr
        assert assert_event(by_import, grid_id, expected) == logged_by_api
        select.select([listener], [], [], 5)
        listener.poll()
        notices = [n for note in listener.notifies for n in parse(note.payload)]
    finally:
        listener.close()
    assert any(n.subject == "grid" and n.action == "upserted" and n.subject_id == grid_id
               for n in notices)  # fmt: skip

    again = parkgrid(by_import, "import", "grids", str(grids))
    assert again.returncode == 0, again.stderr
    assert len(read_rows(by_import, EVENTS)) == 1

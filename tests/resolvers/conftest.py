"""A hand-made park for rule tests: two unit-square grids side by side, sharing x = 1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from shapely import wkb
from shapely.geometry import Polygon, box
from sqlalchemy import Connection, text

from geo.shape import as_multipolygon, to_ewkt
from parkgrid.uscc import check_character

# Grids are 0.01 degree squares near Xiangyin: G-B west, G-A east; "G-A" is the lower code.
X0, Y0, D = 112.90, 28.70, 0.01


def cell(col: int, row: int = 0) -> str:
    left, bottom = X0 + col * D, Y0 + row * D
    return to_ewkt(as_multipolygon(box(left, bottom, left + D, bottom + D)))


def ell(col: int, row: int = 0) -> str:
    """The cell without its north-east quarter: an L with the same bounding box."""
    left, bottom = X0 + col * D, Y0 + row * D
    corners = [(left, bottom), (left + D, bottom), (left + D, bottom + D / 2),
               (left + D / 2, bottom + D / 2), (left + D / 2, bottom + D), (left, bottom + D)]  # fmt: skip
    return to_ewkt(as_multipolygon(Polygon(corners)))


def code(n: int) -> str:
    body = f"91430624MA{n:07d}"
    return body + check_character(body)


def add_area(
    conn: Connection, table: str, code: str, boundary: str, parent: int | None = None
) -> int:
    parent_column = {"park": "", "zone": ", park_id", "grid": ", zone_id"}[table]
    parent_value = "" if table == "park" else ", :parent"
    statement = (
        f"INSERT INTO {table} (code, name, boundary{parent_column})"
        f" VALUES (:code, :code, ST_GeomFromEWKT(:boundary){parent_value}) RETURNING id"
    )
    return int(
        conn.execute(
            text(statement), {"code": code, "boundary": boundary, "parent": parent}
        ).scalar_one()
    )


def add_enterprise(conn: Connection, n: int, lon: float, lat: float) -> int:
    statement = text(
        "INSERT INTO enterprise (uscc, name, location)"
        " VALUES (:uscc, :name, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id"
    )
    return int(
        conn.execute(
            statement, {"uscc": code(n), "name": f"E{n}", "lon": lon, "lat": lat}
        ).scalar_one()
    )


def grid_code_of(conn: Connection, enterprise_id: int) -> str | None:
    statement = text(
        "SELECT g.code FROM enterprise e LEFT JOIN grid g ON g.id = e.grid_id WHERE e.id = :id"
    )
    return conn.execute(statement, {"id": enterprise_id}).scalar_one()


def expected_grids(conn: Connection) -> dict[int, str | None]:
    """Each enterprise's grid by the rule computed with Shapely: the lowest code among the
    grids covering its point, none if no grid covers it."""
    grids = [
        (row.code, wkb.loads(bytes(row.shape)))
        for row in conn.execute(text("SELECT code, ST_AsBinary(boundary) AS shape FROM grid"))
    ]
    points = conn.execute(text("SELECT id, ST_AsBinary(location) AS point FROM enterprise"))
    expected: dict[int, str | None] = {}
    for row in points:
        point = wkb.loads(bytes(row.point))
        expected[row.id] = min((code for code, shape in grids if shape.covers(point)), default=None)
    return expected


def stored_grids(conn: Connection) -> dict[int, str | None]:
    statement = text("SELECT e.id, g.code FROM enterprise e LEFT JOIN grid g ON g.id = e.grid_id")
    return {row.id: row.code for row in conn.execute(statement)}


def add_two_grids(conn: Connection) -> None:
    """Park P, zone Z, grids G-B (west, x in [0, 1]) and G-A (east, x in [1, 2])."""
    park = add_area(conn, "park", "P", cell(0))
    zone = add_area(conn, "zone", "Z", cell(0), park)
    add_area(conn, "grid", "G-B", cell(0), zone)
    add_area(conn, "grid", "G-A", cell(1), zone)


@pytest.fixture
def two_grids(empty_url: str, engine_for) -> Iterator[Connection]:
    """A connection (autocommit off, committed per test step) to a park with grids
    G-B (west, x in [0, 1]) and G-A (east, x in [1, 2]); "G-A" < "G-B"."""
    engine = engine_for(empty_url)
    with engine.connect() as conn:
        add_two_grids(conn)
        conn.commit()
        yield conn

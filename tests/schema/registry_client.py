"""A GraphQL client for the register's tests, with plain SQL beside it, and the facts the
tests compute on their own (membership by Shapely, measures by geographiclib)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import shapely
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point, box, mapping
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from parkgrid.app import create_app
from parkgrid.settings import DatabaseSettings
from parkgrid.uscc import check_character
from tests.conftest import GraphQL, graphql_client

TOUCHED = ("enterprise", "zone", "grid", "assignment", "event", "cadre")

ENTERPRISE = """__typename ... on EnterprisePayload { enterprise { uscc name industry address
  location grid { code } } previousGrid { code } }"""
AREA = "__typename ... on AreaPayload { created enterprisesChangedGrid }"
RESULTS = {
    "Enterprise": ENTERPRISE,
    "Zone": AREA + " ... on ZonePayload { zone { code name park { code } } }",
    "Grid": AREA + " ... on GridPayload { grid { code name zone { code } } }",
    "Assignment": """__typename ... on AssignmentPayload { assignment { id role validFrom validTo
      zone { code } grid { code } enterprise { uscc } } }""",
}
ENTERPRISE_ARGS = {"uscc": "String!", "industry": "String", "address": "String", "actor": "ID"}
AREA_ARGS = {"code": "String!", "name": "String!", "boundary": "GeoJSON!", "actor": "ID"}
MUTATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "registerEnterprise": ("Enterprise", {**ENTERPRISE_ARGS, "name": "String!", "location": "GeoJSON!"}),
    "updateEnterprise": ("Enterprise", {**ENTERPRISE_ARGS, "name": "String"}),
    "moveEnterprise": ("Enterprise", {**ENTERPRISE_ARGS, "location": "GeoJSON!"}),
    "upsertZone": ("Zone", {**AREA_ARGS, "park": "String!"}),
    "upsertGrid": ("Grid", {**AREA_ARGS, "zone": "String!"}),
    "assignCadre": ("Assignment", {"cadre": "ID!", "level": "AssignmentLevel!", "target": "String!",
                                   "validFrom": "DateTime", "actor": "ID"}),
    "endAssignment": ("Assignment", {"id": "ID!", "validTo": "DateTime", "actor": "ID"}),
}  # fmt: skip


@dataclass
class Park:
    """A client of a database of the test's own, with plain SQL beside it."""

    gql: GraphQL
    engine: Engine

    def __call__(self, mutation: str, **args: Any) -> dict[str, Any]:
        result, types = MUTATIONS[mutation]
        declared = ", ".join(f"${name}: {types[name]}" for name in args)
        passed = ", ".join(f"{name}: ${name}" for name in args)
        wanted = f"{RESULTS[result]} ... on UserError {{ field code message }}"
        query = f"mutation ({declared}) {{ {mutation}({passed}) {{ {wanted} }} }}"
        found: dict[str, Any] = self.gql(query, args)["data"][mutation]
        return found

    def rows(self, query: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(query), params).all())

    def value(self, query: str, **params: Any) -> Any:
        return self.rows(query, **params)[0][0]

    def snapshot(self) -> list[Any]:
        """Row count and a digest of every row of each table the register touches."""
        return [self.rows(f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY"
                          f" t.id), '')) FROM {table} t")[0] for table in TOUCHED]  # fmt: skip

    def last_event(self) -> int:
        return int(self.value("SELECT coalesce(max(id), 0) FROM event"))

    def events_since(self, marker: int) -> list[Any]:
        return self.rows(
            "SELECT subject, subject_id, enterprise_id, action, actor_id, changes FROM event"
            " WHERE id > :marker ORDER BY id",
            marker=marker,
        )

    def grids(self) -> dict[str, Any]:
        rows = self.rows("SELECT code, ST_AsText(boundary) FROM grid")
        return {code: shapely.from_wkt(wkt) for code, wkt in rows}

    def members(self) -> dict[str, str | None]:
        """Each enterprise's grid as stored."""
        query = "SELECT e.uscc, g.code FROM enterprise e LEFT JOIN grid g ON g.id = e.grid_id"
        return dict(self.rows(query))

    def points(self) -> dict[str, Point]:
        rows = self.rows("SELECT uscc, ST_X(location), ST_Y(location) FROM enterprise")
        return {uscc: Point(lon, lat) for uscc, lon, lat in rows}

    def refused(self, expected: tuple[str, str, str | None], mutation: str, **args: Any) -> str:
        """The mutation is refused with (type, code, field) and changes nothing; its message."""
        before = self.snapshot()
        result = self(mutation, **args)
        assert (result["__typename"], result["code"], result["field"]) == expected, result
        assert self.snapshot() == before
        return str(result["message"])


def client_of(url: str, engine_for: Any) -> Iterator[Park]:
    with TestClient(create_app(DatabaseSettings(url=url))) as client:
        yield Park(graphql_client(client), engine_for(url))


def grid_by_rule(point: Point, grids: dict[str, Any]) -> str | None:
    """The membership rule, independently: the lowest code among the grids covering it."""
    return min((code for code, shape in grids.items() if shape.covers(point)), default=None)


def geojson_point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def geojson_box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    return dict(mapping(box(west, south, east, north)))


def new_uscc(n: int) -> str:
    body = f"91430624MA{n:07d}"
    return body + check_character(body)


def refused_as(kind: str, field: str | None) -> tuple[str, str, str | None]:
    types = {"BAD_USER_INPUT": "InvalidInputError", "INVALID_GEOMETRY": "InvalidInputError",
             "NOT_FOUND": "NotFoundError", "CONFLICT": "ConflictError"}  # fmt: skip
    return types[kind], kind, field


def geodesic_measures(shape: Any) -> tuple[float, float]:
    """Perimeter (m) and area (m²) on the WGS 84 ellipsoid, by geographiclib."""
    polygon = Geodesic.WGS84.Polygon()
    for lon, lat in list(shape.exterior.coords)[:-1]:
        polygon.AddPoint(lat, lon)
    _, perimeter, area = polygon.Compute(False, True)
    return float(perimeter), abs(float(area))

"""A GraphQL client for the register's tests, with plain SQL beside it, and the facts the
tests compute on their own (membership by Shapely, measures by geographiclib)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import shapely
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point, box, mapping
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from parkgrid.auth.tokens import digest
from parkgrid.uscc import check_character
from tests.conftest import ADMIN_TOKEN, GraphQL, add_token, app_client

SECRETS = itertools.count(1)

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
ENTERPRISE_ARGS = {"uscc": "String!", "industry": "String", "address": "String"}
AREA_ARGS = {"code": "String!", "name": "String!", "boundary": "GeoJSON!"}
MUTATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "registerEnterprise": ("Enterprise", {**ENTERPRISE_ARGS, "name": "String!", "location": "GeoJSON!"}),
    "updateEnterprise": ("Enterprise", {**ENTERPRISE_ARGS, "name": "String"}),
    "moveEnterprise": ("Enterprise", {**ENTERPRISE_ARGS, "location": "GeoJSON!"}),
    "upsertZone": ("Zone", {**AREA_ARGS, "park": "String!"}),
    "upsertGrid": ("Grid", {**AREA_ARGS, "zone": "String!"}),
    "assignCadre": ("Assignment", {"cadre": "ID!", "level": "AssignmentLevel!", "target": "String!",
                                   "validFrom": "DateTime"}),
    "endAssignment": ("Assignment", {"id": "ID!", "validTo": "DateTime"}),
}  # fmt: skip


def calling_with(client: TestClient, secret: str) -> GraphQL:
    """GraphQL on `client`, every request carrying the token `secret`; fails on errors unless
    ok=False."""

    def run(query: str, variables: dict[str, Any] | None = None, ok: bool = True) -> dict[str, Any]:
        response = client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {secret}"},
        )
        body: dict[str, Any] = response.json()
        if ok:
            assert "errors" not in body, body.get("errors")
        return body

    return run


@dataclass
class Park:
    """A client of a database of the test's own, with plain SQL beside it. It calls with the
    shared admin token (of no cadre) unless made to act for a cadre."""

    gql: GraphQL
    engine: Engine
    url: str
    client: TestClient
    token_id: int

    def acting_for(self, cadre: int | str) -> Park:
        """The same park, calling with a new admin token that stands for `cadre`: the events of
        its changes name the cadre as actor and the token as theirs. Admin, so that
        authorisation stays out of the way."""
        secret = f"pgt_registry-cadre-{cadre}-{next(SECRETS)}"
        token_id = add_token(self.url, secret, "admin", cadre_id=int(cadre))
        return replace(self, gql=calling_with(self.client, secret), token_id=token_id)

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
            "SELECT subject, subject_id, enterprise_id, action, actor_id, changes, token_id"
            " FROM event"
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
    engine = engine_for(url)
    with engine.connect() as conn:
        admin = conn.execute(
            text("SELECT id FROM api_token WHERE token_hash = :digest"),
            {"digest": digest(ADMIN_TOKEN)},
        ).scalar_one()
    with app_client(url) as client:
        yield Park(calling_with(client, ADMIN_TOKEN), engine, url, client, int(admin))


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

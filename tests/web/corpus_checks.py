"""What the input corpus checks, and the demo park values its cases are filled with.

A case passes when the service classified the input: no 5xx, a JSON body in the documented
shape, every error carrying a code (input errors also the field), none of them
INTERNAL_SERVER_ERROR, and no table of the public schema changed unless a mutation reported
success. Changes are seen by a stamp per table in plain SQL: its row count and the sum of its
rows' `xmin`. A committed insert or update writes rows whose xmin is newer than every row
already there, and a delete lowers the count, so any committed change moves the stamp; it
costs a few milliseconds, so every case is checked on its own and a change names its case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from parkgrid.uscc import check_character
from tests.conftest import ADMIN_TOKEN
from tests.parkgrid.cli_runs import BOOKKEEPING
from tests.web.corpus import Ref

INPUT_CODES = {"BAD_USER_INPUT", "INVALID_GEOMETRY", "INVALID_CURSOR", "PAGE_SIZE_EXCEEDED"}
"""The README: errors of these codes name the input at fault in `field`."""

DEMO_SQL = """
SELECT p.code AS park, z.code AS zone, g.code AS grid, e.uscc, e.industry,
       ST_X(e.location) AS lon, ST_Y(e.location) AS lat,
       ST_AsGeoJSON(g.boundary)::json AS grid_boundary,
       ST_AsGeoJSON(z.boundary)::json AS zone_boundary,
       (SELECT a.cadre_id::text FROM assignment a
         WHERE a.enterprise_id = e.id AND a.valid_to IS NULL LIMIT 1) AS cadre,
       (SELECT i.id::text FROM issue i WHERE i.status = 'accepted' ORDER BY i.id LIMIT 1) AS issue,
       (SELECT a.id::text FROM assignment a WHERE a.valid_to IS NULL
         AND a.enterprise_id IS NOT NULL ORDER BY a.id DESC LIMIT 1) AS assignment
FROM park p JOIN zone z ON z.park_id = p.id JOIN grid g ON g.zone_id = z.id
JOIN enterprise e ON e.grid_id = g.id
ORDER BY p.code, z.code, g.code, e.uscc LIMIT 1
"""
CURSORS = "{ issues(first: 1) { pageInfo { endCursor } } enterprises(first: 1) { pageInfo { endCursor } } }"


@dataclass
class Demo:
    """Values of the demo park in the test's database; the issue's version is read live,
    since an accepted mutation moves it on."""

    engine: Engine
    values: dict[str, Any]
    fresh: Iterator[int] = field(default_factory=lambda: count(1))

    @classmethod
    def read(cls, engine: Engine, client: TestClient) -> Demo:
        with engine.connect() as conn:
            values = dict(conn.execute(text(DEMO_SQL)).one()._mapping)
        values["point"] = {"type": "Point", "coordinates": [values["lon"], values["lat"]]}
        values["point_input"] = {"lon": values["lon"], "lat": values["lat"]}
        pages = post(client, {"query": CURSORS}).json()["data"]
        values["issues_cursor"] = pages["issues"]["pageInfo"]["endCursor"]
        values["enterprises_cursor"] = pages["enterprises"]["pageInfo"]["endCursor"]
        return cls(engine, values)

    def lookup(self, name: str) -> Any:
        if name == "version":
            with self.engine.connect() as conn:
                query = text("SELECT version FROM issue WHERE id = :id")
                return conn.execute(query, {"id": int(self.values["issue"])}).scalar_one()
        if name == "fresh_uscc":  # a valid credit code nobody has registered yet
            first17 = f"91430624MA{next(self.fresh):07d}"
            return first17 + check_character(first17)
        if name == "now":
            return datetime.now(UTC).isoformat()
        return self.values[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return self.lookup(value.name)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value


def row_stamp(table: str) -> str:
    """A row's version (xmin), or for a table the service also writes for its own bookkeeping
    (a token's last use), a hash of the row without those columns."""
    if table in BOOKKEEPING:
        return f"hashtext({BOOKKEEPING[table]})::bigint"
    return "t.xmin::text::bigint"


class Tables:
    """Row count and xmin sum of every table of the public schema, in one statement."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.connect() as conn:
            names = conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
                )
            ).scalars()
            quote = engine.dialect.identifier_preparer.quote
            self.sql = " UNION ALL ".join(
                f"SELECT '{name}', count(*), coalesce(sum({row_stamp(name)}), 0)"
                f" FROM public.{quote(name)} AS t"
                for name in names
            )

    def stamp(self) -> dict[str, tuple[int, int]]:
        with self.engine.connect() as conn:
            return {row[0]: (row[1], row[2]) for row in conn.execute(text(self.sql))}


def post(client: TestClient, body: Any, anonymous: bool = False, raw: bytes | None = None) -> Any:
    """POST /graphql. JSON is written with ASCII escapes, so a lone surrogate goes out as the
    valid JSON text `\\ud800` (no UTF-8 encoder would send it)."""
    headers = {"content-type": "application/json"}
    if not anonymous:
        headers["authorization"] = f"Bearer {ADMIN_TOKEN}"
    content = raw if raw is not None else json.dumps(body).encode()
    return client.post("/graphql", content=content, headers=headers)


def excerpt(value: Any, size: int = 140) -> str:
    shown = str(value)
    return shown if len(shown) <= size else f"{shown[:size]}…({len(shown)} chars)"


def parsed(response: Any) -> tuple[Any, list[str]]:
    """The JSON body, or the problem with the response."""
    status, kind = response.status_code, response.headers.get("content-type", "")
    if status >= 500:
        return None, [f"HTTP {status} ({kind}): {excerpt(response.text)}"]
    try:
        return response.json(), []
    except ValueError:
        return None, [f"HTTP {status}, not JSON ({kind}): {excerpt(response.text)}"]


def error_problems(error: dict[str, Any]) -> list[str]:
    ext = error.get("extensions") or {}
    code, message = ext.get("code"), excerpt(error.get("message"))
    if not code:
        return [f"no extensions.code: {message}"]
    if code == "INTERNAL_SERVER_ERROR":
        return [f"INTERNAL_SERVER_ERROR at {error.get('path')}: {message}"]
    if code in INPUT_CODES and not ext.get("field"):
        return [f"{code} without extensions.field: {message}"]
    return []


def user_error_problems(data: Any) -> list[str]:
    """Mutation results: a typed error must carry a code (an input error also its field)."""
    problems = []
    for value in (data or {}).values() if isinstance(data, dict) else ():
        typename = str(value.get("__typename", "")) if isinstance(value, dict) else ""
        if typename.endswith("Error") and "code" in value:  # a fuzzer may not select it
            code = value.get("code")
            if not code or code == "INTERNAL_SERVER_ERROR":
                problems.append(f"{value['__typename']} with code {code!r}: {value.get('message')}")
            elif code in INPUT_CODES and "field" in value and not value["field"]:
                problems.append(
                    f"{value['__typename']} {code} without field: {value.get('message')}"
                )
    return problems


def graphql_problems(response: Any) -> list[str]:
    body, problems = parsed(response)
    if problems:
        return problems
    if not isinstance(body, dict):
        return [f"HTTP {response.status_code}, JSON body is not an object: {excerpt(body)}"]
    if not isinstance(body.get("errors", []), list):
        return [f"`errors` is not a list: {excerpt(body)}"]
    for error in body.get("errors") or []:
        problems += error_problems(error if isinstance(error, dict) else {})
    if "errors" not in body and body.get("data") is None:
        problems.append(f"HTTP {response.status_code}, neither data nor errors: {excerpt(body)}")
    return problems + user_error_problems(body.get("data"))


def accepted(response: Any) -> bool:
    """A mutation reported success (a payload, not an error member), so a change is due."""
    try:
        data = response.json().get("data") or {}
    except (ValueError, AttributeError):
        return False
    return any(
        isinstance(v, dict) and not str(v.get("__typename", "Error")).endswith("Error")
        for v in data.values()
    )


def route_problems(response: Any, shape: str) -> list[str]:
    """A 4xx from /coverage and /tiles is `{"error": {code, message, field}}`; from /ogc an
    OGC exception `{code, description}`; from /graphql GraphQL's own shape."""
    if shape == "graphql":
        return graphql_problems(response)
    if response.status_code >= 500:
        return parsed(response)[1]
    if response.status_code < 400:
        return []
    body, problems = parsed(response)
    if problems:
        return problems
    keys = {"code", "description"} if shape == "ogc" else {"code", "message", "field"}
    found = body if shape == "ogc" else (body or {}).get("error")
    if not isinstance(found, dict) or not keys <= set(found) or not found.get("code"):
        return [f"HTTP {response.status_code}, not the documented error JSON: {excerpt(body)}"]
    return []

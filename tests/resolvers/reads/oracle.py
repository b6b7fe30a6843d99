"""Shared by the compiled-read tests: plain SQL on the base tables (schema `public`, never the
service's views or code) and a test client that records the batches the compiled path sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, text
from starlette.testclient import TestClient

from parkgrid.settings import ApiSettings, DatabaseSettings
from web.app import create_app

CURRENT = "a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())"
REACH = f"""
    SELECT a.cadre_id, g.id AS grid_id
    FROM public.assignment a
    LEFT JOIN public.enterprise e ON e.id = a.enterprise_id
    JOIN public.grid g ON g.id = a.grid_id OR g.id = e.grid_id OR g.zone_id = a.zone_id
    WHERE {CURRENT}
"""
"""Every grid each current assignment reaches (README: a zone lead's grids are the zone's,
a grid lead's the grid, a liaison's the grids of their enterprises)."""


class Oracle:
    """Plain queries on the base tables."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)

    def rows(self, query: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            conn.execute(text("SET search_path = public"))
            return list(conn.execute(text(query), params).all())

    def column(self, query: str, **params: Any) -> list[Any]:
        return [row[0] for row in self.rows(query, **params)]

    def scalar(self, query: str, **params: Any) -> Any:
        return self.rows(query, **params)[0][0]

    def execute(self, query: str, **params: Any) -> Any:
        with self.engine.begin() as conn:
            result = conn.execute(text(query), params)
            return result.scalar() if result.returns_rows else None

    def grids_of(self, cadre_id: int) -> set[int]:
        return set(self.column(f"SELECT grid_id FROM ({REACH}) r WHERE cadre_id = :c", c=cadre_id))

    def dispose(self) -> None:
        self.engine.dispose()


class Api:
    """The app over HTTP; `batches` counts the compiled statements sent since the last call."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.batches = 0
        db = client.app.state.db  # type: ignore[attr-defined]
        at_once = db.at_once  # what the compiled path sends its statement through

        async def recorded(statements: Any, params: Any) -> Any:
            self.batches += 1
            return await at_once(statements, params)

        db.at_once = recorded

    def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        self.batches = 0
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, "variables": variables or {}}
        response = self.client.post("/graphql", json=body, headers=headers)
        return response.status_code, response.json()

    def get(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        self.batches = 0
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        params = {"query": query}
        if variables is not None:
            params["variables"] = orjson.dumps(variables).decode()
        response = self.client.get("/graphql", params=params, headers=headers)
        return response.status_code, response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The data of a request that must succeed, answered by one compiled statement."""
        status, body = self.post(query, variables, **kw)
        assert status == 200 and "errors" not in body, body
        assert self.batches == 1, "not answered by the compiled path"
        return body["data"]


@contextmanager
def api(url: str, fast_path: bool = True, pool_size: int = 2) -> Iterator[Api]:
    settings = DatabaseSettings(url=url, pool_size=pool_size)
    with TestClient(create_app(settings, ApiSettings(fast_path=fast_path))) as client:
        yield Api(client)

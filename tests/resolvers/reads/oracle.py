"""Shared by the compiled-read tests: plain SQL on the base tables (schema `public`, never the
service's views or code) and a test client that records the batches the compiled path sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from starlette.testclient import TestClient

from parkgrid.settings import ApiSettings, DatabaseSettings
from tests.schema.access_subjects import CURRENT, REACH, Sql
from web.app import create_app

__all__ = ["CURRENT", "REACH", "Api", "Oracle", "api"]


class Oracle(Sql):
    """Plain queries on the base tables (the access tests' independent SQL)."""

    def column(self, query: str, **params: Any) -> list[Any]:
        return [row[0] for row in self.rows(query, **params)]

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

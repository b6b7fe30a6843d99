"""Fixtures: a real PostGIS server, throwaway databases cloned from migrated templates."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql
from sqlalchemy import Engine, create_engine, text
from starlette.testclient import TestClient

from parkgrid import cluster, migrate, routing
from parkgrid.auth.tokens import digest
from parkgrid.demo import seed_demo
from parkgrid.settings import ClusterSettings, DatabaseSettings, normalise_url
from tests import pooled
from web.app import create_app

ADMIN_TOKEN = "pgt_test-admin"
"""An admin token in every test database: functional tests call as admin; the access tests
make their own tokens."""


def add_token(url: str, secret: str, role: str, cadre_id: int | None = None) -> int:
    """A token with a known secret, written straight to the table."""
    engine = create_engine(url)
    with engine.begin() as conn:
        token_id = conn.execute(
            text(
                "INSERT INTO api_token (token_hash, role, cadre_id, label)"
                " VALUES (:digest, :role, :cadre, 'test') RETURNING id"
            ),
            {"digest": digest(secret), "role": role, "cadre": cadre_id},
        ).scalar_one()
    engine.dispose()
    return int(token_id)


@contextmanager
def app_client(url: str, token: str | None = ADMIN_TOKEN, **settings: Any) -> Iterator[TestClient]:
    """The app on `url`, every request carrying `token` (None: anonymous)."""
    with TestClient(create_app(DatabaseSettings(url=url), **settings)) as client:
        if token:
            client.headers["Authorization"] = f"Bearer {token}"
        yield client


def server_url() -> str:
    given = os.environ.get("DATABASE_URL")
    if given:
        return normalise_url(given)
    return cluster.up(ClusterSettings())


class Databases:
    """Creates databases named parkgrid_test_<run>_<n> and drops them all at the end."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.run = uuid.uuid4().hex[:8]
        self.created: list[str] = []

    def url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    def admin(self) -> Any:
        conn = psycopg2.connect(cluster.maintenance_dsn(self.base_url))
        conn.autocommit = True
        return conn

    def create(self, template: str | None = None) -> str:
        name = f"parkgrid_test_{self.run}_{len(self.created)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn = self.admin()
        with conn.cursor() as cur:
            cur.execute(statement)
        conn.close()
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        for name in reversed(self.created):
            cluster.drop_database(self.url(name))


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    dbs = Databases(server_url())
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session", autouse=True)
def behind_pooler(request: pytest.FixtureRequest) -> Iterator[None]:
    """With PARKGRID_TEST_POOLER=1, every app the tests make reaches its database through
    PgBouncer in transaction mode (tests.pooled); otherwise nothing (no server is needed)."""
    if not pooled.wanted():
        yield
        return
    databases: Databases = request.getfixturevalue("databases")
    with pooled.bouncer(databases.base_url) as port:
        patch = pytest.MonkeyPatch()
        patch.setenv(pooled.PORT, str(port))
        patch.setattr("web.app.open_database", pooled.opener(routing.open_database, port))
        try:
            yield
        finally:
            patch.undo()


@pytest.fixture(scope="session")
def empty_template(databases: Databases) -> str:
    """A migrated database with no data, used only as a template."""
    name = databases.create()
    migrate.upgrade(databases.url(name))
    add_token(databases.url(name), ADMIN_TOKEN, "admin")
    return name


@pytest.fixture(scope="session")
def demo_template(databases: Databases, empty_template: str) -> str:
    """The migrated database with the demo park, used only as a template."""
    name = databases.create(template=empty_template)
    seed_demo(databases.url(name), only_if_empty=False)
    return name


@pytest.fixture(scope="session")
def demo_url(databases: Databases, demo_template: str) -> str:
    """A shared demo database for tests that only read."""
    return databases.url(databases.create(template=demo_template))


@pytest.fixture
def fresh_demo_url(databases: Databases, demo_template: str) -> str:
    """A demo database of the test's own, to change freely."""
    return databases.url(databases.create(template=demo_template))


@pytest.fixture
def empty_url(databases: Databases, empty_template: str) -> str:
    """A migrated, empty database of the test's own."""
    return databases.url(databases.create(template=empty_template))


@pytest.fixture
def engine_for() -> Iterator[Callable[[str], Engine]]:
    engines: list[Engine] = []

    def make(url: str) -> Engine:
        engine = create_engine(url)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


GraphQL = Callable[..., dict[str, Any]]


def graphql_client(client: TestClient) -> GraphQL:
    def run(query: str, variables: dict[str, Any] | None = None, ok: bool = True) -> dict[str, Any]:
        response = client.post("/graphql", json={"query": query, "variables": variables or {}})
        body: dict[str, Any] = response.json()
        if ok:
            assert "errors" not in body, body.get("errors")
        return body

    return run


@pytest.fixture(scope="session")
def demo_client(demo_url: str) -> Iterator[TestClient]:
    with app_client(demo_url) as client:
        yield client


@pytest.fixture(scope="session")
def gql(demo_client: TestClient) -> GraphQL:
    """Run GraphQL against the shared demo database; fails on errors unless ok=False."""
    return graphql_client(demo_client)


@pytest.fixture
def gql_fresh(fresh_demo_url: str) -> Iterator[GraphQL]:
    """Run GraphQL against the test's own demo database (fresh_demo_url), to change freely."""
    with app_client(fresh_demo_url) as client:
        yield graphql_client(client)

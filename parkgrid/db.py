"""Engine, pool and the bridge that runs blocking database work off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio
import orjson
import psycopg2.extras
from anyio import CapacityLimiter
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

from parkgrid.settings import DatabaseSettings

P = ParamSpec("P")
T = TypeVar("T")


def use_orjson(dbapi_connection: Any, _record: Any) -> None:
    psycopg2.extras.register_default_json(dbapi_connection, loads=orjson.loads)
    psycopg2.extras.register_default_jsonb(dbapi_connection, loads=orjson.loads)


def create_db_engine(settings: DatabaseSettings) -> Engine:
    """A pool of exactly `pool_size` connections; statements time out server-side."""
    engine = create_engine(
        settings.resolved_url(),
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=30,
        connect_args={"options": f"-c statement_timeout={settings.statement_timeout_ms}"},
        json_serializer=lambda value: orjson.dumps(value).decode(),
        json_deserializer=orjson.loads,
    )
    event.listen(engine, "connect", use_orjson)
    return engine


class Database:
    """Runs sync SQLAlchemy work in worker threads, never more at once than the pool holds."""

    def __init__(self, engine: Engine, threads: int) -> None:
        self.engine = engine
        self.limiter = CapacityLimiter(threads)

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        return cls(create_db_engine(settings), threads=settings.pool_size)

    async def read(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(connection, ...)` in a transaction that is rolled back."""
        call = partial(self._run, self.engine.connect, work, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self.limiter)

    async def write(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(connection, ...)` in a transaction committed when it returns."""
        call = partial(self._run, self.engine.begin, work, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self.limiter)

    @staticmethod
    def _run(
        opener: Callable[[], AbstractContextManager[Connection]],
        work: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with opener() as connection:
            return work(connection, *args, **kwargs)

    def dispose(self) -> None:
        self.engine.dispose()

"""Engine, pool and the bridge that runs blocking database work off the event loop."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio
import orjson
import psycopg2.errors
import psycopg2.extras
from anyio import CapacityLimiter
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import Connection, RootTransaction

from parkgrid import metrics, trace
from parkgrid.aio import ReadPool
from parkgrid.cluster import libpq_dsn
from parkgrid.errors import ParkgridError, TimedOut, Unavailable
from parkgrid.settings import DatabaseSettings

P = ParamSpec("P")
T = TypeVar("T")

# many short statements at once: JIT compiles for longer than they run, and parallel workers
# only take cores from the other requests
SHORT = {"jit": "off", "max_parallel_workers_per_gather": "0"}
SHORT_STATEMENTS = " ".join(f"-c {name}={value}" for name, value in SHORT.items())
# API reads resolve table names to the scoped views first (migration 0004); writes use public
SCOPED_PATH = "parkgrid_scoped,public"
SET_SCOPE = (
    "SELECT count(set_config(k, v, true))"
    " FROM unnest(CAST(%(scope_keys)s AS text[]), CAST(%(scope_values)s AS text[])) AS s(k, v)"
)
WRITE_PATH = text("SET LOCAL search_path = public")


WRITE_ATTEMPTS = 3
"""A write PostgreSQL rolled back to break a deadlock runs again, up to this many times in
all: the transaction it met has gone on once this one gave way, so a second run is enough
unless others keep arriving."""
CANCEL_EVERY_S = 0.1  # after the budget, until the work gives up
CONNECT_TIMEOUT_S = 5  # an unreachable host answers Unavailable after this, not a hang


def trouble(error: BaseException) -> ParkgridError | None:
    """What a database error means to the caller: a cancelled statement is a timeout; a
    connection that cannot be made or was lost, or a pool with no free connection, is the
    database being unavailable. Anything else (a bug) is None."""
    cause = getattr(error, "orig", None) or error
    if isinstance(cause, psycopg2.errors.QueryCanceled):
        metrics.STATEMENT_TIMEOUTS.inc()
        return TimedOut("the request ran past the statement timeout and was cancelled")
    if isinstance(error, exc.TimeoutError):
        return Unavailable("every database connection is busy; try again shortly")
    if rolled_back(error):
        return Unavailable("the change kept meeting others made at the same moment; try again")
    if dropped(error) or isinstance(cause, psycopg2.OperationalError):
        return Unavailable("the database is unavailable; try again shortly")
    return None


def dropped(error: BaseException) -> bool:
    """The server had dropped the connection (a restart drops every pooled one): the work
    sent on it did nothing."""
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def rolled_back(error: BaseException) -> bool:
    """PostgreSQL rolled the transaction back so that it may be run again: it broke a
    deadlock (40P01; some lock orders cannot be made one, such as a grid reshape, which locks
    the grid and then its members, beside an enterprise moved by SQL, which locks itself and
    then its grids) or found a serialization failure (40001). Nothing of the work was kept."""
    cause = getattr(error, "orig", None) or error
    return isinstance(
        cause, (psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure)
    )


def again(call: Callable[[], T], when: Callable[[BaseException], bool], attempts: int) -> T:
    """`call()`, run again from its start while it fails with an error after which `when`
    says that is safe, `attempts` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except exc.DBAPIError as error:
            if attempt == attempts or not when(error):
                raise
            metrics.RERUNS.labels("rolled_back" if rolled_back(error) else "dropped").inc()
    raise AssertionError("unreachable")


def raise_trouble(error: BaseException) -> None:
    """Raise the caller's error for database trouble; return for anything else (a bug,
    which the caller re-raises as it is)."""
    problem = trouble(error)
    if problem is not None:
        raise problem from error


def use_orjson(dbapi_connection: Any, _record: Any) -> None:
    psycopg2.extras.register_default_json(dbapi_connection, loads=orjson.loads)
    psycopg2.extras.register_default_jsonb(dbapi_connection, loads=orjson.loads)


def session_settings(settings: DatabaseSettings) -> dict[str, str]:
    """Every API connection's settings: the timeout, the scoped views first, short plans."""
    timeout = {"statement_timeout": str(settings.statement_timeout_ms)}
    return {**timeout, "search_path": SCOPED_PATH, **SHORT}


def session_options(settings: DatabaseSettings) -> str:
    """The session settings as sent at connect (a pooler sends them itself instead)."""
    return " ".join(f"-c {name}={value}" for name, value in session_settings(settings).items())


def create_db_engine(settings: DatabaseSettings, options: str | None = None) -> Engine:
    """A pool of exactly `pool_size` connections; statements time out server-side. `options`
    replaces the session settings sent at connect ("" sends none: a pooler sets them)."""
    engine = create_engine(
        settings.resolved_url(),
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_pre_ping=False,  # a dropped connection fails once, then the pool renews
        pool_timeout=30,
        connect_args={
            "options": session_options(settings) if options is None else options,
            "connect_timeout": CONNECT_TIMEOUT_S,
        },
        json_serializer=lambda value: orjson.dumps(value).decode(),
        json_deserializer=orjson.loads,
    )
    event.listen(engine, "connect", use_orjson)
    event.listen(engine, "before_cursor_execute", trace.counted_and_tagged, retval=True)
    return engine


def scope_params(scope: Mapping[str, str]) -> dict[str, list[str]]:
    return {"scope_keys": list(scope), "scope_values": list(scope.values())}


def apply_scope(conn: Connection, scope: Mapping[str, str]) -> None:
    if scope:
        conn.exec_driver_sql(SET_SCOPE, scope_params(scope))


class Database:
    """Runs sync SQLAlchemy work in worker threads, never more at once than the pool holds.

    `scope` holds the caller's transaction settings (see parkgrid.auth.principal); without
    them a read is anonymous."""

    def __init__(
        self,
        engine: Engine,
        limiter: CapacityLimiter,
        reads: ReadPool,
        scope: Mapping[str, str] | None = None,
        budget_s: float = 0.0,
    ) -> None:
        self.engine, self.limiter, self.reads = engine, limiter, reads
        self.scope = dict(scope or {})
        self.budget_s = budget_s
        """How long one request may hold a connection (0: no limit)."""

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        dsn = libpq_dsn(settings.resolved_url())
        reads = ReadPool(dsn, settings.pool_size, session_options(settings))
        limiter, budget_s = (
            CapacityLimiter(settings.pool_size),
            settings.statement_timeout_ms / 1000,
        )
        return cls(create_db_engine(settings), limiter, reads, budget_s=budget_s)

    def scoped(self, scope: Mapping[str, str]) -> Database:
        """The same pools, reading and writing as the caller the settings describe."""
        return Database(self.engine, self.limiter, self.reads, scope, self.budget_s)

    async def read(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(connection, ...)` in a transaction that is rolled back, through the
        scoped views as the caller; run again once if the server had dropped the connection
        (after a restart every pooled one is), since a read changes nothing."""
        call = partial(self._run, self._reading, work, *args, **kwargs)
        return await self.answering(partial(again, call, dropped, 2))

    async def write(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(connection, ...)` in a transaction committed when it returns, on the
        tables themselves (the work authorises itself); events name the caller's token. Run
        again from the start when PostgreSQL rolled it back to break a deadlock, so a caller
        never sees one (the work is only database statements, so a second run is the same)."""
        call = partial(self._run, self._writing, work, *args, **kwargs)
        return await self.answering(partial(again, call, rolled_back, WRITE_ATTEMPTS))

    async def answering(self, call: Callable[[], T]) -> T:
        """`call` in a worker thread, its database trouble raised as the caller's error."""
        try:
            return await anyio.to_thread.run_sync(call, limiter=self.limiter)
        except (exc.DBAPIError, exc.TimeoutError) as error:
            raise_trouble(error)
            raise

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            apply_scope(conn, self.scope)
            yield conn

    def _begun(self) -> tuple[Connection, RootTransaction]:
        """A connection in a write transaction whose first statement went through: a pooled
        connection the server dropped is replaced once, before any of the work is sent."""
        return again(self._begin, dropped, 2)

    def _begin(self) -> tuple[Connection, RootTransaction]:
        conn = self.engine.connect()
        transaction = conn.begin()
        try:
            conn.execute(WRITE_PATH)
        except exc.DBAPIError:
            conn.close()
            raise
        return conn, transaction

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        conn, transaction = self._begun()
        with conn, transaction:
            apply_scope(conn, self.scope)
            yield conn

    def _run(
        self,
        opener: Callable[[], AbstractContextManager[Connection]],
        work: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with opener() as connection, self._deadline(connection):
            return work(connection, *args, **kwargs)

    @contextmanager
    def _deadline(self, connection: Connection) -> Iterator[None]:
        """Cancel what the connection runs once the work has held it for the budget: work of
        many statements (a report) then holds a connection no longer than one statement may,
        and its cancelled statement is answered as a timeout."""
        if not self.budget_s:
            yield
            return
        cancel = connection.connection.dbapi_connection.cancel  # type: ignore[union-attr]
        done = threading.Event()

        def watch() -> None:  # a cancel landing between two statements is lost: repeat it
            if done.wait(self.budget_s):
                return
            cancel()
            while not done.wait(CANCEL_EVERY_S):
                cancel()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()

    async def at_once(
        self, statements: Sequence[tuple[str, bool]], params: dict[str, Any]
    ) -> dict[str, Any]:
        """The first row, by column name, of the last of `statements` ((sql, preparable)
        pairs, sharing `params`), all sent in one round trip as one transaction that ends
        with them: no BEGIN, no ROLLBACK, no ping, no worker thread; the caller's scope, when
        this database has one, and the request's tags (parkgrid.trace) set by a statement
        sent first, in the same text."""
        if self.scope:
            statements = [(SET_SCOPE, True), *statements]
            params = {**params, **scope_params(self.scope)}
        tags = trace.session_tags()
        if tags:
            statements = [(trace.SET_APPLICATION, True), *statements]
            params = {**params, **tags}
        trace.count_statements(len(statements))
        try:
            return await self.reads.first_row(statements, params)
        except psycopg2.Error as error:
            raise_trouble(error)
            raise

    def dispose(self) -> None:
        self.reads.close()
        self.engine.dispose()


@contextmanager
def one_off(url: str, write: bool = True) -> Iterator[Connection]:
    """A connection of its own engine, for commands run once: a transaction committed when
    the block ends (or rolled back, when `write` is false), the engine disposed after."""
    engine = create_engine(url)
    try:
        with engine.begin() if write else engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()

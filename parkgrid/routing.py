"""Reads from streaming replicas, writes on the primary, and each caller's writes visible to
its own next reads (see parkgrid.positions).

Every instance reads each database's role and WAL position every `check_interval_s` on a
connection of its own. A replica's lag is measured in time against the primary's positions
as this instance saw them: it is behind by how long ago the primary first stood at a position
the replica has not replayed yet (0 when it has replayed everything the primary had at the
last check). A replica is in rotation while it answers, is still in recovery, and lags no
more than `max_lag_s`; a read that fails on it for want of the server takes it out until the
next check, and is read again elsewhere. The primary being unreachable stops writes
(SERVICE_UNAVAILABLE, retried by the client) but not reads: replicas serve them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg2
import psycopg2.errors
from anyio import CapacityLimiter
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, make_url

from parkgrid import prepared
from parkgrid.aio import ReadPool
from parkgrid.cluster import libpq_dsn
from parkgrid.db import Database, create_db_engine, session_options
from parkgrid.errors import Unauthenticated, Unavailable
from parkgrid.positions import CALLER, Positions, lsn
from parkgrid.settings import DatabaseSettings, ScaleSettings

P = ParamSpec("P")
T = TypeVar("T")

CHECK = (
    "SELECT pg_is_in_recovery() AS recovery, CAST(CASE WHEN pg_is_in_recovery()"
    " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS text) AS lsn,"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused"
)
REPLAYED = "SELECT CAST(pg_last_wal_replay_lsn() AS text) AS lsn"
CHECK_TIMEOUT_S = 2.0
POLL_S = 0.002
SAMPLES_S = 600.0
"""How long the primary's positions are remembered to measure lag."""


def named(url: str) -> str:
    """host:port/database, for reports (never a password)."""
    parts = make_url(url)
    return f"{parts.host or 'localhost'}:{parts.port or 5432}/{parts.database or ''}"


@dataclass
class Server:
    """One database, its pools, and what the last check found."""

    name: str
    role: str
    database: Database
    check: ReadPool
    reachable: bool = False
    in_recovery: bool | None = None
    position: int = 0
    paused: bool = False
    lag_s: float | None = None
    lag_bytes: int | None = None
    error: str = ""
    failed_at: float = 0.0

    def report(self, in_rotation: bool) -> dict[str, Any]:
        return {
            "name": self.name, "role": self.role, "reachable": self.reachable,
            "in_recovery": self.in_recovery, "replay_paused": self.paused,
            "lag_s": None if self.lag_s is None else round(self.lag_s, 3),
            "lag_bytes": self.lag_bytes, "in_rotation": in_rotation,
            **({"error": self.error} if self.error else {}),
        }  # fmt: skip


@dataclass
class Router:
    """The primary and the replicas of one process, checked in the background."""

    primary: Server
    replicas: list[Server]
    positions: Positions
    settings: ScaleSettings
    samples: deque[tuple[float, int]] = field(default_factory=deque)
    turn: count[int] = field(default_factory=count)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.replicas and self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run(), name="routing")
            self.positions.start()

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=5.0)
        await self.positions.stop()

    async def run(self) -> None:
        while True:
            await self.check_all()
            await asyncio.sleep(self.settings.check_interval_s)

    async def check_all(self) -> None:
        """The primary first, so that a replica that has replayed its position lags 0."""
        await self.check(self.primary)
        if self.primary.reachable and not self.primary.in_recovery:
            self.sample(self.primary.position)
        await asyncio.gather(*(self.check(replica) for replica in self.replicas))
        for replica in self.replicas:
            self.measure(replica)

    async def check(self, server: Server) -> None:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                row = await server.check.first_row([(CHECK, False)], {})
        except (psycopg2.Error, OSError, TimeoutError) as error:
            server.reachable, server.error = False, str(error).strip() or type(error).__name__
            server.lag_s = server.lag_bytes = None
            return
        server.reachable, server.error, server.failed_at = True, "", 0.0
        server.in_recovery, server.paused = bool(row["recovery"]), bool(row["paused"])
        server.position = max(server.position, lsn(row["lsn"])) if row["lsn"] else 0

    def sample(self, position: int) -> None:
        now = time.monotonic()
        if not self.samples or self.samples[-1][1] != position:
            self.samples.append((now, position))
        while len(self.samples) > 1 and self.samples[1][0] < now - SAMPLES_S:
            self.samples.popleft()

    def measure(self, replica: Server) -> None:
        if not replica.reachable or not self.primary.reachable or not self.samples:
            replica.lag_s = replica.lag_bytes = None
            return
        now = time.monotonic()
        behind = next((seen for seen, at in self.samples if at > replica.position), None)
        replica.lag_s = 0.0 if behind is None else now - behind
        replica.lag_bytes = max(0, self.samples[-1][1] - replica.position)

    def in_rotation(self, replica: Server) -> bool:
        lag = replica.lag_s
        return (
            replica.reachable
            and bool(replica.in_recovery)
            and not replica.failed_at
            and (lag is None or lag <= self.settings.max_lag_s)
        )

    def rotation(self) -> list[Server]:
        """The replicas in rotation, starting with the next in turn."""
        ready = [replica for replica in self.replicas if self.in_rotation(replica)]
        if not ready:
            return []
        start = next(self.turn) % len(ready)
        return ready[start:] + ready[:start]

    async def pick(self, need: int | None) -> Server | None:
        """A replica that has replayed `need`, waiting up to catch_up_wait_ms for one; None
        for the primary."""
        ready = self.rotation()
        if need is None or not ready:
            return None
        for replica in ready:
            if replica.position >= need:
                return replica
        deadline = time.monotonic() + self.settings.catch_up_wait_ms / 1000
        while True:
            for replica in ready:
                if await self.replayed(replica) >= need:
                    return replica
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(POLL_S)

    async def replayed(self, replica: Server) -> int:
        try:
            row = await replica.database.reads.first_row([(REPLAYED, False)], {})
        except psycopg2.Error:
            replica.failed_at = time.monotonic()
            return 0
        replica.position = max(replica.position, lsn(row["lsn"] or "0/0"))
        return replica.position

    def fallbacks(self) -> list[Server]:
        """Replicas that answer, for reads while the primary does not (lag unknown then)."""
        return [r for r in self.replicas if r.reachable and r.in_recovery and not r.failed_at]

    def report(self) -> list[dict[str, Any]]:
        primary = self.primary.report(in_rotation=self.primary.reachable)
        return [primary, *(r.report(self.in_rotation(r)) for r in self.replicas)]


def read_only(error: BaseException) -> bool:
    return isinstance(getattr(error, "orig", None), psycopg2.errors.ReadOnlySqlTransaction)


def refused_token(row: dict[str, Any]) -> bool:
    """A compiled read's token check that failed: the primary has the last word on it."""
    return "token_id" in row and (not row["token_id"] or bool(row.get("refusal")))


class Routed(Database):
    """The primary's pools (as Database) with the router: reads go where it says."""

    router: Router

    def scoped(self, scope: Any) -> Routed:
        found = Routed(self.engine, self.limiter, self.reads, scope, self.budget_s)
        found.router = self.router
        return found

    def on(self, server: Server) -> Database:
        return server.database.scoped(self.scope) if self.scope else server.database

    async def routed(
        self, call: Callable[[Database], Awaitable[T]], wrong: Callable[[T], bool] | None = None
    ) -> T:
        """`call` on a replica the caller may read from, else on the primary; on a replica
        that does not answer, again on the primary; on any replica that answers when the
        primary does not."""
        router = self.router
        caller = CALLER.get()
        if not router.replicas or (caller is not None and caller.primary):
            return await call(self)
        replica = await router.pick(await router.positions.needed(caller))
        if replica is not None:
            try:
                found = await call(self.on(replica))
                if wrong is None or not wrong(found):
                    return found
            except Unauthenticated:
                pass  # a token made a moment ago: the primary knows it
            except Unavailable:
                replica.failed_at = time.monotonic()
        try:
            return await call(self)
        except Unavailable:
            for other in router.fallbacks():
                with contextlib.suppress(Unavailable):
                    return await call(self.on(other))
            raise

    async def read(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async def on(db: Database) -> T:
            return await Database.read(db, work, *args, **kwargs)

        return await self.routed(on)

    async def at_once(self, statements: Any, params: dict[str, Any]) -> dict[str, Any]:
        async def on(db: Database) -> dict[str, Any]:
            return await Database.at_once(db, statements, params)

        return await self.routed(on, refused_token)

    async def write(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """On the primary; its position recorded for the caller once it has committed."""
        try:
            done = await super().write(work, *args, **kwargs)
        except exc.DBAPIError as error:
            if read_only(error):  # DATABASE_URL names a server in recovery
                raise Unavailable("the primary database is read-only; try again shortly") from error
            raise
        if self.router.replicas:
            with contextlib.suppress(psycopg2.Error):  # committed: a lost position is no error
                await self.router.positions.published(self.reads, CALLER.get())
        return done

    @property
    def listen_dsn(self) -> str:
        return self.router.positions.dsn

    def databases(self) -> list[dict[str, Any]]:
        return self.router.report()

    async def start(self) -> None:
        if self.router.replicas:
            await self.router.check_all()
        self.router.start()

    async def stop(self) -> None:
        await self.router.stop()

    def dispose(self) -> None:
        super().dispose()
        for server in (self.router.primary, *self.router.replicas):
            server.check.close()
            if server.database is not self:
                server.database.dispose()


def unprepared(_dbapi_connection: Any, record: Any) -> None:
    record.info[prepared.UNPREPARED] = True


def database_at(url: str, settings: DatabaseSettings, scale: ScaleSettings) -> Database:
    """A Database on `url` with the project's pools; no PREPARE and no session settings at
    connect when the scale settings say so (behind a pooler in transaction mode)."""
    at = settings.model_copy(update={"url": url})
    options = session_options(at) if scale.session_options else ""
    engine = create_db_engine(at, options)
    reads = ReadPool(libpq_dsn(at.resolved_url()), at.pool_size, options)
    if not scale.prepare:
        reads.prepare = False
        event.listen(engine, "connect", unprepared)
    budget_s = at.statement_timeout_ms / 1000
    return Database(engine, CapacityLimiter(at.pool_size), reads, budget_s=budget_s)


def open_database(settings: DatabaseSettings, scale: ScaleSettings | None = None) -> Routed:
    """The primary (DATABASE_URL) and the replicas (DATABASE_REPLICA_URLS) of one process."""
    scale = scale or ScaleSettings()
    url = settings.resolved_url()
    base = database_at(url, settings, scale)
    db = Routed(base.engine, base.limiter, base.reads, budget_s=base.budget_s)

    def server(at: str, role: str, database: Database) -> Server:
        check = ReadPool(libpq_dsn(settings.model_copy(update={"url": at}).resolved_url()), 1, "")
        check.prepare = False
        return Server(named(at), role, database, check)

    replicas = [server(r, "replica", database_at(r, settings, scale)) for r in scale.replica_urls]
    listen = libpq_dsn(scale.listen_url or url)
    db.router = Router(server(url, "primary", db), replicas, Positions(listen), scale)
    return db

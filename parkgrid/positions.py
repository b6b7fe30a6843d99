"""Read-your-writes: where each caller's last write ends in the primary's WAL.

A write's position is the primary's WAL position read right after it commits (the commit
record has been written by then, so a replica whose replay has passed the position shows the
write). Each caller's last position is known three ways, and a read needs the largest:

- the `Parkgrid-Position` response header, which a client echoes on its next requests;
- per token, on the server side, for clients that echo nothing: the instance that wrote
  announces `<token key> <position>` with NOTIFY on the primary, and every instance listens,
  so all of them know every token's last write (the key is a hash of the Authorization
  header, so it is known before the token is checked, and no secret travels);
- a floor for every token: the primary's position when this instance began listening (and
  again whenever it listens anew), which covers the writes announced while it was not.

A notice can still be on its way when the writer's client, already answered, sends its next
request to another instance. So before a token's read (without an echoed position) the
instance sends a fence down its listening connection, a trivial query: PostgreSQL signals
listeners when the notifying transaction commits, before the writer is answered, and a
signalled backend sends its pending notices before it runs the next query it reads, so once
the fence is answered every notice committed before the request came has been received.
Reads arriving while a fence runs share the next one (at most one in flight per instance):
a round trip to the primary's listening backend, no table, no write.

While an instance is not listening it cannot know the tokens' positions: their reads go to
the primary. Positions are kept for `RETAIN_S` (far beyond any lag a replica in rotation may
have), one small entry per token that wrote in that time."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import psycopg2

from parkgrid.aio import ReadPool, ready
from parkgrid.changes import RETRY_S, close_quietly, listening, readable, received

logger = logging.getLogger("parkgrid.positions")

CHANNEL = "parkgrid_positions"
HEADER = "parkgrid-position"
RETAIN_S = 120.0
CONNECT_TIMEOUT_S = 5.0
# the position after a commit, announced for the writing token (none for an empty key)
POSITION = (
    "SELECT CAST(p.l AS text) AS lsn, CASE WHEN %(key)s <> '' THEN"
    " pg_notify('parkgrid_positions', %(key)s || ' ' || CAST(p.l AS text)) END AS sent"
    " FROM (SELECT pg_current_wal_lsn() AS l) AS p"
)
CURRENT = "SELECT CAST(pg_current_wal_lsn() AS text) AS lsn"
FENCE = "SELECT 1"


def lsn(text: str) -> int:
    """A pg_lsn's text (`16/B374D848`) as a number; ValueError when it is none."""
    high, slash, low = text.strip().partition("/")
    if not slash or not high or not low or len(high) > 8 or len(low) > 8:
        raise ValueError(f"{text!r} is not a WAL position such as 16/B374D848")
    return (int(high, 16) << 32) | int(low, 16)


def lsn_text(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def caller_key(authorization: str) -> str:
    """The key of a token's positions: a hash of the header, never the secret itself."""
    return hashlib.sha256(authorization.strip().encode()).hexdigest()[:32]


@dataclass
class Caller:
    """One request's caller, as far as routing cares."""

    key: str | None = None
    """The token's key (None: anonymous, who writes nothing)."""
    echoed: int = 0
    """The position the client sent back."""
    wrote: int = 0
    """The position of this request's last write (0: it wrote nothing)."""
    primary: bool = False
    """Pinned to the primary (subscriptions follow NOTIFY, which only the primary sends)."""


CALLER: ContextVar[Caller | None] = ContextVar("parkgrid_caller", default=None)


class Positions:
    """Every token's last write position, learnt from the primary's notices."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.last: dict[str, tuple[int, float]] = {}
        self.floor: int | None = None
        """The primary's position when listening began; None while not listening."""
        self.task: asyncio.Task[None] | None = None
        self.connection: Any = None
        self.stopping = False
        self.fence: asyncio.Future[bool] | None = None
        """The next fence, which requests join until it is sent."""
        self.wake = asyncio.Event()

    async def needed(self, caller: Caller | None) -> int | None:
        """The position a replica must have replayed to serve the caller; None when only
        the primary can tell (a token's, while this instance is not listening)."""
        if caller is None:
            return 0
        if caller.key is None or caller.echoed:
            return caller.echoed
        if self.floor is None or not await self.fenced():
            return None
        found = self.last.get(caller.key)
        return max(self.floor or 0, found[0] if found else 0)

    async def fenced(self) -> bool:
        """Whether every notice committed before now has been received (False: the
        listening connection failed meanwhile)."""
        if self.fence is None:
            self.fence = asyncio.get_running_loop().create_future()
        fence = self.fence
        self.wake.set()
        return await asyncio.shield(fence)

    def record(self, key: str, position: int) -> None:
        now = time.monotonic()
        if len(self.last) > 1000:  # drop what no replica in rotation can lack any longer
            old = [k for k, (_, seen) in self.last.items() if now - seen > RETAIN_S]
            for stale in old:
                del self.last[stale]
        before = self.last.get(key, (0, now))[0]
        self.last[key] = (max(before, position), now)

    def dispatch(self, payload: str) -> None:
        key, _, text = payload.partition(" ")
        try:
            self.record(key, lsn(text))
        except ValueError:
            logger.warning("ignored a notification on %s: %.200s", CHANNEL, payload)

    async def published(self, primary: ReadPool, caller: Caller | None) -> int:
        """After a commit: the primary's position, announced for the caller's token."""
        key = caller.key if caller is not None else None
        row = await primary.first_row([(POSITION, False)], {"key": key or ""})
        position = lsn(row["lsn"])
        if key is not None:
            self.record(key, position)
        if caller is not None:
            caller.wrote = max(caller.wrote, position)
        return position

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run(), name="positions")

    async def stop(self) -> None:
        task, self.task = self.task, None
        self.stopping = True
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=5.0)
        self.close()

    async def run(self) -> None:
        """Listen, and again whenever the connection is lost; the floor moves each time."""
        pause = RETRY_S[0]
        while not self.stopping:
            try:
                await self.listen()
                pause = RETRY_S[0]
                await self.receive()
            except (psycopg2.Error, OSError, TimeoutError) as error:
                logger.warning("not listening for write positions (%s)", error)
            self.floor = None
            self.close()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_S[1])

    async def listen(self) -> None:
        self.connection, row = await listening(self.dsn, f"LISTEN {CHANNEL}; {CURRENT}")
        assert row is not None
        self.floor = lsn(row[0])

    async def receive(self) -> None:
        """Notices as they come, and a fence whenever one is wanted; raises when the
        connection is lost (failing the fence in flight)."""
        connection = self.connection
        while not self.stopping:
            fence = None
            if self.wake.is_set():
                self.wake.clear()
                fence, self.fence = self.fence, None
            try:
                if fence is not None:
                    cursor = connection.cursor()
                    cursor.execute(FENCE)
                    await ready(connection)
                    cursor.close()
                else:
                    await readable(connection.fileno(), self.wake)
                    connection.poll()
            except BaseException:
                if fence is not None and not fence.done():
                    fence.set_result(False)
                raise
            for payload in received(connection):
                self.dispatch(payload)
            if fence is not None:
                fence.set_result(True)

    def close(self) -> None:
        fence, self.fence = self.fence, None
        if fence is not None and not fence.done():
            fence.set_result(False)
        connection, self.connection = self.connection, None
        close_quietly(connection)

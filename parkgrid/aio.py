"""Compiled reads on the event loop: a small pool of psycopg2's asynchronous connections.

A compiled read is one text of statements sent in one round trip (see parkgrid.prepared.
script); waiting for its answer on the loop, instead of in a worker thread, spares each
request two thread hand-overs. psycopg2's asynchronous connections run every text as its
own transaction, which is what these texts want (the caller's scope, set by their first
statement, lasts for the text and no longer)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions

from parkgrid import prepared


@dataclass
class Pooled:
    connection: Any
    prepared: set[str] = field(default_factory=set)


async def ready(connection: Any) -> None:
    """Wait, without blocking the loop, until the connection has finished its work."""
    loop = asyncio.get_running_loop()
    while True:
        state = connection.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        waiter: asyncio.Future[None] = loop.create_future()
        fd = connection.fileno()

        def wake(done: asyncio.Future[None] = waiter) -> None:
            if not done.done():
                done.set_result(None)

        reading = state == psycopg2.extensions.POLL_READ
        (loop.add_reader if reading else loop.add_writer)(fd, wake)
        try:
            await waiter
        finally:
            (loop.remove_reader if reading else loop.remove_writer)(fd)


class ReadPool:
    """Up to `size` asynchronous connections, opened when first needed."""

    def __init__(self, dsn: str, size: int, options: str) -> None:
        self.dsn, self.size, self.options = dsn, size, options
        self.prepare = True
        """False behind a pooler in transaction mode: a PREPAREd statement lives on one
        server connection, and the next transaction may run on another."""
        self.idle: list[Pooled] = []
        self.slots: asyncio.Semaphore | None = None

    async def connect(self) -> Pooled:
        connection = psycopg2.connect(self.dsn, async_=True, options=self.options)
        await ready(connection)
        return Pooled(connection)

    async def first_row(
        self, statements: Sequence[tuple[str, bool]], params: dict[str, Any]
    ) -> dict[str, Any]:
        """The first row of the last statement, by column name; a connection the server
        dropped is replaced (after a restart every idle one is), once per connection the pool
        may hold."""
        self.slots = self.slots or asyncio.Semaphore(self.size)
        if not self.prepare:
            statements = [(sql, False) for sql, _ in statements]
        async with self.slots:
            for attempt in range(self.size + 1):
                pooled = self.idle.pop() if self.idle else await self.connect()
                try:
                    row = await self.run(pooled, statements, params)
                except psycopg2.OperationalError:
                    dropped = bool(pooled.connection.closed)  # not so for a timeout
                    pooled.connection.close()
                    if not dropped or attempt == self.size:
                        raise
                    continue
                except BaseException:  # an error, or the client left: its state is in doubt
                    pooled.connection.close()
                    raise
                self.idle.append(pooled)
                return row
        raise AssertionError("unreachable")

    @staticmethod
    async def run(
        pooled: Pooled, statements: Sequence[tuple[str, bool]], params: dict[str, Any]
    ) -> dict[str, Any]:
        text, new = prepared.script(pooled.prepared, statements)
        cursor = pooled.connection.cursor()
        cursor.execute(text, params)
        await ready(pooled.connection)
        values = cursor.fetchone()
        names = [column.name for column in cursor.description]
        cursor.close()
        pooled.prepared.update(new)
        return dict(zip(names, values, strict=True))

    def close(self) -> None:
        while self.idle:
            self.idle.pop().connection.close()

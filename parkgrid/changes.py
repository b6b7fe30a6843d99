"""Changes as they commit: one LISTEN connection per process, fanned out to subscribers.

Every event row is announced by the database itself (migration 0005) on channel
`parkgrid_events`, at commit and only then, whichever process or tool wrote it. Each worker
process keeps one dedicated connection listening on it, waited on with the event loop (as
parkgrid.aio waits on the compiled reads: no thread, no blocking call), and hands each notice
to the subscribers that want it, each through a bounded queue of its own:

- a subscriber that falls `queue_size` notices behind is dropped: its queue is emptied and
  ends with `Signal.DROPPED`, so one slow client costs a bounded amount of memory and slows
  nobody else (the subscription closes; its client re-queries);
- the connection is re-opened when it is lost (a database restart), with a growing pause;
  once listening again every subscriber gets `Signal.GAP`: notices committed while nobody
  listened are lost to NOTIFY, and the subscriber reads what it missed from the event log.
  The first LISTEN sends it too, for subscribers that came while it was being opened.

Notices carry ids, never rows: a subscriber reads what it delivers as its own caller. Many
subscribers read the same thing for one notice (a wall of maps, all anonymous), so reads are
shared (`Shared`): the first subscriber to ask starts the read, the others with the same key
(the notice, the statement, the caller's scope) wait for its answer."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
import psycopg2
import psycopg2.extensions

from parkgrid.aio import ready

logger = logging.getLogger("parkgrid.changes")

CHANNEL = "parkgrid_events"
LISTEN = "LISTEN parkgrid_events"
QUEUE_SIZE = 256
"""Notices a subscriber may have waiting before it is dropped."""
RETRY_S = (0.2, 5.0)
"""The first and the longest pause between attempts to listen again."""
CONNECT_TIMEOUT_S = 5.0
STOP_S = 5.0
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
              "keepalives_count": 3}  # fmt: skip
"""A server that vanished without closing the connection is noticed within a minute or so."""
SHARED_S = 5.0
"""How long a shared read's answer is kept for subscribers that ask later (a failure is not)."""

T = TypeVar("T")


class Signal(enum.Enum):
    """What a subscriber may receive besides notices."""

    GAP = "gap"
    """The listener was not listening for a while: notices may have been missed."""
    DROPPED = "dropped"
    """The subscriber fell too far behind and gets nothing more."""


def ids(values: Iterable[Any]) -> frozenset[int]:
    return frozenset(int(value) for value in values)


@dataclass(frozen=True)
class Notice:
    """One committed event: what it is about, and the areas it concerns (as of its write)."""

    id: int
    subject: str
    subject_id: int
    action: str
    enterprise_id: int | None = None
    grids: frozenset[int] = frozenset()
    zones: frozenset[int] = frozenset()
    parks: frozenset[int] = frozenset()

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Notice:
        """A notice as `parkgrid_event_notice` writes it."""
        enterprise = raw.get("enterprise_id")
        return cls(
            int(raw["id"]), str(raw["subject"]), int(raw["subject_id"]), str(raw["action"]),
            None if enterprise is None else int(enterprise),
            ids(raw.get("grids") or ()), ids(raw.get("zones") or ()), ids(raw.get("parks") or ()),
        )  # fmt: skip


def parse(payload: str | bytes) -> list[Notice]:
    """The notices of one notification (a JSON array of them, or a single one)."""
    raw = orjson.loads(payload)
    return [Notice.of(item) for item in (raw if isinstance(raw, list) else [raw])]


@dataclass(frozen=True)
class Interest:
    """Which notices a subscriber wants: of these subjects (all when empty), in these areas."""

    subjects: frozenset[str] = frozenset()
    park: int | None = None
    zone: int | None = None
    grid: int | None = None

    def wants(self, notice: Notice) -> bool:
        return (
            (not self.subjects or notice.subject in self.subjects)
            and (self.park is None or self.park in notice.parks)
            and (self.zone is None or self.zone in notice.zones)
            and (self.grid is None or self.grid in notice.grids)
        )


class Subscriber:
    """A bounded queue of the notices one subscription wants, and the signals."""

    def __init__(self, interest: Interest, size: int = QUEUE_SIZE) -> None:
        self.interest = interest
        self.queue: asyncio.Queue[Notice | Signal] = asyncio.Queue(maxsize=size)
        self.dropped = False

    def offer(self, item: Notice | Signal) -> None:
        """Queue `item` if wanted; never waits. A full queue drops the subscriber."""
        if self.dropped or (isinstance(item, Notice) and not self.interest.wants(item)):
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Signal.DROPPED)
            self.dropped = True

    async def next(self) -> Notice | Signal:
        return await self.queue.get()


class Shared:
    """Reads shared by the subscribers of one process. `once(key, read)`: the first caller
    runs `read()`, callers with the same key meanwhile, and for SHARED_S seconds after,
    get its answer (a failure is dropped at once, so the next caller reads again). A caller
    that goes away does not cancel the read for the others. `moment(about)`: one instant
    for every read about the same thing, so that their statements, which name it, match;
    `remember(key, make)` the same for work done on the loop."""

    def __init__(self, keep_s: float = SHARED_S) -> None:
        self.keep_s = keep_s
        self.reads: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}
        self.moments: dict[Hashable, tuple[float, datetime]] = {}
        self.made: dict[Hashable, tuple[float, Any]] = {}

    def expire(self) -> None:
        old = time.monotonic() - self.keep_s
        for kept in (self.reads, self.moments, self.made):
            while kept and next(iter(kept.values()))[0] < old:  # oldest first
                del kept[next(iter(kept))]

    def remember(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()` once for SHARED_S seconds per key (work on the loop, such as compiling
        the statement of a read)."""
        self.expire()
        if key not in self.made:
            self.made[key] = (time.monotonic(), make())
        found: T = self.made[key][1]
        return found

    def moment(self, about: Hashable) -> datetime:
        self.expire()
        if about not in self.moments:
            self.moments[about] = (time.monotonic(), datetime.now(UTC))
        return self.moments[about][1]

    async def once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        self.expire()
        found = self.reads.get(key)
        future: asyncio.Future[T]
        if found is None:
            future = asyncio.ensure_future(read())
            self.reads[key] = (time.monotonic(), future)
            future.add_done_callback(lambda done: self.settled(key, done))
        else:
            future = found[1]
        answer: T = await asyncio.shield(future)
        return answer

    def settled(self, key: Hashable, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            kept = self.reads.get(key)
            if kept is not None and kept[1] is future:
                del self.reads[key]


class Changes:
    """The process's listener and its subscribers. `start` in the app's lifespan (on the
    running loop), `stop` when it ends."""

    def __init__(self, dsn: str, queue_size: int = QUEUE_SIZE) -> None:
        self.dsn, self.queue_size = dsn, queue_size
        self.subscribers: set[Subscriber] = set()
        self.listening = asyncio.Event()
        """Set while the connection listens (tests and probes wait on it)."""
        self.task: asyncio.Task[None] | None = None
        self.connection: Any = None
        self.stopping = False
        self.shared = Shared()

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run(), name="parkgrid-changes")

    async def stop(self) -> None:
        """Stop listening. The loop is told twice (a flag, and cancelling its task), and
        waited for a bounded time: a cancellation can be lost when it meets a wait that has
        just ended, and shutting down must not hang on it."""
        task, self.task = self.task, None
        self.stopping = True
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_S)
        self.close()

    @contextlib.contextmanager
    def subscribed(self, interest: Interest) -> Iterator[Subscriber]:
        """A subscriber for the block: notices committed from now on reach it."""
        subscriber = Subscriber(interest, self.queue_size)
        self.subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)

    def publish(self, item: Notice | Signal) -> None:
        for subscriber in list(self.subscribers):
            subscriber.offer(item)

    def dispatch(self, payload: str) -> None:
        try:
            found = parse(payload)
        except (ValueError, KeyError, TypeError):  # not ours: someone NOTIFYed by hand
            logger.warning("ignored a notification on %s that is no notice: %.200s",
                           CHANNEL, payload)  # fmt: skip
            return
        for notice in found:
            self.publish(notice)

    async def run(self) -> None:
        """Listen, and listen again whenever the connection is lost, for ever."""
        pause, failing = RETRY_S[0], False
        while not self.stopping:
            try:
                await self.listen()
            except (psycopg2.Error, OSError, TimeoutError) as error:
                self.close()
                if not failing:
                    logger.warning("not listening for changes (%s); trying again", error)
                failing = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_S[1])
                continue
            if failing:
                logger.warning("listening for changes again")
            pause, failing = RETRY_S[0], False
            self.listening.set()
            self.publish(Signal.GAP)
            try:
                await self.receive()
            except (psycopg2.Error, OSError) as error:
                logger.warning("the connection listening for changes was lost (%s)", error)
                failing = True
            finally:
                self.listening.clear()
                self.close()

    async def listen(self) -> None:
        self.connection, _ = await listening(self.dsn, LISTEN)

    async def receive(self) -> None:
        """Hand on notifications as they arrive; raises when the connection is lost."""
        connection = self.connection
        while not self.stopping:
            await readable(connection.fileno())
            connection.poll()
            for payload in received(connection):
                self.dispatch(payload)

    def close(self) -> None:
        connection, self.connection = self.connection, None
        close_quietly(connection)


async def listening(dsn: str, statement: str) -> tuple[Any, tuple[Any, ...] | None]:
    """A new asynchronous connection that has run `statement` (its LISTEN), and the first
    row the statement answered, if any; closed again when that fails."""
    connection = psycopg2.connect(dsn, async_=True, **KEEPALIVES)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await ready(connection)
            cursor = connection.cursor()
            cursor.execute(statement)
            await ready(connection)
            row = cursor.fetchone() if cursor.description else None
        cursor.close()
    except BaseException:
        connection.close()
        raise
    return connection, row


def received(connection: Any) -> list[str]:
    """The payloads of the notifications the connection has read so far, taken from it."""
    pending = [notification.payload for notification in connection.notifies]
    del connection.notifies[:]
    return pending


def close_quietly(connection: Any) -> None:
    if connection is not None and not connection.closed:
        connection.close()


async def readable(fd: int, wake: asyncio.Event | None = None) -> None:
    """Wait, on the loop, until `fd` has something to read (data, or the end of it), or
    `wake` (when given) is set."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def done() -> None:
        if not waiter.done():
            waiter.set_result(None)

    loop.add_reader(fd, done)
    woken = None if wake is None else asyncio.ensure_future(wake.wait())
    if woken is not None:
        woken.add_done_callback(lambda _: done())
    try:
        await waiter
    finally:
        loop.remove_reader(fd)
        if woken is not None:
            woken.cancel()

"""One subscription's stream: replay from the event log, then live, each item read as the
subscriber at the moment it is sent.

The order of a start keeps gaps and duplicates out at the switch-over: the subscriber is
registered with the process's changes first, then the log after `since` is read (without
`since`, after the log's end as it was just before registering), then the queue. A change
that commits meanwhile is in the log, or in the queue, or both; an id already sent is not sent
again. After the listener lost its connection (Signal.GAP) the log is read again from the
highest id sent.

Every item is read with the token signed in again (the scope as of now, so an assignment
ended an hour ago no longer reaches a grid) through the scoped views: an item the caller cannot
read is not sent, and fields are masked as in a query. A token revoked or expired since ends
the connection with close code 4401. Subscribers of one process share the work: a token is
checked once per change for all its connections, and an item is read once for all who ask
for it with the same selection in the same scope (parkgrid.changes.Shared)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, NoReturn, TypeVar

import orjson

from parkgrid.auth.principal import SIGN_IN, SIGNED_IN_SCOPE, sign_in_params, signed_in_scope
from parkgrid.changes import QUEUE_SIZE, Interest, Notice, Signal, parse
from parkgrid.errors import InvalidInput, NotFound, ReplayTooLong, Unauthenticated, Unavailable
from resolvers.reads import changes as sql
from resolvers.reads.request import Limits, compile_request
from resolvers.reads.selection import Selection
from schema.context import Context, Info, Live, park_today
from schema.reading import resolving

T = TypeVar("T")

REPLAY_LIMIT = 1_000
"""The most events of the log one replay reads; more is REPLAY_TOO_LONG (re-query)."""
SEEN = 2 * (REPLAY_LIMIT + QUEUE_SIZE)
"""Ids remembered against duplicates: a replay's worth and the queue's, twice over (a live
notice repeating a replayed one arrives while the queue holds what came meanwhile)."""
MAX_ID = 2**63 - 1
"""The largest bigint, so the largest event id."""
RETRIES_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
"""Pauses before reading an item again while the database is unavailable; then 4503."""


class CloseCode(IntEnum):
    """How the service ends a subscription connection (besides the protocol's own)."""

    TOKEN_INVALID = 4401
    """The token was revoked or has expired since `connection_init` (the reason says which)."""
    TOKEN_REFUSED = 4403
    """`connection_init` carried a token that is unknown, expired or revoked."""
    MISSED = 4410
    """The database connection was lost, and more changes followed than a replay reads."""
    BEHIND = 4413
    """The client fell behind (QUEUE_SIZE changes waiting to be sent)."""
    UNAVAILABLE = 4503
    """The database stayed unavailable: try again shortly, with `since`."""


@dataclass(frozen=True)
class Kind:
    """A subscription field: its payload type and the event subjects it carries."""

    typename: str
    subjects: frozenset[str]


@dataclass(frozen=True)
class Areas:
    park: str | None = None
    zone: str | None = None
    grid: str | None = None


class Seen:
    """The ids most recently sent (or passed over), a bounded number of them."""

    def __init__(self, size: int = SEEN) -> None:
        self.order: deque[int] = deque()
        self.ids: set[int] = set()
        self.size = size

    def __contains__(self, event_id: object) -> bool:
        return event_id in self.ids

    def add(self, event_id: int) -> None:
        self.ids.add(event_id)
        self.order.append(event_id)
        if len(self.order) > self.size:
            self.ids.discard(self.order.popleft())


class Ended(Exception):
    """The stream closed the connection (with a close code): nothing more to send."""


def since_id(since: str | None) -> int | None:
    if since is None:
        return None
    try:
        found = int(since)
    except ValueError:
        found = -1
    if not 0 <= found <= MAX_ID:
        raise InvalidInput("must be an event id (a whole number)", field="since")
    return found


class Stream:
    """The state of one subscription as it runs."""

    def __init__(self, info: Info, kind: Kind, statuses: frozenset[str] | None) -> None:
        context = info.context
        if context.live is None:
            raise InvalidInput("subscriptions are served over WebSocket (graphql-transport-ws)")
        self.context: Context = context
        self.live: Live = context.live
        self.kind, self.statuses = kind, statuses
        self.selection: Selection = resolving(info)
        self.shape = repr(self.selection)
        """What the selection asks, as a key: equal for equal documents."""
        self.limits = Limits.of(context.api, context.ledger)
        self.seen = Seen()
        self.cursor = 0
        self.interest = Interest(kind.subjects)

    async def start(self, areas: Areas) -> int:
        """The areas' ids (NOT_FOUND for an unknown code) into the interest; returns where
        the log ends now."""
        params = {"park": areas.park, "zone": areas.zone, "grid": areas.grid}
        row = await self.live.db.at_once([(sql.START, True)], params)
        for name, code in params.items():
            if code is not None and row[name] is None:
                raise NotFound(f"no {name} has the code {code!r}", field=name)
        self.interest = Interest(self.kind.subjects, row["park"], row["zone"], row["grid"])
        return int(row["head"])

    async def replay(self, since: int) -> list[Notice]:
        params = {"since": since, "limit": REPLAY_LIMIT + 1}
        row = await self.live.db.at_once([(sql.REPLAY, True)], params)
        if row["found"] > REPLAY_LIMIT:
            raise ReplayTooLong(
                f"more than {REPLAY_LIMIT:,} changes followed event {since}: query what you"
                " need, then subscribe without since",
                field="since",
            )
        self.cursor = max(self.cursor, since)
        return parse(row["notices"])

    async def deliver(self, notice: Notice) -> Any:
        """The item to send for `notice`, or None when there is none for this caller;
        retried while the database is unavailable, and then the connection ends."""
        if notice.id in self.seen or not self.interest.wants(notice):
            return None
        item = await self.read_patiently(notice)
        self.seen.add(notice.id)
        self.cursor = max(self.cursor, notice.id)
        return item

    async def read_patiently(self, notice: Notice) -> Any:
        return await self.patiently(self.read, notice)

    async def patiently(self, reading: Callable[[T], Awaitable[Any]], about: T) -> Any:
        """`reading(about)`, again after a pause while the database is unavailable (a
        restart), until the pauses run out; a token refused now ends the connection."""
        for pause in RETRIES_S:
            try:
                return await reading(about)
            except Unavailable:
                await asyncio.sleep(pause)
            except Unauthenticated as refused:
                await self.end(CloseCode.TOKEN_INVALID, refused.message)
        await self.end(CloseCode.UNAVAILABLE, "the database is unavailable; subscribe again"
                       f" shortly with since: {self.cursor}")  # fmt: skip

    async def read(self, notice: Notice) -> Any:
        """The payload of `notice` as the caller reads it now, if they may."""
        parts = [
            ("change", sql.change(self.kind.typename, self.selection, notice.id)),
            ("visible", sql.visible(notice.subject, notice.action, notice.subject_id)),
        ]
        if self.statuses is not None:
            parts.append(("status", sql.issue_status(notice.subject_id)))
        found = await self.answer(parts, ("notice", notice.id), self.statuses)
        if not found["visible"] or found["change"] is None:
            return None
        if self.statuses is not None and found.get("status") not in self.statuses:
            return None
        return found["change"]

    async def answer(
        self, parts: list[tuple[str, sql.Builder]], about: Hashable, *asked: Hashable
    ) -> dict[str, Any]:
        """The parts' JSON as the caller reads it now, with the token signed in again
        (UNAUTHENTICATED when it is no longer good). The parts read `about` (a notice, an
        area after an event) with this stream's selection and what else is `asked`. The
        work is shared with the process's other subscribers (parkgrid.changes.Shared): the
        token's check with those holding the same token, the statement and its read with
        those asking the same in the same scope, at one instant; so a thousand maps cost one
        read per change, not a thousand."""
        shared = self.live.changes.shared
        now = shared.moment(about)
        scope = await self.scope(about, now)
        staff = scope.get("parkgrid.principal", "anonymous") not in ("", "anonymous")
        today = park_today(self.context.api, now)
        shape = (about, self.kind.typename, self.shape, *asked, staff)
        plan = shared.remember(
            ("plan", *shape), lambda: compile_request(parts, self.limits, today, now, staff)
        )
        db = self.live.db.scoped(scope) if staff else self.live.db

        async def read() -> dict[str, Any]:
            row = await db.at_once([(plan.sql, True)], dict(plan.params))
            error = plan.refusal(row["guards"])
            if error is not None:
                raise error
            found: dict[str, Any] = orjson.loads(row["data"])
            return found

        # one object for all: schema.live_events executes the message once for them too
        shared_found: dict[str, Any] = await shared.once(
            ("read", *shape, *sorted(scope.items())), read
        )
        return shared_found

    async def scope(self, about: Hashable, now: datetime) -> dict[str, str]:
        """The caller's read scope now (none: anonymous), from the token signed in again."""
        header = self.live.authorization
        if header is None:
            return {}
        statements = [(SIGN_IN, True), (SIGNED_IN_SCOPE, True)]
        row = await self.live.changes.shared.once(
            ("sign-in", header, about),
            lambda: self.live.db.at_once(statements, sign_in_params(header, now)),
        )
        return signed_in_scope(row)

    async def end(self, code: CloseCode, reason: str) -> NoReturn:
        await self.live.close(int(code), reason)
        raise Ended(reason)


async def stream(
    info: Info,
    kind: Kind,
    areas: Areas,
    since: str | None,
    statuses: frozenset[str] | None = None,
) -> AsyncGenerator[Any, None]:
    """The items of one subscription, until the client ends it or the connection closes."""
    run = Stream(info, kind, statuses)
    given = since_id(since)
    head = await run.start(areas)
    try:
        with run.live.changes.subscribed(run.interest) as subscriber:
            pending = await run.replay(head if given is None else given)
            while True:
                for notice in pending:
                    item = await run.deliver(notice)
                    if item is not None:
                        yield item
                pending = await handled(run, await subscriber.next())
    except Ended:
        return


async def handled(run: Stream, item: Notice | Signal) -> list[Notice]:
    """The notices an item of the queue stands for: itself, or after a gap what the log
    holds since the last one sent; falling behind ends the connection."""
    if item is Signal.DROPPED:
        await run.end(CloseCode.BEHIND, "fell behind: too many changes waited to be sent;"
                      f" query again, then subscribe with since: {run.cursor}")  # fmt: skip
    if item is Signal.GAP:
        try:
            return await run.replay(run.cursor)
        except ReplayTooLong:
            await run.end(CloseCode.MISSED, "changes were missed while the database was away;"
                          " query again, then subscribe")  # fmt: skip
        except Unavailable:
            await run.end(CloseCode.UNAVAILABLE, "the database is unavailable; subscribe again"
                          f" shortly with since: {run.cursor}")  # fmt: skip
    assert isinstance(item, Notice)
    return [item]

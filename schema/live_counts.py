"""areaCountsChanged: a grid's or zone's counts after the changes that move them, coalesced.

A map shading grids by open issues needs the new counts, not every change: each change that
can move a count (an issue reported, moving through its lifecycle or becoming overdue as the
park's day turned, an enterprise registered or changing grid, a zone or grid reshaped) marks
the areas it concerns, and each marked area
is read and sent at most once per COALESCE_S: the first change at once, those that follow
within the second together, when it is up. Each message carries the last event it counts.
There is nothing to replay (a client that reconnects queries the counts); after the listener
lost its connection the log since the last event is read for the areas it marks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Any

from parkgrid.changes import Notice
from resolvers.reads import changes as sql
from schema.context import Info
from schema.live_stream import Areas, Ended, Kind, Stream, handled

COALESCE_S = 1.0
COUNTED = frozenset({
    ("issue", "reported"), ("issue", "status_changed"), ("issue", "overdue"),
    ("enterprise", "registered"), ("enterprise", "grid_changed"),
    ("grid", "upserted"), ("zone", "upserted"),
})  # fmt: skip
"""The (subject, action) pairs of events that can change an area's counts."""
COUNTS = Kind("AreaCountsChange", frozenset(subject for subject, _ in COUNTED))
Area = tuple[str, int]
"""("grid" | "zone", id)."""


class Coalescer:
    """Areas marked by changes, each due once COALESCE_S has passed since it was last sent."""

    def __init__(self, interval: float = COALESCE_S) -> None:
        self.interval = interval
        self.marked: dict[Area, int] = {}  # area: the last event marking it
        self.sent: dict[Area, float] = {}  # area: when it was last sent

    def mark(self, notice: Notice) -> None:
        areas = [("grid", g) for g in notice.grids] + [("zone", z) for z in notice.zones]
        for area in areas:
            self.marked[area] = max(self.marked.get(area, 0), notice.id)

    def due_at(self, area: Area) -> float:
        return self.sent.get(area, float("-inf")) + self.interval

    def wait_s(self) -> float | None:
        """Seconds until the next marked area is due (None: nothing is marked)."""
        if not self.marked:
            return None
        return max(min(self.due_at(area) for area in self.marked) - time.monotonic(), 0.0)

    def due(self) -> list[tuple[Area, int]]:
        """The marked areas due now, unmarked and stamped as sent."""
        now = time.monotonic()
        ready = [(area, event) for area, event in self.marked.items() if self.due_at(area) <= now]
        for area, _ in ready:
            del self.marked[area]
            self.sent[area] = now
        self.sent = {a: at for a, at in self.sent.items() if at + self.interval > now}
        return ready


async def read_area(run: Stream, marked: tuple[Area, int]) -> Any:
    """The counts payload of one area as the caller reads it now; None outside the filter."""
    (kind, area_id), event_id = marked
    interest = run.interest
    found = await run.answer([
        ("change", sql.area_change(run.selection, kind, area_id, event_id)),
        ("visible", sql.area_within(kind, area_id, interest.park, interest.zone)),
    ], ("area", kind, area_id, event_id), interest.park, interest.zone)  # fmt: skip
    return found["change"] if found["visible"] else None


async def next_item(run: Stream, wait: Any, timeout: float | None) -> list[Notice]:
    """The notices of the next queue item, or none when `timeout` passes first."""
    try:
        async with asyncio.timeout(timeout):  # not wait_for: it can lose a cancellation
            item = await wait()
    except TimeoutError:
        return []
    return await handled(run, item)


async def counts(info: Info, park: str | None, zone: str | None) -> AsyncGenerator[Any, None]:
    """The counts of the areas changes touch, until the client ends it."""
    run = Stream(info, COUNTS, None)
    run.cursor = await run.start(Areas(park, zone))
    coalescer = Coalescer()
    try:
        with run.live.changes.subscribed(run.interest) as subscriber:
            while True:
                for notice in await next_item(run, subscriber.next, coalescer.wait_s()):
                    if notice.id not in run.seen and run.interest.wants(notice):
                        run.seen.add(notice.id)
                        run.cursor = max(run.cursor, notice.id)
                        if (notice.subject, notice.action) in COUNTED:
                            coalescer.mark(notice)
                for marked in coalescer.due():
                    item = await run.patiently(lambda m: read_area(run, m), marked)
                    if item is not None:
                        yield item
    except Ended:
        return

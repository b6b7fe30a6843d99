"""The check at each park midnight for issues that became overdue (resolvers.writes.overdue).

Every worker process of every instance runs it: at start (to catch up after the service was
down over a midnight) and then just after each midnight of the park's calendar (the time
zone of PARKGRID_API_TIMEZONE, the one that decides "overdue"). The database decides which
one writes the events, so running it everywhere announces each day once. It runs on a
connection of its own (once a day), not one of the pool that answers requests. A check that
fails (the primary is down, the database not yet migrated) is tried again after RETRY_S."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy.exc import SQLAlchemyError

from parkgrid.db import one_off
from parkgrid.settings import ApiSettings
from resolvers.writes.overdue import announce_overdue
from schema.context import park_today

logger = logging.getLogger("parkgrid.overdue")

AFTER_MIDNIGHT_S = 1.0
"""How long after the park's midnight the check runs (a clock a little behind still has the
new day by then)."""
RETRY_S = 60.0
STOP_S = 5.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def until_midnight(now: datetime, zone: str) -> float:
    """Seconds from `now` to the next midnight in time zone `zone`."""
    tz = ZoneInfo(zone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return (datetime.combine(tomorrow, time(), tzinfo=tz) - now).total_seconds()


class OverdueCheck:
    """`check(now)` once; `start()` the loop on the running event loop, `stop()` it."""

    def __init__(self, url: str, api: ApiSettings, clock: Callable[[], datetime] = utc_now) -> None:
        self.url, self.api, self.clock = url, api, clock
        self.task: asyncio.Task[None] | None = None

    async def check(self, now: datetime | None = None) -> list[int]:
        """The ids of the issues this check announced as overdue at `now` (the clock's now)."""
        today = park_today(self.api, now or self.clock())
        announced = await anyio.to_thread.run_sync(self.announce, today)
        if announced:
            logger.info("announced %d issues overdue on %s", len(announced), today)
        return announced

    def announce(self, today: date) -> list[int]:
        with one_off(self.url) as conn:
            return announce_overdue(conn, today)

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run(), name="parkgrid-overdue")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_S)

    async def run(self) -> None:
        while True:
            try:
                await self.check()
                pause = until_midnight(self.clock(), self.api.timezone) + AFTER_MIDNIGHT_S
            except SQLAlchemyError as error:  # down, or not yet migrated
                logger.warning("the overdue check failed (%s); trying again", error)
                pause = RETRY_S
            await asyncio.sleep(pause)

"""The service's own bookkeeping in PostgreSQL: rate-limit counters shared by every worker
and instance, and when each token was last used.

Both write to the primary on a small pool of asynchronous connections of their own (never
the request's read pool, which may read from a replica), one statement per text: a count
is one upsert whose answer says whether the request is within its limit and how long the
window has left; the window is the database clock's, the same for every instance."""

from __future__ import annotations

import math
from dataclasses import dataclass

from parkgrid.aio import ReadPool

COUNT = """
WITH w AS (SELECT clock_timestamp() AS at,
                  CAST(floor(extract(epoch FROM clock_timestamp()) / %(window_s)s) AS bigint) AS n)
INSERT INTO public.rate_count AS r (key, window_number, hits)
SELECT %(key)s, w.n, 1 FROM w
ON CONFLICT (key, window_number) DO UPDATE SET hits = r.hits + 1
RETURNING r.hits, r.window_number,
  CAST((r.window_number + 1) * %(window_s)s - extract(epoch FROM (SELECT at FROM w)) AS float8)
    AS left_s"""
FORGET = """
WITH d AS (DELETE FROM public.rate_count WHERE window_number < %(before)s RETURNING 1)
SELECT count(*) AS deleted FROM d"""
TOKEN_USED = """
WITH u AS (
  UPDATE public.api_token SET last_used_at = now(), last_used_from = CAST(%(address)s AS inet)
  WHERE id = %(token_id)s
    AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => %(every_s)s))
  RETURNING id)
SELECT count(*) AS written FROM u"""
USE_EVERY_S = 60
"""A token's use is written at most once a minute (per process; the database skips the
rest): the record is "when, roughly, and from where", not a log of requests."""
POOL_SIZE = 4


@dataclass(frozen=True)
class Count:
    hits: int
    window: int
    left_s: float

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.left_s))


class Bookkeeping:
    """Counts and token use on connections of its own to the primary."""

    def __init__(self, dsn: str, options: str) -> None:
        self.pool = ReadPool(dsn, POOL_SIZE, options)
        self.forgotten_before = 0
        self.used_at: dict[int, float] = {}

    async def count(self, key: str, window_s: int) -> Count:
        """This request counted under `key`; windows two behind are deleted once each."""
        row = await self.pool.first_row([(COUNT, True)], {"key": key, "window_s": window_s})
        found = Count(row["hits"], row["window_number"], row["left_s"])
        if found.window - 1 > self.forgotten_before:
            self.forgotten_before = found.window - 1
            await self.pool.first_row([(FORGET, True)], {"before": self.forgotten_before})
        return found

    def due(self, token_id: int, now: float) -> bool:
        """Whether this process has not written the token's use for a minute."""
        last = self.used_at.get(token_id)
        if last is not None and now - last < USE_EVERY_S:
            return False
        self.used_at[token_id] = now
        return True

    async def token_used(self, token_id: int, address: str | None) -> None:
        params = {"token_id": token_id, "address": address, "every_s": USE_EVERY_S}
        await self.pool.first_row([(TOKEN_USED, True)], params)

    def close(self) -> None:
        self.pool.close()

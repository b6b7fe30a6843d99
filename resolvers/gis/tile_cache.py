"""Tiles kept between requests, and exactly as long as the data under them is unchanged.

A cached tile is keyed by what it shows (layer, address, day, the caller's scope) and stamped
with the database snapshot it was built under. A request first reads the current snapshot
(`pg_current_snapshot()`: the running and next transaction ids of the whole cluster); equal
snapshots see the same committed data, so an equal stamp means the tile is still exact. Any
commit since, anywhere, gives a new snapshot and the tile is built again. Bounded by bytes,
least recently used first out."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid import metrics

SNAPSHOT = text("SELECT CAST(pg_current_snapshot() AS text)")


@dataclass(frozen=True)
class Tile:
    body: bytes
    etag: str


def tagged(body: bytes) -> Tile:
    return Tile(body, '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"')


class TileCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self.entries: OrderedDict[Hashable, tuple[str, Tile]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, snapshot: str) -> Tile | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None or found[0] != snapshot:
                stale = found is not None
                metrics.TILE_CACHE.labels("miss").inc()
                metrics.TILE_CACHE_EVENTS.labels("invalidated").inc(stale)
                return None
            self.entries.move_to_end(key)
            metrics.TILE_CACHE.labels("hit").inc()
            return found[1]

    def put(self, key: Hashable, snapshot: str, tile: Tile) -> None:
        if len(tile.body) > self.max_bytes:
            return
        with self.lock:
            self.drop(key)
            self.entries[key] = (snapshot, tile)
            self.used += len(tile.body)
            metrics.TILE_CACHE_BYTES.inc(len(tile.body))
            while self.used > self.max_bytes:
                self.drop(next(iter(self.entries)))
                metrics.TILE_CACHE_EVENTS.labels("evicted").inc()

    def drop(self, key: Hashable) -> None:
        found = self.entries.pop(key, None)
        if found is not None:
            self.used -= len(found[1].body)
            metrics.TILE_CACHE_BYTES.dec(len(found[1].body))

    def fetch(self, conn: Connection, key: Hashable, build: Callable[[Connection], bytes]) -> Tile:
        """The tile under `key`, from the cache when the data has not changed since."""
        snapshot = str(conn.execute(SNAPSHOT).scalar_one())
        found = self.get(key, snapshot)
        if found is None:
            found = tagged(build(conn))
            self.put(key, snapshot, found)
        return found

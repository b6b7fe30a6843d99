"""Tiles kept between requests, and exactly as long as the data under them is unchanged.

A kept tile is keyed by what it shows (layer, address, day, the caller's scope) and stamped
with the change stamp of its layer over its area, which the database keeps (migration 0006):
triggers on the tables the tiles read count every committed change per layer and per cell of
the map, and `parkgrid_tile_stamp` sums the counts under a tile's buffered box. The counts
only grow, so an equal stamp means nothing the tile shows has changed since it was built, and
a change elsewhere (another area, another layer, a visit) leaves it kept. The stamp is read
before the tile is built: a change that commits in between raises the next stamp and the
tile is built again, never kept stale. Every process and replica reads the same stamps.

The ETag stays a digest of the tile's bytes: equal everywhere for equal content, and it
cannot collide with an older tile of the same stamp after a database is restored or rebuilt.
Bounded by bytes, least recently used first out."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from parkgrid import metrics
from parkgrid.prepared import execute_scalar
from resolvers.gis.tiles import ENVELOPE

STAMP = f"{ENVELOPE} SELECT parkgrid_tile_stamp(%(layer)s, b.area) FROM b"
"""The tile's area as its own statement computes it (`b.area`), and its layer's stamp there."""


@dataclass(frozen=True)
class Tile:
    body: bytes
    etag: str


@dataclass(frozen=True)
class Place:
    """Where a tile is: its layer and address."""

    layer: str
    z: int
    x: int
    y: int


def tagged(body: bytes) -> Tile:
    return Tile(body, '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"')


def stamp(conn: Connection, place: Place) -> int:
    """The count of committed changes to `place`'s layer under its area (one index range)."""
    params = {"layer": place.layer, "z": place.z, "x": place.x, "y": place.y}
    return int(execute_scalar(conn, STAMP, params))


class TileCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self.entries: OrderedDict[Hashable, tuple[int, Tile]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, stamped: int) -> Tile | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None or found[0] != stamped:
                stale = found is not None
                metrics.TILE_CACHE.labels("miss").inc()
                metrics.TILE_CACHE_EVENTS.labels("invalidated").inc(stale)
                return None
            self.entries.move_to_end(key)
            metrics.TILE_CACHE.labels("hit").inc()
            return found[1]

    def put(self, key: Hashable, stamped: int, tile: Tile) -> None:
        if len(tile.body) > self.max_bytes:
            return
        with self.lock:
            self.drop(key)
            self.entries[key] = (stamped, tile)
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

    def fetch(
        self,
        conn: Connection,
        key: Hashable,
        place: Place,
        build: Callable[[Connection], bytes],
        kept: bool = True,
    ) -> tuple[Tile, bool]:
        """The tile under `key`, from the cache when nothing it shows has changed since, and
        whether it came from the cache. A tile of a layer whose changes the database does not
        count (`kept` false) is built every time: no stamp could say it is still current."""
        if not kept:
            return tagged(build(conn)), False
        stamped = stamp(conn, place)
        found = self.get(key, stamped)
        if found is not None:
            return found, True
        built = tagged(build(conn))
        self.put(key, stamped, built)
        return built, False

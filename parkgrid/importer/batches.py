"""How many features the import handles at a time, shapes sent to PostGIS by the batch, and
the next chunk read while the last is written.

Why chunks: a file is read, checked and written CHUNK_SIZE features at a time (see
importer.pipeline), so what an import holds in memory depends on the chunk, not on the file.
Within a chunk, queries that send shapes go BATCH_SIZE at a time: an area may have up to
kinds.MAX_POSITIONS positions, and a thousand of them is already a large statement."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from queue import Full, Queue
from typing import Any, TypeVar

import shapely
from shapely.geometry.base import BaseGeometry

from geo.srid import STORAGE_SRID

T = TypeVar("T")

CHUNK_SIZE = 10_000
"""Features read, checked and written together: large enough that each statement's cost is
spread over many rows, small enough that a chunk's features, shapes and rows take tens of
megabytes (see the README's bench of a million enterprises)."""
BATCH_SIZE = 1000


def batches(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ewkb(shapes: Sequence[BaseGeometry], srid: int = STORAGE_SRID) -> list[bytes]:
    """Extended WKB (carrying the SRID) of many shapes in one call to GEOS, for binding as
    a bytea[] (geo.shape.to_ewkb does one)."""
    given = shapely.set_srid(list(shapes), srid)
    return [bytes(data) for data in shapely.to_wkb(given, include_srid=True)]


def ahead(items: Iterable[T], depth: int = 1) -> Generator[T, None, None]:
    """The items, made in a thread of their own up to `depth` ahead of the one taken.

    Why: an import's time goes half to Python reading and checking rows and half to
    PostgreSQL writing them, and the driver lets go of the interpreter while it waits on the
    server; so the next chunk is read while the last is written. An error making an item is
    raised here, where the item would have been; stopping early stops the thread."""
    maker = Maker(items, depth)
    maker.start()
    try:
        yield from maker.taken()
    finally:
        maker.stop.set()
        maker.join()


class Maker(threading.Thread):
    """Goes through `items` into a queue of `depth`, then puts the end (None) or the error
    that stopped it, unless told to `stop`."""

    def __init__(self, items: Iterable[Any], depth: int) -> None:
        super().__init__(name="parkgrid-import-read", daemon=True)
        self.items = items
        self.queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            for item in self.items:
                if not self.put(False, item):
                    return
            self.put(True, None)
        except BaseException as exc:  # handed to the consumer, which raises it
            self.put(True, exc)

    def put(self, done: bool, value: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put((done, value), timeout=0.1)
                return True
            except Full:
                continue
        return False

    def taken(self) -> Iterator[Any]:
        while True:
            done, value = self.queue.get()
            if not done:
                yield value
            elif value is None:
                return
            else:
                raise value

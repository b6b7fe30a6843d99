"""A list of an import's rows or problems that may be as long as the file: the first items in
memory, the rest spooled to an anonymous temporary file.

Why: a report lists every new, changed, unchanged and rejected row, and a file of a million
enterprises makes lists of a million; held in memory they would make an import's memory grow
with its file, which is what streaming exists to avoid. Yet the lists are still wanted whole
(the `--report` workbook has every row, the API gives each list's total), so they are kept
on disk, read back in order whenever iterated, and the file goes when the listing does."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import IO, Any, TypeVar, overload

T = TypeVar("T")

HEAD = 1_000
"""Items kept in memory: the first a terminal or an API page shows."""
BLOCK = 2_000
"""Items pickled together to the spool (fewer, larger writes)."""


class Listing(Sequence[T]):
    """Items in the order appended; a sequence like a tuple (equal to one with the same
    items), its length the total appended, whatever lies on disk."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._head: list[T] = []
        self._pending: list[T] = []
        self._spool: IO[bytes] | None = None
        self._total = 0
        self.extend(items)

    def append(self, item: T) -> None:
        self._total += 1
        if len(self._head) < HEAD:
            self._head.append(item)
            return
        self._pending.append(item)
        if len(self._pending) >= BLOCK:
            self._flush()

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def _flush(self) -> None:
        if self._spool is None:
            # kept open for the listing's life (closed by __del__), so no `with`
            self._spool = tempfile.TemporaryFile(prefix="parkgrid-import-")  # noqa: SIM115
        self._spool.seek(0, 2)
        pickle.dump(self._pending, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
        self._pending = []

    def __len__(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[T]:
        yield from self._head
        if self._spool is not None:
            position = 0
            # the end and the place are sought each time: another iteration may have moved
            # them, or items appended since may have been spooled
            while position < self._spool.seek(0, 2):
                self._spool.seek(position)
                block: list[T] = pickle.load(self._spool)
                position = self._spool.tell()
                yield from block
        yield from list(self._pending)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return self._sliced(index)
        if index < 0:
            index += self._total
        if not 0 <= index < self._total:
            raise IndexError("listing index out of range")
        if index < len(self._head):
            return self._head[index]
        return next(islice(self, index, None))

    def _sliced(self, index: slice) -> tuple[T, ...]:
        """From memory when the slice lies in the head (an API page), else read in order."""
        start, stop, step = index.indices(self._total)
        if step < 0:
            return tuple(self)[index]
        if stop <= len(self._head):
            return tuple(self._head[index])
        return tuple(islice(self, start, stop, step))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Listing | tuple | list):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(map(repr, self._head[:3]))
        more = f", ... {self._total - 3} more" if self._total > 3 else ""
        return f"Listing([{shown}{more}])"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Listing, (list(self),))

    def __del__(self) -> None:
        if self._spool is not None:
            self._spool.close()

"""Going through many features in batches, with progress shown on a terminal."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from rich.console import Console
from rich.progress import track

T = TypeVar("T")

BATCH_SIZE = 1000
PROGRESS_THRESHOLD = 2000


def batches(items: Sequence[T], size: int = BATCH_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def tracked(items: Sequence[T], description: str, features: int) -> Iterable[T]:
    """Show progress on a terminal's stderr while going through `items` of many features."""
    console = Console(stderr=True)
    if features <= PROGRESS_THRESHOLD or not console.is_terminal:
        return items
    return track(items, description=description, console=console, transient=True)

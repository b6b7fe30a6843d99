"""An import's progress on a terminal: the file's features checked and written so far.

Why one bar for the whole import: a file is read, checked and written a chunk at a time
(importer.pipeline), so the features done is what an operator waiting on a million rows
wants to see, with the rate and the time left. It goes to stderr, and only on a terminal
and for a file large enough to wait for: a small file's output, and anything piped or
captured, stay as they were."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PROGRESS_THRESHOLD = 2000
"""Features below which an import is quick enough to show nothing."""


class Advance(Protocol):
    def __call__(self, done: int, description: str | None = None) -> None: ...


def quiet(done: int, description: str | None = None) -> None:
    """No progress shown."""


@contextmanager
def progress(total: int, description: str) -> Iterator[Advance]:
    """A function to call with the features done since its last call (and, when it changes,
    what is being done), shown as a bar on a terminal's stderr for `total` features."""
    console = Console(stderr=True)
    if total <= PROGRESS_THRESHOLD or not console.is_terminal:
        yield quiet
        return
    columns = (
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
        TextColumn("elapsed,"), TimeRemainingColumn(), TextColumn("left"),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total, rate="")

        def advance(done: int, description: str | None = None) -> None:
            speed = bar.tasks[0].speed
            rate = f"{speed:,.0f}/s" if speed else ""
            bar.update(task, advance=done, description=description, rate=rate)

        yield advance

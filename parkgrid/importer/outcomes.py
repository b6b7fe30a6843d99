"""What an import ends in: a report of what changed, or a rejection listing every problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

DETAIL_LENGTH = 200


@dataclass(frozen=True)
class Problem:
    """What is wrong with one property of one feature (index None: with the whole file)."""

    index: int | None
    property: str
    reason: str

    def render(self) -> str:
        where = "" if self.index is None else f"features[{self.index}] "
        return f"{where}{self.property}: {self.reason}"


class ImportRejected(Exception):
    """The file was refused and nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: -1 if p.index is None else p.index)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"import rejected, nothing was changed ({count} {plural(count, 'problem')}):"]
        return "\n".join(lines + [f"  {problem.render()}" for problem in self.problems])


def whole_file(prop: str, reason: str) -> ImportRejected:
    """A rejection for one problem with the file as a whole, not any one feature."""
    return ImportRejected([Problem(None, prop, reason)])


@dataclass(frozen=True)
class ImportReport:
    kind: str
    inserted: int
    updated: int
    unchanged: int
    grid_changes: int
    outside_parks: int = 0

    def __str__(self) -> str:
        text = (
            f"{self.kind}: {self.inserted} inserted, {self.updated} updated,"
            f" {self.unchanged} unchanged; {self.grid_changes} enterprises changed grid"
        )
        return text + self.outside_note()

    def outside_note(self) -> str:
        """Enterprises outside every park are kept (a park may come later) but said."""
        count = self.outside_parks
        if not count:
            return ""
        verb = "lies" if count == 1 else "lie"
        return f"; {count} {plural(count, 'enterprise')} {verb} outside every park"


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def database_reason(exc: DBAPIError) -> str:
    diag = getattr(exc.orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(exc.orig).strip().partition("\n")[0]
    detail = getattr(diag, "message_detail", None)
    return f"{primary} ({detail[:DETAIL_LENGTH]})" if detail else str(primary)

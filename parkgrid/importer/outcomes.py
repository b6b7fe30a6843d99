"""What an import ends in: a report of what changed, or a rejection listing every problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

DETAIL_LENGTH = 200
FEW = 5
"""How many features a problem about many names before it only counts the rest."""


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
        """Features the import was allowed to put outside the parks are kept but said."""
        count = self.outside_parks
        if not count:
            return ""
        noun = plural(count, self.kind.removesuffix("s"))
        where = "outside every park" if self.kind == "enterprises" else "partly outside their park"
        return f"; {count} {noun} {verb(count)} {where}"


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def verb(count: int) -> str:
    return "lies" if count == 1 else "lie"


def listed(labels: Sequence[str]) -> str:
    """The first few, then how many more."""
    rest = len(labels) - FEW
    return ", ".join(labels[:FEW]) + (f" and {rest} more" if rest > 0 else "")


def database_reason(exc: DBAPIError) -> str:
    diag = getattr(exc.orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(exc.orig).strip().partition("\n")[0]
    detail = getattr(diag, "message_detail", None)
    return f"{primary} ({detail[:DETAIL_LENGTH]})" if detail else str(primary)

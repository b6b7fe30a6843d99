"""What an import ends in: a report of what changed, or a rejection listing every problem."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from sqlalchemy.exc import DBAPIError

from parkgrid.importer.listing import Listing

DETAIL_LENGTH = 200
FEW = 5
"""How many features a problem about many names before it only counts the rest."""
SHOWN = 1_000
"""Problems a rejection prints (a file of a million bad rows must not print a million lines:
the `--report` workbook lists them all)."""


@dataclass(frozen=True)
class Problem:
    """What is wrong with one property of one feature (index None: with the whole file).
    `where` is the place as the office finds it in its own file ("row 12 column 经度",
    "feature 3 (name 湘阴电子), field 名称"; see importer.locations); without it the feature
    is named by its index in a GeoJSON `features` array."""

    index: int | None
    property: str
    reason: str
    where: str | None = None

    def render(self) -> str:
        if self.where is not None:
            return f"{self.where}: {self.reason}"
        where = "" if self.index is None else f"features[{self.index}] "
        return f"{where}{self.property}: {self.reason}"


def by_index(problem: Problem) -> int:
    """Problems are listed by the feature they are about, the whole file's first."""
    return -1 if problem.index is None else problem.index


class ImportRejected(Exception):
    """The file was refused and nothing was written. `report`, when the import got as far as
    checking the features, lists every rejected row (and, for a dry run, what the rows that
    passed would have done), for `--report` and the API. `problems` is sorted by feature; a
    Listing given is taken as sorted already (a stream's problems come in order)."""

    def __init__(self, problems: Iterable[Problem], report: ImportReport | None = None) -> None:
        self.problems: Sequence[Problem] = (
            problems if isinstance(problems, Listing) else sorted(problems, key=by_index)
        )
        self.report = report
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"import rejected, nothing was changed ({count} {plural(count, 'problem')}):"]
        lines += [f"  {problem.render()}" for problem in islice(self.problems, SHOWN)]
        if count > SHOWN:
            lines.append(f"  ... and {count - SHOWN} more (--report FILE.xlsx lists them all)")
        return "\n".join(lines)


def whole_file(prop: str, reason: str) -> ImportRejected:
    """A rejection for one problem with the file as a whole, not any one feature."""
    return ImportRejected([Problem(None, prop, reason)])


@dataclass(frozen=True)
class Places:
    """How a format numbers its features, to name feature i without a list of names as long
    as the file: "row 12" (a table's rows, the first feature's row `first`), "feature 3"."""

    noun: str
    first: int

    def name(self, index: int) -> str:
        return f"{self.noun} {self.first + index}"


@dataclass(frozen=True)
class Row:
    """A feature as the report lists it: its index among the file's features, its key and
    name, and where it sits (an enterprise's grid, a zone's park, a grid's zone)."""

    index: int
    key: str
    name: str
    within: str | None = None


@dataclass(frozen=True)
class FieldChange:
    """One property of a changed feature, as stored before and after (shapes described)."""

    property: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Changed:
    row: Row
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Move:
    """An enterprise the import moved into another grid (None: no grid), as the event log
    records it: a renamed or reshaped grid moves enterprises as much as a moved point."""

    uscc: str
    name: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do): the counts, and the rows behind
    them so a reviewer can check them before anyone commits to the file. `rejected` holds
    every problem, one per rejected row where the rejection names rows only in part (it then
    also keeps the summary); `places` names feature i as the file's format does (None: its
    index in a GeoJSON `features` array). The lists may be as long as the file: see Listing."""

    kind: str
    inserted: int
    updated: int
    unchanged: int
    grid_changes: int
    outside_parks: int = 0
    dry_run: bool = False
    new: Sequence[Row] = ()
    changed: Sequence[Changed] = ()
    kept: Sequence[Row] = ()
    moves: Sequence[Move] = ()
    rejected: Sequence[Problem] = ()
    places: Places | None = None

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.rejected

    def place(self, index: int) -> str:
        return f"features[{index}]" if self.places is None else self.places.name(index)

    def __str__(self) -> str:
        if self.dry_run:
            return self.dry_run_summary()
        text = (
            f"{self.kind}: {self.inserted} inserted, {self.updated} updated,"
            f" {self.unchanged} unchanged; {self.grid_changes} enterprises changed grid"
        )
        return text + self.outside_note()

    def dry_run_summary(self) -> str:
        moved = self.grid_changes
        text = (
            f"{self.kind} (dry run, nothing was written): {self.inserted} to insert,"
            f" {self.updated} to update, {self.unchanged} unchanged;"
            f" {moved} {plural(moved, 'enterprise')} would change grid"
        )
        if self.rejected:
            rows = rows_named(self.rejected)
            text += "; the import would be refused" + (
                f" ({rows} rejected {plural(rows, 'row')})" if rows else ""
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


def rows_named(problems: Iterable[Problem]) -> int:
    """How many rows the problems name (sorted by row, so counted as they go by)."""
    count, last = 0, None
    for problem in problems:
        if problem.index is not None and problem.index != last:
            count, last = count + 1, problem.index
    return count


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def verb(count: int) -> str:
    return "lies" if count == 1 else "lie"


def listed(labels: Sequence[str], count: int | None = None) -> str:
    """The first few, then how many more (of `count`, when only the first few are given)."""
    rest = (len(labels) if count is None else count) - FEW
    return ", ".join(labels[:FEW]) + (f" and {rest} more" if rest > 0 else "")


def location_of(problem: Problem) -> str:
    """Where a problem is, as its rendering says (a row and column, a feature and property,
    or the property alone for the whole file): the rendering less its reason."""
    return problem.render().removesuffix(f": {problem.reason}")


def database_reason(exc: DBAPIError) -> str:
    diag = getattr(exc.orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(exc.orig).strip().partition("\n")[0]
    detail = getattr(diag, "message_detail", None)
    return f"{primary} ({detail[:DETAIL_LENGTH]})" if detail else str(primary)

"""What an import finds across a whole file read a chunk at a time: every problem, placed as
the office finds it, and the whole-file problems counted as the chunks go by.

Why kept apart by where they come from: a problem in a file's cells (a row's coordinate that
is not a number) means the rows cannot all be read, and the rejection then lists what reading
and the kinds' own checks found, as it always has, not what later stages made of the rows
before it; and the rejection lists the file's own problems first, then each row's in the
file's order, which merging the lists (each already in that order) gives without sorting
a million problems in memory."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from parkgrid.importer.extent import Strays
from parkgrid.importer.kinds import Kind, Parsed
from parkgrid.importer.listing import Listing
from parkgrid.importer.locations import Chunk, Locations, located
from parkgrid.importer.outcomes import Problem, by_index
from parkgrid.importer.placement import Outside, Outsiders


@dataclass
class Tally:
    """`read`: the reader's problems and the kinds' checks of each feature (duplicate keys
    included); `staged`: the later stages' (a shape PostGIS cannot transform, a parent
    unknown or far away); `spelled`: a problem per row for the rows a whole-file problem
    names only in part (outside the CRS's area of use, outside the parks), which the report
    lists but the rejection only summarises."""

    kind: Kind
    strays: Strays
    allow_outside: bool
    locations: Locations | None
    outsiders: Outsiders = field(init=False)
    read: Listing[Problem] = field(default_factory=Listing)
    staged: Listing[Problem] = field(default_factory=Listing)
    spelled: Listing[Problem] = field(default_factory=Listing)
    features: int = 0
    unreadable: bool = False

    def __post_init__(self) -> None:
        self.outsiders = Outsiders(self.kind)

    @property
    def failing(self) -> bool:
        """Whether the file will be refused, from what is known so far."""
        outside = self.outsiders.count and not self.allow_outside
        return bool(self.read or self.staged or self.spelled or self.strays.count or outside)

    def add_read(self, chunk: Chunk, problems: list[Problem]) -> None:
        """A chunk's problems from its reader and the kinds' checks (less a shape the reader
        already refused being called missing)."""
        self.features += len(chunk.features)
        if chunk.problems:
            self.unreadable = True
        kinds = [
            p for p in problems if not (p.property == "geometry" and p.index in chunk.shapeless)
        ]
        self.read.extend(in_order(chunk.problems, located(chunk.locations, kinds)))

    def add_staged(self, chunk: Chunk, problems: list[Problem], spelled: list[Problem]) -> None:
        self.staged.extend(in_order(located(chunk.locations, problems)))
        self.spelled.extend(in_order(located(chunk.locations, spelled)))

    def add_outside(self, chunk: Chunk, outside: list[Outside]) -> list[Problem]:
        """The chunk's features outside the parks, counted; unless they are allowed, a
        problem per row to spell out the summary."""
        self.outsiders.add(outside)
        return [] if self.allow_outside else [outside_row(self.kind, found) for found in outside]

    def outside(self) -> int:
        """How many the import puts outside the parks (they are allowed, else refused)."""
        return self.outsiders.count if self.allow_outside else 0

    def summaries(self) -> list[Problem]:
        found = [self.strays.problem()]
        if self.outsiders.count and not self.allow_outside:
            found.append(self.outsiders.problem(self.features))
        return list(located(self.locations, [p for p in found if p is not None]))

    def problems(self) -> Listing[Problem]:
        """What the rejection lists: the file's own problems, then each row's in order."""
        return merged(self.summaries(), self.read, self.staged)

    def rejected(self) -> Listing[Problem]:
        """What the report lists: the rejection's problems, and a problem per row spelled."""
        return merged(self.summaries(), self.read, self.staged, self.spelled)


def in_order(*problems: Iterable[Problem]) -> list[Problem]:
    """A chunk's problems by feature, those of one feature in the order they were found."""
    return sorted((p for group in problems for p in group), key=by_index)


def merged(*listings: Iterable[Problem]) -> Listing[Problem]:
    """Lists each in order, merged in order (on a tie, the earlier list's first)."""
    return Listing(heapq.merge(*listings, key=by_index))


def stray(item: Parsed, srid: int) -> Problem:
    reason = f"lies outside the area of use of EPSG:{srid} (is the CRS right?)"
    return Problem(item.index, "geometry", reason)


def outside_row(kind: Kind, found: Outside) -> Problem:
    where = f"partly outside its park ({found.detail})" if found.detail else "outside every park"
    noun = kind.name.removesuffix("s")
    return Problem(found.item.index, "geometry",
                   f"the {noun} lies {where}; --allow-outside imports it anyway")  # fmt: skip

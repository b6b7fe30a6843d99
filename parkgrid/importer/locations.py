"""Problems named the way the office finds them in its own file: "row 12 column 经度" in a
spreadsheet, "feature 3 (name 湘阴电子), field 名称" in a Shapefile or GeoPackage.

Why a translation rather than in every stage: the stages (features, extent, reproject,
parents, placement) know a feature only by its position in the file, and must not care which
format it came from. A GeoJSON file keeps that array index (`features[3]`), which is how a
JSON editor finds it; other sources map each position and property to the row, column or
field it was read from, here.

Why per chunk: a file is read a chunk at a time (importer.chunks), and what only a feature
itself says (its name, whether a table's row gave its place by longitude and latitude or by
WKT) is known while its chunk is; so a problem about a feature is placed while its chunk is
at hand, and only the numbering (Places) outlives it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from parkgrid.importer.outcomes import Places, Problem

INDEXED = re.compile(r"features\[(\d+)\]")
"""How the stages name a feature inside a reason (kinds.label, duplicate keys)."""


@dataclass(frozen=True)
class Locations:
    """`places`: feature i as a reason mentions it ("row 12", "feature 3"); `names`: a
    vector feature's name, which a problem about it adds ("feature 3 (name 湘阴电子)");
    `columns`: property → where it was read ("column 经度", "field 名称"); `joint`: between
    the two ("row 12 column 经度" reads as one phrase, "feature 3 (…), field 名称" needs the
    comma); `cells`: where one feature's property was read when it differs by feature (a
    table's shape: "columns 经度, 纬度" in one row, "column WKT" in the next). `names` and
    `cells` hold the current chunk's features only."""

    places: Places
    columns: Mapping[str, str]
    joint: str = " "
    cells: Mapping[tuple[int, str], str] = field(default_factory=dict)
    names: Mapping[int, str] = field(default_factory=dict)

    def long(self, index: int) -> str:
        text, name = self.places.name(index), self.names.get(index)
        return text if name is None else f"{text} (name {clipped(name)})"

    def where(self, index: int, prop: str) -> str:
        column = self.cells.get((index, prop)) or self.columns.get(prop)
        return self.long(index) + (f"{self.joint}{column}" if column else f" ({prop})")

    def located(self, problem: Problem) -> Problem:
        """The problem with its place and any features its reason names in the file's terms
        (one already placed by its reader is left as it is)."""
        reason = INDEXED.sub(self.mention, problem.reason)
        if problem.where is not None or problem.index is None:
            return replace(problem, reason=reason)
        return replace(problem, reason=reason, where=self.where(problem.index, problem.property))

    def mention(self, found: re.Match[str]) -> str:
        return self.places.name(int(found.group(1)))

    def chunk(
        self, cells: Mapping[tuple[int, str], str], names: Mapping[int, str] | None = None
    ) -> Locations:
        """The same numbering and columns, with one chunk's own cells and names."""
        return replace(self, cells=cells, names=names or {})


def located(locations: Locations | None, problems: Iterable[Problem]) -> Iterator[Problem]:
    """The problems placed (None: a GeoJSON file, whose features keep their array index)."""
    return iter(problems) if locations is None else map(locations.located, problems)


def table_locations(first: int, columns: Mapping[str, str]) -> Locations:
    """Features read from spreadsheet rows (numbered as the spreadsheet shows them: the
    first feature is row `first`)."""
    return Locations(Places("row", first), columns)


def vector_locations(columns: Mapping[str, str]) -> Locations:
    """Features of a vector layer, counted from 1 in the layer's order (the row numbers of
    QGIS's attribute table), with the name they carry when they carry one."""
    return Locations(Places("feature", 1), columns, joint=", ")


def clipped(name: str, length: int = 40) -> str:
    return name if len(name) <= length else f"{name[: length - 3]}..."


@dataclass
class Chunk:
    """Consecutive features of a file, the first being feature `start`: GeoJSON-like (what
    the stages take), the problems their reader found in their cells (placed already), the
    features whose shape those problems took away (so the kinds' own check does not call it
    missing as well), and how to name them (None: as a GeoJSON array)."""

    start: int
    features: list[Any]
    locations: Locations | None = None
    problems: list[Problem] = field(default_factory=list)
    shapeless: set[int] = field(default_factory=set)


@dataclass
class Read:
    """What a reader gives: its features a chunk at a time (`chunks` can be gone through
    once), how many there are, how to name them, the CRS the file declares and, when it
    declares none it should, why --crs is needed."""

    chunks: Iterable[Chunk]
    count: int
    locations: Locations | None
    declared_srid: int | None = None
    undeclared: str | None = None


def chunked(features: list[Any], size: int) -> Iterator[Chunk]:
    """Features already in memory (a GeoJSON document) as chunks, each named as GeoJSON."""
    for start in range(0, len(features), size):
        yield Chunk(start, features[start : start + size])

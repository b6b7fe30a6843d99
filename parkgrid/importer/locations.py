"""Problems named the way the office finds them in its own file: "row 12 column 经度" in a
spreadsheet, "feature 3 (name 湘阴电子), field 名称" in a Shapefile or GeoPackage.

Why a translation afterwards rather than in every stage: the stages (features, extent,
reproject, parents, placement) know a feature only by its position in the list they are
given, and must not care which format it came from. A GeoJSON file keeps that array index
(`features[3]`), which is how a JSON editor finds it; other sources map each position and
property to the row, column or field it was read from, here, once."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from parkgrid.importer.outcomes import Problem

INDEXED = re.compile(r"features\[(\d+)\]")
"""How the stages name a feature inside a reason (kinds.label, duplicate keys)."""


@dataclass(frozen=True)
class Locations:
    """`short[i]`: feature i as a reason mentions it ("row 12", "feature 3"); `long[i]`: as
    a problem about it starts ("row 12", "feature 3 (name 湘阴电子)"); `columns`: property →
    where it was read ("column 经度", "field 名称"); `joint`: between the two ("row 12 column
    经度" reads as one phrase, "feature 3 (…), field 名称" needs the comma)."""

    short: Sequence[str]
    long: Sequence[str]
    columns: Mapping[str, str]
    joint: str = " "
    cells: Mapping[tuple[int, str], str] = field(default_factory=dict)
    """Where one feature's property was read when it differs by feature (a table's shape:
    "columns 经度, 纬度" in one row, "column WKT" in the next)."""

    def where(self, index: int, prop: str) -> str:
        column = self.cells.get((index, prop)) or self.columns.get(prop)
        return self.long[index] + (f"{self.joint}{column}" if column else f" ({prop})")

    def located(self, problem: Problem) -> Problem:
        """The problem with its place and any features its reason names in the file's terms
        (one already placed by its reader is left as it is)."""
        reason = INDEXED.sub(self.mention, problem.reason)
        if problem.where is not None or problem.index is None:
            return replace(problem, reason=reason)
        return replace(problem, reason=reason, where=self.where(problem.index, problem.property))

    def mention(self, found: re.Match[str]) -> str:
        index = int(found.group(1))
        return self.short[index] if index < len(self.short) else found.group(0)


def table_locations(
    rows: Sequence[int], columns: Mapping[str, str], cells: Mapping[tuple[int, str], str]
) -> Locations:
    """Features read from spreadsheet rows (numbered as the spreadsheet shows them)."""
    named = [f"row {row}" for row in rows]
    return Locations(named, named, columns, cells=cells)


def vector_locations(names: Sequence[str | None], columns: Mapping[str, str]) -> Locations:
    """Features of a vector layer, counted from 1 in the layer's order (the row numbers of
    QGIS's attribute table), with the name they carry when they carry one."""
    short = [f"feature {n}" for n in range(1, len(names) + 1)]
    long = [
        text if name is None else f"{text} (name {clipped(name)})"
        for text, name in zip(short, names, strict=True)
    ]
    return Locations(short, long, columns, joint=", ")


def clipped(name: str, length: int = 40) -> str:
    return name if len(name) <= length else f"{name[: length - 3]}..."


@dataclass
class Read:
    """What a file gave: features (GeoJSON-like, what the stages take), how to name them
    (None: as a GeoJSON array), the problems found in its cells, the features whose shape
    those problems took away (so the kinds' own check does not call it missing as well), the
    CRS the file declares and, when it declares none it should, why --crs is needed."""

    features: list[Any]
    locations: Locations | None
    problems: list[Problem] = field(default_factory=list)
    shapeless: set[int] = field(default_factory=set)
    declared_srid: int | None = None
    undeclared: str | None = None

"""A park office's register as a table (CSV, or a workbook's sheet read with calamine) turned
into the features the import checks: one row, one feature, its place given by longitude and
latitude or by WKT.

Why so strict about the sheet's shape: a register kept by hand carries merged cells (one
grid's name merged down over its enterprises), empty rows separating lists, notes below the
data and repeated headers. Each would be read as something it is not (a row without its
grid, a note as an enterprise), so each is refused, naming the row and column as the
spreadsheet shows them (the header is row 1 when it is the first row), and nothing is
written. A file that passes is read exactly: the header row, then every row below it.

Why twice through the rows: whether the sheet's shape is right (an empty row between rows of
data, a column of values nobody named) is known only at its end, and must be said before any
row is; so a first pass surveys the sheet keeping only what the checks need, and a second
reads the rows as features a chunk at a time. Neither holds the sheet in memory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import shapely
from python_calamine import (
    CalamineError,
    CalamineSheet,
    SheetMetadata,
    SheetTypeEnum,
    SheetVisibleEnum,
    load_workbook,
)
from shapely.errors import GEOSException
from shapely.geometry import mapping

from parkgrid.importer.columns import Layout, header_text, layout, number, readable, text
from parkgrid.importer.csvfile import Rows, csv_rows
from parkgrid.importer.kinds import Kind
from parkgrid.importer.listing import Listing
from parkgrid.importer.locations import Chunk, Locations, Read, table_locations
from parkgrid.importer.options import ReadOptions
from parkgrid.importer.outcomes import ImportRejected, Problem, whole_file

Cell = Any
Merged = tuple[tuple[int, int], tuple[int, int]]
SHAPE = ("lon", "lat", "wkt")


@dataclass(frozen=True)
class Sheet:
    """Every row from the top of the sheet, cells from column A (as the office numbers them:
    the first row is row 1), each time `rows` is called; and the merged ranges (0-based
    (row, column) corners)."""

    rows: Rows
    merged: list[Merged] = field(default_factory=list)


@dataclass
class Survey:
    """What the checks of a sheet's shape need, from one pass over it: the first and last
    rows holding anything (0-based), how wide the rows between are, the header, the columns
    holding a value below it (`widest`: of the rows below it), and the empty rows between
    rows of data (as numbered)."""

    top: int = -1
    bottom: int = -1
    width: int = 0
    header: list[Cell] = field(default_factory=list)
    holding: set[int] = field(default_factory=set)
    widest: int = 0
    gaps: Listing[int] = field(default_factory=Listing)

    def add(self, position: int, row: list[Cell], gap: range, wide: int) -> None:
        """A filled row, after the empty rows numbered `gap` (`wide`: the widest of them)."""
        if self.top < 0:
            self.top, self.header, self.width = position, row, len(row)
        else:
            self.gaps.extend(gap)
            self.width = max(self.width, wide, len(row))
            self.widest = max(self.widest, len(row))
            if len(self.holding) < self.widest:  # once every column holds a value, no more
                self.holding.update(n for n, cell in enumerate(row) if not blank(cell))
        self.bottom = position


def blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def letter(column: int) -> str:
    """Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA."""
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def surveyed(rows: Iterator[list[Cell]]) -> Survey:
    """The sheet surveyed in one pass (empty rows come in runs: a run is where it starts)."""
    survey, empty_from, wide = Survey(), -1, 0
    for position, row in enumerate(rows):
        if filled(row):
            gap = range(empty_from + 1, position + 1) if empty_from >= 0 else range(0)
            survey.add(position, row, gap, wide)
            empty_from, wide = -1, 0
        elif survey.top >= 0:
            empty_from = position if empty_from < 0 else empty_from
            wide = max(wide, len(row))
    return survey


def from_sheet(sheet: Sheet, kind: Kind, options: ReadOptions, size: int) -> Read:
    """The sheet's rows as features, `size` to a chunk, or ImportRejected for its shape:
    merged cells, empty rows between rows of data, and column problems (see
    importer.columns), all at once."""
    survey = surveyed(sheet.rows())
    if survey.top < 0:
        raise whole_file("file", "holds no rows: is it the right file, or the right sheet?")
    top, width = survey.top, survey.width
    headers = [header_text(cell) for cell in padded(survey.header, width)]
    problems = Listing(chain(merged_problems(sheet.merged), empty_rows(survey.gaps)))

    def namer(column: int) -> str:
        header = headers[column]
        return f"row {top + 1} column {letter(column)}" + (f" ({header})" if header else "")

    try:
        found = layout(kind, headers, options.columns, survey.holding.__contains__, namer,
                       coordinates=True)  # fmt: skip
    except ImportRejected as rejected:
        problems.extend(rejected.problems)
        raise ImportRejected(problems) from None
    if problems:
        raise ImportRejected(problems)
    column = {prop: f"column {headers[found.positions[prop]]}" for prop in found.positions}
    locations = table_locations(top + 2, column)
    body = Body(sheet, top, survey.bottom, width)
    chunks = features_of(kind, body, found, locations, size)
    return Read(chunks, survey.bottom - top, locations)


@dataclass(frozen=True)
class Body:
    """The rows below the header down to the last holding anything, padded to one width."""

    sheet: Sheet
    top: int
    bottom: int
    width: int

    def __iter__(self) -> Iterator[list[Cell]]:
        for position, row in enumerate(self.sheet.rows()):
            if position > self.bottom:
                break
            if position > self.top:
                yield padded(row, self.width)


def padded(row: list[Cell], width: int) -> list[Cell]:
    return row + [None] * (width - len(row)) if len(row) < width else row


def merged_problems(merged: Sequence[Merged]) -> list[Problem]:
    problems = []
    for (row, column), (last_row, last_column) in sorted(merged):
        cells = f"{letter(column)}{row + 1}:{letter(last_column)}{last_row + 1}"
        reason = (
            f"cells {cells} are merged: every row must carry its own values (unmerge them and"
            " fill each cell)"
        )
        problems.append(Problem(None, "file", reason, where=f"row {row + 1}"))
    return problems


def empty_rows(numbers: Listing[int]) -> Iterator[Problem]:
    """Empty rows between rows of data (trailing ones are not): an empty row often separates
    a second list, or notes, from the first."""
    for row in numbers:
        yield Problem(None, "file", "is empty, between rows of data: delete it (or, if what"
                      " follows is another list or notes, move them to their own sheet)",
                      where=f"row {row}")  # fmt: skip


def features_of(
    kind: Kind, body: Body, found: Layout, locations: Locations, size: int
) -> Iterator[Chunk]:
    props = [prop for prop in readable(kind, coordinates=False) if found.has(prop)]
    chunk, cells = Chunk(0, []), dict[tuple[int, str], str]()
    for index, row in enumerate(body):
        if len(chunk.features) == size:
            chunk.locations = locations.chunk(cells)
            yield chunk
            chunk, cells = Chunk(index, []), {}
        chunk.features.append(row_feature(index, row, props, found, locations, chunk, cells))
    if chunk.features:
        chunk.locations = locations.chunk(cells)
        yield chunk


def row_feature(
    index: int, row: list[Cell], props: list[str], found: Layout, locations: Locations,
    chunk: Chunk, cells: dict[tuple[int, str], str],
) -> dict[str, Any]:  # fmt: skip
    """One row as a feature; its cells' problems go to its chunk, where its shape was read
    to `cells`."""
    place, column = locations.places.name(index), locations.columns
    properties: dict[str, Any] = {}
    for prop in props:
        try:
            properties[prop] = text(row[found.positions[prop]])
        except ValueError as exc:
            chunk.problems.append(Problem(index, prop, str(exc), f"{place} {column[prop]}"))
    geometry, cells[(index, "geometry")], failure = shape(row, found, column)
    if failure is not None:
        prop, where, reason = failure
        chunk.problems.append(Problem(index, prop, reason, f"{place} {where}"))
        chunk.shapeless.add(index)
    return {"type": "Feature", "properties": properties, "geometry": geometry}


Failure = tuple[str, str, str]
"""A row's shape refused: the property, the column(s) as named in messages, the reason."""


def shape(
    row: list[Cell], found: Layout, column: Mapping[str, str]
) -> tuple[dict[str, Any] | None, str, Failure | None]:
    """The row's shape as GeoJSON (None: not given), where it is read ("columns 经度, 纬度",
    "column WKT"), and why it is refused if it is."""
    given = {prop: row[found.positions[prop]] for prop in SHAPE if found.has(prop)}
    by_wkt = not blank(given.get("wkt"))
    by_point = any(not blank(given.get(prop)) for prop in ("lon", "lat"))
    if by_wkt or not found.has("lon"):
        where = column["wkt"]
    else:
        where = "columns " + ", ".join(column[p].removeprefix("column ") for p in ("lon", "lat"))
    if by_wkt and by_point:
        reason = "gives the place twice, by longitude and latitude and by WKT: keep one"
        return None, where, ("geometry", where, reason)
    if by_wkt:
        geometry, failure = from_wkt(given["wkt"])
        return geometry, where, None if failure is None else ("geometry", where, failure)
    if not by_point:
        return None, where, None
    position = []
    for prop in ("lon", "lat"):
        try:
            value = number(given[prop])
        except ValueError as exc:
            return None, where, (prop, column[prop], str(exc))
        if value is None:
            return None, where, (prop, column[prop], "is missing")
        position.append(value)
    return {"type": "Point", "coordinates": position}, where, None


def from_wkt(value: Cell) -> tuple[dict[str, Any] | None, str | None]:
    try:
        geometry = shapely.from_wkt(str(value).strip())
    except GEOSException as exc:
        hint = "; give the CRS with --crs, not in the text" if "SRID=" in str(value) else ""
        return None, f"is not WKT ({exc}){hint}"
    found: dict[str, Any] = mapping(geometry)
    return found, None


def read_csv(path: Path, encoding: str | None) -> Sheet:
    """A CSV's records (each a row, as a spreadsheet opening it numbers them)."""
    return Sheet(csv_rows(path, encoding))


def read_xlsx(path: Path, wanted: str | None) -> Sheet:
    """The workbook's sheet `wanted`, else its one visible worksheet holding data (several:
    refused, naming them, for --sheet to choose)."""
    try:
        workbook = load_workbook(str(path))
    except (CalamineError, OSError) as exc:
        raise whole_file("file", f"is not a workbook calamine can read: {exc}") from exc
    with workbook:
        if wanted is not None:
            if wanted not in workbook.sheet_names:
                shown = ", ".join(workbook.sheet_names)
                raise whole_file("sheet", f"there is no sheet {wanted!r} (there are: {shown})")
            return sheet_of(workbook.get_sheet_by_name(wanted))
        names = [meta.name for meta in workbook.sheets_metadata if shown_worksheet(meta)]
        full = [name for name in names if holds_data(workbook.get_sheet_by_name(name))]
        if len(full) != 1:
            reason = f"several sheets hold data ({', '.join(full)}): choose one with --sheet"
            raise whole_file("sheet", reason if full else "no visible sheet holds data")
        return sheet_of(workbook.get_sheet_by_name(full[0]))


def filled(row: list[Cell]) -> bool:
    return not all(blank(cell) for cell in row)


def shown_worksheet(meta: SheetMetadata) -> bool:
    return meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible


def holds_data(sheet: CalamineSheet) -> bool:
    return any(map(filled, sheet.iter_rows()))


def sheet_of(sheet: CalamineSheet) -> Sheet:
    """Rows as the office numbers them: calamine's rows start at row 1 but its cells at the
    first column holding anything, so each row is shifted back to column A."""
    shift = [None] * (sheet.start[1] if sheet.start else 0)

    def rows() -> Iterator[list[Cell]]:
        for row in sheet.iter_rows():
            yield [*shift, *row]

    return Sheet(rows, list(sheet.merged_cell_ranges or []))

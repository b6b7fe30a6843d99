"""A park office's register as a table (CSV, or a workbook's sheet read with calamine) turned
into the features the import checks: one row, one feature, its place given by longitude and
latitude or by WKT.

Why so strict about the sheet's shape: a register kept by hand carries merged cells (one
grid's name merged down over its enterprises), empty rows separating lists, notes below the
data and repeated headers. Each would be read as something it is not (a row without its
grid, a note as an enterprise), so each is refused, naming the row and column as the
spreadsheet shows them (the header is row 1 when it is the first row), and nothing is
written. A file that passes is read exactly: the header row, then every row below it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
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
from parkgrid.importer.kinds import Kind
from parkgrid.importer.locations import Read, table_locations
from parkgrid.importer.options import ReadOptions
from parkgrid.importer.outcomes import ImportRejected, Problem, whole_file

Cell = Any
Merged = tuple[tuple[int, int], tuple[int, int]]
SHAPE = ("lon", "lat", "wkt")


@dataclass(frozen=True)
class Sheet:
    """Every row from the top of the sheet, cells from column A (as the office numbers them:
    rows[0] is row 1), and the merged ranges (0-based (row, column) corners)."""

    rows: list[list[Cell]]
    merged: list[Merged] = field(default_factory=list)


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


def from_sheet(sheet: Sheet, kind: Kind, options: ReadOptions) -> Read:
    """The sheet's rows as features, or ImportRejected for its shape: merged cells, empty
    rows between rows of data, and column problems (see importer.columns), all at once."""
    used = [n for n, row in enumerate(sheet.rows) if filled(row)]
    if not used:
        raise whole_file("file", "holds no rows: is it the right file, or the right sheet?")
    top, bottom = used[0], used[-1]
    width = max(len(row) for row in sheet.rows[top : bottom + 1])
    rows = [row + [None] * (width - len(row)) for row in sheet.rows[top : bottom + 1]]
    headers = [header_text(cell) for cell in rows[0]]
    body = rows[1:]
    problems = merged_problems(sheet.merged) + empty_rows(body, top + 2)

    def namer(column: int) -> str:
        header = headers[column]
        return f"row {top + 1} column {letter(column)}" + (f" ({header})" if header else "")

    def holds(column: int) -> bool:
        return any(not blank(row[column]) for row in body)

    try:
        found = layout(kind, headers, options.columns, holds, namer, coordinates=True)
    except ImportRejected as rejected:
        raise ImportRejected(problems + rejected.problems) from None
    if problems:
        raise ImportRejected(problems)
    return features_of(kind, body, top + 2, headers, found)


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


def empty_rows(body: list[list[Cell]], first: int) -> list[Problem]:
    """Empty rows between rows of data (trailing ones are already cut): an empty row often
    separates a second list, or notes, from the first."""
    return [
        Problem(None, "file", "is empty, between rows of data: delete it (or, if what follows"
                " is another list or notes, move them to their own sheet)", where=f"row {n}")
        for n, row in enumerate(body, start=first) if not filled(row)
    ]  # fmt: skip


def features_of(
    kind: Kind, body: list[list[Cell]], first: int, headers: list[str], found: Layout
) -> Read:
    props = [prop for prop in readable(kind, coordinates=False) if found.has(prop)]
    column = {prop: f"column {headers[found.positions[prop]]}" for prop in found.positions}
    rows = list(range(first, first + len(body)))
    features, problems, shapeless, cells = [], [], set(), {}
    for index, (number_, row) in enumerate(zip(rows, body, strict=True)):
        properties: dict[str, Any] = {}
        for prop in props:
            try:
                properties[prop] = text(row[found.positions[prop]])
            except ValueError as exc:
                problems.append(Problem(index, prop, str(exc), f"row {number_} {column[prop]}"))
        geometry, cells[(index, "geometry")], failure = shape(row, found, column)
        if failure is not None:
            prop, where, reason = failure
            problems.append(Problem(index, prop, reason, f"row {number_} {where}"))
            shapeless.add(index)
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return Read(features, table_locations(rows, column, cells), problems, shapeless)


Failure = tuple[str, str, str]
"""A row's shape refused: the property, the column(s) as named in messages, the reason."""


def shape(
    row: list[Cell], found: Layout, column: dict[str, str]
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
    content = decoded(read_bytes(path), encoding).removeprefix("\ufeff")
    try:
        dialect: Any = csv.Sniffer().sniff(content[:4096].partition("\n")[0], ",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return Sheet([list(row) for row in csv.reader(io.StringIO(content, newline=""), dialect)])
    except csv.Error as exc:
        raise whole_file("file", f"is not a readable CSV: {exc}") from exc


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
        sheets = {name: sheet_of(workbook.get_sheet_by_name(name)) for name in names}
    full = [name for name, sheet in sheets.items() if any(map(filled, sheet.rows))]
    if len(full) != 1:
        reason = f"several sheets hold data ({', '.join(full)}): choose one with --sheet"
        raise whole_file("sheet", reason if full else "no visible sheet holds data")
    return sheets[full[0]]


def filled(row: list[Cell]) -> bool:
    return not all(blank(cell) for cell in row)


def shown_worksheet(meta: SheetMetadata) -> bool:
    return meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible


def sheet_of(sheet: CalamineSheet) -> Sheet:
    rows: list[list[Cell]] = [list(row) for row in sheet.to_python(skip_empty_area=False)]
    return Sheet(rows, list(sheet.merged_cell_ranges or []))


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise whole_file("file", f"cannot be read: {exc.strerror}") from exc


def decoded(data: bytes, encoding: str | None) -> str:
    """As `encoding` says; else UTF-8 (a byte-order mark or none), else GB18030 (which reads
    GBK, what Excel saves a CSV in on Chinese Windows); else refused, naming the line."""
    if encoding is not None:
        try:
            return data.decode(encoding)
        except LookupError as exc:
            reason = f"{encoding!r} is not an encoding Python knows (GBK, UTF-8...)"
            raise whole_file("encoding", reason) from exc
        except UnicodeDecodeError as exc:
            raise whole_file("encoding", f"the file is not {encoding}: {at(data, exc)}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith(b"\xef\xbb\xbf"):
            raise whole_file("encoding", f"marked UTF-8 but is not: {at(data, exc)}") from exc
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        reason = f"is neither UTF-8 nor GBK ({at(data, exc)}): give its encoding with --encoding"
        raise whole_file("encoding", reason) from exc


def at(data: bytes, exc: UnicodeDecodeError) -> str:
    line = data[: exc.start].count(b"\n") + 1
    return f"byte {data[exc.start]:#04x} on line {line} cannot be decoded"

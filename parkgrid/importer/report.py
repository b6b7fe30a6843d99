"""An import's report as the reviewer reads it: lines on a terminal (`--dry-run`) and a
workbook (`--report FILE.xlsx`), both from the same tables so they never disagree.

Why a workbook: the park office that sent the file works in spreadsheets; it can filter the
changes by field, sort the rejected rows and send the sheet back with the rows fixed. The
sheets are named in Chinese for that office (the README gives the English): 汇总 (summary),
新增 (new), 变更 (changed, one line per changed field), 未变 (unchanged), 换网格 (enterprises
that change grid) and 拒绝 (rejected, one line per problem)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from parkgrid.importer.outcomes import ImportReport, location_of

Cell = str | int | None
Line = tuple[Cell, ...]
XLSX_ROWS = 1_048_576
"""Rows a worksheet holds (Excel's limit); a longer list ends with a row saying how many
more there are."""
TERMINAL_ROWS = 1_000
"""Rows of each list a terminal shows; the workbook has them all."""
WIDEST = 60
NARROWEST = 8
PROPERTIES = {"name": "名称", "park": "园区", "zone": "片区", "industry": "行业",
              "address": "地址", "geometry": "位置/边界"}  # fmt: skip
WITHIN = {"enterprises": "网格", "zones": "园区", "grids": "片区"}
KINDS = {"parks": "园区", "zones": "片区", "grids": "网格", "enterprises": "企业"}


@dataclass(frozen=True)
class Table:
    """One sheet: its Chinese name, the English the terminal shows, headers and rows (how
    many, and the rows themselves, made afresh each time they are gone through: a report's
    lists may be a file's length, see importer.listing), and how a row reads on a terminal."""

    sheet: str
    english: str
    headers: tuple[str, ...]
    count: int
    rows: Rows
    line: Callable[[Line], str]


@dataclass(frozen=True)
class Rows:
    """A list's items as a sheet's rows, made as they are gone through."""

    items: Iterable[Any]
    row: Callable[[Any], Iterable[Line]]

    def __iter__(self) -> Iterator[Line]:
        for item in self.items:
            yield from self.row(item)


def key_header(report: ImportReport) -> str:
    return "统一社会信用代码" if report.kind == "enterprises" else "代码"


def text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def row_line(row: tuple[Cell, ...]) -> str:
    where, key, name, within = row
    return f'{where} {key} "{name}"' + (f" in {within}" if within else "")


def change_line(row: tuple[Cell, ...]) -> str:
    where, key, name, prop, before, after = row
    return f'{where} {key} "{name}": {prop}: {text(before) or "-"} -> {text(after) or "-"}'


def move_line(row: tuple[Cell, ...]) -> str:
    uscc, name, before, after = row
    return f'{uscc} "{name}": {text(before) or "no grid"} -> {text(after) or "no grid"}'


def rejected_line(row: tuple[Cell, ...]) -> str:
    where, _, reason = row
    return f"{where}: {reason}"


def summary(report: ImportReport) -> list[Line]:
    outcome = "已写入" if report.written else "已拒绝，未写入"
    if report.dry_run:
        outcome = "试运行：有拒绝行，导入将被拒绝" if report.rejected else "试运行，未写入"
    return [
        ("类型", KINDS.get(report.kind, report.kind)), ("结果", outcome),
        ("新增", report.inserted), ("变更", report.updated), ("未变", report.unchanged),
        ("换网格", report.grid_changes), ("园区外（已允许）", report.outside_parks),
        ("拒绝", len(report.rejected)),
    ]  # fmt: skip


def tables(report: ImportReport, names: Mapping[str, str] = PROPERTIES) -> list[Table]:
    """The report's tables; `names` gives properties their column's name (the terminal
    keeps the file's)."""
    key, within = key_header(report), WITHIN.get(report.kind, "所属")
    listed = ("位置", key, "名称", within)
    place = report.place

    def row(r: Any) -> Iterable[Line]:
        return [(place(r.index), r.key, r.name, r.within)]

    def changes(c: Any) -> Iterable[Line]:
        return [(place(c.row.index), c.row.key, c.row.name, names.get(f.property, f.property),
                 f.before, f.after) for f in c.changes]  # fmt: skip

    def move(m: Any) -> Iterable[Line]:
        return [(m.uscc, m.name, m.before, m.after)]

    def problem(p: Any) -> Iterable[Line]:
        return [(location_of(p), p.property, p.reason)]

    facts = summary(report)
    changed = sum(len(c.changes) for c in report.changed)
    return [
        Table("汇总", "summary", ("项目", "值"), len(facts), Rows(facts, lambda r: [r]),
              lambda row: ""),
        Table("新增", "new", listed, len(report.new), Rows(report.new, row), row_line),
        Table("变更", "changed", ("位置", key, "名称", "字段", "变更前", "变更后"), changed,
              Rows(report.changed, changes), change_line),
        Table("未变", "unchanged", listed, len(report.kept), Rows(report.kept, row), row_line),
        Table("换网格", "grid changes", ("统一社会信用代码", "名称", "原网格", "新网格"),
              len(report.moves), Rows(report.moves, move), move_line),
        Table("拒绝", "rejected", ("位置", "字段", "原因"), len(report.rejected),
              Rows(report.rejected, problem), rejected_line),
    ]  # fmt: skip


def text_lines(report: ImportReport) -> list[str]:
    """The report on a terminal: its summary line, then each list with its count. A changed
    row shows as many lines as it has changed properties, by their names in the file; a
    list longer than TERMINAL_ROWS shows its first rows and says how many more there are."""
    lines = [str(report)]
    for table in tables(report, {})[1:]:
        lines.append(f"{table.english} ({table.count}):")
        lines += [f"  {table.line(row)}" for row in islice(table.rows, TERMINAL_ROWS)]
        if table.count > TERMINAL_ROWS:
            rest = table.count - TERMINAL_ROWS
            lines.append(f"  ... and {rest} more (--report FILE.xlsx lists them all)")
    return lines


def display_width(value: str) -> int:
    """Columns a string takes on screen: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def widths(headers: Sequence[str], rows: Iterable[Line]) -> list[int]:
    found = [display_width(header) + 4 for header in headers]  # room for the filter button
    for row in rows:
        for column, cell in enumerate(row):
            found[column] = max(found[column], display_width(text(cell)) + 1)
    return [min(max(width, NARROWEST), WIDEST) for width in found]


def write_xlsx(report: ImportReport, path: Path) -> None:
    """The report as a workbook: a sheet per table, header frozen, filters on, columns as
    wide as their contents (within reason). Text goes in as text, never as a formula: a name
    that starts with '=' in a park office's file is a name, not something to evaluate."""
    import xlsxwriter  # only a report needs it

    book = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "constant_memory": True},
    )  # fmt: skip
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    for table in tables(report):
        sheet = book.add_worksheet(table.sheet)
        rows = Fitted(table, len(table.headers))
        for column, width in enumerate(widths(table.headers, rows)):
            sheet.set_column(column, column, width)
        sheet.write_row(0, 0, table.headers, bold)
        for number, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                if isinstance(cell, int):
                    sheet.write_number(number, column, cell)
                elif cell is not None:
                    sheet.write_string(number, column, cell)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(rows.count, 1), len(table.headers) - 1)
    book.close()


@dataclass(frozen=True)
class Fitted:
    """The rows a sheet holds below its header, the last saying how many did not fit."""

    table: Table
    columns: int

    @property
    def count(self) -> int:
        return min(self.table.count, XLSX_ROWS - 1)

    def __iter__(self) -> Iterator[Line]:
        room, count = XLSX_ROWS - 1, self.table.count
        if count <= room:
            yield from self.table.rows
            return
        yield from islice(self.table.rows, room - 1)
        rest = count - (room - 1)
        note: Line = (f"另有 {rest} 行未列出 ({rest} more rows not shown)",)
        yield note + (None,) * (self.columns - 1)

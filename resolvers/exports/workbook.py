"""Spreadsheets as an office expects them: a header row that stays in view, a filter on every
column, columns wide enough to read, and every value typed (numbers as numbers, dates as
dates) so sorting and sums work. Cells are formatted by the type of their value, never by
guessing from text; text is always written as text, so a title starting with `=` is not a
formula."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
CELL_LIMIT = 32_767
"""Characters Excel holds in one cell."""
OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


class Rate(float):
    """A share (0–1), shown as a percentage."""


class Amount(float):
    """A sum of money, shown with thousands separators and two decimals."""


@dataclass(frozen=True)
class Table:
    """One sheet: a header row, then the rows (values of str, int, float, Rate, Amount, date,
    datetime in park time, or None for an empty cell)."""

    name: str
    headers: tuple[str, ...]
    rows: Sequence[Sequence[Any]]


NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "rate": "0.0%",
    "amount": "#,##0.00",
    "float": "0.00",
    "int": "0",
}


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("booleans are written as words (labels.yes_no)")
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, Rate):
        return "rate"
    if isinstance(value, Amount):
        return "amount"
    if isinstance(value, float):
        return "float"
    if isinstance(value, int):
        return "int"
    return "text"


def shown_width(value: Any) -> float:
    """About how many character widths the value takes (CJK characters take two)."""
    if value is None:
        return 0.0
    kind = kind_of(value)
    if kind in ("date", "datetime", "rate"):
        return {"date": 10.0, "datetime": 16.0, "rate": 7.0}[kind]
    text = f"{value:,.2f}" if kind in ("float", "amount") else str(value)
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in ("W", "F"))
    return float(len(text) + wide)


def widths(table: Table) -> list[float]:
    """Each column as wide as its widest cell (a sample of the rows), within limits."""
    sample = table.rows[:2000]
    found = []
    for index, title in enumerate(table.headers):
        cells = [shown_width(row[index]) for row in sample]
        widest = max([shown_width(title) + 2.0, *cells])  # room for the filter button
        found.append(min(max(widest + 1.0, MIN_WIDTH), MAX_WIDTH))
    return found


class Writer:
    """One workbook being written, with one format object per kind of cell."""

    def __init__(self, path: Path) -> None:
        self.book = xlsxwriter.Workbook(str(path), OPTIONS)
        self.formats: dict[str, Format] = {
            kind: self.book.add_format({"num_format": pattern})
            for kind, pattern in NUMBER_FORMATS.items()
        }
        self.header = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})

    def cell(self, sheet: Worksheet, row: int, column: int, value: Any) -> None:
        if value is None:
            return
        kind = kind_of(value)
        if kind == "text":
            sheet.write_string(row, column, str(value)[:CELL_LIMIT])
        elif kind in ("date", "datetime"):
            sheet.write_datetime(row, column, value, self.formats[kind])
        else:
            sheet.write_number(row, column, value, self.formats[kind])

    def table(self, table: Table) -> None:
        sheet = self.book.add_worksheet(table.name[:31])
        for column, title in enumerate(table.headers):
            sheet.write_string(0, column, title, self.header)
        for index, width in enumerate(widths(table)):
            sheet.set_column(index, index, width)
        for number, values in enumerate(table.rows, start=1):
            for column, value in enumerate(values):
                self.cell(sheet, number, column, value)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.headers) - 1)

    def close(self) -> None:
        self.book.close()


def write_tables(path: Path, tables: Sequence[Table]) -> None:
    """The tables as the sheets of one workbook, in order."""
    writer = Writer(path)
    try:
        for table in tables:
            writer.table(table)
    finally:
        writer.close()

"""A CSV's records read from disk as they are needed, in the encoding it was saved in.

Why in passes over the file rather than once into memory: a register of a million rows is a
hundred megabytes of text and several times that as Python strings and lists. The file is
gone through first to settle its encoding (UTF-8, else GB18030, which reads the GBK Excel
saves on Chinese Windows), then as often as the table's checks need (importer.tables), each
time a record at a time."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from parkgrid.importer.outcomes import whole_file

BLOCK = 1 << 20
"""Bytes decoded at a time while the encoding is checked."""

Rows = Callable[[], Iterator[list[Any]]]
"""Every row of a sheet from row 1, each time it is called."""


def csv_rows(path: Path, encoding: str | None) -> Rows:
    """The CSV's records (each a row, as a spreadsheet opening it numbers them), or
    ImportRejected for an encoding it is not in or a record that cannot be parsed (found
    when the rows are first gone through)."""
    settled = settled_encoding(path, encoding)
    dialect = sniffed(path, settled)

    def rows() -> Iterator[list[Any]]:
        with path.open(encoding=settled, newline="") as file:
            first = file.readline().removeprefix("\ufeff")
            try:
                yield from csv.reader(chain([first], file), dialect)
            except csv.Error as exc:
                raise whole_file("file", f"is not a readable CSV: {exc}") from exc

    return rows


def sniffed(path: Path, encoding: str) -> Any:
    """The delimiter, as the header line shows it (a comma, a semicolon or a tab)."""
    with path.open(encoding=encoding, newline="") as file:
        head = file.read(4096).removeprefix("\ufeff")
    try:
        return csv.Sniffer().sniff(head.partition("\n")[0], ",;\t")
    except csv.Error:
        return csv.excel


def settled_encoding(path: Path, encoding: str | None) -> str:
    """As `encoding` says; else UTF-8 (a byte-order mark or none), else GB18030; else
    refused, naming the line."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            reason = f"{encoding!r} is not an encoding Python knows (GBK, UTF-8...)"
            raise whole_file("encoding", reason) from exc
        flaw = undecodable(path, encoding)
        if flaw is not None:
            raise whole_file("encoding", f"the file is not {encoding}: {flaw}")
        return encoding
    flaw = undecodable(path, "utf-8")
    if flaw is None:
        return "utf-8"
    if starts_with_bom(path):
        raise whole_file("encoding", f"marked UTF-8 but is not: {flaw}")
    flaw = undecodable(path, "gb18030")
    if flaw is None:
        return "gb18030"
    reason = f"is neither UTF-8 nor GBK ({flaw}): give its encoding with --encoding"
    raise whole_file("encoding", reason)


def undecodable(path: Path, encoding: str) -> str | None:
    """Why the file is not in `encoding` (the first byte that cannot be decoded, and its
    line), or None when all of it is."""
    decoder = codecs.getincrementaldecoder(encoding)()
    fed = 0
    try:
        with path.open("rb") as file:
            while block := file.read(BLOCK):
                held = len(decoder.getstate()[0])
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    return at(path, fed - held + exc.start, exc.object[exc.start])
                fed += len(block)
            held = len(decoder.getstate()[0])
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                return at(path, fed - held + exc.start, exc.object[exc.start])
    except OSError as exc:
        raise whole_file("file", f"cannot be read: {exc.strerror}") from exc
    return None


def at(path: Path, offset: int, byte: int) -> str:
    line = 1
    with path.open("rb") as file:
        while offset > 0:
            block = file.read(min(BLOCK, offset))
            if not block:
                break
            line += block.count(b"\n")
            offset -= len(block)
    return f"byte {byte:#04x} on line {line} cannot be decoded"


def starts_with_bom(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(3) == codecs.BOM_UTF8

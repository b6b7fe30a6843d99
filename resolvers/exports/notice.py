"""The month's recruitment notice (招聘公告) as a workbook or a CSV file: one row per position
in an industry, with the people wanted, the enterprises hiring and the wages offered.

The lines are the `recruitmentNotice` query's own (resolvers.reads.types_hiring: the month's
plans summed by industry and position, each field read through resolvers.reads.facts), read
through the caller's scoped views, in the notice's order: by industry, then position. CSV is
written with a byte-order mark so a spreadsheet opens its Chinese text as UTF-8."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from resolvers.exports import labels
from resolvers.exports.base import XLSX, Clock, Export, Language, rows_of
from resolvers.exports.options import area_by_code
from resolvers.exports.workbook import Amount, Table, write_tables
from resolvers.reads import facts
from resolvers.reads.sql import Named
from resolvers.reads.types_hiring import notice_lines_source

KEYS = ("industry", "position", "headcount", "hiring_enterprises", "wage_min", "wage_max")
FIELDS = [
    ("industry", "industry"), ("position", "position"), ("headcount", "headcount"),
    ("hiring_enterprises", "enterprises"), ("wage_min", "wageMin"), ("wage_max", "wageMax"),
]  # fmt: skip
"""Each column's field of NoticeLine, in the order of KEYS."""
FORMATS = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}
SHEET = {"zh": "招聘公告", "en": "recruitment notice"}


@dataclass(frozen=True)
class NoticeOptions:
    month: date  # its first day
    park: str | None
    format: str  # xlsx or csv
    clock: Clock
    lang: Language


def notice_sql() -> tuple[str, dict[str, Any]]:
    c = facts.compiler(Named("today"), Named("now"))
    values = facts.selected(c, "NoticeLine", "l", FIELDS)
    notice = "(SELECT CAST(%(month)s AS date) AS month, CAST(%(park)s AS bigint) AS park_id) n"
    sql = (
        f"SELECT {values} FROM {notice} CROSS JOIN LATERAL ({notice_lines_source('n')}) l"
        " ORDER BY l.industry_key, l.position"
    )
    return sql, dict(c.bind.params)


def collect(conn: Connection, options: NoticeOptions) -> list[Any]:
    park = area_by_code(conn, "park", options.park).id if options.park else None
    sql, params = notice_sql()
    today = options.clock.today
    return rows_of(conn, sql, {**params, "month": options.month, "park": park,
                               "today": today, "now": options.clock.now})  # fmt: skip


def cells(row: Any) -> list[Any]:
    wages = [None if row.wage_min is None else Amount(row.wage_min),
             None if row.wage_max is None else Amount(row.wage_max)]  # fmt: skip
    return [row.industry, row.position, row.headcount, row.hiring_enterprises, *wages]


def write(rows: list[Any], path: Path, options: NoticeOptions) -> None:
    headers = labels.headers(KEYS, options.lang)
    if options.format == "xlsx":
        write_tables(path, [Table(SHEET[options.lang], headers, [cells(r) for r in rows])])
        return
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(cells(row) for row in rows)


def notice_export(options: NoticeOptions) -> Export[list[Any]]:
    return Export(
        collect=lambda conn: collect(conn, options),
        write=lambda rows, path: write(rows, path, options),
        filename=f"recruitment-{options.month:%Y-%m}.{options.format}",
        media_type=FORMATS[options.format],
    )

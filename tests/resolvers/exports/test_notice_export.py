"""The recruitment notice as XLSX (read back by openpyxl) and CSV (by the csv module), against
the hiring plans summed in plain SQL: every month, the whole service and one park, Chinese and
English headers, and the command line's refusals."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.resolvers.exports.conftest import sheet_rows
from web.cli import main

EXPECTED = """
SELECT coalesce(e.industry, '') AS industry, h.position, sum(h.headcount) AS headcount,
    count(DISTINCT h.enterprise_id) AS enterprises, min(h.wage_min) AS wage_min,
    max(h.wage_max) AS wage_max
FROM hiring_plan h JOIN enterprise e ON e.id = h.enterprise_id
WHERE h.month = CAST(:month AS date) AND (CAST(:park AS text) IS NULL OR e.grid_id IN (
    SELECT g.id FROM grid g JOIN zone z ON z.id = g.zone_id JOIN park p ON p.id = z.park_id
    WHERE p.code = :park))
GROUP BY 1, 2 ORDER BY 1, 2
"""
MONTHS = "SELECT DISTINCT to_char(month, 'YYYY-MM') FROM hiring_plan ORDER BY 1"


def expected(plain: Any, month: str, park: str | None) -> list[tuple[Any, ...]]:
    rows = plain(EXPECTED, month=f"{month}-01", park=park)
    return [
        (r.industry or None, r.position, r.headcount, r.enterprises,
         None if r.wage_min is None else float(r.wage_min),
         None if r.wage_max is None else float(r.wage_max))
        for r in rows
    ]  # fmt: skip


def from_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as found:
        return list(csv.reader(found))


def as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(float(value)) if isinstance(value, (float, Decimal)) else str(value)


def test_every_month_as_xlsx_and_csv(export, plain) -> None:
    months = [m for (m,) in plain(MONTHS)]
    assert months, "the demo has hiring plans"
    for month in months:
        truth = expected(plain, month, None)
        assert truth
        book = export("recruitment", f"{month}.xlsx", "--month", month)
        header, *rows = sheet_rows(book)
        assert header == ("行业", "岗位", "招聘人数", "招聘企业数", "月薪下限(元)", "月薪上限(元)")
        assert [tuple(row) for row in rows] == truth
        sheet = from_csv(export("recruitment", f"{month}.csv", "--month", month, "--lang", "en"))
        assert sheet[0][:3] == ["industry", "position", "headcount"]
        assert sheet[1:] == [[as_text(v) for v in row] for row in truth]
        assert sum(int(row[2]) for row in sheet[1:]) == sum(r[2] for r in truth)


def test_one_parks_notice(export, plain) -> None:
    [(park,)] = plain("SELECT code FROM park ORDER BY code LIMIT 1")
    [(month,)] = plain(f"{MONTHS} LIMIT 1")
    book = export("recruitment", "park.xlsx", "--month", month, "--park", park)
    assert [tuple(row) for row in sheet_rows(book)[1:]] == expected(plain, month, park)
    empty = export("recruitment", "none.csv", "--month", "1999-01")
    assert len(from_csv(empty)) == 1  # the header only: nobody planned to hire then


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--month", "2026-6"], "month: must be a"),
        (["--month", "2026-06", "--park", "nope"], "park: no park has code 'nope'"),
    ],
)
def test_bad_options_change_nothing(
    export_url, tmp_path, monkeypatch, capsys, args, reason
) -> None:
    monkeypatch.setenv("DATABASE_URL", export_url)
    target = tmp_path / "notice.xlsx"
    assert main(["export", "recruitment", str(target), *args]) == 2
    assert reason in capsys.readouterr().err
    assert not target.exists()
    assert main(["export", "recruitment", str(tmp_path / "notice.pdf"), "--month", "2026-06"]) == 2
    assert "format: must be one of xlsx, csv" in capsys.readouterr().err

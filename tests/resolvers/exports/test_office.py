"""Every exported workbook as an office user's software opens it: LibreOffice Calc converts
each sheet to CSV, and the sheets, headers and row counts are those of the data (plain SQL).
Marked `office`: LibreOffice is installed with apt when missing; each conversion is bounded."""

from __future__ import annotations

import pytest

from resolvers.exports.labels import header
from resolvers.exports.ledger import ISSUE_KEYS
from tests.resolvers.exports.conftest import office_csv

pytestmark = pytest.mark.office


def test_ledger_opens_in_an_office(export, plain, tmp_path) -> None:
    sheets = office_csv(export("ledger", "ledger.xlsx"), tmp_path / "ledger")
    assert set(sheets) == {"问题台账", "处理过程"}
    issues = sheets["问题台账"]
    assert issues[0] == [header(key, "zh") for key in ISSUE_KEYS]
    [(count,)] = plain("SELECT count(*) FROM issue")
    assert len(issues) - 1 == count
    [(newest, uscc, due)] = plain(
        "SELECT i.id, e.uscc, i.due_date FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
        " ORDER BY i.id DESC LIMIT 1"
    )
    first = dict(zip(issues[0], issues[1], strict=True))
    assert first["编号"] == str(newest) and first["统一社会信用代码"] == uscc
    assert first["办结时限"] == (due.isoformat() if due else "")  # a date cell, shown as a date
    [(events,)] = plain("SELECT count(*) FROM event WHERE subject = 'issue'")
    assert len(sheets["处理过程"]) - 1 == events


def test_stats_and_coverage_open_in_an_office(export, plain, tmp_path) -> None:
    stats = office_csv(export("stats", "stats.xlsx", "--lang", "en"), tmp_path / "stats")
    assert set(stats) == {"summary", "by category", "by grid"}
    [(grids,)] = plain("SELECT count(*) FROM grid")
    assert len(stats["by grid"]) - 1 == grids + 1  # and the total
    assert len(stats["by category"]) - 1 == 11  # ten categories and the total
    [(park,)] = plain("SELECT code FROM park")
    coverage = office_csv(export("coverage", "coverage.xlsx", park), tmp_path / "coverage")
    assert "网格覆盖" in coverage and len(coverage["网格覆盖"]) - 1 == grids


def test_register_opens_in_an_office(export, plain, tmp_path) -> None:
    sheets = office_csv(export("register", "register.xlsx"), tmp_path / "register")
    assert set(sheets) == {"parks", "zones", "grids", "enterprises", "lines"}
    [(firms,)] = plain("SELECT count(*) FROM enterprise")
    assert len(sheets["enterprises"]) - 1 == firms
    [(lines,)] = plain("SELECT count(*) FROM infrastructure_line")
    assert len(sheets["lines"]) - 1 == lines
    [(name,)] = plain("SELECT name FROM enterprise ORDER BY uscc LIMIT 1")
    assert sheets["enterprises"][1][1] == name

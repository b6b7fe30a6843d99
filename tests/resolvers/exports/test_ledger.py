"""The ledger workbook against plain SQL on the tables: every issue once, newest first, with
its enterprise, grid, zone, people, dates, days open, overdue flag and last event; every event
of those issues on the second sheet; filters as the `issues` query takes them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from resolvers.exports.labels import STATUS_ZH, header
from resolvers.exports.ledger import EVENT_KEYS, ISSUE_KEYS
from tests.resolvers.exports.conftest import sheet_rows
from web.cli import main

PARK_TZ = ZoneInfo("Asia/Shanghai")
ISSUES = """
SELECT i.id, e.uscc, e.name, g.code AS grid, z.code AS zone, i.status, i.due_date,
       i.reported_at, i.closed_at, i.updated_at, r.name AS reporter, a.name AS assignee,
       (SELECT v.action FROM event v WHERE v.subject = 'issue' AND v.subject_id = i.id
        ORDER BY v.occurred_at DESC, v.id DESC LIMIT 1) AS last_action
FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
LEFT JOIN grid g ON g.id = e.grid_id LEFT JOIN zone z ON z.id = g.zone_id
LEFT JOIN cadre r ON r.id = i.reporter_id LEFT JOIN cadre a ON a.id = i.assignee_id
ORDER BY i.id DESC
"""


def park_day(moment: datetime) -> date:
    return moment.astimezone(PARK_TZ).date()


def expected_days_open(row: Any, today: date) -> int:
    """README: from the reporting day to the closing day, the rejection (the last update),
    or today for an open issue, in the park's days."""
    if row.closed_at is not None:
        end = park_day(row.closed_at)
    elif row.status == "rejected":
        end = park_day(row.updated_at)
    else:
        end = today
    return (end - park_day(row.reported_at)).days


def test_every_issue_with_its_facts(export, plain) -> None:
    path = export("ledger", "ledger.xlsx")
    today = datetime.now(UTC).astimezone(PARK_TZ).date()
    rows = sheet_rows(path, "问题台账")
    assert rows[0] == tuple(header(key, "zh") for key in ISSUE_KEYS)
    expected = plain(ISSUES)
    assert len(rows) - 1 == len(expected)
    column = {key: n for n, key in enumerate(ISSUE_KEYS)}
    for row, want in zip(rows[1:], expected, strict=True):
        assert row[column["id"]] == want.id
        assert row[column["uscc"]] == want.uscc and row[column["enterprise"]] == want.name
        assert (row[column["grid_code"]], row[column["zone_code"]]) == (want.grid, want.zone)
        assert row[column["status"]] == STATUS_ZH[want.status]
        assert (row[column["reporter"]], row[column["assignee"]]) == (want.reporter, want.assignee)
        due = row[column["due_date"]]
        assert (due.date() if due else None) == want.due_date
        reported = want.reported_at.astimezone(PARK_TZ).replace(tzinfo=None)
        assert abs((row[column["reported_at"]] - reported).total_seconds()) < 1
        assert row[column["days_open"]] == expected_days_open(want, today)
        is_overdue = want.status not in ("closed", "rejected") and want.due_date < today
        assert row[column["overdue"]] == ("是" if is_overdue else "否")
        assert row[column["last_action"]] in ("上报", "状态变更", "交办", "备注", "登记成效")
    events = sheet_rows(path, "处理过程")
    assert events[0] == tuple(header(key, "zh") for key in EVENT_KEYS)
    [(count,)] = plain("SELECT count(*) FROM event WHERE subject = 'issue'")
    assert len(events) - 1 == count


def test_filters_as_the_issues_query_takes_them(export, plain) -> None:
    [(zone,)] = plain("SELECT code FROM zone ORDER BY code LIMIT 1")
    path = export("ledger", "ledger-en.xlsx", "--zone", zone, "--status", "closed,rejected",
                  "--status", "in_progress", "--from", "2026-03-01", "--to", "2026-08-31",
                  "--lang", "en")  # fmt: skip
    rows = sheet_rows(path, "issues")
    assert rows[0] == tuple(header(key, "en") for key in ISSUE_KEYS)
    expected = plain(
        "SELECT i.id FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
        " JOIN grid g ON g.id = e.grid_id JOIN zone z ON z.id = g.zone_id"
        " WHERE z.code = :zone AND i.status IN ('closed', 'rejected', 'in_progress')"
        " AND (i.reported_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '2026-03-01' AND '2026-08-31'"
        " ORDER BY i.id DESC",
        zone=zone,
    )
    assert [row[0] for row in rows[1:]] == [row.id for row in expected]
    assert {row[ISSUE_KEYS.index("status")] for row in rows[1:]} <= {
        "closed",
        "rejected",
        "in_progress",
    }
    events = sheet_rows(path, "events")
    [(count,)] = plain(
        "SELECT count(*) FROM event WHERE subject = 'issue' AND subject_id = ANY(:ids)",
        ids=[row.id for row in expected],
    )
    assert len(events) - 1 == count


def test_a_sheet_an_office_can_work_with(export) -> None:
    path = export("ledger", "ledger.xlsx", "--status", "reported")
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"  # the header row stays in view
        last = openpyxl.utils.get_column_letter(sheet.max_column)
        assert sheet.auto_filter.ref == f"A1:{last}{max(sheet.max_row, 2)}"
        for cell in sheet[1]:
            width = sheet.column_dimensions[cell.column_letter].width
            assert width >= len(cell.value), (sheet.title, cell.value, width)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--park", "nope"], ["park", "no park has code 'nope'"]),
        (["--status", "lost"], ["status", "'lost' is not one of"]),
        (["--from", "2026-13-01"], ["from", "YYYY-MM-DD"]),
        (["--from", "2026-05-01", "--to", "2026-04-01"], ["from", "after"]),
        (["--token", "pgt_unknown"], ["unknown token"]),
    ],
)
def test_refusals_are_one_line(export_url, tmp_path, monkeypatch, capsys, args, words) -> None:
    monkeypatch.setenv("DATABASE_URL", export_url)
    target = tmp_path / "ledger.xlsx"
    assert main(["export", "ledger", str(target), *args]) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err
    assert not target.exists() and not list(tmp_path.iterdir())

"""`parkgrid audit`: exactly the changes a scripted session made, by token, cadre,
enterprise and period, printed and written as CSV and XLSX (read back by other readers)."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import openpyxl

from tests.conftest import add_token, app_client
from tests.helpers import read_rows
from tests.parkgrid.cli_runs import assert_one_line_error, parkgrid

SESSION_TOKEN = "pgt_audit-session"
OTHER_TOKEN = "pgt_audit-other"
REPORT = """mutation ($e: String!) { reportIssue(enterprise: $e, category: PERMITS,
  title: "审计测试", description: "a scripted change") {
  ... on IssuePayload { issue { id version } } ... on UserError { code message } } }"""
MOVE = """mutation ($id: ID!, $v: Int!) { transitionIssue(id: $id, version: $v, to: ACCEPTED,
  note: "accepted by script") { ... on IssuePayload { issue { id version } }
  ... on UserError { code message } } }"""
COMMENT = """mutation ($id: ID!, $note: String!) { commentIssue(id: $id, note: $note) {
  ... on IssuePayload { issue { id } } ... on UserError { code message } } }"""


def run(client, query: str, **variables):
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert "issue" in payload, payload
    return payload["issue"]


def scripted_session(url: str, token: str, uscc: str) -> list[tuple[str, str, str, str]]:
    """Three changes to a new issue; the (action, subject, subject id, note) each should
    leave, as the script knows them."""
    with app_client(url, token=token) as client:
        issue = run(client, REPORT, e=uscc)
        moved = run(client, MOVE, id=issue["id"], v=issue["version"])
        run(client, COMMENT, id=issue["id"], note="第二次走访")
    assert moved["version"] == issue["version"] + 1
    return [("reported", "issue", issue["id"], "a scripted change"),
            ("status_changed", "issue", issue["id"], "accepted by script"),
            ("commented", "issue", issue["id"], "第二次走访")]  # fmt: skip


def test_the_audit_lists_exactly_the_session_changes(fresh_demo_url, tmp_path):
    session = add_token(fresh_demo_url, SESSION_TOKEN, "admin", cadre_id=2)
    add_token(fresh_demo_url, OTHER_TOKEN, "admin", cadre_id=3)
    first, second = (row[0] for row in read_rows(
        fresh_demo_url, "SELECT uscc FROM enterprise ORDER BY id LIMIT 2"))  # fmt: skip
    expected = scripted_session(fresh_demo_url, SESSION_TOKEN, first)
    scripted_session(fresh_demo_url, OTHER_TOKEN, second)  # another caller's changes

    out = tmp_path / "audit.csv"
    done = parkgrid(fresh_demo_url, "audit", "--token", str(session), "--out", str(out))
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    found = [(r["action"], r["subject"], r["subject id"], r["note"]) for r in rows]
    assert found == expected
    assert {(r["cadre"], r["token"], r["enterprise"]) for r in rows} == {("2", str(session), first)}

    by_cadre = tmp_path / "by-cadre.xlsx"
    assert parkgrid(fresh_demo_url, "audit", "--cadre", "2", "--out", str(by_cadre)).returncode == 0
    sheet = openpyxl.load_workbook(by_cadre).active
    header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
    columns = [header.index(name) for name in ("action", "subject", "subject id", "note")]
    assert [
        (r[columns[0]], r[columns[1]], str(r[columns[2]]), r[columns[3]]) for r in values
    ] == expected

    printed = parkgrid(fresh_demo_url, "audit", "--enterprise", first, "--token", str(session))
    lines = printed.stdout.strip().splitlines()
    assert len(lines) == 1 + len(expected) and lines[0].startswith("event\ttime\tcadre")


def test_the_period_is_whole_days_of_the_park(fresh_demo_url):
    session = add_token(fresh_demo_url, SESSION_TOKEN, "admin", cadre_id=2)
    (uscc,) = read_rows(fresh_demo_url, "SELECT uscc FROM enterprise ORDER BY id LIMIT 1")[0]
    scripted_session(fresh_demo_url, SESSION_TOKEN, uscc)
    (today,) = read_rows(fresh_demo_url,
                         "SELECT CAST(timezone('Asia/Shanghai', now()) AS date)")[0]  # fmt: skip

    def listed(*period: str) -> int:
        done = parkgrid(fresh_demo_url, "audit", "--token", str(session), *period)
        assert done.returncode == 0, done.stderr
        return len(done.stdout.strip().splitlines()) - 1

    assert listed("--since", today.isoformat(), "--until", today.isoformat()) == 3
    assert listed("--until", (today - timedelta(days=1)).isoformat()) == 0
    assert listed("--since", (today + timedelta(days=1)).isoformat()) == 0
    assert isinstance(today, date)


def test_bad_arguments_are_one_line_errors(fresh_demo_url, tmp_path):
    usage = parkgrid(fresh_demo_url, "audit", "--since", "yesterday")  # argparse's usage error
    assert usage.returncode == 2 and "not a day as YYYY-MM-DD" in usage.stderr
    assert_one_line_error(parkgrid(fresh_demo_url, "audit", "--out", str(tmp_path / "a.pdf")),
                          ".csv or .xlsx")  # fmt: skip

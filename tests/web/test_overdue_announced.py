"""Issues that become overdue as the park's calendar turns are announced: a real server, a
real subscription client, and the check run with its clock moved (not waiting for midnight)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from parkgrid.settings import ApiSettings
from schema.context import park_today
from tests.conftest import Databases
from tests.web.browser import served
from tests.web.live_client import live
from tests.web.live_park import Park
from tests.web.test_subscription_counts import arrivals, live_now
from web.overdue import OverdueCheck, until_midnight

COUNTS = """subscription { areaCountsChanged { eventId
  grid { code overdueIssueCount } zone { code overdueIssueCount } } }"""
ADD_ISSUE = (
    "INSERT INTO issue (enterprise_id, category, title, status, rejection_reason, due_date)"
    " VALUES (:e, 'other', :title, :status, :reason, :due) RETURNING id"
)
BECOMING = (
    "SELECT i.id FROM issue i WHERE i.status NOT IN ('closed', 'rejected')"
    " AND i.due_date >= :last AND i.due_date < :today ORDER BY i.id"
)
"""Independently of the check's rule: open issues whose due date lies in [last, today)."""
OVERDUE_IN = {
    "grid": "SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
    " JOIN grid g ON g.id = e.grid_id WHERE g.code = :code"
    " AND i.status NOT IN ('closed', 'rejected') AND i.due_date < :today",
    "zone": "SELECT count(*) FROM issue i JOIN enterprise e ON e.id = i.enterprise_id"
    " JOIN grid g ON g.id = e.grid_id JOIN zone z ON z.id = g.zone_id WHERE z.code = :code"
    " AND i.status NOT IN ('closed', 'rejected') AND i.due_date < :today",
}


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of the park's calendar."""
    zone = ZoneInfo(ApiSettings().timezone)
    return datetime.combine(day, time(hour, minute, second), tzinfo=zone)


def checked(url: str, now: datetime) -> list[int]:
    """One check at `now`, as another instance would run it."""

    return asyncio.run(OverdueCheck(url, ApiSettings()).check(now))


@pytest.fixture
def park(databases: Databases, demo_template: str) -> Iterator[Park]:
    """A demo park of the test's own with, in one grid: an issue due yesterday (it becomes
    overdue today), one due today, one long overdue and a rejected one due yesterday."""
    url = databases.url(databases.create(template=demo_template))
    engine = create_engine(url)
    today = park_today(ApiSettings(), datetime.now().astimezone())
    with engine.begin() as conn:
        grid, uscc, enterprise = conn.execute(
            text(
                "SELECT g.code, e.uscc, e.id FROM enterprise e JOIN grid g ON g.id = e.grid_id"
                " ORDER BY g.code, e.uscc LIMIT 1"
            )
        ).one()
        issues = {}
        for title, status, reason, due in [
            ("due yesterday", "accepted", None, today - timedelta(days=1)),
            ("due today", "reported", None, today),
            ("long overdue", "in_progress", None, today - timedelta(days=5)),
            ("rejected", "rejected", "not ours", today - timedelta(days=1)),
        ]:
            params = {"e": enterprise, "title": title, "status": status, "reason": reason,
                      "due": due}  # fmt: skip
            issues[title] = conn.execute(text(ADD_ISSUE), params).scalar_one()
    yield Park(url, engine, grid, issues["due yesterday"], issues["due today"], uscc)
    engine.dispose()


def covered(park: Park, day: date | None) -> None:
    with park.engine.begin() as conn:
        conn.execute(text("UPDATE overdue_check SET day = :day"), {"day": day})


def test_until_midnight_follows_the_zone_and_its_clock_changes() -> None:
    shanghai = datetime(2026, 12, 1, 15, 59, 59, tzinfo=ZoneInfo("UTC"))  # 23:59:59 +08
    assert until_midnight(shanghai, "Asia/Shanghai") == 1.0
    # New York's clocks went forward at 02:00 on 8 March 2026: 12:00 EDT is 16:00 UTC and
    # the next midnight 04:00 UTC, twelve hours; the day before, 12:00 EST to 00:00 EST
    assert until_midnight(datetime(2026, 3, 8, 16, tzinfo=ZoneInfo("UTC")), "America/New_York") == 12 * 3600  # fmt: skip
    assert until_midnight(datetime(2026, 3, 7, 17, tzinfo=ZoneInfo("UTC")), "America/New_York") == 12 * 3600  # fmt: skip


def test_issues_becoming_overdue_at_midnight_are_announced_once(
    park: Park, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = park_today(ApiSettings(), datetime.now().astimezone())
    yesterday = today - timedelta(days=1)
    covered(park, None)
    assert checked(park.url, at(yesterday, 12)) == []  # no day known: it records its day
    assert park.scalar("SELECT day FROM overdue_check") == yesterday
    monkeypatch.setenv("PARKGRID_API_OVERDUE_CHECK", "false")  # the test runs the checks
    with served(park.url) as base, live(base) as client:
        client.subscribe("1", COUNTS)
        live_now(client, park)
        announced = checked(park.url, at(today, 0, 0, 1))
        got = arrivals(client, 2.5)
    with park.engine.connect() as conn:
        expected = list(conn.execute(text(BECOMING), {"last": yesterday, "today": today}).scalars())
        areas = conn.execute(
            text(
                "SELECT DISTINCT g.code, z.code FROM issue i JOIN enterprise e"
                " ON e.id = i.enterprise_id JOIN grid g ON g.id = e.grid_id"
                " JOIN zone z ON z.id = g.zone_id WHERE i.id = ANY(:ids)"
            ),
            {"ids": expected},
        ).all()
        counted = {
            (kind, code): conn.execute(text(OVERDUE_IN[kind]), {"code": code, "today": today}).scalar()
            for grid, zone in areas for kind, code in (("grid", grid), ("zone", zone))
        }  # fmt: skip
        events = conn.execute(
            text("SELECT subject_id FROM event WHERE action = 'overdue' ORDER BY subject_id")
        ).scalars()
        assert list(events) == expected
    assert announced == expected and park.inside in expected and park.outside not in expected
    sent = {}
    for _, item in got:
        kind = "grid" if item["grid"] else "zone"
        sent[(kind, item[kind]["code"])] = item[kind]["overdueIssueCount"]
    assert sent == counted
    assert checked(park.url, at(today, 0, 0, 2)) == []  # the day is covered: once only


def test_of_two_instances_checking_at_once_one_announces(park: Park) -> None:
    today = park_today(ApiSettings(), datetime.now().astimezone())
    assert park.scalar("SELECT day FROM overdue_check") == today  # as the migration left it
    assert checked(park.url, at(today, 12)) == []
    tomorrow = at(today + timedelta(days=1), 0, 0, 1)

    async def both() -> list[list[int]]:
        return list(
            await asyncio.gather(
                asyncio.to_thread(checked, park.url, tomorrow),
                asyncio.to_thread(checked, park.url, tomorrow),
            )
        )

    first, second = asyncio.run(both())
    with park.engine.connect() as conn:
        params = {"last": today, "today": today + timedelta(days=1)}
        expected = list(conn.execute(text(BECOMING), params).scalars())
    assert park.outside in expected
    assert sorted([first, second]) == [[], expected]

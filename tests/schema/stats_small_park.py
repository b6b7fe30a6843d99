"""A hand-made park for `stats`, its answers known by construction (see test_stats.py).

Period: 2024-01-01 .. 2024-03-31 (Asia/Shanghai, UTC+8), so 3 full calendar months (January,
February and March, each entirely inside); test_stats.py asks for shorter periods too. Grid G-B
holds E1 and E2, grid G-A holds E3 and E5; E4 lies outside every grid (it counts only for
"everything"). One cadre does every visit and reports every issue. Rows dated with `ago`
are relative to today (open, overdue and hard-case figures are "now")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from tests.resolvers.conftest import X0, Y0, add_area, add_enterprise, cell
from tests.schema.stats_oracle import PARK_TZ

FIRST, LAST = date(2024, 1, 1), date(2024, 3, 31)


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARK_TZ)


def today() -> date:
    return datetime.now(PARK_TZ).date()


def ago(days: int) -> datetime:
    return datetime.combine(today() - timedelta(days=days), time(10), PARK_TZ)


def insert(conn: Connection, statement: str, **values: Any) -> int:
    return int(conn.execute(text(statement + " RETURNING id"), values).scalar_one())


VISITS = [  # enterprise, when, duties
    ("E1", at(1, 1, 0, 30), ["policy"]),  # 2023-12-31 16:30 UTC: in January here
    ("E1", at(1, 5), ["policy", "liaison"]),
    ("E1", at(2, 5), ["safety"]),
    ("E1", at(3, 5), ["liaison", "support"]),  # E1: each full month -> visited monthly
    ("E2", at(1, 20), ["liaison"]),
    ("E2", at(3, 20), ["safety", "support"]),  # E2: no February visit -> not monthly
    ("E2", at(4, 1, 0, 30), ["policy"]),  # 2024-03-31 16:30 UTC: after the period here
    ("E3", at(12, 31, 23, 30, year=2023), ["policy"]),  # before the period
    ("E3", at(2, 29), ["safety"]),
    ("E4", at(2, 1), ["support"]),  # outside every grid
]  # E5: never visited

ISSUES = {  # name: enterprise, category, status, reported, due, closed
    # closed on time: 10 days to close
    "I1": ("E1", "safety_hazard", "closed", at(1, 10), date(2024, 1, 25), at(1, 20)),
    # closed 01:00 on Feb 11 here (Feb 10 in UTC), due Feb 10: late; 9.625 days
    "I2": ("E1", "safety_hazard", "closed", at(2, 1), date(2024, 2, 10), at(2, 11, 1)),
    "I3": ("E2", "recruitment", "rejected", at(1, 15), date(2024, 2, 14), None),
    # open since March 1 2024 (a hard case), overdue
    "I4": ("E2", "financing", "in_progress", at(3, 1), date(2024, 3, 20), None),
    # open for 70 days (a hard case), overdue
    "I5": ("E3", "safety_hazard", "accepted", ago(70), today() - timedelta(55), None),
    "I6": ("E3", "permits", "reported", ago(10), today() + timedelta(10), None),
    # reported before the period, closed in it on time: 29 days 2 hours
    "I7": ("E3", "recruitment", "closed", at(12, 20, year=2023), date(2024, 1, 19), at(1, 18, 12)),
    # reported in the period, due and closed after it
    "I8": ("E1", "financing", "closed", at(3, 10), date(2024, 4, 24), at(4, 5)),
    # closed 23:30 on the period's last day, late: 40 days 13.5 hours
    "I9": ("E2", "recruitment", "closed", at(2, 20), date(2024, 3, 21), at(3, 31, 23, 30)),
    # due in the period, closed 30 minutes after it ended
    "I10": ("E5", "other", "closed", at(3, 25), date(2024, 3, 30), at(4, 1, 0, 30)),
    "I11": ("E4", "safety_hazard", "closed", at(1, 5), date(2024, 1, 20), at(1, 6)),
    # open for exactly 60 days: not older than 60, so no hard case; overdue
    "I12": ("E5", "talent", "reported", ago(60), today() - timedelta(30), None),
}

OUTCOMES = [  # issue, recorded, people hired, loan CNY, hazards rectified
    ("I1", at(1, 20), 0, 0, 1),
    ("I2", at(2, 11, 1), 0, 0, 1),
    ("I7", at(1, 18), 5, 0, 0),  # E3
    ("I9", at(3, 31, 23, 30), 7, 0, 0),  # E2
    ("I9", at(3, 15), 3, 0, 0),  # E2 again: one enterprise
    ("I8", at(3, 20), 0, 1_500_000.5, 0),  # E1
    ("I4", at(4, 1, 0, 30), 0, 2_000_000, 0),  # after the period
    ("I11", at(1, 6), 0, 100, 1),  # E4, outside every grid
    ("I1", at(1, 21), 0, 0, 0),  # an outcome of nothing
]

# x in cells: G-B is cell 0 (x in [0, 1]), G-A cell 1; x = 3.5 lies outside both
PLACES = {"E1": 0.3, "E2": 0.6, "E3": 1.3, "E4": 3.5, "E5": 1.6}


def add_firms(conn: Connection) -> dict[str, int]:
    return {
        name: add_enterprise(conn, n, X0 + x * 0.01, Y0 + 0.005)
        for n, (name, x) in enumerate(PLACES.items())
    }


def add_ledger(conn: Connection, firms: dict[str, int]) -> dict[str, int]:
    cadre = insert(conn, "INSERT INTO cadre (name) VALUES ('C1')")
    for firm, when, duties in VISITS:
        insert(
            conn,
            "INSERT INTO visit (cadre_id, enterprise_id, visited_at, duties)"
            " VALUES (:c, :e, :at, :d)",
            c=cadre, e=firms[firm], at=when, d=duties,
        )  # fmt: skip
    issues = {
        name: insert(
            conn,
            "INSERT INTO issue (enterprise_id, category, title, status, reported_at, due_date,"
            " closed_at, rejection_reason, reporter_id) VALUES (:e, :c, :t, :s, :r, :d, :x,"
            " CASE WHEN :s = 'rejected' THEN 'not ours' END, :by)",
            e=firms[firm], c=category, t=name, s=status, r=reported, d=due, x=closed, by=cadre,
        )
        for name, (firm, category, status, reported, due, closed) in ISSUES.items()
    }  # fmt: skip
    for issue, when, hired, loan, hazards in OUTCOMES:
        insert(
            conn,
            "INSERT INTO outcome (issue_id, recorded_at, people_hired, loan_cny,"
            " hazards_rectified) VALUES (:i, :at, :p, :l, :h)",
            i=issues[issue], at=when, p=hired, l=loan, h=hazards,
        )  # fmt: skip
    return issues


def build(engine: Engine) -> dict[str, int]:
    """The park P, zone Z, grids G-B and G-A and the rows above; the issue ids by name."""
    with engine.begin() as conn:
        park = add_area(conn, "park", "P", cell(0))
        zone = add_area(conn, "zone", "Z", cell(0), park)
        add_area(conn, "grid", "G-B", cell(0), zone)
        add_area(conn, "grid", "G-A", cell(1), zone)
        return add_ledger(conn, add_firms(conn))

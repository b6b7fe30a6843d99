"""Expected `stats` answers, computed in Python from plain table reads (no service code):
periods are tested day by day in the park's time zone, months are collected by walking the
days (a month is full when the period holds as many of its days as calendar.monthrange says
it has), percentiles are interpolated by hand."""

from __future__ import annotations

import calendar
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tests.helpers import read_rows

PARK_TZ = ZoneInfo("Asia/Shanghai")
DUTIES = ("policy", "liaison", "safety", "support")
CATEGORIES = (
    "recruitment", "permits", "construction", "financing", "infrastructure",
    "safety_hazard", "talent", "policy", "party_building", "other",
)  # fmt: skip
ENDED = ("closed", "rejected")

MEMBER_ROWS = """
    SELECT e.id, g.code, z.code, p.code FROM enterprise e
    LEFT JOIN grid g ON g.id = e.grid_id LEFT JOIN zone z ON z.id = g.zone_id
    LEFT JOIN park p ON p.id = z.park_id
"""
ISSUE_ROWS = """SELECT id, enterprise_id, category, status, due_date, reported_at, closed_at
    FROM issue"""
OUTCOME_ROWS = """SELECT i.enterprise_id, o.recorded_at, o.people_hired, o.loan_cny,
    o.hazards_rectified FROM outcome o JOIN issue i ON i.id = o.issue_id"""
GAINS = """(SELECT i.enterprise_id, o.people_hired, o.loan_cny, o.hazards_rectified
    FROM outcome o JOIN issue i ON i.id = o.issue_id
    UNION ALL SELECT h.enterprise_id, h.hires, 0, 0 FROM recruitment_hire h
    UNION ALL SELECT x.enterprise_id, 0, x.loan_cny, 0 FROM activity_enterprise x)"""
"""Every gain an enterprise made (outcomes, hires at events, loans at activities), undated:
for the access tests, whose period covers everything."""
# gains recorded at dated events: hires at recruitment events, loans at service activities
EVENT_GAIN_ROWS = """SELECT h.enterprise_id, r.held_on, h.hires, 0::numeric, 0
    FROM recruitment_hire h JOIN recruitment_event r ON r.id = h.event_id
    UNION ALL SELECT x.enterprise_id, a.held_on, 0, x.loan_cny, 0
    FROM activity_enterprise x JOIN service_activity a ON a.id = x.activity_id"""


def local_day(at: datetime) -> date:
    return at.astimezone(PARK_TZ).date()


@dataclass(frozen=True)
class Window:
    first: date
    last: date
    today: date

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.first <= local_day(at) <= self.last

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def full_months(self) -> set[tuple[int, int]]:
        """(year, month) of the calendar months every day of which lies in the window."""
        held = Counter((day.year, day.month) for day in self.days())
        return {month for month, n in held.items() if n == calendar.monthrange(*month)[1]}

    def counted_days(self) -> set[date]:
        """The days whose visits count for the monthly test: those of the full months, or
        every day of the window when it holds no full month."""
        full = self.full_months()
        if not full:
            return set(self.days())
        return {day for day in self.days() if (day.year, day.month) in full}


@dataclass(frozen=True)
class IssueRow:
    id: int
    enterprise_id: int
    category: str
    status: str
    due_date: date | None
    reported_at: datetime
    closed_at: datetime | None

    @property
    def open(self) -> bool:
        return self.status not in ENDED

    @property
    def on_time(self) -> bool:
        closed, due = self.closed_at, self.due_date
        return (
            self.status == "closed"
            and closed is not None
            and due is not None
            and (local_day(closed) <= due)
        )

    def age(self, today: date) -> int:
        return (today - local_day(self.reported_at)).days


@dataclass
class Tables:
    members: dict[str | None, set[int]] = field(default_factory=lambda: defaultdict(set))
    visits: list[tuple[int, datetime, list[str]]] = field(default_factory=list)
    issues: list[IssueRow] = field(default_factory=list)
    outcomes: list[tuple[int, datetime, int, Decimal, int]] = field(default_factory=list)


def read_tables(url: str) -> Tables:
    """Enterprise ids per area code (None: every enterprise), and the ledger's rows."""
    tables = Tables()
    for eid, *codes in read_rows(url, MEMBER_ROWS):
        for code in [None, *codes]:
            tables.members[code].add(eid)
    tables.visits = [
        tuple(row) for row in read_rows(url, "SELECT enterprise_id, visited_at, duties FROM visit")
    ]
    tables.issues = [IssueRow(*row) for row in read_rows(url, ISSUE_ROWS)]
    tables.outcomes = [tuple(row) for row in read_rows(url, OUTCOME_ROWS)]
    tables.outcomes += [  # an event's day counts from its midnight in the park's time zone
        (eid, datetime.combine(day, time(), PARK_TZ), hires, loan, hazards)
        for eid, day, hires, loan, hazards in read_rows(url, EVENT_GAIN_ROWS)
    ]
    return tables


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_visits(tables: Tables, firms: set[int], window: Window) -> dict[str, Any]:
    seen = [(e, at, d) for e, at, d in tables.visits if e in firms and window.holds(at)]
    visited = {enterprise for enterprise, *_ in seen}
    full, counted = window.full_months(), window.counted_days()
    months: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for enterprise, at, _ in seen:
        day = local_day(at)
        if day in counted:
            months[enterprise].add((day.year, day.month))
    # with full months, a visit in each (partial edge months do not matter); without one, the
    # window is the one month and any visit in it counts
    monthly = sum(1 for found in months.values() if found == full) if full else len(months)
    return {
        "visits": len(seen),
        "byDuty": [
            {"duty": duty.upper(), "visits": sum(1 for *_, d in seen if duty in d)}
            for duty in DUTIES
        ],
        "enterprises": len(firms),
        "enterprisesVisited": len(visited),
        "enterprisesNotVisited": len(firms) - len(visited),
        "months": len(full) or 1,
        "enterprisesVisitedMonthly": monthly,
        "monthlyVisitedShare": share(monthly, len(firms)),
    }


def issue_figures(rows: list[IssueRow], window: Window, category: str | None) -> dict[str, Any]:
    closed = [r for r in rows if r.status == "closed" and window.holds(r.closed_at)]
    due = [
        r
        for r in rows
        if r.status != "rejected" and r.due_date and window.first <= r.due_date <= window.last
    ]
    due_closed = [
        r
        for r in due
        if r.status == "closed"
        and r.closed_at is not None
        and local_day(r.closed_at) <= window.last
    ]
    days = [(r.closed_at - r.reported_at).total_seconds() / 86400 for r in closed if r.closed_at]
    reported = [r for r in rows if window.holds(r.reported_at)]
    return {
        "category": category.upper() if category else None,
        "reported": len(reported),
        "closed": len(closed),
        "closedOnTime": sum(1 for r in closed if r.on_time),
        "rejected": sum(1 for r in reported if r.status == "rejected"),
        "open": sum(1 for r in rows if r.open),
        "overdue": sum(1 for r in rows if r.open and r.due_date and r.due_date < window.today),
        "due": len(due),
        "dueClosed": len(due_closed),
        "dueClosedOnTime": sum(1 for r in due if r.on_time),
        "closureRate": share(len(due_closed), len(due)),
        "onTimeClosureRate": share(sum(1 for r in due if r.on_time), len(due)),
        "meanDaysToClose": sum(days) / len(days) if days else None,
        "p90DaysToClose": percentile(days, 0.9),
    }


def expected_issues(tables: Tables, firms: set[int], window: Window) -> dict[str, Any]:
    rows = [r for r in tables.issues if r.enterprise_id in firms]
    return {
        "total": issue_figures(rows, window, None),
        "byCategory": [
            issue_figures([r for r in rows if r.category == c], window, c) for c in CATEGORIES
        ],
    }


def expected_hard_cases(
    tables: Tables, firms: set[int], today: date, days: int
) -> list[dict[str, Any]]:
    hard = [r for r in tables.issues if r.enterprise_id in firms and r.open and r.age(today) > days]
    hard.sort(key=lambda r: (r.reported_at, r.id))
    return [{"ageDays": r.age(today), "issue": {"id": str(r.id)}} for r in hard]


def expected_outcomes(tables: Tables, firms: set[int], window: Window) -> dict[str, Any]:
    rows = [o for o in tables.outcomes if o[0] in firms and window.holds(o[1])]
    return {
        "recruitedEnterprises": len({o[0] for o in rows if o[2] > 0}),
        "peopleHired": sum(o[2] for o in rows),
        "financedEnterprises": len({o[0] for o in rows if o[3] > 0}),
        "loanCny": float(sum((o[3] for o in rows), Decimal(0))),
        "hazardsRectified": sum(o[4] for o in rows),
    }


def expected_stats(
    tables: Tables, code: str | None, window: Window, days: int = 60
) -> dict[str, Any]:
    """The `stats` answer for the area of `code` (None: everything), as STATS asks for it."""
    firms = tables.members.get(code, set())
    issues = expected_issues(tables, firms, window)
    hazards = issues["byCategory"][CATEGORIES.index("safety_hazard")]
    return {
        "from": window.first.isoformat(),
        "to": window.last.isoformat(),
        "hardCaseDays": days,
        "area": {"code": code} if code else None,
        "visits": expected_visits(tables, firms, window),
        "issues": issues,
        "safetyHazards": {
            "found": hazards["reported"],
            "rectified": hazards["closed"],
            "rectifiedOnTime": hazards["closedOnTime"],
        },
        "hardCases": expected_hard_cases(tables, firms, window.today, days),
        "outcomes": expected_outcomes(tables, firms, window),
    }


def rounded(value: Any) -> Any:
    """Floats to 9 places, through dicts and lists, so that answers compare with ==."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value

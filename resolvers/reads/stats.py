"""Park statistics for an area and a period: visits in the four duties, the ledger's counts
and rates, the hard-case list and outcomes.

Each function is a DataLoader batch function: it takes the period (and any other parameter)
and the scopes asked for, and runs one statement per scope. Dates follow the park's time
zone: a period runs from midnight at the start of its first day to midnight after its last.
Membership is by grid, as everywhere (resolvers.scope)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, text
from sqlalchemy.engine import Connection

from parkgrid.vocabulary import DUTIES, ISSUE_CATEGORIES
from resolvers.records import ISSUE_COLUMNS, AreaKind, IssueRecord, record
from resolvers.scope import ACTIVITY_START, EVENT_START, OPEN_ISSUE, grids_under


def midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(timezone))


def months_between(first: date, last: date) -> int:
    """Calendar months from the one holding `first` to the one holding `last`, both counted."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def next_month(day: date) -> date:
    """The first day of the calendar month after the one holding `day`."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def share(part: int, whole: int) -> float | None:
    """part ÷ whole as the figures report it: no rate (None) when the whole is 0, as when
    nothing fell due in the period."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Period:
    """Inclusive dates in the park's time zone, and today there."""

    first: date
    last: date
    timezone: str
    today: date

    @property
    def full_months(self) -> tuple[date, date] | None:
        """First and last day of the calendar months lying entirely inside the period; None
        when it holds no whole month."""
        start = self.first if self.first.day == 1 else next_month(self.first)
        month_end = (self.last + timedelta(days=1)).day == 1
        end = self.last if month_end else self.last.replace(day=1) - timedelta(days=1)
        return (start, end) if start <= end else None

    @property
    def monthly_days(self) -> tuple[date, date]:
        """The days whose visits count for the monthly test: the full months, or without any
        the whole period (taken as its one month)."""
        return self.full_months or (self.first, self.last)

    @property
    def months(self) -> int:
        """Calendar months wholly inside the period; 1 when there is none (the period itself)."""
        full = self.full_months
        return months_between(*full) if full else 1

    def monthly_params(self) -> dict[str, Any]:
        first, last = self.monthly_days
        return {
            "months": self.months,
            "monthly_start": midnight(first, self.timezone),
            "monthly_end": midnight(last + timedelta(days=1), self.timezone),
        }

    def params(self) -> dict[str, Any]:
        return {
            "start": midnight(self.first, self.timezone),
            "end": midnight(self.last + timedelta(days=1), self.timezone),
            "first": self.first,
            "last": self.last,
            "tz": self.timezone,
            "today": self.today,
        }


@dataclass(frozen=True)
class Scope:
    """The enterprises of one park, zone or grid; without a kind, every enterprise."""

    kind: AreaKind | None = None
    area_id: int | None = None

    def firms(self) -> str:
        if self.kind is None:
            return "SELECT e.id FROM enterprise e"
        under = grids_under(self.kind)
        return f"SELECT e.id FROM enterprise e WHERE e.grid_id IN (SELECT grid_id FROM ({under}) s)"


def run(
    conn: Connection, scope: Scope, period: Period, query: str, **params: Any
) -> list[Row[Any]]:
    """`query` after a CTE `firms` (the scope's enterprise ids), with the period's parameters."""
    statement = text(f"WITH firms AS ({scope.firms()}) {query}")
    bound = {"ids": [scope.area_id], **period.params(), **params}
    return list(conn.execute(statement, bound))


# --- visits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFigures:
    visits: int
    by_duty: tuple[tuple[str, int], ...]
    enterprises: int
    visited: int
    visited_monthly: int
    months: int


DUTY_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE :duty_{n} = ANY(s.duties)) AS duty_{n}" for n in range(len(DUTIES))
)
DUTY_PARAMS = {f"duty_{n}": duty for n, duty in enumerate(DUTIES)}
# `monthly`: the visits between monthly_start and monthly_end (Period.monthly_params) are those
# in the period's full calendar months, which number `months`, so an enterprise visited in each
# has that many distinct months there (never more). Without a full month the window is the
# whole period, `months` is 1 and one visit suffices, even when the period straddles two
# partial months (hence >=, not =).
VISITS = f"""
    , seen AS (
        SELECT v.enterprise_id, v.duties, v.visited_at,
               date_trunc('month', v.visited_at AT TIME ZONE :tz) AS month
        FROM visit v JOIN firms f ON f.id = v.enterprise_id
        WHERE v.visited_at >= :start AND v.visited_at < :end
    ), monthly AS (
        SELECT enterprise_id FROM seen
        WHERE visited_at >= :monthly_start AND visited_at < :monthly_end
        GROUP BY enterprise_id
        HAVING count(DISTINCT month) >= :months
    )
    SELECT (SELECT count(*) FROM firms) AS enterprises, count(*) AS visits,
           count(DISTINCT s.enterprise_id) AS visited,
           (SELECT count(*) FROM monthly) AS visited_monthly, {DUTY_COUNTS}
    FROM seen s
"""


def visit_figures(conn: Connection, period: Period, scope: Scope) -> VisitFigures:
    row = run(conn, scope, period, VISITS, **period.monthly_params(), **DUTY_PARAMS)[0]
    by_duty = tuple((duty, int(row._mapping[key])) for key, duty in DUTY_PARAMS.items())
    return VisitFigures(
        visits=row.visits,
        by_duty=by_duty,
        enterprises=row.enterprises,
        visited=row.visited,
        visited_monthly=row.visited_monthly,
        months=period.months,
    )


def visits(conn: Connection, period: Period, scopes: Sequence[Scope]) -> dict[Scope, VisitFigures]:
    return {scope: visit_figures(conn, period, scope) for scope in scopes}


# --- issues ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueCounts:
    """One category's figures (category None: all categories together)."""

    category: str | None
    reported: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rejected: int = 0
    open: int = 0
    overdue: int = 0
    due: int = 0
    due_closed: int = 0
    due_closed_on_time: int = 0
    mean_days_to_close: float | None = None
    p90_days_to_close: float | None = None


@dataclass(frozen=True)
class IssueFigures:
    total: IssueCounts
    by_category: tuple[IssueCounts, ...]

    def of(self, category: str) -> IssueCounts:
        return next(c for c in self.by_category if c.category == category)


ISSUES = f"""
    , scoped AS (
        SELECT i.category, i.status, i.due_date, {OPEN_ISSUE} AS open,
               i.reported_at >= :start AND i.reported_at < :end AS reported,
               i.status = 'closed' AND i.closed_at >= :start AND i.closed_at < :end AS closed,
               i.status = 'closed' AND i.closed_at < :end AS closed_by_end,
               i.status = 'closed' AND (i.closed_at AT TIME ZONE :tz)::date <= i.due_date
                   AS on_time,
               i.status <> 'rejected' AND i.due_date BETWEEN :first AND :last AS due,
               CAST(EXTRACT(EPOCH FROM i.closed_at - i.reported_at) AS float8) / 86400 AS days
        FROM issue i JOIN firms f ON f.id = i.enterprise_id
    )
    SELECT CASE WHEN GROUPING(category) = 0 THEN category END AS category,
           count(*) FILTER (WHERE reported) AS reported,
           count(*) FILTER (WHERE closed) AS closed,
           count(*) FILTER (WHERE closed AND on_time) AS closed_on_time,
           count(*) FILTER (WHERE reported AND status = 'rejected') AS rejected,
           count(*) FILTER (WHERE open) AS open,
           count(*) FILTER (WHERE open AND due_date < :today) AS overdue,
           count(*) FILTER (WHERE due) AS due,
           count(*) FILTER (WHERE due AND closed_by_end) AS due_closed,
           count(*) FILTER (WHERE due AND on_time) AS due_closed_on_time,
           avg(days) FILTER (WHERE closed) AS mean_days_to_close,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days) FILTER (WHERE closed)
               AS p90_days_to_close
    FROM scoped GROUP BY GROUPING SETS ((category), ())
"""


def issue_figures(conn: Connection, period: Period, scope: Scope) -> IssueFigures:
    found = {row.category: record(IssueCounts, row) for row in run(conn, scope, period, ISSUES)}
    by_category = tuple(found.get(c) or IssueCounts(category=c) for c in ISSUE_CATEGORIES)
    return IssueFigures(total=found.get(None) or IssueCounts(None), by_category=by_category)


def issues(conn: Connection, period: Period, scopes: Sequence[Scope]) -> dict[Scope, IssueFigures]:
    return {scope: issue_figures(conn, period, scope) for scope in scopes}


# --- hard cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HardCase:
    issue: IssueRecord
    age_days: int


HARD_CASES = f"""
    SELECT {ISSUE_COLUMNS}, :today - (i.reported_at AT TIME ZONE :tz)::date AS age_days
    FROM issue i JOIN firms f ON f.id = i.enterprise_id
    WHERE {OPEN_ISSUE} AND i.reported_at < :cutoff
    ORDER BY i.reported_at, i.id
    LIMIT :limit
"""


def hard_case_list(
    conn: Connection, period: Period, days: int, limit: int | None, scope: Scope
) -> tuple[HardCase, ...]:
    """Open issues reported more than `days` days before today, oldest first."""
    cutoff = midnight(period.today - timedelta(days=days), period.timezone)
    found = run(conn, scope, period, HARD_CASES, cutoff=cutoff, limit=limit)
    return tuple(HardCase(record(IssueRecord, row), row.age_days) for row in found)


def hard_cases(
    conn: Connection, period: Period, days: int, limit: int | None, scopes: Sequence[Scope]
) -> dict[Scope, tuple[HardCase, ...]]:
    return {scope: hard_case_list(conn, period, days, limit, scope) for scope in scopes}


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeFigures:
    recruited_enterprises: int
    people_hired: int
    financed_enterprises: int
    loan_cny: float
    hazards_rectified: int


# What the scope's firms gained, wherever it was recorded (each branch joins the firms itself,
# so only their rows are read and masked): outcomes of issues, hires at recruitment
# events, loans agreed at service activities (each dated: an event from the start of its day)
GAINS = f"""
    , gains AS (
        SELECT i.enterprise_id, o.recorded_at AS at, o.people_hired, o.loan_cny,
               o.hazards_rectified
        FROM outcome o JOIN issue i ON i.id = o.issue_id JOIN firms f ON f.id = i.enterprise_id
        UNION ALL
        SELECT h.enterprise_id, {EVENT_START.format(day="r.held_on", park="r.park_id")},
               h.hires, 0, 0
        FROM recruitment_hire h JOIN recruitment_event r ON r.id = h.event_id
        JOIN firms f ON f.id = h.enterprise_id
        UNION ALL
        SELECT x.enterprise_id, {ACTIVITY_START}, 0, x.loan_cny, 0
        FROM activity_enterprise x JOIN service_activity a ON a.id = x.activity_id
        JOIN firms f ON f.id = x.enterprise_id
    )"""

OUTCOMES = f"""{GAINS}
    SELECT count(DISTINCT g.enterprise_id) FILTER (WHERE g.people_hired > 0)
               AS recruited_enterprises,
           coalesce(sum(g.people_hired), 0) AS people_hired,
           count(DISTINCT g.enterprise_id) FILTER (WHERE g.loan_cny > 0) AS financed_enterprises,
           CAST(coalesce(sum(g.loan_cny), 0) AS float8) AS loan_cny,
           coalesce(sum(g.hazards_rectified), 0) AS hazards_rectified
    FROM gains g
    WHERE g.at >= :start AND g.at < :end
"""


def outcome_figures(conn: Connection, period: Period, scope: Scope) -> OutcomeFigures:
    return record(OutcomeFigures, run(conn, scope, period, OUTCOMES)[0])


def outcomes(
    conn: Connection, period: Period, scopes: Sequence[Scope]
) -> dict[Scope, OutcomeFigures]:
    return {scope: outcome_figures(conn, period, scope) for scope in scopes}

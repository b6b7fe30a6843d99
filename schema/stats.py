"""Park statistics: `stats` on the Query root, one report per area and period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import strawberry

from parkgrid.errors import InvalidInput, NotFound
from resolvers.reads import areas, stats
from resolvers.reads.stats import IssueCounts, Period, Scope, share
from resolvers.records import AreaKind, AreaRecord
from schema import reading
from schema.areas import Area
from schema.context import Info
from schema.enums import Duty, IssueCategory
from schema.ledger import Issue
from schema.story_stats import StoryStats

DEFAULT_DAYS = 365
HAZARD = "safety_hazard"


@strawberry.type(description="Visits in the period that exercised one duty.")
class DutyVisits:
    duty: Duty = strawberry.field(description="The duty.")
    visits: int = strawberry.field(description="Visits in the period that exercised it.")


@strawberry.type(description="Visits to the area's enterprises in the period.")
class VisitStats:
    visits: int = strawberry.field(description="Visits in the period, whatever their duties.")
    by_duty: list[DutyVisits] = strawberry.field(
        description="Per duty, the visits exercising it; a visit counts once for each of its"
        " duties, so these add up to `visits` or more."
    )
    enterprises: int = strawberry.field(description="Enterprises in the area now.")
    enterprises_visited: int = strawberry.field(description="Of them, visited in the period.")
    enterprises_not_visited: int = strawberry.field(
        description="Of them, not visited in the period."
    )
    months: int = strawberry.field(
        description="Calendar months (park time zone) lying entirely inside the period; a"
        " partial first or last month is not counted. 1 when the period holds no full month"
        " (the whole period is then taken as the one month)."
    )
    enterprises_visited_monthly: int = strawberry.field(
        description="Enterprises with at least one visit in each of those full calendar months"
        " (visits in a partial first or last month do not matter); when the period holds no"
        " full month, enterprises visited at least once in the period."
    )
    monthly_visited_share: float | None = strawberry.field(
        description="enterprisesVisitedMonthly ÷ enterprises; null without enterprises."
    )

    @classmethod
    def of(cls, found: stats.VisitFigures) -> VisitStats:
        return cls(
            visits=found.visits,
            by_duty=[DutyVisits(duty=Duty(d), visits=n) for d, n in found.by_duty],
            enterprises=found.enterprises,
            enterprises_visited=found.visited,
            enterprises_not_visited=found.enterprises - found.visited,
            months=found.months,
            enterprises_visited_monthly=found.visited_monthly,
            monthly_visited_share=share(found.visited_monthly, found.enterprises),
        )


@strawberry.type(
    description="Ledger figures of one category, or of all (category null). Closure rates"
    " follow Chinese city-management reports: of the issues due in the period (due date in"
    " it, rejected ones left out), the share closed by the period's end and the share closed"
    " by their due date (closing day in the park time zone)."
)
class IssueFigures:
    category: IssueCategory | None = strawberry.field(
        description="The category; null for all categories together."
    )
    reported: int = strawberry.field(description="Reported in the period.")
    closed: int = strawberry.field(description="Closed in the period.")
    closed_on_time: int = strawberry.field(
        description="Closed in the period on or before the due date."
    )
    rejected: int = strawberry.field(description="Reported in the period and rejected.")
    open: int = strawberry.field(description="Open now (not closed or rejected).")
    overdue: int = strawberry.field(description="Open now and due before today.")
    due: int = strawberry.field(description="Not rejected, due date in the period.")
    due_closed: int = strawberry.field(description="Of those due, closed by the period's end.")
    due_closed_on_time: int = strawberry.field(
        description="Of those due, closed by their due date."
    )
    closure_rate: float | None = strawberry.field(
        description="dueClosed ÷ due (结案率); null when nothing is due."
    )
    on_time_closure_rate: float | None = strawberry.field(
        description="dueClosedOnTime ÷ due (按期结案率); null when nothing is due."
    )
    mean_days_to_close: float | None = strawberry.field(
        description="Mean of closedAt − reportedAt in days, over the issues closed in the"
        " period; null when none was."
    )
    p90_days_to_close: float | None = strawberry.field(
        description="90th percentile of the same (linear interpolation, as percentile_cont)."
    )

    @classmethod
    def of(cls, found: IssueCounts) -> IssueFigures:
        category = IssueCategory(found.category) if found.category else None
        rates = {
            "closure_rate": share(found.due_closed, found.due),
            "on_time_closure_rate": share(found.due_closed_on_time, found.due),
        }
        return cls(**(vars(found) | rates | {"category": category}))


@strawberry.type(description="The ledger in the area and period.")
class IssueStats:
    total: IssueFigures = strawberry.field(description="All categories together.")
    by_category: list[IssueFigures] = strawberry.field(
        description="Every category, in a fixed order, zeros included."
    )


@strawberry.type(description="Safety hazards (issues of category safety_hazard).")
class HazardStats:
    found: int = strawberry.field(description="Reported in the period.")
    rectified: int = strawberry.field(description="Closed in the period.")
    rectified_on_time: int = strawberry.field(
        description="Closed in the period, on a day (park time zone) no later than the due date."
    )


@strawberry.type(description="An open issue older than the hard-case threshold.")
class HardCase:
    issue_id: strawberry.Private[int]
    age_days: int = strawberry.field(
        description="Days from the reporting day to today, in the park time zone."
    )

    @strawberry.field(description="The issue.")
    async def issue(self, info: Info) -> Issue:
        return await reading.entity(info, "Issue", self.issue_id)


@strawberry.type(
    description="What the area's enterprises gained in the period: outcomes of issues, hires"
    " at recruitment events and loans agreed at service activities."
)
class OutcomeStats:
    recruited_enterprises: int = strawberry.field(
        description="Distinct enterprises with people hired (an outcome or a recruitment event)."
    )
    people_hired: int = strawberry.field(
        description="People hired: outcomes and recruitment events."
    )
    financed_enterprises: int = strawberry.field(
        description="Distinct enterprises with a loan (an outcome or a service activity)."
    )
    loan_cny: float = strawberry.field(description="Loans in CNY.")
    hazards_rectified: int = strawberry.field(
        description="Hazards rectified, summed over the outcomes."
    )


@strawberry.type(description="Statistics of an area (or of everything) over a period.")
class Stats(StoryStats):
    period: strawberry.Private[Period]
    scope: strawberry.Private[Scope]
    found_area: strawberry.Private[AreaRecord | None]
    first: date = strawberry.field(name="from", description="First day, park time zone.")
    last: date = strawberry.field(name="to", description="Last day, park time zone.")
    timezone: str = strawberry.field(
        description="The park time zone the days are counted in (IANA name)."
    )
    hard_case_days: int = strawberry.field(
        description="The hard-case threshold in days used for hardCases."
    )

    @strawberry.field(description="The park, zone or grid; null for everything.")
    async def area(self, info: Info) -> Area | None:
        found = self.found_area
        if found is None:
            return None
        return await reading.entity(info, found.kind.capitalize(), found.id)

    @strawberry.field(description="Visits in the period.")
    async def visits(self, info: Info) -> VisitStats:
        found = await info.context.loaders(stats.visits, self.period).load(self.scope)
        return VisitStats.of(found)

    async def issue_figures(self, info: Info) -> stats.IssueFigures:
        found: stats.IssueFigures = await info.context.loaders(stats.issues, self.period).load(
            self.scope
        )
        return found

    @strawberry.field(description="Issue figures, all together and by category.")
    async def issues(self, info: Info) -> IssueStats:
        found = await self.issue_figures(info)
        by_category = [IssueFigures.of(counts) for counts in found.by_category]
        return IssueStats(total=IssueFigures.of(found.total), by_category=by_category)

    @strawberry.field(description="Safety hazards found and rectified.")
    async def safety_hazards(self, info: Info) -> HazardStats:
        found = (await self.issue_figures(info)).of(HAZARD)
        return HazardStats(
            found=found.reported, rectified=found.closed, rectified_on_time=found.closed_on_time
        )

    @strawberry.field(
        description="Open issues (now) reported more than hardCaseDays days before today,"
        " oldest first; at most `first` when given."
    )
    async def hard_cases(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="The most to list; null: every one.")
        ] = None,
    ) -> list[HardCase]:
        loader = info.context.loaders(stats.hard_cases, self.period, self.hard_case_days, first)
        found: tuple[stats.HardCase, ...] = await loader.load(self.scope)
        return [HardCase(issue_id=case.issue.id, age_days=case.age_days) for case in found]

    @strawberry.field(description="Outcomes recorded in the period.")
    async def outcomes(self, info: Info) -> OutcomeStats:
        found = await info.context.loaders(stats.outcomes, self.period).load(self.scope)
        return OutcomeStats(**vars(found))


def chosen_area(codes: dict[AreaKind, str | None]) -> tuple[AreaKind, str] | None:
    given = [(kind, code) for kind, code in codes.items() if code is not None]
    if len(given) > 1:
        raise InvalidInput("give at most one of park, zone and grid", field=given[1][0])
    return given[0] if given else None


async def area_of(info: Info, codes: dict[AreaKind, str | None]) -> AreaRecord | None:
    chosen = chosen_area(codes)
    if chosen is None:
        return None
    kind, code = chosen
    found: AreaRecord | None = await info.context.loaders(areas.by_codes, kind).load(code)
    if found is None:
        raise NotFound(f"no {kind} has code {code!r}", field=kind)
    return found


def checked_period(info: Info, first: date | None, last: date | None) -> Period:
    today = info.context.today
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("must not be after `to`", field="from")
    return Period(first, last, info.context.api.timezone, today)


def checked_days(info: Info, days: int | None) -> int:
    chosen = info.context.ledger.hard_case_days if days is None else days
    if chosen < 0:
        raise InvalidInput("must not be negative", field="hardCaseDays")
    return chosen


def scope_of(found: AreaRecord | None) -> Scope:
    return Scope(found.kind, found.id) if found else Scope()


FromArgument = Annotated[
    date | None,
    strawberry.argument(name="from", description="First day; default: 364 days before `to`."),
]
ToArgument = Annotated[date | None, strawberry.argument(description="Last day; default today.")]
DaysArgument = Annotated[
    int | None, strawberry.argument(description="Default: the ledger setting hard_case_days (60).")
]


@strawberry.type
class StatsQuery:
    @strawberry.field(
        description="Statistics of a park, zone or grid (at most one; none: every enterprise,"
        " in a grid or not) from `from` to `to`, inclusive dates in the park's time zone"
        " (default: the 365 days ending today). Figures said to be 'now' ignore the period."
    )
    async def stats(
        self,
        info: Info,
        park: str | None = None,
        zone: str | None = None,
        grid: str | None = None,
        first: FromArgument = None,
        to: ToArgument = None,
        hard_case_days: DaysArgument = None,
    ) -> Stats:
        found = await area_of(info, {"park": park, "zone": zone, "grid": grid})
        period, days = checked_period(info, first, to), checked_days(info, hard_case_days)
        return stats_of(period, found, days)


def stats_of(period: Period, found: AreaRecord | None, days: int) -> Stats:
    return Stats(
        period=period,
        scope=scope_of(found),
        found_area=found,
        first=period.first,
        last=period.last,
        timezone=period.timezone,
        hard_case_days=days,
    )

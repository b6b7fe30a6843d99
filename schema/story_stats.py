"""The park story's sections of `stats`: service activities by kind, the party-building
record in the report's shape (counts only) and safety standardisation."""

from __future__ import annotations

import strawberry

from resolvers.reads import story_stats
from resolvers.reads.stats import Period, Scope
from schema.activities import ActivityKind
from schema.context import Info
from schema.party_record import MeetingKind, StandardisationLevel


@strawberry.type(description="Service activities of one kind in the period.")
class ActivityKindCount:
    kind: ActivityKind = strawberry.field(description="The kind.")
    activities: int = strawberry.field(description="Activities that reached the area.")
    enterprises_reached: int = strawberry.field(description="Distinct enterprises reached.")
    loan_cny: float = strawberry.field(description="Loans agreed there (CNY).")


@strawberry.type(description="Service activities held in the period, per kind.")
class ActivityStats:
    activities: int = strawberry.field(description="Activities, all kinds.")
    by_kind: list[ActivityKindCount] = strawberry.field(
        description="Every kind, in a fixed order, zeros included."
    )


@strawberry.type(description="Meetings of one kind held in the period.")
class MeetingCount:
    kind: MeetingKind = strawberry.field(description="The kind of meeting.")
    meetings: int = strawberry.field(description="How many were held.")


@strawberry.type(
    description="The party-building record of the area's enterprises in the period, in the"
    " report's shape; counts only, never a member's name."
)
class PartyBuildingStats:
    new_branches: int = strawberry.field(
        description="Party organisations established in the period."
    )
    elections: int = strawberry.field(description="Branch elections held in the period.")
    activists: int = strawberry.field(description="Activists trained (入党积极分子).")
    candidates: int = strawberry.field(description="Development candidates settled (发展对象).")
    confirmed: int = strawberry.field(description="Probationary members confirmed (转正).")
    theme_days_attended: int = strawberry.field(
        description="Theme party days their liaison attended."
    )
    demonstration_sites: int = strawberry.field(
        description="Enterprises holding the demonstration-site honour at the period's end."
    )
    benchmark_branches: int = strawberry.field(
        description="Enterprises whose branch is a benchmark branch at the period's end."
    )
    meetings: list[MeetingCount] = strawberry.field(description="Meetings per kind.")


@strawberry.type(description="Enterprises certified at one level.")
class LevelCount:
    level: StandardisationLevel = strawberry.field(description="The level.")
    enterprises: int = strawberry.field(description="Enterprises certified at it.")


@strawberry.type(description="Safety standardisation (安全生产标准化) of the area's enterprises.")
class StandardisationStats:
    standardised: int = strawberry.field(
        description="Enterprises certified on or before the period's last day."
    )
    certified_in_period: int = strawberry.field(description="Of them, certified in the period.")
    by_level: list[LevelCount] = strawberry.field(description="Per level, zeros included.")


@strawberry.type
class StoryStats:
    period: strawberry.Private[Period]
    scope: strawberry.Private[Scope]

    @strawberry.field(description="Park-wide service activities by kind.")
    async def activities(self, info: Info) -> ActivityStats:
        found = await info.context.loaders(story_stats.activity_counts, self.period).load(
            self.scope
        )
        by_kind = [
            ActivityKindCount(kind=ActivityKind(c.kind), activities=c.activities,
                              enterprises_reached=c.enterprises_reached, loan_cny=c.loan_cny)
            for c in found
        ]  # fmt: skip
        return ActivityStats(activities=sum(c.activities for c in found), by_kind=by_kind)

    @strawberry.field(description="The party-building record, counts only.")
    async def party_building(self, info: Info) -> PartyBuildingStats:
        found = await info.context.loaders(story_stats.party, self.period).load(self.scope)
        meetings = [MeetingCount(kind=MeetingKind(k), meetings=n) for k, n in found.meetings]
        counts = {k: v for k, v in vars(found).items() if k != "meetings"}
        return PartyBuildingStats(**counts, meetings=meetings)

    @strawberry.field(description="Safety standardisation, counted.")
    async def safety_standardisation(self, info: Info) -> StandardisationStats:
        loader = info.context.loaders(story_stats.standardisation, self.period)
        found = await loader.load(self.scope)
        levels = [
            LevelCount(level=StandardisationLevel(k), enterprises=n) for k, n in found.by_level
        ]
        return StandardisationStats(standardised=found.standardised,
                                    certified_in_period=found.certified_in_period,
                                    by_level=levels)  # fmt: skip

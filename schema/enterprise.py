"""Enterprises: a firm at a point, in at most one grid. Declarations only: the read compiler
answers every field (resolvers.reads.types_enterprise)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.areas import Grid, Precision, Zone
from schema.connection import Connection
from schema.reading import compiled_only
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.activities import ServiceActivity
    from schema.hiring import HiringPlan
    from schema.ledger import Event, Issue, Visit
    from schema.party import PartyOrganisation
    from schema.party_record import (
        BranchElection,
        PartyHonour,
        PartyMeeting,
        PipelineEntry,
        SafetyStandardisation,
    )
    from schema.people import Cadre
    from schema.projects import ConstructionProject

IssueType = Annotated["Issue", strawberry.lazy("schema.ledger")]
EventType = Annotated["Event", strawberry.lazy("schema.ledger")]
VisitType = Annotated["Visit", strawberry.lazy("schema.ledger")]
CadreType = Annotated["Cadre", strawberry.lazy("schema.people")]
PartyOrganisationType = Annotated["PartyOrganisation", strawberry.lazy("schema.party")]
ProjectType = Annotated["ConstructionProject", strawberry.lazy("schema.projects")]
ActivityType = Annotated["ServiceActivity", strawberry.lazy("schema.activities")]
HiringPlanType = Annotated["HiringPlan", strawberry.lazy("schema.hiring")]
RECORD = strawberry.lazy("schema.party_record")
MeetingType = Annotated["PartyMeeting", RECORD]
ElectionType = Annotated["BranchElection", RECORD]
PipelineType = Annotated["PipelineEntry", RECORD]
HonourType = Annotated["PartyHonour", RECORD]
StandardisationType = Annotated["SafetyStandardisation", RECORD]
Since = Annotated[
    date | None, strawberry.argument(name="from", description="First day, when given.")
]
Until = Annotated[date | None, strawberry.argument(description="Last day, when given.")]


@strawberry.type(description="A firm at a point location.")
class Enterprise:
    uscc: str = strawberry.field(description="Unified Social Credit Code (GB 32100-2015).")
    name: str = strawberry.field(description="The registered name.")
    industry: str | None = strawberry.field(description="Its industry; null when not recorded.")
    address: str | None = strawberry.field(description="Postal address; null when not recorded.")

    @strawberry.field(description="The location as a GeoJSON Point.")
    def location(self, precision: Precision = 6) -> GeoJSON:
        return compiled_only()

    distance_meters: float | None = strawberry.field(
        description="Geodesic distance from the query's reference point (near, nearest);"
        " null when the query has none."
    )
    party_organisation: PartyOrganisationType | None = strawberry.field(
        description="Its party organisation; null when none is recorded."
    )
    grid: Grid | None = strawberry.field(
        description="The grid whose boundary covers the point; null when none."
    )
    zone: Zone | None = strawberry.field(description="The zone of the enterprise's grid.")

    @strawberry.field(description="The liaison cadre at `at` (default now).")
    def liaison(self, at: datetime | None = None) -> CadreType | None:
        return compiled_only()

    events: list[EventType] = strawberry.field(
        description="Everything recorded about the enterprise and its issues, visits and"
        " assignments, oldest first; never edited."
    )

    construction_projects: list[ProjectType] = strawberry.field(
        description="Its construction projects, oldest first."
    )
    service_activities: list[ActivityType] = strawberry.field(
        description="Park-wide activities that reached it, newest first."
    )

    @strawberry.field(description="Its hiring plans, of one month when given.")
    def hiring_plans(
        self,
        month: Annotated[
            date | None, strawberry.argument(description="The month's first day.")
        ] = None,
    ) -> list[HiringPlanType]:
        return compiled_only()

    @strawberry.field(description="Its party organisation's meetings, newest first.")
    def party_meetings(self, first: Since = None, to: Until = None) -> list[MeetingType]:
        return compiled_only()

    @strawberry.field(description="Its branch elections, newest first.")
    def branch_elections(self, first: Since = None, to: Until = None) -> list[ElectionType]:
        return compiled_only()

    @strawberry.field(description="Membership pipeline counts (never names), newest first.")
    def party_pipeline(self, first: Since = None, to: Until = None) -> list[PipelineType]:
        return compiled_only()

    @strawberry.field(description="Honours its branch received, newest first.")
    def party_honours(self, first: Since = None, to: Until = None) -> list[HonourType]:
        return compiled_only()

    safety_standardisation: StandardisationType | None = strawberry.field(
        description="Its safety standardisation; null when none is recorded."
    )

    @strawberry.field(description="Issues raised by the enterprise, newest first.")
    def issues(self, first: int | None = None, after: str | None = None) -> Connection[IssueType]:
        return compiled_only()

    @strawberry.field(description="Visits to the enterprise, newest first.")
    def visits(self, first: int | None = None, after: str | None = None) -> Connection[VisitType]:
        return compiled_only()

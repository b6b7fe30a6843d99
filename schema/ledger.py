"""The ledger: visits and issues, with their event log."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from parkgrid.vocabulary import OPEN_STATUSES
from resolvers import enterprises, events, ledger
from resolvers.records import EventRecord, IssueRecord, VisitRecord
from schema.areas import point_geojson
from schema.context import Info
from schema.convert import from_record, graphql_id
from schema.enums import Duty, IssueCategory, IssueStatus, Severity
from schema.people import Cadre, load_cadre
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]


async def load_enterprise(info: Info, enterprise_id: int) -> EnterpriseType | None:
    from schema.enterprise import Enterprise

    found = await info.context.loaders(enterprises.by_ids).load(enterprise_id)
    return Enterprise.of(found) if found else None


@strawberry.type(description="One change in the append-only log.")
class Event:
    record: strawberry.Private[EventRecord]
    id: strawberry.ID
    occurred_at: datetime
    subject: str = strawberry.field(description="issue, visit, assignment, enterprise, ...")
    action: str
    changes: JSON | None = strawberry.field(
        description="Values before and after; null unless you serve the record."
    )
    note: str | None

    @classmethod
    def of(cls, record: EventRecord) -> Event:
        changes = None if record.changes is None else JSON(record.changes)
        return from_record(cls, record, id=graphql_id(record), changes=changes)

    @strawberry.field
    async def actor(self, info: Info) -> Cadre | None:
        return await load_cadre(info, self.record.actor_id)


@strawberry.type(description="A problem or need an enterprise raised, tracked until closed.")
class Issue:
    record: strawberry.Private[IssueRecord]
    id: strawberry.ID
    category: IssueCategory
    title: str | None = strawberry.field(description="Null for anonymous callers.")
    description: str | None
    severity: Severity
    status: IssueStatus
    responsible_unit: str | None
    due_date: date | None
    rejection_reason: str | None
    reported_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int

    @classmethod
    def of(cls, record: IssueRecord) -> Issue:
        return from_record(
            cls,
            record,
            id=graphql_id(record),
            category=IssueCategory(record.category),
            severity=Severity(record.severity),
            status=IssueStatus(record.status),
        )

    @strawberry.field(description="Open and past its due date in the park's time zone.")
    def overdue(self, info: Info) -> bool:
        due = self.record.due_date
        return self.record.status in OPEN_STATUSES and due is not None and due < info.context.today

    @strawberry.field
    async def enterprise(self, info: Info) -> EnterpriseType | None:
        return await load_enterprise(info, self.record.enterprise_id)

    @strawberry.field
    async def reporter(self, info: Info) -> Cadre | None:
        return await load_cadre(info, self.record.reporter_id)

    @strawberry.field
    async def assignee(self, info: Info) -> Cadre | None:
        return await load_cadre(info, self.record.assignee_id)

    @strawberry.field(description="Every change to the issue, oldest first.")
    async def events(self, info: Info) -> list[Event]:
        found = await info.context.loaders(events.of_subjects, "issue").load(self.record.id)
        return [Event.of(item) for item in found]


@strawberry.type(description="A cadre's visit to an enterprise, in one or more duties.")
class Visit:
    record: strawberry.Private[VisitRecord]
    id: strawberry.ID
    visited_at: datetime
    duties: list[Duty]
    note: str | None

    @classmethod
    def of(cls, record: VisitRecord) -> Visit:
        duties = [Duty(duty) for duty in record.duties]
        return from_record(cls, record, id=graphql_id(record), duties=duties)

    @strawberry.field
    async def cadre(self, info: Info) -> Cadre | None:
        return await load_cadre(info, self.record.cadre_id)

    @strawberry.field
    async def enterprise(self, info: Info) -> EnterpriseType | None:
        return await load_enterprise(info, self.record.enterprise_id)

    async def checked_in(self, info: Info) -> VisitRecord:
        found: VisitRecord = await info.context.loaders(ledger.visits_by_ids).load(self.record.id)
        return found

    @strawberry.field(description="Where the cadre checked in, if they did.")
    async def check_in(self, info: Info) -> GeoJSON | None:
        found = await self.checked_in(info)
        if found.check_in_lon is None or found.check_in_lat is None:
            return None
        return point_geojson(found.check_in_lon, found.check_in_lat, 6)

    @strawberry.field(description="Geodesic distance from the check-in to the enterprise.")
    async def check_in_distance_meters(self, info: Info) -> float | None:
        return (await self.checked_in(info)).check_in_distance_m

    @strawberry.field(
        description="True when the check-in lies farther from the enterprise than the park"
        " allows (500 m by default): accepted, but worth a look."
    )
    async def check_in_flagged(self, info: Info) -> bool:
        distance = (await self.checked_in(info)).check_in_distance_m
        return distance is not None and distance > info.context.ledger.check_in_tolerance_m

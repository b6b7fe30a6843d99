"""Cadres and their assignments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import cadres, enterprises
from resolvers.records import AssignmentRecord, CadreRecord
from schema.areas import Grid, Zone, load_area
from schema.context import Info
from schema.convert import from_record, graphql_id
from schema.enums import Role

if TYPE_CHECKING:
    from schema.enterprise import Enterprise

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]


@strawberry.type(description="A park officer who serves enterprises.")
class Cadre:
    record: strawberry.Private[CadreRecord]
    id: strawberry.ID
    name: str
    title: str | None
    unit: str | None
    phone: str | None

    @classmethod
    def of(cls, record: CadreRecord) -> Cadre:
        return from_record(cls, record, id=graphql_id(record))

    @strawberry.field(
        description="Distance from the query's reference point to the nearest enterprise the"
        " cadre serves (nearestCadres); null elsewhere."
    )
    def distance_meters(self) -> float | None:
        return self.record.distance_m

    @strawberry.field(description="Assignments held at `at` (default now).")
    async def assignments(self, info: Info, at: datetime | None = None) -> list[Assignment]:
        moment = at or info.context.now
        found = await info.context.loaders(cadres.assignments_of, moment).load(self.record.id)
        return [Assignment.of(item) for item in found]


@strawberry.type(description="A cadre's duty on a zone, a grid or an enterprise, for a period.")
class Assignment:
    record: strawberry.Private[AssignmentRecord]
    id: strawberry.ID
    role: Role
    valid_from: datetime
    valid_to: datetime | None

    @classmethod
    def of(cls, record: AssignmentRecord) -> Assignment:
        return from_record(cls, record, id=graphql_id(record), role=Role(record.role))

    @strawberry.field
    async def zone(self, info: Info) -> Zone | None:
        found = await load_area(info, "zone", self.record.zone_id)
        return Zone.of(found) if found else None

    @strawberry.field
    async def grid(self, info: Info) -> Grid | None:
        found = await load_area(info, "grid", self.record.grid_id)
        return Grid.of(found) if found else None

    @strawberry.field
    async def enterprise(self, info: Info) -> EnterpriseType | None:
        from schema.enterprise import Enterprise

        if self.record.enterprise_id is None:
            return None
        found = await info.context.loaders(enterprises.by_ids).load(self.record.enterprise_id)
        return Enterprise.of(found) if found else None


async def load_cadre(info: Info, cadre_id: int | None) -> Cadre | None:
    if cadre_id is None:
        return None
    found = await info.context.loaders(cadres.by_ids).load(cadre_id)
    return Cadre.of(found) if found else None

"""Parks, zones and grids: the Area interface and its three kinds."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from geo.sql import MAX_PRECISION
from parkgrid.errors import InvalidInput
from resolvers import areas, cadres, enterprises, issues
from resolvers.records import AreaKind, AreaRecord, ServingRecord
from schema.connection import Connection, connection
from schema.context import Info
from schema.convert import from_record
from schema.enums import Role
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.enterprise import Enterprise
    from schema.ledger import Issue
    from schema.people import Cadre

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]
IssueType = Annotated["Issue", strawberry.lazy("schema.ledger")]
CadreType = Annotated["Cadre", strawberry.lazy("schema.people")]


def checked_precision(precision: int) -> int:
    if not 0 <= precision <= MAX_PRECISION:
        raise InvalidInput(f"must be between 0 and {MAX_PRECISION}", field="precision")
    return precision


@strawberry.type(description="A cadre serving an area, in one role.")
class ServingCadre:
    cadre: CadreType
    role: Role
    targets: int = strawberry.field(
        description="How many zones, grids or enterprises of the area they hold in this role."
    )

    @strawberry.field
    def id(self) -> strawberry.ID:
        return self.cadre.id

    @strawberry.field
    def name(self) -> str:
        return self.cadre.name


async def serving_cadre(info: Info, serving: ServingRecord) -> ServingCadre:
    from schema.people import Cadre

    found = await info.context.loaders(cadres.by_ids).load(serving.cadre_id)
    return ServingCadre(cadre=Cadre.of(found), role=Role(serving.role), targets=serving.targets)


@strawberry.interface(description="A park, a zone of a park, or a grid of a zone.")
class Area:
    record: strawberry.Private[AreaRecord]
    code: str
    name: str

    @classmethod
    def of(cls, record: AreaRecord) -> Self:
        return from_record(cls, record)

    @property
    def kind(self) -> AreaKind:
        return self.record.kind

    @strawberry.field(description="The boundary as a GeoJSON MultiPolygon.")
    async def boundary(self, info: Info, precision: int = 6) -> GeoJSON:
        loader = info.context.loaders(areas.boundaries, self.kind, checked_precision(precision))
        geometry: GeoJSON = await loader.load(self.record.id)
        return geometry

    @strawberry.field(description="Area in square metres, on the WGS 84 spheroid.")
    async def area_sq_m(self, info: Info) -> float:
        value: float = await info.context.loaders(areas.areas_sqm, self.kind).load(self.record.id)
        return value

    @strawberry.field(description="Enterprises whose grid lies in this area, by code.")
    async def enterprises(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[EnterpriseType]:
        from schema.enterprise import Enterprise

        request = info.context.page(first, after)
        loaders = info.context.loaders
        page = await loaders(enterprises.pages_in_areas, self.kind, request).load(self.record.id)
        counter = loaders(enterprises.counts_in_areas, self.kind)
        return connection(page, Enterprise.of, lambda: counter.load(self.record.id))

    @strawberry.field(description="Issues not closed or rejected, oldest first.")
    async def open_issues(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[IssueType]:
        from schema.ledger import Issue

        request = info.context.page(first, after)
        loaders = info.context.loaders
        page = await loaders(issues.open_pages_in_areas, self.kind, request).load(self.record.id)
        counter = loaders(issues.open_counts_in_areas, self.kind)
        return connection(page, Issue.of, lambda: counter.load(self.record.id))

    @strawberry.field(
        description="Everyone serving the area at `at` (default now): zone and grid leads"
        " over it and the liaisons of its enterprises."
    )
    async def cadres(self, info: Info, at: datetime | None = None) -> list[ServingCadre]:
        moment = at or info.context.now
        loader = info.context.loaders(cadres.serving_areas, self.kind, moment)
        return [await serving_cadre(info, s) for s in await loader.load(self.record.id)]


async def load_area(info: Info, kind: AreaKind, area_id: int | None) -> AreaRecord | None:
    if area_id is None:
        return None
    found: AreaRecord | None = await info.context.loaders(areas.by_ids, kind).load(area_id)
    return found


async def child_connection(
    info: Info, kind: AreaKind, parent_id: int, first: int | None, after: str | None
) -> Connection[Zone] | Connection[Grid]:
    request = info.context.page(first, after)
    page = await info.context.db.read(areas.listing, kind, parent_id, request)

    async def count() -> int:
        return await info.context.db.read(areas.count, kind, parent_id)

    return connection(page, AREA_TYPES[kind].of, count)  # type: ignore[return-value]


@strawberry.type(description="The whole managed area of an industrial park.")
class Park(Area):
    @strawberry.field
    async def zones(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Zone]:
        return await child_connection(info, "zone", self.record.id, first, after)  # type: ignore[return-value]


@strawberry.type(description="A large division of a park (片区).")
class Zone(Area):
    @strawberry.field
    async def park(self, info: Info) -> Park | None:
        found = await load_area(info, "park", self.record.parent_id)
        return Park.of(found) if found else None

    @strawberry.field
    async def grids(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Grid]:
        return await child_connection(info, "grid", self.record.id, first, after)  # type: ignore[return-value]


@strawberry.type(description="A block of a zone (网格); every enterprise belongs to at most one.")
class Grid(Area):
    @strawberry.field
    async def zone(self, info: Info) -> Zone | None:
        found = await load_area(info, "zone", self.record.parent_id)
        return Zone.of(found) if found else None


AREA_TYPES: dict[AreaKind, type[Park] | type[Zone] | type[Grid]] = {
    "park": Park,
    "zone": Zone,
    "grid": Grid,
}

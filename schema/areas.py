"""Parks, zones and grids: the Area interface and its three kinds."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry

from geo.shape import round_coordinate
from resolvers import areas, cadres, counts, enterprises, issues
from resolvers.areas import checked_precision, checked_tolerance
from resolvers.records import AreaKind, AreaMeasures, AreaRecord, ServingRecord
from schema.connection import Connection, connection
from schema.context import Info
from schema.convert import from_record
from schema.enums import Role
from schema.inputs import (
    AreaFilterInput,
    EnterpriseFilterInput,
    EnterpriseOrder,
    area_filter,
    enterprise_filter,
)
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.enterprise import Enterprise
    from schema.ledger import Issue
    from schema.people import Cadre

EnterpriseType = Annotated["Enterprise", strawberry.lazy("schema.enterprise")]
IssueType = Annotated["Issue", strawberry.lazy("schema.ledger")]
CadreType = Annotated["Cadre", strawberry.lazy("schema.people")]


def point_geojson(lon: float, lat: float, precision: int) -> GeoJSON:
    coordinates = [round_coordinate(lon, precision), round_coordinate(lat, precision)]
    return GeoJSON({"type": "Point", "coordinates": coordinates})


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
    async def boundary(
        self,
        info: Info,
        precision: int = 6,
        simplify: Annotated[
            float, strawberry.argument(description="Tolerance in metres; 0 keeps every vertex.")
        ] = 0.0,
    ) -> GeoJSON:
        digits, tolerance = checked_precision(precision), checked_tolerance(simplify)
        loader = info.context.loaders(areas.boundaries, self.kind, digits, tolerance)
        geometry: GeoJSON = await loader.load(self.record.id)
        return geometry

    async def measured(self, info: Info) -> AreaMeasures:
        found: AreaMeasures = await info.context.loaders(areas.measures, self.kind).load(
            self.record.id
        )
        return found

    @strawberry.field(description="Area in square metres, on the WGS 84 spheroid.")
    async def area_sq_m(self, info: Info) -> float:
        return (await self.measured(info)).area_m2

    @strawberry.field(description="Perimeter in metres, on the WGS 84 spheroid.")
    async def perimeter_m(self, info: Info) -> float:
        return (await self.measured(info)).perimeter_m

    @strawberry.field(description="The geodesic centroid as a GeoJSON Point.")
    async def centroid(self, info: Info, precision: int = 6) -> GeoJSON:
        found = await self.measured(info)
        return point_geojson(found.centroid_lon, found.centroid_lat, checked_precision(precision))

    @strawberry.field(description="[minLon, minLat, maxLon, maxLat] of the boundary.")
    async def bbox(self, info: Info) -> list[float]:
        found = await self.measured(info)
        return [found.west, found.south, found.east, found.north]

    @strawberry.field(description="Enterprises whose grid lies in this area, filtered, by code.")
    async def enterprises(
        self,
        info: Info,
        filter: EnterpriseFilterInput | None = None,
        order_by: EnterpriseOrder = EnterpriseOrder.CODE,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[EnterpriseType]:
        from schema.enterprise import Enterprise

        request, where = (
            info.context.page(first, after),
            enterprise_filter(filter, info.context.principal.is_staff),
        )
        loaders = info.context.loaders
        pages = loaders(enterprises.pages_in_areas, self.kind, where, order_by.value, request)
        page = await pages.load(self.record.id)
        counter = loaders(counts.enterprises, self.kind, where)
        return connection(page, Enterprise.of, lambda: counter.load(self.record.id))

    @strawberry.field(description="How many enterprises (matching the filter) lie in the area.")
    async def enterprise_count(
        self, info: Info, filter: EnterpriseFilterInput | None = None
    ) -> int:
        loader = info.context.loaders(
            counts.enterprises,
            self.kind,
            enterprise_filter(filter, info.context.principal.is_staff),
        )
        found: int = await loader.load(self.record.id)
        return found

    @strawberry.field(description="Issues not closed or rejected.")
    async def open_issue_count(self, info: Info) -> int:
        found: int = await info.context.loaders(counts.open_issues, self.kind).load(self.record.id)
        return found

    @strawberry.field(description="Open issues past their due date in the park's time zone.")
    async def overdue_issue_count(self, info: Info) -> int:
        loader = info.context.loaders(counts.overdue_issues, self.kind, info.context.today)
        found: int = await loader.load(self.record.id)
        return found

    @strawberry.field(description="Visits to the area's enterprises, since a moment if given.")
    async def visit_count(self, info: Info, since: datetime | None = None) -> int:
        found: int = await info.context.loaders(counts.visits, self.kind, since).load(
            self.record.id
        )
        return found

    @strawberry.field(description="Distinct cadres serving the area now (see `cadres`).")
    async def cadre_count(self, info: Info) -> int:
        loader = info.context.loaders(cadres.serving_areas, self.kind, info.context.now)
        return len({serving.cadre_id for serving in await loader.load(self.record.id)})

    @strawberry.field(description="Issues not closed or rejected, oldest first.")
    async def open_issues(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[IssueType]:
        from schema.ledger import Issue

        request = info.context.page(first, after)
        loaders = info.context.loaders
        page = await loaders(issues.open_pages_in_areas, self.kind, request).load(self.record.id)
        counter = loaders(counts.open_issues, self.kind)
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
    info: Info,
    kind: AreaKind,
    parent_id: int,
    where: AreaFilterInput | None,
    first: int | None,
    after: str | None,
) -> Connection[Any]:
    request, condition = info.context.page(first, after), area_filter(where, None)
    loaders = info.context.loaders
    page = await loaders(areas.child_pages, kind, condition, request).load(parent_id)
    counter = loaders(areas.child_counts, kind, condition)
    return connection(page, AREA_TYPES[kind].of, lambda: counter.load(parent_id))


@strawberry.type(description="The whole managed area of an industrial park.")
class Park(Area):
    @strawberry.field
    async def zones(
        self,
        info: Info,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Zone]:
        return await child_connection(info, "zone", self.record.id, filter, first, after)


@strawberry.type(description="A large division of a park (片区).")
class Zone(Area):
    @strawberry.field
    async def park(self, info: Info) -> Park | None:
        found = await load_area(info, "park", self.record.parent_id)
        return Park.of(found) if found else None

    @strawberry.field
    async def grids(
        self,
        info: Info,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Grid]:
        return await child_connection(info, "grid", self.record.id, filter, first, after)


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

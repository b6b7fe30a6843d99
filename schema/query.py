"""The Query root: lookups and lists of areas, a point's place (see schema.search for the
filtered and nearest-neighbour queries). Each field is answered by the read compiler
(schema.reading); its arguments are declared here and checked there."""

from __future__ import annotations

import strawberry

from schema import reading
from schema.activities import ActivityQuery
from schema.areas import Grid, Park, Zone
from schema.connection import Connection
from schema.context import Info
from schema.coverage import CoverageQuery
from schema.enterprise import Enterprise
from schema.hiring import HiringQuery
from schema.infrastructure import InfrastructureQuery
from schema.inputs import AreaFilterInput
from schema.ledger import Issue
from schema.people import Cadre
from schema.planning import PlanningQuery
from schema.projects import ProjectQuery
from schema.search import SearchQuery
from schema.stats import StatsQuery


@strawberry.type(description="Where a point belongs: by grid membership, else by cover.")
class Location:
    park: Park | None = strawberry.field(description="The park; null when in none.")
    zone: Zone | None = strawberry.field(description="The zone; null when in none.")
    grid: Grid | None = strawberry.field(description="The grid; null when in none.")


@strawberry.type(description="Everything a caller may read; see each field.")
class Query(
    SearchQuery,
    StatsQuery,
    CoverageQuery,
    PlanningQuery,
    InfrastructureQuery,
    ProjectQuery,
    ActivityQuery,
    HiringQuery,
):
    @strawberry.field(description="Parks, by code.")
    async def parks(
        self,
        info: Info,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Park]:
        return await reading.query(info)

    @strawberry.field(description="The park of this code; null when there is none.")
    async def park(self, info: Info, code: str) -> Park | None:
        return await reading.query(info)

    @strawberry.field(description="Zones, of one park when `park` (a code) is given.")
    async def zones(
        self,
        info: Info,
        park: str | None = None,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Zone]:
        return await reading.query(info)

    @strawberry.field(description="The zone of this code; null when there is none.")
    async def zone(self, info: Info, code: str) -> Zone | None:
        return await reading.query(info)

    @strawberry.field(description="Grids, of one zone when `zone` (a code) is given.")
    async def grids(
        self,
        info: Info,
        zone: str | None = None,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Grid]:
        return await reading.query(info)

    @strawberry.field(description="The grid of this code; null when there is none.")
    async def grid(self, info: Info, code: str) -> Grid | None:
        return await reading.query(info)

    @strawberry.field(description="An enterprise by its Unified Social Credit Code.")
    async def enterprise(self, info: Info, uscc: str) -> Enterprise | None:
        return await reading.query(info)

    @strawberry.field(
        description="The cadre of this ID; null when there is none or the caller is anonymous."
    )
    async def cadre(self, info: Info, id: strawberry.ID) -> Cadre | None:
        return await reading.query(info)

    @strawberry.field(description="The issue of this ID; null when there is none.")
    async def issue(self, info: Info, id: strawberry.ID) -> Issue | None:
        return await reading.query(info)

    @strawberry.field(description="The park, zone and grid a WGS 84 point belongs to.")
    async def locate(self, info: Info, lon: float, lat: float) -> Location:
        return await reading.query(info)

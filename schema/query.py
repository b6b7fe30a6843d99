"""The Query root: lookups and lists of areas, a point's place (see schema.search for the
filtered and nearest-neighbour queries)."""

from __future__ import annotations

import strawberry

from parkgrid.errors import NotFound
from resolvers import areas, enterprises, issues
from resolvers.filters import checked_point
from resolvers.records import AreaKind, AreaRecord, parse_id
from schema.areas import Grid, Park, Zone
from schema.connection import Connection, connection
from schema.context import Info
from schema.coverage import CoverageQuery
from schema.enterprise import Enterprise
from schema.inputs import AreaFilterInput, area_filter
from schema.ledger import Issue
from schema.people import Cadre, load_cadre
from schema.planning import PlanningQuery
from schema.search import SearchQuery
from schema.stats import StatsQuery


async def area_by_code(info: Info, kind: AreaKind, code: str) -> AreaRecord | None:
    found: AreaRecord | None = await info.context.loaders(areas.by_codes, kind).load(code)
    return found


async def required_parent(info: Info, kind: AreaKind, code: str | None, field: str) -> str | None:
    if code is not None and await area_by_code(info, kind, code) is None:
        raise NotFound(f"no {kind} has code {code!r}", field=field)
    return code


async def area_list(
    info: Info,
    kind: AreaKind,
    parent: str | None,
    where: AreaFilterInput | None,
    first: int | None,
    after: str | None,
) -> Connection[Park] | Connection[Zone] | Connection[Grid]:
    request, condition = info.context.page(first, after), area_filter(where, parent)
    page = await info.context.db.read(areas.listing, kind, condition, request)

    async def count() -> int:
        return await info.context.db.read(areas.count, kind, condition)

    to_node = {"park": Park.of, "zone": Zone.of, "grid": Grid.of}[kind]
    return connection(page, to_node, count)  # type: ignore[return-value]


@strawberry.type(description="Where a point belongs: by grid membership, else by cover.")
class Location:
    park: Park | None
    zone: Zone | None
    grid: Grid | None


@strawberry.type
class Query(SearchQuery, StatsQuery, CoverageQuery, PlanningQuery):
    @strawberry.field
    async def parks(
        self,
        info: Info,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Park]:
        return await area_list(info, "park", None, filter, first, after)  # type: ignore[return-value]

    @strawberry.field
    async def park(self, info: Info, code: str) -> Park | None:
        found = await area_by_code(info, "park", code)
        return Park.of(found) if found else None

    @strawberry.field(description="Zones, of one park when `park` (a code) is given.")
    async def zones(
        self,
        info: Info,
        park: str | None = None,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Zone]:
        parent = await required_parent(info, "park", park, "park")
        return await area_list(info, "zone", parent, filter, first, after)  # type: ignore[return-value]

    @strawberry.field
    async def zone(self, info: Info, code: str) -> Zone | None:
        found = await area_by_code(info, "zone", code)
        return Zone.of(found) if found else None

    @strawberry.field(description="Grids, of one zone when `zone` (a code) is given.")
    async def grids(
        self,
        info: Info,
        zone: str | None = None,
        filter: AreaFilterInput | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Grid]:
        parent = await required_parent(info, "zone", zone, "zone")
        return await area_list(info, "grid", parent, filter, first, after)  # type: ignore[return-value]

    @strawberry.field
    async def grid(self, info: Info, code: str) -> Grid | None:
        found = await area_by_code(info, "grid", code)
        return Grid.of(found) if found else None

    @strawberry.field(description="An enterprise by its Unified Social Credit Code.")
    async def enterprise(self, info: Info, uscc: str) -> Enterprise | None:
        found = await info.context.loaders(enterprises.by_usccs).load(uscc.strip().upper())
        return Enterprise.of(found) if found else None

    @strawberry.field
    async def cadre(self, info: Info, id: strawberry.ID) -> Cadre | None:
        return await load_cadre(info, parse_id(id, "id"))

    @strawberry.field
    async def issue(self, info: Info, id: strawberry.ID) -> Issue | None:
        found = await info.context.loaders(issues.by_ids).load(parse_id(id, "id"))
        return Issue.of(found) if found else None

    @strawberry.field(description="The park, zone and grid a WGS 84 point belongs to.")
    async def locate(self, info: Info, lon: float, lat: float) -> Location:
        checked_point(lon, lat, "lon/lat")
        found = await info.context.db.read(areas.locate, lon, lat)
        for kind, area in found.items():
            info.context.loaders(areas.by_ids, kind).prime(area.id, area)
        park, zone, grid = (found.get(kind) for kind in ("park", "zone", "grid"))
        return Location(
            park=Park.of(park) if park else None,
            zone=Zone.of(zone) if zone else None,
            grid=Grid.of(grid) if grid else None,
        )

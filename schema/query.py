"""The Query root."""

from __future__ import annotations

import strawberry

from geo import validate
from geo.validate import GeometryError
from parkgrid.errors import InvalidGeometry, InvalidInput, NotFound
from resolvers import areas, enterprises, issues
from resolvers.records import AreaKind, AreaRecord
from schema.areas import Grid, Park, Zone, child_connection, load_area
from schema.connection import Connection, connection
from schema.context import Info
from schema.enterprise import Enterprise
from schema.ledger import Issue
from schema.people import Cadre, load_cadre


async def area_by_code(info: Info, kind: AreaKind, code: str) -> AreaRecord | None:
    found: AreaRecord | None = await info.context.loaders(areas.by_codes, kind).load(code)
    return found


async def required_area(info: Info, kind: AreaKind, code: str, field: str) -> AreaRecord:
    found = await area_by_code(info, kind, code)
    if found is None:
        raise NotFound(f"no {kind} has code {code!r}", field=field)
    return found


def parse_id(value: str, field: str) -> int:
    if not value.isdigit():
        raise InvalidInput(f"{value!r} is not an id", field=field)
    return int(value)


@strawberry.type(description="Where a point belongs: by grid membership, else by cover.")
class Location:
    park: Park | None
    zone: Zone | None
    grid: Grid | None


@strawberry.type
class Query:
    @strawberry.field
    async def parks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Park]:
        request = info.context.page(first, after)
        page = await info.context.db.read(areas.listing, "park", None, request)

        async def count() -> int:
            return await info.context.db.read(areas.count, "park", None)

        return connection(page, Park.of, count)

    @strawberry.field
    async def park(self, info: Info, code: str) -> Park | None:
        found = await area_by_code(info, "park", code)
        return Park.of(found) if found else None

    @strawberry.field(description="Zones, of one park when `park` (a code) is given.")
    async def zones(
        self,
        info: Info,
        park: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Zone]:
        parent = await required_area(info, "park", park, "park") if park else None
        return await child_connection(info, "zone", parent.id if parent else None, first, after)  # type: ignore[arg-type,return-value]

    @strawberry.field
    async def zone(self, info: Info, code: str) -> Zone | None:
        found = await area_by_code(info, "zone", code)
        return Zone.of(found) if found else None

    @strawberry.field(description="Grids, of one zone when `zone` (a code) is given.")
    async def grids(
        self,
        info: Info,
        zone: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Grid]:
        parent = await required_area(info, "zone", zone, "zone") if zone else None
        return await child_connection(info, "grid", parent.id if parent else None, first, after)  # type: ignore[arg-type,return-value]

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
        try:
            validate.lon_lat(lon, lat)
        except GeometryError as exc:
            raise InvalidGeometry(str(exc), field="lon/lat") from exc
        found = await info.context.db.read(areas.locate, lon, lat)
        park, zone, grid = (
            await load_area(info, "park", found.park_id),
            await load_area(info, "zone", found.zone_id),
            await load_area(info, "grid", found.grid_id),
        )
        return Location(
            park=Park.of(park) if park else None,
            zone=Zone.of(zone) if zone else None,
            grid=Grid.of(grid) if grid else None,
        )

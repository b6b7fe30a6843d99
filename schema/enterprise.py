"""Enterprises: a firm at a point, in at most one grid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import cadres, events, issues
from resolvers.areas import checked_precision
from resolvers.records import EnterpriseRecord
from schema.areas import Grid, Zone, load_area, point_geojson
from schema.connection import Connection, connection
from schema.context import Info
from schema.convert import from_record
from schema.scalars import GeoJSON

if TYPE_CHECKING:
    from schema.ledger import Event, Issue, Visit
    from schema.party import PartyOrganisation
    from schema.people import Cadre

IssueType = Annotated["Issue", strawberry.lazy("schema.ledger")]
EventType = Annotated["Event", strawberry.lazy("schema.ledger")]
VisitType = Annotated["Visit", strawberry.lazy("schema.ledger")]
CadreType = Annotated["Cadre", strawberry.lazy("schema.people")]
PartyOrganisationType = Annotated["PartyOrganisation", strawberry.lazy("schema.party")]


@strawberry.type(description="A firm at a point location.")
class Enterprise:
    record: strawberry.Private[EnterpriseRecord]
    uscc: str = strawberry.field(description="Unified Social Credit Code (GB 32100-2015).")
    name: str
    industry: str | None
    address: str | None

    @classmethod
    def of(cls, record: EnterpriseRecord) -> Enterprise:
        return from_record(cls, record)

    @strawberry.field(description="The location as a GeoJSON Point.")
    def location(self, precision: int = 6) -> GeoJSON:
        return point_geojson(self.record.lon, self.record.lat, checked_precision(precision))

    @strawberry.field(
        description="Geodesic distance from the query's reference point (near, nearest);"
        " null when the query has none."
    )
    def distance_meters(self) -> float | None:
        return self.record.distance_m

    @strawberry.field(description="Its party organisation; null when none is recorded.")
    async def party_organisation(self, info: Info) -> PartyOrganisationType | None:
        from schema.party import load_organisation

        return await load_organisation(info, self.record.id)

    @strawberry.field(description="The grid whose boundary covers the point; null when none.")
    async def grid(self, info: Info) -> Grid | None:
        found = await load_area(info, "grid", self.record.grid_id)
        return Grid.of(found) if found else None

    @strawberry.field(description="The zone of the enterprise's grid.")
    async def zone(self, info: Info) -> Zone | None:
        grid = await load_area(info, "grid", self.record.grid_id)
        found = await load_area(info, "zone", grid.parent_id if grid else None)
        return Zone.of(found) if found else None

    @strawberry.field(description="The liaison cadre at `at` (default now).")
    async def liaison(self, info: Info, at: datetime | None = None) -> CadreType | None:
        from schema.people import load_cadre

        moment = at or info.context.now
        cadre_id = await info.context.loaders(cadres.liaisons_of, moment).load(self.record.id)
        return await load_cadre(info, cadre_id)

    @strawberry.field(
        description="Everything recorded about the enterprise and its issues, visits and"
        " assignments, oldest first; never edited."
    )
    async def events(self, info: Info) -> list[EventType]:
        from schema.ledger import Event

        found = await info.context.loaders(events.of_enterprises).load(self.record.id)
        return [Event.of(item) for item in found]

    @strawberry.field(description="Issues raised by the enterprise, newest first.")
    async def issues(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[IssueType]:
        from schema.ledger import Issue

        return await self.children(info, "issue", Issue.of, first, after)

    @strawberry.field(description="Visits to the enterprise, newest first.")
    async def visits(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[VisitType]:
        from schema.ledger import Visit

        return await self.children(info, "visit", Visit.of, first, after)

    async def children(
        self,
        info: Info,
        table: str,
        to_node: Callable[[Any], Any],
        first: int | None,
        after: str | None,
    ) -> Connection[Any]:
        request = info.context.page(first, after)
        loaders = info.context.loaders
        page = await loaders(issues.pages_of_enterprises, table, request).load(self.record.id)
        counter = loaders(issues.counts_of_enterprises, table)
        return connection(page, to_node, lambda: counter.load(self.record.id))
